package server

import (
	"strconv"
	"strings"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/templates"
)

// The protocol editor's inputs for the options around the protocol: the
// screening, the exclusion rules, the language and its texts, and the
// contact. Every text of the study has an input ("texts.<key>"); an empty
// one, or one holding the built-in text, keeps the built-in text.

var optionInputNames = []string{
	"induction.max_gap_s", "phases.post_delay_s", "practice.trials", "practice.feedback", "practice.tint",
	"test.catch_trials", "test.catch_tint", "test.break_every", "test.break_s", "test.iti_ms", "test.response_window_ms",
	"screening.enabled", "screening.levels", "screening.patches", "screening.min_correct",
	"screening.min_viewport.width", "screening.min_viewport.height", "screening.desktop_only",
	"exclusions.min_catch_accuracy", "exclusions.max_dropped_frame_rate", "exclusions.min_refresh_hz",
	"exclusions.max_refresh_hz", "exclusions.max_refresh_sd_ms", "exclusions.max_fullscreen_exits",
	"exclusions.max_induction_restarts", "exclusions.exclude_separated",
	"language", "contact.name", "contact.email",
}

func textInputNames() []string {
	keys := experiments.TextKeys()
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = "texts." + k
	}
	return out
}

// optionAliases place errors of option fields without an input of their own.
var optionAliases = map[string]string{
	"screening":              "screening.enabled",
	"screening.min_viewport": "screening.min_viewport.width",
	"exclusions":             "exclusions.min_catch_accuracy",
	"contact":                "contact.name",
	"texts":                  "language",
}

// putOptions writes the options of d into the editor's values.
func putOptions(v map[string]string, d experiments.Definition) {
	v["induction.max_gap_s"] = numPtr(d.Induction.MaxGapS)
	v["phases.post_delay_s"] = numOrEmpty(d.Phases.PostDelayS)
	v["practice.trials"], v["practice.tint"], v["practice.feedback"] = "", "", "on"
	if pr := d.Practice; pr != nil {
		v["practice.trials"] = strconv.Itoa(pr.Trials)
		v["practice.tint"] = numOrEmpty(pr.Tint)
		v["practice.feedback"] = onOff(pr.Feedback == nil || *pr.Feedback)
	}
	t := d.Test
	v["test.catch_trials"], v["test.catch_tint"] = intOrEmpty(t.CatchTrials), numOrEmpty(t.CatchTint)
	v["test.break_every"], v["test.break_s"] = intOrEmpty(t.BreakEvery), numOrEmpty(t.BreakS)
	v["test.iti_ms"], v["test.response_window_ms"] = intPtr(t.ITIMS), intOrEmpty(t.ResponseWindowMS)
	sc := d.Screening
	v["screening.enabled"] = onOff(sc.On())
	if sc != nil && sc.On() {
		v["screening.levels"] = nums(sc.Levels)
		v["screening.patches"] = strconv.Itoa(sc.Patches)
		v["screening.min_correct"] = strconv.Itoa(sc.MinCorrect)
		if mv := sc.MinViewport; mv != nil {
			v["screening.min_viewport.width"] = strconv.Itoa(mv.Width)
			v["screening.min_viewport.height"] = strconv.Itoa(mv.Height)
		}
		v["screening.desktop_only"] = onOff(sc.DesktopOnly)
	}
	if x := d.Exclusions; x != nil {
		v["exclusions.min_catch_accuracy"] = numPtr(x.MinCatchAccuracy)
		v["exclusions.max_dropped_frame_rate"] = numPtr(x.MaxDroppedFrameRate)
		v["exclusions.min_refresh_hz"] = numPtr(x.MinRefreshHz)
		v["exclusions.max_refresh_hz"] = numPtr(x.MaxRefreshHz)
		v["exclusions.max_refresh_sd_ms"] = numPtr(x.MaxRefreshSDMS)
		v["exclusions.max_fullscreen_exits"] = intPtr(x.MaxFullscreenExits)
		v["exclusions.max_induction_restarts"] = intPtr(x.MaxInductionRestarts)
		v["exclusions.exclude_separated"] = onOff(x.SeparatedExcludes())
	}
	v["language"] = d.Language
	if c := d.Contact; c != nil {
		v["contact.name"], v["contact.email"] = c.Name, c.Email
	}
	for k, s := range d.TextOverrides {
		v["texts."+k] = s
	}
}

