package storage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"
)

// TestPasswordHashingIsBounded: however many sign-ins arrive at once, at
// most the slots' worth of hashes run together (each takes 19 MiB); one
// that finds every slot taken for its whole wait gets ErrBusy.
func TestPasswordHashingIsBounded(t *testing.T) {
	h := passwordHashing{slots: semaphore.NewWeighted(2), wait: time.Minute}
	var running, most atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			err := h.do(context.Background(), func() {
				n := running.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				_ = hashPassword("a password to hash") // real work, so hashes overlap
				running.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m > 2 || m < 1 {
		t.Fatalf("%d hashes ran at once with 2 slots", m)
	}

	// Every slot held: the next sign-in waits its (short) wait, then is busy.
	held := passwordHashing{slots: semaphore.NewWeighted(1), wait: time.Millisecond}
	if err := held.slots.Acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	called := false
	if err := held.do(context.Background(), func() { called = true }); !errors.Is(err, ErrBusy) || called {
		t.Fatalf("with every slot held: %v (hashed: %v)", err, called)
	}
}
