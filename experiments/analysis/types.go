package analysis

import (
	"encoding/json"
	"math"

	"github.com/mccollough/mccollough/experiments"
)

// TrialRow is one stored trial, as the storage layer reads it.
type TrialRow struct {
	SessionID string
	// Phase is "baseline", "post" or "followup".
	Phase string
	// Method is "constant_stimuli", "staircase" or "adjustment".
	Method string
	// Pattern is "a", "b" or an extra pattern's name.
	Pattern string
	// Tint is the tint shown, in a*.
	Tint float64
	// Response is "red" or "green"; "" for adjustment.
	Response string
	// Setting is the adjustment null point (nil for the 2AFC methods).
	Setting    *float64
	TrialIndex int
}

// Participant is one session with its trials.
type Participant struct {
	SessionID      string
	ParticipantRef string
	// Kind is "human" or "model".
	Kind string
	// Mechanism is the model's adaptation mechanism; "" for humans.
	Mechanism string
	Network   string // the model's weights digest; "" for humans
	Seed      int64
	Condition experiments.Condition
	Status    string
	// InductionS is the induction duration of the version the session ran
	// (the dose); FollowupAfterS its intended delay of the follow-up test
	// (nil without one).
	InductionS     float64
	FollowupAfterS *float64
	// Flags are exclusion reasons decided elsewhere (the definition's
	// exclusion rules, experiments.Exclusions.Judge), such as "catch" or
	// "refresh". Any flag excludes.
	Flags []string
	// FlagDetails, when given, say why in numbers, one per flag.
	FlagDetails []string
	// ExcludeSeparated: the participant's rules leave out a perfectly
	// separated fit (ParticipantResult.Separated), with reason "separated".
	ExcludeSeparated bool
	Trials           []TrialRow
}

// Options tune Analyze. Zero fields take the defaults.
type Options struct {
	// Seed drives every Monte Carlo permutation draw.
	Seed int64 `json:"seed"`
	// Permutations is the number of random sign flips when n > ExactMaxN
	// (default 20,000).
	Permutations int `json:"permutations"`
	// MaxLapse bounds the lapse rate λ of the psychometric fit (default 0.06).
	MaxLapse float64 `json:"max_lapse"`
}

// Defaults of Options.
const (
	DefaultPermutations = 20000
	DefaultMaxLapse     = 0.06
)

// WithDefaults fills the zero (or negative) fields.
func (o Options) WithDefaults() Options {
	if o.Permutations <= 0 {
		o.Permutations = DefaultPermutations
	}
	if !(o.MaxLapse > 0) || o.MaxLapse >= 0.5 {
		o.MaxLapse = DefaultMaxLapse
	}
	return o
}

// Fit flags: why a fit is not used. "" means the fit is usable.
const (
	FlagTooFewTrials  = "too_few_trials" // < MinTrials trials or < MinTints tints (2AFC), < MinSettings settings
	FlagNoConvergence = "no_convergence" // the optimiser did not converge
	FlagUnknownMethod = "unknown_method" // the rows' method is none of the three
	FlagMixedMethods  = "mixed_methods"  // rows of one pattern × phase disagree on the method
)

// Exclusion reasons besides the participant's own flags and the fit flags.
const (
	ReasonIncomplete   = "incomplete"       // status is not "complete"
	ReasonBadCondition = "bad_condition"    // red/green patterns are not a and b
	ReasonNoBaseline   = "no_baseline_data" // no baseline trial at all
	ReasonNoPost       = "no_post_data"     // no post trial at all
	ReasonNoData       = "no_data"          // no trial of a or b in baseline or post
	// ReasonUnbounded: the contingent effect is bounded on neither side
	// (e.g. both PSEs of a pattern beyond the same end of the range).
	ReasonUnbounded = "effect_unbounded"
)

// Units of a group's n.
const (
	UnitParticipant = "participant" // humans: one session each
	UnitNetwork     = "network"     // models: one network, all its sessions
)

// Results is the whole analysis.
type Results struct {
	Options Options `json:"options"`
	Groups  []Group `json:"groups"`
}

