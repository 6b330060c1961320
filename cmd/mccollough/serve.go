package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/server"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet("serve", "Serve the platform. With no DATABASE_URL it runs its own PostgreSQL in the data folder;\n"+
		"several replicas may share one DATABASE_URL (or one data folder on one machine).", env)
	var db dbFlags
	db.register(fs, env)
	addr := fs.String("addr", envOr(env, "ADDR", ":8080"), "`address` to listen on (env ADDR)")
	demo := fs.Bool("demo", true, "publish the built-in studies 'classic' and 'circles-crosses' as open demos if their slugs are free")
	pprofAddr := fs.String("pprof", "", "serve Go's profiler (net/http/pprof) on this loopback `address`, e.g. 127.0.0.1:6060 (off by default)")
	workers := fs.Int("workers", 1, "observer runs this replica works on at once (0: none; queued runs wait for a replica that has workers)")
	var limits serverLimits
	limits.register(fs, env)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	proxies, err := limits.trustedProxies()
	if err != nil {
		return err
	}
	log, err := db.logger(env)
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		if err := startProfiler(*pprofAddr); err != nil {
			return err
		}
	}
	// Listen first: a port in use is reported before any database work.
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return listenError(*addr, err)
	}
	defer l.Close()

	d, err := db.openDatabase(ctx, log)
	if err != nil {
		return err
	}
	defer d.Close()

	if *demo {
		n, err := d.EnsureDemoStudies(ctx, experiments.Builtins())
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("published demo studies", "count", n, "links", "/s/classic, /s/circles-crosses")
		}
	}

	// Workers stop (deferred last, so first), then are waited for, before
	// the database closes.
	var running sync.WaitGroup
	defer running.Wait()
	workCtx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	for i := range *workers {
		w := &observerWorker{db: d.DB, log: log, name: fmt.Sprintf("worker-%d", i), cfg: convnet.DefaultTrainConfig()}
		running.Go(func() { w.loop(workCtx) })
	}

	srv := server.New(server.Config{DB: d.DB, Logger: log, TrustedProxies: proxies, Limits: limits.limits()})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	log.Info("serving", "url", "http://"+displayAddr(l.Addr()))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	return <-served
}

func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: the port is already in use (is another server running? choose another with --addr)", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s: permission denied (ports below 1024 need privileges; try --addr :8080)", addr)
	}
	return fmt.Errorf("cannot listen on %s: %v", addr, err)
}

// displayAddr turns ":8080" into "localhost:8080" for the log line.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() || tcp.IP.IsLoopback() {
		if ok {
			return fmt.Sprintf("localhost:%d", tcp.Port)
		}
	}
	return a.String()
}

// startProfiler serves net/http/pprof on its own listener, never on the
// public address.
func startProfiler(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Sprintf("--pprof %q: %v", addr, err)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{fmt.Sprintf("--pprof %q: the profiler is served on loopback addresses only", addr)}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { _ = http.Serve(l, mux) }()
	return nil
}
