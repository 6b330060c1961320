package server

import (
	"bytes"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/static"
)

// serveStatic serves the embedded assets, scripts and stylesheets
// compressed (brotli or gzip, done once at start-up) for clients that take
// it. A URL carrying the asset's current hash (?v=, see static.URL) may be
// cached forever; others revalidate by ETag.
func serveStatic(c echo.Context) error {
	name := path.Clean(c.Param("*"))
	asset := static.Get(name)
	if asset == nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such file")
	}
	data, encoding := asset.Data, ""
	accept := c.Request().Header.Get(echo.HeaderAcceptEncoding)
	switch {
	case asset.Brotli != nil && acceptsEncoding(accept, "br"):
		data, encoding = asset.Brotli, "br"
	case asset.Gzip != nil && acceptsEncoding(accept, "gzip"):
		data, encoding = asset.Gzip, "gzip"
	}
	h := c.Response().Header()
	if asset.Gzip != nil {
		h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	}
	if encoding != "" {
		h.Set(echo.HeaderContentEncoding, encoding)
		h.Set("ETag", `"`+asset.Hash+"-"+encoding+`"`) // each encoding is its own representation
	} else {
		h.Set("ETag", `"`+asset.Hash+`"`)
	}
	if c.QueryParam("v") == asset.Hash {
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

// acceptsEncoding: the Accept-Encoding header lists coding (or *) with a
// non-zero quality.
func acceptsEncoding(header, coding string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), coding) && strings.TrimSpace(name) != "*" {
			continue
		}
		q, found := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if !found {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}
