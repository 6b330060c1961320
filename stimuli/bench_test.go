package stimuli

import (
	"image/png"
	"testing"
)

// benchStimulus is a typical test stimulus of each kind at 512 px.
func benchStimulus(k Kind) Stimulus {
	return Stimulus{
		Pattern:   Pattern{Kind: k, OrientationDeg: 30, PeriodPx: 26},
		Tint:      5,
		RefSizePx: 512,
	}
}

func BenchmarkRender(b *testing.B) {
	for _, k := range Kinds {
		for _, size := range []int{512, 1024} {
			b.Run(string(k)+"/"+itoa(size), func(b *testing.B) {
				s := benchStimulus(k)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Render(s, size); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("sine-grating/512", func(b *testing.B) {
		s := benchStimulus(Grating)
		s.Pattern.Waveform = Sine
		for b.Loop() {
			if _, err := Render(s, 512); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("morph/512", func(b *testing.B) {
		s := benchStimulus(Grating)
		s.MorphTo = &Pattern{Kind: Circles, PeriodPx: 26}
		s.Morph = 0.5
		for b.Loop() {
			if _, err := Render(s, 512); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRenderEncode512(b *testing.B) {
	for _, k := range Kinds {
		b.Run(string(k), func(b *testing.B) {
			s := benchStimulus(k)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := RenderPNG(s, 512); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodePNG512 compares compression levels on a typical stimulus;
// EncodePNG uses pngLevel.
func BenchmarkEncodePNG512(b *testing.B) {
	img, err := Render(benchStimulus(Grating), 512)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("EncodePNG", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			out, err := EncodePNG(img)
			if err != nil {
				b.Fatal(err)
			}
			n = len(out)
		}
		b.ReportMetric(float64(n), "bytes")
	})
	for _, lv := range []struct {
		name  string
		level png.CompressionLevel
	}{{"BestSpeed", png.BestSpeed}, {"Default", png.DefaultCompression}, {"BestCompression", png.BestCompression}} {
		b.Run(lv.name, func(b *testing.B) {
			enc := &png.Encoder{CompressionLevel: lv.level, BufferPool: &encoderPool{}}
			b.ReportAllocs()
			var w countWriter
			for b.Loop() {
				w = 0
				if err := enc.Encode(&w, img); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w), "bytes")
		})
	}
}

type countWriter int

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }

func BenchmarkTensor64(b *testing.B) {
	s := benchStimulus(Grating)
	dst := make([]float32, 3*64*64)
	b.ReportAllocs()
	for b.Loop() {
		if err := Tensor(s, 64, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
