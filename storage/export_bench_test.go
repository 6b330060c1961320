package storage_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/localpg"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// seedTrials stores n trial rows of one experiment (108 per session, like
// the classic study), with plain SQL for speed.
func seedTrials(b testing.TB, db *storage.DB, n int) int64 {
	b.Helper()
	ctx := context.Background()
	e, err := db.CreateExperiment(ctx, nil, experiments.Classic(), storage.StatusOpen)
	if err != nil {
		b.Fatal(err)
	}
	sessions := (n + 107) / 108
	_, err = db.Pool.Exec(ctx, `
		INSERT INTO sessions (id, experiment_version_id, participant_kind, participant_ref, condition, seed, plan, screen, token_hash, status)
		SELECT gen_random_uuid(), $1, 'human', 'p' || i, i % 2, i, '{}', '{"refresh_hz": 60}', '\x00', 'complete'
		FROM generate_series(1, $2) i`, e.VersionID, sessions)
	if err != nil {
		b.Fatal(err)
	}
	_, err = db.Pool.Exec(ctx, `
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
// export does, and reports rows/s and the heap growth (constant memory),
// then times psql's \copy of the same query for comparison (psql_ms).
//
//	go test ./storage -run '^$' -bench ExportCSV -benchtime 3x
func BenchmarkExportCSV(b *testing.B) {
	const rows = 200_000
	url := pgtest.NewURL(b)
	db, err := storage.Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	id := seedTrials(b, db, rows)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var maxHeap uint64
	b.ResetTimer()
	for b.Loop() {
		if err := db.ExportCSV(context.Background(), id, storage.ExportFilter{}, io.Discard); err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		maxHeap = max(maxHeap, after.HeapInuse)
	}
	b.StopTimer()
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(rows/perOp, "rows/s")
	b.ReportMetric(float64(int64(maxHeap)-int64(before.HeapInuse))/1e6, "heap-growth-MB")

	psql := psqlPath()
	if psql == "" {
		b.Fatal("psql not found: it is the comparison")
	}
	query := fmt.Sprintf(`\copy (%s) TO '/dev/null' WITH (FORMAT csv, HEADER true)`, storage.ExportQuery(id, storage.ExportFilter{}))
	var best time.Duration
	for range 3 {
		start := time.Now()
		cmd := exec.Command(psql, "-X", "-q", "-d", url, "-c", query)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("psql: %v\n%s", err, out)
		}
		if d := time.Since(start); best == 0 || d < best {
			best = d
		}
	}
	b.ReportMetric(float64(best.Milliseconds()), "psql_ms")
	b.ReportMetric(best.Seconds()/perOp, "speed_vs_psql")
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
