package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

func TestObserverRunsAreClaimedOnceByConcurrentWorkers(t *testing.T) {
	db, sql := pgtest.NewWithSQL(t)
	ctx := context.Background()
	e, err := db.CreateExperiment(ctx, nil, experiments.Classic(), storage.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	var runs []experiments.ModelRun
	for seed := range int64(10) {
		runs = append(runs, experiments.ModelRun{Network: 1 + seed%4, Seed: seed + 1})
	}
	ids, err := db.EnqueueObserverRuns(ctx, e.ID, "decorrelation", runs, nil)
	if err != nil || len(ids) != 10 {
		t.Fatalf("enqueue: %v %v", ids, err)
	}
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for {
				r, err := db.ClaimObserverRun(ctx, "worker-"+string(rune('a'+w)))
				if err != nil {
					t.Error(err)
					return
				}
				if r == nil {
					return
				}
				if r.NetworkSeed != 1+(r.Seed-1)%4 {
					t.Errorf("run of seed %d claimed with network %d", r.Seed, r.NetworkSeed)
				}
				mu.Lock()
				claimed[r.ID]++
				mu.Unlock()
				var runErr error
				if r.Seed == 3 {
					runErr = errors.New("model diverged")
				}
				if err := db.FinishObserverRun(ctx, r.ID, "", map[string]float64{"shift_a": 1.5}, runErr); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(claimed) != 10 {
		t.Fatalf("%d runs claimed, want 10", len(claimed))
	}
	for id, n := range claimed {
		if n != 1 {
			t.Fatalf("run %d claimed %d times", id, n)
		}
	}
	var done, failed int
	_ = sql.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'failed') FROM observer_runs`).Scan(&done, &failed)
	if done != 9 || failed != 1 {
		t.Fatalf("done %d failed %d", done, failed)
	}
}

func TestStaleRunsAreRequeued(t *testing.T) {
	db, sql := pgtest.NewWithSQL(t)
	ctx := context.Background()
	e, _ := db.CreateExperiment(ctx, nil, experiments.Classic(), storage.StatusOpen)
	if _, err := db.EnqueueObserverRuns(ctx, e.ID, "none", []experiments.ModelRun{{Network: 1, Seed: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := db.ClaimObserverRun(ctx, "crashed-worker")
	if err != nil || r == nil {
		t.Fatal(r, err)
	}
	if n, _ := db.RequeueStaleRuns(ctx, time.Hour); n != 0 {
		t.Fatal("a fresh run was requeued")
	}
	_, _ = sql.Exec(ctx, `UPDATE observer_runs SET started_at = now() - interval '2 hours'`)
	if n, _ := db.RequeueStaleRuns(ctx, time.Hour); n != 1 {
		t.Fatal("the stale run was not requeued")
	}
	again, err := db.ClaimObserverRun(ctx, "healthy-worker")
	if err != nil || again == nil || again.ID != r.ID {
		t.Fatalf("requeued run not claimable: %v %v", again, err)
	}
}

func TestModelSessionStoresPRed(t *testing.T) {
	db, sql := pgtest.NewWithSQL(t)
	ctx := context.Background()
	def := experiments.Classic()
	off := false
	def.Screening = &experiments.Screening{Enabled: &off} // a model has nothing to screen
	e, _ := db.CreateExperiment(ctx, nil, def, storage.StatusOpen)
	sink, err := db.StartModelSession(ctx, e, storage.ModelParticipant{Arm: 1, PlanSeed: 42, Network: "5be95bfad46e1fa2",
		Mechanism: "decorrelation", ModelSeed: 7, Descriptor: "convnet:5be95bfad46e1fa2/decorrelation/seed=7"})
	if err != nil {
		t.Fatal(err)
	}
	s := sink.Session()
	if s.Condition.Arm != 1 || s.Seed != 42 || s.Kind != "model" {
		t.Fatalf("session %+v", s)
	}
	tr := s.Plan.Trials[0]
	if err := sink.Record(ctx, experiments.Response{Index: 0, Tint: *tr.Tint, Response: "red"}, 0.73); err != nil {
		t.Fatal(err)
	}
	var p float64
	var mech, network string
	var seed int64
	if err := sql.QueryRow(ctx, `SELECT t.model_p_red, s.model_mechanism, s.model_seed, s.model_network
		FROM trials t JOIN sessions s ON s.id = t.session_id`).Scan(&p, &mech, &seed, &network); err != nil {
		t.Fatal(err)
	}
	if p != 0.73 || mech != "decorrelation" || seed != 7 || network != "5be95bfad46e1fa2" {
		t.Fatalf("stored p %g mechanism %q seed %d network %q", p, mech, seed, network)
	}
	// The analysis sees the network.
	parts, err := db.AnalysisParticipants(ctx, e.ID)
	if err != nil || len(parts) != 1 || parts[0].Network != "5be95bfad46e1fa2" {
		t.Fatalf("analysis participants %+v, %v", parts, err)
	}
	// Model sessions don't take part in the humans' counterbalancing.
	h, _, err := db.CreateSession(ctx, e, storage.NewSession{})
	if err != nil {
		t.Fatal(err)
	}
	h2, _, _ := db.CreateSession(ctx, e, storage.NewSession{})
	if h.Condition.Arm == h2.Condition.Arm {
		t.Fatal("humans not balanced")
	}
}
