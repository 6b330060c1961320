package convnet

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mccollough/mccollough/experiments"
)

// The tests share one pretrained model (sharedModel). In a full run it is
// pretrained from scratch with DefaultTrainConfig (about two minutes on
// two cores), so the science tests check what training actually
// produces. With -short it is loaded from testdata/pretrained.bin, which
// is the same training saved by
//
//	go test ./convnet/ -run TestRegenerateWeights -regenerate
//
// (also: go generate ./convnet/). CONVNET_TEST_WEIGHTS=file makes every
// test use that weights file instead (to check the claims on other
// pretrainings).
//
//go:generate go test . -run TestRegenerateWeights -regenerate

var regenerate = flag.Bool("regenerate", false, "retrain and rewrite testdata/pretrained.bin")

const testdataWeights = "testdata/pretrained.bin"

var (
	sharedOnce  sync.Once
	shared      *Model
	sharedErr   error
	sharedFresh bool // trained in this test binary
	sharedTime  time.Duration
)

// sharedModel returns the one pretrained model of the test binary.
func sharedModel(t testing.TB) *Model {
	t.Helper()
	sharedOnce.Do(func() {
		if path := os.Getenv("CONVNET_TEST_WEIGHTS"); path != "" {
			shared, sharedErr = Load(path)
			return
		}
		cfg := DefaultTrainConfig()
		if testing.Short() && !*regenerate {
			m, err := Load(testdataWeights)
			if err == nil && reflect.DeepEqual(m.Train, cfg) {
				shared = m
				return
			}
			t.Logf("testdata weights unusable (%v); pretraining instead", err)
		}
		start := time.Now()
		shared, sharedErr = Train(context.Background(), cfg, nil)
		sharedTime = time.Since(start)
		sharedFresh = true
	})
	if sharedErr != nil {
		t.Fatalf("pretraining: %v", sharedErr)
	}
	return shared
}

// TestRegenerateWeights rewrites testdata/pretrained.bin (only with
// -regenerate).
func TestRegenerateWeights(t *testing.T) {
	if !*regenerate {
		t.Skip("run with -regenerate to rewrite " + testdataWeights)
	}
	m := sharedModel(t)
	if err := m.Save(filepath.FromSlash(testdataWeights)); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (digest %s, tint accuracy %.4f)", testdataWeights, m.Digest(), m.Metrics.TintAccuracy)
}

// fineTints is the probe grid of the deterministic psychometric curves.
func fineTints() []float64 {
	var t []float64
	for v := -20.0; v <= 20; v += 0.5 {
		t = append(t, v)
	}
	return t
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(m.Run())
}

// inductionOf returns the plan's induction schedule of phase.
func inductionOf(t testing.TB, p experiments.Plan, phase experiments.Phase) experiments.InductionSchedule {
	t.Helper()
	for _, s := range p.Steps {
		if s.Kind == experiments.StepInduction && s.Phase == phase {
			return *s.Induction
		}
	}
	t.Fatalf("plan has no %s induction", phase)
	return experiments.InductionSchedule{}
}

// pses probes the observer's PSE of every test pattern of def.
func pses(t testing.TB, o *Observer, def experiments.Definition) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, p := range def.PatternNames() {
		v, err := o.PSE(def, p, fineTints())
		if err != nil {
			t.Fatalf("PSE of %s: %v", p, err)
		}
		out[p] = v
	}
	return out
}

func shifts(before, after map[string]float64) map[string]float64 {
	s := map[string]float64{}
	for k, v := range after {
		s[k] = v - before[k]
	}
	return s
}

// contingent is the contingent effect of a red-A/green-B pairing measure:
// shift(A) − shift(B) (positive when A, paired with red, looks greener).
func contingent(s map[string]float64) float64 {
	return s[experiments.PatternA] - s[experiments.PatternB]
}

// induced runs a fresh observer of mechanism mech through the plan's
// induction for seed and arm (shuffled: colours balanced at random over
// the frames) and returns the PSE shifts (probed before and after) and the
// observer.
func induced(t testing.TB, m *Model, def experiments.Definition, mech Mechanism, seed int64, arm int, shuffled bool) (map[string]float64, *Observer) {
	t.Helper()
	plan, err := experiments.NewPlan(def, seed, experiments.ConditionForArm(arm))
	if err != nil {
		t.Fatal(err)
	}
	o, err := m.NewObserver(AdaptParams{Mechanism: mech}, seed)
	if err != nil {
		t.Fatal(err)
	}
	before := pses(t, o, def)
	sched := inductionOf(t, plan, experiments.PhaseInduction)
	if shuffled {
		sched = ShuffledPairing(sched, seed)
	}
	if err := o.Induce(context.Background(), def, sched, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	return shifts(before, pses(t, o, def)), o
}
