package templates

import (
	"bytes"
	"strings"

	"github.com/a-h/templ"
	"github.com/yuin/goldmark"

	"github.com/mccollough/mccollough/experiments"
)

// T are the participant's texts in the study's language.
type T = experiments.Texts

// inlineMarkdown renders one participant text (light Markdown: **bold**,
// `keys`) as HTML without its paragraph. goldmark's defaults leave raw HTML
// out, so a researcher's own texts cannot put markup or script into a page.
var inlineMarkdown = goldmark.New()

// md is a text rendered as inline HTML.
func md(s string) templ.Component {
	var b bytes.Buffer
	if err := inlineMarkdown.Convert([]byte(s), &b); err != nil {
		return templ.Raw(templ.EscapeString(s))
	}
	out := strings.TrimSpace(b.String())
	if strings.HasPrefix(out, "<p>") && strings.HasSuffix(out, "</p>") && strings.Count(out, "<p>") == 1 {
		out = out[len("<p>") : len(out)-len("</p>")]
	}
	return templ.Raw(out)
}
