package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHostileTextIsRefusedNamingTheField: a NUL, a lone surrogate or an
// integer past the database's range, in any field a client sends, is a 422
// naming that field (they used to reach PostgreSQL and come back as 500s).
func TestHostileTextIsRefusedNamingTheField(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	s := ts.startSession("short", nil)
	sess := "/api/v1/sessions/" + s.SessionID
	trial := func(field, value string) string {
		body := map[string]string{"response": `"red"`, "tint": "-4", "rt_ms": "500", "onset_ms": "1", "intended_ms": "1000",
			"measured_ms": "1000", "frames": "60", "dropped_frames": "0"}
		body[field] = value
		var parts []string
		for k, v := range body {
			parts = append(parts, `"`+k+`": `+v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	for _, tc := range []struct {
		name, method, path, body string
		creds                    []string
		field                    string
	}{
		{"frames past int32", http.MethodPut, sess + "/trials/0", trial("frames", "2147483648"), auth(s.Token), "frames"},
		{"dropped frames past int64", http.MethodPut, sess + "/trials/0", trial("dropped_frames", "1e30"), auth(s.Token), "dropped_frames"},
		{"NUL in a response", http.MethodPut, sess + "/trials/0", trial("response", `"re\u0000d"`), auth(s.Token), "response"},
		{"NUL in event data", http.MethodPost, sess + "/events",
			`{"events": [{"seq": 0, "kind": "note", "t_ms": 1, "data": {"text": "a\u0000b"}}]}`, auth(s.Token), "events[0].data.text"},
		{"lone surrogate in event data", http.MethodPost, sess + "/events",
			`{"events": [{"seq": 0, "kind": "note", "t_ms": 1, "data": {"text": "\ud800"}}]}`, auth(s.Token), "events[0].data.text"},
		{"lone surrogate in an event key", http.MethodPost, sess + "/events",
			`{"events": [{"seq": 0, "kind": "note", "t_ms": 1, "data": {"\udc00": 1}}]}`, auth(s.Token), "events[0].data.\ufffd"},
		{"NUL in a link parameter", http.MethodPost, "/api/v1/studies/short/sessions",
			`{"params": {"PROLIFIC_PID": "p\u0000"}}`, nil, "params.PROLIFIC_PID"},
		{"lone surrogate in a link parameter", http.MethodPost, "/api/v1/studies/short/sessions",
			`{"params": {"STUDY_ID": "\udfff"}}`, nil, "params.STUDY_ID"},
		{"NUL in a login email", http.MethodPost, "/api/v1/login",
			`{"email": "ada\u0000@example.org", "password": "correct horse battery"}`, nil, "email"},
		{"NUL in a token label", http.MethodPost, "/api/v1/login",
			`{"email": "short@example.org", "password": "correct horse battery", "label": "\u0000"}`, nil, "label"},
		{"NUL in a pair name", http.MethodPost, "/api/v1/pairs",
			`{"name": "x\u0000", "a": {"kind": "grating"}, "b": {"kind": "grating", "orientation_deg": 90}}`, auth(token), "name"},
		{"NUL in consent text", http.MethodPut, "/api/v1/experiments/short",
			`{"slug": "short", "name": "Short", "pair": {"a": {"kind": "grating"}, "b": {"kind": "grating", "orientation_deg": 90}}, "consent_md": "I agree\u0000"}`,
			auth(token), "consent_md"},
	} {
		rec := ts.do(tc.method, tc.path, tc.body, tc.creds...)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422: %s", tc.name, rec.Code, rec.Body.String())
			continue
		}
		named := false
		for _, f := range decodeError(t, rec).Fields {
			named = named || f.Field == tc.field
		}
		if !named {
			t.Errorf("%s: the error does not name %q: %s", tc.name, tc.field, rec.Body.String())
		}
	}
}

// TestHostileValuesInURLsAndFormsAreNoServerError puts NULs, encoded
// surrogates and out-of-range numbers in every path parameter of every
// route, in the query parameters the handlers read, and in the sign-in,
// setup and workspace forms: never a 5xx.
func TestHostileValuesInURLsAndFormsAreNoServerError(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	s := ts.startSession("short", nil)
	hostile := []string{"%00", "a%00b", "%ED%A0%80", "%FF", "2147483648", "99999999999999999999", "-1"}
	query := "?block=2147483648&version=99999999999&kind=%00&status=%00&size=%00&pattern=%00&tint=1e999&spec=%00&next=%00&queued=%00&deleted=%00"
	for _, r := range ts.srv.Routes() {
		for _, v := range hostile {
			path := r.Path
			for _, p := range []string{":slug", ":id", ":index", ":participant_id", ":step", ":file"} {
				path = strings.ReplaceAll(path, p, v)
			}
			path = strings.ReplaceAll(path, "*", v)
			for _, creds := range [][]string{nil, auth(token), auth(s.Token)} {
				rec := ts.do(r.Method, path+query, nil, creds...)
				if rec.Code >= 500 {
					t.Errorf("%s %s: %d %s", r.Method, path, rec.Code, rec.Body.String())
				}
			}
		}
	}
	// Sign-in and setup forms.
	for _, path := range []string{"/login", "/setup"} {
		page := ts.do(http.MethodGet, "/login", nil)
		rec := ts.form(path, url.Values{"_csrf": {hiddenCSRF(t, page.Body.String())}, "email": {"ada\x00@example.org"},
			"password": {"correct horse\x00battery"}, "confirm": {"correct horse\x00battery"}}, cookieFrom(page, "mcc_csrf"))
		if rec.Code >= 500 {
			t.Errorf("POST %s with a NUL: %d %s", path, rec.Code, rec.Body.String())
		}
	}
	// Workspace forms.
	w := ts.signedIn("forms@example.org")
	wantStatus(t, ts.do(http.MethodPost, "/api/v1/experiments", shortDefinition("mine"), auth(ts.apiToken(w))...), http.StatusCreated)
	wantStatus(t, w.post("/researcher/pairs", url.Values{"name": {"a\x00"}, "a.kind": {"grating"}, "b.kind": {"grating"}}),
		http.StatusUnprocessableEntity)
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/researcher/experiments", url.Values{"slug": {"nul-name"}, "name": {"x\x00"}}},
		{"/researcher/experiments/mine/delete-data", url.Values{"by": {"participant"}, "id": {"p\x00"}, "confirm": {"on"}}},
		{"/researcher/experiments/mine/delete-data", url.Values{"by": {"session"}, "id": {"\xff"}, "confirm": {"on"}}},
	} {
		if rec := w.post(tc.path, tc.form); rec.Code >= 500 {
			t.Errorf("POST %s: %d %s", tc.path, rec.Code, rec.Body.String())
		}
	}
}
