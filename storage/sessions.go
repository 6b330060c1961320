package storage

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
)

// AbandonAfter is how long a started session may go without a write (a
// trial, an event or a status change) before it no longer counts towards its
// arm in counterbalancing.
const AbandonAfter = 2 * time.Hour

// NewSession is what a participant (or the observer) brings to a new session.
type NewSession struct {
	Kind           string            // experiments.KindHuman or KindModel
	ParticipantRef string            // Prolific/URL id, or the model's descriptor
	Params         map[string]string // the study link's query parameters
	Screen         experiments.ScreenInfo
	// Device is the browser and OS families (never the raw user agent).
	Device experiments.Device
	// Condition, when set, fixes the arm (the observer alternates arms by
	// seed); otherwise the least-filled arm is chosen.
	Condition *int
	// Seed, when set, fixes the plan's seed (reproducible model runs).
	Seed *int64
	// Preview marks a researcher trying the study: it is left out of
	// counterbalancing, exports and results, and may run on a draft.
	Preview bool
	// Mechanism, ModelSeed and ModelNetwork (the weights digest)
	// describe a model participant.
	Mechanism    string
	ModelSeed    *int64
	ModelNetwork string
}

// Session is a stored session with its plan.
type Session struct {
	ID             string
	ExperimentID   int64
	VersionID      int64
	Slug           string
	Kind           string
	ParticipantRef string
	Condition      experiments.Condition
	Seed           int64
	Status         string
	Plan           experiments.Plan
	Definition     experiments.Definition
	CompletionCode string
	CreatedAt      time.Time
	// Preview: a researcher trying the study (NewSession.Preview).
	Preview bool
}

// CreateSession starts a session of experiment e's latest version with a
// concrete plan, and returns it with its bearer token (only its hash is
// stored). Human sessions get the counterbalancing arm with the fewest
// started-and-not-abandoned sessions. Only that choice is serialised per
// experiment (a row lock, on every replica): the session's row is inserted
// under it with its arm and no plan yet, which counts it at once; the plan,
// the slow part for a large study, is built and stored after the lock, so
// a flood of creations does not keep an ordinary participant waiting.
func (db *DB) CreateSession(ctx context.Context, e Experiment, ns NewSession) (Session, string, error) {
	if ns.Kind == "" {
		ns.Kind = experiments.KindHuman
	}
	seed := randomSeed()
	if ns.Seed != nil {
		seed = *ns.Seed
	}
	token, tokenHash := newToken()
	id, err := uuid.NewV7() // time-ordered: inserts stay at the end of the index
	if err != nil {
		return Session{}, "", err
	}
	s := Session{ID: id.String(), ExperimentID: e.ID, VersionID: e.VersionID, Slug: e.Slug, Kind: ns.Kind,
		ParticipantRef: ns.ParticipantRef, Seed: seed, Status: experiments.StatusStarted, Definition: e.Definition, Preview: ns.Preview}
	params, _ := json.Marshal(nonNil(ns.Params))
	screen, _ := json.Marshal(ns.Screen)
	device, _ := json.Marshal(ns.Device)
	arm, err := db.reserveArm(ctx, e, ns, seed, func(tx pgx.Tx, arm int) error {
		return tx.QueryRow(ctx, `
			INSERT INTO sessions (id, experiment_version_id, participant_kind, participant_ref, params,
			                      condition, seed, plan, screen, token_hash, preview, model_mechanism, model_seed, model_network, device)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'null', $8, $9, $10, nullif($11, ''), $12, nullif($13, ''), $14)
			RETURNING created_at`,
			s.ID, e.VersionID, ns.Kind, ns.ParticipantRef, params, arm, seed, screen, tokenHash,
			ns.Preview, ns.Mechanism, ns.ModelSeed, ns.ModelNetwork, device,
		).Scan(&s.CreatedAt)
	})
	if err != nil {
		return Session{}, "", err
	}
	s.Condition = experiments.ConditionForArm(arm)
	planDef := e.Definition
	if ns.Kind == experiments.KindModel {
		// The colour-vision screening is a human eligibility check.
		off := false
		planDef.Screening = &experiments.Screening{Enabled: &off}
	}
	plan, err := func() ([]byte, error) {
		release, err := db.planSlot(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		defer release()
		if s.Plan, err = experiments.NewPlan(planDef, seed, s.Condition); err != nil {
			return nil, err
		}
		plan, err := json.Marshal(s.Plan)
		if err != nil {
			return nil, err
		}
		_, err = db.pool.Exec(ctx, `UPDATE sessions SET plan = $2 WHERE id = $1`, s.ID, plan)
		return plan, err
	}()
	if err != nil {
		// Nobody has the session's token: take its row back. (Left behind
		// by a crash, it would count towards its arm until abandoned.)
		_, _ = db.pool.Exec(context.WithoutCancel(ctx), `DELETE FROM sessions WHERE id = $1`, s.ID)
		return Session{}, "", fmt.Errorf("creating session: %w", err)
	}
	cached := s
	cached.Status = "" // mutable: always read from the database
	db.plans.add(s.ID, &sessionInfo{Session: cached, tokenHash: tokenHash, size: len(plan)})
	return s, token, nil
}

// reserveArm chooses the new session's arm and, in the same transaction,
// calls insert to add its row. Creations of one experiment queue in this
// process first, so that a burst of participants does not hold every
// pooled connection while it waits for the experiment's row lock, which
// would stall everyone's trial writes.
func (db *DB) reserveArm(ctx context.Context, e Experiment, ns NewSession, seed int64, insert func(pgx.Tx, int) error) (int, error) {
	unlock := db.lockExperiment(e.ID)
	defer unlock()
	var arm int
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		if arm, err = chooseArm(ctx, tx, e, ns, seed); err != nil {
			return err
		}
		return insert(tx, arm)
	})
	return arm, err
}

