package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// statusOf maps the domain's error codes to HTTP, in this one place.
var statusOf = map[experiments.Code]int{
	experiments.Invalid:      http.StatusUnprocessableEntity,
	experiments.NotFound:     http.StatusNotFound,
	experiments.Conflict:     http.StatusConflict,
	experiments.Unauthorized: http.StatusUnauthorized,
	experiments.Forbidden:    http.StatusForbidden,
	experiments.Gone:         http.StatusGone,
	experiments.TooLarge:     http.StatusRequestEntityTooLarge,
	experiments.Internal:     http.StatusInternalServerError,
}

// errorBody is every JSON error: a message, a code, and the fields at fault.
type errorBody struct {
	Error   string              `json:"error"`
	Code    string              `json:"code"`
	Fields  stimuli.FieldErrors `json:"fields,omitempty"`
	Details any                 `json:"details,omitempty"`
}

// badRequest is a syntactically unusable request (malformed JSON, wrong
// types): 400 rather than the 422 of a well-formed but invalid one.
func badRequest(err error) error {
	var fe stimuli.FieldErrors
	if errors.As(err, &fe) {
		return &echo.HTTPError{Code: http.StatusBadRequest, Message: experiments.InvalidFields(fe)}
	}
	return &echo.HTTPError{Code: http.StatusBadRequest, Message: experiments.Invalidf("%s", err.Error())}
}

func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	// Only answers: the request logger logs the failure, once.
	status, body := s.describe(err, c)
	var sendErr error
	switch {
	case c.Request().Method == http.MethodHead:
		sendErr = c.NoContent(status)
	case wantsJSON(c):
		sendErr = c.JSON(status, body)
	default:
		c.Response().Status = status
		sendErr = render(c, templates.ErrorPage(status, body.Error))
	}
	if sendErr != nil {
		s.log.Warn("sending error response", "err", sendErr)
	}
}

func (s *Server) describe(err error, c echo.Context) (int, errorBody) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if de, ok := he.Message.(*experiments.Error); ok {
			return he.Code, bodyOf(de)
		}
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
		if he.Code == http.StatusRequestEntityTooLarge {
			msg = "request body too large"
		}
		return he.Code, errorBody{Error: msg, Code: codeForStatus(he.Code)}
	}
	var de *experiments.Error
	if errors.As(err, &de) {
		status := statusOf[de.Code]
		if status == 0 || status >= 500 {
			return http.StatusInternalServerError, errorBody{Error: "internal error", Code: string(experiments.Internal)}
		}
		return status, bodyOf(de)
	}
	var fe stimuli.FieldErrors
	if errors.As(err, &fe) {
		return http.StatusUnprocessableEntity, bodyOf(experiments.InvalidFields(fe))
	}
	if errors.Is(err, storage.ErrBusy) || errors.Is(err, errRenderBusy) {
		// At the limit of expensive work: retry in a moment.
		c.Response().Header().Set("Retry-After", "2")
		return http.StatusServiceUnavailable, errorBody{Error: err.Error(), Code: "busy"}
	}
	if storage.IsUnavailable(err) {
		// Transient: the runner and scripts retry, and nothing was stored.
		c.Response().Header().Set("Retry-After", "2")
		return http.StatusServiceUnavailable, errorBody{Error: "the database is unavailable for a moment: retry shortly", Code: "unavailable"}
	}
	if errors.Is(err, c.Request().Context().Err()) && c.Request().Context().Err() != nil {
		// The client went away; nobody reads this answer.
		return 499, errorBody{Error: "client closed request", Code: "canceled"}
	}
	return http.StatusInternalServerError, errorBody{Error: "internal error", Code: string(experiments.Internal)}
}

func bodyOf(e *experiments.Error) errorBody {
	return errorBody{Error: e.Message, Code: string(e.Code), Fields: e.Fields, Details: e.Details}
}

func codeForStatus(status int) string {
	for code, s := range statusOf {
		if s == status {
			return string(code)
		}
	}
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return string(experiments.Invalid)
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusTooManyRequests:
		return "rate_limited"
	}
	return string(experiments.Internal)
}

// wantsJSON: API routes, and clients that ask for JSON, get JSON errors;
// people get a page.
func wantsJSON(c echo.Context) bool {
	r := c.Request()
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
