package stimuli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"testing"
)

// determinismSet covers every kind, both waveforms, both apertures, tints,
// induction colours, morphs, scaling and odd sizes.
func determinismSet() []Stimulus {
	var out []Stimulus
	for i, k := range Kinds {
		out = append(out,
			Stimulus{Pattern: Pattern{Kind: k, OrientationDeg: 15 * float64(i), PeriodPx: 21, Phase: 0.1 * float64(i)}, Tint: float64(i) - 3, RefSizePx: 256},
			Stimulus{Pattern: Pattern{Kind: k, Waveform: Sine, PeriodPx: 13}, Light: "#ce2e2e", Aperture: Aperture{Shape: SquareArea, EdgePx: 5}},
		)
	}
	b := Pattern{Kind: Circles, PeriodPx: 30}
	out = append(out,
		Stimulus{Pattern: Pattern{Kind: Grating, PeriodPx: 30}, MorphTo: &b, Morph: 0.35, Light: "#189234"},
		Stimulus{Pattern: Pattern{Kind: Grid, PeriodPx: 30, LineWidthPx: 5}, MorphTo: &Pattern{Kind: Radial, Spokes: 9}, Morph: 0.7, Tint: -10},
	)
	return out
}

// renderHash hashes the pixels of every stimulus of the set at a few sizes.
func renderHash(t *testing.T) string {
	h := sha256.New()
	for _, s := range determinismSet() {
		for _, size := range []int{64, 97} {
			h.Write(mustRender(t, s, size).Pix)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	a, b := renderHash(t), renderHash(t)
	if a != b {
		t.Fatalf("two renders of the same set differ: %s vs %s", a, b)
	}
	// PNG bytes are deterministic too.
	s := determinismSet()[0]
	p1, err := RenderPNG(s, 128)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := RenderPNG(s, 128)
	p3, _ := EncodePNG(mustRender(t, s, 128))
	if string(p1) != string(p2) || string(p1) != string(p3) {
		t.Error("PNG bytes differ between runs or between RenderPNG and EncodePNG(Render)")
	}
}

// goldenHash guards against silent changes of the pixels: stimulus URLs are
// keyed by Key, which only changes with RenderVersion. If this fails after an
// intentional change of the renderer, bump RenderVersion and update the
// hash. It is checked only on amd64 without fused multiply-add (GOAMD64=v1/v2),
// where float arithmetic is exactly reproducible; other platforms may round
// the last bit differently (still deterministic run to run on that platform).
const goldenHash = "de2bc804d2b31230a13866a0ed623f3eeb4ff832166b92c8f92195d8384ac19f"

func TestGoldenHash(t *testing.T) {
	if runtime.GOARCH != "amd64" || fmaFused() {
		t.Skip("golden pixels are recorded for amd64 without FMA")
	}
	if got := renderHash(t); got != goldenHash {
		t.Errorf("pixels changed: hash %s, recorded %s (bump RenderVersion if intended)", got, goldenHash)
	}
}

var fmaA, fmaB = 1 + 1.0/(1<<30), -(1 + 1.0/(1<<29))

// fmaFused reports whether the compiler fuses x*y+z in this build.
func fmaFused() bool { return fmaA*fmaA+fmaB != 0 }

// Concurrent renders (sharing the sRGB table and the PNG and image pools)
// give the same bytes as serial ones.
func TestConcurrentRenderPNG(t *testing.T) {
	set := determinismSet()
	want := make([]string, len(set))
	for i, s := range set {
		b, err := RenderPNG(s, 80)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = string(b)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range set {
				j := (i + g) % len(set)
				b, err := RenderPNG(set[j], 80)
				if err == nil && string(b) != want[j] {
					err = fmt.Errorf("stimulus %d differs when rendered concurrently", j)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
