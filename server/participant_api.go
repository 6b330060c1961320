package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
	"github.com/mccollough/mccollough/storage"
)

// The participant API: what a runner (the browser, or any client) needs to
// take part in a study. Every write is committed before the answer is sent.

type createSessionRequest struct {
	Params map[string]string      `json:"params"`
	Screen experiments.ScreenInfo `json:"screen"`
}

type sessionResponse struct {
	SessionID      string                `json:"session_id"`
	Token          string                `json:"token,omitempty"`
	Status         string                `json:"status"`
	Condition      experiments.Condition `json:"condition"`
	Plan           planView              `json:"plan"`
	Stored         []int                 `json:"stored"`
	CompletionCode string                `json:"completion_code,omitempty"`
	// StatusReason says why a session was screened out.
	StatusReason string `json:"status_reason,omitempty"`
	// Texts the runner shows once a session exists (experiments.Texts.Session).
	Texts map[string]string `json:"texts"`
}

// createSession serves POST /api/v1/studies/{slug}/sessions.
func (s *Server) createSession(c echo.Context) error {
	// Sessions are free to create and each holds a plan: a client, and a
	// study, may start only so many (429 with Retry-After beyond).
	if !s.clientSessions.allow(c.RealIP()) {
		return s.clientSessions.tooMany(c, "sessions started from here")
	}
	if !s.studySessions.allow(c.Param("slug")) {
		return s.studySessions.tooMany(c, "sessions started in this study just now")
	}
	var req createSessionRequest
	if err := readJSON(c, &req, true); err != nil {
		return err
	}
	errs := experiments.ValidateParams(req.Params)
	errs = append(errs, req.Screen.Validate().Prefixed("screen")...)
	if len(errs) > 0 {
		return experiments.InvalidFields(errs)
	}
	ctx := c.Request().Context()
	study, err := s.db.OpenStudy(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	sess, token, err := s.db.CreateSession(ctx, study, storage.NewSession{
		Kind:           experiments.KindHuman,
		ParticipantRef: experiments.ParticipantRef(req.Params),
		Params:         req.Params,
		Screen:         req.Screen,
		Device:         deviceOf(c.Request().UserAgent()),
	})
	if err != nil {
		return err
	}
	plan, err := s.viewPlan(ctx, sess)
	if err != nil {
		return err
	}
	resp := sessionResponse{SessionID: sess.ID, Token: token, Status: sess.Status, Condition: sess.Condition, Plan: plan, Stored: []int{},
		Texts: sess.Definition.Texts().Session()}
	// A screen the study cannot run on ends the session before any test.
	if reason := sess.Definition.Screening.ScreenDevice(req.Screen); reason != "" {
		if err := s.db.ScreenOut(ctx, sess.ID, reason); err != nil {
			return err
		}
		resp.Status, resp.StatusReason = experiments.StatusScreenedOut, reason
	}
	return c.JSON(http.StatusCreated, resp)
}

// getSession serves GET /api/v1/sessions/{id}: status, plan and what is
// stored, for resuming.
func (s *Server) getSession(c echo.Context) error {
	st, err := s.db.SessionState(c.Request().Context(), c.Param("id"), bearerToken(c))
	if err != nil {
		return err
	}
	plan, err := s.viewPlan(c.Request().Context(), st.Session)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sessionResponse{SessionID: st.ID, Status: st.Status, Condition: st.Condition,
		Plan: plan, Stored: st.Stored, CompletionCode: st.CompletionCode, StatusReason: st.StatusReason,
		Texts: st.Definition.Texts().Session()})
}

// putTrial serves PUT /api/v1/sessions/{id}/trials/{index}.
func (s *Server) putTrial(c echo.Context) error {
	index, err := strconv.Atoi(c.Param("index"))
	if err != nil {
		return experiments.InvalidFields(experiments.FieldErrors{{Field: "index", Message: "must be an integer trial index"}})
	}
	body, err := readJSONObject(c)
	if err != nil {
		return err
	}
	r, err := experiments.DecodeResponse(body)
	if err != nil {
		return err
	}
	r.Index = index
	created, err := s.db.RecordTrial(c.Request().Context(), c.Param("id"), bearerToken(c), storage.TrialWrite{Response: r, Now: s.now()})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, trialStored{Index: index, Stored: true, Duplicate: !created})
}

