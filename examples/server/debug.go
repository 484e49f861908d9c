package main

import (
	"bufio"
	"database/sql"
	"errors"
	"expvar"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The debug listener (DEBUG_ADDR) serves net/http/pprof under
// /debug/pprof/, the Prometheus metrics at /metrics when OTEL has
// prometheus (telemetry.go), and expvar at /debug/vars: Go's "memstats" and "cmdline",
// and these variables, which the soak tool (examples/soak) samples:
//
//	goroutines       runtime.NumGoroutine
//	heap_live_bytes  the heap the last garbage collection found live
//	rss_bytes        the resident set size (Linux; -1 elsewhere)
//	db               database/sql pool statistics (PostgreSQL only; null in memory)

// dbStats reads the pool statistics of the running server's database, or
// is nil.
var dbStats atomic.Pointer[func() sql.DBStats]

var publishOnce sync.Once

// publishVars adds the server's variables to expvar, once per process.
func publishVars() {
	publishOnce.Do(func() {
		expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
		expvar.Publish("heap_live_bytes", expvar.Func(func() any { return heapLive() }))
		expvar.Publish("rss_bytes", expvar.Func(func() any { return rss() }))
		expvar.Publish("db", expvar.Func(func() any {
			if f := dbStats.Load(); f != nil {
				return (*f)()
			}
			return nil
		}))
	})
}

// heapLive returns the bytes of heap the last garbage collection marked
// live: unlike the heap in use, it does not rise with garbage not yet
// collected.
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// rss returns the process's resident set size from /proc/self/status, or
// -1 when it cannot be read.
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return -1
		}
		return kb * 1024
	}
	return -1
}

// debugHandler serves pprof and expvar.
func debugHandler() http.Handler {
	publishVars()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/metrics", serveMetrics) // OTEL=prometheus (telemetry.go)
	return mux
}

// debugListener opens DEBUG_ADDR: a port alone (":6060") listens on
// 127.0.0.1; another host must be a loopback address unless
// DEBUG_ALLOW_REMOTE is true, since profiles and variables reveal the
// process's internals. It returns nil when DEBUG_ADDR is unset.
func debugListener(getenv func(string) string) (net.Listener, error) {
	addr := getenv("DEBUG_ADDR")
	if addr == "" {
		return nil, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("DEBUG_ADDR %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !isTrue(getenv("DEBUG_ALLOW_REMOTE")) && !loopback(host) {
		return nil, fmt.Errorf("DEBUG_ADDR %q: not a loopback address (set DEBUG_ALLOW_REMOTE=true to serve profiles to the network)", addr)
	}
	return net.Listen("tcp", net.JoinHostPort(host, port))
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serveDebug serves the debug handler on ln until stop is called.
func serveDebug(ln net.Listener, logger *slog.Logger) (stop func()) {
	srv := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("debug listener stopped; the API keeps serving", "err", err)
		}
	}()
	return func() {
		_ = srv.Close()
		<-done
	}
}
