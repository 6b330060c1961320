package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/stimuli"
	"github.com/mccollough/mccollough/templates"
)

// The workspace's HTML forms. Every input is named by the JSON path of the
// field it edits ("a.period_px", "induction.switch_s"), so the domain's
// field errors land next to their inputs unchanged. A form is parsed from
// the raw text typed (kept as typed for a re-render) into the domain type;
// a number that does not parse is reported at its input, and the rest of
// the document is still validated so every problem is shown at once.

// formValues reads a submitted form: the first value of every input.
func formValues(c echo.Context) (map[string]string, error) {
	params, err := c.FormParams()
	if err != nil {
		return nil, badRequest(err)
	}
	out := make(map[string]string, len(params))
	for k, vs := range params {
		if k == "_csrf" || len(vs) == 0 {
			continue
		}
		// Browsers send textarea line breaks as CRLF.
		out[k] = strings.ReplaceAll(vs[0], "\r\n", "\n")
	}
	return out, nil
}

// formParser turns typed text into values, collecting what does not parse.
type formParser struct {
	v    map[string]string
	errs experiments.FieldErrors
}

func (p *formParser) str(name string) string { return strings.TrimSpace(p.v[name]) }

// float is an optional number: empty is 0 (the domain's "use the default").
func (p *formParser) float(name string) float64 {
	f := p.floatPtr(name)
	if f == nil {
		return 0
	}
	return *f
}

// floatPtr is an optional number: empty is nil.
func (p *formParser) floatPtr(name string) *float64 {
	s := p.str(name)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.errs.Add(name, "must be a number, not %q", s)
		return nil
	}
	return &f
}

// int is an optional whole number: empty is 0.
func (p *formParser) int(name string) int {
	s := p.str(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.errs.Add(name, "must be a whole number, not %q", s)
		return 0
	}
	return n
}

