package analysis

import (
	"cmp"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// garbage is random participants made of arbitrary rows: any phase,
// method, pattern, tint (finite: the database holds no NaN) and response.
func garbage(r *rand.Rand) []Participant {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	tint := func() float64 {
		switch r.IntN(6) {
		case 0:
			return float64(r.IntN(5)*4 - 8)
		case 1:
			return (r.Float64() - 0.5) * 1e300
		case 2:
			return 0
		case 3:
			return math.MaxFloat64 * float64(1-2*r.IntN(2))
		}
		return r.NormFloat64() * 20
	}
	var parts []Participant
	for range r.IntN(6) {
		p := Participant{
			SessionID: pick("s1", "s2", ""), Kind: pick("human", "model", "", "alien"),
			Mechanism: pick("", "decorrelation", "suppression"), Status: pick("complete", "complete", "started", ""),
			Condition: experiments.Condition{Arm: r.IntN(4) - 1, RedPattern: pick("a", "b", "", "x"), GreenPattern: pick("a", "b", "", "x")},
		}
		if r.IntN(5) == 0 {
			p.Flags = []string{pick("induction_interrupted", "")}
		}
		// Half the participants keep one method, so their garbage reaches
		// the optimiser.
		method := ""
		if r.IntN(2) == 0 {
			method = pick("constant_stimuli", "staircase", "adjustment")
		}
		for range r.IntN(120) {
			row := TrialRow{
				SessionID: p.SessionID, Phase: pick("baseline", "post", "followup", "", "reversal"),
				Method:  cmp.Or(method, pick("constant_stimuli", "staircase", "adjustment", "constant_stimuli", "", "x")),
				Pattern: pick("a", "b", "oblique", ""), Tint: tint(),
				Response: pick("red", "green", "", "blue"), TrialIndex: r.IntN(50) - 5,
			}
			if r.IntN(3) == 0 {
				s := tint()
				row.Setting = &s
			}
			p.Trials = append(p.Trials, row)
		}
		parts = append(parts, p)
	}
	return parts
}

func checkNoPanic(t *testing.T, parts []Participant, seed int64) {
	t.Helper()
	res := Analyze(parts, Options{Seed: seed, Permutations: 50})
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	for _, row := range SummaryRows(res) {
		_ = row.Strings()
	}
	for _, p := range parts {
		_ = Curve(p.Trials)
		f := FitRows(p.Trials, 0)
		_ = f.P(0)
	}
}

func TestGarbageNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	for i := range 300 {
		checkNoPanic(t, garbage(r), int64(i))
	}
}

// go test -fuzz FuzzAnalyze ./experiments/analysis/
func FuzzAnalyze(f *testing.F) {
	for s := range uint64(8) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		checkNoPanic(t, garbage(rand.New(rand.NewPCG(seed, 1))), int64(seed))
	})
}
