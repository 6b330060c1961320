package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// networkConfig is the training config of the population's network of
// pretraining seed seed.
func networkConfig(base convnet.TrainConfig, seed int64) convnet.TrainConfig {
	base.Seed = uint64(seed)
	return base
}

// loadModel returns the pretrained network for cfg: from modelDir when
// given (seed-<n>.bin, n the pretraining seed), else from the database
// (shared by every replica), training it (and storing it) when there is
// none or when retrain is set. An advisory lock keeps two workers from
// training the same network at once.
func loadModel(ctx context.Context, db *storage.DB, cfg convnet.TrainConfig, modelDir string, retrain bool, progress convnet.Progress) (m *convnet.Model, trained bool, err error) {
	if modelDir != "" {
		return convnet.LoadOrTrain(ctx, filepath.Join(modelDir, fmt.Sprintf("seed-%d.bin", cfg.Seed)), cfg, retrain, progress)
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, false, err
	}
	digest := storage.ConfigDigest(cfgJSON)
	err = db.WithLock(ctx, "observer-model:"+digest, func(ctx context.Context) error {
		if !retrain {
			w, err := db.ModelWeights(ctx, digest)
			if err != nil {
				return err
			}
			if w != nil {
				stored, err := convnet.ReadModel(bytes.NewReader(w))
				if err == nil && reflect.DeepEqual(stored.Train, cfg) {
					m = stored
					return nil
				}
			}
		}
		if m, err = convnet.Train(ctx, cfg, progress); err != nil {
			return err
		}
		trained = true
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			return err
		}
		return db.SaveModelWeights(ctx, digest, cfgJSON, m.Digest(), buf.Bytes())
	})
	if err != nil {
		return nil, false, err
	}
	return m, trained, nil
}

// loadNetworks returns the population's networks (pretraining seeds
// seeds), each loaded when stored and pretrained otherwise, as many at
// once as there are CPUs, with a progress bar each on w.
func loadNetworks(ctx context.Context, db *storage.DB, base convnet.TrainConfig, seeds []int64, modelDir string, retrain bool, w io.Writer) ([]*convnet.Model, error) {
	bars := newPretrainBars(w)
	nets := make([]*convnet.Model, len(seeds))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, seed := range seeds {
		bar := bars.add(fmt.Sprintf("network %d", seed), base.Steps)
		g.Go(func() error {
			bar.set("pretraining")
			m, trained, err := loadModel(gctx, db, networkConfig(base, seed), modelDir, retrain, bar.progress())
			if err != nil {
				bar.done("", err)
				return fmt.Errorf("network %d: %w", seed, err)
			}
			status := "stored"
			if trained {
				status = fmt.Sprintf("trained in %.0f s", m.Metrics.Seconds)
			}
			bar.done(fmt.Sprintf("%s %s: tint accuracy %.1f%%", m.Digest(), status, 100*m.Metrics.TintAccuracy), nil)
			nets[i] = m
			return nil
		})
	}
	err := g.Wait()
	bars.wait()
	return nets, err
}

// runMetrics summarise one observer run (stored with the run).
type runMetrics struct {
	Model        string  `json:"model"`
	NetworkSeed  int64   `json:"network_seed"`
	Arm          int     `json:"arm"`
	Trials       int     `json:"trials"`
	FastStrength float64 `json:"fast_strength"`
	SlowStrength float64 `json:"slow_strength"`
	Seconds      float64 `json:"seconds"`
}

