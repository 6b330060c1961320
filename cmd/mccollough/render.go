package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/mccollough/mccollough/stimuli"
)

func runRender(_ context.Context, env *environment, args []string) error {
	fs := newFlagSet("render", "Render a stimulus to a PNG file with the same renderer browsers and the ConvNet use.\n"+
		"--spec is a pattern spec (or a whole stimulus with \"pattern\") as JSON, or @file to read it from a file.", env)
	spec := fs.String("spec", "", "pattern spec as `JSON` or @file (required)")
	size := fs.Int("size", 512, "image size in `pixels` (square)")
	tint := fs.Float64("tint", 0, "tint of the light stripes in CIELAB a* `units` (+ red, − green)")
	color := fs.String("color", "", "induction colour of the light stripes as sRGB `hex` (instead of --tint)")
	out := fs.String("o", "", "output PNG `file` (required)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	switch {
	case *spec == "":
		return usageError{"--spec is required"}
	case *out == "":
		return usageError{"-o is required"}
	case *size < 8 || *size > 8192:
		return usageError{fmt.Sprintf("--size %d: must be from 8 to 8192", *size)}
	}
	tintSet := false
	fs.Visit(func(f *flag.Flag) { tintSet = tintSet || f.Name == "tint" })
	if tintSet && *color != "" {
		return usageError{"give --tint or --color, not both"}
	}
	raw := []byte(*spec)
	if name, ok := strings.CutPrefix(*spec, "@"); ok {
		var err error
		if raw, err = os.ReadFile(name); err != nil {
			return usageError{fmt.Sprintf("--spec %s: %v", *spec, errors.Unwrap(err))}
		}
	}
	var s stimuli.Stimulus
	target := any(&s.Pattern)
	if strings.Contains(string(raw), `"pattern"`) {
		target = &s
	}
	if err := stimuli.DecodeStrict(raw, target); err != nil {
		return usageError{"invalid spec: " + err.Error()}
	}
	if tintSet {
		s.Tint = *tint
	}
	if *color != "" {
		s.Light = *color
	}
	s = s.WithDefaults()
	if errs := s.Validate(); len(errs) > 0 {
		if target == &s.Pattern { // name fields as the user wrote them
			for i := range errs {
				errs[i].Field = strings.TrimPrefix(errs[i].Field, "pattern.")
			}
		}
		return usageError{"invalid spec: " + errs.Error()}
	}
	png, err := stimuli.RenderPNG(s, *size)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, png, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s (%d×%d, %d bytes, key %s)\n", *out, *size, *size, len(png), stimuli.Key(s, *size))
	return nil
}