func numOrEmpty(f float64) string {
	if f == 0 {
		return ""
	}
	return num(f)
}

func intOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func intPtr(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// intPtr is an optional whole number: empty is nil.
func (p *formParser) intPtr(name string) *int {
	if p.str(name) == "" {
		return nil
	}
	n := p.int(name)
	return &n
}

// options reads the option inputs into d.
func (p *formParser) options(d *experiments.Definition) {
	d.Induction.MaxGapS = p.floatPtr("induction.max_gap_s")
	d.Phases.PostDelayS = p.float("phases.post_delay_s")
	if n := p.int("practice.trials"); n != 0 {
		d.Practice = &experiments.Practice{Trials: n, Feedback: new(p.checked("practice.feedback")), Tint: p.float("practice.tint")}
	}
	d.Test.CatchTrials, d.Test.CatchTint = p.int("test.catch_trials"), p.float("test.catch_tint")
	d.Test.BreakEvery, d.Test.BreakS = p.int("test.break_every"), p.float("test.break_s")
	d.Test.ITIMS, d.Test.ResponseWindowMS = p.intPtr("test.iti_ms"), p.int("test.response_window_ms")
	if p.checked("screening.enabled") {
		sc := &experiments.Screening{Enabled: new(true), Levels: p.floats("screening.levels"),
			Patches: p.int("screening.patches"), MinCorrect: p.int("screening.min_correct"),
			DesktopOnly: p.checked("screening.desktop_only")}
		if w, h := p.str("screening.min_viewport.width"), p.str("screening.min_viewport.height"); w != "" || h != "" {
			sc.MinViewport = &experiments.Viewport{Width: p.int("screening.min_viewport.width"), Height: p.int("screening.min_viewport.height")}
		}
		d.Screening = sc
	} else {
		d.Screening = &experiments.Screening{Enabled: new(false)}
	}
	d.Exclusions = &experiments.Exclusions{
		MinCatchAccuracy:     p.floatPtr("exclusions.min_catch_accuracy"),
		MaxDroppedFrameRate:  p.floatPtr("exclusions.max_dropped_frame_rate"),
		MinRefreshHz:         p.floatPtr("exclusions.min_refresh_hz"),
		MaxRefreshHz:         p.floatPtr("exclusions.max_refresh_hz"),
		MaxRefreshSDMS:       p.floatPtr("exclusions.max_refresh_sd_ms"),
		MaxFullscreenExits:   p.intPtr("exclusions.max_fullscreen_exits"),
		MaxInductionRestarts: p.intPtr("exclusions.max_induction_restarts"),
		ExcludeSeparated:     new(p.checked("exclusions.exclude_separated")),
	}
	d.Language = p.str("language")
	if name, email := p.str("contact.name"), p.str("contact.email"); name != "" || email != "" {
		d.Contact = &experiments.Contact{Name: name, Email: email}
	}
	for _, k := range experiments.TextKeys() {
		s := strings.TrimSpace(p.v["texts."+k])
		if s == "" || s == experiments.BuiltinText(d.Language, k) {
			continue
		}
		if d.TextOverrides == nil {
			d.TextOverrides = map[string]string{}
		}
		d.TextOverrides[k] = s
	}
}

// textRows are the editor's list of texts, each with its built-in
// wording in lang (the input's placeholder).
func textRows(lang string) []templates.TextRow {
	keys := experiments.TextKeys()
	rows := make([]templates.TextRow, 0, len(keys))
	for _, k := range keys {
		builtin := experiments.BuiltinText(lang, k)
		if builtin == "" {
			builtin = experiments.BuiltinText(experiments.DefaultLanguage, k)
		}
		if builtin == "" {
			continue // a plural form this language does not use
		}
		rows = append(rows, templates.TextRow{Key: k, Builtin: builtin})
	}
	return rows
}
