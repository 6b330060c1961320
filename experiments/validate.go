package experiments

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mccollough/mccollough/stimuli"
)

// Limits of a definition. They keep sessions humane and plans bounded.
const (
	MinSizePx          = 64
	MaxSizePx          = 2048
	MaxInductionS      = 3600.0
	MinSwitchS         = 0.5 // shorter frames would not be seen as frames, and bloat plans
	MinTestMS          = 50
	MaxTestMS          = 10000
	MaxAbsTint         = 100.0 // a*; far beyond anything an sRGB screen shows
	MaxTints           = 50
	MaxRepeats         = 50
	MaxExtraPatterns   = 20
	MaxSteps           = 20
	MaxReversals       = 100
	MaxStaircaseTrials = 200
	MinAdjustStep      = 0.01
	MaxAdjustStep      = 10.0
	MaxAdjustN         = 50
	MaxTrialsPerBlock  = 2000
	MaxFollowupS       = 366 * 24 * 3600.0
	MaxNameRunes       = 200
	MaxMarkdownBytes   = 100_000
	MaxURLBytes        = 2000
	MaxGapLimitS       = 600.0 // induction.max_gap_s
	MaxPostDelayS      = 600.0
	MaxITIMS           = 10000
	MaxBreakS          = 600.0
	MinResponseWindow  = 200 // ms; faster answers are not humanly possible
	MaxResponseWindow  = 60000
)

var (
	slugRE        = regexp.MustCompile(`^[a-z][a-z0-9-]{1,63}$`)
	patternNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	hexRE         = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// Validate reports every problem of a defaulted definition, with JSON paths
// as field names, so a researcher fixes them all in one go. It does not fill
// defaults: call WithDefaults first (ParseDefinition does).
func (d Definition) Validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if !slugRE.MatchString(d.Slug) {
		errs.Add("slug", "must be 2-64 characters of a-z, 0-9 and '-', starting with a letter")
	}
	name := strings.TrimSpace(d.Name)
	switch {
	case name == "":
		errs.Add("name", "is required")
	case stimuli.TextProblem(d.Name) != "":
		errs.Add("name", "%s", stimuli.TextProblem(d.Name))
	case utf8.RuneCountInString(d.Name) > MaxNameRunes:
		errs.Add("name", "must be at most %d characters", MaxNameRunes)
	}
	switch {
	case d.Pair != nil && d.PairID != nil:
		errs.Add("pair_id", "give either pair or pair_id, not both")
	case d.Pair == nil && d.PairID == nil:
		errs.Add("pair", "is required (inline patterns a and b, or pair_id)")
	case d.Pair != nil:
		errs = append(errs, d.Pair.A.Validate().Prefixed("pair.a")...)
		errs = append(errs, d.Pair.B.Validate().Prefixed("pair.b")...)
	case *d.PairID <= 0:
		errs.Add("pair_id", "must be a positive id")
	}
	errs = append(errs, d.Colors.validate().Prefixed("colors")...)
	if d.SizePx < MinSizePx || d.SizePx > MaxSizePx {
		errs.Add("size_px", "must be between %d and %d", MinSizePx, MaxSizePx)
	}
	errs = append(errs, d.Induction.validate(d.SizePx).Prefixed("induction")...)
	errs = append(errs, d.Test.validate(d.Colors.NeutralL).Prefixed("test")...)
	errs = append(errs, d.Phases.validate().Prefixed("phases")...)
	if d.Screening != nil {
		errs = append(errs, d.Screening.validate(d.Colors.NeutralL).Prefixed("screening")...)
	}
	if d.Practice != nil {
		errs = append(errs, d.Practice.validate(d.Colors.NeutralL, d.Test).Prefixed("practice")...)
	}
	if d.Exclusions != nil {
		errs = append(errs, d.Exclusions.validate().Prefixed("exclusions")...)
	}
	validateMarkdown(&errs, "consent_md", d.ConsentMD, true)
	validateMarkdown(&errs, "debrief_md", d.DebriefMD, true)
	validateMarkdown(&errs, "instructions_md", d.InstructionsMD, false)
	validateLanguage(&errs, d.Language, d.TextOverrides)
	if _, builtin := catalogues[baseLanguage(d.Language)]; !builtin && baseLanguage(d.Language) != "" {
		if isBuiltinText("consent_md", d.ConsentMD) {
			errs.Add("consent_md", "must be written in %s: there is no built-in consent in that language", d.Language)
		}
		if isBuiltinText("debrief_md", d.DebriefMD) {
			errs.Add("debrief_md", "must be written in %s: there is no built-in debrief in that language", d.Language)
		}
	}
	if d.Contact != nil {
		errs = append(errs, d.Contact.validate().Prefixed("contact")...)
	}
	if d.CompletionURL != "" {
		if msg := checkCompletionURL(d.CompletionURL); msg != "" {
			errs.Add("completion_url", "%s", msg)
		}
	}
	// Any text the database could not store (a NUL in consent_md, …),
	// found at its JSON path: JSON encodes a NUL as \u0000.
	if doc, err := json.Marshal(d); err == nil {
		errs = append(errs, stimuli.CheckJSONText(doc)...)
	}
	return errs
}

