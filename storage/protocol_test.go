package storage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// Catch trials, timeouts, practice, the time since induction and the input
// are stored, exported, scored by the server and kept out of the fits.
func TestProtocolTrialsStoredExportedAndNotAnalysed(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	d := experiments.Classic()
	d.Practice = &experiments.Practice{Trials: 4}
	d.Test.CatchTrials, d.Test.ResponseWindowMS = 2, 3000
	e, err := db.CreateExperiment(ctx, nil, d.WithDefaults(), storage.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	s, token, err := db.CreateSession(ctx, e, storage.NewSession{})
	if err != nil {
		t.Fatal(err)
	}
	// Answer every trial: catch trials right except one timeout, one
	// ordinary timeout, post trials with since_induction_ms, by touch.
	var catchSeen, post int
	for _, tr := range s.Plan.Trials {
		r := experiments.Response{Index: tr.Index, Input: experiments.InputTouch}
		switch {
		case tr.Method == experiments.MethodScreening:
			r.Setting = new(float64)
			*r.Setting = float64(*tr.Target)
			r.Tint = *tr.Tint
		case tr.Catch:
			catchSeen++
			r.Tint, r.Response = *tr.Tint, experiments.Green
			if *tr.Tint > 0 {
				r.Response = experiments.Red
			}
			if catchSeen == 1 {
				r.Response = experiments.Timeout
			}
		default:
			r.Tint, r.Response = *tr.Tint, experiments.Red
			if tr.Index%2 == 0 {
				r.Response = experiments.Green
			}
		}
		if tr.Phase == experiments.PhasePost {
			post++
			r.SinceInductionMS = new(float64)
			*r.SinceInductionMS = float64(1000 * post)
			if post == 1 && !tr.Catch {
				r.Response = experiments.Timeout
			}
		}
		if _, err := db.RecordTrial(ctx, s.ID, token, storage.TrialWrite{Response: r}); err != nil {
			t.Fatalf("trial %d (%+v): %v", tr.Index, tr, err)
		}
	}
	if catchSeen != 4 {
		t.Fatalf("%d catch trials, want 2 per test block", catchSeen)
	}

	scores, err := db.CatchScores(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sc := scores[s.ID]; sc.Correct != 3 || sc.Answered != 4 {
		t.Errorf("catch score %+v, want 3 of 4 (a timeout is wrong)", sc)
	}

	var buf bytes.Buffer
	if err := db.ExportCSV(ctx, e.ID, storage.ExportFilter{}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	phases := map[string]int{}
	var catchRows, timeouts, since int
	for _, row := range rows[1:] {
		phases[row[col["phase"]]]++
		if row[col["input"]] != "touch" {
			t.Errorf("input %q", row[col["input"]])
		}
		if row[col["catch"]] == "t" {
			catchRows++
		}
		if row[col["timeout"]] == "t" {
			timeouts++
			if row[col["response"]] != "timeout" {
				t.Errorf("a timeout row's response is %q", row[col["response"]])
			}
		}
		if v := row[col["since_induction_ms"]]; v != "" {
			since++
			if row[col["phase"]] != "post" {
				t.Errorf("since_induction_ms %s on a %s row", v, row[col["phase"]])
			}
		}
	}
	if phases["practice"] != 4 || catchRows != 4 || timeouts != 2 || since != phases["post"] || since == 0 {
		t.Errorf("export: phases %v, %d catch, %d timeouts, %d since_induction_ms", phases, catchRows, timeouts, since)
	}

	parts, err := db.AnalysisParticipants(ctx, e.ID)
	if err != nil || len(parts) != 1 {
		t.Fatalf("analysis participants: %v %v", parts, err)
	}
	for _, tr := range parts[0].Trials {
		if !experiments.Analysed(experiments.Phase(tr.Phase), s.Plan.Trials[tr.TrialIndex].Catch, tr.Response) {
			t.Errorf("analysed trial %+v", tr)
		}
	}
	if n := len(parts[0].Trials); n != 2*54-1 {
		t.Errorf("%d analysed trials, want both blocks' 54 but one timeout", n)
	}
}
