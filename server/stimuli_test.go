package server_test

import (
	"bytes"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/stimuli"
)

func previewURL(spec string, extra ...string) string {
	q := url.Values{"spec": {spec}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/api/v1/stimuli/preview?" + q.Encode()
}

func TestStimulusPreview(t *testing.T) {
	ts := newTestServer(t)
	token := ts.researcher("ada@example.org")
	rec := ts.do(http.MethodGet, previewURL(`{"kind":"grating","orientation_deg":90,"period_px":20}`, "size", "128", "tint", "6"), nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)
	img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 128 || b.Dy() != 128 {
		t.Fatalf("size %v", b)
	}
	// The preview is the renderer's image, byte for byte.
	want, _ := stimuli.RenderPNG(stimuli.Stimulus{Pattern: stimuli.Pattern{Kind: stimuli.Grating, OrientationDeg: 90, PeriodPx: 20}, Tint: 6}.WithDefaults(), 128)
	if !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatal("preview differs from stimuli.RenderPNG of the same spec")
	}
	rec = ts.do(http.MethodGet, previewURL(`{"kind":"circles"}`, "size", "64", "color", "#ce2e2e"), nil, auth(token)...)
	wantStatus(t, rec, http.StatusOK)

	for _, tc := range []struct {
		name  string
		url   string
		field string
	}{
		{"missing spec", "/api/v1/stimuli/preview?size=64", "spec"},
		{"malformed spec", previewURL(`{"kind":`, "size", "64"), ""},
		{"unknown kind", previewURL(`{"kind":"spiral"}`, "size", "64"), "spec.kind"},
		{"bad period", previewURL(`{"kind":"grating","period_px":0.5}`, "size", "64"), "spec.period_px"},
		{"unknown field", previewURL(`{"kind":"grating","angle":3}`, "size", "64"), "spec.angle"},
		{"out-of-gamut tint", previewURL(`{"kind":"grating"}`, "size", "64", "tint", "90"), "tint"},
		{"tint not a number", previewURL(`{"kind":"grating"}`, "size", "64", "tint", "reddish"), "tint"},
		{"bad colour", previewURL(`{"kind":"grating"}`, "size", "64", "color", "red"), "color"},
		{"no size", previewURL(`{"kind":"grating"}`), "size"},
		{"size above the cap", previewURL(`{"kind":"grating"}`, "size", "4096"), "size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := ts.do(http.MethodGet, tc.url, nil, auth(token)...)
			wantStatus(t, rec, http.StatusBadRequest)
			e := decodeError(t, rec)
			if tc.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tc.field) {
				t.Fatalf("fields %+v, want %q", e.Fields, tc.field)
			}
		})
	}
}

func TestStimulusURLIsImmutableAndVerified(t *testing.T) {
	ts := newTestServer(t)
	s := stimuli.Stimulus{Pattern: stimuli.Pattern{Kind: stimuli.Crosses}, Light: "#189234"}.WithDefaults()
	u := server.StimulusURL(s, 96)
	rec := ts.do(http.MethodGet, u, nil)
	wantStatus(t, rec, http.StatusOK)
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Fatalf("Cache-Control %q", cc)
	}
	etag := rec.Header().Get("ETag")
	if etag != `"`+stimuli.Key(s, 96)+`"` {
		t.Fatalf("ETag %q", etag)
	}
	second := ts.do(http.MethodGet, u, nil)
	if !bytes.Equal(second.Body.Bytes(), rec.Body.Bytes()) {
		t.Fatal("second response differs")
	}
	wantStatus(t, ts.do(http.MethodGet, u, nil, "If-None-Match", etag), http.StatusNotModified)

	// A URL whose key is not its spec's hash is refused.
	other := stimuli.Key(stimuli.Stimulus{Pattern: stimuli.Pattern{Kind: stimuli.Grating}}.WithDefaults(), 96)
	forged := "/stimuli/" + other + ".png" + u[strings.Index(u, "?"):]
	wantStatus(t, ts.do(http.MethodGet, forged, nil), http.StatusNotFound)
	wantStatus(t, ts.do(http.MethodGet, "/stimuli/abc.png", nil), http.StatusNotFound)
	bad := strings.Replace(u, "size=96", "size=9999", 1)
	wantStatus(t, ts.do(http.MethodGet, bad, nil), http.StatusUnprocessableEntity)
	garbled := u[:strings.Index(u, "&s=")] + "&s=!!!"
	wantStatus(t, ts.do(http.MethodGet, garbled, nil), http.StatusBadRequest)
}

func TestSessionStimulusAtAnyTint(t *testing.T) {
	ts := newTestServer(t)
	def := shortDefinition("adjust")
	ts.addStudy(def, "open")
	s := ts.startSession("adjust", nil)
	rec := ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID+"/stimulus.png?pattern=b&tint=2.5", nil)
	wantStatus(t, rec, http.StatusOK)
	spec, err := def.TestStimulus("b", 2.5)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := stimuli.RenderPNG(spec, def.SizePx)
	if !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatal("session stimulus differs from the definition's test stimulus")
	}
	for _, q := range []string{"pattern=b&tint=red", "pattern=a&tint=200"} {
		wantStatus(t, ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID+"/stimulus.png?"+q, nil), http.StatusBadRequest)
	}
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/sessions/"+s.SessionID+"/stimulus.png?pattern=zebra&tint=1", nil), http.StatusNotFound)
	wantStatus(t, ts.do(http.MethodGet, "/api/v1/sessions/00000000-0000-7000-8000-000000000000/stimulus.png?pattern=a&tint=1", nil), http.StatusNotFound)
}
