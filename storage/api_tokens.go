package storage

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// API tokens expire: a token copied into a script or a notebook is not a
// key for ever.
const (
	DefaultAPITokenTTL = 90 * 24 * time.Hour
	MaxAPITokenTTL     = 365 * 24 * time.Hour
	MaxTokenLabelRunes = 100
)

// APIToken is an active token as its researcher sees it (never the token
// itself, which is shown once, when it is issued).
type APIToken struct {
	ID         int64      `json:"id"`
	Label      string     `json:"label"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
}

// CreateAPIToken issues a bearer token for scripts, valid for ttl
// (DefaultAPITokenTTL when 0, at most MaxAPITokenTTL); only its hash is
// kept.
func (db *DB) CreateAPIToken(ctx context.Context, researcherID int64, label string, ttl time.Duration) (string, error) {
	var errs experiments.FieldErrors
	switch {
	case stimuli.TextProblem(label) != "":
		errs.Add("label", "%s", stimuli.TextProblem(label))
	case utf8.RuneCountInString(label) > MaxTokenLabelRunes:
		errs.Add("label", "must be at most %d characters", MaxTokenLabelRunes)
	}
	if ttl == 0 {
		ttl = DefaultAPITokenTTL
	}
	if ttl < 0 || ttl > MaxAPITokenTTL {
		errs.Add("expires_in_days", "must be between 1 and %d days", int(MaxAPITokenTTL.Hours()/24))
	}
	if len(errs) > 0 {
		return "", experiments.InvalidFields(errs)
	}
	raw, _ := newToken()
	token := "mcc_" + raw // recognisable in logs and secret scanners
	_, err := db.pool.Exec(ctx, `INSERT INTO api_tokens (researcher_id, token_hash, label, expires_at)
		VALUES ($1, $2, $3, now() + $4::interval)`, researcherID, hashToken(token), label, ttl.String())
	if err != nil {
		return "", fmt.Errorf("creating API token: %w", err)
	}
	return token, nil
}

// APITokenResearcher is the researcher an unexpired, unrevoked bearer
// token belongs to.
func (db *DB) APITokenResearcher(ctx context.Context, token string) (Researcher, error) {
	var r Researcher
	err := db.pool.QueryRow(ctx, `
		UPDATE api_tokens t SET last_used_at = now()
		FROM researchers r WHERE r.id = t.researcher_id AND t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
		RETURNING r.id, r.email, r.created_at`, hashToken(token)).Scan(&r.ID, &r.Email, &r.CreatedAt)
	if isNoRows(err) {
		return Researcher{}, experiments.Errorf(experiments.Unauthorized, "invalid, expired or revoked API token")
	}
	return r, err
}

// RevokeAPIToken revokes a token (logout for scripts).
func (db *DB) RevokeAPIToken(ctx context.Context, token string) error {
	_, err := db.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, hashToken(token))
	return err
}

// APITokens lists a researcher's active tokens, newest first.
func (db *DB) APITokens(ctx context.Context, researcherID int64) ([]APIToken, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, label, created_at, last_used_at, expires_at FROM api_tokens
		WHERE researcher_id = $1 AND revoked_at IS NULL AND expires_at > now()
		ORDER BY created_at DESC, id DESC`, researcherID)
	if err != nil {
		return nil, fmt.Errorf("listing API tokens: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[APIToken])
}

// RevokeAPITokenByID revokes one of a researcher's active tokens; another
// researcher's token, or one already revoked or expired, is NotFound.
func (db *DB) RevokeAPITokenByID(ctx context.Context, researcherID, id int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now()
		WHERE id = $1 AND researcher_id = $2 AND revoked_at IS NULL AND expires_at > now()`, id, researcherID)
	if err != nil {
		return fmt.Errorf("revoking API token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return experiments.Errorf(experiments.NotFound, "no active API token %d", id)
	}
	return nil
}
