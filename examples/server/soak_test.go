package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele/internal/soak"
)

// syncBuffer is a bytes.Buffer that a logger and a test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs the server in process with env and returns the API's
// base URL, the debug listener's (read from the log; "" when it has none)
// and a function that stops it.
func startServer(t *testing.T, env map[string]string) (base, debug string, stop func()) {
	t.Helper()
	s := launch(t, env)
	base, debug = s.ready(t)
	return base, debug, func() { s.stop(t) }
}

// server is one server run in process by launch.
type server struct {
	ln     net.Listener
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan struct{} // closed when run has returned err
	err    error
	once   sync.Once // stop reports err once
}

// launch starts the server in process with env, as main does, on a
// listener of its own; ready waits until it serves. Several launched
// together start at once (their migrations, their admin) as instances of
// one deployment do.
func launch(t *testing.T, env map[string]string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln, logs: &syncBuffer{}, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.err = run(ctx, ln, func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(s.logs, nil)))
	}()
	return s
}

// ready waits until s serves and returns its base URL and its debug
// listener's ("" when it has none).
func (s *server) ready(t *testing.T) (base, debug string) {
	t.Helper()
	addr := regexp.MustCompile(`msg="debug listener: pprof and expvar" addr=(\S+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-s.done:
			t.Fatalf("the server stopped at start: %v\n%s", s.err, s.logs.String())
		default:
		}
		out := s.logs.String()
		if m := addr.FindStringSubmatch(out); m != nil {
			debug = "http://" + m[1]
		}
		if strings.Contains(out, `msg=listening`) {
			return "http://" + s.ln.Addr().String(), debug
		}
	}
	s.stop(t)
	t.Fatalf("the server did not start: %s", s.logs.String())
	return "", ""
}

// stop shuts s down gracefully and waits until it is done; it may be
// called again.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	<-s.done
	s.once.Do(func() {
		if s.err != nil {
			t.Errorf("server: %v", s.err)
		}
	})
}

var soakEnv = map[string]string{
	"JWT_SECRET": "server-test-secret-0123456789abcdef", "ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": "supersecret",
	"TRUSTED_PROXIES": "127.0.0.1", "SCRYPT_LOG_N": "4", "DEBUG_ADDR": "127.0.0.1:0",
}

// TestSoakShort runs the soak tool for a few seconds against the server in
// memory: every answer is one the traffic expects, the samples come from
// the debug listener, and the verdict is given.
func TestSoakShort(t *testing.T) {
	base, debug, stop := startServer(t, soakEnv)
	defer stop()
	if debug == "" {
		t.Fatal("DEBUG_ADDR is set and the server logged no debug listener")
	}
	var table bytes.Buffer
	rep, err := soak.Run(t.Context(), soak.Config{
		BaseURL: base, DebugURL: debug, Concurrency: 3, Duration: 4 * time.Second, Interval: 400 * time.Millisecond,
		AdminEmail: "admin@example.com", AdminPassword: "supersecret", Log: &table,
		// A few seconds of a fresh process: its heap is still settling.
		Tolerance: soak.Tolerance{HeapBytesPerMin: 64 << 20, GoroutinesPerMin: 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Write(&out)
	t.Log("\n" + out.String())
	if rep.Unexpected != 0 {
		t.Fatalf("%d unexpected answers", rep.Unexpected)
	}
	if !rep.Judged || !rep.OK() {
		t.Fatalf("verdict: judged %v, growth %v", rep.Judged, rep.Growth)
	}
	if rep.Requests < 50 || len(rep.Samples) < 6 {
		t.Fatalf("%d requests and %d samples in a few seconds", rep.Requests, len(rep.Samples))
	}
	for _, op := range []string{"register", "login", "me", "update_profile", "add_address", "admin_list", "refresh", "logout", "wrong_password", "reset_request"} {
		if rep.Answers[op]["ok"] == 0 {
			t.Errorf("no %s answered as expected: %v", op, rep.Answers[op])
		}
	}
	if rep.Answers["wrong_password"]["limited"] == 0 {
		t.Errorf("no wrong password met the throttle: %v", rep.Answers["wrong_password"])
	}
	for _, s := range rep.Samples {
		if s.Goroutines <= 0 || s.HeapLive <= 0 || s.HeapInuse <= 0 || s.DBOpen != -1 {
			t.Fatalf("sample %+v: want goroutines and heap, and no database in memory", s)
		}
	}
	if !strings.Contains(table.String(), "heap_live_MiB") {
		t.Fatalf("no table printed as the run went: %q", table.String())
	}
}

// TestDebugListener: off unless DEBUG_ADDR is set, loopback only unless
// allowed, and it serves pprof and the variables.
func TestDebugListener(t *testing.T) {
	env := map[string]string{"JWT_SECRET": "server-test-secret-0123456789abcdef"}
	_, debug, stop := startServer(t, env)
	stop()
	if debug != "" {
		t.Fatalf("a debug listener at %s without DEBUG_ADDR", debug)
	}
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", "example.com:0"} {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		err := run(context.Background(), ln, func(k string) string {
			return map[string]string{"DEBUG_ADDR": addr}[k]
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Fatalf("DEBUG_ADDR=%s: %v, want a refusal", addr, err)
		}
	}
	_, debug, stop = startServer(t, soakEnv)
	defer stop()
	res, err := http.Get(debug + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	var vars map[string]any
	err = json.NewDecoder(res.Body).Decode(&vars)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"goroutines", "heap_live_bytes", "rss_bytes", "memstats", "db"} {
		if _, ok := vars[k]; !ok {
			t.Errorf("/debug/vars has no %q", k)
		}
	}
	if g, _ := vars["goroutines"].(float64); g < 1 {
		t.Errorf("goroutines %v", vars["goroutines"])
	}
	res, err = http.Get(debug + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("pprof: %d %.100s", res.StatusCode, body)
	}
}
