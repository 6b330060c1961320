package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// visibleScreen is the text of the screen the participant sees now.
const visibleScreen = `(() => {
	const s = [...document.querySelectorAll('[data-screen]')].find((e) => !e.hidden && e.offsetParent !== null);
	const run = s && s.querySelector('[data-run]:not([hidden])');
	return (run || s)?.innerText || '';
})()`

// TestBrowserGermanStudy: a study in German, taken end to end in Chromium.
// Every screen the participant reads (the server's pages and fragments and
// the runner's own messages) is German, <html lang> says so, the contact is
// on the consent and the debrief (and the unshown #gone screen), and the
// session's data come out as for any study.
func TestBrowserGermanStudy(t *testing.T) {
	ctx := newBrowser(t)
	es := newE2EServer(t)
	d := shortStudy("deutsch")
	d.Language = "de"
	d.ConsentMD, d.DebriefMD = "", "" // the built-in German texts
	d.Contact = &experiments.Contact{Name: "Dr. Ada Muster", Email: "ada.muster@example.org"}
	es.addStudy(d.WithDefaults(), storage.StatusOpen)

	p := newParticipant(t, ctx)
	seen := map[string]string{} // state → the screen's text when first seen
	p.hook = func(st pageState) bool {
		key := st.State
		if st.State == "respond" {
			key += "/" + st.Trial
		}
		if _, ok := seen[key]; !ok {
			text, err := chromedp.Run(ctx, chromedp.Evaluate[string](visibleScreen))
			if err == nil && strings.TrimSpace(text) != "" {
				seen[key] = text
			}
		}
		return false
	}
	p.open(studyLink(es.url, "deutsch", "p-de"))
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != "de" {
		t.Fatalf("<html lang=%q> (%v), want de", lang, err)
	}
	p.run(120*time.Second, nil)

	want := map[string][]string{
		"consent":         {"Willkommen zu dieser Studie zum Sehen", "Einwilligung", "Ich stimme zu, weiter", "Dr. Ada Muster", "ada.muster@example.org"},
		"screen-check":    {"Eine kurze Prüfung Ihres Bildschirms", "Prüfung starten"},
		"instructions":    {"So funktioniert es", "Farbige Muster", "Ich bin bereit"},
		"block-start":     {"Teil 1 von", "Farburteile", "Muster."},
		"respond/0":       {"Sahen die hellen Streifen rötlich oder grünlich aus?", "1 von 4", "Rötlich", "Grünlich"},
		"induction-start": {"Teil 2 von 3: farbige Muster (10 Sekunden)", "Sie müssen nichts drücken"},
		"debrief":         {"Vielen Dank!", "McCollough-Effekt", "Dr. Ada Muster", "Abschließen und meinen Abschlusscode erhalten"},
		"finished":        {"Ihr Abschlusscode lautet", "Code kopieren"},
	}
	english := []string{"Please ", "Thank you", "Welcome", " the ", "Continue", "Reddish", "patterns"}
	for state, phrases := range want {
		text, ok := seen[state]
		if !ok {
			t.Errorf("never saw the %s screen (states: %v)", state, p.states)
			continue
		}
		for _, w := range phrases {
			if !strings.Contains(text, w) {
				t.Errorf("%s screen lacks %q:\n%s", state, w, text)
			}
		}
		for _, e := range english {
			if strings.Contains(text, e) {
				t.Errorf("%s screen has English (%q):\n%s", state, e, text)
			}
		}
	}
	mailto, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[href="mailto:ada.muster@example.org"]').length`))
	if err != nil || mailto < 2 { // consent (still in the page) and debrief
		t.Errorf("%d mailto links to the contact (%v), want the consent's and the debrief's", mailto, err)
	}

	// The screen for a session the server no longer serves (#gone) is on the
	// page, unshown, in German and with the contact.
	gone, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('gone').textContent`))
	if err != nil || !strings.Contains(gone, "Diese Sitzung gibt es nicht mehr") || !strings.Contains(gone, "zurückgetreten") ||
		!strings.Contains(gone, "Dr. Ada Muster") || strings.Contains(gone, "researchers") {
		t.Errorf("the #gone screen (%v):\n%s", err, gone)
	}

	id, _, screen, status := es.onlySession()
	if status != experiments.StatusComplete {
		t.Fatalf("session status %q", status)
	}
	if screen.ScreenSize == nil || screen.ScreenSize.Width <= 0 {
		t.Errorf("no screen size recorded: %+v", screen)
	}
	token := es.researcher("de@example.org")
	if _, err := es.sql.Exec(t.Context(), `UPDATE experiments SET owner_id = (SELECT id FROM researchers WHERE email = 'de@example.org') WHERE slug = 'deutsch'`); err != nil {
		t.Fatal(err)
	}
	_, rows, _ := readCSV(t, es.testServer, "/api/v1/experiments/deutsch/sessions.csv", token)
	if len(rows) != 1 || rows[0]["session_id"] != id || rows[0]["PROLIFIC_PID"] != "p-de" || rows[0]["browser"] != "Chrome" ||
		rows[0]["screen_width"] == "" || rows[0]["status"] != "complete" {
		t.Errorf("sessions.csv %v", rows)
	}
	wantStatus(t, es.do(http.MethodGet, "/api/v1/experiments/deutsch/codebook.csv?for=sessions", nil, auth(token)...), http.StatusOK)
}
