package server

import (
	"net/http"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// keyedLimiter is a token bucket per key (a client's address, a study's
// slug) in a bounded LRU, so its memory stays bounded however many keys a
// flood brings; a key pushed out starts again with a full bucket, as an
// idle one would have. A nil keyedLimiter allows everything.
type keyedLimiter struct {
	every   rate.Limit
	burst   int
	buckets *lru.Cache[string, *rate.Limiter]
	// retryAfter is how long a refused client should wait (one token).
	retryAfter time.Duration
}

// limiterKeys bounds each limiter's memory (~200 bytes a key).
const limiterKeys = 65536

// newKeyedLimiter allows n events per period per key, n at once; n <= 0
// means no limit (nil).
func newKeyedLimiter(n int, period time.Duration) *keyedLimiter {
	if n <= 0 {
		return nil
	}
	buckets, _ := lru.New[string, *rate.Limiter](limiterKeys) // a positive size: no error
	every := period / time.Duration(n)
	return &keyedLimiter{every: rate.Every(every), burst: n, buckets: buckets, retryAfter: every}
}

// allow takes a token of key's bucket, if it has one.
func (l *keyedLimiter) allow(key string) bool {
	if l == nil {
		return true
	}
	b, ok := l.buckets.Get(key)
	if !ok {
		fresh := rate.NewLimiter(l.every, l.burst)
		if prev, found, _ := l.buckets.PeekOrAdd(key, fresh); found {
			b = prev // another request added it first
		} else {
			b = fresh
		}
	}
	return b.Allow()
}

// tooMany is the 429 of a refused request, with its Retry-After.
func (l *keyedLimiter) tooMany(c echo.Context, what string) error {
	secs := max(1, int((l.retryAfter+time.Second-1)/time.Second))
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return echo.NewHTTPError(http.StatusTooManyRequests, "too many "+what+": try again in a moment")
}
