package main

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAddressRequireComplete: ADDRESS_REQUIRE_COMPLETE=true makes the
// address routes refuse incomplete addresses; a value other than true or
// false stops the server at start.
func TestAddressRequireComplete(t *testing.T) {
	for _, tc := range []struct {
		value  string
		status int
	}{{"", 200}, {"false", 200}, {"true", 400}} {
		env := map[string]string{"JWT_SECRET": "server-test-secret-0123456789abcdef", "THROTTLE": "off", "ADDRESS_REQUIRE_COMPLETE": tc.value}
		h, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		call := func(path, body, token string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		token := func(rec *httptest.ResponseRecorder) string {
			_, rest, _ := strings.Cut(rec.Body.String(), `"token":"`)
			tok, _, _ := strings.Cut(rest, `"`)
			return tok
		}
		reg := token(call("/auth/customer/emailpass/register", `{"email":"ada@example.com","password":"supersecret"}`, ""))
		if rec := call("/store/customers", `{"email":"ada@example.com"}`, reg); rec.Code != 200 {
			t.Fatalf("create customer: %d %s", rec.Code, rec.Body)
		}
		tok := token(call("/auth/token/refresh", "", reg))
		rec := call("/store/customers/me/addresses", `{"city":"Paris"}`, tok)
		if rec.Code != tc.status {
			t.Errorf("ADDRESS_REQUIRE_COMPLETE=%q: an address with a city only answered %d %s", tc.value, rec.Code, rec.Body)
		}
		cleanup()
	}
	getenv := func(k string) string {
		if k == "ADDRESS_REQUIRE_COMPLETE" {
			return "yes"
		}
		return ""
	}
	_, cleanup, err := build(t.Context(), getenv, slog.New(slog.DiscardHandler))
	if cleanup != nil {
		cleanup()
	}
	if err == nil || !strings.Contains(err.Error(), "ADDRESS_REQUIRE_COMPLETE") {
		t.Errorf("ADDRESS_REQUIRE_COMPLETE=yes: %v", err)
	}
}
