package experiments

import "testing"

func TestChooseArm(t *testing.T) {
	tests := []struct {
		counts []int
		want   int // -1: a tie, any of the tied arms
	}{
		{[]int{3, 2}, 1},
		{[]int{0, 5}, 0},
		{[]int{4, 4, 1}, 2},
		{[]int{7}, 0},
		{nil, 0},
	}
	for _, tt := range tests {
		for seed := range int64(20) {
			if got := ChooseArm(tt.counts, seed); got != tt.want {
				t.Errorf("ChooseArm(%v, %d) = %d, want %d", tt.counts, seed, got, tt.want)
			}
		}
	}
	seen := map[int]int{}
	for seed := range int64(200) {
		a := ChooseArm([]int{5, 5, 9}, seed)
		if a != ChooseArm([]int{5, 5, 9}, seed) {
			t.Fatal("not deterministic")
		}
		if a == 2 {
			t.Fatal("picked an arm with more sessions")
		}
		seen[a]++
	}
	if seen[0] < 50 || seen[1] < 50 {
		t.Errorf("ties broken unevenly across seeds: %v", seen)
	}
}

func TestConditionForArm(t *testing.T) {
	c0, c1 := ConditionForArm(0), ConditionForArm(1)
	if c0 != (Condition{0, "a", "b"}) || c1 != (Condition{1, "b", "a"}) {
		t.Errorf("%+v %+v", c0, c1)
	}
	if c0.ColorOf("a") != Red || c1.ColorOf("a") != Green || c0.Swapped().RedPattern != "b" {
		t.Error("colour mapping")
	}
	if got := string(mustJSON(t, c0)); got != `{"arm":0,"red_pattern":"a","green_pattern":"b"}` {
		t.Errorf("JSON %s", got)
	}
}
