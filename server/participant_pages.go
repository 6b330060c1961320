package server

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yuin/goldmark"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// The participant's pages. The study link /s/{slug} is one page holding
// the screens before a session exists (consent, screen check); the runner
// (static/runner/) then fetches each step of the session's plan as a
// server-rendered fragment carrying its schedule as JSON data.

// fixationMS is the fixation cross before each test stimulus; the runner
// receives it with each test step.
const fixationMS = 500

// markdown renders researcher-written Markdown. goldmark's defaults leave
// raw HTML out and drop dangerous link schemes (javascript:), so a
// definition's text cannot put script into a participant's page.
var markdown = goldmark.New()

func markdownHTML(src string) string {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		return "<p>" + html.EscapeString(src) + "</p>"
	}
	return b.String()
}

// studyBoot is what the runner needs before a session exists.
type studyBoot struct {
	Slug   string `json:"slug"`
	SizePx int    `json:"size_px"`
	// Screen is the screening's rule for the window and the device, which
	// the runner checks before it creates a session (absent: no rule).
	Screen *screenRule `json:"screen,omitempty"`
	// Preview: a researcher's preview (/s/{slug}/preview).
	Preview bool `json:"preview,omitempty"`
	// Lang and Texts are the study's language and the runner's messages in
	// it (keys "runner.…", with plural forms for Intl.PluralRules).
	Lang  string            `json:"lang"`
	Texts map[string]string `json:"texts"`
}

type screenRule struct {
	MinWidth    int  `json:"min_width"`
	MinHeight   int  `json:"min_height"`
	DesktopOnly bool `json:"desktop_only"`
}

// studyPage serves GET /s/{slug}: the study link's page.
func (s *Server) studyPage(c echo.Context) error {
	study, err := s.db.OpenStudy(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return s.studyError(c, err)
	}
	return render(c, templates.StudyPage(studyView(study, false)))
}

// previewPage serves GET /s/{slug}/preview: the study page for its owner,
// whatever the experiment's status (a draft too). The runner takes the
// preview session from the URL's fragment (#preview=<id>.<token>), which
// POST /researcher/experiments/{slug}/preview redirects to. Another
// researcher gets the study's 404 (signed out: the sign-in page).
func (s *Server) previewPage(c echo.Context) error {
	r, _ := currentResearcher(c)
	e, err := s.db.OwnedExperiment(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return s.studyError(c, err)
	}
	return render(c, templates.StudyPage(studyView(e, true)))
}

func studyView(e storage.Experiment, preview bool) templates.StudyView {
	d := e.Definition
	t := d.Texts()
	boot := studyBoot{Slug: e.Slug, SizePx: d.SizePx, Preview: preview, Lang: t.Lang(), Texts: t.Runner()}
	if !preview {
		delete(boot.Texts, "runner.preview_gone") // only a preview's page says it
	}
	if sc := d.Screening; sc != nil && sc.On() {
		boot.Screen = &screenRule{DesktopOnly: sc.DesktopOnly}
		if v := sc.MinViewport; v != nil {
			boot.Screen.MinWidth, boot.Screen.MinHeight = v.Width, v.Height
		}
	}
	return templates.StudyView{
		T:           t,
		Contact:     d.Contact,
		ConsentHTML: markdownHTML(d.ConsentMD),
		Reversal:    d.Phases.Reversal,
		Minutes:     estimateMinutes(d),
		Boot:        boot,
		Preview:     preview,
		Notice:      d.ConsentMD != experiments.DefaultConsent(d.Language, d.Phases.Reversal),
	}
}

// studyError renders an unknown or closed study as the participant's page
// (404); anything else goes to the error handler.
func (s *Server) studyError(c echo.Context, err error) error {
	var de *experiments.Error
	if errors.As(err, &de) && de.Code == experiments.NotFound {
		c.Response().Status = http.StatusNotFound
		return render(c, templates.StudyUnavailable(experiments.TextsFor(c.Request().Header.Get("Accept-Language"))))
	}
	return err
}

// unsupportedPage serves GET /s/{slug}/unsupported, where the runner sends
// browsers that cannot run it.
func (s *Server) unsupportedPage(c echo.Context) error {
	r := c.Request()
	link := c.Scheme() + "://" + r.Host + "/s/" + c.Param("slug")
	if r.URL.RawQuery != "" {
		link += "?" + r.URL.RawQuery
	}
	return render(c, templates.UnsupportedBrowser(experiments.TextsFor(r.Header.Get("Accept-Language")), link))
}

