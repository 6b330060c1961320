package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// openStudy is an open classic study without screening, and n sessions of it.
func openStudy(t *testing.T, db *storage.DB, n int) ([]storage.Session, []string) {
	t.Helper()
	ctx := context.Background()
	def := experiments.Classic()
	off := false
	def.Screening = &experiments.Screening{Enabled: &off}
	e, err := db.CreateExperiment(ctx, nil, def.WithDefaults(), storage.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	sessions, tokens := make([]storage.Session, n), make([]string, n)
	for i := range n {
		if sessions[i], tokens[i], err = db.CreateSession(ctx, e, storage.NewSession{}); err != nil {
			t.Fatal(err)
		}
	}
	return sessions, tokens
}

func response(t experiments.Trial, answer string) storage.TrialWrite {
	return storage.TrialWrite{Response: experiments.Response{Index: t.Index, Response: answer, Tint: *t.Tint,
		TrialResult: experiments.TrialResult{RTMS: 500, OnsetMS: 1000, IntendedMS: 1000, MeasuredMS: 1000, Frames: 60}}}
}

// TestConcurrentAnswersAreStoredOnceEach: answers arriving all at once,
// which the batcher stores together, each with an identical retry and a
// conflicting one racing it: every trial is stored once, exactly one
// request per trial reports creating it, the identical retries report a
// duplicate and the different answers a conflict.
func TestConcurrentAnswersAreStoredOnceEach(t *testing.T) {
	db, sql := pgtest.NewWithSQL(t)
	ctx := context.Background()
	sessions, tokens := openStudy(t, db, 4)
	const trials = 30
	type outcome struct {
		created bool
		err     error
	}
	results := make([][3]outcome, len(sessions)*trials)
	var wg sync.WaitGroup
	for s := range sessions {
		for i := range trials {
			tr := sessions[s].Plan.Trials[i]
			for k, answer := range []string{experiments.Red, experiments.Red, experiments.Green} {
				wg.Go(func() {
					o := &results[s*trials+i][k]
					o.created, o.err = db.RecordTrial(ctx, sessions[s].ID, tokens[s], response(tr, answer))
				})
			}
		}
	}
	wg.Wait()
	for j, r := range results {
		created, duplicates, conflicts := 0, 0, 0
		for _, o := range r {
			var de *experiments.Error
			switch {
			case o.err == nil && o.created:
				created++
			case o.err == nil:
				duplicates++
			case errors.As(o.err, &de) && de.Code == experiments.Conflict:
				conflicts++
			default:
				t.Fatalf("trial %d: unexpected error %v", j, o.err)
			}
		}
		// Red stored first: the other red is a duplicate, green a conflict.
		// Green stored first: both reds conflict.
		if created != 1 || duplicates+conflicts != 2 || (duplicates == 1) != (conflicts == 1) {
			t.Fatalf("trial %d: %d created, %d duplicates, %d conflicts", j, created, duplicates, conflicts)
		}
	}
	var n int
	if err := sql.QueryRow(ctx, `SELECT count(*) FROM trials`).Scan(&n); err != nil || n != len(results) {
		t.Fatalf("%d rows stored (%v), want %d", n, err, len(results))
	}
}

// TestARefusedAnswerDoesNotFailItsBatch: an answer PostgreSQL refuses
// (a NUL byte, which no validated answer carries) fails alone; the answers
// batched with it are stored.
func TestARefusedAnswerDoesNotFailItsBatch(t *testing.T) {
	db, sql := pgtest.NewWithSQL(t)
	sessions, _ := openStudy(t, db, 2)
	row := func(s storage.Session, i int, pattern string) storage.TrialRow {
		tr := s.Plan.Trials[i]
		return storage.TrialRow{SessionID: s.ID, Index: i, Phase: string(tr.Phase), Method: string(tr.Method),
			Pattern: pattern, Tint: tr.Tint, Response: experiments.Red, Body: []byte(`{}`)}
	}
	rows := []storage.TrialRow{
		row(sessions[0], 0, "a"), row(sessions[1], 0, "bad\x00"), row(sessions[1], 1, "b"), row(sessions[0], 1, "a"),
	}
	inserted, errs := db.StoreTrialBatch(rows)
	for i := range rows {
		refused := i == 1
		if refused != (errs[i] != nil) || inserted[i] == refused {
			t.Errorf("row %d: inserted %v, error %v", i, inserted[i], errs[i])
		}
	}
	var n int
	if err := sql.QueryRow(context.Background(), `SELECT count(*) FROM trials`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d rows stored (%v), want 3", n, err)
	}
}
