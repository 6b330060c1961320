package server_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// webClient is a signed-in browser, as far as the pages can tell: the
// session cookie, the CSRF cookie and the token the pages' forms carry.
type webClient struct {
	t       *testing.T
	ts      *testServer
	id      int64
	session *http.Cookie
	csrf    *http.Cookie
	token   string
}

// signedIn creates a researcher account and signs it in.
func (ts *testServer) signedIn(email string) *webClient {
	ts.t.Helper()
	ctx := context.Background()
	r, err := ts.db.CreateResearcher(ctx, email, "correct horse battery")
	if err != nil {
		ts.t.Fatal(err)
	}
	sid, err := ts.db.CreateWebSession(ctx, r.ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	w := &webClient{t: ts.t, ts: ts, id: r.ID, session: &http.Cookie{Name: "mcc_session", Value: sid}}
	rec := w.get("/researcher")
	wantStatus(ts.t, rec, http.StatusOK)
	w.csrf = cookieFrom(rec, "mcc_csrf")
	w.token = hiddenCSRF(ts.t, rec.Body.String())
	return w
}

func (w *webClient) send(req *http.Request) *httptest.ResponseRecorder {
	for _, c := range []*http.Cookie{w.session, w.csrf} {
		if c != nil {
			req.AddCookie(c)
		}
	}
	rec := httptest.NewRecorder()
	w.ts.srv.ServeHTTP(rec, req)
	return rec
}

func (w *webClient) get(path string) *httptest.ResponseRecorder {
	w.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "text/html")
	return w.send(req)
}

// post submits a form with the CSRF token, like the pages do.
func (w *webClient) post(path string, v url.Values) *httptest.ResponseRecorder {
	w.t.Helper()
	v2 := url.Values{}
	for k, vs := range v {
		v2[k] = vs
	}
	v2.Set("_csrf", w.token)
	return w.postRaw(path, v2)
}

// postRaw submits a form as given (no CSRF token added).
func (w *webClient) postRaw(path string, v url.Values) *httptest.ResponseRecorder {
	w.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	return w.send(req)
}

// anonymous requests a page without signing in.
func (ts *testServer) anonymous(method, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(""))
	req.Header.Set("Accept", "text/html")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	return rec
}

func wantRedirect(t *testing.T, rec *httptest.ResponseRecorder, prefix string) string {
	t.Helper()
	wantStatus(t, rec, http.StatusSeeOther)
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("redirect to %q, want %s…", loc, prefix)
	}
	return loc
}

// A small reader of the server's own HTML forms (templ writes attributes
// double-quoted and escaped, so regular expressions suffice).
var (
	formRE     = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	inputRE    = regexp.MustCompile(`<input\b([^>]*)>`)
	textareaRE = regexp.MustCompile(`(?s)<textarea\b([^>]*)>(.*?)</textarea>`)
	selectRE   = regexp.MustCompile(`(?s)<select\b([^>]*)>(.*?)</select>`)
	optionRE   = regexp.MustCompile(`<option\b([^>]*)>`)
	attrRE     = regexp.MustCompile(`([a-zA-Z_:-]+)(?:="([^"]*)")?`)
)

func attrsOf(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(s, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// formFields are the values the form posting to action would submit as
// rendered (the CSRF token included).
func formFields(t *testing.T, page, action string) url.Values {
	t.Helper()
	for _, f := range formRE.FindAllStringSubmatch(page, -1) {
		if attrsOf(f[1])["action"] != action {
			continue
		}
		v := url.Values{}
		body := f[2]
		for _, m := range inputRE.FindAllStringSubmatch(body, -1) {
			a := attrsOf(m[1])
			name, ok := a["name"]
			if !ok {
				continue
			}
			if a["type"] == "checkbox" {
				if _, on := a["checked"]; on {
					v.Add(name, a["value"])
				}
				continue
			}
			v.Add(name, a["value"])
		}
		for _, m := range textareaRE.FindAllStringSubmatch(body, -1) {
			v.Add(attrsOf(m[1])["name"], html.UnescapeString(m[2]))
		}
		for _, m := range selectRE.FindAllStringSubmatch(body, -1) {
			name := attrsOf(m[1])["name"]
			chosen, first := "", ""
			for i, o := range optionRE.FindAllStringSubmatch(m[2], -1) {
				a := attrsOf(o[1])
				if i == 0 {
					first = a["value"]
				}
				if _, sel := a["selected"]; sel {
					chosen = a["value"]
				}
			}
			if chosen == "" {
				chosen = first
			}
			v.Add(name, chosen)
		}
		return v
	}
	t.Fatalf("no form posting to %s in the page", action)
	return nil
}

// fieldError is the message shown next to the input called name ("" if none).
func fieldError(page, name string) string {
	re := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(templates.FieldID(name)) + `-error">([^<]*)</p>`)
	if m := re.FindStringSubmatch(page); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

func wantFieldError(t *testing.T, page, name, contains string) {
	t.Helper()
	msg := fieldError(page, name)
	if msg == "" || !strings.Contains(msg, contains) {
		t.Errorf("message next to %s = %q, want one containing %q", name, msg, contains)
	}
	// The input points at its message for screen readers.
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(templates.FieldID(name)) + `"[^>]*aria-describedby="[^"]*` + regexp.QuoteMeta(templates.FieldID(name)) + `-error`)
	if !re.MatchString(page) {
		t.Errorf("input %s is not described by its error message", name)
	}
}

// pairOf stores a pattern pair for the researcher.
func (w *webClient) pairOf(js string) storage.Pair {
	w.t.Helper()
	pp, err := experiments.ParsePatternPair([]byte(js))
	if err != nil {
		w.t.Fatal(err)
	}
	p, err := w.ts.db.CreatePair(context.Background(), w.id, pp)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// experimentOf stores a draft experiment for the researcher.
func (w *webClient) experimentOf(def experiments.Definition) storage.Experiment {
	w.t.Helper()
	e, err := w.ts.db.CreateOwnedExperiment(context.Background(), w.id, def)
	if err != nil {
		w.t.Fatal(err)
	}
	return e
}

func (w *webClient) experiment(slug string) storage.Experiment {
	w.t.Helper()
	e, err := w.ts.db.OwnedExperiment(context.Background(), w.id, slug)
	if err != nil {
		w.t.Fatal(err)
	}
	return e
}
