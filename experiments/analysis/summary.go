package analysis

import (
	"strconv"
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
	SlopeBaseline   *float64
	SlopePost       *float64
	LapseBaseline   *float64
	LapsePost       *float64
	// FitFlagBaseline and FitFlagPost are the fits' flags, "no_data" when
	// the phase has no trial of the pattern, "" for a usable fit.
	FitFlagBaseline string
	FitFlagPost     string
	Included        bool
	ExclusionReason string
	// Network is a model's weights digest ("" for humans).
	Network string
	// Censors say which PSEs and the shift are bounds: "above" (the
	// true value is greater), "below", or "" (exact).
	PSEBaselineCensor, PSEPostCensor, ShiftCensor Censor
}

// SummaryColumns is the CSV header matching SummaryRow.Strings.
var SummaryColumns = []string{
	"session_id", "participant_kind", "mechanism", "participant_ref", "condition_arm", "red_pattern",
	"pattern", "method", "pse_baseline", "pse_post", "pse_followup", "shift",
	"slope_baseline", "slope_post", "lapse_baseline", "lapse_post",
	"fit_flag_baseline", "fit_flag_post", "included", "exclusion_reason",
	"model_network", "pse_baseline_censor", "pse_post_censor", "shift_censor",
}

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
		f(r.SlopeBaseline), f(r.SlopePost), f(r.LapseBaseline), f(r.LapsePost),
		r.FitFlagBaseline, r.FitFlagPost, strconv.FormatBool(r.Included), r.ExclusionReason,
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
					FitFlagBaseline: flagOf(base), FitFlagPost: flagOf(post),
					Included: p.Included, ExclusionReason: p.ExclusionReason,
					Network: p.Network, ShiftCensor: p.Censors[censorShift+pat],
				}
				for _, f := range []*Fit{base, post, fu} {
					if f != nil && row.Method == "" {
						row.Method = f.Method
					}
				}
				if base != nil {
					row.PSEBaseline, row.SlopeBaseline, row.LapseBaseline = base.PSE, base.Slope, base.Lapse
					row.PSEBaselineCensor = base.Censor
				}
				if post != nil {
					row.PSEPost, row.SlopePost, row.LapsePost = post.PSE, post.Slope, post.Lapse
					row.PSEPostCensor = post.Censor
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
