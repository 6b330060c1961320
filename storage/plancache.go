package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/mccollough/mccollough/experiments"
)

// sessionInfo is the immutable part of a session: its plan, definition and
// token hash. Immutable, so caching it is safe on any number of replicas; the
// mutable part (status) is always read from the database.
type sessionInfo struct {
	Session
	tokenHash []byte
	// size approximates the memory it holds: its plan's and definition's
	// JSON (the parsed structures are of the same order).
	size int
}

// planCacheBytes bounds the cache of parsed plans: a large study's plan is
// ~2 MB, so a bound in entries alone (4096) allowed gigabytes.
const planCacheBytes = 256 << 20

// planCache keeps recently used sessions' plans, least recently used out
// first, bounded in bytes.
type planCache struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, *sessionInfo]
	bytes    int
	maxBytes int
}

func newPlanCache(maxBytes int) *planCache {
	c := &planCache{maxBytes: maxBytes}
	// The byte bound evicts; the entry bound is only a backstop.
	c.lru, _ = simplelru.NewLRU(1<<20, func(_ string, info *sessionInfo) { c.bytes -= info.size })
	return c
}

func (c *planCache) get(id string) (*sessionInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(id)
}

// add keeps info, dropping the least recently used plans over the bound (a
// plan larger than the whole cache is not kept).
func (c *planCache) add(id string, info *sessionInfo) {
	if info.size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(id) // its bytes leave through the eviction callback
	c.lru.Add(id, info)
	c.bytes += info.size
	for c.bytes > c.maxBytes {
		c.lru.RemoveOldest()
	}
}

func (c *planCache) remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(id)
}

// SessionDesign is a live session's plan and definition without its
// token: for serving its stimuli (images carry no participant data and
// cannot send a bearer token).
func (db *DB) SessionDesign(ctx context.Context, id string) (Session, error) {
	info, err := db.cachedSession(ctx, id)
	if err != nil {
		return Session{}, err
	}
	s := info.Session
	if s.Status, err = db.liveStatus(ctx, id); err != nil {
		return Session{}, err
	}
	return s, nil
}

// liveStatus reads the session's status from the database, where a
// deletion or a withdrawal on any replica shows at once: a deleted session
// is NotFound (and leaves this replica's cache), a withdrawn one Gone.
func (db *DB) liveStatus(ctx context.Context, id string) (string, error) {
	var status string
	err := db.pool.QueryRow(ctx, `SELECT status FROM sessions WHERE id = $1`, id).Scan(&status)
	if isNoRows(err) {
		return "", db.sessionDeleted(id)
	}
	if err != nil {
		return "", fmt.Errorf("reading session status: %w", err)
	}
	if status == experiments.StatusWithdrawn {
		return "", sessionWithdrawn()
	}
	return status, nil
}

// sessionDeleted forgets a session its researcher deleted, and says so.
func (db *DB) sessionDeleted(id string) error {
	db.plans.remove(id)
	return experiments.Errorf(experiments.NotFound, "no session %q: it was deleted", id)
}

func sessionWithdrawn() error {
	return experiments.Errorf(experiments.Gone, "the participant withdrew from this session and its data was deleted")
}

func (db *DB) cachedSession(ctx context.Context, id string) (*sessionInfo, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, experiments.Errorf(experiments.NotFound, "no session %q", id)
	}
	if info, ok := db.plans.get(id); ok {
		return info, nil
	}
	info, err := db.loadSessionInfo(ctx, id)
	if err != nil {
		return nil, err
	}
	db.plans.add(id, info)
	return info, nil
}

// sessionFor loads the session's immutable part and checks the bearer
// token: an unknown id is NotFound, a wrong token Unauthorized.
func (db *DB) sessionFor(ctx context.Context, id, token string) (*sessionInfo, error) {
	info, err := db.cachedSession(ctx, id)
	if err != nil {
		return nil, err
	}
	if !tokenMatches(token, info.tokenHash) {
		return nil, experiments.Errorf(experiments.Unauthorized, "missing or wrong session token")
	}
	return info, nil
}

func (db *DB) loadSessionInfo(ctx context.Context, id string) (*sessionInfo, error) {
	info := &sessionInfo{}
	s := &info.Session
	var plan, def []byte
	var arm int
	err := db.pool.QueryRow(ctx, `
		SELECT s.id, v.experiment_id, v.id, e.slug, s.participant_kind, s.participant_ref, s.condition, s.seed,
		       s.plan, v.definition, s.token_hash, s.created_at, s.preview
		FROM sessions s
		JOIN experiment_versions v ON v.id = s.experiment_version_id
		JOIN experiments e ON e.id = v.experiment_id
		WHERE s.id = $1`, id).Scan(&s.ID, &s.ExperimentID, &s.VersionID, &s.Slug, &s.Kind, &s.ParticipantRef,
		&arm, &s.Seed, &plan, &def, &info.tokenHash, &s.CreatedAt, &s.Preview)
	if isNoRows(err) {
		return nil, experiments.Errorf(experiments.NotFound, "no session %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("loading session: %w", err)
	}
	if err := json.Unmarshal(plan, &s.Plan); err != nil {
		return nil, fmt.Errorf("session %s: stored plan unreadable: %w", id, err)
	}
	if err := json.Unmarshal(def, &s.Definition); err != nil {
		return nil, fmt.Errorf("session %s: stored definition unreadable: %w", id, err)
	}
	s.Definition = s.Definition.WithDefaults() // fields added since the version was stored

	s.Condition = experiments.ConditionForArm(arm)
	info.size = len(plan) + len(def)
	return info, nil
}
