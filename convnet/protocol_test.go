package convnet

import (
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// TestRunProtocolOptions: practice blocks and catch trials (served in
// their places by a staircase block, fixed among adjustment trials) are
// answered like any trial, in answers the storage path accepts, and every
// required trial is answered.
func TestRunProtocolOptions(t *testing.T) {
	m := sharedModel(t)
	for _, method := range []experiments.Method{experiments.Staircase, experiments.Adjustment} {
		def := experiments.Classic()
		def.Test = experiments.Test{Method: method, CatchTrials: 3}
		def.Practice = &experiments.Practice{Trials: 4}
		plan, rs, _ := runPlan(t, m, def.WithDefaults(), 5, RunOptions{})
		practice, catch := 0, 0
		for _, r := range rs {
			tr := plan.Trials[r.Index]
			switch {
			case tr.Phase == experiments.PhasePractice:
				practice++
			case tr.Catch:
				catch++
				if r.Response != experiments.Red && r.Response != experiments.Green {
					t.Errorf("%s: catch trial %d answered %+v", method, r.Index, r)
				}
			}
		}
		if practice != 4 || catch != 6 {
			t.Errorf("%s: %d practice and %d catch answers, want 4 and 2×3", method, practice, catch)
		}
		t.Logf("%s: catch accuracy %+v", method, experiments.ScoreCatch(plan, rs))
	}
}