// floats is a list of numbers separated by commas or spaces; empty is nil.
func (p *formParser) floats(name string) []float64 {
	s := p.str(name)
	if s == "" {
		return nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' })
	out := make([]float64, 0, len(parts))
	for _, part := range parts {
		f, err := strconv.ParseFloat(part, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			p.errs.Add(name, "%q is not a number (separate the numbers with commas)", part)
			return nil
		}
		out = append(out, f)
	}
	return out
}

func (p *formParser) checked(name string) bool {
	switch p.str(name) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// pattern reads a pattern spec from the inputs prefix.kind, prefix.period_px
// and so on. Inputs that do not apply to the chosen kind (orientation,
// spokes, line width) are ignored: the editor hides them, and a value left
// there from another kind is no error.
func (p *formParser) pattern(prefix string) stimuli.Pattern {
	kind := stimuli.Kind(p.str(prefix + ".kind"))
	pat := stimuli.Pattern{
		Kind:     kind,
		PeriodPx: p.float(prefix + ".period_px"),
		Duty:     p.float(prefix + ".duty"),
		Waveform: stimuli.Waveform(p.str(prefix + ".waveform")),
		Phase:    p.float(prefix + ".phase"),
	}
	if kind.Oriented() {
		pat.OrientationDeg = p.float(prefix + ".orientation_deg")
	}
	if kind == stimuli.Radial {
		pat.Spokes = p.int(prefix + ".spokes")
	}
	if kind == stimuli.Grid || kind == stimuli.Crosses {
		pat.LineWidthPx = p.float(prefix + ".line_width_px")
	}
	return pat
}

func (p *formParser) colors(prefix string) experiments.Colors {
	return experiments.Colors{
		Red:      p.str(prefix + ".red"),
		Green:    p.str(prefix + ".green"),
		Dark:     p.str(prefix + ".dark"),
		NeutralL: p.float(prefix + ".neutral_l"),
	}
}

// num formats a number as a researcher would type it.
func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func numPtr(f *float64) string {
	if f == nil {
		return ""
	}
	return num(*f)
}

func nums(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = num(f)
	}
	return strings.Join(parts, ", ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// putPattern writes a pattern's fields into form values.
func putPattern(v map[string]string, prefix string, pat stimuli.Pattern) {
	v[prefix+".kind"] = string(pat.Kind)
	v[prefix+".orientation_deg"] = num(pat.OrientationDeg)
	v[prefix+".period_px"] = num(pat.PeriodPx)
	v[prefix+".duty"] = num(pat.Duty)
	v[prefix+".waveform"] = string(pat.Waveform)
	v[prefix+".phase"] = num(pat.Phase)
	v[prefix+".spokes"] = ""
	if pat.Spokes != 0 {
		v[prefix+".spokes"] = strconv.Itoa(pat.Spokes)
	}
	v[prefix+".line_width_px"] = ""
	if pat.LineWidthPx != 0 {
		v[prefix+".line_width_px"] = num(pat.LineWidthPx)
	}
}

func putColors(v map[string]string, prefix string, c experiments.Colors) {
	v[prefix+".red"] = c.Red
	v[prefix+".green"] = c.Green
	v[prefix+".dark"] = c.Dark
	v[prefix+".neutral_l"] = num(c.NeutralL)
}

var indexRE = regexp.MustCompile(`\[(\d+)\]`)

// formErrors places field errors next to the inputs of a form: a path that
// is an input keeps its name; an item of a list input (test.tints[2]) or a
// field inside a JSON input (test.extra_patterns[0].name) goes to that
// input, saying which item; anything else goes to the nearest enclosing
// input, or to the form as a whole (""). Several problems of one input are
// shown together.
func formErrors(errs experiments.FieldErrors, inputs map[string]bool, aliases map[string]string) templates.FormErrors {
	out := templates.FormErrors{}
	for _, e := range errs {
		field, msg := e.Field, e.Message
		if a, ok := aliases[field]; ok {
			field = a
		}
		target := ""
		for cand := field; cand != ""; cand = parentPath(cand) {
			if inputs[cand] {
				target = cand
				break
			}
		}
		if target != field && field != "" {
			rest := strings.TrimPrefix(field, target)
			rest = strings.TrimPrefix(rest, ".")
			if m := indexRE.FindStringSubmatch(rest); m != nil && strings.HasPrefix(rest, "[") {
				i, _ := strconv.Atoi(m[1])
				item := fmt.Sprintf("item %d", i+1)
				if tail := strings.TrimPrefix(strings.TrimPrefix(rest, m[0]), "."); tail != "" {
					item += " (" + tail + ")"
				}
				msg = item + ": " + msg
			} else if rest != "" {
				msg = rest + ": " + msg
			}
		}
		if prev, ok := out[target]; ok {
			if !strings.Contains(prev, msg) {
				out[target] = prev + "; " + msg
			}
			continue
		}
		out[target] = msg
	}
	return out
}

// parentPath drops the last element of a JSON path: "a.b[2]" → "a.b",
// "a.b" → "a", "a" → "".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndex(p, "["); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndex(p, "."); i >= 0 {
		return p[:i]
	}
	return ""
}

func inputSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

var patternInputs = []string{"kind", "orientation_deg", "period_px", "duty", "waveform", "phase", "spokes", "line_width_px"}

func patternInputNames(prefix string) []string {
	out := make([]string, len(patternInputs))
	for i, f := range patternInputs {
		out[i] = prefix + "." + f
	}
	return out
}

func colorInputNames(prefix string) []string {
	return []string{prefix + ".red", prefix + ".green", prefix + ".dark", prefix + ".neutral_l"}
}

// previewSet is the editors' preview URLs for a pattern as typed, or none
// when it cannot be drawn (its problems are shown at its inputs).
func previewSet(pat stimuli.Pattern, colors experiments.Colors, refSize int) templates.PreviewSet {
	pat = pat.WithDefaults()
	if len(pat.Validate()) > 0 {
		return templates.PreviewSet{}
	}
	c := colors
	if c.Dark == "" {
		c.Dark = experiments.DefaultDark
	}
	if c.NeutralL <= 0 || c.NeutralL >= 100 {
		c.NeutralL = experiments.DefaultNeutralL
	}
	spec := map[string]any{"pattern": pat, "dark": c.Dark, "neutral_l": c.NeutralL}
	if refSize >= experiments.MinSizePx && refSize <= experiments.MaxSizePx {
		spec["ref_size_px"] = refSize
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return templates.PreviewSet{}
	}
	base := url.Values{"spec": {string(raw)}, "size": {strconv.Itoa(templates.PreviewSize)}}
	at := func(k, v string) string {
		q := url.Values{}
		for key, vs := range base {
			q[key] = vs
		}
		q.Set(k, v)
		return "/api/v1/stimuli/preview?" + q.Encode()
	}
	ps := templates.PreviewSet{Neutral: at("tint", "0")}
	if validHex(c.Red) {
		ps.Red = at("color", c.Red)
	}
	if validHex(c.Green) {
		ps.Green = at("color", c.Green)
	}
	if !validHex(c.Dark) {
		return templates.PreviewSet{}
	}
	return ps
}

var hexColorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func validHex(s string) bool { return hexColorRE.MatchString(s) }