// stepFragment serves GET /s/{slug}/sessions/{id}/steps/{step}: the HTML of
// one step of the session's plan, with its schedule as JSON data.
// Authorised by the session's bearer token, like the participant API.
func (s *Server) stepFragment(c echo.Context) error {
	sess, err := s.participantSession(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Param("step"))
	if err != nil || n < 0 || n >= len(sess.Plan.Steps) {
		return echo.NewHTTPError(http.StatusNotFound, "no such step")
	}
	plan, err := s.viewPlan(c.Request().Context(), sess)
	if err != nil {
		return err
	}
	step := sess.Plan.Steps[n]
	d := sess.Definition
	t := d.Texts()
	switch step.Kind {
	case experiments.StepInstructions:
		v := templates.InstructionsView{T: t, Method: string(d.Test.Method)}
		v.Parts, v.Practice = parts(t, sess.Plan)
		if d.InstructionsMD != "" {
			v.InstructionsHTML = markdownHTML(d.InstructionsMD)
		}
		return render(c, templates.Instructions(v))
	case experiments.StepTest:
		part, count := partNumber(sess.Plan, n)
		v := templates.TestView{
			T: t, Part: part, Parts: count, Method: string(step.Method), Count: step.TrialCount,
			Practice: step.Phase == experiments.PhasePractice, AutoStart: step.StartDelayMS != nil,
			Catch: slices.ContainsFunc(sess.Plan.Trials[step.FirstTrial:step.FirstTrial+step.TrialCount],
				func(t experiments.Trial) bool { return t.Catch }),
			Data: testData(sess, plan, step),
		}
		if v.Practice && step.TrialCount > 0 {
			v.Method = string(sess.Plan.Trials[step.FirstTrial].Method) // red/green practice in a staircase study
			v.Feedback = sess.Plan.Trials[step.FirstTrial].Feedback
		}
		return render(c, templates.TestBlock(v))
	case experiments.StepInduction:
		part, count := partNumber(sess.Plan, n)
		return render(c, templates.Induction(templates.InductionView{
			T: t, Part: part, Parts: count,
			Reversal: step.Phase == experiments.PhaseReversal,
			Duration: describeDuration(t, step.Induction.DurationMS),
			Data: inductionData{Step: n, Phase: string(step.Phase), SizePx: sess.Plan.SizePx,
				RestartAfterMS: int(math.Round(d.Induction.MaxGap() * 1000)), Schedule: step.Induction,
				StimulusURLs: plan.Steps[n].StimulusURLs, Texts: t.Step()},
		}))
	case experiments.StepScreening:
		data := testData(sess, plan, step)
		patches := 0
		if len(data.Trials) > 0 {
			patches = data.Trials[0].Patches
		}
		return render(c, templates.Screening(templates.ScreeningView{T: t, Count: step.TrialCount, Patches: patches, Data: data}))
	case experiments.StepDebrief:
		v := templates.DebriefView{T: t, Contact: d.Contact, DebriefHTML: markdownHTML(d.DebriefMD)}
		for _, st := range sess.Plan.Steps {
			if st.Kind == experiments.StepInduction && st.Phase == experiments.PhaseReversal {
				v.Reversal = describeDuration(t, st.Induction.DurationMS)
			}
		}
		return render(c, templates.Debrief(v))
	}
	// Consent and screen check are part of the study page itself.
	return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("step %d (%s) has no fragment", n, step.Kind))
}

// finishedFragment serves GET /s/{slug}/sessions/{id}/finished: the
// completion code of a completed session (409 before completion).
func (s *Server) finishedFragment(c echo.Context) error {
	sess, err := s.participantSession(c)
	if err != nil {
		return err
	}
	st, err := s.db.SessionState(c.Request().Context(), sess.ID, bearerToken(c))
	if err != nil {
		return err
	}
	if st.Status != experiments.StatusComplete || st.CompletionCode == "" {
		return experiments.Errorf(experiments.Conflict, "the session is not complete yet")
	}
	v := templates.FinishedView{T: sess.Definition.Texts(), Code: st.CompletionCode, RedirectURL: sess.Definition.CompletionRedirect(st.CompletionCode)}
	if st.CompletedAt != nil {
		if f, ok := sess.Plan.PendingFollowup(st.Stored, *st.CompletedAt, s.now()); ok {
			v.Followup, v.FollowupReady = true, f.Ready
			v.FollowupFrom = followupDate(sess.Definition.Language, f.From)
		}
	}
	return render(c, templates.Finished(v))
}

