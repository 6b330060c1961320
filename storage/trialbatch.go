package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Answers that arrive together are stored together. While a batch of
// answers is being written, the next ones queue; a worker then stores all
// of them with one INSERT: one round trip and one commit for as many
// answers as arrived meanwhile, so under load PostgreSQL commits (and
// flushes its WAL) once per batch instead of once per answer. Each answer
// is acknowledged only after the commit that stored it, with the server's
// synchronous_commit. Under light load a batch is a single answer, stored
// at once.
const (
	// trialBatchWorkers is how many batches are stored at once (the pool
	// connections the answer path uses at most).
	trialBatchWorkers = 4
	// maxTrialBatch bounds the answers of one INSERT.
	maxTrialBatch = 64
	// trialBatchTimeout bounds one batch's INSERT.
	trialBatchTimeout = 30 * time.Second
)

// errBatcherClosed answers the answers still queued when the database closes.
var errBatcherClosed = errors.New("the database is closing")

// trialRow is one answer as stored: a row of the trials table.
type trialRow struct {
	SessionID        string
	Index            int
	Phase            string
	Block            int
	Method           string
	Pattern          string
	Tint             *float64
	Response         string
	Setting          *float64
	RTMS             float64
	OnsetMS          float64
	IntendedMS       float64
	MeasuredMS       float64
	Frames           int
	DroppedFrames    int
	ModelPRed        *float64
	Body             []byte // the normalised response, for comparing retries
	Catch            bool
	SinceInductionMS *float64
	Input            string
	// Target is a colour-check trial's tinted patch.
	Target *int
	// WaitsForScreening: stored only once the session passed its
	// screening (experiments.Plan.WaitsForScreening).
	WaitsForScreening bool
}

// insertTrialsSQL stores the rows given as one array per column (session ids
// as text: pgx encodes a []string as uuid[] only through a failed binary
// attempt and the text format), each only
// while its session takes answers. The session row is locked FOR KEY SHARE
// (as the foreign key check would anyway): if a withdrawal or deletion holds
// it, the row waits and then re-checks the status, so no answer lands after
// the data was removed; an answer that waits for the screening lands only
// once the session has passed it. It returns the rows it stored; a row
// already stored is left as it is.
const insertTrialsSQL = `
	INSERT INTO trials (session_id, trial_index, phase, block, method, pattern, tint, response, setting,
	                    rt_ms, onset_ms, intended_ms, measured_ms, frames, dropped_frames, model_p_red, body,
	                    catch, since_induction_ms, input, target)
	SELECT a.session_id::uuid, a.trial_index, a.phase, a.block, a.method, a.pattern, a.tint, a.response, a.setting,
	       a.rt_ms, a.onset_ms, a.intended_ms, a.measured_ms, a.frames, a.dropped_frames, a.model_p_red, a.body,
	       a.catch, a.since_induction_ms, nullif(a.input, ''), a.target
	FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::float8[], $8::text[],
	            $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::int[], $15::int[],
	            $16::float8[], $17::jsonb[], $18::bool[], $19::float8[], $20::text[], $21::int[], $22::bool[])
	     AS a(session_id, trial_index, phase, block, method, pattern, tint, response, setting,
	          rt_ms, onset_ms, intended_ms, measured_ms, frames, dropped_frames, model_p_red, body,
	          catch, since_induction_ms, input, target, waits)
	WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.id = a.session_id::uuid AND s.status IN ('started', 'complete')
	              AND (NOT a.waits OR s.screening_passed_at IS NOT NULL) FOR KEY SHARE)
	ON CONFLICT (session_id, trial_index) DO NOTHING
	RETURNING session_id::text, trial_index`

// trialBatcher stores queued answers in batches.
type trialBatcher struct {
	pool  *pgxpool.Pool
	queue chan *pendingTrial
	stop  chan struct{}
	once  sync.Once // close may be called more than once (DB.Close, like the pool's, is)
	wg    sync.WaitGroup
}

// pendingTrial is an answer waiting for its batch to commit.
type pendingTrial struct {
	row      trialRow
	inserted bool
	err      error
	done     chan struct{}
}

func newTrialBatcher(pool *pgxpool.Pool) *trialBatcher {
	b := &trialBatcher{pool: pool, queue: make(chan *pendingTrial, 4*maxTrialBatch), stop: make(chan struct{})}
	for range trialBatchWorkers {
		b.wg.Go(b.work)
	}
	return b
}

