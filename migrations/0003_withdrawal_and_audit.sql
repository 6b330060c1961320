-- Study hygiene: researcher previews, withdrawal, deletion audit.

-- Preview sessions are a researcher trying the study: excluded from
-- counterbalancing, exports and results.
ALTER TABLE sessions ADD COLUMN preview boolean NOT NULL DEFAULT false;
-- Why a session ended without data (screened_out: the screening reason).
ALTER TABLE sessions ADD COLUMN status_reason text;

-- Who deleted participant data, when, and how much — never the data itself.
CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    researcher_id bigint REFERENCES researchers (id) ON DELETE SET NULL,
    action        text NOT NULL,
    experiment    text NOT NULL,
    target        text NOT NULL,
    sessions      int NOT NULL DEFAULT 0,
    trials        int NOT NULL DEFAULT 0,
    events        int NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_experiment_idx ON audit_log (experiment, created_at);
