package analysis

// Censor says where the true value lies when the data only bound it: a
// PSE beyond the tested tints (a participant who called the most
// strongly tinted pattern "green" has a PSE above it, by an unknown
// amount), and every shift and effect computed from such a PSE.
type Censor string

// Censor values.
const (
	Exact Censor = ""      // the value itself
	Above Censor = "above" // the true value is greater than the reported one
	Below Censor = "below" // the true value is smaller than the reported one
)

// Stat.Censored when the censored values of a statistic point both ways.
const censoredBoth = "both"

// bounded is a value that may be a bound.
type bounded struct {
	v float64
	c Censor
}

func (c Censor) flip() Censor {
	switch c {
	case Above:
		return Below
	case Below:
		return Above
	}
	return Exact
}

// combine is the censor of a sum of terms with censors x and y; ok is
// false when they point opposite ways (the sum is then bounded on
// neither side).
func combine(x, y Censor) (Censor, bool) {
	switch {
	case x == Exact:
		return y, true
	case y == Exact || x == y:
		return x, true
	}
	return Exact, false
}

// minus is x − y; ok is false when it is bounded on neither side (x above
// a bound and y below one, or the reverse, is fine: x − y is then above).
func minus(x, y bounded) (bounded, bool) {
	c, ok := combine(x.c, y.c.flip())
	return bounded{x.v - y.v, c}, ok
}

// meanOf is the mean of values, a bound in the direction all its censored
// values share; ok is false when they point both ways or xs is empty.
func meanOf(xs []bounded) (bounded, bool) {
	if len(xs) == 0 {
		return bounded{}, false
	}
	out := bounded{}
	for _, x := range xs {
		c, ok := combine(out.c, x.c)
		if !ok {
			return bounded{}, false
		}
		out.v += x.v / float64(len(xs))
		out.c = c
	}
	return out, true
}
