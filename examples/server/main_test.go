package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/store"
)

func TestServer(t *testing.T) {
	t.Run("AfterCommit", func(t *testing.T) { testServer(t, "") })
	// With the outbox, events carry their id and arrive all the same.
	t.Run("Outbox", func(t *testing.T) {
		testServer(t, "k1:"+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	})
}

// TestBadOutboxKey checks that a malformed OUTBOX_KEY stops the server at
// start, without showing the key.
func TestBadOutboxKey(t *testing.T) {
	for _, v := range []string{"nokey", "k1:c2hvcnQ=", "k1:!!!"} {
		getenv := func(k string) string {
			if k == "OUTBOX_KEY" {
				return v
			}
			return ""
		}
		_, _, err := build(t.Context(), getenv, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), "OUTBOX_KEY") || strings.Contains(err.Error(), "c2hvcnQ") {
			t.Errorf("OUTBOX_KEY=%q: %v", v, err)
		}
	}
}

func testServer(t *testing.T, outboxKey string) {
	events := filepath.Join(t.TempDir(), "events.jsonl")
	env := map[string]string{
		"JWT_SECRET": "server-test-secret-0123456789abcdef", "EVENTS_FILE": events,
		"ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": "supersecret", "STORE_CORS": "http://shop.test",
		"OUTBOX_KEY": outboxKey,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, ln, func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	base := "http://" + ln.Addr().String()

	call := func(method, path, body, token string, hdr ...string) (int, map[string]any, http.Header) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for _, h := range hdr {
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out, res.Header
	}

	var status int
	for i := 0; i < 50; i++ {
		if res, err := http.Get(base + "/health"); err == nil {
			status = res.StatusCode
			res.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status != 200 {
		t.Fatalf("health: %d", status)
	}

	st, out, _ := call("POST", "/auth/customer/emailpass/register", `{"email":"ada@example.com","password":"supersecret"}`, "")
	if st != 200 {
		t.Fatalf("register: %d %v", st, out)
	}
	reg := out["token"].(string)
	if st, out, _ = call("POST", "/store/customers", `{"email":"ada@example.com"}`, reg); st != 200 {
		t.Fatalf("create customer: %d %v", st, out)
	}
	_, out, _ = call("POST", "/auth/token/refresh", "", reg)
	tok := out["token"].(string)
	st, out, hdr := call("GET", "/store/customers/me", "", tok, "Origin: http://shop.test")
	if st != 200 || out["customer"].(map[string]any)["email"] != "ada@example.com" || hdr.Get("Access-Control-Allow-Origin") != "http://shop.test" {
		t.Fatalf("me: %d %v %v", st, out, hdr)
	}

	_, out, _ = call("POST", "/auth/user/emailpass", `{"email":"admin@example.com","password":"supersecret"}`, "")
	admin, _ := out["token"].(string)
	if st, out, _ = call("GET", "/admin/customers?q=ada", "", admin); st != 200 || out["count"] != float64(1) {
		t.Fatalf("admin list: %d %v", st, out)
	}
	if st, _, _ = call("GET", "/admin/customers", "", tok); st != 401 {
		t.Fatalf("customer on admin: %d", st)
	}

	// The development notifier: the reset token is in the events file.
	req, _ := http.NewRequest("POST", base+"/auth/customer/emailpass/reset-password", strings.NewReader(`{"identifier":"ada@example.com"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("reset-password: %v %v", res, err)
	}
	res.Body.Close()
	// The reset event is delivered after the answer: wait for it.
	var resetTok string
	var names []string
	for deadline := time.Now().Add(5 * time.Second); resetTok == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resetTok, names = readEvents(t, events)
	}
	if resetTok == "" || !strings.Contains(strings.Join(names, " "), "customer.created") {
		t.Fatalf("events: %v", names)
	}
	if outboxKey != "" {
		for _, d := range readDeliveries(t, events) {
			if !strings.HasPrefix(d.ID, "evt_") {
				t.Fatalf("event %s with outbox id %q", d.Name, d.ID)
			}
		}
	}
	if st, out, _ = call("POST", "/auth/customer/emailpass/update", `{"password":"newpassword1"}`, resetTok); st != 200 || out["success"] != true {
		t.Fatalf("update: %d %v", st, out)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no graceful shutdown")
	}
}

// readEvents reads the events file: the names of its events and the token
// of the last auth.password_reset.
func readEvents(t *testing.T, path string) (resetTok string, names []string) {
	t.Helper()
	for _, e := range eventLines(t, path) {
		names = append(names, e.Name)
		if e.Name == "auth.password_reset" {
			resetTok, _ = e.Data["token"].(string)
		}
	}
	return resetTok, names
}

// delivery is a line of the events file.
type delivery struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	Data map[string]any `json:"data"`
}

// eventLines reads the events file's complete lines: the file starts
// empty, and a line being written, without its newline yet, is left for
// the next read.
func eventLines(t *testing.T, path string) []delivery {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []delivery
	for line := range strings.Lines(string(b)) {
		if !strings.HasSuffix(line, "\n") {
			break
		}
		var d delivery
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("events line %q: %v", line, err)
		}
		out = append(out, d)
	}
	return out
}

// TestBadDurations checks that a malformed duration in the environment
// stops the server at start with the variable's name.
func TestBadDurations(t *testing.T) {
	for _, name := range []string{"SESSION_IDLE_TIMEOUT", "MAX_LOGIN_AGE"} {
		getenv := func(k string) string {
			if k == name {
				return "soon"
			}
			return ""
		}
		_, cleanup, err := build(t.Context(), getenv, slog.New(slog.DiscardHandler))
		if cleanup != nil {
			cleanup()
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=soon: %v", name, err)
		}
	}
}

// TestReplicaNeedsDatabase checks that DATABASE_REPLICA_URL without
// DATABASE_URL stops the server at start instead of being ignored.
func TestReplicaNeedsDatabase(t *testing.T) {
	getenv := func(k string) string {
		if k == "DATABASE_REPLICA_URL" {
			return "postgres://replica.invalid/shop"
		}
		return ""
	}
	_, cleanup, err := build(t.Context(), getenv, slog.New(slog.DiscardHandler))
	if cleanup != nil {
		cleanup()
	}
	if err == nil || !strings.Contains(err.Error(), "DATABASE_REPLICA_URL") {
		t.Errorf("DATABASE_REPLICA_URL alone: %v", err)
	}
}

func TestListCounts(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		mode     store.CountMode
		limit    int
		wantFail string
	}{
		{env: map[string]string{}, mode: store.CountExact},
		{env: map[string]string{"LIST_COUNT": "estimated"}, mode: store.CountEstimated},
		{env: map[string]string{"LIST_COUNT": "capped", "LIST_COUNT_CAP": "500"}, mode: store.CountCapped, limit: 500},
		{env: map[string]string{"LIST_COUNT": "Exact"}, wantFail: "LIST_COUNT"},
		{env: map[string]string{"LIST_COUNT": "roughly"}, wantFail: "LIST_COUNT"},
		{env: map[string]string{"LIST_COUNT_CAP": "0"}, wantFail: "LIST_COUNT_CAP"},
		{env: map[string]string{"LIST_COUNT_CAP": "ten"}, wantFail: "LIST_COUNT_CAP"},
	} {
		getenv := func(k string) string { return tc.env[k] }
		mode, limit, err := listCounts(getenv)
		if tc.wantFail != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantFail) {
				t.Errorf("%v: err %v, want one naming %s", tc.env, err, tc.wantFail)
			}
			// The server refuses to start with it.
			_, cleanup, err := build(t.Context(), getenv, slog.New(slog.DiscardHandler))
			if cleanup != nil {
				cleanup()
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantFail) {
				t.Errorf("%v: build: %v", tc.env, err)
			}
			continue
		}
		if err != nil || mode != tc.mode || limit != tc.limit {
			t.Errorf("%v: %v, %d, %v; want %v, %d", tc.env, mode, limit, err, tc.mode, tc.limit)
		}
	}
}
