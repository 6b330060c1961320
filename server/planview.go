package server

import (
	"strconv"

	"github.com/mccollough/mccollough/experiments"
)

// planView is a plan as the runner receives it: the domain plan with the
// stimulus URL of every image whose spec is fixed in advance.
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
	// NeutralURL is a screening trial's untinted patch (StimulusURL is the
	// tinted one, shown at position Target).
	NeutralURL string `json:"neutral_url,omitempty"`
}

func viewPlan(d experiments.Definition, p experiments.Plan) (planView, error) {
	v := planView{Format: p.Format, Seed: p.Seed, Condition: p.Condition, SizePx: p.SizePx,
		Steps: make([]stepView, len(p.Steps)), Trials: make([]trialView, len(p.Trials))}
	urls := map[string]string{} // (pattern, tint) repeats: build each URL once
	for i, t := range p.Trials {
		tv, err := viewTrial(d, p.SizePx, t, urls)
		if err != nil {
			return planView{}, err
		}
		v.Trials[i] = tv
	}
	for i, s := range p.Steps {
		v.Steps[i] = stepView{Step: s}
		if s.Induction == nil {
			continue
		}
		v.Steps[i].StimulusURLs = map[string]string{}
		for _, f := range s.Induction.Frames {
			key := f.Pattern + "/" + f.Color
			if _, ok := v.Steps[i].StimulusURLs[key]; ok {
				continue
			}
			stim, err := d.InductionStimulus(f.Pattern, f.Color)
			if err != nil {
				return planView{}, err
			}
			v.Steps[i].StimulusURLs[key] = StimulusURL(stim, p.SizePx)
		}
	}
	return v, nil
}

func viewTrial(d experiments.Definition, size int, t experiments.Trial, cache map[string]string) (trialView, error) {
	tv := trialView{Trial: t}
	if t.Tint == nil {
		return tv, nil
	}
	if t.Method == experiments.MethodScreening {
		neutral, err := viewTrial(d, size, experiments.Trial{Pattern: t.Pattern, Tint: new(float64)}, cache)
		if err != nil {
			return trialView{}, err
		}
		tv.NeutralURL = neutral.StimulusURL
	}
	key := t.Pattern + "/" + formatTint(*t.Tint)
	if u, ok := cache[key]; ok {
		tv.StimulusURL = u
		return tv, nil
	}
	stim, err := d.TestStimulus(t.Pattern, *t.Tint)
	if err != nil {
		return trialView{}, err
	}
	tv.StimulusURL = StimulusURL(stim, size)
	if cache != nil {
		cache[key] = tv.StimulusURL
	}
	return tv, nil
}

func formatTint(t float64) string { return strconv.FormatFloat(t, 'g', -1, 64) }