// Group is one kind of observer: the humans, or the models of one
// adaptation mechanism.
//
// The statistics are over independent units: for humans each session, for
// models each network (the weights digest): a network run with several
// seeds has its sessions' values averaged and counts once, so n, the
// intervals and p reflect variation between networks, not the sampling
// of one network's answers. Model sessions without a digest (runs from
// before networks were recorded, all of one pretrained network) count as
// one network.
type Group struct {
	ParticipantKind string `json:"participant_kind"`
	// Mechanism is nil for humans (and for models without one).
	Mechanism *string `json:"mechanism"`
	// Unit is what N counts: UnitParticipant or UnitNetwork.
	Unit string `json:"unit"`
	// N is the number of units with an included session; NSessions the
	// included sessions; NExcluded the excluded sessions.
	N         int         `json:"n"`
	NSessions int         `json:"n_sessions"`
	NExcluded int         `json:"n_excluded"`
	Excluded  []Exclusion `json:"excluded"`
	// ContingentEffect is shift(red-paired) − shift(green-paired).
	ContingentEffect Stat `json:"contingent_effect"`
	// NoncontingentShift is (shift(a) + shift(b)) / 2.
	NoncontingentShift Stat `json:"noncontingent_shift"`
	// RedPairedShift and GreenPairedShift are the two halves of the
	// contingent effect (expected > 0 and < 0).
	RedPairedShift   Stat `json:"red_paired_shift"`
	GreenPairedShift Stat `json:"green_paired_shift"`
	// FollowupContingentEffect uses PSE(followup) − PSE(baseline).
	FollowupContingentEffect Stat `json:"followup_contingent_effect"`
	// Units are the independent observers the statistics are over.
	Units        []Unit              `json:"units"`
	Patterns     []PatternSummary    `json:"patterns"`
	Participants []ParticipantResult `json:"participants"`
}

// Unit is one independent observer of a group (a human session, or a
// model network) with the means of its included sessions' values.
type Unit struct {
	// Key is the session id of a human, the weights digest of a network.
	Key      string `json:"key"`
	Sessions int    `json:"sessions"`
	// Values: contingent_effect, red_paired_shift, green_paired_shift
	// (absent where undefined).
	Values map[string]Value `json:"values"`
}

// Value is a number that may be a bound (see Censor).
type Value struct {
	V      float64 `json:"v"`
	Censor Censor  `json:"censor"`
}

// Exclusion is why a participant is left out of a group's statistics.
type Exclusion struct {
	SessionID string `json:"session_id"`
	Reason    string `json:"reason"`
	// Detail locates a fit failure ("<pattern>/<phase>"), when there is one.
	Detail string `json:"detail,omitempty"`
}

// Stat is a group statistic over per-unit values. Pointers are nil where
// the value is undefined (no data; d_z with n < 2 or SD 0; the CI with
// n < 6, when it is the whole line).
//
// Censored values (bounds, see Censor) enter every statistic at their
// bound: the mean is then itself a bound when all of them point the same
// way (Censored "above" or "below"), and the sign-flip test stays valid
// because the rule treats positive and negative values alike (with a
// tested range symmetric around neutral), though it loses power.
type Stat struct {
	Mean *float64 `json:"mean"`
	SD   *float64 `json:"sd"`
	// CILow and CIHigh are the 95% interval that inverts the sign-flip
	// test (SignFlip): it excludes 0 exactly when P < .05.
	CILow  *float64 `json:"ci_low"`
	CIHigh *float64 `json:"ci_high"`
	DZ     *float64 `json:"d_z"`
	// P is the two-sided sign-flip permutation p-value of mean = 0.
	P *float64 `json:"p"`
	N int      `json:"n"`
	// NCensored counts the values that are bounds; Censored is "" when
	// there are none, "above" or "below" when all point that way (so does
	// the true mean, from the reported one), "both" otherwise.
	NCensored int    `json:"n_censored"`
	Censored  string `json:"censored"`
}

// Pattern summary kinds.
const (
	SummaryPSE   = "pse"
	SummaryShift = "shift"
)