// IsSlug reports whether s could be an experiment's slug (lookups of
// anything else are NotFound without asking the database).
func IsSlug(s string) bool { return slugRE.MatchString(s) }

// validate checks the contact: a name, and one plain email address.
func (c Contact) validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	name := strings.TrimSpace(c.Name)
	switch {
	case name == "":
		errs.Add("name", "is required (who participants can write to)")
	case utf8.RuneCountInString(c.Name) > MaxNameRunes:
		errs.Add("name", "must be at most %d characters", MaxNameRunes)
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
		errs.Add("email", "must be a plain email address like lab@example.org")
	}
	return errs
}

func (c Colors) validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	for _, f := range []struct{ name, v string }{{"red", c.Red}, {"green", c.Green}, {"dark", c.Dark}} {
		if !hexRE.MatchString(f.v) {
			errs.Add(f.name, "must be an sRGB hex colour like #ce2e2e, not %q", f.v)
		}
	}
	if !finite(c.NeutralL) || c.NeutralL <= 0 || c.NeutralL >= 100 {
		errs.Add("neutral_l", "must be a CIELAB lightness greater than 0 and less than 100")
	}
	return errs
}

func (in Induction) validate(sizePx int) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	durOK := finite(in.DurationS) && in.DurationS > 0 && in.DurationS <= MaxInductionS
	if !durOK {
		errs.Add("duration_s", "must be greater than 0 and at most %g", MaxInductionS)
	}
	switch {
	case !finite(in.SwitchS) || in.SwitchS <= 0:
		errs.Add("switch_s", "must be > 0")
	case in.SwitchS < MinSwitchS:
		errs.Add("switch_s", "must be at least %g s", MinSwitchS)
	case durOK && in.SwitchS >= in.DurationS:
		errs.Add("switch_s", "must be less than duration_s (%g)", in.DurationS)
	}
	j := in.Jitter()
	switch {
	case !finite(j) || j < 0:
		errs.Add("jitter_px", "must be >= 0")
	case j > float64(max(sizePx, MinSizePx))/2:
		errs.Add("jitter_px", "must be at most half of size_px")
	}
	if g := in.MaxGap(); !finite(g) || g < 0 || g > MaxGapLimitS {
		errs.Add("max_gap_s", "must be between 0 (any interruption restarts) and %g", MaxGapLimitS)
	}
	return errs
}

