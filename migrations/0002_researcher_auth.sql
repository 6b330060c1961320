-- Researcher sign-in: browser sessions and login throttling.

-- A signed-in browser. The cookie holds a random id; only its hash is kept.
CREATE TABLE web_sessions (
    id_hash       bytea PRIMARY KEY,
    researcher_id bigint NOT NULL REFERENCES researchers (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry_idx ON web_sessions (expires_at);

-- Failed logins per (client, email), keyed by a hash so no address is kept.
CREATE TABLE login_attempts (
    key_hash     bytea PRIMARY KEY,
    failures     int NOT NULL DEFAULT 0,
    window_start timestamptz NOT NULL DEFAULT now()
);

-- Experiments list by owner.
CREATE INDEX experiments_owner_idx ON experiments (owner_id);

-- The pair an experiment was made from; a pair in use cannot be deleted.
ALTER TABLE experiments ADD COLUMN pair_id bigint REFERENCES pattern_pairs (id) ON DELETE RESTRICT;

-- Model participants: which adaptation mechanism and observer seed.
ALTER TABLE sessions ADD COLUMN model_mechanism text;
ALTER TABLE sessions ADD COLUMN model_seed bigint;
