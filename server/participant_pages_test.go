package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/static"
	"github.com/mccollough/mccollough/storage"
)

// scriptTag matches every <script ...> opening tag of a page.
var scriptTag = regexp.MustCompile(`<script[^>]*>`)

// checkNoInlineScript: the CSP is script-src 'self', so a page may only
// load scripts from files or carry inert JSON data.
func checkNoInlineScript(t *testing.T, page string) {
	t.Helper()
	for _, tag := range scriptTag.FindAllString(page, -1) {
		if !strings.Contains(tag, ` src="`) && !strings.Contains(tag, `type="application/json"`) {
			t.Fatalf("inline script %s in page", tag)
		}
	}
	if strings.Contains(page, ` style="`) || regexp.MustCompile(`\son[a-z]+="`).MatchString(page) {
		t.Fatalf("inline style or event handler attribute in page")
	}
}

func TestStudyPage(t *testing.T) {
	ts := newTestServer(t)
	d := shortDefinition("page-open")
	d.ConsentMD = "## Consent\n\nPlease **read** this. <script>alert('consent')</script>\n\n[a link](javascript:alert(1)) and <img src=x onerror=alert(2)>"
	d.Phases.Reversal = true
	ts.addStudy(d.WithDefaults(), storage.StatusOpen)

	rec := ts.do(http.MethodGet, "/s/page-open?PROLIFIC_PID=abc", nil, "Accept", "text/html")
	wantStatus(t, rec, http.StatusOK)
	page := rec.Body.String()
	for _, want := range []string{
		"<strong>read</strong>",                      // consent_md rendered as Markdown
		"can last for hours or even days",            // the notice, whatever the consent text says
		"offered a short exercise",                   // ... and the reversal, since this study has one
		`<script id="boot" type="application/json">`, // boot data
		`type="module" src="` + static.URL("runner/main.js") + `"`,
		`id="consent-yes"`, `id="check-start"`, `id="net-banner"`,
	} {
		if !strings.Contains(page, want) {
			t.Fatalf("study page lacks %q:\n%s", want, page)
		}
	}
	// goldmark drops raw HTML and javascript: links.
	for _, bad := range []string{"<script>alert", "javascript:", "onerror", "<img"} {
		if strings.Contains(page, bad) {
			t.Fatalf("study page contains %q from the consent text", bad)
		}
	}
	checkNoInlineScript(t, page)
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}

	// Without a reversal, the page says how to undo the effect instead (in
	// the built-in consent text here, see TestConsentSaysTheEffectLastsDaysOnce).
	ts.addStudy(shortDefinition("page-noreversal"), storage.StatusOpen)
	rec = ts.do(http.MethodGet, "/s/page-noreversal", nil)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), "with the colours swapped") {
		t.Fatal("the page does not say how to undo the effect")
	}
}

func TestStudyPageUnavailable(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("page-draft"), storage.StatusDraft)
	ts.addStudy(shortDefinition("page-closed"), storage.StatusClosed)
	for _, slug := range []string{"page-draft", "page-closed", "no-such-study"} {
		rec := ts.do(http.MethodGet, "/s/"+slug+"?PROLIFIC_PID=x", nil, "Accept", "text/html")
		wantStatus(t, rec, http.StatusNotFound)
		body := rec.Body.String()
		if !strings.Contains(body, "This study is not available") || strings.Contains(body, "/static/runner/") {
			t.Fatalf("%s: %s", slug, body)
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("%s: content type %q", slug, rec.Header().Get("Content-Type"))
		}
	}
}

func TestUnsupportedBrowserPage(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do(http.MethodGet, "/s/some-study/unsupported?PROLIFIC_PID=p1&STUDY_ID=s", nil)
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	if !strings.Contains(body, "browser can’t run the study") || !strings.Contains(body, "/s/some-study?PROLIFIC_PID=p1&amp;STUDY_ID=s") {
		t.Fatal(body)
	}
	if strings.Contains(body, "/static/runner/") {
		t.Fatal("the unsupported page loads the runner")
	}
}