func (t Test) validate(neutralL float64) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	switch t.Method {
	case ConstantStimuli, Staircase, Adjustment:
	default:
		errs.Add("method", "must be one of %s, %s, %s", ConstantStimuli, Staircase, Adjustment)
	}
	if t.DurationMS < MinTestMS || t.DurationMS > MaxTestMS {
		errs.Add("duration_ms", "must be between %d and %d", MinTestMS, MaxTestMS)
	}
	errs = append(errs, validateExtras(t.ExtraPatterns)...)
	nPatterns := 2 + len(t.ExtraPatterns)
	perBlock := 0

	if t.Method == ConstantStimuli {
		errs = append(errs, validateTints(t.Tints)...)
		for i, v := range t.Tints {
			if msg := outOfGamut(v, neutralL); msg != "" {
				errs.Add(fmt.Sprintf("tints[%d]", i), "%s", msg)
			}
		}
		if t.Repeats < 1 || t.Repeats > MaxRepeats {
			errs.Add("repeats", "must be between 1 and %d", MaxRepeats)
		}
		perBlock = len(t.Tints) * t.Repeats * nPatterns
	} else {
		if t.Tints != nil {
			errs.Add("tints", "applies only to method %s", ConstantStimuli)
		}
		if t.Repeats != 0 {
			errs.Add("repeats", "applies only to method %s", ConstantStimuli)
		}
	}
	if t.Staircase != nil {
		if t.Method != Staircase {
			errs.Add("staircase", "applies only to method %s", Staircase)
		} else {
			errs = append(errs, t.Staircase.validate().Prefixed("staircase")...)
			errs = append(errs, boundsInGamut("staircase.min_tint", "staircase.max_tint", t.Staircase.MinTint, t.Staircase.MaxTint, neutralL)...)
			perBlock = t.Staircase.MaxTrials * nPatterns
		}
	} else if t.Method == Staircase {
		errs.Add("staircase", "is required for method %s", Staircase)
	}
	if t.Adjustment != nil {
		if t.Method != Adjustment {
			errs.Add("adjustment", "applies only to method %s", Adjustment)
		} else {
			errs = append(errs, t.Adjustment.validate().Prefixed("adjustment")...)
			errs = append(errs, boundsInGamut("adjustment.min", "adjustment.max", t.Adjustment.Min, t.Adjustment.Max, neutralL)...)
			perBlock = t.Adjustment.TrialsPerPattern * nPatterns
		}
	} else if t.Method == Adjustment {
		errs.Add("adjustment", "is required for method %s", Adjustment)
	}
	errs = append(errs, t.validatePacing(neutralL)...)
	if perBlock+t.CatchTrials > MaxTrialsPerBlock {
		errs.Add("", "%d trials per test block is more than %d; use fewer tints, repeats, patterns or catch trials", perBlock+t.CatchTrials, MaxTrialsPerBlock)
	}
	return errs
}

// validatePacing checks the catch trials, breaks, inter-trial interval and
// response window.
func (t Test) validatePacing(neutralL float64) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	switch {
	case t.CatchTrials < 0 || t.CatchTrials > MaxCatchTrials:
		errs.Add("catch_trials", "must be between 0 and %d per block", MaxCatchTrials)
	case t.CatchTrials > 0:
		if msg := checkStrongTint(t.CatchTint, neutralL); msg != "" {
			errs.Add("catch_tint", "%s", msg)
		}
	case t.CatchTint != 0:
		errs.Add("catch_tint", "applies only when catch_trials is more than 0")
	}
	switch {
	case t.BreakEvery < 0 || t.BreakEvery > MaxTrialsPerBlock:
		errs.Add("break_every", "must be between 0 (no breaks) and %d trials", MaxTrialsPerBlock)
	case t.BreakEvery > 0:
		if !finite(t.BreakS) || t.BreakS < 1 || t.BreakS > MaxBreakS {
			errs.Add("break_s", "must be between 1 and %g seconds", MaxBreakS)
		}
	case t.BreakS != 0:
		errs.Add("break_s", "applies only when break_every is more than 0")
	}
	if iti := t.ITI(); iti < 0 || iti > MaxITIMS {
		errs.Add("iti_ms", "must be between 0 and %d", MaxITIMS)
	}
	if w := t.ResponseWindowMS; w != 0 && (w < MinResponseWindow || w > MaxResponseWindow) {
		errs.Add("response_window_ms", "must be 0 (unlimited) or between %d and %d", MinResponseWindow, MaxResponseWindow)
	}
	return errs
}

