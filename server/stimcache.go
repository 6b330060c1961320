package server

import (
	"container/list"
	"sync"

	"golang.org/x/sync/singleflight"
)

// pngCache keeps rendered stimulus PNGs, least recently used first out,
// bounded in the bytes it really holds (each slice's capacity). Concurrent requests for the same missing key render it
// once (singleflight). Every replica has its own: the cache is an
// optimisation, not state, since any replica can render any stimulus.
type pngCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // front = most recently used; values are *cacheEntry
	entries  map[string]*list.Element
	group    singleflight.Group
}

type cacheEntry struct {
	key  string
	data []byte
}

func newPNGCache(maxBytes int) *pngCache {
	return &pngCache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the cached bytes for key, or renders, stores and returns them.
func (c *pngCache) get(key string, render func() ([]byte, error)) ([]byte, error) {
	if data, ok := c.lookup(key); ok {
		return data, nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		if data, ok := c.lookup(key); ok {
			return data, nil
		}
		data, err := render()
		if err != nil {
			return nil, err
		}
		c.add(key, data)
		return data, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

func (c *pngCache) lookup(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).data, true
}

func (c *pngCache) add(key string, data []byte) {
	if cap(data) > c.maxBytes {
		return // larger than the whole cache: serve it, don't keep it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, data: data})
	c.bytes += cap(data)
	for c.bytes > c.maxBytes {
		oldest := c.order.Back()
		e := oldest.Value.(*cacheEntry)
		c.order.Remove(oldest)
		delete(c.entries, e.key)
		c.bytes -= cap(e.data)
	}
}

// size reports the number of entries and bytes held.
func (c *pngCache) size() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.bytes
}
