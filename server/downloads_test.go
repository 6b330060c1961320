package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestDownloadsAreAttachmentsNoCacheKeeps: every researcher data download
// is a named attachment that no cache on the way may keep.
func TestDownloadsAreAttachmentsNoCacheKeeps(t *testing.T) {
	ts := newTestServer(t)
	w := ts.signedIn("ada@example.org")
	w.experimentOf(shortDefinition("study"))
	for path, name := range map[string]string{
		"/api/v1/experiments/study/export.csv":                "study_trials.csv",
		"/api/v1/experiments/study/codebook.csv":              "study_codebook_trials.csv",
		"/api/v1/experiments/study/codebook.csv?for=sessions": "study_codebook_sessions.csv",
		"/api/v1/experiments/study/sessions.csv":              "study_sessions.csv",
		"/api/v1/experiments/study/summary.csv":               "study_summary.csv",
		"/api/v1/experiments/study/dataset.zip":               "study_psych-ds.zip",
		"/api/v1/experiments/study/definition.json":           "study_v1.json",
		"/researcher/experiments/study/definition.json":       "study.json",
	} {
		rec := w.get(path)
		wantStatus(t, rec, http.StatusOK)
		h := rec.Header()
		if cd := h.Get("Content-Disposition"); cd != `attachment; filename="`+name+`"` {
			t.Errorf("%s: Content-Disposition %q", path, cd)
		}
		if cc := h.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
		if ct := h.Get("Content-Type"); ct == "" || (strings.HasSuffix(name, ".csv") && !strings.HasPrefix(ct, "text/csv")) {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
	}
}
