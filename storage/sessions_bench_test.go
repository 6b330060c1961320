package storage_test

import (
	"context"
	"slices"
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

// BenchmarkOrdinarySessionDuringFlood: while 50 creations of a large study
// run at once, participants of an ordinary study (the classic one) keep
// arriving, one after another; reports their waits (ordinary_p50_ms,
// ordinary_p99_ms, ordinary_max_ms, over every iteration's arrivals, and
// how many arrived: ordinary_n) beside one ordinary creation with no flood
// (alone_ms) on the same machine.
//
//	go test ./storage -run '^$' -bench OrdinarySessionDuringFlood -benchtime 3x
func BenchmarkOrdinarySessionDuringFlood(b *testing.B) {
	db := pgtest.New(b)
	ctx := context.Background()
	large, err := db.CreateExperiment(ctx, nil, largeStudy(), storage.StatusOpen)
	if err != nil {
		b.Fatal(err)
	}
	ordinary, err := db.CreateExperiment(ctx, nil, experiments.Classic().WithDefaults(), storage.StatusOpen)
	if err != nil {
		b.Fatal(err)
	}
	create := func(e storage.Experiment) time.Duration {
		start := time.Now()
		if _, _, err := db.CreateSession(ctx, e, storage.NewSession{}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var waits, alone []time.Duration
	for b.Loop() {
		alone = append(alone, create(ordinary))
		var flood sync.WaitGroup
		for range 50 {
			flood.Go(func() { create(large) })
		}
		done := make(chan struct{})
		go func() { flood.Wait(); close(done) }()
	arrivals:
		for {
			select {
			case <-done:
				break arrivals
			default:
				waits = append(waits, create(ordinary))
			}
		}
	}
	for _, d := range [][]time.Duration{waits, alone} {
		slices.Sort(d)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(len(waits)), "ordinary_n")
	b.ReportMetric(ms(waits[len(waits)/2]), "ordinary_p50_ms")
	b.ReportMetric(ms(waits[(len(waits)*99+99)/100-1]), "ordinary_p99_ms")
	b.ReportMetric(ms(waits[len(waits)-1]), "ordinary_max_ms")
	b.ReportMetric(ms(alone[len(alone)/2]), "alone_ms")
}
