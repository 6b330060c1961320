package experiments

import (
	"encoding/binary"
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
)

// prng is the only source of randomness in plans. It draws from PCG, whose
// output is fixed by its specification, and does its own integer, float and
// shuffle arithmetic instead of using rand.Rand's helpers, whose algorithms
// Go does not promise to keep: a plan must be regenerable bit for bit from
// (definition, seed, condition) by any future build.
type prng struct{ src *rand.PCG }

// newPRNG derives an independent stream for one purpose (label, n) of a
// session seed, so adding a use of randomness in one place never shifts the
// draws of another.
func newPRNG(seed int64, label string, n uint64) *prng {
	h := fnv.New64a()
	h.Write([]byte(label))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	h.Write(b[:])
	return &prng{src: rand.NewPCG(uint64(seed), h.Sum64())}
}

// intN is uniform in [0, n) (Lemire's multiply-and-reject); n must be > 0.
func (r *prng) intN(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.src.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.src.Uint64(), un)
		}
	}
	return int(hi)
}

// float64 is uniform in [0, 1) with 53 random bits.
func (r *prng) float64() float64 {
	return float64(r.src.Uint64()>>11) / (1 << 53)
}

// shuffle is a Fisher-Yates shuffle of n elements.
func (r *prng) shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.intN(i+1))
	}
}
