package storage

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane) — tens of milliseconds per login on a small server.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// hashPassword returns an argon2id hash in the PHC string format, which
// records its parameters so they can be raised later without breaking old
// hashes.
func hashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword verifies password against a PHC argon2id hash in constant time.
func checkPassword(password, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when an email is unknown, so a login takes
// as long whether or not the account exists.
var dummyHash = hashPassword("not a real password")

// ErrBusy: the server is at its limit of expensive work (password hashes
// here) and the request waited long enough; the client should retry in a
// moment (503 with Retry-After).
var ErrBusy = errors.New("the server is busy: retry in a moment")

// passwordHashing bounds the argon2id hashes computed at once to the
// number of CPUs: each takes argonMemoryKiB of memory, so 200 sign-ins at
// once took 3 GB. A sign-in waits at most wait for a slot. Known and unknown
// emails take the same slot and the same hash, so neither the time nor a
// 503 tells them apart.
type passwordHashing struct {
	slots *semaphore.Weighted
	wait  time.Duration
}

func newPasswordHashing() passwordHashing {
	return passwordHashing{slots: semaphore.NewWeighted(int64(runtime.GOMAXPROCS(0))), wait: 5 * time.Second}
}

// do runs one hash in a slot, or returns ErrBusy after waiting.
func (h passwordHashing) do(ctx context.Context, hash func()) error {
	ctx, cancel := context.WithTimeout(ctx, h.wait)
	defer cancel()
	if err := h.slots.Acquire(ctx, 1); err != nil {
		return ErrBusy
	}
	defer h.slots.Release(1)
	hash()
	return nil
}
