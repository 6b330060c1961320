package storage

import (
	"context"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mccollough/mccollough/experiments"
)

// sessionColumn is one column of sessions.csv: its codebook entry and how a
// session's record fills it.
type sessionColumn struct {
	experiments.Variable
	cell func(r SessionRecord, judged []experiments.Judged) string
}

func itoa(n int) string { return strconv.Itoa(n) }

// num formats a float in the shortest exact form; NaN is an empty cell.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// positive is an empty cell for a value that was not measured (0).
func positive(v float64) string {
	if v <= 0 {
		return ""
	}
	return num(v)
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func size(v *experiments.Viewport, height bool) string {
	switch {
	case v == nil:
		return ""
	case height:
		return itoa(v.Height)
	}
	return itoa(v.Width)
}

// human is the cell for facts only a person's browser reports.
func human(r SessionRecord, s string) string {
	if r.Kind != experiments.KindHuman {
		return ""
	}
	return s
}

func col(name, typ, unit, meaning string, cell func(SessionRecord, []experiments.Judged) string, levels ...experiments.Level) sessionColumn {
	return sessionColumn{experiments.Variable{Name: name, Type: typ, Unit: unit, Meaning: meaning, Levels: levels}, cell}
}

func param(name string) func(SessionRecord, []experiments.Judged) string {
	return func(r SessionRecord, _ []experiments.Judged) string { return r.Params[name] }
}

var flagLevels = []experiments.Level{
	{Value: experiments.FlagRefresh, Meaning: "refresh rate outside the range of exclusions.min_refresh_hz–max_refresh_hz, or frame intervals varying more than max_refresh_sd_ms"},
	{Value: experiments.FlagDroppedFrames, Meaning: "more test-stimulus frames dropped than exclusions.max_dropped_frame_rate"},
	{Value: experiments.FlagCatch, Meaning: "catch accuracy below exclusions.min_catch_accuracy"},
	{Value: experiments.FlagFullscreen, Meaning: "left full screen more often than exclusions.max_fullscreen_exits"},
	{Value: experiments.FlagInductionInterrupted, Meaning: "the induction started again more often than exclusions.max_induction_restarts"},
}

// sessionColumns are sessions.csv's columns, in order.
var sessionColumns = []sessionColumn{
	col("experiment", "string", "", "Experiment slug (the study link's name).", func(r SessionRecord, _ []experiments.Judged) string { return r.Experiment }),
	col("version", "integer", "", "Version of the experiment definition the session ran.", func(r SessionRecord, _ []experiments.Judged) string { return itoa(r.Version) }),
	col("session_id", "string", "", "Session identifier (UUID); the key into export.csv and summary.csv.", func(r SessionRecord, _ []experiments.Judged) string { return r.ID }),
	col("participant_kind", "string", "", "Who took part.", func(r SessionRecord, _ []experiments.Judged) string { return r.Kind },
		experiments.Level{Value: experiments.KindHuman, Meaning: "a person in a browser"}, experiments.Level{Value: experiments.KindModel, Meaning: "the ConvNet observer"}),
	col("participant_id", "string", "", "Recruiter's participant id (PROLIFIC_PID or a pid parameter), or the model descriptor.",
		func(r SessionRecord, _ []experiments.Judged) string { return r.ParticipantRef }),
	col("PROLIFIC_PID", "string", "", "The study link's PROLIFIC_PID parameter (Prolific's participant id).", param("PROLIFIC_PID")),
	col("STUDY_ID", "string", "", "The study link's STUDY_ID parameter (Prolific's study id).", param("STUDY_ID")),
	col("SESSION_ID", "string", "", "The study link's SESSION_ID parameter (Prolific's submission id).", param("SESSION_ID")),
	col("status", "string", "", "Where the session ended up.", func(r SessionRecord, _ []experiments.Judged) string { return r.Status },
		experiments.Level{Value: experiments.StatusStarted, Meaning: "started, not (yet) complete"},
		experiments.Level{Value: experiments.StatusComplete, Meaning: "every required trial stored; the completion code was given"},
		experiments.Level{Value: experiments.StatusWithdrawn, Meaning: "the participant withdrew; their answers are deleted"},
		experiments.Level{Value: experiments.StatusScreenedOut, Meaning: "stopped by the screening before any test (status_reason says why)"}),
	col("status_reason", "string", "", "Why a session was screened out.", func(r SessionRecord, _ []experiments.Judged) string { return r.StatusReason },
		experiments.Level{Value: experiments.ScreenReasonColorVision, Meaning: "too few screening trials right"},
		experiments.Level{Value: experiments.ScreenReasonViewport, Meaning: "browser window smaller than screening.min_viewport"},
		experiments.Level{Value: experiments.ScreenReasonTouchDevice, Meaning: "a touch-only device where screening.desktop_only is set"}),
	col("condition", "integer", "", "Counterbalancing arm.", func(r SessionRecord, _ []experiments.Judged) string { return itoa(r.Condition) },
		experiments.Level{Value: "0", Meaning: "red paired with pattern a, green with b"}, experiments.Level{Value: "1", Meaning: "red paired with pattern b, green with a"}),
	col("model_mechanism", "string", "", "The model's adaptation mechanism (model rows only).", func(r SessionRecord, _ []experiments.Judged) string { return r.Mechanism }),
	col("model_network", "string", "", "The model's network (weights digest; model rows only).", func(r SessionRecord, _ []experiments.Judged) string { return r.Network }),
	col("started_at", "datetime", "ISO 8601 UTC", "When the session was created (after the screen check).", func(r SessionRecord, _ []experiments.Judged) string { return isoTime(r.StartedAt) }),
	col("ended_at", "datetime", "ISO 8601 UTC", "When the session completed; for any other status, its last activity (answer, event or status change).",
		func(r SessionRecord, _ []experiments.Judged) string { return isoTime(r.EndedAt) }),
	col("duration_s", "number", "s", "ended_at − started_at.", func(r SessionRecord, _ []experiments.Judged) string {
		return num(math.Round(r.EndedAt.Sub(r.StartedAt).Seconds()*1000) / 1000)
	}),
	col("browser", "string", "", "Browser family, from the User-Agent header at session creation (the header itself is not stored), e.g. Chrome, Edge, Firefox, Safari.",
		func(r SessionRecord, _ []experiments.Judged) string { return r.Device.Browser }),
	col("browser_version", "integer", "", "The browser's major version.", func(r SessionRecord, _ []experiments.Judged) string {
		if r.Device.BrowserVersion == 0 {
			return ""
		}
		return itoa(r.Device.BrowserVersion)
	}),
	col("os", "string", "", "Operating system family, e.g. Windows, MacOS, Linux, ChromeOS, iOS, Android.", func(r SessionRecord, _ []experiments.Judged) string { return r.Device.OS }),
	col("device_type", "string", "", "Device type from the User-Agent header (Bot for automated browsers such as headless Chrome).",
		func(r SessionRecord, _ []experiments.Judged) string { return r.Device.Type },
		experiments.Level{Value: "Desktop", Meaning: "a computer"}, experiments.Level{Value: "Mobile", Meaning: "a phone"},
		experiments.Level{Value: "Tablet", Meaning: "a tablet"}, experiments.Level{Value: "TV", Meaning: "a television"},
		experiments.Level{Value: "Bot", Meaning: "an automated browser"}),
	col("viewport_width", "integer", "CSS px", "Browser window's inner width at the screen check.", func(r SessionRecord, _ []experiments.Judged) string { return size(r.Facts.Screen.Viewport, false) }),
	col("viewport_height", "integer", "CSS px", "Browser window's inner height at the screen check.", func(r SessionRecord, _ []experiments.Judged) string { return size(r.Facts.Screen.Viewport, true) }),
	col("screen_width", "integer", "CSS px", "The screen's width.", func(r SessionRecord, _ []experiments.Judged) string { return size(r.Facts.Screen.ScreenSize, false) }),
	col("screen_height", "integer", "CSS px", "The screen's height.", func(r SessionRecord, _ []experiments.Judged) string { return size(r.Facts.Screen.ScreenSize, true) }),
	col("device_pixel_ratio", "number", "device px per CSS px", "window.devicePixelRatio at the screen check.",
		func(r SessionRecord, _ []experiments.Judged) string { return positive(r.Facts.Screen.DevicePixelRatio) }),
	col("refresh_hz", "number", "Hz", "Refresh rate measured in the screen check.", func(r SessionRecord, _ []experiments.Judged) string { return positive(r.Facts.Screen.RefreshHz) }),
	col("refresh_sd_ms", "number", "ms", "Standard deviation of the frame intervals measured in the screen check.",
		func(r SessionRecord, _ []experiments.Judged) string { return human(r, num(r.Facts.Screen.RefreshSDMS)) }),
	col("pointer", "string", "", "The CSS pointer media feature.", func(r SessionRecord, _ []experiments.Judged) string { return r.Facts.Screen.Pointer },
		experiments.Level{Value: "fine", Meaning: "a mouse or trackpad"}, experiments.Level{Value: "coarse", Meaning: "touch only"}, experiments.Level{Value: "none", Meaning: "no pointer"}),
	col("fullscreen_exits", "integer", "", "Times the participant left full screen during the protocol (the runner's own exit at the end is not counted).",
		func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.Facts.FullscreenExits)) }),
	col("hidden_count", "integer", "", "Times the study's tab was hidden (another tab or window in front).",
		func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.Facts.HiddenCount)) }),
	col("induction_pauses", "integer", "", "Times the induction paused because its stimulus was not visible.",
		func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.Facts.InductionPauses)) }),
	col("induction_restarts", "integer", "", "Times the induction started again from the beginning (a long pause, or a reload).",
		func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.Facts.InductionRestarts)) }),
	col("screening_trials", "integer", "", "Screening trials answered (empty without screening).", screeningCell(func(r SessionRecord) string { return itoa(r.ScreeningTrials) })),
	col("screening_correct", "integer", "", "Screening trials answered right: the tinted patch picked.", screeningCell(func(r SessionRecord) string { return itoa(r.ScreeningCorrect) })),
	col("screening_needed", "integer", "", "Screening trials that must be right to pass (the version's screening.min_correct).",
		screeningCell(func(r SessionRecord) string { return itoa(r.ScreeningNeeded) })),
	col("screening_passed", "boolean", "", "screening_correct ≥ screening_needed.",
		screeningCell(func(r SessionRecord) string { return strconv.FormatBool(r.ScreeningCorrect >= r.ScreeningNeeded) })),
	col("catch_trials", "integer", "", "Catch trials answered (strongly tinted trials that check attention).", func(r SessionRecord, _ []experiments.Judged) string { return itoa(r.Facts.CatchTrials) }),
	col("catch_correct", "integer", "", "Catch trials answered with the colour shown.", func(r SessionRecord, _ []experiments.Judged) string { return itoa(r.Facts.CatchCorrect) }),
	col("catch_accuracy", "number", "proportion", "catch_correct / catch_trials (empty without catch trials).", func(r SessionRecord, _ []experiments.Judged) string { return num(r.Facts.CatchAccuracy()) }),
	col("test_frames", "integer", "frames", "Frames the test stimuli were on screen, summed over the test trials.",
		func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.Facts.TestFrames)) }),
	col("dropped_frames", "integer", "frames", "Frames dropped or late during the test stimuli, summed over the test trials.",
		func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.Facts.DroppedFrames)) }),
	col("dropped_frame_rate", "number", "proportion", "dropped_frames / test_frames (empty without test frames).",
		func(r SessionRecord, _ []experiments.Judged) string { return num(r.Facts.DroppedFrameRate()) }),
	col("answers_key", "integer", "", "Answers given with a key press.", func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.AnswersKey)) }),
	col("answers_click", "integer", "", "Answers given with a mouse click.", func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.AnswersClick)) }),
	col("answers_touch", "integer", "", "Answers given by tapping a touch screen.", func(r SessionRecord, _ []experiments.Judged) string { return human(r, itoa(r.AnswersTouch)) }),
	col("timeouts", "integer", "", "Trials not answered within the response window.", func(r SessionRecord, _ []experiments.Judged) string { return itoa(r.Timeouts) }),
	col("flags", "string", "", "The exclusion rules of the session's version that it breaks, separated by ';' (empty: none). A flagged session is excluded from the results.",
		func(_ SessionRecord, js []experiments.Judged) string {
			flags := make([]string, len(js))
			for i, j := range js {
				flags[i] = j.Flag
			}
			return strings.Join(flags, ";")
		}, flagLevels...),
	col("flag_details", "string", "", "Why, in numbers, for each flag, separated by ';'.", func(_ SessionRecord, js []experiments.Judged) string {
		details := make([]string, len(js))
		for i, j := range js {
			details[i] = j.Detail
		}
		return strings.Join(details, "; ")
	}),
}

