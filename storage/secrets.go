package storage

import (
	"context"
	"crypto/rand"
	"fmt"
)

// ServerSecret is the random secret called name that every replica shares:
// the first replica to ask creates it (size random bytes); every later
// ask, on any replica, gets the same bytes. Two replicas asking at once
// both get the one that was stored: the insert does nothing on a conflict,
// and the read that follows sees whichever insert committed.
func (db *DB) ServerSecret(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	rand.Read(fresh) // never fails (crypto/rand)
	if _, err := db.pool.Exec(ctx, `INSERT INTO server_secrets (name, secret) VALUES ($1, $2)
		ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("storing server secret %q: %w", name, err)
	}
	var secret []byte
	if err := db.pool.QueryRow(ctx, `SELECT secret FROM server_secrets WHERE name = $1`, name).Scan(&secret); err != nil {
		return nil, fmt.Errorf("reading server secret %q: %w", name, err)
	}
	return secret, nil
}
