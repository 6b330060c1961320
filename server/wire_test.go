package server_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/static"
	"github.com/mccollough/mccollough/storage"
)

// decoded is a response body decoded from its Content-Encoding.
func decoded(t *testing.T, header http.Header, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc := header.Get("Content-Encoding"); enc {
	case "":
		return body
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRunnerPageOnTheWire keeps what a participant downloads before the
// first screen small: the study page plus every script and stylesheet it
// loads, in bytes on the wire for a browser that accepts gzip and brotli
// (bodies; stimuli excluded), within 15 KB (issue 16). The runner must be
// whole: its bundle imports nothing more.
func TestRunnerPageOnTheWire(t *testing.T) {
	const budget = 15_000
	ts := newTestServer(t)
	ts.addStudy(experiments.Classic(), storage.StatusOpen) // the longest built-in consent text
	accept := []string{"Accept-Encoding", "gzip, deflate, br, zstd"}
	rec := ts.do(http.MethodGet, "/s/classic?PROLIFIC_PID=p", nil, accept...)
	wantStatus(t, rec, http.StatusOK)
	if enc := rec.Header().Get("Content-Encoding"); enc != "gzip" {
		t.Fatalf("study page Content-Encoding %q, want gzip", enc)
	}
	total := rec.Body.Len()
	page := string(decoded(t, rec.Header(), rec.Body.Bytes()))
	parts := []string{fmt.Sprintf("page %d (of %d)", total, len(page))}
	linked := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(linked) < 3 { // runner.css, the runner, nomodule.js
		t.Fatalf("the page loads only %v", linked)
	}
	for _, m := range linked {
		url := html.UnescapeString(m[1])
		r := ts.do(http.MethodGet, url, nil, accept...)
		wantStatus(t, r, http.StatusOK)
		if enc := r.Header().Get("Content-Encoding"); enc != "br" {
			t.Errorf("%s: Content-Encoding %q, want br", url, enc)
		}
		body := decoded(t, r.Header(), r.Body.Bytes())
		if regexp.MustCompile(`\bimport\s*[{"'*(]`).Match(body) {
			t.Errorf("%s imports more code, which the budget does not count", url)
		}
		total += r.Body.Len()
		name := strings.TrimPrefix(strings.SplitN(url, "?", 2)[0], "/static/")
		parts = append(parts, fmt.Sprintf("%s %d (of %d)", name, r.Body.Len(), len(body)))
	}
	t.Logf("runner page on the wire: %d bytes (%.1f KB) of %d: %s", total, float64(total)/1024, budget, strings.Join(parts, ", "))
	if total > budget {
		t.Fatalf("runner page on the wire %d bytes exceeds the %d-byte budget", total, budget)
	}
}

// TestCompression: text answers are compressed for clients that accept
// it, and only for them; images never; assets in the best encoding the
// client takes.
func TestCompression(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(experiments.Classic(), storage.StatusOpen)
	token := ts.researcher("ada@example.org")
	for _, c := range []struct {
		what, path, accept, want string
	}{
		{"page, gzip", "/s/classic", "gzip", "gzip"},
		{"page, no Accept-Encoding", "/s/classic", "", ""},
		{"page, gzip refused", "/s/classic", "gzip;q=0, br", ""},
		{"asset, brotli", static.URL("runner.css"), "gzip, br", "br"},
		{"asset, brotli refused", static.URL("runner.css"), "br;q=0, gzip;q=0.5", "gzip"},
		{"asset, identity", static.URL("runner.css"), "", ""},
		{"image", previewURL(`{"kind":"grating","orientation_deg":0,"period_px":16}`, "size", "256"), "gzip, br", ""},
	} {
		header := auth(token) // the preview is for researchers
		if c.accept != "" {
			header = append(header, "Accept-Encoding", c.accept)
		}
		rec := ts.do(http.MethodGet, c.path, nil, header...)
		wantStatus(t, rec, http.StatusOK)
		if got := rec.Header().Get("Content-Encoding"); got != c.want {
			t.Errorf("%s: Content-Encoding %q, want %q", c.what, got, c.want)
			continue
		}
		if c.want != "" && !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q", c.what, rec.Header().Get("Vary"))
		}
		if body := decoded(t, rec.Header(), rec.Body.Bytes()); len(body) == 0 {
			t.Errorf("%s: empty body", c.what)
		}
	}
	// An error page goes through the compressor whole.
	rec := ts.do(http.MethodGet, "/s/no-such-study", nil, "Accept-Encoding", "gzip", "Accept", "text/html")
	wantStatus(t, rec, http.StatusNotFound)
	if body := decoded(t, rec.Header(), rec.Body.Bytes()); !strings.Contains(string(body), "This study is not available") {
		t.Fatalf("404 page: %q", body)
	}
}
