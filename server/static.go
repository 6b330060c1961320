package server

import (
	"bytes"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/static"
)

// serveStatic serves the embedded assets. A URL carrying the asset's current
// hash (?v=, see static.URL) may be cached forever; others revalidate by ETag.
func serveStatic(c echo.Context) error {
	name := path.Clean(c.Param("*"))
	asset := static.Get(name)
	if asset == nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such file")
	}
	data, hash := asset.Data, asset.Hash
	h := c.Response().Header()
	h.Set("ETag", `"`+hash+`"`)
	if c.QueryParam("v") == hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300, must-revalidate")
	}
	if ctype := mime.TypeByExtension(path.Ext(name)); ctype != "" {
		h.Set(echo.HeaderContentType, ctype)
	}
	// ServeContent answers If-None-Match with 304 and handles HEAD and ranges.
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(data))
	return nil
}
