package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// MaxStimulusSize caps rendered images (pixels per side).
const MaxStimulusSize = 2048

// stimulusPNG serves GET /stimuli/{token}.png: the stimulus a sealed
// token holds (seal.go). A token this server did not issue, or an altered
// one, is 404: no image, and no hint why.
func (s *Server) stimulusPNG(c echo.Context) error {
	token, ok := strings.CutSuffix(c.Param("file"), ".png")
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such stimulus")
	}
	seal, err := s.sealer(c.Request().Context())
	if err != nil {
		return err
	}
	st, err := seal.open(token)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such stimulus")
	}
	return s.servePNG(c, st.Spec, st.Size, seal.etag(st.Spec, st.Size), publicImage, true)
}

// sessionStimulus serves GET /api/v1/sessions/{id}/stimulus.png?pattern=a&tint=2.5
// for adjustment trials, where the participant moves the tint live: with
// the session's token, and only a tint one of its adjustment trials can
// show (experiments.Plan.AdjustmentShows); anything else is a 422 saying so.
func (s *Server) sessionStimulus(c echo.Context) error {
	ctx := c.Request().Context()
	sess, err := s.db.SessionPlan(ctx, c.Param("id"), bearerToken(c))
	if err != nil {
		return err
	}
	tint, err := strconv.ParseFloat(c.QueryParam("tint"), 64)
	if err != nil {
		return asBadRequest(experiments.InvalidFields(stimuli.FieldErrors{{Field: "tint", Message: "must be a number (a* units)"}}))
	}
	pattern := c.QueryParam("pattern")
	if !sess.Plan.AdjustmentShows(pattern, tint) {
		return experiments.InvalidFields(stimuli.FieldErrors{{Field: "tint",
			Message: fmt.Sprintf("no adjustment trial of this session shows pattern %q at tint %g", pattern, tint)}})
	}
	spec, err := sess.Definition.TestStimulus(pattern, tint)
	if err != nil {
		return asBadRequest(err)
	}
	seal, err := s.sealer(ctx)
	if err != nil {
		return err
	}
	size := sess.Plan.SizePx
	return s.servePNG(c, spec, size, seal.etag(spec, size), privateImage, true)
}

// Cache-Control of images: a sealed URL's image may be kept by any cache;
// a session's (asked for with its token) by the browser only.
const (
	publicImage  = "public, max-age=31536000, immutable"
	privateImage = "private, max-age=31536000, immutable"
)

// servePNG answers with spec rendered at size: from the cache (rendering
// it once), immutable, with etag. An anonymous client may have only so
// many stimuli rendered per minute (cached ones are free).
func (s *Server) servePNG(c echo.Context, spec stimuli.Stimulus, size int, etag, cacheControl string, anonymous bool) error {
	if notModified(c, etag, cacheControl) {
		return c.NoContent(http.StatusNotModified)
	}
	key := stimuli.Key(spec, size)
	png, cached := s.pngs.lookup(key)
	if !cached {
		if anonymous && !s.renderLimit.allow(c.RealIP()) {
			return s.renderLimit.tooMany(c, "new images")
		}
		var err error
		png, err = s.pngs.get(key, func() ([]byte, error) { return s.render(c.Request().Context(), spec, size) })
		if errors.Is(err, errRenderBusy) {
			return err
		}
		if err != nil {
			return asBadRequest(experiments.InvalidFields(asFieldErrors(err)))
		}
	}
	setImmutable(c, etag, cacheControl)
	return c.Blob(http.StatusOK, "image/png", png)
}

// errRenderBusy: every render slot stayed taken for the whole wait (503).
var errRenderBusy = errors.New("the server is rendering many images: retry in a moment")

// render renders in one of the server's few render slots: a 2048 px
// stimulus takes tens of MB while it renders, so unbounded concurrent
// renders took the server's memory to gigabytes.
func (s *Server) render(ctx context.Context, spec stimuli.Stimulus, size int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.renderWait)
	defer cancel()
	if err := s.renders.Acquire(ctx, 1); err != nil {
		return nil, errRenderBusy
	}
	defer s.renders.Release(1)
	return stimuli.RenderPNG(spec, size)
}

