package analysis

import (
	"strconv"
	"strings"

	"github.com/mccollough/mccollough/experiments"
)

// SummaryRow is one participant × pattern of the wide CSV export. Nil
// numbers are empty cells.
type SummaryRow struct {
	SessionID       string
	ParticipantKind string
	Mechanism       string
	ParticipantRef  string
	Arm             int
	RedPattern      string
	Pattern         string
	Method          string
	PSEBaseline     *float64
	PSEPost         *float64
	PSEFollowup     *float64
	Shift           *float64
	// SpreadBaseline and SpreadPost are the logistic's spread β in a*
	// (Fit.Slope): larger is shallower.
	SpreadBaseline *float64
	SpreadPost     *float64
	LapseBaseline  *float64
	LapsePost      *float64
	// FitFlagBaseline and FitFlagPost are the fits' flags, "no_data" when
	// the phase has no trial of the pattern, "" for a usable fit.
	FitFlagBaseline string
	FitFlagPost     string
	// SeparatedBaseline and SeparatedPost: the fit's answers are perfectly
	// separated by tint, so its spread is only a bound.
	SeparatedBaseline, SeparatedPost bool
	// Flags are the participant's exclusion flags (Participant.Flags).
	Flags           []string
	Included        bool
	ExclusionReason string
	ExclusionDetail string
	// Network is a model's weights digest ("" for humans).
	Network string
	// Censors say which PSEs and the shift are bounds: "above" (the
	// true value is greater), "below", or "" (exact).
	PSEBaselineCensor, PSEPostCensor, ShiftCensor Censor
}

var fitFlagLevels = []experiments.Level{
	{Value: "", Meaning: "(empty) a usable fit"},
	{Value: ReasonNoData, Meaning: "no trial of the pattern in the phase"},
	{Value: FlagTooFewTrials, Meaning: "fewer than 8 answered trials or 3 tints (2AFC), or fewer than 2 settings (adjustment)"},
	{Value: FlagNoConvergence, Meaning: "the fit did not converge"},
	{Value: FlagMixedMethods, Meaning: "the pattern's trials in the phase used different methods"},
	{Value: FlagUnknownMethod, Meaning: "an unknown test method"},
}

var censorLevels = []experiments.Level{
	{Value: "", Meaning: "(empty) the value itself"},
	{Value: string(Above), Meaning: "a bound: the true value is greater than the one reported"},
	{Value: string(Below), Meaning: "a bound: the true value is smaller than the one reported"},
}

// SummaryVariables is summary.csv's codebook: its columns, in order, with
// their coded values.
var SummaryVariables = []experiments.Variable{
	{Name: "session_id", Type: "string", Meaning: "Session identifier (UUID); the key into export.csv and sessions.csv."},
	{Name: "participant_kind", Type: "string", Meaning: "Who took part.", Levels: []experiments.Level{
		{Value: experiments.KindHuman, Meaning: "a person in a browser"}, {Value: experiments.KindModel, Meaning: "the ConvNet observer"}}},
	{Name: "mechanism", Type: "string", Meaning: "The model's adaptation mechanism (decorrelation, suppression or none); empty for humans."},
	{Name: "participant_ref", Type: "string", Meaning: "Recruiter's participant id (e.g. PROLIFIC_PID), or the model descriptor."},
	{Name: "condition_arm", Type: "integer", Meaning: "Counterbalancing arm.", Levels: []experiments.Level{
		{Value: "0", Meaning: "red paired with pattern a, green with b"}, {Value: "1", Meaning: "red paired with pattern b, green with a"}}},
	{Name: "red_pattern", Type: "string", Meaning: "The pattern shown in red during induction (a or b)."},
	{Name: "pattern", Type: "string", Meaning: "Test pattern of the row: a, b, or a control/morph pattern's name."},
	{Name: "method", Type: "string", Meaning: "Test method of the pattern's trials: constant_stimuli, staircase or adjustment."},
	{Name: "pse_baseline", Type: "number", Unit: "CIELAB a*", Meaning: "Point of subjective equality before induction: the tint that looks neutral (logistic fit; for adjustment, the mean setting). A bound when pse_baseline_censor says so."},
	{Name: "pse_post", Type: "number", Unit: "CIELAB a*", Meaning: "Point of subjective equality after induction (a bound when pse_post_censor says so)."},
	{Name: "pse_followup", Type: "number", Unit: "CIELAB a*", Meaning: "Point of subjective equality at the follow-up retest."},
	{Name: "shift", Type: "number", Unit: "CIELAB a*", Meaning: "pse_post − pse_baseline (a bound when shift_censor says so); empty unless both fits are usable."},
	{Name: "spread_baseline", Type: "number", Unit: "CIELAB a*", Meaning: "Spread β of the logistic fit before induction: the tint change from P(red) = 0.5 to 0.73; larger is shallower. Empty for adjustment."},
	{Name: "spread_post", Type: "number", Unit: "CIELAB a*", Meaning: "Spread β of the logistic fit after induction."},
	{Name: "lapse_baseline", Type: "number", Unit: "probability", Meaning: "Lapse rate λ of the fit before induction (P(red) runs from λ to 1 − λ)."},
	{Name: "lapse_post", Type: "number", Unit: "probability", Meaning: "Lapse rate λ of the fit after induction."},
	{Name: "fit_flag_baseline", Type: "string", Meaning: "Why the fit before induction is not used; empty for a usable fit.", Levels: fitFlagLevels},
	{Name: "fit_flag_post", Type: "string", Meaning: "Why the fit after induction is not used; empty for a usable fit.", Levels: fitFlagLevels},
	{Name: "separated_baseline", Type: "boolean", Meaning: "true when the answers before induction are perfectly separated by tint (all green below some tint, all red above): the PSE lies in that gap and spread_baseline is only a bound."},
	{Name: "separated_post", Type: "boolean", Meaning: "As separated_baseline, after induction."},
	{Name: "flags", Type: "string", Meaning: "The participant's exclusion flags from the definition's exclusion rules, separated by ';' (see sessions.csv's codebook).", Levels: []experiments.Level{
		{Value: experiments.FlagRefresh, Meaning: "refresh rate outside the allowed range, or unstable"},
		{Value: experiments.FlagDroppedFrames, Meaning: "too many test-stimulus frames dropped"},
		{Value: experiments.FlagCatch, Meaning: "catch accuracy too low"},
		{Value: experiments.FlagFullscreen, Meaning: "left full screen too often"},
		{Value: experiments.FlagInductionInterrupted, Meaning: "the induction started again too often"}}},
	{Name: "included", Type: "boolean", Meaning: "Whether the participant counts in the group statistics."},
	{Name: "exclusion_reason", Type: "string", Meaning: "Why not: incomplete, a flag, bad_condition, no_baseline_data, no_post_data, effect_unbounded, a fit flag of a or b, or separated (a perfectly separated fit, where exclusions.exclude_separated is set); empty when included."},
	{Name: "exclusion_detail", Type: "string", Meaning: "Where or why, in numbers: the flags' details, the session status, or the failed fit (pattern/phase)."},
	{Name: "model_network", Type: "string", Meaning: "The model's network (weights digest); empty for humans. A network run with several seeds counts once in the group statistics."},
	{Name: "pse_baseline_censor", Type: "string", Meaning: "Whether pse_baseline is a bound (every answer one colour at the end of the tested range).", Levels: censorLevels},
	{Name: "pse_post_censor", Type: "string", Meaning: "Whether pse_post is a bound.", Levels: censorLevels},
	{Name: "shift_censor", Type: "string", Meaning: "Whether shift is a bound.", Levels: censorLevels},
}

