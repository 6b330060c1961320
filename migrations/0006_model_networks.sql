-- A population of pretrained networks (issue 17): each network is stored
-- once, under its training configuration (which includes its pretraining
-- seed) and named by the digest of its weights; every model session and
-- queued run says which network it is.
ALTER TABLE observer_models ADD COLUMN weights_digest text UNIQUE;

ALTER TABLE sessions ADD COLUMN model_network text;
-- Earlier model sessions name their network in their descriptor,
-- "convnet:<digest>/<mechanism>/seed=<n>".
UPDATE sessions SET model_network = substring(participant_ref FROM '^convnet:([0-9a-f]+)/')
WHERE participant_kind = 'model';

-- The pretraining seed of the network a queued run uses (before this,
-- every run used the one network of seed 1).
ALTER TABLE observer_runs ADD COLUMN network_seed bigint NOT NULL DEFAULT 1;
