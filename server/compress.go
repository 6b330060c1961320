package server

import (
	"mime"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
	"github.com/labstack/echo/v4"
)

// compressResponses gzips text responses (pages, fragments, JSON, CSV
// exports) for clients that accept it, with klauspost/compress's gzhttp: it
// buffers until a response is worth compressing (1 KB; the small answers of
// the trial path stay as they are), flushes when the handler flushes (so a
// streamed export still streams), and leaves alone what a handler encoded
// itself (the static assets, compressed at start-up). Images and archives
// are never compressed: only the text types below are. Brotli would save a
// few hundred bytes more per page, at several times gzip's CPU per request.
func compressResponses() echo.MiddlewareFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.ContentTypeFilter(compressible), gzhttp.EnableZstd(false))
	if err != nil {
		panic(err) // the options are constant
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			var handlerErr error
			res := c.Response()
			plain := res.Writer
			wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				res.Writer = w
				defer func() { res.Writer = plain }()
				c.SetRequest(r)
				// The error page goes through the compressor too, before it
				// closes; the request logger's later attempt finds the
				// response committed and only logs.
				if handlerErr = next(c); handlerErr != nil {
					c.Error(handlerErr)
				}
			})).ServeHTTP(plain, c.Request())
			return handlerErr
		}
	}
}

var compressibleTypes = map[string]bool{
	"application/json": true, "application/javascript": true, "application/xml": true, "image/svg+xml": true,
}

func compressible(contentType string) bool {
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if media == "text/event-stream" { // each event must reach the client at once
		return false
	}
	return strings.HasPrefix(media, "text/") || compressibleTypes[media]
}
