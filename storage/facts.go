package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mccollough/mccollough/experiments"
)

// SessionRecord is one session as sessions.csv and the analysis see it: its
// ids and study parameters, status, timing, device, the facts counted from
// its screen check, events and trials, and the exclusion rules of the
// version it ran. Storage counts; experiments.Exclusions.Judge decides.
type SessionRecord struct {
	Experiment     string
	Version        int
	ID             string
	Kind           string
	ParticipantRef string
	Mechanism      string
	// Network is a model's weights digest ("" for humans).
	Network      string
	Seed         int64
	Params       map[string]string
	Status       string
	StatusReason string
	Condition    int
	StartedAt    time.Time
	// EndedAt is when the session completed, or else its last activity (a
	// stored answer or event, a status change).
	EndedAt time.Time
	Device  experiments.Device
	Facts   experiments.SessionFacts
	// InductionS is the version's induction duration (the dose);
	// FollowupAfterS its intended delay of the follow-up (nil: none).
	InductionS     float64
	FollowupAfterS *float64
	// Exclusions are the rules of the session's version (nil: defaults).
	Exclusions *experiments.Exclusions
	// Screening: answered and correct screening trials, and the number
	// needed to pass (0 when the version has no screening).
	ScreeningTrials, ScreeningCorrect, ScreeningNeeded int
	// Answers by input modality, and answers that timed out.
	AnswersKey, AnswersClick, AnswersTouch, Timeouts int
}

// SessionFilter narrows the sessions read.
type SessionFilter struct {
	Kind   string // "" or experiments.KindHuman / KindModel
	Status string // "" or a session status
	// Previews includes researchers' preview sessions (left out by default).
	Previews bool
	// Analysed keeps only the sessions the analysis considers: withdrawn
	// and screened-out sessions (which hold no test data) are left out.
	Analysed bool
}

// Event kinds counted into the facts. The runner's own exit from full
// screen at the end of a study (state debrief and after, or data.by =
// "runner") is not the participant's.
const sessionFactsSQL = `
	SELECT e.slug, v.version, s.id::text, s.participant_kind, s.participant_ref, coalesce(s.model_mechanism, ''), coalesce(s.model_network, ''),
	       coalesce(s.model_seed, s.seed), s.params, s.status, coalesce(s.status_reason, ''), s.condition,
	       s.created_at, coalesce(s.completed_at, greatest(s.updated_at, ev.last_at, tr.last_at)),
	       s.device, s.screen, v.definition->'exclusions', v.definition->'screening',
	       coalesce((v.definition->'induction'->>'duration_s')::float8, 0), (v.definition->'phases'->>'followup_after_s')::float8,
	       coalesce(ev.fullscreen_exits, 0), coalesce(ev.hidden, 0), coalesce(ev.pauses, 0), coalesce(ev.restarts, 0),
	       coalesce(tr.frames, 0), coalesce(tr.dropped, 0), tr.catch_tints, tr.catch_responses,
	       tr.screening_targets, tr.screening_picks,
	       coalesce(tr.by_key, 0), coalesce(tr.by_click, 0), coalesce(tr.by_touch, 0), coalesce(tr.timeouts, 0)
	FROM sessions s
	JOIN experiment_versions v ON v.id = s.experiment_version_id
	JOIN experiments e ON e.id = v.experiment_id
	LEFT JOIN LATERAL (
		SELECT count(*) FILTER (WHERE ev.kind = 'fullscreen_exit' AND coalesce(ev.data->>'by', '') <> 'runner'
		                          AND coalesce(ev.data->>'state', '') NOT IN ('debrief', 'finishing', 'finished', 'ended', 'error')) AS fullscreen_exits,
		       count(*) FILTER (WHERE ev.kind = 'hidden') AS hidden,
		       count(*) FILTER (WHERE ev.kind = 'induction_pause') AS pauses,
		       count(*) FILTER (WHERE ev.kind IN ('induction_restart', 'induction_interrupted')) AS restarts,
		       max(ev.created_at) AS last_at
		FROM events ev WHERE ev.session_id = s.id) ev ON true
	LEFT JOIN LATERAL (
		SELECT sum(t.frames) FILTER (WHERE t.phase NOT IN ('screening', 'practice')) AS frames,
		       sum(t.dropped_frames) FILTER (WHERE t.phase NOT IN ('screening', 'practice')) AS dropped,
		       array_agg(t.tint ORDER BY t.trial_index) FILTER (WHERE t.catch AND t.tint IS NOT NULL) AS catch_tints,
		       array_agg(t.response ORDER BY t.trial_index) FILTER (WHERE t.catch AND t.tint IS NOT NULL) AS catch_responses,
		       array_agg(pt.target ORDER BY t.trial_index) FILTER (WHERE t.phase = 'screening' AND pt.target IS NOT NULL AND t.setting IS NOT NULL) AS screening_targets,
		       array_agg(t.setting ORDER BY t.trial_index) FILTER (WHERE t.phase = 'screening' AND pt.target IS NOT NULL AND t.setting IS NOT NULL) AS screening_picks,
		       count(*) FILTER (WHERE t.input = 'key') AS by_key,
		       count(*) FILTER (WHERE t.input = 'click') AS by_click,
		       count(*) FILTER (WHERE t.input = 'touch') AS by_touch,
		       count(*) FILTER (WHERE t.response = 'timeout') AS timeouts,
		       max(t.created_at) AS last_at
		FROM trials t,
		     LATERAL (SELECT (s.plan->'trials'->t.trial_index->>'target')::float8 AS target) pt
		WHERE t.session_id = s.id) tr ON true
	WHERE v.experiment_id = $1
	  AND ($2 OR NOT s.preview)
	  AND ($3 = '' OR s.participant_kind = $3)
	  AND ($4 = '' OR s.status = $4)
	  AND (NOT $5 OR s.status NOT IN ('withdrawn', 'screened_out'))
	ORDER BY s.created_at, s.id`