// trialStored is the answer to a trial PUT (a struct, not a map: it is the
// busiest response, and encoding/json encodes a struct without sorting keys
// or allocating per entry).
type trialStored struct {
	Index     int  `json:"index"`
	Stored    bool `json:"stored"`
	Duplicate bool `json:"duplicate"`
}

// nextTrial serves GET /api/v1/sessions/{id}/next?block=N: the next trial
// of a staircase block, whose tint depends on the answers so far.
func (s *Server) nextTrial(c echo.Context) error {
	block, err := strconv.Atoi(c.QueryParam("block"))
	if err != nil || block < 0 {
		return experiments.InvalidFields(experiments.FieldErrors{{Field: "block", Message: "must be the test block number (0, 1, …)"}})
	}
	ctx := c.Request().Context()
	trial, done, err := s.db.NextStaircaseTrial(ctx, c.Param("id"), bearerToken(c), block)
	if err != nil {
		return err
	}
	if done {
		return c.JSON(http.StatusOK, map[string]any{"done": true})
	}
	sess, err := s.db.SessionPlan(ctx, c.Param("id"), bearerToken(c))
	if err != nil {
		return err
	}
	view, err := s.planViewer(ctx, sess)
	if err != nil {
		return err
	}
	tv, err := view.trial(trial)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"done": false, "trial": tv})
}

// postEvents serves POST /api/v1/sessions/{id}/events.
func (s *Server) postEvents(c echo.Context) error {
	body, err := readJSONObject(c)
	if err != nil {
		return err
	}
	events, err := experiments.DecodeEvents(body)
	if err != nil {
		return err
	}
	n, err := s.db.RecordEvents(c.Request().Context(), c.Param("id"), bearerToken(c), events)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"received": len(events), "stored": n})
}

// checkScreening serves POST /api/v1/sessions/{id}/screening: the verdict
// of the colour-vision check once its answers are stored.
func (s *Server) checkScreening(c echo.Context) error {
	out, err := s.db.CheckScreening(c.Request().Context(), c.Param("id"), bearerToken(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// completeSession serves POST /api/v1/sessions/{id}/complete.
func (s *Server) completeSession(c echo.Context) error {
	ctx, id, token := c.Request().Context(), c.Param("id"), bearerToken(c)
	done, err := s.db.CompleteSession(ctx, id, token)
	if err != nil {
		return err
	}
	sess, err := s.db.SessionPlan(ctx, id, token)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"completion_code": done.Code, "redirect_url": sess.Definition.CompletionRedirect(done.Code)})
}

// bearerToken is the token of "Authorization: Bearer <token>".
func bearerToken(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// readBody reads the whole request body (already capped by bodyLimit).
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, badRequest(fmt.Errorf("reading the request body: %w", err))
	}
	return body, nil
}

// readJSONObject reads a body that must be a JSON object: anything else is
// a 400, before the strict decoders judge its content (422).
func readJSONObject(c echo.Context) ([]byte, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	if err := checkJSONSyntax(body); err != nil {
		return nil, err
	}
	return body, nil
}

// checkJSONSyntax rejects a body that is not a JSON object (400).
func checkJSONSyntax(body []byte) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return badRequest(stimuli.FieldErrors{{Field: "", Message: "the request body is empty: send a JSON object"}})
	}
	// json.Valid allocates nothing: the common, valid case costs one scan.
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v) // only to say where it breaks
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return badRequest(stimuli.FieldErrors{{Field: "", Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}})
		}
		return badRequest(stimuli.FieldErrors{{Field: "", Message: "malformed JSON"}})
	}
	if trimmed[0] != '{' {
		return badRequest(stimuli.FieldErrors{{Field: "", Message: "the body must be a JSON object"}})
	}
	return nil
}

// readJSON decodes a JSON object body strictly into v; an empty body is
// allowed when optional.
func readJSON(c echo.Context, v any, optional bool) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := checkJSONSyntax(body); err != nil {
		return err
	}
	if err := stimuli.DecodeStrict(body, v); err != nil {
		return experiments.InvalidFields(asFieldErrors(err))
	}
	return nil
}