func validateTints(tints []float64) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if len(tints) < 1 || len(tints) > MaxTints {
		errs.Add("tints", "must list 1 to %d tint levels", MaxTints)
	}
	seen := map[float64]bool{}
	for i, v := range tints {
		f := fmt.Sprintf("tints[%d]", i)
		switch {
		case !finite(v) || math.Abs(v) > MaxAbsTint:
			errs.Add(f, "must be between %g and %g", -MaxAbsTint, MaxAbsTint)
		case seen[v]:
			errs.Add(f, "duplicate tint %g (use repeats)", v)
		}
		seen[v] = true
	}
	return errs
}

func validateExtras(extras []ExtraPattern) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if len(extras) > MaxExtraPatterns {
		errs.Add("extra_patterns", "must list at most %d patterns", MaxExtraPatterns)
	}
	seen := map[string]bool{PatternA: true, PatternB: true}
	for i, e := range extras {
		p := fmt.Sprintf("extra_patterns[%d]", i)
		switch {
		case !patternNameRE.MatchString(e.Name):
			errs.Add(p+".name", "must be 1-32 characters of a-z, 0-9, '-' and '_', starting with a letter")
		case seen[e.Name]:
			errs.Add(p+".name", "%q is already used (a and b are the pair)", e.Name)
		}
		seen[e.Name] = true
		switch {
		case e.Pattern != nil && e.Morph != nil:
			errs.Add(p, "give either pattern or morph, not both")
		case e.Pattern != nil:
			errs = append(errs, e.Pattern.Validate().Prefixed(p+".pattern")...)
		case e.Morph != nil:
			if !finite(*e.Morph) || *e.Morph < 0 || *e.Morph > 1 {
				errs.Add(p+".morph", "must be between 0 (a) and 1 (b)")
			}
		default:
			errs.Add(p, "needs a pattern or a morph level")
		}
	}
	return errs
}

func (s StaircaseParams) validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	boundsOK := validateBounds(&errs, "min_tint", "max_tint", s.MinTint, s.MaxTint)
	switch {
	case !finite(s.StartTint) || s.StartTint <= 0:
		errs.Add("start_tint", "must be > 0 (the absolute starting tint)")
	case boundsOK && (s.StartTint > *s.MaxTint || -s.StartTint < *s.MinTint):
		errs.Add("start_tint", "must lie within min_tint and max_tint on both sides (±%g)", s.StartTint)
	}
	if len(s.Steps) < 1 || len(s.Steps) > MaxSteps {
		errs.Add("steps", "must list 1 to %d step sizes", MaxSteps)
	}
	for i, v := range s.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		switch {
		case !finite(v) || v <= 0 || v > MaxAbsTint:
			errs.Add(f, "must be > 0 and at most %g", MaxAbsTint)
		case i > 0 && v > s.Steps[i-1]:
			errs.Add(f, "must not be larger than the previous step (steps shrink after reversals)")
		}
	}
	if s.MaxReversals < 1 || s.MaxReversals > MaxReversals {
		errs.Add("max_reversals", "must be between 1 and %d", MaxReversals)
	}
	if s.MaxTrials < 1 || s.MaxTrials > MaxStaircaseTrials {
		errs.Add("max_trials", "must be between 1 and %d", MaxStaircaseTrials)
	}
	return errs
}

func (a AdjustmentParams) validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	boundsOK := validateBounds(&errs, "min", "max", a.Min, a.Max)
	startOK := true
	if !finite(a.StartMin) || a.StartMin <= 0 {
		errs.Add("start_min", "must be > 0 (every start is on the red or the green side)")
		startOK = false
	}
	switch {
	case !finite(a.StartRange) || a.StartRange <= 0:
		errs.Add("start_range", "must be > 0")
	case startOK && a.StartRange < a.StartMin:
		errs.Add("start_range", "must be at least start_min (%g)", a.StartMin)
	case boundsOK && (a.StartRange > *a.Max || -a.StartRange < *a.Min):
		errs.Add("start_range", "must lie within min and max on both sides (±%g)", a.StartRange)
	}
	if !finite(a.Step) || a.Step < MinAdjustStep || a.Step > MaxAdjustStep {
		errs.Add("step", "must be between %g and %g", MinAdjustStep, MaxAdjustStep)
	}
	if a.TrialsPerPattern < 1 || a.TrialsPerPattern > MaxAdjustN {
		errs.Add("trials_per_pattern", "must be between 1 and %d", MaxAdjustN)
	}
	return errs
}

