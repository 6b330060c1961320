package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/stimuli"
)

// BenchmarkStimulusCachedHit is a stimulus request answered from the
// in-process cache: the steady state of a study, where every participant
// loads the same few dozen images.
func BenchmarkStimulusCachedHit(b *testing.B) {
	srv := server.New(server.Config{})
	u := sealedURL(b, srv, stimuli.Stimulus{Pattern: stimuli.Pattern{Kind: stimuli.Grating}, Tint: 4, RefSizePx: 512}.WithDefaults(), 512)
	warm := httptest.NewRecorder()
	srv.ServeHTTP(warm, httptest.NewRequest(http.MethodGet, u, nil))
	if warm.Code != http.StatusOK {
		b.Fatalf("status %d", warm.Code)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkStimulusMiss renders and encodes a 512×512 stimulus per request.
func BenchmarkStimulusMiss(b *testing.B) {
	// Nothing fits the cache: every request renders (with no per-client limit).
	srv := server.New(server.Config{StimulusCacheBytes: 1, Limits: server.Limits{RendersPerClient: -1}})
	u := sealedURL(b, srv, stimuli.Stimulus{Pattern: stimuli.Pattern{Kind: stimuli.Circles}, Tint: -4, RefSizePx: 512}.WithDefaults(), 512)
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// sealedURL is the URL srv (without a database: its seal key set here)
// issues for spec at size.
func sealedURL(b *testing.B, srv *server.Server, spec stimuli.Stimulus, size int) string {
	srv.UseSealSecret([]byte("benchmark"))
	u, err := srv.StimulusURL(context.Background(), spec, size)
	if err != nil {
		b.Fatal(err)
	}
	return u
}
