package server

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mccollough/mccollough/stimuli"
)

// Stimulus URLs are sealed: /stimuli/{token}.png, where the token is the
// stimulus spec and size encrypted and authenticated (AES-GCM) under a key
// every replica shares (a server secret in the database). The browser learns
// nothing but pixels: no tint, no pattern spec, and it cannot ask for an
// image the server did not issue (an altered token does not open: 404).
//
// The nonce is an HMAC of the content, so one stimulus has one URL
// (immutable, cacheable) on every replica: equal plaintexts give equal
// tokens, which is all a deterministic nonce reveals, and GCM under a
// nonce is safe as long as the nonce never covers two different plaintexts.

// sealSecretName is the server secret the seal keys derive from.
const sealSecretName = "stimulus-seal"

// maxSealedLen bounds a token before it is decoded (a spec is a few
// hundred bytes; anything far longer was not issued here).
const maxSealedLen = 4096

// sealAD binds tokens to their purpose and format version.
var sealAD = []byte("mccollough stimulus v1")

// sealedStimulus is what a token holds: a stimulus at a size, and a slot
// that makes otherwise equal images' URLs differ where that matters (the
// patches of one screening trial: equal URLs would show which one is
// tinted).
type sealedStimulus struct {
	Spec stimuli.Stimulus
	Size int
	Slot string
}

type sealer struct {
	aead  cipher.AEAD
	nonce []byte // HMAC key of the nonces
	tag   []byte // HMAC key of the ETags
}

func newSealer(secret []byte) (*sealer, error) {
	key := func(purpose string) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, nil, "mccollough stimulus "+purpose, 32)
	}
	enc, err := key("encryption")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(enc)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &sealer{aead: aead}
	if s.nonce, err = key("nonce"); err != nil {
		return nil, err
	}
	if s.tag, err = key("etag"); err != nil {
		return nil, err
	}
	return s, nil
}

// payload is the plaintext of st: size, slot length, slot, canonical spec.
func (st sealedStimulus) payload() []byte {
	b := binary.AppendUvarint(nil, uint64(st.Size))
	b = binary.AppendUvarint(b, uint64(len(st.Slot)))
	b = append(b, st.Slot...)
	return append(b, st.Spec.Canonical()...)
}

func (s *sealer) mac(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

// seal is st's token: base64url(nonce ‖ ciphertext ‖ tag).
func (s *sealer) seal(st sealedStimulus) string {
	plain := st.payload()
	nonce := s.mac(s.nonce, plain)[:s.aead.NonceSize()]
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, sealAD))
}

// errNotSealedHere: a token this server did not issue (or one altered).
var errNotSealedHere = errors.New("no such stimulus")

// open is the stimulus of a token this server (or a replica) sealed.
func (s *sealer) open(token string) (sealedStimulus, error) {
	if len(token) > maxSealedLen {
		return sealedStimulus{}, errNotSealedHere
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	n := s.aead.NonceSize()
	if err != nil || len(raw) < n+s.aead.Overhead() {
		return sealedStimulus{}, errNotSealedHere
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], sealAD)
	// Only the nonce derived from the content is issued: one URL per image.
	if err != nil || !hmac.Equal(raw[:n], s.mac(s.nonce, plain)[:n]) {
		return sealedStimulus{}, errNotSealedHere
	}
	var st sealedStimulus
	size, k := binary.Uvarint(plain)
	slotLen, m := binary.Uvarint(plain[max(k, 0):])
	if k <= 0 || m <= 0 || size > MaxStimulusSize || slotLen > uint64(len(plain)-k-m) {
		return sealedStimulus{}, fmt.Errorf("sealed stimulus: malformed payload")
	}
	st.Size = int(size)
	st.Slot = string(plain[k+m : k+m+int(slotLen)])
	if st.Spec, err = stimuli.ParseStimulus(plain[k+m+int(slotLen):]); err != nil {
		return sealedStimulus{}, fmt.Errorf("sealed stimulus: %w", err)
	}
	return st, nil
}

// etag names an image's content (spec and size) without revealing it: a
// plain hash of a spec would let anyone test guessed tints against it.
func (s *sealer) etag(spec stimuli.Stimulus, size int) string {
	return hex.EncodeToString(s.mac(s.tag, sealedStimulus{Spec: spec, Size: size}.payload())[:16])
}

// sealOnce loads the seal keys from the database on first use (every
// replica derives the same keys from the one stored secret); a failure
// is retried on the next request.
type sealOnce struct {
	mu     sync.Mutex // held while loading
	loaded atomic.Pointer[sealer]
}

func (s *Server) sealer(ctx context.Context) (*sealer, error) {
	if k := s.seal.loaded.Load(); k != nil {
		return k, nil
	}
	s.seal.mu.Lock()
	defer s.seal.mu.Unlock()
	if k := s.seal.loaded.Load(); k != nil {
		return k, nil
	}
	secret, err := s.db.ServerSecret(ctx, sealSecretName, 32)
	if err != nil {
		return nil, err
	}
	k, err := newSealer(secret)
	if err != nil {
		return nil, err
	}
	s.seal.loaded.Store(k)
	return k, nil
}
