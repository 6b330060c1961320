package analysis

import (
	"math/rand/v2"
	"testing"
)

// go test -bench . -run '^$' ./experiments/analysis/
func BenchmarkFitRows(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	idx := 0
	rows := constantRows(r, "s", phaseBaseline, "a", observer{1.3, 1.5, 0.02}, defaultTints, 6, &idx)
	for b.Loop() {
		FitRows(rows, 0)
	}
}

func BenchmarkAnalyze20(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	parts := simStudy(r, 20, 3, 2, 6, true)
	for b.Loop() {
		Analyze(parts, Options{Seed: 1})
	}
}