// stepJSON extracts a fragment's step data.
func stepJSON(t *testing.T, fragment string, v any) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script id="step-data" type="application/json">(.*?)</script>`).FindStringSubmatch(fragment)
	if m == nil {
		t.Fatalf("no step data in fragment:\n%s", fragment)
	}
	if err := json.Unmarshal([]byte(m[1]), v); err != nil {
		t.Fatal(err)
	}
}

func TestStepFragments(t *testing.T) {
	ts := newTestServer(t)
	d := shortDefinition("frag")
	d.Phases.Reversal = true
	ts.addStudy(d.WithDefaults(), storage.StatusOpen)
	s := ts.startSession("frag", map[string]any{"params": map[string]string{"PROLIFIC_PID": "p"}})
	path := func(step any) string { return fmt.Sprintf("/s/frag/sessions/%s/steps/%v", s.SessionID, step) }

	// The token is required, and the session must belong to the study.
	wantStatus(t, ts.do(http.MethodGet, path(2), nil), http.StatusUnauthorized)
	wantStatus(t, ts.do(http.MethodGet, path(2), nil, "Authorization", "Bearer wrong"), http.StatusUnauthorized)
	wantStatus(t, ts.do(http.MethodGet, fmt.Sprintf("/s/other/sessions/%s/steps/2", s.SessionID), nil, auth(s.Token)...), http.StatusNotFound)
	wantStatus(t, ts.do(http.MethodGet, path(0), nil, auth(s.Token)...), http.StatusNotFound) // consent is in the page
	wantStatus(t, ts.do(http.MethodGet, path(99), nil, auth(s.Token)...), http.StatusNotFound)
	wantStatus(t, ts.do(http.MethodGet, path("x"), nil, auth(s.Token)...), http.StatusNotFound)

	kinds := map[string]bool{}
	for i, st := range s.Plan.Steps {
		if st.Kind == "consent" || st.Kind == "screen_check" {
			continue
		}
		rec := ts.do(http.MethodGet, path(i), nil, auth(s.Token)...)
		wantStatus(t, rec, http.StatusOK)
		frag := rec.Body.String()
		checkNoInlineScript(t, frag)
		if !strings.Contains(frag, `<section id="step" data-screen data-kind="`+st.Kind+`"`) {
			t.Fatalf("step %d (%s) fragment:\n%s", i, st.Kind, frag)
		}
		kinds[st.Kind+"/"+st.Phase] = true
		switch st.Kind {
		case "test":
			var data struct {
				Block  int    `json:"block"`
				Method string `json:"method"`
				Trials []struct {
					Index       int      `json:"index"`
					Tint        *float64 `json:"tint"`
					StimulusURL string   `json:"stimulus_url"`
				} `json:"trials"`
				FixationMS int `json:"fixation_ms"`
			}
			stepJSON(t, frag, &data)
			if data.Block != *st.Block || data.Method != "constant_stimuli" || len(data.Trials) != 4 || data.FixationMS <= 0 {
				t.Fatalf("test step data %+v", data)
			}
			for _, tr := range data.Trials {
				if tr.Tint != nil || !strings.HasPrefix(tr.StimulusURL, "/stimuli/") || s.Plan.Trials[tr.Index].Phase != st.Phase {
					t.Fatalf("trial %+v", tr)
				}
			}
		case "induction":
			var data struct {
				Schedule struct {
					DurationMS int `json:"duration_ms"`
					Frames     []struct {
						Pattern   string `json:"pattern"`
						Color     string `json:"color"`
						FixationX *int   `json:"fixation_x"`
					} `json:"frames"`
				} `json:"schedule"`
				StimulusURLs   map[string]string `json:"stimulus_urls"`
				RestartAfterMS int               `json:"restart_after_ms"`
			}
			stepJSON(t, frag, &data)
			if data.Schedule.DurationMS != 10000 || len(data.Schedule.Frames) != 10 || len(data.StimulusURLs) != 2 || data.RestartAfterMS <= 0 {
				t.Fatalf("induction step data %+v", data)
			}
			for _, f := range data.Schedule.Frames {
				if data.StimulusURLs[f.Pattern+"/"+f.Color] == "" || f.FixationX == nil {
					t.Fatalf("frame %+v has no stimulus in %v", f, data.StimulusURLs)
				}
			}
		case "debrief":
			if !strings.Contains(frag, "data-reversal") || !strings.Contains(frag, "McCollough effect") {
				t.Fatalf("debrief:\n%s", frag)
			}
		case "instructions":
			if !strings.Contains(frag, "Colour judgements") || !strings.Contains(frag, "10 seconds") {
				t.Fatalf("instructions:\n%s", frag)
			}
		}
	}
	for _, k := range []string{"instructions/baseline", "test/baseline", "induction/induction", "test/post", "debrief/", "induction/reversal"} {
		if !kinds[k] {
			t.Fatalf("no %s fragment among %v", k, kinds)
		}
	}
}

func TestFinishedFragment(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("fin"), storage.StatusOpen)
	s := ts.startSession("fin", map[string]any{"params": map[string]string{"PROLIFIC_PID": "p"}})
	path := "/s/fin/sessions/" + s.SessionID + "/finished"
	wantStatus(t, ts.do(http.MethodGet, path, nil, auth(s.Token)...), http.StatusConflict)
	for _, tr := range ts.planned(s) {
		if c := ts.put(s, tr.Index, answer("red", *tr.Tint)); c != http.StatusCreated {
			t.Fatalf("PUT %d: %d", tr.Index, c)
		}
	}
	rec := ts.do(http.MethodPost, "/api/v1/sessions/"+s.SessionID+"/complete", nil, auth(s.Token)...)
	wantStatus(t, rec, http.StatusOK)
	var done struct {
		Code     string `json:"completion_code"`
		Redirect string `json:"redirect_url"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &done); err != nil {
		t.Fatal(err)
	}
	rec = ts.do(http.MethodGet, path, nil, auth(s.Token)...)
	wantStatus(t, rec, http.StatusOK)
	frag := rec.Body.String()
	if !strings.Contains(frag, ">"+done.Code+"</output>") || !strings.Contains(frag, `href="`+strings.ReplaceAll(done.Redirect, "&", "&amp;")+`"`) {
		t.Fatalf("finished fragment (code %s, redirect %s):\n%s", done.Code, done.Redirect, frag)
	}
	wantStatus(t, ts.do(http.MethodGet, path, nil), http.StatusUnauthorized)
}

// TestConsentSaysTheEffectLastsDaysOnce: a custom consent text gets the
// page's notice; the built-in one says it itself, so the notice is left out
// rather than repeated.
func TestConsentSaysTheEffectLastsDaysOnce(t *testing.T) {
	ts := newTestServer(t)
	ts.addStudy(shortDefinition("built-in-consent"), storage.StatusOpen)
	custom := shortDefinition("custom-consent")
	custom.ConsentMD = "## Consent\n\nYou agree to take part."
	ts.addStudy(custom.WithDefaults(), storage.StatusOpen)
	for slug, notice := range map[string]bool{"built-in-consent": false, "custom-consent": true} {
		page := ts.do(http.MethodGet, "/s/"+slug, nil, "Accept", "text/html").Body.String()
		if got := strings.Contains(page, "Good to know before you agree"); got != notice {
			t.Errorf("%s: notice shown %v, want %v", slug, got, notice)
		}
		if n := strings.Count(page, "hours or days") + strings.Count(page, "hours or even days"); n != 1 {
			t.Errorf("%s: the page says the effect lasts days %d times, want once", slug, n)
		}
	}
}
