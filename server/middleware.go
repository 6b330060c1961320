package server

import (
	"log/slog"
	"time"

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
	})
}

// requestLogger writes one structured line per request. It deliberately
// leaves out the client's IP address and user agent (DESIGN.md §3: we keep
// no such data about participants).
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus:   true,
		LogMethod:   true,
		LogURIPath:  true,
		LogLatency:  true,
		LogError:    true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			switch {
			case v.Status == 503:
				level = slog.LevelWarn
			case v.Status >= 500:
				level = slog.LevelError
			case c.Path() == "/healthz" || c.Path() == "/static/*":
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency.Round(time.Microsecond)),
			}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, slog.String("err", v.Error.Error()))
			}
			log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}