// endedFragment serves GET /s/{slug}/sessions/{id}/ended: why a withdrawn
// or screened-out session stopped, with its reference (409 for any other).
// It is, with GET /api/v1/sessions/{id} and the withdrawal itself, what a
// withdrawn session still answers: the participant sees the confirmation.
func (s *Server) endedFragment(c echo.Context) error {
	st, err := s.db.SessionState(c.Request().Context(), c.Param("id"), bearerToken(c))
	if err != nil {
		return err
	}
	sess := st.Session
	if sess.Slug != c.Param("slug") {
		return experiments.Errorf(experiments.NotFound, "no session %q in study %q", c.Param("id"), c.Param("slug"))
	}
	v := templates.EndedView{T: sess.Definition.Texts(), Contact: sess.Definition.Contact, Reason: st.StatusReason, SessionID: sess.ID}
	switch st.Status {
	case experiments.StatusWithdrawn:
		v.Reason = experiments.StatusWithdrawn
	case experiments.StatusScreenedOut:
		if sc := sess.Definition.Screening; sc != nil && sc.MinViewport != nil {
			v.MinWidth, v.MinHeight = sc.MinViewport.Width, sc.MinViewport.Height
		}
	default:
		return experiments.Errorf(experiments.Conflict, "the session has not ended early (it is %s)", st.Status)
	}
	return render(c, templates.Ended(v))
}

// participantSession is the session of a fragment request, authorised by its
// bearer token and belonging to the study of the URL.
func (s *Server) participantSession(c echo.Context) (storage.Session, error) {
	sess, err := s.db.SessionPlan(c.Request().Context(), c.Param("id"), bearerToken(c))
	if err != nil {
		return storage.Session{}, err
	}
	if sess.Slug != c.Param("slug") {
		return storage.Session{}, experiments.Errorf(experiments.NotFound, "no session %q in study %q", c.Param("id"), c.Param("slug"))
	}
	return sess, nil
}

// testStepData is a test block's schedule as the runner reads it.
type testStepData struct {
	Step       int    `json:"step"`
	Phase      string `json:"phase"`
	Block      int    `json:"block"`
	Method     string `json:"method"`
	SizePx     int    `json:"size_px"`
	FixationMS int    `json:"fixation_ms"`
	// FeedbackMS is how long a practice trial's feedback stays up.
	FeedbackMS int `json:"feedback_ms"`
	// The block's pacing (experiments.TestBlock): the pause after each
	// answer, a rest of BreakMS every BreakEvery trials, and for a block
	// that starts by itself the delay after the previous step.
	FirstTrial   int  `json:"first_trial"`
	TrialCount   int  `json:"trial_count"`
	ITIMS        int  `json:"iti_ms"`
	BreakEvery   int  `json:"break_every"`
	BreakMS      int  `json:"break_ms"`
	StartDelayMS *int `json:"start_delay_ms"`
	// Trials of a constant-stimuli or adjustment block; a staircase block
	// asks GET /api/v1/sessions/{id}/next for each of its trials instead.
	Trials []trialView `json:"trials"`
	// StimulusURL gives a test pattern at any tint (adjustment).
	StimulusURL string `json:"stimulus_url,omitempty"`
	// Texts the runner shows inside the step (experiments.Texts.Step).
	Texts map[string]string `json:"texts"`
}

func testData(sess storage.Session, plan planView, step experiments.Step) testStepData {
	d := testStepData{Step: step.Index, Phase: string(step.Phase), Block: step.Block, Method: string(step.Method),
		SizePx: sess.Plan.SizePx, FixationMS: fixationMS, FeedbackMS: feedbackMS, Trials: []trialView{},
		FirstTrial: step.FirstTrial, TrialCount: step.TrialCount, ITIMS: step.ITIMS, BreakEvery: step.BreakEvery,
		BreakMS: step.BreakMS, StartDelayMS: step.StartDelayMS, Texts: sess.Definition.Texts().Step()}
	if step.Method == experiments.Staircase {
		return d
	}
	d.Trials = plan.Trials[step.FirstTrial : step.FirstTrial+step.TrialCount]
	if step.Method == experiments.Adjustment {
		d.StimulusURL = "/api/v1/sessions/" + sess.ID + "/stimulus.png"
	}
	return d
}

// inductionData is an induction step's schedule as the runner reads it.
type inductionData struct {
	Step   int    `json:"step"`
	Phase  string `json:"phase"`
	SizePx int    `json:"size_px"`
	// RestartAfterMS is induction.max_gap_s: a longer time out of sight
	// starts the induction again from the beginning (DESIGN.md §5).
	RestartAfterMS int                            `json:"restart_after_ms"`
	Schedule       *experiments.InductionSchedule `json:"schedule"`
	// StimulusURLs by "pattern/color", as in the plan view.
	StimulusURLs map[string]string `json:"stimulus_urls"`
	// Texts the runner shows inside the step (experiments.Texts.Step).
	Texts map[string]string `json:"texts"`
}

