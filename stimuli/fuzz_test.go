package stimuli

import (
	"encoding/json"
	"testing"
)

var patternSeeds = []string{
	`{"kind":"grating"}`,
	`{"kind":"grating","orientation_deg":45,"period_px":26,"duty":0.3,"waveform":"sine","phase":0.5}`,
	`{"kind":"circles","period_px":2}`,
	`{"kind":"grid","period_px":30,"line_width_px":4}`,
	`{"kind":"crosses","period_px":4096}`,
	`{"kind":"radial","spokes":360,"phase":1}`,
	`{"kind":"checkerboard","orientation_deg":-360}`,
	`{"kind":"spiral"}`,
	`{"kind":"grating","period_px":1e309}`,
	`{"kind":"grating","duty":1}`,
	`{"kind":"grating"}{}`,
	`{"kind":"grating","x":1}`,
	`{"kind":1}`,
	`null`,
	``,
	`{`,
}

var stimulusSeeds = []string{
	`{"pattern":{"kind":"grating"}}`,
	`{"pattern":{"kind":"circles","waveform":"sine"},"tint":-20,"neutral_l":60}`,
	`{"pattern":{"kind":"grid"},"light":"#ce2e2e","dark":"#0c0c0e"}`,
	`{"pattern":{"kind":"radial","spokes":2},"morph":0.5,"morph_to":{"kind":"checkerboard","period_px":2}}`,
	`{"pattern":{"kind":"grating"},"aperture":{"shape":"square","edge_px":0,"background":"#abc"},"ref_size_px":8192}`,
	`{"pattern":{"kind":"grating"},"ref_size_px":1,"aperture":{"shape":"circle","edge_px":0.5}}`,
	`{"pattern":{"kind":"crosses","period_px":4096,"line_width_px":4095},"morph":1,"morph_to":{"kind":"grating","period_px":2}}`,
	`{"pattern":{"kind":"grating"},"tint":80}`,
	`{"pattern":{"kind":"grating"},"neutral_l":100,"tint":0}`,
	`{"pattern":{"kind":"grating"},"morph":0.5}`,
	`{"pattern":{"kind":"grating"},"unknown":true}`,
	`{"pattern":{"kind":"grating"},"aperture":{"shape":"circle","edge_px":-0}}`,
	`{"pattern":{"kind":"grating"}} trailing`,
	`[]`,
	`"x"`,
}

// FuzzParsePattern: no panic; whatever parses validates and renders.
func FuzzParsePattern(f *testing.F) {
	for _, s := range patternSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePattern(data)
		if err != nil {
			return
		}
		if errs := p.Validate(); len(errs) > 0 {
			t.Fatalf("parsed pattern does not validate: %v", errs)
		}
		s := Stimulus{Pattern: p}
		if _, err := Render(s, 16); err != nil {
			t.Fatalf("parsed pattern %s does not render: %v", data, err)
		}
	})
}

// FuzzParseStimulus: no panic; whatever parses validates, renders (image and
// tensor), and its canonical form parses back to itself.
func FuzzParseStimulus(f *testing.F) {
	for _, s := range stimulusSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseStimulus(data)
		if err != nil {
			return
		}
		if errs := s.Validate(); len(errs) > 0 {
			t.Fatalf("parsed stimulus does not validate: %v", errs)
		}
		if _, err := Render(s, 16); err != nil {
			t.Fatalf("parsed stimulus %s does not render: %v", data, err)
		}
		if err := Tensor(s, 16, make([]float32, 3*16*16)); err != nil {
			t.Fatalf("tensor: %v", err)
		}
		c := s.Canonical()
		if !json.Valid(c) {
			t.Fatalf("canonical is not JSON: %s", c)
		}
		back, err := ParseStimulus(c)
		if err != nil {
			t.Fatalf("canonical %s does not parse: %v", c, err)
		}
		if string(back.Canonical()) != string(c) {
			t.Fatalf("canonical not stable:\n%s\n%s", c, back.Canonical())
		}
	})
}
