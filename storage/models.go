package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// ConfigDigest names a training configuration (its canonical JSON).
func ConfigDigest(configJSON []byte) string {
	sum := sha256.Sum256(configJSON)
	return hex.EncodeToString(sum[:16])
}

// ModelWeights returns the stored weights trained with the configuration
// of digest, or (nil, nil) when there are none yet.
func (db *DB) ModelWeights(ctx context.Context, digest string) ([]byte, error) {
	var w []byte
	err := db.pool.QueryRow(ctx, `SELECT weights FROM observer_models WHERE config_digest = $1`, digest).Scan(&w)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading model weights: %w", err)
	}
	return w, nil
}

// SaveModelWeights stores (or replaces) the weights of a configuration,
// named by their own digest.
func (db *DB) SaveModelWeights(ctx context.Context, digest string, configJSON []byte, weightsDigest string, weights []byte) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO observer_models (config_digest, config, weights_digest, weights) VALUES ($1, $2, $3, $4)
		ON CONFLICT (config_digest) DO UPDATE SET config = excluded.config, weights_digest = excluded.weights_digest,
			weights = excluded.weights, created_at = now()`,
		digest, configJSON, weightsDigest, weights)
	if err != nil {
		return fmt.Errorf("saving model weights: %w", err)
	}
	return nil
}
