package storage_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// largeStudy is a definition at the platform's limits: an hour of induction
// at the shortest switch and 50 repeats of every tint, a plan of ~2 MB.
func largeStudy() experiments.Definition {
	d := experiments.Classic()
	d.Slug, d.Name = "large", "Large"
	d.Induction.DurationS, d.Induction.SwitchS = experiments.MaxInductionS, experiments.MinSwitchS
	d.Test.Repeats = 20
	return d.WithDefaults()
}

// BenchmarkSessionCreationDuringFlood: 50 creations of a large study at
// once, and one ordinary participant arriving just after them; reports how
// long that participant waited (ordinary_ms, median; worst_ms), beside one
// creation with no flood (alone_ms) on the same machine.
func BenchmarkSessionCreationDuringFlood(b *testing.B) {
	db := pgtest.New(b)
	ctx := context.Background()
	e, err := db.CreateExperiment(ctx, nil, largeStudy(), storage.StatusOpen)
	if err != nil {
		b.Fatal(err)
	}
	var waits, alone []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, _, err := db.CreateSession(ctx, e, storage.NewSession{}); err != nil {
			b.Fatal(err)
		}
		alone = append(alone, time.Since(start))
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if _, _, err := db.CreateSession(ctx, e, storage.NewSession{}); err != nil {
					b.Error(err)
				}
			})
		}
		time.Sleep(50 * time.Millisecond) // the flood is under way
		start = time.Now()
		if _, _, err := db.CreateSession(ctx, e, storage.NewSession{}); err != nil {
			b.Fatal(err)
		}
		waits = append(waits, time.Since(start))
		wg.Wait()
	}
	for _, d := range [][]time.Duration{waits, alone} {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	}
	b.ReportMetric(float64(waits[len(waits)/2].Milliseconds()), "ordinary_ms")
	b.ReportMetric(float64(waits[len(waits)-1].Milliseconds()), "worst_ms")
	b.ReportMetric(float64(alone[len(alone)/2].Milliseconds()), "alone_ms")
}
