package server_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/server"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// BenchmarkBrowserSlowConnection: what a participant on a slow connection
// (Chromium's network emulation: 1.6 Mbit/s down, 750 kbit/s up, 150 ms
// round trip) waits for on a first visit to a study link: the bytes on the
// wire (bodies, and with headers) and the time from navigation to the
// first interactive screen (the consent, state "consent"), with the
// compressed answers ("br") and without ("identity", Accept-Encoding
// forced). Numbers go to BENCHMARKS.md:
//
//	MCCOLLOUGH_REQUIRE_BROWSER=1 go test ./server -run '^$' -bench BrowserSlowConnection -benchtime 5x
func BenchmarkBrowserSlowConnection(b *testing.B) {
	db := pgtest.New(b)
	if _, err := db.CreateExperiment(context.Background(), nil, experiments.Classic(), storage.StatusOpen); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(server.New(server.Config{DB: db}))
	b.Cleanup(hs.Close)
	browser := newBrowser(b)
	for _, encoding := range []string{"br", "identity"} {
		b.Run(encoding, func(b *testing.B) {
			var ms, body, wire float64
			for range b.N {
				r := firstVisit(b, browser, hs.URL+"/s/classic?PROLIFIC_PID=slow", encoding == "identity")
				ms += r.ConsentAt
				body += r.Body
				wire += r.Transfer
			}
			n := float64(b.N)
			b.ReportMetric(ms/n, "ms-to-consent")
			b.ReportMetric(body/n, "body-bytes")
			b.ReportMetric(wire/n, "wire-bytes")
			b.ReportMetric(0, "ns/op") // the wall time of a run says nothing here
		})
	}
}

type visit struct {
	ConsentAt float64 `json:"consentAt"` // ms from navigation start
	Body      float64 `json:"body"`      // encoded body bytes of the page and what it loaded
	Transfer  float64 `json:"transfer"`  // the same with headers
}

// firstVisit opens url in a fresh browser context (empty cache) over the
// emulated slow connection.
func firstVisit(b *testing.B, browser context.Context, url string, identity bool) visit {
	b.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, 2*time.Minute)
	defer stop()
	headers := network.Headers{}
	if identity {
		headers["Accept-Encoding"] = "identity"
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Latency: 150, DownloadThroughput: 1.6e6 / 8, UploadThroughput: 750e3 / 8}},
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers}); err != nil {
		b.Fatal(err)
	}
	// The moment the runner shows the consent, on the page's clock.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		new MutationObserver(() => {
			if (document.body?.dataset.state === "consent" && !window.consentAt) window.consentAt = performance.now();
		}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });`}); err != nil {
		b.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("consent-yes"))); err != nil {
		b.Fatal(err)
	}
	v, err := chromedp.Run(ctx, chromedp.Poll[visit](`window.consentAt && (() => {
		const all = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
		const sum = (f) => all.reduce((a, e) => a + e[f], 0);
		return { consentAt: window.consentAt, body: sum("encodedBodySize"), transfer: sum("transferSize") };
	})()`))
	if err != nil {
		b.Fatal(err)
	}
	return v
}
