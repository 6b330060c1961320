-- Pretrained observer weights, shared by every replica's workers: the first
-- to need a model trains it and stores it here; the others load it.
CREATE TABLE observer_models (
    config_digest text PRIMARY KEY,
    config        jsonb NOT NULL,
    weights       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
