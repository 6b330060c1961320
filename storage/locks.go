package storage

import (
	"context"
	"fmt"
	"time"
)

// lockRetry is how often a waiter tries again for a lock another replica
// holds.
const lockRetry = 500 * time.Millisecond

// WithLock runs fn while holding the cluster-wide lock named key, so that
// one replica at a time does the work fn does (for example, training a
// model every replica will then share).
//
// The lock is an advisory lock scoped to a transaction that stays open
// while fn runs: a session-level lock would be taken on one server
// connection and released on another behind a transaction-pooling
// PgBouncer. Waiters poll with a try-lock instead of blocking, so only the
// holder keeps a connection. fn does its own queries on the pool; the
// transaction only holds the lock.
func (db *DB) WithLock(ctx context.Context, key string, fn func(ctx context.Context) error) error {
	for {
		got, err := db.tryLock(ctx, key, fn)
		if err != nil || got {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lockRetry):
		}
	}
}

// tryLock runs fn if it gets the lock at once. The lock's transaction holds
// nothing else, so it is rolled back, not committed, when fn returns: the
// outcome is fn's, even if the connection was lost meanwhile.
func (db *DB) tryLock(ctx context.Context, key string, fn func(ctx context.Context) error) (bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("taking lock %q: %w", key, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var got bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext($1))`, key).Scan(&got); err != nil {
		return false, fmt.Errorf("taking lock %q: %w", key, err)
	}
	if !got {
		return false, nil
	}
	return true, fn(ctx)
}
