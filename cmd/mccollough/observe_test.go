package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// pretrained is a copy of the convnet package's committed weights (trained
// with the default configuration), so these tests need no training.
func pretrained(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../convnet/testdata/pretrained.bin")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "observer.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestObserveStoresModelParticipants: `mccollough observe` runs one model
// participant per seed through the experiment, stored like humans, with
// P(red), mechanism and seed, alternating the counterbalancing arms.
func TestObserveStoresModelParticipants(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateExperiment(ctx, nil, experiments.Classic(), storage.StatusOpen); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, []string{"DATABASE_URL=" + url}, "observe", "--experiment", "classic", "--mechanism", "decorrelation",
		"--seeds", "2", "--model", pretrained(t))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Both seeds ran the one pretrained network: statistics count it once.
	if !strings.Contains(r.stdout, "decorrelation (n = 1 network, 2 sessions): contingent effect") {
		t.Fatalf("no effect summary:\n%s", r.stdout)
	}
	rows, err := db.Pool.Query(ctx, `SELECT s.condition, s.model_mechanism, s.model_seed, s.status,
		count(t.*), count(t.model_p_red)
		FROM sessions s JOIN trials t ON t.session_id = s.id
		WHERE s.participant_kind = 'model' GROUP BY s.id ORDER BY s.model_seed`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var arm, trials, withP int
		var mech, status string
		var seed int64
		if err := rows.Scan(&arm, &mech, &seed, &status, &trials, &withP); err != nil {
			t.Fatal(err)
		}
		if mech != "decorrelation" || status != "complete" || trials != 108 || withP != trials || arm != int(seed%2) {
			t.Fatalf("model session: arm %d mechanism %s seed %d status %s trials %d with P(red) %d", arm, mech, seed, status, trials, withP)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d model sessions, want 2", n)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"observe", "--mechanism", "decorrelation"}, "--experiment is required"},
		{[]string{"observe", "--experiment", "classic", "--mechanism", "telepathy"}, `unknown mechanism "telepathy"`},
		{[]string{"observe", "--experiment", "classic", "--seeds", "0"}, "--seeds must be from 1 to 1000"},
	} {
		r := runCmd(t, []string{"DATABASE_URL=" + url}, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestObserverWorkerRunsQueuedRuns: runs queued by the API are taken by a
// serve worker and end as model sessions.
func TestObserverWorkerRunsQueuedRuns(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	e, err := db.CreateExperiment(ctx, nil, experiments.CirclesCrosses(), storage.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnqueueObserverRuns(ctx, e.ID, "suppression", []int64{5, 6}, nil); err != nil {
		t.Fatal(err)
	}
	model, err := convnet.Load(pretrained(t))
	if err != nil {
		t.Fatal(err)
	}
	w := &observerWorker{db: db, log: discardLogger(), name: "test", model: model}
	for range 2 {
		if err := w.once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.once(ctx); err != errNoRun {
		t.Fatalf("third claim: %v, want an empty queue", err)
	}
	var done, sessions int
	_ = db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'done' AND session_id IS NOT NULL AND progress = 1) FROM observer_runs`).Scan(&done)
	_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE participant_kind = 'model' AND status = 'complete' AND model_mechanism = 'suppression'`).Scan(&sessions)
	if done != 2 || sessions != 2 {
		t.Fatalf("%d runs done, %d model sessions", done, sessions)
	}
}

// TestPretrainedModelIsSharedThroughTheDatabase: the first worker to need
// a model trains and stores it; the next loads it without training.
func TestPretrainedModelIsSharedThroughTheDatabase(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cfg := convnet.DefaultTrainConfig()
	cfg.Steps, cfg.EvalN = 20, 64 // tiny: this tests the storing, not the training
	steps := 0
	progress := func(int, float64, float64) { steps++ }
	first, err := loadModel(ctx, db, cfg, "", false, progress)
	if err != nil {
		t.Fatal(err)
	}
	if steps != cfg.Steps {
		t.Fatalf("first load trained %d steps, want %d", steps, cfg.Steps)
	}
	steps = 0
	second, err := loadModel(ctx, db, cfg, "", false, progress)
	if err != nil {
		t.Fatal(err)
	}
	if steps != 0 || second.Digest() != first.Digest() {
		t.Fatalf("second load trained %d steps; digests %s vs %s", steps, first.Digest(), second.Digest())
	}
}
