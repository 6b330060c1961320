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
	db := pgtest.New(t)
	ctx := context.Background()
	e, err := db.CreateExperiment(ctx, nil, experiments.Classic(), storage.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	seeds := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	ids, err := db.EnqueueObserverRuns(ctx, e.ID, "decorrelation", seeds, nil)
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
	_ = db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'failed') FROM observer_runs`).Scan(&done, &failed)
	if done != 9 || failed != 1 {
		t.Fatalf("done %d failed %d", done, failed)
	}
}

func TestStaleRunsAreRequeued(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	e, _ := db.CreateExperiment(ctx, nil, experiments.Classic(), storage.StatusOpen)
	if _, err := db.EnqueueObserverRuns(ctx, e.ID, "none", []int64{1}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := db.ClaimObserverRun(ctx, "crashed-worker")
	if err != nil || r == nil {
		t.Fatal(r, err)
	}
	if n, _ := db.RequeueStaleRuns(ctx, time.Hour); n != 0 {
		t.Fatal("a fresh run was requeued")
	}
	_, _ = db.Pool.Exec(ctx, `UPDATE observer_runs SET started_at = now() - interval '2 hours'`)
	if n, _ := db.RequeueStaleRuns(ctx, time.Hour); n != 1 {
		t.Fatal("the stale run was not requeued")
	}
	again, err := db.ClaimObserverRun(ctx, "healthy-worker")
	if err != nil || again == nil || again.ID != r.ID {
		t.Fatalf("requeued run not claimable: %v %v", again, err)
	}
}

func TestModelSessionStoresPRed(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	def := experiments.Classic()
	off := false
	def.Screening = &experiments.Screening{Enabled: &off} // a model has nothing to screen
	e, _ := db.CreateExperiment(ctx, nil, def, storage.StatusOpen)
	sink, err := db.StartModelSession(ctx, e, 1, 42, "decorrelation", 7, "convnet-64")
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
	var mech string
	var seed int64
	if err := db.Pool.QueryRow(ctx, `SELECT t.model_p_red, s.model_mechanism, s.model_seed FROM trials t JOIN sessions s ON s.id = t.session_id`).Scan(&p, &mech, &seed); err != nil {
		t.Fatal(err)
	}
	if p != 0.73 || mech != "decorrelation" || seed != 7 {
		t.Fatalf("stored p %g mechanism %q seed %d", p, mech, seed)
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
