package server

import (
	"context"
	"encoding/base64"
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

// StimulusURL is the address of s rendered at size. The path's key is the
// stimulus' content hash (immutable, cacheable forever); the query carries
// the canonical spec, so any replica can render it without a database.
func StimulusURL(s stimuli.Stimulus, size int) string {
	return fmt.Sprintf("/stimuli/%s.png?size=%d&s=%s", stimuli.Key(s, size), size,
		base64.RawURLEncoding.EncodeToString(s.Canonical()))
}

// stimulusPNG serves GET /stimuli/{key}.png?size=N&s=<spec>.
func (s *Server) stimulusPNG(c echo.Context) error {
	key, ok := strings.CutSuffix(c.Param("file"), ".png")
	if !ok || len(key) != 32 {
		return echo.NewHTTPError(http.StatusNotFound, "no such stimulus")
	}
	if notModified(c, key) {
		return c.NoContent(http.StatusNotModified)
	}
	size, err := parseSize(c.QueryParam("size"))
	if err != nil {
		return err
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.QueryParam("s"))
	if err != nil {
		return badRequest(stimuli.FieldErrors{{Field: "s", Message: "must be the base64url-encoded stimulus spec"}})
	}
	spec, err := stimuli.ParseStimulus(raw)
	if err != nil {
		return badRequest(err)
	}
	// The key must be the hash of the spec: a URL can't claim one image's
	// identity (and cache entry) for another.
	if stimuli.Key(spec, size) != key {
		return echo.NewHTTPError(http.StatusNotFound, "stimulus key does not match its spec")
	}
	return s.servePNG(c, spec, size, true)
}

// sessionStimulus serves GET /api/v1/sessions/{id}/stimulus.png?pattern=a&tint=2.5:
// a test stimulus of the session's experiment at any tint, for adjustment
// trials (the participant moves the tint live) and staircases. It needs no
// token: an image of a grating reveals nothing about the participant.
func (s *Server) sessionStimulus(c echo.Context) error {
	sess, err := s.db.SessionDesign(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	tint, err := strconv.ParseFloat(c.QueryParam("tint"), 64)
	if err != nil {
		return asBadRequest(experiments.InvalidFields(stimuli.FieldErrors{{Field: "tint", Message: "must be a number (a* units)"}}))
	}
	spec, err := sess.Definition.TestStimulus(c.QueryParam("pattern"), tint)
	if err != nil {
		return asBadRequest(err)
	}
	return s.servePNG(c, spec, sess.Plan.SizePx, true)
}

// servePNG answers with spec rendered at size: from the cache (rendering
// it once), immutable, its content key as ETag. An anonymous client may
// have only so many stimuli rendered per minute (cached ones are free).
func (s *Server) servePNG(c echo.Context, spec stimuli.Stimulus, size int, anonymous bool) error {
	key := stimuli.Key(spec, size)
	if notModified(c, key) {
		return c.NoContent(http.StatusNotModified)
	}
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
	setImmutable(c, key)
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
func notModified(c echo.Context, key string) bool {
	if c.Request().Header.Get("If-None-Match") != `"`+key+`"` {
		return false
	}
	setImmutable(c, key)
	return true
}

func setImmutable(c echo.Context, key string) {
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+key+`"`)
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
	return s.servePNG(c, spec, size, false)
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
