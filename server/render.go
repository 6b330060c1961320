package server

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes a templ component as the HTML response, with the status
// already set on the response (200 when unset).
func render(c echo.Context, component templ.Component) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	res.Header().Set("Cache-Control", "no-store")
	if res.Status == 0 {
		res.Status = http.StatusOK
	}
	res.WriteHeader(res.Status)
	return component.Render(c.Request().Context(), res)
}
