package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestAuthMethodsPerActor: AUTH_METHODS_PER_ACTOR, in the shape of
// Medusa's http.authMethodsPerActor, decides what GET
// /auth/{actor_type}/providers lists and which logins are allowed.
func TestAuthMethodsPerActor(t *testing.T) {
	env := map[string]string{
		"JWT_SECRET": "server-test-secret-0123456789abcdef", "THROTTLE": "off", "OIDC_FAKE": "true",
		"OIDC_CALLBACK_URL":      "http://127.0.0.1:9000/auth/customer/oidc/callback",
		"AUTH_METHODS_PER_ACTOR": `{"user": ["emailpass"], "customer": null}`,
	}
	h, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	srv := httptest.NewServer(h)
	defer srv.Close()
	list := func(actor string) []string {
		t.Helper()
		res, err := http.Get(srv.URL + "/auth/" + actor + "/providers")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ Providers []struct{ ID string } }
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %v", actor, res.StatusCode, err)
		}
		var ids []string
		for _, p := range body.Providers {
			ids = append(ids, p.ID)
		}
		return ids
	}
	if got := list("user"); !slices.Equal(got, []string{"emailpass"}) {
		t.Fatalf("user: %q", got)
	}
	if got := list("customer"); !slices.Equal(got, []string{"emailpass", "oidc"}) {
		t.Fatalf("customer: %q", got)
	}
	res, err := http.Post(srv.URL+"/auth/user/oidc", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("user login through oidc: %d", res.StatusCode)
	}
}

// TestBadAuthMethodsPerActor: a malformed AUTH_METHODS_PER_ACTOR, or one
// naming an unknown actor type or provider, stops the server at start.
func TestBadAuthMethodsPerActor(t *testing.T) {
	for v, want := range map[string]string{
		`["emailpass"]`:                   "want a JSON object",
		`{"user": "emailpass"}`:           "want a JSON object",
		`{"user": ["emailpass"]} x`:       "want a JSON object",
		`{"user": [1]}`:                   "want a JSON object",
		`{"seller": ["emailpass"]}`:       `unknown actor type "seller"`,
		`{"user": ["emailpass", "okta"]}`: `user: provider "okta" is not configured (configured: emailpass)`,
		`null`:                            "want a JSON object",
	} {
		getenv := func(k string) string {
			if k == "AUTH_METHODS_PER_ACTOR" {
				return v
			}
			return ""
		}
		_, cleanup, err := build(t.Context(), getenv, slog.New(slog.DiscardHandler))
		if cleanup != nil {
			cleanup()
		}
		if err == nil || !strings.Contains(err.Error(), "AUTH_METHODS_PER_ACTOR") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", v, err)
		}
	}
}