// parts lists the numbered parts for the instructions, and says how long
// the practice before them takes ("" without one).
func parts(t experiments.Texts, p experiments.Plan) (numberedParts []templates.Part, practice string) {
	for _, s := range p.Steps {
		switch {
		case s.Kind == experiments.StepTest && s.Phase == experiments.PhasePractice:
			practice = describeDuration(t, testMS(s, p))
		case !numbered(s):
		case s.Kind == experiments.StepInduction:
			numberedParts = append(numberedParts, templates.Part{Kind: "induction", Label: describeDuration(t, s.Induction.DurationMS)})
		default:
			numberedParts = append(numberedParts, templates.Part{Kind: "test", Label: describeDuration(t, testMS(s, p))})
		}
	}
	return numberedParts, practice
}

// numbered reports whether a step is one of the numbered parts ("Part 2
// of 3"): the required test and induction steps; the practice is not.
func numbered(s experiments.Step) bool {
	return !s.Optional && s.Phase != experiments.PhasePractice &&
		(s.Kind == experiments.StepTest || s.Kind == experiments.StepInduction)
}

// partNumber is the position of step n among the numbered parts; 0 for
// the practice.
func partNumber(p experiments.Plan, n int) (part, count int) {
	for _, s := range p.Steps {
		if !numbered(s) {
			continue
		}
		count++
		if s.Index == n {
			part = count
		}
	}
	switch {
	case p.Steps[n].Phase == experiments.PhasePractice:
	case part == 0: // an optional step (follow-up, reversal): numbered after the others
		count++
		part = count
	}
	return part, count
}

// feedbackMS is how long the runner shows a practice trial's feedback.
const feedbackMS = 1200

// testMS estimates how long a test block takes a participant.
func testMS(s experiments.Step, p experiments.Plan) int {
	per := fixationMS + s.ITIMS + 1500 // fixation, about 1.5 s to answer, the pause after
	if s.TrialCount > 0 {
		t := p.Trials[s.FirstTrial]
		per += t.DurationMS
		if t.Method == experiments.Adjustment {
			per = 8000
		}
		if t.Feedback {
			per += feedbackMS
		}
	}
	ms := s.TrialCount * per
	if s.Method == experiments.Staircase && len(s.Staircases) > 0 {
		// Staircases usually stop on reversals well before max_trials.
		ms = ms * 2 / 3
	}
	if s.BreakEvery > 0 && s.TrialCount > 0 {
		ms += (s.TrialCount - 1) / s.BreakEvery * s.BreakMS
	}
	if s.StartDelayMS != nil {
		ms += *s.StartDelayMS
	}
	return ms
}

// estimateMinutes is a generous estimate of a session's length for the
// consent page: reading, the screen check, every required part.
func estimateMinutes(d experiments.Definition) int {
	p, err := experiments.NewPlan(d, 1, experiments.ConditionForArm(0))
	if err != nil {
		return 10
	}
	ms := 3 * 60 * 1000 // consent, screen check, instructions, debrief
	for _, s := range p.Steps {
		switch {
		case s.Optional:
		case s.Kind == experiments.StepInduction:
			ms += s.Induction.DurationMS
		case s.Kind == experiments.StepTest:
			ms += testMS(s, p)
		case s.Kind == experiments.StepScreening:
			ms += s.TrialCount * 5000
		}
	}
	return int(math.Ceil(float64(ms) / 60000))
}

// describeDuration says a duration the way a person would, in the
// study's language.
func describeDuration(t experiments.Texts, ms int) string {
	sec := int(math.Round(float64(ms) / 1000))
	minutes := t.Get("duration.minutes", "n", int(math.Round(float64(sec)/60)))
	switch {
	case sec < 60:
		return t.Get("duration.seconds", "n", max(sec, 1))
	case sec%60 == 0 || sec >= 600:
		return minutes
	default:
		return t.Get("duration.about", "duration", minutes)
	}
}

// followupDate says when the follow-up opens: with the weekday in English,
// numerically (ISO 8601 date) in other languages, in UTC.
func followupDate(lang string, at time.Time) string {
	if lang == "" || lang == "en" || strings.HasPrefix(lang, "en-") {
		return at.UTC().Format("Monday 2 January 2006, 15:04 UTC")
	}
	return at.UTC().Format("2006-01-02, 15:04 UTC")
}
