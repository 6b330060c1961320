package analysis

import (
	"encoding/binary"
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
)

// prng is the randomness of the resampling tests. It draws from PCG, whose
// output is fixed by its specification, and does its own integer
// arithmetic (rand.Rand's helpers are not promised to stay the same), so
// a CI or p-value is reproducible from the seed by any future build.
type prng struct{ src *rand.PCG }

// newPRNG derives an independent stream for one purpose (label) of a seed,
// so adding a statistic or a group never changes the draws of another.
func newPRNG(seed int64, label string) *prng {
	h := fnv.New64a()
	h.Write([]byte(label))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(label)))
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

func (r *prng) uint64() uint64 { return r.src.Uint64() }
