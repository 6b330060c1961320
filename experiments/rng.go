package experiments

import (
	"encoding/binary"
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
)

// Stream is the only source of randomness in plans and in the analysis'
// resampling. It draws from PCG, whose output is fixed by its
// specification, and does its own integer, float and shuffle arithmetic
// instead of using rand.Rand's helpers, whose algorithms Go does not promise
// to keep: a plan (or a CI) must be regenerable bit for bit from its seed by
// any future build.
type Stream struct{ src *rand.PCG }

// NewStream derives an independent stream for one purpose (label, n) of a
// seed, so adding a use of randomness in one place never shifts the draws
// of another.
func NewStream(seed int64, label string, n uint64) *Stream {
	h := fnv.New64a()
	h.Write([]byte(label))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	h.Write(b[:])
	return &Stream{src: rand.NewPCG(uint64(seed), h.Sum64())}
}

// IntN is uniform in [0, n) (Lemire's multiply-and-reject); n must be > 0.
func (r *Stream) IntN(n int) int {
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

// Float64 is uniform in [0, 1) with 53 random bits.
func (r *Stream) Float64() float64 {
	return float64(r.src.Uint64()>>11) / (1 << 53)
}

// Shuffle is a Fisher-Yates shuffle of n elements.
func (r *Stream) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.IntN(i+1))
	}
}

// Uint64 is 64 uniform random bits.
func (r *Stream) Uint64() uint64 { return r.src.Uint64() }