// SessionRecords calls fn with each session of an experiment (in creation
// order), streaming: memory stays constant however many sessions there are.
func (db *DB) SessionRecords(ctx context.Context, experimentID int64, f SessionFilter, fn func(SessionRecord) error) error {
	if errs := (ExportFilter{Kind: f.Kind, Status: f.Status}).Validate(); len(errs) > 0 {
		return experiments.InvalidFields(errs)
	}
	rows, err := db.pool.Query(ctx, sessionFactsSQL, experimentID, f.Previews, f.Kind, f.Status, f.Analysed)
	if err != nil {
		return fmt.Errorf("reading sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanSessionRecord(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func scanSessionRecord(row pgx.Rows) (SessionRecord, error) {
	var r SessionRecord
	var params, device, screen, exclusions, screening []byte
	var targets, picks, catchTints []float64
	var catchResponses []string
	f := &r.Facts
	err := row.Scan(&r.Experiment, &r.Version, &r.ID, &r.Kind, &r.ParticipantRef, &r.Mechanism, &r.Network, &r.Seed, &params,
		&r.Status, &r.StatusReason, &r.Condition, &r.StartedAt, &r.EndedAt, &device, &screen, &exclusions, &screening,
		&r.InductionS, &r.FollowupAfterS,
		&f.FullscreenExits, &f.HiddenCount, &f.InductionPauses, &f.InductionRestarts,
		&f.TestFrames, &f.DroppedFrames, &catchTints, &catchResponses, &targets, &picks,
		&r.AnswersKey, &r.AnswersClick, &r.AnswersTouch, &r.Timeouts)
	if err != nil {
		return r, err
	}
	// The JSON was written by this program; a value it cannot read back
	// leaves the field empty rather than hiding the whole session.
	_ = json.Unmarshal(params, &r.Params)
	_ = json.Unmarshal(device, &r.Device)
	_ = json.Unmarshal(screen, &r.Facts.Screen)
	if len(exclusions) > 0 {
		_ = json.Unmarshal(exclusions, &r.Exclusions)
	}
	var sc *experiments.Screening
	if len(screening) > 0 {
		_ = json.Unmarshal(screening, &sc)
	}
	r.ScreeningNeeded = sc.Passmark()
	var catch experiments.CatchScore
	for i := range min(len(catchTints), len(catchResponses)) {
		catch.Add(catchTints[i], catchResponses[i])
	}
	f.CatchTrials, f.CatchCorrect = catch.Answered, catch.Correct
	r.ScreeningTrials = len(picks)
	for i := range min(len(targets), len(picks)) {
		if experiments.ScreeningPickRight(int(targets[i]), picks[i]) {
			r.ScreeningCorrect++
		}
	}
	return r, nil
}
