// Command loadtest simulates participants taking part in a study at once,
// against one or more running servers, and then checks the database: every
// acknowledged answer is stored, nothing else, nothing twice.
//
//	go run ./cmd/loadtest --targets http://127.0.0.1:8080 --participants 500 \
//	    --interval 250ms --database-url "$DATABASE_URL"
//
// With several targets, each participant switches replica at every request
// (round robin), as a participant would behind a load balancer.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

type config struct {
	targets      []string
	study        string
	participants int
	interval     time.Duration
	duration     time.Duration
	maxTrials    int
	databaseURL  string
	retries      int
	// acked, if set, is called with the number of answers acknowledged so
	// far after each one (the fault tests inject their fault on it).
	acked func(n int64)
}

func main() {
	var cfg config
	var targets string
	flag.StringVar(&targets, "targets", "http://127.0.0.1:8080", "comma-separated server base URLs (replicas)")
	flag.StringVar(&cfg.study, "study", "classic", "slug of an open study")
	flag.IntVar(&cfg.participants, "participants", 100, "simulated participants, all at once")
	flag.DurationVar(&cfg.interval, "interval", 250*time.Millisecond, "mean time between a participant's answers")
	flag.DurationVar(&cfg.duration, "duration", 2*time.Minute, "stop sending new answers after this long")
	flag.IntVar(&cfg.maxTrials, "trials", 0, "answer at most this many trials per participant (0: all)")
	flag.StringVar(&cfg.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "database to verify against (skipped when empty)")
	flag.IntVar(&cfg.retries, "retries", 20, "retries of a failed request (with backoff), as the runner does")
	flag.Parse()
	cfg.targets = strings.Split(targets, ",")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout)
	if rep.failed() {
		os.Exit(1)
	}
}

// report is what a run measured.
type report struct {
	elapsed      time.Duration
	puts         int64
	errors       int64 // requests that failed for good
	retried      int64 // attempts that failed and were retried
	latencies    []time.Duration
	putDone      []time.Time // when each acknowledged PUT returned
	sessions     int
	completed    int64
	acknowledged map[string]map[int]bool
	verified     bool
	stored       int
	missing      int
	extra        int
	duplicates   int
}

func (r *report) failed() bool {
	return r.errors > 0 || (r.verified && (r.missing > 0 || r.extra > 0 || r.duplicates > 0))
}

// steadyRate is the PUT rate over the middle 80% of the answers (from the
// 10th to the 90th percentile of their acknowledgement times): the
// saturated rate, free of the ramp-up (a burst of session creations) and of
// the tail (the last participants alone).
func (r *report) steadyRate() (n int, d time.Duration) {
	if len(r.putDone) < 10 {
		return 0, 0
	}
	done := slices.Clone(r.putDone)
	slices.SortFunc(done, time.Time.Compare)
	first, last := len(done)/10, len(done)*9/10
	return last - first, done[last].Sub(done[first])
}

func (r *report) print(w io.Writer) {
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	q := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	fmt.Fprintf(w, "participants %d, trial PUTs %d in %s: %.0f PUT/s\n", r.sessions, r.puts, r.elapsed.Round(time.Millisecond),
		float64(r.puts)/r.elapsed.Seconds())
	if n, d := r.steadyRate(); d > 0 {
		fmt.Fprintf(w, "steady (middle 80%% of the answers, %s): %.0f PUT/s\n", d.Round(time.Millisecond), float64(n)/d.Seconds())
	}
	fmt.Fprintf(w, "PUT latency p50 %s  p95 %s  p99 %s  max %s\n", q(0.50), q(0.95), q(0.99), q(1))
	fmt.Fprintf(w, "completed sessions %d, errors %d, retried attempts %d\n", r.completed, r.errors, r.retried)
	if r.verified {
		fmt.Fprintf(w, "database: %d rows stored, %d acknowledged answers missing, %d rows never acknowledged, %d duplicates\n",
			r.stored, r.missing, r.extra, r.duplicates)
	}
}

type session struct {
	ID    string `json:"session_id"`
	Token string `json:"token"`
	Plan  struct {
		Trials []struct {
			Index     int      `json:"index"`
			Method    string   `json:"method"`
			PatchURLs []string `json:"patch_urls"`
		} `json:"trials"`
	} `json:"plan"`
}

