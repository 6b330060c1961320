package server_test

import (
	"bytes"
	"image/png"
	"net/http"
	"net/url"
	"testing"

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
