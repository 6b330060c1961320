package storage

import (
	"context"
	"crypto/sha256"
	"strings"
	"time"
)

// Sign-in throttling, on two keys: one client and one email (a person who
// mistypes, or a guesser at one address), and one email from every client
// (a guesser spread over many addresses). Failures within LoginWindow past
// a key's limit refuse further attempts until the window ends. The account
// limit is the price of the second: a guesser can keep the account's owner
// from signing in anew for a window (their signed-in browsers and API
// tokens keep working). Only hashes of the keys are stored.
const (
	MaxLoginFailures        = 5
	MaxAccountLoginFailures = 20
	LoginWindow             = 15 * time.Minute
)

// loginKeys are the hashed throttle keys of an attempt: client and email,
// and email alone.
func loginKeys(client, email string) (clientKey, accountKey []byte) {
	email = strings.ToLower(strings.TrimSpace(email))
	c := sha256.Sum256([]byte("login:" + strings.ToLower(client) + "|" + email))
	a := sha256.Sum256([]byte("login-account:" + email))
	return c[:], a[:]
}

// LoginAllowed reports whether client may try to sign in as email now.
func (db *DB) LoginAllowed(ctx context.Context, client, email string) (bool, error) {
	clientKey, accountKey := loginKeys(client, email)
	var byClient, byAccount int
	err := db.pool.QueryRow(ctx, `
		SELECT coalesce(max(failures) FILTER (WHERE key_hash = $1), 0), coalesce(max(failures) FILTER (WHERE key_hash = $2), 0)
		FROM login_attempts WHERE key_hash IN ($1, $2) AND window_start > now() - $3::interval`,
		clientKey, accountKey, LoginWindow.String()).Scan(&byClient, &byAccount)
	if err != nil {
		return false, err
	}
	return byClient < MaxLoginFailures && byAccount < MaxAccountLoginFailures, nil
}

// RecordLoginFailure counts a failed attempt on both keys.
func (db *DB) RecordLoginFailure(ctx context.Context, client, email string) error {
	clientKey, accountKey := loginKeys(client, email)
	_, err := db.pool.Exec(ctx, `
		INSERT INTO login_attempts (key_hash, failures, window_start) VALUES ($1, 1, now()), ($2, 1, now())
		ON CONFLICT (key_hash) DO UPDATE SET
			failures = CASE WHEN login_attempts.window_start > now() - $3::interval THEN login_attempts.failures + 1 ELSE 1 END,
			window_start = CASE WHEN login_attempts.window_start > now() - $3::interval THEN login_attempts.window_start ELSE now() END`,
		clientKey, accountKey, LoginWindow.String())
	return err
}

// ClearLoginFailures forgets the client's failures after it signed in.
// The account's count stays: one success does not license another
// client's guesses.
func (db *DB) ClearLoginFailures(ctx context.Context, client, email string) error {
	clientKey, _ := loginKeys(client, email)
	_, err := db.pool.Exec(ctx, `DELETE FROM login_attempts WHERE key_hash = $1`, clientKey)
	return err
}
