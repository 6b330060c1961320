-- Hardening the public surface (issue 13).

-- The server decides the screening: a session's test answers are taken only
-- once it has passed. Sessions already past it (a test answer stored, or
-- complete) passed before this column existed.
ALTER TABLE sessions ADD COLUMN screening_passed_at timestamptz;
UPDATE sessions s SET screening_passed_at = s.updated_at
WHERE s.status = 'complete'
   OR EXISTS (SELECT 1 FROM trials t WHERE t.session_id = s.id AND t.method <> 'screening');

-- A screening trial's tinted patch (its position), kept with the answer so
-- the export shows the target and whether the answer hit it.
ALTER TABLE trials ADD COLUMN target int;
UPDATE trials t SET target = (s.plan -> 'trials' -> t.trial_index ->> 'target')::int
FROM sessions s WHERE s.id = t.session_id AND t.method = 'screening';

-- Events are bounded per session by count and bytes: the running totals.
ALTER TABLE sessions ADD COLUMN events_stored int NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN event_bytes bigint NOT NULL DEFAULT 0;
UPDATE sessions s SET events_stored = e.n, event_bytes = e.bytes
FROM (SELECT session_id, count(*) AS n, sum(octet_length(kind) + octet_length(data::text)) AS bytes
      FROM events GROUP BY session_id) e
WHERE e.session_id = s.id;

-- API tokens expire (90 days unless asked otherwise); tokens issued before
-- get 90 days from their creation.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
UPDATE api_tokens SET expires_at = created_at + interval '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX api_tokens_researcher_idx ON api_tokens (researcher_id);

-- Secrets every replica shares (the key that seals stimulus URLs), created
-- once by the first replica that needs one.
CREATE TABLE server_secrets (
    name       text PRIMARY KEY,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