// chooseArm locks the experiment row (serialising concurrent creations on
// every replica) and picks the arm for a new session.
func chooseArm(ctx context.Context, tx pgx.Tx, e Experiment, ns NewSession, seed int64) (int, error) {
	arms := e.Definition.Arms()
	if ns.Condition != nil {
		if *ns.Condition < 0 || *ns.Condition >= arms {
			return 0, experiments.Invalidf("condition %d: the experiment has %d arm(s)", *ns.Condition, arms)
		}
		return *ns.Condition, nil
	}
	if arms <= 1 {
		return 0, nil
	}
	if ns.Preview {
		return experiments.ChooseArm(make([]int, arms), seed), nil // a random arm; previews don't count
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM experiments WHERE id = $1 FOR NO KEY UPDATE`, e.ID); err != nil {
		return 0, fmt.Errorf("locking experiment: %w", err)
	}
	rows, err := tx.Query(ctx, `
		SELECT s.condition, count(*)
		FROM sessions s JOIN experiment_versions v ON v.id = s.experiment_version_id
		WHERE v.experiment_id = $1 AND s.participant_kind = $2 AND NOT s.preview
		  AND (s.status = $3 OR (s.status = $4 AND (s.updated_at > now() - $5::interval
		       OR EXISTS (SELECT 1 FROM trials t WHERE t.session_id = s.id AND t.created_at > now() - $5::interval))))
		GROUP BY s.condition`,
		e.ID, experiments.KindHuman, experiments.StatusComplete, experiments.StatusStarted, AbandonAfter.String())
	if err != nil {
		return 0, fmt.Errorf("counting sessions per arm: %w", err)
	}
	counts := make([]int, arms)
	for rows.Next() {
		var cond, n int
		if err := rows.Scan(&cond, &n); err != nil {
			return 0, err
		}
		if cond >= 0 && cond < arms {
			counts[cond] = n
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return experiments.ChooseArm(counts, seed), nil
}

func randomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) >> 1) // non-negative: friendlier in CSVs
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// planSlot waits for one of the experiment's slots for building and
// storing a plan (a core less than the machine's, at least one). A large
// study's plan takes tens of milliseconds of CPU to build and megabytes of
// WAL to store: fifty creations of one at once were fifty goroutines
// sharing the cores with everyone else and fifty large writes ahead of
// every commit, and an ordinary study's participant waited behind them
// (BenchmarkOrdinarySessionDuringFlood, BENCHMARKS.md). Each study waits for
// its own slots, so a flood slows only its own study, which its creation
// limit (--sessions-per-study) bounds anyway; an ordinary plan is built
// and stored in a few milliseconds.
func (db *DB) planSlot(ctx context.Context, id int64) (release func(), err error) {
	s, ok := db.planning.Load(id)
	if !ok {
		s, _ = db.planning.LoadOrStore(id, make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1)))
	}
	slots := s.(chan struct{})
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lockExperiment takes this process's lock for creating sessions of an
// experiment.
func (db *DB) lockExperiment(id int64) (unlock func()) {
	m, _ := db.creating.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
