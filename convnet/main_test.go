package convnet

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mccollough/mccollough/experiments"
)

// The tests use a population of pretrained networks (population): the
// default training config with pretraining seeds 1–8, committed as
// testdata/networks/seed-N.bin and made by
//
//	go test ./convnet/ -run TestRegenerateWeights -regenerate
//
// (also: go generate ./convnet/). TestPretrainedFromScratchReproducesTestdata
// trains network 1 again and checks that it comes out bit for bit the
// same, so the science tests check what training actually produces.
// CONVNET_TEST_NETWORKS=folder makes every test use the seed-N.bin files
// of that folder instead (to check the claims on other pretrainings).
//
//go:generate go test . -run TestRegenerateWeights -regenerate

var regenerate = flag.Bool("regenerate", false, "retrain and rewrite testdata/networks")

const (
	testdataNetworks = "testdata/networks"
	populationSize   = 8
)

var (
	populationOnce sync.Once
	populationNets []*Model
	populationErr  error
)

// networkFile is the weights file of the network of pretraining seed seed.
func networkFile(dir string, seed int) string {
	return filepath.Join(dir, fmt.Sprintf("seed-%d.bin", seed))
}

// population returns the test binary's pretrained networks, seeds 1–8.
func population(t testing.TB) []*Model {
	t.Helper()
	populationOnce.Do(func() {
		dir := testdataNetworks
		other := os.Getenv("CONVNET_TEST_NETWORKS")
		if other != "" {
			dir = other
		}
		for seed := 1; seed <= populationSize; seed++ {
			m, err := Load(networkFile(dir, seed))
			if other != "" && errors.Is(err, fs.ErrNotExist) {
				continue // another folder may hold fewer networks
			}
			if err != nil {
				populationErr = err
				return
			}
			populationNets = append(populationNets, m)
		}
	})
	if populationErr != nil {
		t.Fatalf("loading the test networks: %v", populationErr)
	}
	return populationNets
}

// sharedModel is network 1 of the population, for tests of the
// machinery rather than of the science.
func sharedModel(t testing.TB) *Model { return population(t)[0] }

// TestRegenerateWeights rewrites testdata/networks (only with -regenerate):
// the default config with pretraining seeds 1–8.
func TestRegenerateWeights(t *testing.T) {
	if !*regenerate {
		t.Skip("run with -regenerate to rewrite " + testdataNetworks)
	}
	for seed := 1; seed <= populationSize; seed++ {
		cfg := DefaultTrainConfig()
		cfg.Seed = uint64(seed)
		m, err := Train(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Save(networkFile(testdataNetworks, seed)); err != nil {
			t.Fatal(err)
		}
		t.Logf("network %d: digest %s, tint accuracy %.4f, %.0f s with %s kernels", seed, m.Digest(), m.Metrics.TintAccuracy, m.Metrics.Seconds, m.Metrics.Kernels)
	}
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
