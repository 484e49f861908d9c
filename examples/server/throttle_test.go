package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func buildFor(t *testing.T, env map[string]string) http.Handler {
	t.Helper()
	env["JWT_SECRET"] = "server-test-secret-0123456789abcdef"
	h, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return h
}

func post(h http.Handler, remote, path, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.RemoteAddr = remote
	req.Header.Set("Content-Type", "application/json")
	for _, x := range hdr {
		k, v, _ := strings.Cut(x, ": ")
		req.Header.Add(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestThrottleOnByDefault: 30 wrong passwords in a row no longer end with
// the right one working at once.
func TestThrottleOnByDefault(t *testing.T) {
	h := buildFor(t, map[string]string{})
	const remote = "192.0.2.10:5000"
	if rec := post(h, remote, "/auth/customer/emailpass/register", `{"email":"ada@example.com","password":"supersecret"}`); rec.Code != 200 {
		t.Fatalf("register: %d %s", rec.Code, rec.Body)
	}
	codes := map[int]int{}
	for range 30 {
		codes[post(h, remote, "/auth/customer/emailpass", `{"email":"ada@example.com","password":"wrong-password"}`).Code]++
	}
	if codes[401] < 6 || codes[429] == 0 || codes[401]+codes[429] != 30 {
		t.Fatalf("30 wrong passwords answered %v", codes)
	}
	rec := post(h, remote, "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`)
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"Too many attempts. Try again later."`) {
		t.Fatalf("right password after the guesses: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

func TestThrottleOff(t *testing.T) {
	h := buildFor(t, map[string]string{"THROTTLE": "off"})
	const remote = "192.0.2.10:5000"
	post(h, remote, "/auth/customer/emailpass/register", `{"email":"ada@example.com","password":"supersecret"}`)
	for range 7 {
		post(h, remote, "/auth/customer/emailpass", `{"email":"ada@example.com","password":"wrong-password"}`)
	}
	if rec := post(h, remote, "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`); rec.Code != 200 {
		t.Fatalf("THROTTLE=off: %d %s", rec.Code, rec.Body)
	}
}

func TestTrustedProxies(t *testing.T) {
	h := buildFor(t, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"})
	reg := func(remote, email string, xff string) int {
		return post(h, remote, "/auth/customer/emailpass/register", `{"email":"`+email+`","password":"supersecret"}`, "X-Forwarded-For: "+xff).Code
	}
	for i := range 10 {
		if c := reg("192.0.2.1:1", "u"+string(rune('a'+i))+"@example.com", "198.51.100."+string(rune('1'+i%9))+", 203.0.113.4"); c != 200 {
			t.Fatalf("registration %d: %d", i, c)
		}
	}
	if c := reg("10.1.2.3:1", "late@example.com", "6.6.6.6, 203.0.113.4"); c != 429 {
		t.Fatalf("eleventh registration from 203.0.113.4 behind the proxies: %d", c)
	}
	if c := reg("10.1.2.3:1", "other@example.com", "203.0.113.5"); c != 200 {
		t.Fatalf("another client: %d", c)
	}
	_, _, err := build(t.Context(), func(k string) string {
		return map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") {
		t.Fatalf("a bad TRUSTED_PROXIES: %v", err)
	}
}
