package storage_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/localpg"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// seedTrials stores n trial rows of one experiment (108 per session, like
// the classic study), with plain SQL for speed.
func seedTrials(b testing.TB, db *storage.DB, sql *pgxpool.Pool, n int) int64 {
	b.Helper()
	ctx := context.Background()
	e, err := db.CreateExperiment(ctx, nil, experiments.Classic(), storage.StatusOpen)
	if err != nil {
		b.Fatal(err)
	}
	sessions := (n + 107) / 108
	_, err = sql.Exec(ctx, `
		INSERT INTO sessions (id, experiment_version_id, participant_kind, participant_ref, condition, seed, plan, screen, token_hash, status)
		SELECT gen_random_uuid(), $1, 'human', 'p' || i, i % 2, i, '{}', '{"refresh_hz": 60}', '\x00', 'complete'
		FROM generate_series(1, $2) i`, e.VersionID, sessions)
	if err != nil {
		b.Fatal(err)
	}
	_, err = sql.Exec(ctx, `
		INSERT INTO trials (session_id, trial_index, phase, block, method, pattern, tint, response, rt_ms, onset_ms,
		                    intended_ms, measured_ms, frames, dropped_frames, body)
		SELECT s.id, t, CASE WHEN t < 54 THEN 'baseline' ELSE 'post' END, t / 54, 'constant_stimuli',
		       (ARRAY['a','b','oblique'])[1 + t % 3], (t % 9) * 3 - 12, CASE WHEN t % 2 = 0 THEN 'red' ELSE 'green' END,
		       400 + t, 1000 * t, 1000, 1000.2, 60, 0, '{}'
		FROM sessions s, generate_series(0, 107) t
		LIMIT $1`, n)
	if err != nil {
		b.Fatal(err)
	}
	return e.ID
}

// BenchmarkExportCSV streams 200,000 trial rows of one experiment as the
// export does, and in every iteration also runs psql's \copy of the same
// query to /dev/null (alternating which goes first), so that each ratio
// compares two runs made moments apart on a machine whose load varies. It
// reports the median export time (ns/op), rows/s, the median psql time, the
// ratio psql/export (≥ 1: the export is as fast) of the run's total times
// (speed_vs_psql: the run's figure) and its pairs' lowest and median, the
// CPU time each client spent per run (the rest is PostgreSQL), and the heap
// growth (constant memory).
//
//	go test ./storage -run '^$' -bench ExportCSV -benchtime 3x
func BenchmarkExportCSV(b *testing.B) {
	const rows = 200_000
	ctx := context.Background()
	url := pgtest.NewURL(b)
	db, err := storage.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	sql := pgtest.SQL(b, url)
	id := seedTrials(b, db, sql, rows)
	// After a bulk load the first reads set every row's hint bits and
	// autovacuum analyses the new rows: done here, that work cannot land on
	// whichever client happens to run first.
	if _, err := sql.Exec(ctx, `VACUUM (ANALYZE) trials, sessions, experiment_versions, experiments`); err != nil {
		b.Fatal(err)
	}
	psql := psqlPath()
	if psql == "" {
		b.Fatal("psql not found: it is the comparison")
	}
	query := fmt.Sprintf(`\copy (%s) TO '/dev/null' WITH (FORMAT csv, HEADER true)`, storage.ExportQuery(id, storage.ExportFilter{}))
	var exportCPU, psqlCPU time.Duration
	export := func() time.Duration {
		cpu0, start := processCPU(), time.Now()
		if err := db.ExportCSV(ctx, id, storage.ExportFilter{}, io.Discard); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		exportCPU += processCPU() - cpu0
		return d
	}
	copyWithPsql := func() time.Duration {
		start := time.Now()
		cmd := exec.Command(psql, "-X", "-q", "-d", url, "-c", query)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("psql: %v\n%s", err, out)
		}
		d := time.Since(start)
		psqlCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		return d
	}
	export() // warm the caches for both
	exportCPU = 0
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var maxHeap uint64
	var exports, copies []time.Duration
	var ratios []float64
	for i := 0; b.Loop(); i++ {
		var e, p time.Duration
		if i%2 == 0 {
			e, p = export(), copyWithPsql()
		} else {
			p, e = copyWithPsql(), export()
		}
		exports, copies = append(exports, e), append(copies, p)
		ratios = append(ratios, p.Seconds()/e.Seconds())
		runtime.ReadMemStats(&after)
		maxHeap = max(maxHeap, after.HeapInuse)
	}
	n := time.Duration(len(exports))
	b.ReportMetric(float64(median(exports).Nanoseconds()), "ns/op")
	b.ReportMetric(rows/median(exports).Seconds(), "rows/s")
	b.ReportMetric(float64(median(copies).Milliseconds()), "psql_ms")
	b.ReportMetric(sum(copies).Seconds()/sum(exports).Seconds(), "speed_vs_psql")
	b.ReportMetric(slices.Min(ratios), "speed_vs_psql_min")
	b.ReportMetric(median(ratios), "speed_vs_psql_median")
	b.ReportMetric(float64((exportCPU / n).Milliseconds()), "export_cpu_ms")
	b.ReportMetric(float64((psqlCPU / n).Milliseconds()), "psql_cpu_ms")
	b.ReportMetric(float64(int64(maxHeap)-int64(before.HeapInuse))/1e6, "heap-growth-MB")
}

func sum(ds []time.Duration) (total time.Duration) {
	for _, d := range ds {
		total += d
	}
	return total
}

func median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func psqlPath() string {
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	if dir, err := localpg.FindBinDir(); err == nil {
		if _, err := os.Stat(filepath.Join(dir, "psql")); err == nil {
			return filepath.Join(dir, "psql")
		}
	}
	return ""
}
