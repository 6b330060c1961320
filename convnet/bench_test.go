package convnet

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mccollough/mccollough/experiments"
)

// Benchmarks (numbers in the package doc and the final report):
//
//	go test -run '^$' -bench . -benchtime 3x ./convnet/
//
// Images/s are reported as a metric; the observer benchmark reports the
// seconds to run the classic plan for 10 observer seeds.

// BenchmarkTrainStep is one training step (batch 32, 64×64): rendering
// (overlapped, as in Train), forward, backward and the Adam update.
func BenchmarkTrainStep(b *testing.B) {
	cfg := DefaultTrainConfig()
	tr, err := newTrainer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches, _ := tr.batches(ctx, b.N+1)
	if _, _, err := tr.step(1, <-batches); err != nil { // warm up
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, _, err := tr.step(i+2, <-batches); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*cfg.Batch)/time.Since(start).Seconds(), "images/s")
}

// BenchmarkRender is rendering one pretraining image (stimuli.Tensor at
// 64×64 plus the opponent recoding and a translation).
func BenchmarkRender(b *testing.B) {
	d := DefaultDistribution()
	r := rand.New(rand.NewPCG(1, 1))
	rr := newRenderer(64)
	dst := make([]float32, 3*64*64)
	samples := drawSamples(d, r, 256)
	b.ResetTimer()
	for i := range b.N {
		s := samples[i%len(samples)]
		if err := rr.render(s.Stimulus, s.ShiftX, s.ShiftY, dst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

func benchForward(b *testing.B, batch int) {
	cfg := DefaultTrainConfig()
	gr, err := newGraph(cfg.Arch, initWeights(cfg.Arch, 1), batch, false)
	if err != nil {
		b.Fatal(err)
	}
	defer gr.close()
	rr := newRenderer(cfg.Arch.Size)
	n := cfg.Arch.inputLen()
	for i, s := range drawSamples(cfg.Data, rand.New(rand.NewPCG(1, 1)), batch) {
		if err := rr.render(s.Stimulus, s.ShiftX, s.ShiftY, gr.xData[i*n:(i+1)*n]); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		if err := gr.run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkForward64 is inference on a batch of 64 pre-rendered images.
func BenchmarkForward64(b *testing.B) { benchForward(b, 64) }

// BenchmarkForward1 is inference on one image (the observer's case).
func BenchmarkForward1(b *testing.B) { benchForward(b, 1) }

// BenchmarkObserveClassic10Seeds runs the classic plan (baseline, 180 s
// induction, post test) for 10 decorrelating observers from one
// pretrained model, starting each iteration from a freshly loaded model
// (cold feature cache), as the CLI would after pretraining.
func BenchmarkObserveClassic10Seeds(b *testing.B) {
	base := sharedModel(b) // the committed network 1
	def := experiments.Classic()
	b.ResetTimer()
	for range b.N {
		m := &Model{Train: base.Train, Weights: base.Weights, Stats: base.Stats, Metrics: base.Metrics}
		for seed := int64(1); seed <= 10; seed++ {
			plan, err := experiments.NewPlan(modelDefinition(def), seed, experiments.ConditionForArm(int(seed%2)))
			if err != nil {
				b.Fatal(err)
			}
			o, err := m.NewObserver(experiments.AdaptParams{Mechanism: experiments.Decorrelation}, seed)
			if err != nil {
				b.Fatal(err)
			}
			if err := o.Run(context.Background(), def, plan, RunOptions{}, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/10seeds")
}

// BenchmarkTrainCompute is the training step's computation alone (forward,
// backward, Adam) on one pre-rendered batch of 32, for the two-stream
// network and the reference shape (one stream), to set beside
// PyTorch running the reference shape on the same CPU
// (docs/bench/torch_reference.py; see BENCHMARKS.md).
func BenchmarkTrainCompute(b *testing.B) {
	for _, tc := range []struct {
		name    string
		streams bool
	}{{"two-stream", true}, {"reference", false}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := DefaultTrainConfig()
			cfg.Arch.Streams = tc.streams
			tr, err := newTrainer(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first, _ := tr.batches(ctx, 1)
			if _, _, err := tr.step(1, <-first); err != nil { // loads a batch, warms up
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if err := tr.gr.run(); err != nil {
					b.Fatal(err)
				}
				if err := tr.adam.step(cfg.learningRate(i + 2)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*cfg.Batch)/time.Since(start).Seconds(), "images/s")
		})
	}
}
