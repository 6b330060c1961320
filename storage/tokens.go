package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// newToken returns a 128-bit random bearer token and the SHA-256 hash that
// is stored instead of it. A fast hash is right here: the token is random,
// not a password, so there is nothing to brute-force from the hash.
func newToken() (token string, hash []byte) {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// tokenMatches compares in constant time.
func tokenMatches(token string, hash []byte) bool {
	return token != "" && subtle.ConstantTimeCompare(hashToken(token), hash) == 1
}

// completionAlphabet avoids look-alike characters (0/O, 1/I/L).
const completionAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// newCompletionCode is the code a participant shows the recruiter.
func newCompletionCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = completionAlphabet[int(b[i])%len(completionAlphabet)]
	}
	return string(b)
}
