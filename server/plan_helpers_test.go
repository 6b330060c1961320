package server_test

import (
	"context"

	"github.com/mccollough/mccollough/experiments"
)

// What the server knows of a plan and the browser is not told: tests that
// play the participant's part ask the server's plan for it, and answer as
// the browser does.

// browserAnswer is an answer as the browser sends it: without the tint,
// which it is not told (the server takes it from the plan).
func browserAnswer(resp string) map[string]any {
	a := answer(resp, 0)
	delete(a, "tint")
	return a
}

// plannedTrial is trial i of s's plan as the server holds it, with what
// the participant is not told (its tint, a screening trial's target).
func (ts *testServer) plannedTrial(s createdSession, i int) experiments.Trial {
	ts.t.Helper()
	return ts.planned(s)[i]
}

// tint is the planned tint of trial i of s (the participant is not told it).
func (ts *testServer) tint(s createdSession, i int) float64 {
	ts.t.Helper()
	tr := ts.plannedTrial(s, i)
	if tr.Tint == nil {
		ts.t.Fatalf("trial %d has no planned tint", i)
	}
	return *tr.Tint
}

// planned is s's plan's trials as the server holds them.
func (ts *testServer) planned(s createdSession) []experiments.Trial {
	ts.t.Helper()
	sess, err := ts.db.SessionPlan(context.Background(), s.SessionID, s.Token)
	if err != nil {
		ts.t.Fatal(err)
	}
	return sess.Plan.Trials
}
