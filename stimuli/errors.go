package stimuli

import (
	"fmt"
	"strings"
)

// FieldError names one invalid field of a JSON document by its path
// (e.g. "a.period_px" or "induction.switch_s") and says what is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"error"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// FieldErrors collects every problem found in one document, so a researcher
// sees all of them at once rather than one per attempt.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Add records a problem with field; the message is formatted like fmt.Sprintf.
func (es *FieldErrors) Add(field, format string, args ...any) {
	*es = append(*es, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Prefixed returns the errors with prefix+"." prepended to every field path,
// for embedding one document's errors in a larger one.
func (es FieldErrors) Prefixed(prefix string) FieldErrors {
	if prefix == "" {
		return es
	}
	out := make(FieldErrors, len(es))
	for i, e := range es {
		out[i] = FieldError{Field: prefix + "." + e.Field, Message: e.Message}
		if e.Field == "" {
			out[i].Field = prefix
		}
	}
	return out
}

// Err returns es as an error, or nil when it is empty.
func (es FieldErrors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
