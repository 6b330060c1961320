package experiments

// Condition is a session's counterbalancing arm: which pattern is shown in
// red and which in green during induction.
type Condition struct {
	Arm          int    `json:"arm"`
	RedPattern   string `json:"red_pattern"`
	GreenPattern string `json:"green_pattern"`
}

// ConditionForArm maps an arm to its colour assignment: arm 0 pairs red with
// A (the classic assignment), arm 1 red with B.
func ConditionForArm(arm int) Condition {
	if arm == 1 {
		return Condition{Arm: 1, RedPattern: PatternB, GreenPattern: PatternA}
	}
	return Condition{Arm: 0, RedPattern: PatternA, GreenPattern: PatternB}
}

// ColorOf is the induction colour of pattern "a" or "b" under c.
func (c Condition) ColorOf(pattern string) string {
	if pattern == c.RedPattern {
		return Red
	}
	return Green
}

// Swapped is the reversal condition: the same arm with the colours exchanged.
func (c Condition) Swapped() Condition {
	c.RedPattern, c.GreenPattern = c.GreenPattern, c.RedPattern
	return c
}

// ChooseArm picks the arm for a new session: the one with the fewest
// started-and-not-abandoned sessions (counts[arm]); ties are broken by seed
// so the choice is reproducible yet not always the lower arm. The storage
// layer calls it while holding a lock on the experiment's counts. With no
// arms it returns 0.
func ChooseArm(counts []int, seed int64) int {
	if len(counts) == 0 {
		return 0
	}
	var tied []int
	for arm, n := range counts {
		switch {
		case len(tied) == 0 || n < counts[tied[0]]:
			tied = append(tied[:0], arm)
		case n == counts[tied[0]]:
			tied = append(tied, arm)
		}
	}
	if len(tied) == 1 {
		return tied[0]
	}
	return tied[NewStream(seed, "arm", uint64(len(counts))).IntN(len(tied))]
}
