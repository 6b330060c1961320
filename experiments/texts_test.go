package experiments

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

// TestCataloguesComplete: every built-in language has every text, every
// plural form its rules can pick (for counts 0 to 1000), and the same
// placeholders as the English text.
func TestCataloguesComplete(t *testing.T) {
	if got := Languages(); !slices.Equal(got, []string{"de", "en", "es", "pl"}) {
		t.Fatalf("languages %v", got)
	}
	plurals := map[string]bool{}
	for k := range textsEN {
		if i := strings.LastIndexByte(k, '.'); i > 0 && (k[i+1:] == "one" || k[i+1:] == "other") {
			plurals[k[:i]] = true
		}
	}
	for _, lang := range Languages() {
		c := catalogues[lang]
		tag := language.MustParse(lang)
		for k, en := range textsEN {
			if i := strings.LastIndexByte(k, '.'); i > 0 && plurals[k[:i]] {
				continue // checked per form below
			}
			s, ok := c[k]
			if !ok {
				t.Errorf("%s lacks %s", lang, k)
				continue
			}
			if !slices.Equal(placeholders(s), placeholders(en)) {
				t.Errorf("%s %s: placeholders %v, English has %v", lang, k, placeholders(s), placeholders(en))
			}
		}
		for base := range plurals {
			forms := map[string]bool{"other": true}
			for n := range 1001 {
				forms[pluralForm(tag, n)] = true
			}
			for form := range forms {
				s, ok := c[base+"."+form]
				if !ok {
					t.Errorf("%s lacks the %q form of %s", lang, form, base)
					continue
				}
				if !slices.Equal(placeholders(s), placeholders(textsEN[base+".other"])) {
					t.Errorf("%s %s.%s: placeholders %v", lang, base, form, placeholders(s))
				}
			}
		}
		for k := range c {
			if i := strings.LastIndexByte(k, '.'); i > 0 && plurals[k[:i]] {
				continue
			}
			if _, ok := textsEN[k]; !ok {
				t.Errorf("%s has %s, which English lacks", lang, k)
			}
		}
	}
}

func placeholders(s string) []string {
	p := placeholderRE.FindAllString(s, -1)
	slices.Sort(p)
	return slices.Compact(p)
}

