package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// pretrainedDir is a folder with copies of the first two of the convnet
// package's committed networks (the default configuration with
// pretraining seeds 1 and 2), as `observe --model-dir` keeps them, so
// these tests need no training.
func pretrainedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for seed := 1; seed <= 2; seed++ {
		name := fmt.Sprintf("seed-%d.bin", seed)
		data, err := os.ReadFile(filepath.Join("../../convnet/testdata/networks", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// committedNetwork loads one of the committed networks.
func committedNetwork(t *testing.T, seed int) *convnet.Model {
	t.Helper()
	m, err := convnet.Load(fmt.Sprintf("../../convnet/testdata/networks/seed-%d.bin", seed))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestObserveStoresModelParticipants: `mccollough observe` runs one model
// participant per network through the experiment, every phase included
// (reversal and follow-up), stored like humans, with P(red), mechanism,
// seed and network, alternating the counterbalancing arms.
func TestObserveStoresModelParticipants(t *testing.T) {
	url := pgtest.NewURL(t)
	sql := pgtest.SQL(t, url)
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	def := experiments.Classic()
	def.Phases.Reversal = true
	def.Phases.Followup = true
	if _, err := db.CreateExperiment(ctx, nil, def, storage.StatusOpen); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, []string{"DATABASE_URL=" + url}, "observe", "--experiment", "classic", "--mechanism", "decorrelation",
		"--networks", "2", "--model-dir", pretrainedDir(t))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Both seeds ran the one pretrained network: statistics count it once.
	if !strings.Contains(r.stdout, "decorrelation (n = 2 networks, 2 sessions): contingent effect") {
		t.Fatalf("no effect summary:\n%s", r.stdout)
	}
	for _, seed := range []int{1, 2} { // a bar per network, each loaded, not trained
		want := fmt.Sprintf("network %d", seed)
		if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, committedNetwork(t, seed).Digest()+" stored") {
			t.Errorf("stderr lacks the bar of %s:\n%s", want, r.stderr)
		}
	}
	rows, err := sql.Query(ctx, `SELECT s.condition, s.model_mechanism, s.model_seed, s.model_network, s.status,
		count(t.*), count(t.model_p_red), count(t.*) FILTER (WHERE t.phase = 'followup')
		FROM sessions s JOIN trials t ON t.session_id = s.id
		WHERE s.participant_kind = 'model' GROUP BY s.id ORDER BY s.model_seed`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var arm, trials, withP, followup int
		var mech, network, status string
		var seed int64
		if err := rows.Scan(&arm, &mech, &seed, &network, &status, &trials, &withP, &followup); err != nil {
			t.Fatal(err)
		}
		if mech != "decorrelation" || status != "complete" || trials != 3*54 || followup != 54 || withP != trials || arm != int(seed%2) ||
			network != committedNetwork(t, int(seed)).Digest() {
			t.Fatalf("model session: arm %d mechanism %s seed %d network %s status %s trials %d (follow-up %d) with P(red) %d",
				arm, mech, seed, network, status, trials, followup, withP)
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
		{[]string{"observe", "--experiment", "classic", "--mechanism", "telepathy"}, "--mechanism must be decorrelation, fast, slow or none"},
		{[]string{"observe", "--experiment", "classic", "--seeds", "0"}, "--seeds must be from 1 to 200"},
		{[]string{"observe", "--experiment", "classic", "--networks", "65"}, "--networks must be from 1 to 64"},
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
	db, sql := pgtest.NewWithSQL(t)
	e, err := db.CreateExperiment(ctx, nil, experiments.CirclesCrosses(), storage.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnqueueObserverRuns(ctx, e.ID, "fast", []experiments.ModelRun{{Network: 1, Seed: 5}, {Network: 2, Seed: 6}}, nil); err != nil {
		t.Fatal(err)
	}
	w := &observerWorker{db: db, log: discardLogger(), name: "test",
		models: map[int64]*convnet.Model{1: committedNetwork(t, 1), 2: committedNetwork(t, 2)}}
	for range 2 {
		if err := w.once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.once(ctx); err != errNoRun {
		t.Fatalf("third claim: %v, want an empty queue", err)
	}
	var done, sessions int
	_ = sql.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'done' AND session_id IS NOT NULL AND progress = 1) FROM observer_runs`).Scan(&done)
	_ = sql.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE participant_kind = 'model' AND status = 'complete' AND model_mechanism = 'fast'
		AND model_network IN ($1, $2)`, committedNetwork(t, 1).Digest(), committedNetwork(t, 2).Digest()).Scan(&sessions)
	if done != 2 || sessions != 2 {
		t.Fatalf("%d runs done, %d model sessions", done, sessions)
	}
}

// TestPretrainedModelIsSharedThroughTheDatabase: the first worker to need
// a network trains and stores it, under its weights digest; the next
// loads it without training; another pretraining seed is another network.
func TestPretrainedModelIsSharedThroughTheDatabase(t *testing.T) {
	ctx := context.Background()
	db, sql := pgtest.NewWithSQL(t)
	cfg := convnet.DefaultTrainConfig()
	cfg.Steps, cfg.EvalN = 20, 64 // tiny: this tests the storing, not the training
	steps := 0
	progress := func(int, float64, float64) { steps++ }
	first, trained, err := loadModel(ctx, db, networkConfig(cfg, 1), "", false, progress)
	if err != nil {
		t.Fatal(err)
	}
	if steps != cfg.Steps || !trained {
		t.Fatalf("first load trained %d steps, want %d", steps, cfg.Steps)
	}
	steps = 0
	second, trained, err := loadModel(ctx, db, networkConfig(cfg, 1), "", false, progress)
	if err != nil {
		t.Fatal(err)
	}
	if steps != 0 || trained || second.Digest() != first.Digest() {
		t.Fatalf("second load trained %d steps; digests %s vs %s", steps, first.Digest(), second.Digest())
	}
	other, trained, err := loadModel(ctx, db, networkConfig(cfg, 2), "", false, progress)
	if err != nil || !trained || other.Digest() == first.Digest() {
		t.Fatalf("network of seed 2: trained %v, digest %s (seed 1: %s), %v", trained, other.Digest(), first.Digest(), err)
	}
	var digests []string
	rows, _ := sql.Query(ctx, `SELECT weights_digest FROM observer_models ORDER BY weights_digest`)
	for rows.Next() {
		var d string
		_ = rows.Scan(&d)
		digests = append(digests, d[:16])
	}
	if len(digests) != 2 || !slices.Contains(digests, first.Digest()) || !slices.Contains(digests, other.Digest()) {
		t.Fatalf("stored networks %v, want %s and %s", digests, first.Digest(), other.Digest())
	}
}

// TestServeStopsWhilePretraining: SIGTERM ends serve within 10 s (the
// shutdown contract, issue 13) at any moment, including while a worker
// pretrains a network, which is the longest thing a worker does: a run
// for a network not stored yet makes the worker pretrain it, and the
// signal comes at a random moment after the worker claimed the run.
func TestServeStopsWhilePretraining(t *testing.T) {
	url := pgtest.NewURL(t)
	sql := pgtest.SQL(t, url)
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := db.CreateExperiment(ctx, nil, experiments.Classic(), storage.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for i := range 2 {
		if _, err := db.EnqueueObserverRuns(ctx, e.ID, "decorrelation", []experiments.ModelRun{{Network: 1000 + int64(i), Seed: 1}}, nil); err != nil {
			t.Fatal(err)
		}
		s := startServe(t, dataDir(t), "DATABASE_URL="+url)
		for claimed := false; !claimed; {
			var n int
			if err := sql.QueryRow(ctx, `SELECT count(*) FROM observer_runs WHERE status = 'running'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			claimed = n > 0
			time.Sleep(20 * time.Millisecond)
		}
		delay := time.Duration(r.IntN(3000)) * time.Millisecond
		time.Sleep(delay)
		start := time.Now()
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-s.done:
			if err != nil {
				t.Fatalf("serve exited with %v:\n%s", err, s.stderr.String())
			}
			t.Logf("SIGTERM %v after the claim: serve exited after %v", delay, time.Since(start).Round(time.Millisecond))
		case <-time.After(10 * time.Second):
			t.Fatalf("serve still running 10 s after SIGTERM (sent %v after the worker claimed a run to pretrain):\n%s", delay, s.stderr.String())
		}
		if _, err := sql.Exec(ctx, `UPDATE observer_runs SET status = 'failed' WHERE status IN ('running', 'queued')`); err != nil {
			t.Fatal(err)
		}
	}
}
