package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPasskeyConfig: WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS turn passkeys on;
// the relying party id without origins stops the server at start.
func TestPasskeyConfig(t *testing.T) {
	env := map[string]string{"JWT_SECRET": "server-test-secret-0123456789abcdef", "THROTTLE": "off", "WEBAUTHN_RP_ID": "shop.example.com"}
	_, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	if cleanup != nil {
		cleanup()
	}
	if err == nil || !strings.Contains(err.Error(), "WEBAUTHN_ORIGINS") {
		t.Fatalf("WEBAUTHN_RP_ID without origins: %v", err)
	}

	env["WEBAUTHN_ORIGINS"] = "https://shop.example.com, https://www.shop.example.com"
	h, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Post(srv.URL+"/auth/customer/passkey/begin", "application/json", strings.NewReader(`{"ceremony":"login"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		PublicKey struct {
			RPID      string `json:"rpId"`
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 {
		t.Fatalf("begin: %d %v", res.StatusCode, err)
	}
	if body.PublicKey.RPID != "shop.example.com" || body.PublicKey.Challenge == "" {
		t.Fatalf("options: %+v", body.PublicKey)
	}
}