// SummaryColumns is the CSV header matching SummaryRow.Strings.
var SummaryColumns = func() []string {
	names := make([]string, len(SummaryVariables))
	for i, v := range SummaryVariables {
		names[i] = v.Name
	}
	return names
}()

// Strings is the row as CSV cells, in SummaryColumns order; nil numbers
// are empty and numbers are printed in the shortest exact form.
func (r SummaryRow) Strings() []string {
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	return []string{
		r.SessionID, r.ParticipantKind, r.Mechanism, r.ParticipantRef, strconv.Itoa(r.Arm), r.RedPattern,
		r.Pattern, r.Method, f(r.PSEBaseline), f(r.PSEPost), f(r.PSEFollowup), f(r.Shift),
		f(r.SpreadBaseline), f(r.SpreadPost), f(r.LapseBaseline), f(r.LapsePost),
		r.FitFlagBaseline, r.FitFlagPost, strconv.FormatBool(r.SeparatedBaseline), strconv.FormatBool(r.SeparatedPost),
		strings.Join(r.Flags, ";"), strconv.FormatBool(r.Included), r.ExclusionReason, r.ExclusionDetail,
		r.Network, string(r.PSEBaselineCensor), string(r.PSEPostCensor), string(r.ShiftCensor),
	}
}

// SummaryRows flattens the results to one row per participant × pattern,
// groups and participants in result order, patterns a, b, then by name.
func SummaryRows(r Results) []SummaryRow {
	var rows []SummaryRow
	for _, g := range r.Groups {
		mech := ""
		if g.Mechanism != nil {
			mech = *g.Mechanism
		}
		for _, p := range g.Participants {
			idx := indexFits(p.Fits)
			var patterns []string
			for _, f := range p.Fits { // already in pattern order
				if len(patterns) == 0 || patterns[len(patterns)-1] != f.Pattern {
					patterns = append(patterns, f.Pattern)
				}
			}
			for _, pat := range patterns {
				base, post, fu := idx.get(pat, phaseBaseline), idx.get(pat, phasePost), idx.get(pat, phaseFollowup)
				row := SummaryRow{
					SessionID: p.SessionID, ParticipantKind: g.ParticipantKind, Mechanism: mech,
					ParticipantRef: p.ParticipantRef, Arm: p.Condition.Arm, RedPattern: p.Condition.RedPattern,
					Pattern: pat, Shift: p.Shifts[pat],
					FitFlagBaseline: flagOf(base), FitFlagPost: flagOf(post), Flags: p.Flags,
					Included: p.Included, ExclusionReason: p.ExclusionReason, ExclusionDetail: p.ExclusionDetail,
					Network: p.Network, ShiftCensor: p.Censors[censorShift+pat],
				}
				for _, f := range []*Fit{base, post, fu} {
					if f != nil && row.Method == "" {
						row.Method = f.Method
					}
				}
				if base != nil {
					row.PSEBaseline, row.SpreadBaseline, row.LapseBaseline = base.PSE, base.Slope, base.Lapse
					row.PSEBaselineCensor, row.SeparatedBaseline = base.Censor, base.Separated
				}
				if post != nil {
					row.PSEPost, row.SpreadPost, row.LapsePost = post.PSE, post.Slope, post.Lapse
					row.PSEPostCensor, row.SeparatedPost = post.Censor, post.Separated
				}
				if fu != nil {
					row.PSEFollowup = fu.PSE
				}
				rows = append(rows, row)
			}
		}
	}
	return rows
}

func flagOf(f *Fit) string {
	if f == nil {
		return ReasonNoData
	}
	return f.Flag
}
