package experiments

import (
	"slices"
	"strings"
	"testing"
)

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Response
		wantErr []string // field paths
	}{
		{"red", `{"response":"red","tint":-4,"rt_ms":512.5,"onset_ms":10,"intended_ms":1000,"measured_ms":1001.2,"frames":60,"dropped_frames":1}`,
			Response{Tint: -4, Response: Red, TrialResult: TrialResult{RTMS: 512.5, OnsetMS: 10, IntendedMS: 1000, MeasuredMS: 1001.2, Frames: 60, DroppedFrames: 1}}, nil},
		{"green at zero", `{"response":"green","tint":0}`, Response{Response: Green}, nil},
		{"touched", `{"response":"green","tint":0,"input":"touch"}`, Response{Response: Green, Input: InputTouch}, nil},
		{"unknown input", `{"response":"green","tint":0,"input":"voice"}`, Response{}, []string{"input"}},
		{"setting", `{"response":-2.5}`, Response{Tint: -2.5, Setting: new(-2.5)}, nil},
		{"missing response", `{"tint":1}`, Response{}, []string{"response"}},
		{"null response", `{"response":null,"tint":1}`, Response{}, []string{"response"}},
		{"blue", `{"response":"blue","tint":1}`, Response{}, []string{"response"}},
		{"bool", `{"response":true}`, Response{}, []string{"response"}},
		{"object", `{"response":{"x":1}}`, Response{}, []string{"response"}},
		{"red without tint", `{"response":"red"}`, Response{Response: Red, TintFromPlan: true}, nil},
		{"negative rt", `{"response":"red","tint":1,"rt_ms":-1}`, Response{}, []string{"rt_ms"}},
		{"negative frames", `{"response":"red","tint":1,"frames":-1,"dropped_frames":-2}`, Response{}, []string{"dropped_frames", "frames"}},
		{"unknown field", `{"response":"red","tint":1,"p_red":0.4}`, Response{}, []string{"p_red"}},
		{"wrong type", `{"response":"red","tint":"1"}`, Response{}, []string{"tint"}},
		{"fractional frames", `{"response":"red","tint":1,"frames":1.5}`, Response{}, []string{"frames"}},
		{"trailing", `{"response":"red","tint":1} x`, Response{}, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeResponse([]byte(tt.body))
			if tt.wantErr != nil {
				if f := fieldsOf(t, err); !slices.Equal(f, tt.wantErr) {
					t.Errorf("fields %v, want %v (%v)", f, tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Response != tt.want.Response || got.Tint != tt.want.Tint || got.TrialResult != tt.want.TrialResult || got.Input != tt.want.Input ||
				got.TintFromPlan != (tt.want.TintFromPlan || tt.want.Setting != nil) ||
				(got.Setting == nil) != (tt.want.Setting == nil) || (got.Setting != nil && *got.Setting != *tt.want.Setting) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestValidateResponse(t *testing.T) {
	cs := Trial{Index: 3, Method: ConstantStimuli, Pattern: "a", Tint: new(-4.0)}
	sc := Trial{Index: 9, Method: Staircase, Pattern: "b", Tint: new(10.0), MinTint: new(-30.0), MaxTint: new(30.0)}
	slot := sc
	slot.Tint = nil
	adj := Trial{Index: 5, Method: Adjustment, StartTint: new(7.5), MinTint: new(-30.0), MaxTint: new(30.0), Step: 0.5}
	tests := []struct {
		name    string
		t       Trial
		r       Response
		wantErr []string
	}{
		{"constant ok", cs, Response{Index: 3, Tint: -4, Response: Red}, nil},
		{"wrong index", cs, Response{Index: 4, Tint: -4, Response: Red}, []string{"index"}},
		{"not red/green", cs, Response{Index: 3, Tint: -4, Response: "pink"}, []string{"response"}},
		{"other tint", cs, Response{Index: 3, Tint: 4, Response: Green}, []string{"tint"}},
		{"setting on 2AFC", cs, Response{Index: 3, Tint: -4, Response: Red, Setting: new(1.0)}, []string{"response"}},
		{"staircase ok", sc, Response{Index: 9, Tint: 10, Response: Green}, nil},
		{"staircase other tint", sc, Response{Index: 9, Tint: 2, Response: Green}, []string{"tint"}},
		{"no tint: the plan's", cs, Response{Index: 3, Response: Red, TintFromPlan: true}.WithPlannedTint(cs), nil},
		{"no tint, none planned", slot, Response{Index: 9, Response: Red, TintFromPlan: true}.WithPlannedTint(slot), []string{"tint"}},
		{"slot in range", slot, Response{Index: 9, Tint: -29, Response: Red}, nil},
		{"slot out of range", slot, Response{Index: 9, Tint: 31, Response: Red}, []string{"tint"}},
		{"adjustment ok", adj, Response{Index: 5, Setting: new(-1.5)}, nil},
		{"adjustment no setting", adj, Response{Index: 5, Response: Red}, []string{"response", "response"}},
		{"adjustment out of range", adj, Response{Index: 5, Setting: new(40.0)}, []string{"response"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateResponse(tt.t, tt.r)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if f := fieldsOf(t, err); !slices.Equal(f, tt.wantErr) {
				t.Errorf("fields %v, want %v (%v)", f, tt.wantErr, err)
			}
		})
	}
	// A wrong tint is refused without saying the planned one.
	if err := ValidateResponse(cs, Response{Index: 3, Tint: 4, Response: Green}); strings.Contains(err.Error(), "-4") {
		t.Errorf("the refusal %q tells the planned tint", err)
	}
	if got := (Response{Tint: 9, TintFromPlan: true}).WithPlannedTint(cs); got.Tint != -4 || got.TintFromPlan {
		t.Errorf("WithPlannedTint gave %+v, want the planned tint -4", got)
	}
	if got := (Response{Tint: 9}).WithPlannedTint(cs); got.Tint != 9 {
		t.Errorf("WithPlannedTint replaced a tint the answer said: %+v", got)
	}
	if ErrorCode(ValidateResponse(Trial{Method: "x"}, Response{})) != Invalid {
		t.Error("unknown method should be Invalid")
	}
}
