// Package server is the HTTP face of the platform: echo routes, thin
// handlers, middleware. Handlers decode, call the domain or storage, and
// render; they keep no state of their own, so replicas can share one database.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/sync/semaphore"

	"github.com/mccollough/mccollough/storage"
)

// Config is what a server needs from its environment.
type Config struct {
	DB     *storage.DB
	Logger *slog.Logger
	// BodyLimit caps request bodies (echo syntax, e.g. "1M").
	BodyLimit string
	// StimulusCacheBytes bounds the in-process cache of rendered stimuli
	// (default 128 MiB: Go's collector lets the heap grow to about twice
	// what is live, so 256 MiB of cached images took a server past 512 MiB
	// under a render flood; BENCHMARKS.md).
	StimulusCacheBytes int
	// Now is the clock that decides when something is due, such as a
	// follow-up retest (default time.Now; tests move it instead of waiting).
	Now func() time.Time
	// TrustedProxies are the networks of the reverse proxies in front of
	// the server: only a request from one of them may say, in
	// X-Forwarded-For and X-Forwarded-Proto, who the client is and that
	// it came over HTTPS. None by default: the peer is the client.
	TrustedProxies []*net.IPNet
	// Limits bound what anonymous clients can make the server do.
	Limits Limits
}

// Limits bound the work anonymous clients can cause (SECURITY.md). A zero
// field takes its default; a negative count turns that limit off.
type Limits struct {
	// RenderSlots is how many stimuli render at once (default: one less
	// than the number of CPUs, at least one, so that a core stays for
	// answers); a render waits at most RenderWait (default 2 s) for a slot,
	// then the request gets 503 with Retry-After.
	RenderSlots int
	RenderWait  time.Duration
	// RendersPerClient is how many uncached stimuli one client may have
	// rendered per minute (default 120, at once too).
	RendersPerClient int
	// SessionsPerClient is how many sessions one client may start per
	// hour (default 60, at once too: a lab behind one address).
	SessionsPerClient int
	// SessionsPerStudy is how many sessions one study may start per
	// minute, over all clients (default 300).
	SessionsPerStudy int
}

func (l Limits) withDefaults() Limits {
	if l.RenderSlots <= 0 {
		l.RenderSlots = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if l.RenderWait <= 0 {
		l.RenderWait = 2 * time.Second
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.RendersPerClient, 120)
	def(&l.SessionsPerClient, 60)
	def(&l.SessionsPerStudy, 300)
	return l
}

// Server is the platform's web server.
type Server struct {
	echo *echo.Echo
	db   *storage.DB
	log  *slog.Logger
	http *http.Server
	pngs *pngCache
	now  func() time.Time
	// renders bounds the stimuli rendered at once (stimuli.go).
	renders     *semaphore.Weighted
	renderWait  time.Duration
	renderLimit *keyedLimiter
	// Session creation per client and per study (participant_api.go).
	clientSessions, studySessions *keyedLimiter
	// seal opens and seals stimulus URLs (seal.go).
	seal sealOnce
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "1M"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor, e.SchemeExtractor = clientExtractors(cfg.TrustedProxies)
	if cfg.StimulusCacheBytes == 0 {
		cfg.StimulusCacheBytes = 128 << 20
	}
	limits := cfg.Limits.withDefaults()
	s := &Server{echo: e, db: cfg.DB, log: cfg.Logger, pngs: newPNGCache(cfg.StimulusCacheBytes), now: cfg.Now,
		renders: semaphore.NewWeighted(int64(limits.RenderSlots)), renderWait: limits.RenderWait,
		renderLimit:    newKeyedLimiter(limits.RendersPerClient, time.Minute),
		clientSessions: newKeyedLimiter(limits.SessionsPerClient, time.Hour),
		studySessions:  newKeyedLimiter(limits.SessionsPerStudy, time.Minute)}
	e.HTTPErrorHandler = s.handleError
	e.Use(requestLogger(cfg.Logger))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true, // the panicking goroutine's stack, not every goroutine's
		// The stack goes with the error to the request logger, which logs
		// the 500 once.
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			return fmt.Errorf("%w\n%s", err, stack)
		},
	}))
	e.Use(securityHeaders()) // HSTS when the scheme is https (SchemeExtractor)
	e.Use(bodyLimit(cfg.BodyLimit))
	e.Use(compressResponses())
	s.routes()
	return s
}

// clientExtractors say who the client is and whether it came over HTTPS:
// the peer and its connection, or, for a request from a trusted proxy, what
// the proxy's X-Forwarded-For (its last untrusted hop) and
// X-Forwarded-Proto say. Forwarding headers from anyone else are ignored,
// so a client cannot pick its own address to dodge a rate limit.
func clientExtractors(proxies []*net.IPNet) (echo.IPExtractor, echo.SchemeExtractor) {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect(), echo.ExtractSchemeDirect()
	}
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		trust = append(trust, echo.TrustIPRange(p))
	}
	return echo.ExtractIPFromXFFHeader(trust...), echo.ExtractSchemeFromHeaders(trust...)
}

func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/", s.home)
	e.GET("/static/*", serveStatic)
	e.GET("/stimuli/:file", s.stimulusPNG)
	// The editors' previews render any spec: for researchers only.
	e.GET("/api/v1/stimuli/preview", s.stimulusPreview, s.authenticate, requireResearcher)
	s.participantRoutes()
	s.researcherRoutes()
}

// Routes lists the registered routes (the API documentation test checks
// each is documented).
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

// ServeHTTP lets tests drive the server without a socket.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Serve answers requests on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.http = &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      10 * time.Minute, // exports stream large files
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}
