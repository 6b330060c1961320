package storage_test

import (
	"context"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// BenchmarkRecordTrial stores answers as the trial PUT does (token and plan
// check, idempotent insert), from 16 goroutines, straight to PostgreSQL and
// through a PgBouncer in transaction pooling mode, in the pgx query
// execution modes that can work: cache_statement (named prepared
// statements; not behind the pooler: PgBouncer before 1.21 cannot route
// them) and cache_describe (the unnamed statement, one round trip once the
// description is cached). exec and simple_protocol guess parameter types
// from Go types and would send the []byte JSON documents as bytea.
//
//	go test ./storage -run '^$' -bench RecordTrial -benchtime 20000x
func BenchmarkRecordTrial(b *testing.B) {
	for _, route := range []string{"direct", "pgbouncer"} {
		for _, mode := range []string{"cache_statement", "cache_describe"} {
			if route == "pgbouncer" && mode == "cache_statement" {
				continue
			}
			b.Run(route+"/"+mode, func(b *testing.B) {
				url := pgtest.NewURL(b)
				if route == "pgbouncer" {
					url = pgtest.NewPooledURL(b, 8)
				}
				benchmarkRecordTrial(b, url+"&default_query_exec_mode="+mode)
			})
		}
	}
}

func benchmarkRecordTrial(b *testing.B, url string) {
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	def := experiments.Classic()
	off := false
	def.Screening = &experiments.Screening{Enabled: &off}
	e, err := db.CreateExperiment(ctx, nil, def.WithDefaults(), storage.StatusOpen)
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8) // 16 goroutines on 2 cores: the database is the bottleneck, as under load
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var s storage.Session
		var token string
		next := 0
		for pb.Next() {
			if next == len(s.Plan.Trials) {
				// A new participant every 108 answers, as in the study.
				var err error
				if s, token, err = db.CreateSession(ctx, e, storage.NewSession{}); err != nil {
					b.Error(err)
					return
				}
				next = 0
			}
			t := s.Plan.Trials[next]
			r := experiments.Response{Index: t.Index, Response: experiments.Red, Tint: *t.Tint,
				TrialResult: experiments.TrialResult{RTMS: 500, OnsetMS: 1000, IntendedMS: 1000, MeasuredMS: 1000, Frames: 60}}
			if _, err := db.RecordTrial(ctx, s.ID, token, storage.TrialWrite{Response: r}); err != nil {
				b.Error(err)
				return
			}
			next++
		}
	})
}
