package templates

import (
	"strings"
	"testing"
)

// TestLongCategoryLabelsDoNotOverlap: with the humans and two model groups
// (six categories of the shift chart), the category labels are slanted and
// the chart grows below the plot to hold them; short labels stay level.
func TestLongCategoryLabelsDoNotOverlap(t *testing.T) {
	long := Chart{Title: "Shift per participant", YMin: -1, YMax: 1, Categories: []string{
		"red-paired (humans)", "green-paired (humans)",
		"red-paired (model: decorrelation)", "green-paired (model: decorrelation)",
		"red-paired (model: suppression)", "green-paired (model: suppression)",
	}}
	ticks := long.XTicks()
	step := ticks[1].Pos - ticks[0].Pos
	for _, tk := range ticks {
		if !tk.Slanted {
			t.Fatalf("label %q (%.0f px) in a %.0f px slot is not slanted", tk.Label, float64(len(tk.Label))*labelCharPx, step)
		}
	}
	if long.ViewBox() == "0 0 560 320" || long.XLabelY() <= long.Bottom()+42 {
		t.Errorf("no room made for slanted labels: viewBox %s, x label at %g", long.ViewBox(), long.XLabelY())
	}
	if !strings.HasPrefix(long.Slant(ticks[0]), "rotate(-35 ") {
		t.Errorf("slant %q", long.Slant(ticks[0]))
	}
	short := Chart{Title: "Contingent effect", YMin: -1, YMax: 1, Categories: []string{"humans", "model: none"}}
	for _, tk := range short.XTicks() {
		if tk.Slanted {
			t.Errorf("short label %q slanted", tk.Label)
		}
	}
	if short.ViewBox() != "0 0 560 320" {
		t.Errorf("short labels changed the size: %s", short.ViewBox())
	}
}
