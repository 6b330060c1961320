package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mccollough/mccollough/stimuli"
)

func getPNG(s *Server, url, client string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.RemoteAddr = client + ":1234"
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// radialURL is the sealed URL of a radial stimulus at tint, from a
// server without a database (its seal key set directly).
func radialURL(s *Server, tint float64) string {
	s.UseSealSecret([]byte("render limit tests"))
	u, err := s.StimulusURL(context.Background(), stimuli.Stimulus{Pattern: stimuli.Pattern{Kind: stimuli.Radial}, Tint: tint}.WithDefaults(), 256)
	if err != nil {
		panic(err)
	}
	return u
}

// TestRendersAreBounded: with every render slot taken for longer than a
// render may wait, a stimulus not in the cache is a 503 with Retry-After
// (it used to render anyway: 60 clients asking for 2048 px images took the
// server to gigabytes); a cached one is still served.
func TestRendersAreBounded(t *testing.T) {
	s := New(Config{Limits: Limits{RenderSlots: 1, RenderWait: time.Millisecond}})
	cached := radialURL(s, 2)
	if rec := getPNG(s, cached, "192.0.2.1"); rec.Code != http.StatusOK {
		t.Fatalf("first render: %d", rec.Code)
	}
	if err := s.renders.Acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	rec := getPNG(s, radialURL(s, 3), "192.0.2.1")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("with every slot taken: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := getPNG(s, cached, "192.0.2.1"); rec.Code != http.StatusOK {
		t.Fatalf("a cached stimulus with every slot taken: %d", rec.Code)
	}
	s.renders.Release(1)
	if rec := getPNG(s, radialURL(s, 3), "192.0.2.1"); rec.Code != http.StatusOK {
		t.Fatalf("with a slot free again: %d", rec.Code)
	}
}

// TestRendersPerClientAreLimited: one client gets so many new images a
// minute (429 with Retry-After beyond), others and cached images are not
// affected.
func TestRendersPerClientAreLimited(t *testing.T) {
	s := New(Config{Limits: Limits{RendersPerClient: 3}})
	for i := range 3 {
		if rec := getPNG(s, radialURL(s, float64(i)), "192.0.2.1"); rec.Code != http.StatusOK {
			t.Fatalf("render %d: %d", i, rec.Code)
		}
	}
	rec := getPNG(s, radialURL(s, 9), "192.0.2.1")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("a fourth new image in a minute: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := getPNG(s, radialURL(s, 0), "192.0.2.1"); rec.Code != http.StatusOK {
		t.Fatalf("a cached image: %d", rec.Code)
	}
	if rec := getPNG(s, radialURL(s, 9), "198.51.100.7"); rec.Code != http.StatusOK {
		t.Fatalf("another client: %d", rec.Code)
	}
}

// TestPNGCacheCountsCapacity: the cache counts the memory a PNG holds,
// not just its length.
func TestPNGCacheCountsCapacity(t *testing.T) {
	c := newPNGCache(1000)
	for _, key := range []string{"a", "b", "c"} {
		if _, err := c.get(key, func() ([]byte, error) { return make([]byte, 10, 400), nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n, bytes := c.size(); n != 2 || bytes != 800 {
		t.Fatalf("%d entries of %d bytes, want 2 of 800 (capacity counted)", n, bytes)
	}
}
