package server

import (
	"context"
	"fmt"
	"strconv"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// planView is a plan as the runner receives it: the domain plan with the
// sealed URL of every image whose spec is fixed in advance, and without
// what would let a participant answer without looking. The browser learns
// nothing but pixels: no screening target, no planned tint (in trials,
// staircase specs or URLs). A researcher's preview keeps targets and
// tints: its skip-ahead simulates the answers, right ones in the screening.
type planView struct {
	Format    int                   `json:"format"`
	Seed      int64                 `json:"seed"`
	Condition experiments.Condition `json:"condition"`
	SizePx    int                   `json:"size_px"`
	Steps     []stepView            `json:"steps"`
	Trials    []trialView           `json:"trials"`
}

type stepView struct {
	experiments.Step
	// StimulusURLs of an induction step, by "pattern/color" (e.g. "a/red").
	StimulusURLs map[string]string `json:"stimulus_urls,omitempty"`
}

type trialView struct {
	experiments.Trial
	// StimulusURL is set when the tint is fixed (constant stimuli, or a
	// staircase trial computed by the server).
	StimulusURL string `json:"stimulus_url,omitempty"`
	// PatchURLs are a screening trial's patches in order, one of them
	// tinted; each has a URL of its own, so that no URL stands out.
	PatchURLs []string `json:"patch_urls,omitempty"`
}

// planViewer builds the views of one session's plan.
type planViewer struct {
	seal    *sealer
	def     experiments.Definition
	size    int
	session string
	preview bool
	urls    map[string]string // (pattern, tint) repeats: seal each once
}

func (s *Server) planViewer(ctx context.Context, sess storage.Session) (*planViewer, error) {
	seal, err := s.sealer(ctx)
	if err != nil {
		return nil, err
	}
	return &planViewer{seal: seal, def: sess.Definition, size: sess.Plan.SizePx, session: sess.ID,
		preview: sess.Preview, urls: map[string]string{}}, nil
}

// viewPlan is sess's plan as its runner receives it.
func (s *Server) viewPlan(ctx context.Context, sess storage.Session) (planView, error) {
	v, err := s.planViewer(ctx, sess)
	if err != nil {
		return planView{}, err
	}
	return v.plan(sess.Plan)
}

func (v *planViewer) plan(p experiments.Plan) (planView, error) {
	out := planView{Format: p.Format, Seed: p.Seed, Condition: p.Condition, SizePx: p.SizePx,
		Steps: make([]stepView, len(p.Steps)), Trials: make([]trialView, len(p.Trials))}
	for i, t := range p.Trials {
		tv, err := v.trial(t)
		if err != nil {
			return planView{}, err
		}
		out.Trials[i] = tv
	}
	for i, s := range p.Steps {
		sv, err := v.step(s)
		if err != nil {
			return planView{}, err
		}
		out.Steps[i] = sv
	}
	return out, nil
}

func (v *planViewer) step(s experiments.Step) (stepView, error) {
	if s.TestBlock != nil && len(s.Staircases) > 0 && !v.preview {
		// A staircase's start and steps would give away every tint it shows.
		block := *s.TestBlock
		block.Staircases = nil
		s.TestBlock = &block
	}
	sv := stepView{Step: s}
	if s.Induction == nil {
		return sv, nil
	}
	sv.StimulusURLs = map[string]string{}
	for _, f := range s.Induction.Frames {
		key := f.Pattern + "/" + f.Color
		if _, ok := sv.StimulusURLs[key]; ok {
			continue
		}
		stim, err := v.def.InductionStimulus(f.Pattern, f.Color)
		if err != nil {
			return stepView{}, err
		}
		sv.StimulusURLs[key] = stimulusURL(v.seal, sealedStimulus{Spec: stim, Size: v.size})
	}
	return sv, nil
}

// trial is t as the runner receives it.
func (v *planViewer) trial(t experiments.Trial) (trialView, error) {
	tv := trialView{Trial: t}
	if !v.preview {
		tv.Target, tv.Catch = nil, false
		if !t.Feedback { // practice feedback says which side was right anyway
			tv.Tint = nil
		}
	}
	if t.Tint == nil {
		return tv, nil
	}
	if t.Method == experiments.MethodScreening {
		urls, err := v.patches(t)
		tv.PatchURLs = urls
		return tv, err
	}
	key := t.Pattern + "/" + strconv.FormatFloat(*t.Tint, 'g', -1, 64)
	if u, ok := v.urls[key]; ok {
		tv.StimulusURL = u
		return tv, nil
	}
	stim, err := v.def.TestStimulus(t.Pattern, *t.Tint)
	if err != nil {
		return trialView{}, err
	}
	tv.StimulusURL = stimulusURL(v.seal, sealedStimulus{Spec: stim, Size: v.size})
	v.urls[key] = tv.StimulusURL
	return tv, nil
}

// patches are the URLs of a screening trial's patches: the tinted one at
// the target, neutral ones elsewhere, each sealed with its session, trial
// and position, so that no two URLs are equal, within the trial or across
// trials and sessions (a neutral patch's URL seen again would single out
// the tinted one).
func (v *planViewer) patches(t experiments.Trial) ([]string, error) {
	if t.Target == nil {
		return nil, fmt.Errorf("screening trial %d has no target", t.Index)
	}
	tinted, err := v.def.TestStimulus(t.Pattern, *t.Tint)
	if err != nil {
		return nil, err
	}
	neutral, err := v.def.TestStimulus(t.Pattern, 0)
	if err != nil {
		return nil, err
	}
	urls := make([]string, t.Patches)
	for i := range urls {
		st := sealedStimulus{Spec: neutral, Size: v.size, Slot: fmt.Sprintf("%s/%d/%d", v.session, t.Index, i)}
		if i == *t.Target {
			st.Spec = tinted
		}
		urls[i] = stimulusURL(v.seal, st)
	}
	return urls, nil
}

// stimulusURL is the address of a sealed stimulus.
func stimulusURL(seal *sealer, st sealedStimulus) string {
	return "/stimuli/" + seal.seal(st) + ".png"
}