func run(ctx context.Context, cfg config) (*report, error) {
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.participants, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute},
	}
	rep := &report{acknowledged: map[string]map[int]bool{}}
	var mu sync.Mutex
	var puts, errs, retried, completed atomic.Int64
	deadline := time.Now().Add(cfg.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for p := range cfg.participants {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(p), 1))
			lb := &roundRobin{targets: cfg.targets, next: p}
			var s session
			body := fmt.Sprintf(`{"params": {"pid": "load-%d"}, "screen": {"refresh_hz": 60}}`, p)
			status, resp, _, err := lb.do(ctx, client, cfg.retries, &retried, http.MethodPost, "/api/v1/studies/"+cfg.study+"/sessions", "", body)
			if err != nil || status != http.StatusCreated || json.Unmarshal(resp, &s) != nil {
				errs.Add(1)
				fmt.Fprintf(os.Stderr, "participant %d: creating a session: %d %v %s\n", p, status, err, resp)
				return
			}
			acked := map[int]bool{}
			trials := s.Plan.Trials
			if cfg.maxTrials > 0 && len(trials) > cfg.maxTrials {
				trials = trials[:cfg.maxTrials]
			}
			all := true
			for _, t := range trials {
				// Answers arrive at human-like, jittered intervals.
				sleep := time.Duration(r.ExpFloat64() * float64(cfg.interval))
				select {
				case <-ctx.Done():
					all = false
				case <-time.After(sleep):
				}
				if !all || time.Now().After(deadline) {
					all = false
					break
				}
				resp := `"green"`
				if r.IntN(2) == 1 {
					resp = `"red"`
				}
				if t.Method == "screening" {
					// Simulated participants see colours: the patch unlike the others.
					resp = fmt.Sprint(lb.oddOneOut(ctx, client, cfg.retries, &retried, t.PatchURLs))
				}
				// No tint: the browser is not told it, the server takes it from the plan.
				b := fmt.Sprintf(`{"response": %s, "rt_ms": %d, "onset_ms": 1000, "intended_ms": 1000, "measured_ms": 1000, "frames": 60, "dropped_frames": 0}`,
					resp, 300+r.IntN(900))
				status, _, lat, err := lb.do(ctx, client, cfg.retries, &retried, http.MethodPut,
					fmt.Sprintf("/api/v1/sessions/%s/trials/%d", s.ID, t.Index), s.Token, b)
				if err != nil || (status != http.StatusCreated && status != http.StatusOK) {
					errs.Add(1)
					fmt.Fprintf(os.Stderr, "participant %d trial %d: %d %v\n", p, t.Index, status, err)
					continue
				}
				if n := puts.Add(1); cfg.acked != nil {
					cfg.acked(n)
				}
				acked[t.Index] = true
				mu.Lock()
				rep.latencies = append(rep.latencies, lat)
				rep.putDone = append(rep.putDone, time.Now())
				mu.Unlock()
			}
			if all && cfg.maxTrials == 0 {
				status, _, _, err := lb.do(ctx, client, cfg.retries, &retried, http.MethodPost, "/api/v1/sessions/"+s.ID+"/complete", s.Token, "")
				if err == nil && status == http.StatusOK {
					completed.Add(1)
				} else {
					errs.Add(1)
				}
			}
			mu.Lock()
			rep.acknowledged[s.ID] = acked
			mu.Unlock()
		})
	}
	wg.Wait()
	rep.elapsed = time.Since(start)
	rep.puts, rep.errors, rep.retried, rep.completed = puts.Load(), errs.Load(), retried.Load(), completed.Load()
	rep.sessions = len(rep.acknowledged)
	if cfg.databaseURL != "" {
		if err := verify(context.Background(), cfg.databaseURL, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// roundRobin sends each request of a participant to the next replica.
type roundRobin struct {
	targets []string
	next    int
}

// do sends a request, retrying network errors and 5xx answers with
// exponential backoff (as the browser runner does); the latency is that
// of the successful attempt.
func (lb *roundRobin) do(ctx context.Context, c *http.Client, retries int, retried *atomic.Int64, method, path, token, body string) (int, []byte, time.Duration, error) {
	backoff := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		base := lb.targets[lb.next%len(lb.targets)]
		lb.next++
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewBufferString(body))
		if err != nil {
			return 0, nil, 0, err
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		t0 := time.Now()
		res, err := c.Do(req)
		lat := time.Since(t0)
		if err == nil {
			data, rerr := io.ReadAll(res.Body)
			res.Body.Close()
			if rerr == nil && res.StatusCode < 500 {
				return res.StatusCode, data, lat, nil
			}
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		if attempt >= retries || ctx.Err() != nil {
			return 0, nil, lat, err
		}
		retried.Add(1)
		time.Sleep(backoff)
		backoff = min(backoff*2, 2*time.Second)
	}
}

// oddOneOut fetches a screening trial's patches and returns the position
// of the one whose image differs from all the others (-1: none does, or
// an image could not be fetched; the answer is then refused or wrong).
func (lb *roundRobin) oddOneOut(ctx context.Context, c *http.Client, retries int, retried *atomic.Int64, urls []string) int {
	images := make([][]byte, len(urls))
	for i, u := range urls {
		status, data, _, err := lb.do(ctx, c, retries, retried, http.MethodGet, u, "", "")
		if err != nil || status != http.StatusOK {
			return -1
		}
		images[i] = data
	}
	for i := range images {
		unlike := 0
		for j := range images {
			if j != i && !bytes.Equal(images[i], images[j]) {
				unlike++
			}
		}
		if unlike == len(images)-1 {
			return i
		}
	}
	return -1
}

// verify compares the database with what the servers acknowledged.
func verify(ctx context.Context, url string, rep *report) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("verifying: %w", err)
	}
	defer conn.Close(ctx)
	ids := make([]string, 0, len(rep.acknowledged))
	for id := range rep.acknowledged {
		ids = append(ids, id)
	}
	rows, err := conn.Query(ctx, `SELECT session_id::text, trial_index, count(*) OVER (PARTITION BY session_id, trial_index)
		FROM trials WHERE session_id::text = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("verifying: %w", err)
	}
	seen := map[string]map[int]bool{}
	for rows.Next() {
		var id string
		var idx, n int
		if err := rows.Scan(&id, &idx, &n); err != nil {
			return err
		}
		rep.stored++
		if n > 1 {
			rep.duplicates++
		}
		if seen[id] == nil {
			seen[id] = map[int]bool{}
		}
		seen[id][idx] = true
		if !rep.acknowledged[id][idx] {
			rep.extra++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for id, acked := range rep.acknowledged {
		for idx := range acked {
			if !seen[id][idx] {
				rep.missing++
			}
		}
	}
	rep.verified = true
	return nil
}
