package server

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestPNGCacheIsBoundedInBytesAndEvictsLeastRecentlyUsed(t *testing.T) {
	c := newPNGCache(100)
	renders := 0
	get := func(key string, size int) {
		t.Helper()
		data, err := c.get(key, func() ([]byte, error) { renders++; return make([]byte, size), nil })
		if err != nil || len(data) != size {
			t.Fatalf("get %s: %v (%d bytes)", key, err, len(data))
		}
	}
	get("a", 40)
	get("b", 40)
	get("a", 40) // a is now the most recently used
	get("c", 40) // over 100 bytes: b goes
	if n, bytes := c.size(); n != 2 || bytes != 80 {
		t.Fatalf("cache holds %d entries, %d bytes", n, bytes)
	}
	renders = 0
	get("a", 40)
	get("c", 40)
	if renders != 0 {
		t.Fatalf("a and c should be cached, %d renders", renders)
	}
	get("b", 40)
	if renders != 1 {
		t.Fatal("b should have been evicted")
	}
	get("huge", 500) // larger than the cache: served, not kept
	if _, bytes := c.size(); bytes > 100 {
		t.Fatalf("cache grew to %d bytes", bytes)
	}
}

func TestPNGCacheRendersOnceUnderConcurrency(t *testing.T) {
	c := newPNGCache(1 << 20)
	var renders atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, _ = c.get("k", func() ([]byte, error) {
				renders.Add(1)
				<-release
				return []byte("png"), nil
			})
		})
	}
	close(release)
	wg.Wait()
	if n := renders.Load(); n != 1 {
		t.Fatalf("rendered %d times for one key", n)
	}
}

func TestPNGCacheDoesNotKeepErrors(t *testing.T) {
	c := newPNGCache(100)
	_, err := c.get("k", func() ([]byte, error) { return nil, errors.New("boom") })
	if err == nil {
		t.Fatal("error lost")
	}
	data, err := c.get("k", func() ([]byte, error) { return []byte("ok"), nil })
	if err != nil || string(data) != "ok" {
		t.Fatalf("after an error: %q %v", data, err)
	}
	if n, _ := c.size(); n != 1 {
		t.Fatal(fmt.Sprint("entries ", n))
	}
}
