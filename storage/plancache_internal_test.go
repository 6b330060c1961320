package storage

import (
	"fmt"
	"testing"
)

// TestPlanCacheIsBoundedInBytes: large plans push the least recently used
// out, so the cache holds at most its bytes however large the study (it
// was bounded in entries only: 4096 plans of ~2 MB).
func TestPlanCacheIsBoundedInBytes(t *testing.T) {
	c := newPlanCache(1000)
	add := func(id string, size int) { c.add(id, &sessionInfo{Session: Session{ID: id}, size: size}) }
	for i := range 10 {
		add(fmt.Sprint(i), 300)
		if c.bytes > 1000 {
			t.Fatalf("after %d plans the cache holds %d bytes", i+1, c.bytes)
		}
	}
	if _, ok := c.get("9"); !ok {
		t.Fatal("the newest plan was dropped")
	}
	if _, ok := c.get("0"); ok {
		t.Fatal("the oldest plan was kept")
	}
	add("9", 300) // again: counted once
	add("huge", 5000)
	if _, ok := c.get("huge"); ok || c.bytes != 900 {
		t.Fatalf("a plan larger than the cache: kept %v, %d bytes held", ok, c.bytes)
	}
	c.remove("9")
	if c.bytes != 600 {
		t.Fatalf("%d bytes after removing one of three plans", c.bytes)
	}
}
