-- The core tables of DESIGN.md §3.

CREATE TABLE researchers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Email is unique regardless of case.
CREATE UNIQUE INDEX researchers_email_key ON researchers (lower(email));

CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    researcher_id bigint NOT NULL REFERENCES researchers (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

CREATE TABLE pattern_pairs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint REFERENCES researchers (id) ON DELETE CASCADE,
    name       text NOT NULL,
    spec       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pattern_pairs_owner_idx ON pattern_pairs (owner_id);

CREATE TABLE experiments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL owner: a demo study not yet claimed by the first researcher.
    owner_id   bigint REFERENCES researchers (id) ON DELETE CASCADE,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    status     text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Versions are immutable: a session always points at the definition it ran.
CREATE TABLE experiment_versions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    experiment_id bigint NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    version       int NOT NULL CHECK (version > 0),
    definition    jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (experiment_id, version)
);

CREATE TABLE sessions (
    id                    uuid PRIMARY KEY,
    experiment_version_id bigint NOT NULL REFERENCES experiment_versions (id),
    participant_kind      text NOT NULL CHECK (participant_kind IN ('human', 'model')),
    -- Prolific/URL id, or the model's descriptor.
    participant_ref       text NOT NULL DEFAULT '',
    params                jsonb NOT NULL DEFAULT '{}',
    condition             int NOT NULL,
    seed                  bigint NOT NULL,
    plan                  jsonb NOT NULL,
    status                text NOT NULL DEFAULT 'started',
    progress              jsonb NOT NULL DEFAULT '{}',
    -- refresh Hz, devicePixelRatio, viewport, px per cm. No IP, no user agent.
    screen                jsonb NOT NULL DEFAULT '{}',
    token_hash            bytea NOT NULL,
    completion_code       text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    completed_at          timestamptz
);
CREATE INDEX sessions_version_idx ON sessions (experiment_version_id, condition, status);

CREATE TABLE trials (
    session_id     uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    trial_index    int NOT NULL CHECK (trial_index >= 0),
    phase          text NOT NULL,
    block          int NOT NULL DEFAULT 0,
    method         text NOT NULL,
    pattern        text NOT NULL,
    tint           double precision,
    response       text NOT NULL,
    setting        double precision,
    rt_ms          double precision,
    onset_ms       double precision,
    intended_ms    double precision,
    measured_ms    double precision,
    frames         int,
    dropped_frames int,
    model_p_red    double precision,
    -- The request body as received: an identical retry is recognised as such.
    body           jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, trial_index)
);

CREATE TABLE events (
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        int NOT NULL CHECK (seq >= 0),
    kind       text NOT NULL,
    data       jsonb NOT NULL DEFAULT '{}',
    client_ms  double precision,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, seq)
);

-- Observer runs are also the job queue: workers claim 'queued' rows with
-- FOR UPDATE SKIP LOCKED.
CREATE TABLE observer_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    experiment_id bigint NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    mechanism     text NOT NULL,
    seed          bigint NOT NULL,
    params        jsonb NOT NULL DEFAULT '{}',
    metrics       jsonb NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    error         text,
    progress      double precision NOT NULL DEFAULT 0,
    session_id    uuid REFERENCES sessions (id) ON DELETE SET NULL,
    claimed_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX observer_runs_queue_idx ON observer_runs (created_at) WHERE status = 'queued';
