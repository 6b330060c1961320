package server

import (
	"context"

	"github.com/mccollough/mccollough/stimuli"
)

// StimulusURL is the sealed URL s issues for spec at size: what a test
// asks for when it needs an image the server handed out.
func (s *Server) StimulusURL(ctx context.Context, spec stimuli.Stimulus, size int) (string, error) {
	seal, err := s.sealer(ctx)
	if err != nil {
		return "", err
	}
	return stimulusURL(seal, sealedStimulus{Spec: spec, Size: size}), nil
}

// UseSealSecret gives a server without a database (benchmarks, render
// tests) the seal key that secret derives.
func (s *Server) UseSealSecret(secret []byte) {
	k, err := newSealer(secret)
	if err != nil {
		panic(err)
	}
	s.seal.loaded.Store(k)
}
