package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/static"
	"github.com/mccollough/mccollough/storage"
)

// The study-hygiene pages: the preview page and the dashboard's forms
// (previews, deleting a participant's data), and the runner's fragments
// for the colour check and for sessions that ended early.

var previewLocation = regexp.MustCompile(`^/s/([a-z0-9-]+)/preview#preview=([0-9a-f-]+)\.(.+)$`)

func TestPreviewPageOnlyForItsOwner(t *testing.T) {
	ts := newTestServer(t)
	ada, bob := ts.signedIn("ada@example.org"), ts.signedIn("bob@example.org")
	ada.experimentOf(screenedDefinition("pv")) // a draft

	rec := ada.get("/s/pv/preview")
	wantStatus(t, rec, http.StatusOK)
	page := rec.Body.String()
	for _, want := range []string{"stored as a preview session", `id="skip"`, `"preview":true`, `type="module" src="` + static.URL("runner/main.js") + `"`,
		`"screen":{"min_width":800,"min_height":600,"desktop_only":false}`, `id="withdraw"`, `<dialog id="withdraw-dialog"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("preview page lacks %q:\n%s", want, page)
		}
	}
	checkNoInlineScript(t, page)

	// Another researcher: the study's 404; signed out: the sign-in page.
	rec = bob.get("/s/pv/preview")
	wantStatus(t, rec, http.StatusNotFound)
	if body := rec.Body.String(); !strings.Contains(body, "This study is not available") || strings.Contains(body, "/static/runner/") {
		t.Fatal(body)
	}
	wantRedirect(t, ts.anonymous(http.MethodGet, "/s/pv/preview"), "/login?next=/s/pv/preview")
	wantStatus(t, ada.get("/s/no-such/preview"), http.StatusNotFound)
	// The participants' link of a draft stays closed, also to its owner.
	wantStatus(t, ada.get("/s/pv"), http.StatusNotFound)
}

func TestPreviewFromTheDashboard(t *testing.T) {
	ts := newTestServer(t)
	ada, bob := ts.signedIn("ada@example.org"), ts.signedIn("bob@example.org")
	ada.experimentOf(screenedDefinition("pv"))

	page := ada.get("/researcher/experiments/pv").Body.String()
	if !strings.Contains(page, `action="/researcher/experiments/pv/preview"`) || !regexp.MustCompile(`id="previews-delete" disabled>Delete previews \(0\)`).MatchString(page) {
		t.Fatalf("dashboard without the preview forms:\n%s", page)
	}
	checkNoInlineScript(t, page)

	// CSRF-less posts are refused; other researchers get 404; signed out
	// goes to the sign-in page.
	for _, path := range []string{"/researcher/experiments/pv/preview", "/researcher/experiments/pv/previews/delete", "/researcher/experiments/pv/delete-data"} {
		wantStatus(t, ada.postRaw(path, url.Values{}), http.StatusForbidden)
		wantStatus(t, bob.post(path, url.Values{"id": {"x"}, "confirm": {"yes"}}), http.StatusNotFound)
		wantRedirect(t, ts.anonymous(http.MethodPost, path), "/login")
	}
	if n := ts.countRows(`SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions after refused posts", n)
	}

	loc := wantRedirect(t, ada.post("/researcher/experiments/pv/preview", nil), "/s/pv/preview#preview=")
	m := previewLocation.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("preview redirect %q", loc)
	}
	rec := ts.do(http.MethodGet, "/api/v1/sessions/"+m[2], nil, auth(m[3])...)
	wantStatus(t, rec, http.StatusOK)
	if n := ts.countRows(`SELECT count(*) FROM sessions WHERE id = $1 AND preview`, m[2]); n != 1 {
		t.Fatal("the session is not a preview")
	}
	// The preview of a draft runs: its step fragments are served.
	wantStatus(t, ts.do(http.MethodGet, "/s/pv/sessions/"+m[2]+"/steps/2", nil, auth(m[3])...), http.StatusOK)

	// The JSON API's preview opens the same page.
	token := ts.apiToken(ada)
	rec = ts.do(http.MethodPost, "/api/v1/experiments/pv/preview", nil, auth(token)...)
	wantStatus(t, rec, http.StatusCreated)
	var api struct{ URL string }
	if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil || !previewLocation.MatchString(api.URL) {
		t.Fatalf("API preview url %q (%v)", api.URL, err)
	}

	page = ada.get("/researcher/experiments/pv").Body.String()
	if !strings.Contains(page, `Delete previews (2)`) || !strings.Contains(page, "human (preview)") || !strings.Contains(page, m[2]) {
		t.Fatalf("dashboard after two previews:\n%s", page)
	}
	loc = wantRedirect(t, ada.post("/researcher/experiments/pv/previews/delete", nil), "/researcher/experiments/pv?previews_deleted=2")
	if body := ada.get(loc).Body.String(); !strings.Contains(body, "Deleted 2 preview sessions.") {
		t.Fatal(body)
	}
	if n := ts.countRows(`SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions after deleting previews", n)
	}
}

// apiToken is a bearer token of w's researcher.
func (ts *testServer) apiToken(w *webClient) string {
	ts.t.Helper()
	token, err := ts.db.CreateAPIToken(ts.t.Context(), w.id, "test", 0)
	if err != nil {
		ts.t.Fatal(err)
	}
	return token
}

func TestDeleteParticipantDataFromTheDashboard(t *testing.T) {
	ts := newTestServer(t)
	ada := ts.signedIn("ada@example.org")
	e := ada.experimentOf(shortDefinition("del"))
	if _, err := ts.db.SetStatus(t.Context(), ada.id, e.Slug, storage.StatusOpen); err != nil {
		t.Fatal(err)
	}
	start := func(pid string) createdSession {
		s := ts.startSession("del", map[string]any{"params": map[string]string{"PROLIFIC_PID": pid}})
		if c := ts.put(s, 0, answer("red", ts.tint(s, 0))); c != http.StatusCreated {
			t.Fatalf("PUT: %d", c)
		}
		return s
	}
	one := start("p-one")
	start("p-two")
	start("p-two")
	keep := start("p-keep")
	const path = "/researcher/experiments/del/delete-data"

	// Not confirmed, no id, unknown id: nothing is deleted, the form says why.
	for _, c := range []struct {
		v      url.Values
		status int
		msg    string
	}{
		{url.Values{"by": {"session"}, "id": {one.SessionID}}, http.StatusUnprocessableEntity, "tick the box"},
		{url.Values{"by": {"session"}, "confirm": {"yes"}}, http.StatusUnprocessableEntity, "give the session id"},
		{url.Values{"by": {"participant"}, "id": {"nobody"}, "confirm": {"yes"}}, http.StatusNotFound, `no participant with id &#34;nobody&#34;`},
	} {
		rec := ada.post(path, c.v)
		wantStatus(t, rec, c.status)
		body := rec.Body.String()
		if !strings.Contains(body, c.msg) || !strings.Contains(body, `aria-describedby="delete-id-error"`) {
			t.Fatalf("%v: %s", c.v, body)
		}
	}
	if n := ts.countRows(`SELECT count(*) FROM sessions`); n != 4 {
		t.Fatalf("%d sessions left after refused deletions", n)
	}

	// By session id, then by participant id (both of their sessions).
	loc := wantRedirect(t, ada.post(path, url.Values{"by": {"session"}, "id": {one.SessionID}, "confirm": {"yes"}}), "/researcher/experiments/del?deleted=1-1-")
	body := ada.get(loc).Body.String()
	if !strings.Contains(body, "Deleted 1 session with 1 trial and 0 events.") {
		t.Fatalf("after deleting:\n%s", body)
	}
	wantRedirect(t, ada.post(path, url.Values{"by": {"participant"}, "id": {"p-two"}, "confirm": {"yes"}}), "/researcher/experiments/del?deleted=2-2-")
	if n := ts.countRows(`SELECT count(*) FROM sessions WHERE participant_ref IN ('p-one', 'p-two')`); n != 0 {
		t.Fatalf("%d deleted sessions remain", n)
	}
	if n := ts.countRows(`SELECT count(*) FROM trials WHERE session_id = $1`, keep.SessionID); n != 1 {
		t.Fatal("another participant's data was touched")
	}

	// The log: who, when, what, how many rows; never the participant id.
	body = ada.get("/researcher/experiments/del").Body.String()
	log := body[strings.Index(body, "Deletion log"):]
	for _, want := range []string{"ada@example.org", "session " + one.SessionID, "participant (id withheld)", "<td>2</td><td>2</td>", " UTC</td>"} {
		if !strings.Contains(log, want) {
			t.Fatalf("deletion log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "p-two") {
		t.Fatal("the log names the participant")
	}
	if !strings.Contains(body, `href="/api/v1/experiments/del/definition.json"`) {
		t.Fatal("no link to the definition export")
	}
}

func TestScreeningAndEndedFragments(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(screenedDefinition("frag-s"), storage.StatusOpen)
	wide := map[string]any{"screen": map[string]any{"viewport": map[string]int{"width": 1280, "height": 800}, "pointer": "fine"}}
	s := ts.startSession("frag-s", wide)
	frag := func(s createdSession, path string) *httptestRecorder {
		return ts.do(http.MethodGet, fmt.Sprintf("/s/frag-s/sessions/%s/%s", s.SessionID, path), nil, auth(s.Token)...)
	}
	screening := -1
	for i, st := range s.Plan.Steps {
		if st.Kind == "screening" {
			screening = i
		}
	}
	if screening != 2 {
		t.Fatalf("the screening is step %d, want 2 (after the screen check)", screening)
	}
	rec := frag(s, "steps/2")
	wantStatus(t, rec, http.StatusOK)
	checkNoInlineScript(t, rec.Body.String())
	if !strings.Contains(rec.Body.String(), `data-kind="screening"`) || !strings.Contains(rec.Body.String(), "Which patch looks tinted (reddish or greenish)?") {
		t.Fatal(rec.Body.String())
	}
	var data struct {
		Trials []screeningTrial `json:"trials"`
	}
	stepJSON(t, rec.Body.String(), &data)
	if len(data.Trials) != 6 {
		t.Fatalf("%d screening trials", len(data.Trials))
	}
	for _, tr := range data.Trials {
		if tr.Patches != 4 || tr.Target != nil || tr.Tint != nil || len(tr.PatchURLs) != 4 {
			t.Fatalf("screening trial %+v", tr)
		}
	}

	// Not ended: 409. Failed colour check: the kind explanation.
	wantStatus(t, frag(s, "ended"), http.StatusConflict)
	for _, tr := range data.Trials {
		body := map[string]any{"response": (ts.target(s, tr) + 1) % tr.Patches, "rt_ms": 900}
		if c := ts.put(s, tr.Index, body); c != http.StatusCreated {
			t.Fatalf("PUT %d: %d", tr.Index, c)
		}
	}
	if c, out := ts.screen(s); c != http.StatusOK || out["passed"] != false {
		t.Fatalf("screening: %d %v", c, out)
	}
	rec = frag(s, "ended")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	for _, want := range []string{`data-reason="color_vision"`, "red–green colour vision", "1 in 12 men", "no test data was collected", ">" + s.SessionID + "</output>"} {
		if !strings.Contains(body, want) {
			t.Fatalf("screened-out page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "data-restart") {
		t.Fatal("the colour-vision page offers to start again")
	}

	// Withdrawn; and screened out at the start for a small window.
	w := ts.startSession("frag-s", wide)
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/sessions/"+w.SessionID+"/withdraw", nil, auth(w.Token)...), http.StatusOK)
	rec = frag(w, "ended")
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, "You have withdrawn from the study") || !strings.Contains(body, w.SessionID) || !strings.Contains(body, "data-restart") {
		t.Fatal(body)
	}
	small := ts.startSession("frag-s", map[string]any{"screen": map[string]any{"viewport": map[string]int{"width": 640, "height": 480}}})
	if small.Status != "screened_out" {
		t.Fatalf("small window: status %q", small.Status)
	}
	rec = frag(small, "ended")
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, "needs a larger screen") || !strings.Contains(body, "800 × 600 pixels") {
		t.Fatal(body)
	}
	wantStatus(t, ts.do(http.MethodGet, "/s/frag-s/sessions/"+small.SessionID+"/ended", nil), http.StatusUnauthorized)
}
