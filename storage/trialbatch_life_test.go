package storage_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// The batcher's life beside its callers: acknowledgements after the commit,
// callers that give up, and a database closing with answers in flight.

func storedCount(t *testing.T, pool *pgxpool.Pool, session string, index int) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(),
		`SELECT count(*) FROM trials WHERE session_id = $1 AND ($2 < 0 OR trial_index = $2)`, session, index).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitUntil polls cond until it holds (the test's deadline bounds it).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAnAnswerIsAcknowledgedOnlyOnceCommitted: answers from many
// participants at once, so that they share batches; the moment each is
// acknowledged as stored, another connection already sees its row. (An
// acknowledgement before the commit, which the HTTP 200 follows, would
// show up as a row not yet visible.)
func TestAnAnswerIsAcknowledgedOnlyOnceCommitted(t *testing.T) {
	url := pgtest.NewURL(t)
	db, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other := pgtest.SQL(t, url) // what it sees was committed
	sessions, tokens := openStudy(t, db, 16)
	var wg sync.WaitGroup
	for s := range sessions {
		wg.Go(func() {
			for i := range 10 {
				created, err := db.RecordTrial(context.Background(), sessions[s].ID, tokens[s], response(sessions[s].Plan.Trials[i], experiments.Red))
				if err != nil || !created {
					t.Errorf("session %d trial %d: created %v, error %v", s, i, created, err)
					return
				}
				if n := storedCount(t, other, sessions[s].ID, i); n != 1 {
					t.Errorf("session %d trial %d acknowledged, but another connection sees %d rows", s, i, n)
				}
			}
		})
	}
	wg.Wait()
}

// TestAnAnswerWhoseCallerGaveUpIsStoredOnce: two batches wait on a
// session row locked by another transaction (as a withdrawal would lock
// it); the caller of one gives up (the client went away), the other waits.
// Other sessions' answers are stored meanwhile; the batch is not cancelled
// with its caller: once the lock is gone both answers are stored, the
// waiting caller is told so, and a retry of the abandoned answer finds it
// stored (an identical retry, no second row).
func TestAnAnswerWhoseCallerGaveUpIsStoredOnce(t *testing.T) {
	url := pgtest.NewURL(t)
	db, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other := pgtest.SQL(t, url) // what it sees was committed
	sessions, tokens := openStudy(t, db, 2)
	blocked, free := sessions[0], sessions[1]
	ctx := context.Background()

	lock, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback(ctx) }() // released below; this covers a failure before
	if _, err := lock.Exec(ctx, `SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, blocked.ID); err != nil {
		t.Fatal(err)
	}

	// Two answers of the locked session, in two batches (the second is
	// sent once the first waits): one caller gives up, the other waits.
	waiting := func(n int) func() bool {
		return func() bool {
			var w int
			err := other.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO trials%'`).Scan(&w)
			if err != nil {
				t.Fatal(err)
			}
			return w >= n
		}
	}
	giveUp, cancel := context.WithCancel(ctx)
	gaveUp, waited := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := db.RecordTrial(giveUp, blocked.ID, tokens[0], response(blocked.Plan.Trials[0], experiments.Red))
		gaveUp <- err
	}()
	waitUntil(t, "the first answer's batch waits for the session's lock", waiting(1))
	go func() {
		created, err := db.RecordTrial(ctx, blocked.ID, tokens[0], response(blocked.Plan.Trials[1], experiments.Red))
		if err == nil && !created {
			err = errors.New("not created")
		}
		waited <- err
	}()
	waitUntil(t, "the second answer's batch waits too", waiting(2))

	if created, err := db.RecordTrial(ctx, free.ID, tokens[1], response(free.Plan.Trials[0], experiments.Red)); err != nil || !created {
		t.Fatalf("another session's answer while the batch waits: created %v, error %v", created, err)
	}
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that gave up got %v, want context.Canceled", err)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("the caller that waited: %v", err)
	}
	waitUntil(t, "the abandoned answer is stored", func() bool { return storedCount(t, other, blocked.ID, 0) == 1 })
	created, err := db.RecordTrial(ctx, blocked.ID, tokens[0], response(blocked.Plan.Trials[0], experiments.Red))
	if err != nil || created {
		t.Fatalf("retry of the abandoned answer: created %v, error %v; want an identical retry", created, err)
	}
	if n := storedCount(t, other, blocked.ID, -1); n != 2 {
		t.Fatalf("%d rows of the locked session, want 2", n)
	}
}

// TestClosingLosesNoAcknowledgedAnswer: participants answer while the
// database is closed under them. Every caller returns; every answer
// acknowledged is stored; every answer refused is refused as unavailable
// (the server's 503, which the runner retries); and after a restart the
// participants' retries complete their sessions with each trial stored
// once.
func TestClosingLosesNoAcknowledgedAnswer(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	other := pgtest.SQL(t, url) // what it sees was committed
	sessions, tokens := openStudy(t, db, 12)
	const trials = 40
	acknowledged := make([]int, len(sessions)) // trials 0..n-1 acknowledged
	var total atomic.Int64
	var wg sync.WaitGroup
	for s := range sessions {
		wg.Go(func() {
			for i := range trials {
				_, err := db.RecordTrial(ctx, sessions[s].ID, tokens[s], response(sessions[s].Plan.Trials[i], experiments.Red))
				if err != nil {
					if !storage.IsUnavailable(err) {
						t.Errorf("session %d trial %d: %v, want an error that says unavailable", s, i, err)
					}
					return
				}
				acknowledged[s] = i + 1
				total.Add(1)
			}
		})
	}
	waitUntil(t, "answers are flowing", func() bool { return total.Load() >= int64(len(sessions)) })
	db.Close()
	wg.Wait()

	for s := range sessions {
		for i := range acknowledged[s] {
			if n := storedCount(t, other, sessions[s].ID, i); n != 1 {
				t.Fatalf("session %d trial %d was acknowledged; %d rows stored", s, i, n)
			}
		}
	}

	db, err = storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for s := range sessions {
		for i := acknowledged[s]; i < trials; i++ {
			if _, err := db.RecordTrial(ctx, sessions[s].ID, tokens[s], response(sessions[s].Plan.Trials[i], experiments.Red)); err != nil {
				t.Fatalf("session %d trial %d after the restart: %v", s, i, err)
			}
		}
		if n := storedCount(t, other, sessions[s].ID, -1); n != trials {
			t.Fatalf("session %d: %d rows, want %d", s, n, trials)
		}
	}
}
