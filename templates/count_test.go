package templates

import "testing"

func TestCountNoun(t *testing.T) {
	for _, tc := range []struct {
		n         int
		one, many string
		want      string
	}{
		{0, "experiment", "experiments", "0 experiments"},
		{0, "session", "sessions", "0 sessions"},
		{1, "session", "sessions", "1 session"},
		{2, "session has", "sessions have", "2 sessions have"},
		{12, "preview session", "preview sessions", "12 preview sessions"},
	} {
		if got := CountNoun(tc.n, tc.one, tc.many); got != tc.want {
			t.Errorf("CountNoun(%d, %q, %q) = %q, want %q", tc.n, tc.one, tc.many, got, tc.want)
		}
	}
}
