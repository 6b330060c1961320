package experiments

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzParseDefinition(f *testing.F) {
	f.Add([]byte(minimalJSON))
	for _, d := range Builtins() {
		f.Add(mustJSON(f, d))
	}
	for _, m := range []Method{Staircase, Adjustment} {
		d := withMethod(m)
		d.Phases.Reversal, d.Phases.Followup = true, true
		f.Add(mustJSON(f, d))
	}
	f.Add(mutate(f, mutate(f, []byte(minimalJSON), "pair", del), "pair_id", 3))
	f.Add(mutate(f, []byte(minimalJSON), "test.extra_patterns", []any{map[string]any{"name": "mid", "morph": 0.5}}))
	f.Add([]byte(`{"slug":"x"`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDefinition(data)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("rejection with code %s: %v", ErrorCode(err), err)
			}
			return
		}
		if d.Pair == nil {
			d = d.WithPair(*Classic().Pair)
		}
		// Accepted definitions survive a round trip unchanged.
		again, err := ParseDefinition(mustJSON(t, d))
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, again, d)
		}
		// ... and give a valid, reproducible plan for every arm.
		for arm := range d.Arms() {
			p, err := NewPlan(d, int64(len(data)), ConditionForArm(arm))
			if err != nil {
				t.Fatalf("accepted definition, no plan: %v", err)
			}
			q, _ := NewPlan(d, int64(len(data)), ConditionForArm(arm))
			if !bytes.Equal(mustJSON(t, p), mustJSON(t, q)) {
				t.Fatal("plan not reproducible")
			}
			checkPlan(t, d, p)
		}
	})
}

// checkPlan asserts the plan invariants every consumer relies on.
func checkPlan(t *testing.T, d Definition, p Plan) {
	t.Helper()
	for i, tr := range p.Trials {
		if tr.Index != i {
			t.Fatalf("trial %d has index %d", i, tr.Index)
		}
		switch tr.Method {
		case ConstantStimuli:
			if tr.Tint == nil {
				t.Fatalf("trial %d has no tint", i)
			}
			if _, err := d.TestStimulus(tr.Pattern, *tr.Tint); err != nil {
				t.Fatalf("trial %d: %v", i, err)
			}
		case Adjustment:
			if tr.StartTint == nil || *tr.StartTint < *tr.MinTint || *tr.StartTint > *tr.MaxTint || *tr.StartTint == 0 {
				t.Fatalf("trial %d: start %v", i, tr.StartTint)
			}
		}
	}
	for _, s := range p.Steps {
		if s.Induction != nil {
			sum := 0
			for _, fr := range s.Induction.Frames {
				sum += fr.DurationMS
				if fr.DurationMS <= 0 {
					t.Fatal("empty induction frame")
				}
			}
			if sum != s.Induction.DurationMS {
				t.Fatalf("induction frames last %d ms, want %d", sum, s.Induction.DurationMS)
			}
		}
		if s.TestBlock != nil && s.Method == Staircase {
			tr, done, err := NextStaircaseTrial(p, s.Block, nil)
			if err != nil || done || tr.Tint == nil {
				t.Fatalf("staircase block %d cannot start: %v", s.Block, err)
			}
			if err := ValidateResponse(tr, Response{Index: tr.Index, Tint: *tr.Tint, Response: Red}); err != nil {
				t.Fatalf("the rule's own trial rejects a response: %v", err)
			}
		}
	}
	if len(MissingRequired(p, nil)) == 0 {
		t.Fatal("a plan with nothing stored has nothing missing")
	}
}

func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"response":"red","tint":-4,"rt_ms":512,"onset_ms":10,"intended_ms":1000,"measured_ms":1001,"frames":60,"dropped_frames":0}`,
		`{"response":-2.5}`, `{"response":"green","tint":0}`, `{"response":null}`, `{"response":"x"}`, `{}`, `1e999`,
	} {
		f.Add([]byte(s))
	}
	trials := []Trial{
		{Index: 0, Method: ConstantStimuli, Pattern: "a", Tint: new(0.0)},
		{Index: 0, Method: Staircase, Pattern: "a", MinTint: new(-30.0), MaxTint: new(30.0)},
		{Index: 0, Method: Adjustment, Pattern: "a", MinTint: new(-30.0), MaxTint: new(30.0), Step: 0.5},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeResponse(data)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("code %s: %v", ErrorCode(err), err)
			}
			return
		}
		if (r.Setting == nil) == (r.Response == "") {
			t.Fatalf("exactly one of response and setting: %+v", r)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("decoded response does not marshal: %v", err)
		}
		for _, tr := range trials {
			if err := ValidateResponse(tr, r); err != nil && ErrorCode(err) != Invalid {
				t.Fatalf("code %s: %v", ErrorCode(err), err)
			}
		}
	})
}

func FuzzDecodeEvents(f *testing.F) {
	for _, s := range []string{
		`{"events":[{"seq":0,"kind":"phase_start","t_ms":1.5,"data":{"phase":"baseline"}}]}`,
		`{"events":[]}`, `{"events":null}`, `{"events":[{"seq":-1,"kind":"X","t_ms":-3,"data":[1]}]}`, `[]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := DecodeEvents(data)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("code %s: %v", ErrorCode(err), err)
			}
			return
		}
		if len(events) > MaxEventsPerBatch {
			t.Fatalf("%d events accepted", len(events))
		}
		for _, ev := range events {
			if ev.Seq < 0 || !eventKindRE.MatchString(ev.Kind) || len(ev.Data) > MaxEventDataBytes {
				t.Fatalf("invalid event accepted: %+v", ev)
			}
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("accepted event does not marshal: %v", err)
			}
		}
	})
}