func TestTextsPluralsAndOverrides(t *testing.T) {
	pl := Definition{Language: "pl"}.Texts()
	for n, want := range map[int]string{1: "1 minuta", 3: "3 minuty", 5: "5 minut", 22: "22 minuty", 12: "12 minut"} {
		if got := pl.Get("duration.minutes", "n", n); got != want {
			t.Errorf("pl %d minutes: %q, want %q", n, got, want)
		}
	}
	de := Definition{Language: "de-AT", TextOverrides: map[string]string{"consent.yes": "Einverstanden"}}.Texts()
	if de.Lang() != "de-AT" || de.Get("consent.yes") != "Einverstanden" || de.Get("consent.no") != "Ich möchte nicht teilnehmen" {
		t.Errorf("de-AT with an override: %q %q", de.Get("consent.yes"), de.Get("consent.no"))
	}
	if got := de.Get("test.title", "part", 2, "parts", 3); got != "Teil 2 von 3: Farburteile" {
		t.Errorf("placeholders: %q", got)
	}
	if got := de.Get("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
	r := Definition{Language: "es"}.Texts().Runner()
	if r["runner.measuring"] == "" || r["step.progress"] != "" {
		t.Errorf("runner texts: %v", r)
	}
	if st := (Definition{Language: "es"}).Texts().Step(); st["step.progress"] != "{k} de {n}" || st["step.restart_text.one"] == "" || st["runner.measuring"] != "" {
		t.Errorf("step texts: %v", st)
	}
	if se := (Definition{Language: "es"}).Texts().Session(); se["session.saving"] == "" || se["runner.measuring"] != "" {
		t.Errorf("session texts: %v", se)
	}
	for k := range r {
		if !strings.HasPrefix(k, "runner.") {
			t.Errorf("runner texts hold %s", k)
		}
	}
	if got := TextsFor("pl-PL,pl;q=0.9,en;q=0.5").Lang(); got != "pl" {
		t.Errorf("Accept-Language pl-PL: %s", got)
	}
	if got := TextsFor("ja").Lang(); got != "en" {
		t.Errorf("Accept-Language ja: %s", got)
	}
}

func TestLanguageDefaultsAndValidation(t *testing.T) {
	d, err := ParseNewDefinition([]byte(`{"slug": "de1", "name": "Deutsch", "language": "de", "contact": {"name": "Dr. Ada Muster", "email": "ada@example.org"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.ConsentMD, "## Einwilligung") || !strings.HasPrefix(d.DebriefMD, "## Vielen Dank!") || d.Contact.Email != "ada@example.org" {
		t.Errorf("German defaults: %.40q / %.40q", d.ConsentMD, d.DebriefMD)
	}
	if strings.Contains(DefaultDebrief("en", false), "contact the researchers") || strings.Contains(DefaultConsent("en", false), "researchers can show you") {
		t.Error("the built-in texts still send participants to researchers they cannot reach")
	}
	if d := Classic(); d.Language != "en" {
		t.Errorf("default language %q", d.Language)
	}
	_, err = ParseNewDefinition([]byte(`{"slug": "x1", "name": "X", "language": "not a tag!",
		"texts": {"consent.yes": "Ok {minutes}", "no.such": "x", "consent.no": " "},
		"contact": {"name": "", "email": "Ada <ada@example.org>"}}`))
	want := []string{"contact.email", "contact.name", "language", "texts.consent.no", "texts.consent.yes", "texts.no.such"}
	if got := fieldsOf(t, err); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v (%v)", got, want, err)
	}
	// A language without built-in texts needs every text of its own.
	_, err = ParseNewDefinition([]byte(`{"slug": "x1", "name": "X", "language": "fr"}`))
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"consent_md", "debrief_md", "language"}) {
		t.Errorf("fr without texts: %v", got)
	}
	all := map[string]string{}
	for _, k := range TextKeys() {
		if v, ok := textsEN[k]; ok {
			all[k] = v
		}
	}
	d = Classic()
	d.Language, d.TextOverrides = "fr", all
	d.ConsentMD, d.DebriefMD = "## Consentement", "## Merci"
	if errs := d.Validate(); len(errs) > 0 {
		t.Errorf("fr with every text: %v", errs)
	}
	// A Polish-only plural form may be overridden.
	d = Classic()
	d.Language, d.TextOverrides = "pl", map[string]string{"duration.minutes.few": "{n} min."}
	if errs := d.Validate(); len(errs) > 0 {
		t.Errorf("pl plural override: %v", errs)
	}
}

// TestStoredRunnerTextsMove: a definition stored before the runner's texts
// were split by where they travel keeps its overrides under the new keys,
// validates, and shows them; a new key's own text wins over its old name.
func TestStoredRunnerTextsMove(t *testing.T) {
	raw := []byte(`{"slug": "old", "name": "Old", "texts": {"runner.progress": "{k}/{n}",
		"runner.restart_text.other": "Again after {n} s.", "runner.session_ended": "Over.",
		"runner.saving": "Saving.", "session.saving": "Storing.", "runner.measuring": "Timing…"}}`)
	d, err := ParseNewDefinition(raw)
	if err != nil {
		t.Fatalf("a stored definition with the old keys: %v", err)
	}
	want := map[string]string{"step.progress": "{k}/{n}", "step.restart_text.other": "Again after {n} s.",
		"session.ended": "Over.", "session.saving": "Storing.", "runner.measuring": "Timing…"}
	if !maps.Equal(d.TextOverrides, want) {
		t.Errorf("overrides %v, want %v", d.TextOverrides, want)
	}
	tx := d.Texts()
	if got := tx.Get("step.progress", "k", 2, "n", 9); got != "2/9" {
		t.Errorf("step.progress = %q", got)
	}
	if got := tx.Step()["step.restart_text.other"]; got != "Again after {n} s." {
		t.Errorf("step texts restart = %q", got)
	}
	if got := tx.Session()["session.ended"]; got != "Over." {
		t.Errorf("session texts ended = %q", got)
	}
}
