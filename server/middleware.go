package server

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	units "github.com/labstack/gommon/bytes"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// contentSecurityPolicy allows this origin only: no CDN, no inline script.
// Stimuli are PNGs from this origin or canvas data (blob:/data:).
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; " +
	"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

func securityHeaders() echo.MiddlewareFunc {
	return middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0", // obsolete filter; CSP is the protection
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "same-origin",
		// Sent over HTTPS only (a proxy's word counts only from a trusted
		// proxy); subdomains are the operator's business.
		HSTSMaxAge:            365 * 24 * 3600,
		HSTSExcludeSubdomains: true,
	})
}

// requestLogger writes one structured line per request, and it is the one
// place a failed request is logged (the error handler only answers). It
// deliberately leaves out the client's IP address and user agent
// (DESIGN.md §3: we keep no such data about participants), and it logs the
// route's template (/api/v1/sessions/:id), never the path: paths carry
// session ids and recruiters' participant ids.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus:    true,
		LogMethod:    true,
		LogRoutePath: true,
		LogLatency:   true,
		LogError:     true,
		HandleError:  true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			route := v.RoutePath
			if route == "" {
				route = "(no route)"
			}
			level := slog.LevelInfo
			// An error with a success status came after the response had
			// started (a streamed export cut short): the client saw a
			// truncated answer, so it is worth a warning.
			late := v.Error != nil && v.Status < 400
			switch {
			case v.Status == 503, late:
				level = slog.LevelWarn
			case v.Status >= 500:
				level = slog.LevelError
			case route == "/healthz" || route == "/static/*":
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method),
				slog.String("route", route),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency.Round(time.Microsecond)),
			}
			if v.Error != nil && (v.Status >= 500 || late) {
				attrs = append(attrs, slog.String("err", v.Error.Error()))
			}
			log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// bodyLimit refuses bodies over limit (echo's size syntax, e.g. "1M") with
// 413, whatever reads them. echo's BodyLimit middleware checks only the
// Content-Length up front; a chunked body over the limit surfaced as a read
// error inside each handler (a 400 from JSON routes, an empty form for
// forms). A body of unknown length is read here, up to the limit, so every
// handler sees either all of it or a 413.
func bodyLimit(limit string) echo.MiddlewareFunc {
	n, err := units.Parse(limit)
	if err != nil || n <= 0 {
		panic(fmt.Sprintf("server: invalid body limit %q", limit))
	}
	tooLarge := echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body too large")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			switch {
			case r.ContentLength > n:
				return tooLarge
			case r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody:
				body, err := io.ReadAll(io.LimitReader(r.Body, n+1))
				if err != nil {
					return badRequest(fmt.Errorf("reading the request body: %w", err))
				}
				if int64(len(body)) > n {
					return tooLarge
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			}
			return next(c)
		}
	}
}
