package convnet

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/mccollough/mccollough/experiments"
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

// TestPretrainedFromScratchReproducesTestdata: pretraining network 1
// again reproduces the committed weights bit for bit (training is a pure
// function of its config on a given machine). It is skipped only on a
// machine whose convolution kernels differ from those that made the
// committed weights: AVX2/FMA and portable kernels round differently.
func TestPretrainedFromScratchReproducesTestdata(t *testing.T) {
	ref := sharedModel(t)
	if ref.Metrics.Kernels != CPUKernels() {
		t.Skipf("the committed networks were trained with the %s kernels and this machine uses the %s kernels: "+
			"their float rounding differs, so the weights cannot come out bit for bit the same here", ref.Metrics.Kernels, CPUKernels())
	}
	cfg := DefaultTrainConfig()
	cfg.Seed = 1
	if !reflect.DeepEqual(ref.Train, cfg) {
		t.Fatalf("%s was trained with another config than the default with seed 1: regenerate it (go generate ./convnet)", networkFile(testdataNetworks, 1))
	}
	m, err := Train(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pretraining from scratch took %.1f s (%d steps of %d images: %.0f images/s including measurement)",
		m.Metrics.Seconds, cfg.Steps, cfg.Batch, float64(cfg.Steps*cfg.Batch)/m.Metrics.Seconds)
	if m.Digest() != ref.Digest() || !reflect.DeepEqual(m.Stats, ref.Stats) {
		t.Fatalf("pretraining gave weights %s, the committed ones are %s", m.Digest(), ref.Digest())
	}
}

// TestNeutralColour: the colour units' response to an achromatic image is
// what the adaptation layer takes as neutral, whatever the pattern, up to
// the chroma that rounding leaves in the renderer's greys (CIELAB to sRGB
// gives channels equal to about 10⁻⁴, not exactly), well below what a
// 0.1 a* tint changes. (The default dark colour, #0c0c0e, is a shade
// bluer than grey, so the test uses a grey one.)
func TestNeutralColour(t *testing.T) {
	m := sharedModel(t)
	c0 := m.neutralColour()
	def := experiments.CirclesCrosses()
	def.Colors.Dark = "#0c0c0c"
	for _, p := range def.PatternNames() {
		s, err := def.TestStimulus(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		f, err := m.Features(s, 1, -2)
		if err != nil {
			t.Fatal(err)
		}
		tinted, err := def.TestStimulus(p, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		ft, err := m.Features(tinted, 1, -2)
		if err != nil {
			t.Fatal(err)
		}
		var off, tint float64
		for i, v := range c0 {
			off += math.Abs(f[i] - v)
			tint += math.Abs(ft[i] - f[i])
		}
		t.Logf("%s: colour units differ from neutralColour by %.4f in all, a 0.1 a* tint moves them by %.4f", p, off, tint)
		if off > tint {
			t.Errorf("%s: the neutral test pattern's colour units are %.4f from neutralColour, more than a 0.1 a* tint moves them (%.4f)", p, off, tint)
		}
	}
}
