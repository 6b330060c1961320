package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/stimuli"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// replicas are two servers on one database, as behind a load balancer.
func replicas(t *testing.T) (a, b *testServer) {
	t.Helper()
	url := pgtest.NewURL(t)
	open := func() *testServer {
		db, err := storage.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
		return &testServer{t: t, srv: server.New(server.Config{DB: db, Logger: log}), db: db, sql: pgtest.SQL(t, url), clock: &testClock{}}
	}
	return open(), open()
}

// imageURLs are every image URL in a JSON document, in order.
func imageURLs(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if strings.Contains(x, ".png") {
				out = append(out, x)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// TestParticipantsLearnNothingButPixels: the plan a participant's browser
// gets has no screening target, no tint and no staircase spec, and its
// image URLs are opaque: decoding one yields no spec. The same image has
// the same URL on two replicas sharing a database, either replica serves
// what the other issued, and the pixels are those of the planned tint. An
// altered or foreign URL is a 404.
func TestParticipantsLearnNothingButPixels(t *testing.T) {
	a, b := replicas(t)
	def := screenedDefinition("sealed")
	def.Test.CatchTrials = 2
	a.addStudy(def, storage.StatusOpen)
	screen := map[string]any{"screen": map[string]any{"viewport": map[string]int{"width": 1280, "height": 800}}}
	rec := a.do(http.MethodPost, "/api/v1/studies/sealed/sessions", screen)
	wantStatus(t, rec, http.StatusCreated)
	created := rec.Body.Bytes()
	var raw struct {
		SessionID string          `json:"session_id"`
		Token     string          `json:"token"`
		Plan      json.RawMessage `json:"plan"`
	}
	if err := json.Unmarshal(created, &raw); err != nil {
		t.Fatal(err)
	}
	for _, hidden := range []string{`"target"`, `"staircases"`, `"catch"`, `"neutral_url"`, `"tint":-`, `"tint":1`, `"tint":2`, `"tint":3`, `"tint":4`, `"tint":5`, `"tint":8`} {
		if bytes.Contains(raw.Plan, []byte(hidden)) {
			t.Errorf("the participant's plan holds %s", hidden)
		}
	}
	// Resumed on the other replica: the very same plan.
	other := createdSession{SessionID: raw.SessionID, Token: raw.Token}
	rec = b.do(http.MethodGet, "/api/v1/sessions/"+raw.SessionID, nil, auth(raw.Token)...)
	wantStatus(t, rec, http.StatusOK)
	var resumed struct {
		Plan json.RawMessage `json:"plan"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resumed); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resumed.Plan, raw.Plan) {
		t.Fatal("the plan read from the second replica differs from the one the first issued")
	}

	urls := imageURLs(t, raw.Plan)
	if len(urls) < 30 {
		t.Fatalf("only %d image URLs in the plan", len(urls))
	}
	for _, u := range urls {
		token, ok := strings.CutPrefix(u, "/stimuli/")
		token, ok2 := strings.CutSuffix(token, ".png")
		if !ok || !ok2 || strings.ContainsAny(token, "?&=") {
			t.Fatalf("image URL %q is not a sealed /stimuli/{token}.png", u)
		}
		decoded, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			t.Fatalf("token of %s: %v", u, err)
		}
		for _, spec := range []string{"tint", "pattern", "kind", "grating", "period"} {
			if bytes.Contains(decoded, []byte(spec)) || strings.Contains(strings.ToLower(token), spec) {
				t.Fatalf("the URL %s decodes to something with %q in it", u, spec)
			}
		}
		if json.Valid(decoded) {
			t.Fatalf("the URL %s decodes to JSON", u)
		}
	}

	// Every test trial's URL serves the planned tint's pixels, from the
	// replica that did not issue it; equal stimuli have equal URLs, in
	// this session and in one started on the other replica.
	var view struct {
		Plan struct {
			Trials []struct {
				Index       int    `json:"index"`
				StimulusURL string `json:"stimulus_url"`
			} `json:"trials"`
		} `json:"plan"`
	}
	if err := json.Unmarshal(created, &view); err != nil {
		t.Fatal(err)
	}
	second := b.startSession("sealed", screen)
	urlOf := map[string]string{}
	for i, tr := range b.planned(other) {
		u := view.Plan.Trials[i].StimulusURL
		if tr.Method == experiments.MethodScreening {
			continue
		}
		key := fmt.Sprint(tr.Pattern, "/", *tr.Tint)
		if prev, ok := urlOf[key]; ok && prev != u {
			t.Fatalf("%s has two URLs: %s and %s", key, prev, u)
		}
		if _, ok := urlOf[key]; ok {
			continue
		}
		urlOf[key] = u
		img := b.do(http.MethodGet, u, nil)
		wantStatus(t, img, http.StatusOK)
		spec, err := def.TestStimulus(tr.Pattern, *tr.Tint)
		if err != nil {
			t.Fatal(err)
		}
		want, err := stimuli.RenderPNG(spec, def.SizePx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(img.Body.Bytes(), want) {
			t.Fatalf("trial %d's image is not %s", tr.Index, key)
		}
		if cc := img.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "public") {
			t.Fatalf("Cache-Control %q", cc)
		}
		etag := img.Header().Get("ETag")
		if etag == "" || strings.Contains(etag, stimuli.Key(spec, def.SizePx)) {
			t.Fatalf("ETag %q is empty or the spec's plain hash (which guessed tints can be tested against)", etag)
		}
		wantStatus(t, a.do(http.MethodGet, u, nil, "If-None-Match", etag), http.StatusNotModified)
	}
	for i, tr := range b.planned(second) {
		if tr.Method == experiments.MethodScreening {
			continue
		}
		if u, ok := urlOf[fmt.Sprint(tr.Pattern, "/", *tr.Tint)]; ok && u != second.Plan.Trials[i].StimulusURL {
			t.Fatalf("trial %d: the other replica's session has another URL for the same image", i)
		}
	}
	if len(urlOf) < 4 {
		t.Fatalf("only %d distinct test images", len(urlOf))
	}

	// Altered, truncated, foreign and old-style URLs: 404.
	u := urlOf[fmt.Sprint(experiments.PatternA, "/", def.Test.Tints[0])]
	token := strings.TrimSuffix(strings.TrimPrefix(u, "/stimuli/"), ".png")
	flip := func(i int) string {
		c := byte('A')
		if token[i] == 'A' {
			c = 'B'
		}
		return "/stimuli/" + token[:i] + string(c) + token[i+1:] + ".png"
	}
	foreign := server.New(server.Config{})
	foreign.UseSealSecret([]byte("another deployment"))
	spec, _ := def.TestStimulus(experiments.PatternA, 30)
	forged, err := foreign.StimulusURL(context.Background(), spec, def.SizePx)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{flip(0), flip(len(token) / 2), flip(len(token) - 1),
		"/stimuli/" + token[:len(token)-4] + ".png", "/stimuli/" + token + "AAAA.png", "/stimuli/" + token,
		forged, "/stimuli/" + strings.Repeat("A", 5000) + ".png", "/stimuli/%00.png",
		"/stimuli/" + stimuli.Key(spec, 96) + ".png?size=96&s=" + base64.RawURLEncoding.EncodeToString(spec.Canonical())} {
		rec := a.do(http.MethodGet, bad, nil)
		if rec.Code != http.StatusNotFound {
			t.Fatalf("%.80s…: %d, want 404", bad, rec.Code)
		}
	}
	wantStatus(t, a.do(http.MethodGet, u, nil), http.StatusOK)
}

// TestPreviewPlansKeepTargetsAndTints: a researcher's preview is told the
// screening's targets and the tints (its skip-ahead simulates answers).
func TestPreviewPlansKeepTargetsAndTints(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("pv@example.org")
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", screenedDefinition("pv"), auth(token)...), http.StatusCreated)
	rec := ts.do(http.MethodPost, "/api/v1/experiments/pv/preview", nil, auth(token)...)
	wantStatus(t, rec, http.StatusCreated)
	pv := decodeJSON[map[string]any](t, rec.Body.Bytes())
	preview := createdSession{SessionID: pv["session_id"].(string), Token: pv["token"].(string)}
	rec = ts.do(http.MethodGet, "/api/v1/sessions/"+preview.SessionID, nil, auth(preview.Token)...)
	wantStatus(t, rec, http.StatusOK)
	var view struct {
		Plan struct {
			Trials []screeningTrial `json:"trials"`
		} `json:"plan"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
		t.Fatal(err)
	}
	for i, tr := range ts.planned(preview) {
		got := view.Plan.Trials[i]
		if got.Tint == nil || *got.Tint != *tr.Tint {
			t.Fatalf("preview trial %d: tint %v, planned %g", i, got.Tint, *tr.Tint)
		}
		if tr.Method == experiments.MethodScreening && (got.Target == nil || *got.Target != *tr.Target || len(got.PatchURLs) != tr.Patches) {
			t.Fatalf("preview screening trial %d: %+v, planned target %d", i, got, *tr.Target)
		}
	}
}

// TestSessionStimulusServesOnlyTheAdjustmentRange: the session image route
// takes the session's token and renders only what its adjustment trials
// can show.
func TestSessionStimulusServesOnlyTheAdjustmentRange(t *testing.T) {
	ts := newTestServer(t)
	d := shortDefinition("adjust")
	d.Test = experiments.Test{Method: experiments.Adjustment, DurationMS: 500, ExtraPatterns: []experiments.ExtraPattern{}}
	d = d.WithDefaults()
	ts.addStudy(d, storage.StatusOpen)
	ts.addStudy(shortDefinition("constant"), storage.StatusOpen)
	s := ts.startSession("adjust", nil)
	first := ts.plannedTrial(s, 0)
	start, step := *first.StartTint, first.Step
	path := func(pattern string, tint any) string {
		return fmt.Sprintf("/api/v1/sessions/%s/stimulus.png?pattern=%s&tint=%v", s.SessionID, pattern, tint)
	}

	wantStatus(t, ts.do(http.MethodGet, path(first.Pattern, start), nil), http.StatusUnauthorized)
	other := ts.startSession("adjust", nil)
	wantStatus(t, ts.do(http.MethodGet, path(first.Pattern, start), nil, auth(other.Token)...), http.StatusUnauthorized)

	for _, tint := range []float64{start, start + step, start - 3*step, 0} {
		rec := ts.do(http.MethodGet, path(first.Pattern, tint), nil, auth(s.Token)...)
		wantStatus(t, rec, http.StatusOK)
		spec, err := d.TestStimulus(first.Pattern, tint)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := stimuli.RenderPNG(spec, d.SizePx)
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatalf("tint %g: not the definition's test stimulus", tint)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
			t.Fatalf("Cache-Control %q of an image asked for with a token", cc)
		}
	}
	for _, q := range []struct {
		pattern string
		tint    any
	}{{first.Pattern, start + step/3}, {first.Pattern, *first.MaxTint + step}, {"zebra", start}, {first.Pattern, "NaN"}} {
		rec := ts.do(http.MethodGet, path(q.pattern, q.tint), nil, auth(s.Token)...)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if e := decodeError(t, rec); len(e.Fields) != 1 || e.Fields[0].Field != "tint" || !strings.Contains(e.Fields[0].Error, "no adjustment trial") {
			t.Fatalf("pattern %s tint %v: %s", q.pattern, q.tint, rec.Body.String())
		}
	}
	wantStatus(t, ts.do(http.MethodGet, path(first.Pattern, "red"), nil, auth(s.Token)...), http.StatusBadRequest)
	cs := ts.startSession("constant", nil)
	rec := ts.do(http.MethodGet, fmt.Sprintf("/api/v1/sessions/%s/stimulus.png?pattern=a&tint=4", cs.SessionID), nil, auth(cs.Token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
}

func TestAdjustmentAnswersAreSettings(t *testing.T) {
	ts := newTestServer(t)
	d := shortDefinition("adjust")
	d.Test = experiments.Test{Method: experiments.Adjustment, DurationMS: 500, ExtraPatterns: []experiments.ExtraPattern{}}
	d = d.WithDefaults()
	ts.addStudy(d, storage.StatusOpen)
	s := ts.startSession("adjust", nil)
	body := map[string]any{"response": -1.5, "rt_ms": 3000}
	if got := ts.put(s, 0, body); got != http.StatusCreated {
		t.Fatalf("adjustment PUT: %d", got)
	}
	var setting float64
	_ = ts.sql.QueryRow(context.Background(), `SELECT setting FROM trials WHERE session_id = $1`, s.SessionID).Scan(&setting)
	if setting != -1.5 {
		t.Fatalf("stored setting %g", setting)
	}
	rec := ts.do(http.MethodPut, fmt.Sprintf("/api/v1/sessions/%s/trials/1", s.SessionID), map[string]any{"response": "red", "tint": 0}, auth(s.Token)...)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
}