// outOfGamut says why the screen cannot show tint at lightness neutralL,
// or "" when it can (or when the lightness or the tint is invalid itself,
// which is reported where it is checked).
func outOfGamut(tint, neutralL float64) string {
	if !finite(neutralL) || neutralL <= 0 || neutralL >= 100 || !finite(tint) || math.Abs(tint) > MaxAbsTint {
		return ""
	}
	if lo, hi := stimuli.TintRange(neutralL); tint < lo || tint > hi {
		return fmt.Sprintf("the screen cannot show a*=%g at L*=%g: the sRGB gamut there is %.1f to %.1f (see colors.neutral_l)", tint, neutralL, lo, hi)
	}
	return ""
}

// boundsInGamut checks that a staircase's or a slider's whole range can be
// shown: its end beyond the gamut is the field named.
func boundsInGamut(loName, hiName string, lo, hi *float64, neutralL float64) stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if lo != nil {
		if msg := outOfGamut(*lo, neutralL); msg != "" {
			errs.Add(loName, "%s", msg)
		}
	}
	if hi != nil {
		if msg := outOfGamut(*hi, neutralL); msg != "" {
			errs.Add(hiName, "%s", msg)
		}
	}
	return errs
}

// validateBounds checks a [lo, hi] tint range; it reports whether both are
// usable for further checks.
func validateBounds(errs *stimuli.FieldErrors, loName, hiName string, lo, hi *float64) bool {
	ok := true
	for _, b := range []struct {
		name string
		v    *float64
	}{{loName, lo}, {hiName, hi}} {
		if b.v == nil || !finite(*b.v) || math.Abs(*b.v) > MaxAbsTint {
			errs.Add(b.name, "must be between %g and %g", -MaxAbsTint, MaxAbsTint)
			ok = false
		}
	}
	if ok && *lo >= *hi {
		errs.Add(hiName, "must be greater than %s (%g)", loName, *lo)
		ok = false
	}
	return ok
}

func (p Phases) validate() stimuli.FieldErrors {
	var errs stimuli.FieldErrors
	if !p.PostOn() {
		errs.Add("post", "must be true: the effect is measured after induction")
	}
	if !finite(p.PostDelayS) || p.PostDelayS < 0 || p.PostDelayS > MaxPostDelayS {
		errs.Add("post_delay_s", "must be between 0 and %g seconds", MaxPostDelayS)
	}
	if p.FollowupAfterS != nil {
		v := *p.FollowupAfterS
		switch {
		case !p.Followup:
			errs.Add("followup_after_s", "applies only when followup is true")
		case !finite(v) || v <= 0 || v > MaxFollowupS:
			errs.Add("followup_after_s", "must be greater than 0 and at most %g (a year)", MaxFollowupS)
		}
	}
	return errs
}

func validateMarkdown(errs *stimuli.FieldErrors, field, s string, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		errs.Add(field, "must not be blank")
	case len(s) > MaxMarkdownBytes:
		errs.Add(field, "must be at most %d bytes", MaxMarkdownBytes)
	}
}

// checkCompletionURL returns what is wrong with a completion URL, or "".
func checkCompletionURL(s string) string {
	if len(s) > MaxURLBytes {
		return fmt.Sprintf("must be at most %d bytes", MaxURLBytes)
	}
	u, err := url.Parse(strings.ReplaceAll(s, "{code}", "CODE"))
	switch {
	case err != nil:
		return "is not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http or https URL"
	case u.Host == "":
		return "must include a host"
	}
	return ""
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
