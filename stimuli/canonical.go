package stimuli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

// RenderVersion is folded into Key. Bump it whenever a change to the
// renderer changes the pixels of an existing spec, so that cached images
// and ETags from the old renderer stop matching.
const RenderVersion = 1

// Canonical is the canonical JSON of s.WithDefaults(): fields in struct
// order, hex colours lower-case #rrggbb, -0 written as 0, morph_to dropped
// when morph is 0. Specs that mean the same image have the same bytes.
func (s Stimulus) Canonical() []byte {
	s = s.WithDefaults()
	s.Pattern = s.Pattern.canonical()
	if s.MorphTo != nil {
		m := s.MorphTo.canonical()
		s.MorphTo = &m
	}
	s.Morph = noNegZero(s.Morph)
	s.NeutralL = noNegZero(s.NeutralL)
	s.Tint = noNegZero(s.Tint)
	s.Aperture.EdgePx = noNegZero(s.Aperture.EdgePx)
	b, err := json.Marshal(s)
	if err != nil {
		// Only non-finite numbers, which no JSON spec can hold; still give
		// distinct invalid specs distinct (and pointer-free) bytes.
		var to Pattern
		if s.MorphTo != nil {
			to = *s.MorphTo
		}
		s.MorphTo = nil
		return fmt.Appendf(nil, "invalid:%#v:%#v", s, to)
	}
	return b
}

func (p Pattern) canonical() Pattern {
	p.OrientationDeg = noNegZero(p.OrientationDeg)
	p.PeriodPx = noNegZero(p.PeriodPx)
	p.Duty = noNegZero(p.Duty)
	p.Phase = noNegZero(p.Phase)
	p.LineWidthPx = noNegZero(p.LineWidthPx)
	return p
}

func noNegZero(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

// Key identifies the image Render(s, size) draws: the first 32 hex digits
// of sha256(canonical JSON, size, RenderVersion). It is the stimulus URL
// hash and ETag.
func Key(s Stimulus, size int) string {
	h := sha256.New()
	h.Write(s.Canonical())
	h.Write([]byte("\x00size="))
	h.Write(strconv.AppendInt(nil, int64(size), 10))
	h.Write([]byte("\x00v="))
	h.Write(strconv.AppendInt(nil, RenderVersion, 10))
	return hex.EncodeToString(h.Sum(nil))[:32]
}