// close stops the workers (each finishes the batch it is storing) and
// fails the answers still queued.
func (b *trialBatcher) close() {
	b.once.Do(func() { close(b.stop) })
	b.wg.Wait()
	for {
		select {
		case p := <-b.queue:
			p.err = errBatcherClosed
			close(p.done)
		default:
			return
		}
	}
}

// insert stores row with the answers queued beside it and reports whether
// it stored it (false: the trial was already stored, or the session takes
// no answers). When ctx ends or the database closes first, the row may
// still be stored: the caller's retry then finds it.
func (b *trialBatcher) insert(ctx context.Context, row trialRow) (bool, error) {
	p := &pendingTrial{row: row, done: make(chan struct{})}
	select {
	case b.queue <- p:
	case <-b.stop:
		return false, errBatcherClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case <-p.done:
		return p.inserted, p.err
	case <-b.stop:
		return false, errBatcherClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (b *trialBatcher) work() {
	batch := make([]*pendingTrial, 0, maxTrialBatch)
	for {
		select {
		case <-b.stop:
			return
		case p := <-b.queue:
			batch = append(batch[:0], p)
		}
	fill:
		for len(batch) < maxTrialBatch {
			select {
			case p := <-b.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		b.store(batch)
	}
}

// store writes a batch and answers each of its answers. If the INSERT
// fails, each answer is tried alone, so that one answer the database
// refuses does not fail the others.
func (b *trialBatcher) store(batch []*pendingTrial) {
	inserted, err := b.insertRows(batch)
	if err != nil && len(batch) > 1 {
		for _, p := range batch {
			b.store([]*pendingTrial{p})
		}
		return
	}
	for _, p := range batch {
		p.inserted, p.err = inserted[p], err
		close(p.done)
	}
}

type trialKey struct {
	session string
	index   int
}

func (b *trialBatcher) insertRows(batch []*pendingTrial) (map[*pendingTrial]bool, error) {
	// Sessions are locked in one order by every batch. Of the answers to
	// one trial (a retry racing the original), the first to arrive is
	// inserted; the others are not stored, and their callers tell a
	// duplicate from a conflict.
	batch = slices.Clone(batch)
	slices.SortStableFunc(batch, func(x, y *pendingTrial) int {
		return cmp.Or(cmp.Compare(x.row.SessionID, y.row.SessionID), cmp.Compare(x.row.Index, y.row.Index))
	})
	batch = slices.CompactFunc(batch, func(x, y *pendingTrial) bool {
		return x.row.SessionID == y.row.SessionID && x.row.Index == y.row.Index
	})
	n := len(batch)
	var (
		sessions                                  = make([]string, n)
		indexes, blocks, frames, dropped          = make([]int, n), make([]int, n), make([]int, n), make([]int, n)
		phases, methods, patterns, responses, ins = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		tints, settings, pReds, sinceInduction    = make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n)
		rts, onsets, intended, measured           = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		bodies                                    = make([][]byte, n)
		catches, waits                            = make([]bool, n), make([]bool, n)
		targets                                   = make([]*int, n)
	)
	for i, p := range batch {
		r := p.row
		sessions[i], indexes[i], phases[i], blocks[i], methods[i], patterns[i] = r.SessionID, r.Index, r.Phase, r.Block, r.Method, r.Pattern
		tints[i], responses[i], settings[i] = r.Tint, r.Response, r.Setting
		rts[i], onsets[i], intended[i], measured[i], frames[i], dropped[i] = r.RTMS, r.OnsetMS, r.IntendedMS, r.MeasuredMS, r.Frames, r.DroppedFrames
		pReds[i], bodies[i], catches[i], sinceInduction[i], ins[i] = r.ModelPRed, r.Body, r.Catch, r.SinceInductionMS, r.Input
		targets[i], waits[i] = r.Target, r.WaitsForScreening
	}
	ctx, cancel := context.WithTimeout(context.Background(), trialBatchTimeout)
	defer cancel()
	rows, err := b.pool.Query(ctx, insertTrialsSQL, sessions, indexes, phases, blocks, methods, patterns, tints, responses,
		settings, rts, onsets, intended, measured, frames, dropped, pReds, bodies, catches, sinceInduction, ins, targets, waits)
	if err != nil {
		return nil, fmt.Errorf("storing trials: %w", err)
	}
	stored := make(map[trialKey]bool, n)
	var k trialKey
	_, err = pgx.ForEachRow(rows, []any{&k.session, &k.index}, func() error {
		stored[k] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storing trials: %w", err)
	}
	inserted := make(map[*pendingTrial]bool, n)
	for _, p := range batch {
		inserted[p] = stored[trialKey{p.row.SessionID, p.row.Index}]
	}
	return inserted, nil
}
