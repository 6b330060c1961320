-- The participant's browser family and major version and OS family, derived
-- from the User-Agent header when the session is created (the header itself
-- is never stored), for sessions.csv.
ALTER TABLE sessions ADD COLUMN device jsonb NOT NULL DEFAULT '{}';
