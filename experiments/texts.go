package experiments

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"github.com/mccollough/mccollough/stimuli"
)

// The participant's texts. Every string a participant reads (pages, step
// fragments, the runner's messages) has a key in a built-in catalogue per
// language; a definition picks the language (BCP 47) and may override any
// string with its own (texts). Texts may hold {placeholders}, filled in
// where they are shown, and light Markdown (**bold**, `keys`), rendered
// without raw HTML. A text that depends on a number has plural forms as
// sub-keys (key.one, key.few, key.many, key.other) chosen by the CLDR
// rules of the language, as the browser's Intl.PluralRules chooses them.

// DefaultLanguage is the language of a definition without one.
const DefaultLanguage = "en"

// catalogues are the built-in texts by base language.
var catalogues = map[string]map[string]string{
	"en": textsEN,
	"de": textsDE,
	"es": textsES,
	"pl": textsPL,
}

// Languages lists the languages with built-in texts.
func Languages() []string { return slices.Sorted(maps.Keys(catalogues)) }

// TextKeys lists every key a definition's texts may override: every key of
// the built-in catalogues (with every plural form any language uses), but
// the built-in consent and debrief, which consent_md and debrief_md replace.
func TextKeys() []string {
	keys := map[string]bool{}
	for _, c := range catalogues {
		for k := range c {
			if !isDocumentKey(k) {
				keys[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(keys))
}

func isDocumentKey(k string) bool {
	return strings.HasPrefix(k, "consent_md") || strings.HasPrefix(k, "debrief_md")
}

// BuiltinText is the built-in text of key in lang ("" if unknown).
func BuiltinText(lang, key string) string { return builtinCatalogue(lang)[key] }

func builtinCatalogue(lang string) map[string]string {
	if c, ok := catalogues[baseLanguage(lang)]; ok {
		return c
	}
	return textsEN
}

// baseLanguage is the language subtag of a BCP 47 tag ("de" of "de-AT").
func baseLanguage(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	b, _ := t.Base()
	return b.String()
}

// Texts are a study's texts in its language: the built-in catalogue with
// the definition's own texts on top.
type Texts struct {
	lang      string
	tag       language.Tag
	builtin   map[string]string
	overrides map[string]string
}

// Texts returns the definition's texts.
func (d Definition) Texts() Texts {
	lang := d.Language
	if lang == "" {
		lang = DefaultLanguage
	}
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	return Texts{lang: lang, tag: tag, builtin: builtinCatalogue(lang), overrides: d.TextOverrides}
}

// EnglishTexts are the built-in English texts, for pages shown before a
// study (or its language) is known.
func EnglishTexts() Texts { return Definition{}.Texts() }

// TextsFor are the built-in texts in the supported language that best
// matches an Accept-Language header, for pages without a study.
func TextsFor(acceptLanguage string) Texts {
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	supported := []language.Tag{language.English}
	for _, l := range Languages() {
		if l != "en" {
			supported = append(supported, language.MustParse(l))
		}
	}
	_, i, _ := language.NewMatcher(supported).Match(tags...)
	b, _ := supported[i].Base()
	return Definition{Language: b.String()}.Texts()
}

// Lang is the study's language tag, for <html lang>.
func (t Texts) Lang() string { return t.lang }

func (t Texts) raw(key string) (string, bool) {
	if s, ok := t.overrides[key]; ok {
		return s, true
	}
	if s, ok := t.builtin[key]; ok {
		return s, true
	}
	s, ok := textsEN[key]
	return s, ok
}

// Get is the text of key with its {placeholders} filled from args, given as
// name, value pairs. With an "n" argument and plural forms, the form the
// language's rules pick for n is used. An unknown key returns the key
// itself, so a missing text shows up instead of disappearing.
func (t Texts) Get(key string, args ...any) string {
	vals := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		vals[fmt.Sprint(args[i])] = fmt.Sprint(args[i+1])
	}
	s, ok := t.raw(key)
	if n, err := strconv.Atoi(vals["n"]); err == nil {
		if p, pok := t.raw(key + "." + pluralForm(t.tag, n)); pok {
			s, ok = p, true
		} else if p, pok := t.raw(key + ".other"); pok {
			s, ok = p, true
		}
	}
	if !ok {
		return key
	}
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vals[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// Runner is every text the browser's runner may show before it has a
// step's fragment (keys "runner.…", with their plural forms), for the study
// page's boot data.
func (t Texts) Runner() map[string]string { return t.prefixed("runner.") }

// Session is every text the runner shows only once a session exists (keys
// "session.…"), sent with the session (created or resumed), so that the
// study page stays small.
func (t Texts) Session() map[string]string { return t.prefixed("session.") }

// Step is every text the runner shows only inside a step (keys "step.…"),
// sent with the step fragments, so that the study page stays small.
func (t Texts) Step() map[string]string { return t.prefixed("step.") }

// renameTextKeys moves the overrides of texts that were "runner.…" keys
// before they were split by where they travel (runner.progress became
// step.progress, runner.saving session.saving, runner.session_ended
// session.ended), so a stored definition keeps its texts and still
// validates. It returns a new map; other keys pass unchanged.
func renameTextKeys(texts map[string]string) map[string]string {
	var out map[string]string
	for k, v := range texts {
		rest, ok := strings.CutPrefix(k, "runner.")
		if !ok {
			continue
		}
		if _, known := textsEN[k]; known {
			continue
		}
		for _, to := range []string{"step." + rest, "session." + rest, "session." + strings.TrimPrefix(rest, "session_")} {
			if _, known := textsEN[to]; known {
				if out == nil {
					out = maps.Clone(texts)
				}
				delete(out, k)
				if _, set := texts[to]; !set { // the new key's own text wins
					out[to] = v
				}
				break
			}
		}
	}
	if out == nil {
		return texts
	}
	return out
}

func (t Texts) prefixed(prefix string) map[string]string {
	out := map[string]string{}
	for _, k := range TextKeys() {
		if s, ok := t.raw(k); ok && strings.HasPrefix(k, prefix) {
			out[k] = s
		}
	}
	return out
}

func pluralForm(tag language.Tag, n int) string {
	if n < 0 {
		n = -n
	}
	switch plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0) {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

var placeholderRE = regexp.MustCompile(`\{[a-z_]+\}`)

// Limits of a definition's own texts.
const MaxTextBytes = 4000

// validateLanguage checks the language tag and the texts: a well-formed
// BCP 47 tag with built-in texts (or every text given in texts), known
// keys, bounded lengths, and only the placeholders the built-in text has.
func validateLanguage(errs *stimuli.FieldErrors, lang string, texts map[string]string) {
	if lang != "" {
		if _, err := language.Parse(lang); err != nil {
			errs.Add("language", "must be a BCP 47 language tag such as en, de, es-MX or pl, not %q", lang)
		} else if _, ok := catalogues[baseLanguage(lang)]; !ok {
			missing, all := 0, 0
			for k := range textsEN {
				if isDocumentKey(k) {
					continue
				}
				all++
				if _, ok := texts[k]; !ok {
					missing++
				}
			}
			if missing > 0 {
				errs.Add("language", "has no built-in texts (built in: %s); give all %d texts in texts (%d missing)",
					strings.Join(Languages(), ", "), all, missing)
			}
		}
	}
	known := map[string]bool{}
	for _, k := range TextKeys() {
		known[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(texts)) {
		builtin := textsEN[k]
		field := "texts." + k
		switch {
		case !known[k]:
			errs.Add(field, "is not a text of the study (see the editor's list of texts)")
		case strings.TrimSpace(texts[k]) == "":
			errs.Add(field, "must not be empty (leave it out to use the built-in text)")
		case len(texts[k]) > MaxTextBytes || !utf8.ValidString(texts[k]):
			errs.Add(field, "must be valid UTF-8 of at most %d bytes", MaxTextBytes)
		default:
			for _, p := range placeholderRE.FindAllString(texts[k], -1) {
				if !strings.Contains(builtin, p) && !strings.Contains(pluralSiblings(k), p) {
					errs.Add(field, "has the placeholder %s, which this text does not fill", p)
				}
			}
		}
	}
}

// pluralSiblings joins the English plural forms of a plural key's base, so
// a form may use any placeholder its siblings use.
func pluralSiblings(key string) string {
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		return ""
	}
	var b strings.Builder
	for _, form := range []string{"zero", "one", "two", "few", "many", "other"} {
		b.WriteString(textsEN[key[:i]+"."+form])
	}
	return b.String()
}
