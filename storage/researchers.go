package storage

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
)

// Researcher is an account that owns pattern pairs and experiments.
type Researcher struct {
	ID        int64
	Email     string
	CreatedAt time.Time
}

// Password rules: long enough to resist guessing, short enough to hash fast.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 200
)

// ValidateAccount checks an email and password for a new account.
func ValidateAccount(email, password string) (string, experiments.FieldErrors) {
	var errs experiments.FieldErrors
	addr, err := mail.ParseAddress(strings.TrimSpace(email))
	if p := stimuli.TextProblem(email); p != "" {
		errs.Add("email", "%s", p)
	} else if err != nil || addr.Name != "" || !strings.Contains(addr.Address, "@") {
		errs.Add("email", "must be an email address like name@example.org")
	} else {
		email = strings.ToLower(addr.Address)
	}
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLen:
		errs.Add("password", "must be at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		errs.Add("password", "must be at most %d characters", MaxPasswordLen)
	}
	return email, errs
}

// CreateResearcher adds an account (the command line's researcher add).
// The first account created also becomes the owner of the demo studies.
func (db *DB) CreateResearcher(ctx context.Context, email, password string) (Researcher, error) {
	return db.createResearcher(ctx, email, password, false)
}

// CreateFirstResearcher adds the first account (the /setup page): when
// another exists, even one created a moment ago by a concurrent request,
// it is NotFound, as the page then is.
func (db *DB) CreateFirstResearcher(ctx context.Context, email, password string) (Researcher, error) {
	return db.createResearcher(ctx, email, password, true)
}

func (db *DB) createResearcher(ctx context.Context, email, password string, first bool) (Researcher, error) {
	email, errs := ValidateAccount(email, password)
	if len(errs) > 0 {
		return Researcher{}, experiments.InvalidFields(errs)
	}
	var hash string
	if err := db.hashing.do(ctx, func() { hash = hashPassword(password) }); err != nil {
		return Researcher{}, err
	}
	r := Researcher{Email: email}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if first {
			// SHARE ROW EXCLUSIVE conflicts with itself and with inserts:
			// concurrent setups take turns, and the second sees the first.
			if _, err := tx.Exec(ctx, `LOCK TABLE researchers IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM researchers)`).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return experiments.Errorf(experiments.NotFound, "setup is done: sign in instead")
			}
		}
		err := tx.QueryRow(ctx, `INSERT INTO researchers (email, password_hash) VALUES ($1, $2) RETURNING id, created_at`,
			email, hash).Scan(&r.ID, &r.CreatedAt)
		if isUniqueViolation(err, "researchers_email_key") {
			return experiments.Errorf(experiments.Conflict, "an account with email %s already exists", email)
		}
		if err != nil {
			return fmt.Errorf("creating researcher: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE experiments SET owner_id = $1 WHERE owner_id IS NULL
			AND NOT EXISTS (SELECT 1 FROM researchers WHERE id <> $1)`, r.ID)
		return err
	})
	return r, err
}

// ResearcherCount is how many accounts exist (the setup page exists only
// while there are none).
func (db *DB) ResearcherCount(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM researchers`).Scan(&n)
	return n, err
}

// Authenticate checks an email and password. Wrong email and wrong password
// are the same Unauthorized error, take the same time and wait for the same
// hashing slot.
func (db *DB) Authenticate(ctx context.Context, email, password string) (Researcher, error) {
	if p := stimuli.TextProblem(email); p != "" {
		return Researcher{}, experiments.InvalidFields(fieldError("email", "%s", p))
	}
	var r Researcher
	hash := dummyHash
	err := db.pool.QueryRow(ctx, `SELECT id, email, password_hash, created_at FROM researchers WHERE lower(email) = lower($1)`,
		strings.TrimSpace(email)).Scan(&r.ID, &r.Email, &hash, &r.CreatedAt)
	known := err == nil
	if err != nil && !isNoRows(err) {
		return Researcher{}, fmt.Errorf("signing in: %w", err)
	}
	var ok bool
	if err := db.hashing.do(ctx, func() { ok = checkPassword(password, hash) }); err != nil {
		return Researcher{}, err
	}
	if !known || !ok {
		return Researcher{}, experiments.Errorf(experiments.Unauthorized, "wrong email or password")
	}
	return r, nil
}

// WebSessionTTL is how long a browser stays signed in.
const WebSessionTTL = 12 * time.Hour

// CreateWebSession signs a browser in and returns the cookie value. Each
// sign-in gets a new random id (no session fixation).
func (db *DB) CreateWebSession(ctx context.Context, researcherID int64) (string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	_, err := db.pool.Exec(ctx, `INSERT INTO web_sessions (id_hash, researcher_id, expires_at) VALUES ($1, $2, now() + $3::interval)`,
		hashToken(id), researcherID, WebSessionTTL.String())
	if err != nil {
		return "", fmt.Errorf("creating web session: %w", err)
	}
	// Expired sessions are swept here rather than by a background job.
	_, _ = db.pool.Exec(ctx, `DELETE FROM web_sessions WHERE expires_at < now()`)
	return id, nil
}

// WebSessionResearcher is the researcher signed in with cookie value id.
func (db *DB) WebSessionResearcher(ctx context.Context, id string) (Researcher, error) {
	var r Researcher
	err := db.pool.QueryRow(ctx, `
		SELECT r.id, r.email, r.created_at FROM web_sessions w JOIN researchers r ON r.id = w.researcher_id
		WHERE w.id_hash = $1 AND w.expires_at > now()`, hashToken(id)).Scan(&r.ID, &r.Email, &r.CreatedAt)
	if isNoRows(err) {
		return Researcher{}, experiments.Errorf(experiments.Unauthorized, "not signed in")
	}
	return r, err
}

// DeleteWebSession signs a browser out.
func (db *DB) DeleteWebSession(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM web_sessions WHERE id_hash = $1`, hashToken(id))
	return err
}
