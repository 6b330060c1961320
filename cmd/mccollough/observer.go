package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"time"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// loadModel returns the pretrained observer for cfg: from modelFile when
// given, else from the database (shared by every replica), training it
// (and storing it) when there is none or when retrain is set. A
// cluster-wide lock keeps two workers from training the same model at once.
func loadModel(ctx context.Context, db *storage.DB, cfg convnet.TrainConfig, modelFile string, retrain bool, progress convnet.Progress) (*convnet.Model, error) {
	if modelFile != "" {
		m, _, err := convnet.LoadOrTrain(ctx, modelFile, cfg, retrain, progress)
		return m, err
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	digest := storage.ConfigDigest(cfgJSON)
	var m *convnet.Model
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
		trained, err := convnet.Train(ctx, cfg, progress)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if _, err := trained.WriteTo(&buf); err != nil {
			return err
		}
		if err := db.SaveModelWeights(ctx, digest, cfgJSON, buf.Bytes()); err != nil {
			return err
		}
		m = trained
		return nil
	})
	return m, err
}

// runMetrics summarise one observer run (stored with the run).
type runMetrics struct {
	Model      string  `json:"model"`
	Arm        int     `json:"arm"`
	Trials     int     `json:"trials"`
	Adaptation float64 `json:"adaptation_strength"`
	Seconds    float64 `json:"seconds"`
}

// runObserver takes one fresh observer (mechanism, seed) through a new
// model session of experiment e. Seeds alternate between the
// counterbalancing arms, so a set of runs is balanced like the humans.
func runObserver(ctx context.Context, db *storage.DB, m *convnet.Model, e storage.Experiment, mech convnet.Mechanism, seed int64,
	progress func(done float64)) (string, runMetrics, error) {
	start := time.Now()
	obs, err := m.NewObserver(convnet.AdaptParams{Mechanism: mech}.WithDefaults(), seed)
	if err != nil {
		return "", runMetrics{}, err
	}
	arm := int(seed % int64(e.Definition.Arms()))
	if arm < 0 {
		arm = -arm
	}
	sink, err := db.StartModelSession(ctx, e, arm, seed, string(mech), seed, obs.Descriptor())
	if err != nil {
		return "", runMetrics{}, err
	}
	s := sink.Session()
	trials := 0
	err = obs.Run(ctx, e.Definition, s.Plan, convnet.RunOptions{}, func(ctx context.Context, r experiments.Response, pRed float64) error {
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
	return s.ID, runMetrics{Model: m.Digest(), Arm: arm, Trials: trials, Adaptation: obs.AdaptationStrength(),
		Seconds: time.Since(start).Seconds()}, nil
}

// observerWorker takes queued observer runs from the database until ctx
// ends; any number of workers on any number of replicas can run.
type observerWorker struct {
	db    *storage.DB
	log   *slog.Logger
	name  string
	cfg   convnet.TrainConfig
	model *convnet.Model // loaded at the first run
}

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
	log := w.log.With("run", run.ID, "experiment", run.Slug, "mechanism", run.Mechanism, "seed", run.Seed)
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
	if w.model == nil {
		m, err := loadModel(ctx, w.db, w.cfg, "", false, nil)
		if err != nil {
			return "", runMetrics{}, fmt.Errorf("loading the pretrained observer: %w", err)
		}
		w.model = m
	}
	e, err := w.db.ExperimentBySlug(ctx, run.Slug)
	if err != nil {
		return "", runMetrics{}, err
	}
	lastReport := time.Now()
	return runObserver(ctx, w.db, w.model, e, convnet.Mechanism(run.Mechanism), run.Seed, func(done float64) {
		if time.Since(lastReport) > time.Second { // the progress is also the worker's heartbeat
			_ = w.db.SetRunProgress(ctx, run.ID, done)
			lastReport = time.Now()
		}
	})
}