// PatternSummary is one entry of Group.Patterns: either a group mean PSE
// of a pattern in a phase (Kind "pse": pattern, phase, mean_pse, sd, n,
// n_censored, censored) or a group mean shift of a pattern, from baseline
// to Phase (Kind "shift": the same with shift_mean, ci_low, ci_high, p).
// Only included participants with usable fits count, per unit (see Group).
type PatternSummary struct {
	Kind      string   `json:"kind"`
	Pattern   string   `json:"pattern"`
	Phase     string   `json:"phase"`
	MeanPSE   *float64 `json:"mean_pse,omitempty"`
	SD        *float64 `json:"sd,omitempty"`
	ShiftMean *float64 `json:"shift_mean,omitempty"`
	CILow     *float64 `json:"ci_low,omitempty"`
	CIHigh    *float64 `json:"ci_high,omitempty"`
	P         *float64 `json:"p,omitempty"`
	N         int      `json:"n"`
	// NCensored and Censored as in Stat.
	NCensored int    `json:"n_censored"`
	Censored  string `json:"censored"`
}

// MarshalJSON writes exactly the keys of the entry's kind, with null (not
// an absent key) for undefined values.
func (s PatternSummary) MarshalJSON() ([]byte, error) {
	if s.Kind == SummaryShift {
		return json.Marshal(struct {
			Kind      string   `json:"kind"`
			Pattern   string   `json:"pattern"`
			Phase     string   `json:"phase"`
			ShiftMean *float64 `json:"shift_mean"`
			SD        *float64 `json:"sd"`
			CILow     *float64 `json:"ci_low"`
			CIHigh    *float64 `json:"ci_high"`
			P         *float64 `json:"p"`
			N         int      `json:"n"`
			NCensored int      `json:"n_censored"`
			Censored  string   `json:"censored"`
		}{s.Kind, s.Pattern, s.Phase, s.ShiftMean, s.SD, s.CILow, s.CIHigh, s.P, s.N, s.NCensored, s.Censored})
	}
	return json.Marshal(struct {
		Kind      string   `json:"kind"`
		Pattern   string   `json:"pattern"`
		Phase     string   `json:"phase"`
		MeanPSE   *float64 `json:"mean_pse"`
		SD        *float64 `json:"sd"`
		N         int      `json:"n"`
		NCensored int      `json:"n_censored"`
		Censored  string   `json:"censored"`
	}{s.Kind, s.Pattern, s.Phase, s.MeanPSE, s.SD, s.N, s.NCensored, s.Censored})
}

// ParticipantResult is one participant's fits and effects.
type ParticipantResult struct {
	SessionID      string                `json:"session_id"`
	ParticipantRef string                `json:"participant_ref"`
	Kind           string                `json:"participant_kind"`
	Mechanism      *string               `json:"mechanism"`
	Network        string                `json:"network"`
	Seed           int64                 `json:"seed"`
	InductionS     float64               `json:"induction_s"`
	FollowupAfterS *float64              `json:"followup_after_s"`
	Status         string                `json:"status"`
	Flags          []string              `json:"flags"`
	Condition      experiments.Condition `json:"condition"`
	// Fits are per pattern × phase, patterns in order a, b, then by name;
	// phases baseline, post, followup, then by name.
	Fits []Fit `json:"fits"`
	// Shifts maps every tested pattern to PSE(post) − PSE(baseline): a
	// tuning curve over controls and morph levels. nil (null) where a fit
	// is missing or flagged, or the shift is bounded on neither side.
	Shifts map[string]*float64 `json:"shifts"`
	// FollowupShifts are PSE(followup) − PSE(baseline), when followed up.
	FollowupShifts           map[string]*float64 `json:"followup_shifts,omitempty"`
	ContingentEffect         *float64            `json:"contingent_effect"`
	NoncontingentShift       *float64            `json:"noncontingent_shift"`
	FollowupContingentEffect *float64            `json:"followup_contingent_effect"`
	// Censors say which of the values above are bounds (see Censor):
	// "contingent_effect", "noncontingent_shift",
	// "followup_contingent_effect", "shift/<pattern>" and
	// "followup_shift/<pattern>"; exact values are left out.
	Censors map[string]Censor `json:"censors"`
	// Separated reports that some fit of the participant has perfectly
	// separated answers (Fit.Separated): a fact for exclusion rules.
	Separated bool `json:"separated"`
	Included  bool `json:"included"`
	// ExclusionReason is "" when included.
	ExclusionReason string `json:"exclusion_reason"`
	ExclusionDetail string `json:"exclusion_detail,omitempty"`
}

// num is v, or nil when v is NaN or infinite (JSON has no NaN).
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// val is *p, or NaN for nil.
func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
