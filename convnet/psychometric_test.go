package convnet

import (
	"math"
	"testing"
)

func TestFitLogistic(t *testing.T) {
	want := Logistic{PSE: 2.5, Slope: 0.7}
	var x, y []float64
	for v := -12.0; v <= 12; v += 1 {
		x = append(x, v)
		y = append(y, want.P(v))
	}
	got, err := FitLogistic(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.PSE-want.PSE) > 1e-4 || math.Abs(got.Slope-want.Slope) > 1e-4 {
		t.Errorf("fit %+v, want %+v", got, want)
	}
	// 0/1 answers: perfectly separable data still gives a finite fit
	// with the PSE between the last green and the first red answer.
	got, err = FitLogistic([]float64{-4, -2, 0, 2, 4}, []float64{0, 0, 0, 1, 1})
	if err != nil || got.PSE <= 0 || got.PSE >= 2 {
		t.Errorf("separable fit %+v, %v", got, err)
	}
	if _, err := FitLogistic([]float64{1, 1}, []float64{0, 1}); err == nil {
		t.Error("constant tints: no error")
	}
	if _, err := FitLogistic([]float64{-1, 0, 1}, []float64{0.9, 0.5, 0.1}); err == nil {
		t.Error("falling curve: no error")
	}
}

func TestCrossingPSE(t *testing.T) {
	p, err := CrossingPSE([]float64{4, -4, 0}, []float64{0.9, 0.1, 0.3})
	if err != nil || math.Abs(p-4*0.2/0.6) > 1e-12 {
		t.Errorf("crossing %g, %v", p, err)
	}
	// No crossing in range: extrapolated by the logistic fit.
	l := Logistic{PSE: 15, Slope: 0.5}
	var x, y []float64
	for v := -10.0; v <= 10; v++ {
		x = append(x, v)
		y = append(y, l.P(v))
	}
	p, err = CrossingPSE(x, y)
	if err != nil || math.Abs(p-15) > 1e-3 {
		t.Errorf("extrapolated %g, %v", p, err)
	}
}
