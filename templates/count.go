package templates

import "strconv"

// CountNoun says how many of something there are: "1 session", "0 sessions",
// "3 sessions".
func CountNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
