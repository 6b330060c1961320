package stimuli

import "testing"

func TestTensorMatchesRender(t *testing.T) {
	for _, s := range determinismSet() {
		for _, size := range []int{64, 31, 1} {
			img := mustRender(t, s, size)
			dst := make([]float32, 3*size*size)
			for i := range dst {
				dst[i] = -1 // every element must be written
			}
			if err := Tensor(s, size, dst); err != nil {
				t.Fatal(err)
			}
			plane := size * size
			for y := range size {
				for x := range size {
					p := rgbAt(img, x, y)
					for c := range 3 {
						if got, want := dst[c*plane+y*size+x], float32(p[c])/255; got != want {
							t.Fatalf("%+v size %d: tensor[%d,%d,%d] = %g, want %g", s.Pattern, size, c, y, x, got, want)
						}
					}
				}
			}
		}
	}
}

func TestTensorErrors(t *testing.T) {
	s := Stimulus{Pattern: Pattern{Kind: Grating}}
	for _, n := range []int{0, 3*8*8 - 1, 3*8*8 + 1, 8 * 8} {
		if err := Tensor(s, 8, make([]float32, n)); err == nil {
			t.Errorf("len %d accepted for size 8", n)
		}
	}
	if err := Tensor(s, 0, nil); err == nil {
		t.Error("size 0 accepted")
	}
	if err := Tensor(Stimulus{Pattern: Pattern{Kind: "?"}}, 8, make([]float32, 3*64)); err == nil {
		t.Error("invalid stimulus accepted")
	}
}
