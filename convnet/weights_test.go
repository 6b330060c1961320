package convnet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tinyConfig trains in well under a second: for file-format and
// determinism tests, not for science.
func tinyConfig() TrainConfig {
	c := DefaultTrainConfig()
	c.Arch.Size = 16
	c.Steps = 12
	c.Batch = 4
	c.Warmup = 4
	c.EvalN = 16
	return c
}

func TestSaveLoadRoundTrip(t *testing.T) {
	cfg := tinyConfig()
	cfg.Arch.Streams = false // the fully connected variant trains and saves too
	m, err := Train(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.bin")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Train, m.Train) || !reflect.DeepEqual(got.Weights, m.Weights) ||
		!reflect.DeepEqual(got.Stats, m.Stats) || !reflect.DeepEqual(got.Metrics, m.Metrics) {
		t.Fatal("the loaded model differs from the saved one")
	}
	if got.Digest() != m.Digest() {
		t.Errorf("digest %s after loading, %s before", got.Digest(), m.Digest())
	}
	// The header is readable JSON on line 2 and says how it was trained.
	raw, _ := os.ReadFile(path)
	lines := bytes.SplitN(raw, []byte("\n"), 3)
	if string(lines[0]) != "mccollough-convnet 1" || !bytes.Contains(lines[1], []byte(`"train":{"arch":`)) {
		t.Errorf("header: %q / %.80q", lines[0], lines[1])
	}
	// Corruption and truncation are refused.
	for name, data := range map[string][]byte{
		"flipped bit": func() []byte { b := bytes.Clone(raw); b[len(b)-3] ^= 1; return b }(),
		"truncated":   raw[:len(raw)-4],
		"not ours":    []byte("hello\n{}\n"),
		"new format":  bytes.Replace(raw, []byte("mccollough-convnet 1"), []byte("mccollough-convnet 9"), 1),
	} {
		if _, err := ReadModel(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: ReadModel accepted it", name)
		}
	}
}

func TestLoadOrTrain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.bin")
	cfg := tinyConfig()
	m1, trained, err := LoadOrTrain(context.Background(), path, cfg, false, nil)
	if err != nil || !trained {
		t.Fatalf("first call: trained %v, %v", trained, err)
	}
	m2, trained, err := LoadOrTrain(context.Background(), path, cfg, false, nil)
	if err != nil || trained || m2.Digest() != m1.Digest() {
		t.Fatalf("second call: trained %v, %v", trained, err)
	}
	_, trained, err = LoadOrTrain(context.Background(), path, cfg, true, nil)
	if err != nil || !trained {
		t.Fatalf("retrain: trained %v, %v", trained, err)
	}
	cfg.Seed++ // a different spec is never silently reused
	m3, trained, err := LoadOrTrain(context.Background(), path, cfg, false, nil)
	if err != nil || !trained || m3.Train.Seed != cfg.Seed {
		t.Fatalf("new config: trained %v, %v", trained, err)
	}
	os.WriteFile(path, []byte("garbage"), 0o644)
	if _, trained, err = LoadOrTrain(context.Background(), path, cfg, false, nil); err != nil || !trained {
		t.Fatalf("garbage file: trained %v, %v", trained, err)
	}
}

// TestTrainingDeterministic: the same config gives bit-identical weights
// (seeded initialisation and data, fixed reduction order in the
// convolution gradients whatever the number of workers).
func TestTrainingDeterministic(t *testing.T) {
	cfg := tinyConfig()
	cfg.Arch.Size = 32
	a, err := Train(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest() != b.Digest() || !reflect.DeepEqual(a.Stats, b.Stats) {
		t.Fatalf("two trainings with seed %d differ: %s vs %s", cfg.Seed, a.Digest(), b.Digest())
	}
	cfg.Seed++
	c, err := Train(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest() == a.Digest() {
		t.Error("another seed gave the same weights")
	}
	// The two streams stay separate: weights across them are still 0.
	for _, p := range a.Weights {
		mask := connMask(a.Train.Arch, p.Name)
		for j, on := range mask {
			if !on && p.Data[j] != 0 {
				t.Fatalf("%s[%d] = %g connects the streams", p.Name, j, p.Data[j])
			}
		}
	}
}

// TestPretrainedFromScratchReproducesTestdata: the training run of this
// test binary (full mode) reproduces the committed weights bit for bit on
// the platform they were made on; elsewhere float rounding may differ, so
// a mismatch is only reported.
func TestPretrainedFromScratchReproducesTestdata(t *testing.T) {
	if testing.Short() {
		t.Skip("pretraining from scratch is skipped with -short")
	}
	m := sharedModel(t)
	if sharedFresh {
		t.Logf("pretraining from scratch took %v (%d steps of %d images: %.0f images/s including measurement)",
			sharedTime.Round(100e6), m.Train.Steps, m.Train.Batch, float64(m.Train.Steps*m.Train.Batch)/sharedTime.Seconds())
	}
	ref, err := Load(testdataWeights)
	switch {
	case err != nil:
		t.Logf("no committed weights to compare with: %v", err)
	case !reflect.DeepEqual(ref.Train, m.Train):
		t.Logf("committed weights were trained with another config; regenerate them")
	case ref.Digest() != m.Digest():
		t.Logf("weights differ from %s (digest %s vs %s): float rounding differs on this platform", testdataWeights, m.Digest(), ref.Digest())
	default:
		t.Logf("weights are bit-identical to %s (digest %s)", testdataWeights, m.Digest())
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := ProgressBar(&buf, 3)
	p(1, 0.9, 0.5)
	p(2, 0.8, 0.6)
	p(3, 0.7, 0.7)
	if !strings.Contains(buf.String(), "tint accuracy") {
		t.Errorf("progress bar output %q", buf.String())
	}
}
