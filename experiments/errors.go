package experiments

import (
	"errors"
	"fmt"

	"github.com/mccollough/mccollough/stimuli"
)

// FieldError and FieldErrors name invalid fields by their JSON path; they
// are stimuli's types, shared so every document reports problems alike.
type (
	FieldError  = stimuli.FieldError
	FieldErrors = stimuli.FieldErrors
)

// Code classifies a domain error. The server maps codes to HTTP statuses in
// one place, so every layer reports failures in these terms only.
type Code string

const (
	Invalid      Code = "invalid"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	// Gone: the thing existed and was ended for good (a withdrawn session).
	Gone Code = "gone"
	// TooLarge: a quota is full (a session's events).
	TooLarge Code = "too_large"
	Internal Code = "internal"
)

// Error is the project's one error type: a code, a message safe to show to a
// client, optional field-level problems (for Invalid) and optional details.
type Error struct {
	Code    Code                `json:"code"`
	Message string              `json:"message"`
	Fields  stimuli.FieldErrors `json:"fields,omitempty"`
	Details any                 `json:"details,omitempty"`

	cause error // what Errorf's %w verbs wrapped; see Unwrap
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if len(e.Fields) > 0 {
		msg += ": " + e.Fields.Error()
	}
	return msg
}

// Unwrap exposes errors wrapped with %w in Errorf to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.cause }

// Errorf builds an *Error; like fmt.Errorf, %w wraps an underlying error.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Message: err.Error()}
	switch err.(type) {
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
		e.cause = err // a %w was used: keep the chain reachable
	}
	return e
}

// Invalidf is Errorf(Invalid, ...): a problem with the caller's input.
func Invalidf(format string, args ...any) *Error {
	return Errorf(Invalid, format, args...)
}

// InvalidFields reports field-level validation problems, all of them at
// once. (It cannot be called Invalid: that is the Code.)
func InvalidFields(fields stimuli.FieldErrors) *Error {
	msg := "invalid input"
	if len(fields) == 1 {
		msg = "invalid field " + fieldLabel(fields[0].Field)
	} else if len(fields) > 1 {
		msg = fmt.Sprintf("%d invalid fields", len(fields))
	}
	return &Error{Code: Invalid, Message: msg, Fields: fields}
}

func fieldLabel(f string) string {
	if f == "" {
		return "(document)"
	}
	return f
}

// asInvalid turns a FieldErrors (as returned by stimuli.DecodeStrict) into an
// Invalid *Error and passes any other error through unchanged.
func asInvalid(err error) error {
	if err == nil {
		return nil
	}
	var fe stimuli.FieldErrors
	if errors.As(err, &fe) {
		return InvalidFields(fe)
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return Errorf(Invalid, "%w", err)
}

// ErrorCode is the code of err: the Code of the *Error in its chain, Internal
// for any other error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage is the client-safe message of err: the Message of the *Error
// in its chain, except for Internal errors and errors of other types, whose
// wording (SQL, paths, wrapped causes) must not reach a participant: those
// get a generic text. Log err itself for the details.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "internal error"
}