// notModified: the client holds this very image already.
func notModified(c echo.Context, etag, cacheControl string) bool {
	if c.Request().Header.Get("If-None-Match") != `"`+etag+`"` {
		return false
	}
	setImmutable(c, etag, cacheControl)
	return true
}

func setImmutable(c echo.Context, etag, cacheControl string) {
	h := c.Response().Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", `"`+etag+`"`)
}

// stimulusPreview serves GET /api/v1/stimuli/preview for the editors' live
// previews: spec is a pattern (or a whole stimulus, with "pattern"), shown
// tinted by tint (a* units) or in the induction colour color. A bad query
// is a 400 naming the parameter.
func (s *Server) stimulusPreview(c echo.Context) error {
	size, err := parseSize(c.QueryParam("size"))
	if err != nil {
		return asBadRequest(err)
	}
	spec, err := previewStimulus(c)
	if err != nil {
		return asBadRequest(err)
	}
	// Researchers' own previews: the content key is a fine ETag here.
	return s.servePNG(c, spec, size, stimuli.Key(spec, size), publicImage, false)
}

func previewStimulus(c echo.Context) (stimuli.Stimulus, error) {
	raw := c.QueryParam("spec")
	if strings.TrimSpace(raw) == "" {
		return stimuli.Stimulus{}, experiments.InvalidFields(stimuli.FieldErrors{{Field: "spec", Message: "is required (a pattern spec as JSON)"}})
	}
	var spec stimuli.Stimulus
	if strings.Contains(raw, `"pattern"`) {
		if err := stimuli.DecodeStrict([]byte(raw), &spec); err != nil {
			return spec, experiments.InvalidFields(asFieldErrors(err).Prefixed("spec"))
		}
	} else {
		if err := stimuli.DecodeStrict([]byte(raw), &spec.Pattern); err != nil {
			return spec, experiments.InvalidFields(asFieldErrors(err).Prefixed("spec"))
		}
	}
	var errs stimuli.FieldErrors
	if v := c.QueryParam("tint"); v != "" {
		tint, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs.Add("tint", "must be a number (a* units)")
		}
		spec.Tint = tint
	}
	if v := c.QueryParam("color"); v != "" {
		spec.Light = v
	}
	if len(errs) > 0 {
		return spec, experiments.InvalidFields(errs)
	}
	spec = spec.WithDefaults()
	if errs := spec.Validate(); len(errs) > 0 {
		// Pattern fields are reported under spec; tint and color as given.
		for i := range errs {
			switch {
			case errs[i].Field == "light":
				errs[i].Field = "color"
			case errs[i].Field != "tint":
				errs[i].Field = "spec." + strings.TrimPrefix(errs[i].Field, "pattern.")
			}
		}
		return spec, experiments.InvalidFields(errs)
	}
	return spec, nil
}

// asBadRequest reports an invalid query (rather than body) as 400.
func asBadRequest(err error) error {
	var de *experiments.Error
	if errors.As(err, &de) && de.Code == experiments.Invalid {
		return &echo.HTTPError{Code: http.StatusBadRequest, Message: de}
	}
	return err
}

func parseSize(v string) (int, error) {
	if v == "" {
		return 0, experiments.InvalidFields(stimuli.FieldErrors{{Field: "size", Message: fmt.Sprintf("is required (pixels, 8 to %d)", MaxStimulusSize)}})
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 8 || n > MaxStimulusSize {
		return 0, experiments.InvalidFields(stimuli.FieldErrors{{Field: "size", Message: fmt.Sprintf("must be an integer from 8 to %d", MaxStimulusSize)}})
	}
	return n, nil
}

func asFieldErrors(err error) stimuli.FieldErrors {
	if fe, ok := err.(stimuli.FieldErrors); ok {
		return fe
	}
	return stimuli.FieldErrors{{Field: "", Message: err.Error()}}
}
