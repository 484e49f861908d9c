package main

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAuditConfig checks that bad audit settings stop the server at start
// with the variable's name.
func TestAuditConfig(t *testing.T) {
	for name, v := range map[string]string{"AUDIT_IP": "half", "AUDIT_RETENTION": "soon", "AUDIT_USER_AGENT_LENGTH": "lots"} {
		getenv := func(k string) string {
			if k == name {
				return v
			}
			return ""
		}
		_, cleanup, err := build(t.Context(), getenv, slog.New(slog.DiscardHandler))
		if cleanup != nil {
			cleanup()
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
}

// TestAuditRoute: the server records a failed login with the client's
// network (AUDIT_IP=network) and an admin reads it.
func TestAuditRoute(t *testing.T) {
	env := map[string]string{"JWT_SECRET": "server-test-secret-0123456789abcdef", "ADMIN_EMAIL": "admin@example.com",
		"ADMIN_PASSWORD": "supersecret", "AUDIT_IP": "network", "AUDIT_RETENTION": "720h"}
	h, cleanup, err := build(t.Context(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	call := func(method, path, body, token string) map[string]any {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.RemoteAddr = "198.51.100.23:4000"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "audit-test")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		_ = json.NewDecoder(rec.Body).Decode(&out)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %v", method, path, rec.Code, out)
		}
		return out
	}
	reg, _ := call("POST", "/auth/customer/emailpass/register", `{"email":"ada@example.com","password":"supersecret"}`, "")["token"].(string)
	c, _ := call("POST", "/store/customers", `{"email":"ada@example.com"}`, reg)["customer"].(map[string]any)
	id, _ := c["id"].(string)
	call("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"wrong"}`, "")
	admin, _ := call("POST", "/auth/user/emailpass", `{"email":"admin@example.com","password":"supersecret"}`, "")["token"].(string)
	if id == "" || admin == "" {
		t.Fatal("no customer or admin")
	}
	var entries []any
	for range 500 { // the failure is written after its answer
		entries, _ = call("GET", "/admin/customers/"+id+"/audit?action=auth.login", "", admin)["audit_entries"].([]any)
		if len(entries) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(entries) != 1 {
		t.Fatalf("entries %v", entries)
	}
	x := entries[0].(map[string]any)
	if x["outcome"] != "failure" || x["reason"] != "invalid_credentials" || x["ip"] != "198.51.100.0/24" || x["user_agent"] != "audit-test" {
		t.Fatalf("entry %v", x)
	}
}