// runObserver takes one fresh observer (mechanism, seed) of network m
// through a new model session of experiment e, every phase a human can
// take included (the optional reversal, and the follow-up after its
// delay of simulated rest). Seeds alternate between the counterbalancing
// arms, so a set of runs is balanced like the humans.
func runObserver(ctx context.Context, db *storage.DB, m *convnet.Model, e storage.Experiment, mech experiments.Mechanism, seed int64,
	progress func(done float64)) (string, runMetrics, error) {
	start := time.Now()
	obs, err := m.NewObserver(experiments.AdaptParams{Mechanism: mech}, seed)
	if err != nil {
		return "", runMetrics{}, err
	}
	arm := int(seed % int64(e.Definition.Arms()))
	if arm < 0 {
		arm = -arm
	}
	sink, err := db.StartModelSession(ctx, e, storage.ModelParticipant{Arm: arm, PlanSeed: seed, Network: m.Digest(),
		Mechanism: string(mech), ModelSeed: seed, Descriptor: obs.Descriptor()})
	if err != nil {
		return "", runMetrics{}, err
	}
	s := sink.Session()
	trials := 0
	err = obs.Run(ctx, e.Definition, s.Plan, convnet.RunOptions{Reversal: true, Followup: true}, func(ctx context.Context, r experiments.Response, pRed float64) error {
		trials++
		if progress != nil {
			progress(float64(trials) / float64(max(1, len(s.Plan.Trials))))
		}
		return sink.Record(ctx, r, pRed)
	})
	if err != nil {
		return s.ID, runMetrics{}, err
	}
	if err := sink.Complete(ctx); err != nil {
		return s.ID, runMetrics{}, err
	}
	fast, slow := obs.AdaptationStrength()
	return s.ID, runMetrics{Model: m.Digest(), NetworkSeed: int64(m.Train.Seed), Arm: arm, Trials: trials,
		FastStrength: fast, SlowStrength: slow, Seconds: time.Since(start).Seconds()}, nil
}

// observerWorker takes queued observer runs from the database until ctx
// ends; any number of workers on any number of replicas can run.
type observerWorker struct {
	db     *storage.DB
	log    *slog.Logger
	name   string
	cfg    convnet.TrainConfig
	models map[int64]*convnet.Model // by pretraining seed, loaded at their first run
}

// maxWorkerModels bounds the networks a worker keeps loaded (each holds
// its weights and a feature cache of up to ~20 MB).
const maxWorkerModels = 16

// errNoRun means the queue was empty.
var errNoRun = errors.New("no queued run")

func (w *observerWorker) loop(ctx context.Context) {
	host, _ := os.Hostname()
	w.name = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), w.name)
	lastSweep := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastSweep) > time.Minute {
			if n, err := w.db.RequeueStaleRuns(ctx, 30*time.Minute); err == nil && n > 0 {
				w.log.Warn("requeued observer runs whose worker stopped", "count", n)
			}
			lastSweep = time.Now()
		}
		err := w.once(ctx)
		switch {
		case errors.Is(err, errNoRun):
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		case err != nil && ctx.Err() == nil:
			w.log.Error("observer worker", "err", err)
			time.Sleep(2 * time.Second)
		}
	}
}

// once claims and runs one queued run.
func (w *observerWorker) once(ctx context.Context) error {
	run, err := w.db.ClaimObserverRun(ctx, w.name)
	if err != nil {
		return err
	}
	if run == nil {
		return errNoRun
	}
	log := w.log.With("run", run.ID, "experiment", run.Slug, "mechanism", run.Mechanism, "network", run.NetworkSeed, "seed", run.Seed)
	log.Info("observer run started")
	sessionID, metrics, err := w.execute(ctx, run)
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the run is requeued as stale later
	}
	if ferr := w.db.FinishObserverRun(context.Background(), run.ID, sessionID, metrics, err); ferr != nil {
		return ferr
	}
	if err != nil {
		log.Error("observer run failed", "err", err)
		return nil
	}
	log.Info("observer run done", "session", sessionID, "seconds", metrics.Seconds)
	return nil
}

func (w *observerWorker) execute(ctx context.Context, run *storage.ObserverRun) (string, runMetrics, error) {
	m := w.models[run.NetworkSeed]
	if m == nil {
		var err error
		if m, _, err = loadModel(ctx, w.db, networkConfig(w.cfg, run.NetworkSeed), "", false, nil); err != nil {
			return "", runMetrics{}, fmt.Errorf("loading pretrained network %d: %w", run.NetworkSeed, err)
		}
		if w.models == nil || len(w.models) >= maxWorkerModels {
			w.models = map[int64]*convnet.Model{}
		}
		w.models[run.NetworkSeed] = m
	}
	e, err := w.db.ExperimentBySlug(ctx, run.Slug)
	if err != nil {
		return "", runMetrics{}, err
	}
	lastReport := time.Now()
	return runObserver(ctx, w.db, m, e, experiments.Mechanism(run.Mechanism), run.Seed, func(done float64) {
		if time.Since(lastReport) > time.Second { // the progress is also the worker's heartbeat
			_ = w.db.SetRunProgress(ctx, run.ID, done)
			lastReport = time.Now()
		}
	})
}
