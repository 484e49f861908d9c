package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMagicLink logs in by a mailed code with MAGIC_LINK=register, the
// mail read from the development notifier's file, with the link's token
// in its query or, for a MAGIC_LINK_URL ending in "#", its fragment.
func TestMagicLink(t *testing.T) {
	t.Run("Query", func(t *testing.T) {
		testMagicLink(t, "https://shop.example/login?from=mail", func(token string) string {
			return "https://shop.example/login?" + url.Values{"from": {"mail"}, "token": {token}}.Encode()
		})
	})
	t.Run("Fragment", func(t *testing.T) {
		testMagicLink(t, "https://shop.example/login?from=mail#", func(token string) string {
			return "https://shop.example/login?from=mail#token=" + token
		})
	})
}

func testMagicLink(t *testing.T, linkURL string, wantLink func(token string) string) {
	events := filepath.Join(t.TempDir(), "events.jsonl")
	env := map[string]string{
		"JWT_SECRET": "server-test-secret-0123456789abcdef", "EVENTS_FILE": events,
		"MAGIC_LINK": "register", "MAGIC_LINK_URL": linkURL,
	}
	h, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(path, body string, cookies []*http.Cookie) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res, out
	}
	res, start := post("/auth/customer/magiclink/request", `{"email":"ada@example.com"}`, nil)
	if res.StatusCode != 200 || start["flow"] == nil {
		t.Fatalf("request: %d %v", res.StatusCode, start)
	}
	var data map[string]any
	for deadline := time.Now().Add(5 * time.Second); data == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		data = lastEvent(t, events, "auth.login_email")
	}
	if data == nil {
		t.Fatal("no auth.login_email event")
	}
	want := wantLink(data["token"].(string))
	if link, _ := data["link"].(string); link != want {
		t.Fatalf("link %q", link)
	}
	res, out := post("/auth/customer/magiclink/callback", `{"flow":"`+start["flow"].(string)+`","code":"`+data["code"].(string)+`"}`, res.Cookies())
	if res.StatusCode != 200 || out["token"] == nil {
		t.Fatalf("callback: %d %v", res.StatusCode, out)
	}
}

// TestMagicLinkConfig checks that a bad MAGIC_LINK or MAGIC_LINK_URL stops
// the server at start.
func TestMagicLinkConfig(t *testing.T) {
	for _, env := range []map[string]string{
		{"MAGIC_LINK": "yes"},
		{"MAGIC_LINK": "on", "MAGIC_LINK_URL": "/login"},
		{"MAGIC_LINK": "on", "MAGIC_LINK_URL": "ftp://x/login"},
		{"MAGIC_LINK": "on", "MAGIC_LINK_URL": "https://shop.example/login#top"},
		{"MAGIC_LINK": "on", "MAGIC_LINK_URL": "#"},
	} {
		_, _, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), "MAGIC_LINK") {
			t.Errorf("%v: %v", env, err)
		}
	}
}

// lastEvent returns the data of the last event called name in the events
// file, or nil.
func lastEvent(t *testing.T, path, name string) map[string]any {
	t.Helper()
	var out map[string]any
	for _, e := range eventLines(t, path) {
		if e.Name == name {
			out = e.Data
		}
	}
	return out
}
