package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/mccollough/mccollough/stimuli"
)

// Event is one timing or visibility event a runner reports: phase starts and
// ends, tab hidden/visible, fullscreen exits, frame-timing statistics.
type Event struct {
	// Seq numbers a session's events from 0; resending a batch is harmless.
	Seq  int    `json:"seq"`
	Kind string `json:"kind"`
	// ClientMS is the runner's clock (performance.now()) at the event.
	ClientMS float64 `json:"t_ms"`
	// Data is a small JSON object of event-specific values.
	Data json.RawMessage `json:"data,omitempty"`
}

// Event kinds the participant's runner reports, with their data fields.
// sessions.csv and the exclusion rules count them, so a kind is renamed only
// together with its readers. Times are ms on the runner's clock; "step" is
// the plan step's index; "state" the runner's screen (body[data-state]).
const (
	// Page visibility, any time: the tab hidden/shown, full screen entered
	// or left (or refused by the browser), the window losing/regaining the
	// focus. data: {state}; fullscreen_refused: {reason}.
	EventHidden            = "hidden"
	EventVisible           = "visible"
	EventBlur              = "blur"
	EventFocus             = "focus"
	EventFullscreenEnter   = "fullscreen_enter"
	EventFullscreenExit    = "fullscreen_exit"
	EventFullscreenRefused = "fullscreen_refused"

	// EventScreenCheck: {hz, sd_ms, dpr, viewport, pointer, fullscreen, ok}.
	EventScreenCheck = "screen_check"
	// EventResume: the page was reloaded and the session resumed at
	// {step, stored, hz}.
	EventResume = "resume"

	// Induction. Start {step, phase, attempt}; end {step, attempt, frames,
	// dropped_frames, measured_ms, intended_ms}.
	EventInductionStart = "induction_start"
	EventInductionEnd   = "induction_end"
	// EventInductionPause: the stimulus stopped being visible {step,
	// reason: hidden | fullscreen_exit | blur} (the first cause; a
	// minimised window blurs before it hides). Only such time counts
	// towards induction.max_gap_s; time in the platform's own dialogs does
	// not (see EventInductionHold).
	EventInductionPause = "induction_pause"
	// EventInductionResume: the induction went on after a pause {step,
	// away_ms, reasons} (away_ms: time the stimulus was really out of
	// sight; reasons: every cause during the pause).
	EventInductionResume = "induction_resume"
	// EventInductionRestart: the induction started again from the
	// beginning {step, reason, reasons, away_ms}: after a pause longer than
	// max_gap_s (reason: its gravest cause, hidden > fullscreen_exit >
	// blur), or {step, reason: "reload"} after a reload.
	EventInductionRestart = "induction_restart"
	// EventInductionHold: the induction was held while a platform dialog
	// was open {step, reason: withdraw_dialog, held_ms}; not a pause.
	EventInductionHold = "induction_hold"

	// Test blocks. Start {step, phase, block, trials}; end {step, block, n,
	// within, dropped, period_ms}.
	EventTestStart = "test_start"
	EventTestEnd   = "test_end"
	// EventBreak: a rest screen {step, block, after (trials done), ms}.
	EventBreak = "break"
	// EventPostCountdown: the dark wait before the post test {step, ms},
	// which then starts by itself.
	EventPostCountdown = "post_countdown"

	// The debrief's choice, and the follow-up visit.
	EventReversalChosen = "reversal_chosen"
	EventFinishChosen   = "finish_chosen"
	EventFollowupStart  = "followup_start"

	// Bookkeeping: a trial the server refused {index, status, error}; the
	// server's list of missing trials at completion {missing}; a
	// researcher's preview skipping ahead {state}.
	EventTrialRejected   = "trial_rejected"
	EventCompleteMissing = "complete_missing"
	EventPreviewSkip     = "preview_skip"
)

// Limits of an events batch, and of all the events of one session (an
// anonymous participant cannot fill the database).
const (
	MaxEventsPerBatch       = 500
	MaxEventDataBytes       = 4096
	MaxEventSeq             = 1_000_000
	MaxEventsPerSession     = 10_000
	MaxEventBytesPerSession = 8 << 20
)

var eventKindRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// DecodeEvents decodes a batch {"events": [...]} strictly and validates
// every event, reporting each problem by its path (events[3].kind).
func DecodeEvents(data []byte) ([]Event, error) {
	var batch struct {
		Events []Event `json:"events"`
	}
	if err := stimuli.DecodeStrict(data, &batch); err != nil {
		return nil, asInvalid(err)
	}
	var errs stimuli.FieldErrors
	if batch.Events == nil {
		errs.Add("events", "is required (an array of events)")
	}
	if len(batch.Events) > MaxEventsPerBatch {
		errs.Add("events", "at most %d events per batch", MaxEventsPerBatch)
	}
	for i, ev := range batch.Events {
		path := fmt.Sprintf("events[%d]", i)
		if ev.Seq < 0 || ev.Seq > MaxEventSeq {
			errs.Add(path+".seq", "must be between 0 and %d", MaxEventSeq)
		}
		if !eventKindRE.MatchString(ev.Kind) {
			errs.Add(path+".kind", "must be 1-40 lower-case letters, digits or '_', starting with a letter")
		}
		if !finite(ev.ClientMS) || ev.ClientMS < 0 || ev.ClientMS > MaxTimingMS*30 {
			errs.Add(path+".t_ms", "must be a non-negative time in ms")
		}
		if d := bytes.TrimSpace(ev.Data); len(d) > 0 {
			if len(d) > MaxEventDataBytes {
				errs.Add(path+".data", "must be at most %d bytes", MaxEventDataBytes)
			} else if d[0] != '{' {
				errs.Add(path+".data", "must be a JSON object")
			}
		}
	}
	if len(errs) > 0 {
		return nil, InvalidFields(errs)
	}
	return batch.Events, nil
}
