// Command renderload asks a running server for many worst-case stimulus
// renders at once (2048 px radial/concentric morphs, each with its own
// tint, so none is cached) while it checks that /healthz keeps answering,
// and reports the server's peak memory: the measurement behind the render
// limits (BENCHMARKS.md).
//
//	go run ./cmd/renderload --target http://127.0.0.1:18181 --token mcc_… \
//	    --clients 60 --duration 30s --pid "$(pgrep -f 'mccollough serve')"
//
// Renders go through the researchers' preview (a token is needed), the one
// route that renders a spec of the caller's choosing. With --anonymous they
// go where anonymous clients can go: the token creates an adjustment study
// at --size, and each client starts a session of it and walks its
// adjustment range on the session image route, each a tint of its own
// (participants' routes serve only stimuli the server issued or the
// session's range can show, through the same slots).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("target", "http://127.0.0.1:8080", "server base URL")
	token := flag.String("token", os.Getenv("MCC_TOKEN"), "a researcher's API token (env MCC_TOKEN)")
	clients := flag.Int("clients", 60, "concurrent clients, each asking for one render after another")
	duration := flag.Duration("duration", 30*time.Second, "how long to keep asking")
	size := flag.Int("size", 2048, "stimulus size in px")
	pid := flag.Int("pid", 0, "the server's process id, to report its peak resident memory (Linux /proc)")
	anonymous := flag.Bool("anonymous", false, "ask as participants, on the session image route of an adjustment study made for the run")
	flag.Parse()
	if err := run(*target, *token, *clients, *duration, *size, *pid, *anonymous); err != nil {
		fmt.Fprintln(os.Stderr, "renderload:", err)
		os.Exit(1)
	}
}

func run(target, token string, clients int, duration time.Duration, size, pid int, anonymous bool) error {
	if token == "" {
		return fmt.Errorf("--token is required (POST /api/v1/login gives one)")
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	var next atomic.Int64
	// request is client c's next render: a URL and the token to send.
	request := func(int) (string, string) { return previewURL(target, size, next.Add(1)), token }
	if anonymous {
		sessions, err := startSessions(client, target, token, size, clients)
		if err != nil {
			return err
		}
		request = func(c int) (string, string) { return sessions[c].next(target, clients) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	statuses := sync.Map{} // status → *atomic.Int64
	count := func(status int) {
		v, _ := statuses.LoadOrStore(status, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				u, tok := request(c)
				status, err := get(client, u, tok)
				if err != nil {
					status = 0
				}
				count(status)
				if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
					time.Sleep(time.Second) // as told by Retry-After, roughly
				}
			}
		})
	}
	var worst time.Duration
	var healthFailures int
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-ticker.C:
			start := time.Now()
			status, err := get(client, target+"/healthz", "")
			if err != nil || status != http.StatusOK {
				healthFailures++
			}
			worst = max(worst, time.Since(start))
		}
	}
	wg.Wait()
	fmt.Printf("clients %d, %d px, %s\n", clients, size, duration)
	statuses.Range(func(k, v any) bool {
		fmt.Printf("  status %d: %d\n", k, v.(*atomic.Int64).Load())
		return true
	})
	fmt.Printf("healthz: slowest %s, %d failed\n", worst.Round(time.Millisecond), healthFailures)
	if pid > 0 {
		peak, err := peakRSS(pid)
		if err != nil {
			return err
		}
		fmt.Printf("server peak RSS (VmHWM): %d MiB\n", peak>>20)
	}
	return nil
}

// previewURL is the n-th worst-case stimulus: a radial pattern morphed
// towards concentric circles, with a tint of its own.
func previewURL(target string, size int, n int64) string {
	tint := float64(n%4000)/100 - 20 // -20 … +19.99 a*: thousands of distinct images
	spec := `{"pattern": {"kind": "radial", "spokes": 24}, "morph_to": {"kind": "circles", "period_px": 17}, "morph": 0.5}`
	q := url.Values{"spec": {spec}, "size": {strconv.Itoa(size)}, "tint": {strconv.FormatFloat(tint, 'f', 2, 64)}}
	return target + "/api/v1/stimuli/preview?" + q.Encode()
}

func get(client *http.Client, u, token string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// peakRSS is a process's peak resident set (VmHWM) in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
