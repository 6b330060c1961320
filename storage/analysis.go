package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/experiments/analysis"
)

// Flags the storage layer raises for the analysis (any flag excludes a
// participant, with the flag as the reason).
const (
	// FlagInductionInterrupted: the runner reported an interrupted induction.
	FlagInductionInterrupted = "induction_interrupted"
	// FlagRefreshUnstable: the measured refresh rate was below 50 Hz or
	// its frame intervals varied by more than 2 ms.
	FlagRefreshUnstable = "refresh_unstable"
)

// AnalysisParticipants reads an experiment's sessions (previews, withdrawn
// and screened-out sessions left out) with the trials the analysis takes
// (experiments.Analysed: no screening, practice or catch trials, no
// timeouts).
func (db *DB) AnalysisParticipants(ctx context.Context, experimentID int64) ([]analysis.Participant, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT s.id::text, s.participant_ref, s.participant_kind, coalesce(s.model_mechanism, ''), coalesce(s.model_network, ''),
		       coalesce(s.model_seed, s.seed), s.condition, s.status,
		       EXISTS (SELECT 1 FROM events ev WHERE ev.session_id = s.id AND ev.kind IN ('induction_interrupted', 'induction_restart')),
		       coalesce((s.screen->>'refresh_hz')::float8 < 50 OR (s.screen->>'refresh_sd_ms')::float8 > 2, false),
		       coalesce((v.definition->'induction'->>'duration_s')::float8, 0),
		       (v.definition->'phases'->>'followup_after_s')::float8
		FROM sessions s JOIN experiment_versions v ON v.id = s.experiment_version_id
		WHERE v.experiment_id = $1 AND NOT s.preview AND s.status NOT IN ($2, $3)
		ORDER BY s.created_at, s.id`, experimentID, experiments.StatusWithdrawn, experiments.StatusScreenedOut)
	if err != nil {
		return nil, fmt.Errorf("reading sessions: %w", err)
	}
	index := map[string]int{}
	parts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (analysis.Participant, error) {
		var p analysis.Participant
		var arm int
		var interrupted, unstable bool
		err := row.Scan(&p.SessionID, &p.ParticipantRef, &p.Kind, &p.Mechanism, &p.Network, &p.Seed, &arm, &p.Status, &interrupted, &unstable,
			&p.InductionS, &p.FollowupAfterS)
		p.Condition = experiments.ConditionForArm(arm)
		if interrupted {
			p.Flags = append(p.Flags, FlagInductionInterrupted)
		}
		if unstable {
			p.Flags = append(p.Flags, FlagRefreshUnstable)
		}
		return p, err
	})
	if err != nil {
		return nil, err
	}
	for i, p := range parts {
		index[p.SessionID] = i
	}
	trows, err := db.Pool.Query(ctx, `
		SELECT t.session_id::text, t.phase, t.method, t.pattern, coalesce(t.tint, 0), t.response, t.setting, t.trial_index, t.catch
		FROM trials t JOIN sessions s ON s.id = t.session_id JOIN experiment_versions v ON v.id = s.experiment_version_id
		WHERE v.experiment_id = $1 AND NOT s.preview
		ORDER BY t.session_id, t.trial_index`, experimentID)
	if err != nil {
		return nil, fmt.Errorf("reading trials: %w", err)
	}
	defer trows.Close()
	for trows.Next() {
		var t analysis.TrialRow
		var catch bool
		if err := trows.Scan(&t.SessionID, &t.Phase, &t.Method, &t.Pattern, &t.Tint, &t.Response, &t.Setting, &t.TrialIndex, &catch); err != nil {
			return nil, err
		}
		if !experiments.Analysed(experiments.Phase(t.Phase), catch, t.Response) {
			continue
		}
		if i, ok := index[t.SessionID]; ok {
			parts[i].Trials = append(parts[i].Trials, t)
		}
	}
	return parts, trows.Err()
}
