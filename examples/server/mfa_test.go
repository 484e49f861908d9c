package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// AUTH_MFA_ENCRYPTION_KEY turns MFA enrolment on; without it TOTP answers
// Medusa's "MFA encryption key is required to use MFA methods".
func TestMFAEncryptionKey(t *testing.T) {
	for _, tc := range []struct {
		key    string
		status int
		msg    string
	}{
		{"an MFA encryption key for the example server", 200, ""},
		{"", 400, "MFA encryption key is required to use MFA methods"},
	} {
		env := map[string]string{"JWT_SECRET": "server-test-secret-0123456789abcdef", "AUTH_MFA_ENCRYPTION_KEY": tc.key, "THROTTLE": "off"}
		h, cleanup, err := build(context.Background(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		call := func(path, body, token string) (int, map[string]any) {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var out map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			return rec.Code, out
		}
		st, out := call("/auth/customer/emailpass/register", `{"email":"ada@example.com","password":"supersecret"}`, "")
		if st != http.StatusOK {
			t.Fatalf("register: %d %v", st, out)
		}
		st, out = call("/auth/mfa/factors", `{"provider":"totp"}`, out["token"].(string))
		if st != tc.status || (tc.msg != "" && out["message"] != tc.msg) || (tc.msg == "" && out["secret"] == nil) {
			t.Fatalf("key %q: %d %v", tc.key, st, out)
		}
		cleanup()
	}
}