// screeningCell is empty for sessions without screening answers (models,
// versions without screening, sessions stopped before it).
func screeningCell(f func(SessionRecord) string) func(SessionRecord, []experiments.Judged) string {
	return func(r SessionRecord, _ []experiments.Judged) string {
		if r.ScreeningTrials == 0 || r.ScreeningNeeded == 0 {
			return ""
		}
		return f(r)
	}
}

// SessionVariables is sessions.csv's codebook: every column, in order.
func SessionVariables() []experiments.Variable {
	out := make([]experiments.Variable, len(sessionColumns))
	for i, c := range sessionColumns {
		out[i] = c.Variable
	}
	return out
}

// WriteSessionsCSV writes sessions.csv: one row per session of the
// experiment, with the facts to exclude by and the flags of its version's
// exclusion rules. Rows are streamed as they are read.
func (db *DB) WriteSessionsCSV(ctx context.Context, experimentID int64, f SessionFilter, w io.Writer) error {
	cw := NewCSVWriter(w) // no spreadsheet formulas (csvsafe.go)
	header := make([]string, len(sessionColumns))
	for i, c := range sessionColumns {
		header[i] = c.Name
	}
	_ = cw.Write(header)
	row := make([]string, len(sessionColumns))
	err := db.SessionRecords(ctx, experimentID, f, func(r SessionRecord) error {
		judged := r.Exclusions.Judge(r.Facts)
		for i, c := range sessionColumns {
			row[i] = c.cell(r, judged)
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	return cw.Flush()
}
