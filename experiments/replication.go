package experiments

import "github.com/mccollough/mccollough/stimuli"

// ReplicationExport is everything another lab needs to run the same study:
// the exact definition of a version and the specs of every stimulus it
// renders (test patterns at tint 0; induction patterns in both colours),
// which stimuli.Render turns into the same pixels anywhere.
type ReplicationExport struct {
	Experiment    string                      `json:"experiment"`
	Version       int                         `json:"version"`
	RenderVersion int                         `json:"render_version"`
	Definition    Definition                  `json:"definition"`
	TestStimuli   map[string]stimuli.Stimulus `json:"test_stimuli"`
	Induction     map[string]stimuli.Stimulus `json:"induction_stimuli"`
}

// NewReplicationExport builds the export of one version's definition.
func NewReplicationExport(slug string, version int, d Definition) (ReplicationExport, error) {
	x := ReplicationExport{Experiment: slug, Version: version, RenderVersion: stimuli.RenderVersion, Definition: d,
		TestStimuli: map[string]stimuli.Stimulus{}, Induction: map[string]stimuli.Stimulus{}}
	for _, name := range d.PatternNames() {
		s, err := d.TestStimulus(name, 0)
		if err != nil {
			return ReplicationExport{}, err
		}
		x.TestStimuli[name] = s.WithDefaults()
	}
	for _, p := range []string{PatternA, PatternB} {
		for _, c := range []string{Red, Green} {
			s, err := d.InductionStimulus(p, c)
			if err != nil {
				return ReplicationExport{}, err
			}
			x.Induction[p+"/"+c] = s.WithDefaults()
		}
	}
	return x, nil
}
