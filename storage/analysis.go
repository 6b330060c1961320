package storage

import (
	"context"
	"fmt"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/experiments/analysis"
)

// AnalysisParticipants reads an experiment's sessions (previews, withdrawn
// and screened-out sessions left out) with the trials the analysis takes
// (experiments.Analysed: no screening, practice or catch trials, no
// timeouts). Each carries the flags of the exclusion rules of its own
// version (experiments.Exclusions.Judge) applied to its facts.
func (db *DB) AnalysisParticipants(ctx context.Context, experimentID int64) ([]analysis.Participant, error) {
	var parts []analysis.Participant
	index := map[string]int{}
	err := db.SessionRecords(ctx, experimentID, SessionFilter{Analysed: true}, func(r SessionRecord) error {
		p := analysis.Participant{SessionID: r.ID, ParticipantRef: r.ParticipantRef, Kind: r.Kind, Mechanism: r.Mechanism, Network: r.Network,
			Seed: r.Seed, Condition: experiments.ConditionForArm(r.Condition), Status: r.Status,
			InductionS: r.InductionS, FollowupAfterS: r.FollowupAfterS, ExcludeSeparated: r.Exclusions.SeparatedExcludes()}
		for _, j := range r.Exclusions.Judge(r.Facts) {
			p.Flags = append(p.Flags, j.Flag)
			p.FlagDetails = append(p.FlagDetails, j.Detail)
		}
		index[r.ID] = len(parts)
		parts = append(parts, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	trows, err := db.pool.Query(ctx, `
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
