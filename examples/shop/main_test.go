package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clientele/clientele/provider/emailpass"
)

type shopClient struct {
	t *testing.T
	h http.Handler
}

func newShop(t *testing.T) *shopClient {
	s, err := newServices("shop-test-secret-0123456789abcdef", emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return &shopClient{t: t, h: s.routes()}
}

// do sends a request and checks its status; it returns the JSON body.
func (c *shopClient) do(method, path, token, body string, status int) map[string]any {
	c.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	if rec.Code != status {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, rec.Code, status, rec.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		c.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, rec.Body, err)
	}
	return out
}

func TestShop(t *testing.T) {
	c := newShop(t)
	out := c.do("POST", "/signup", "", `{"email":"Ada@Example.com","password":"supersecret","first_name":"Ada"}`, 200)
	tok := out["token"].(string)
	id := out["customer"].(map[string]any)["id"].(string)
	if out["customer"].(map[string]any)["email"] != "ada@example.com" {
		t.Fatalf("signup: %v", out)
	}
	// The same email cannot sign up twice, and nothing needs cleaning up.
	if got := c.do("POST", "/signup", "", `{"email":"ada@example.com","password":"supersecret"}`, 400); got["type"] != "invalid_data" {
		t.Fatalf("second signup: %v", got)
	}
	c.do("POST", "/signup", "", `{"email":"not an email","password":"supersecret"}`, 400)
	c.do("POST", "/signup", "", `not json`, 400)

	// Login gives a token for the same customer.
	login := c.do("POST", "/login", "", `{"email":"ada@example.com","password":"supersecret"}`, 200)
	if me := c.do("GET", "/me", login["token"].(string), "", 200); me["id"] != id || me["first_name"] != "Ada" {
		t.Fatalf("me: %v", me)
	}
	if got := c.do("POST", "/login", "", `{"email":"ada@example.com","password":"wrong password"}`, 401); got["type"] != "unauthorized" {
		t.Fatalf("wrong password: %v", got)
	}

	// The address book is the customer's own.
	a := c.do("POST", "/me/addresses", tok, `{"city":"London","country_code":"GB","postal_code":"SW1Y 4JH","is_default_shipping":true}`, 200)
	if a["customer_id"] != id || a["country_code"] != "gb" {
		t.Fatalf("address: %v", a)
	}
	if got := c.do("POST", "/me/addresses", tok, `{"country_code":"ZZ"}`, 400); !strings.Contains(got["message"].(string), "country_code") {
		t.Fatalf("bad country: %v", got)
	}
	me := c.do("GET", "/me", tok, "", 200)
	if addrs := me["addresses"].([]any); len(addrs) != 1 {
		t.Fatalf("addresses: %v", me)
	}

	// The gates: no token, a bad token, not a member, a member.
	if got := c.do("GET", "/me", "", "", 401); got["message"] != "Unauthorized" {
		t.Fatalf("no token: %v", got)
	}
	c.do("GET", "/me", tok+"x", "", 401)
	if got := c.do("GET", "/vip", tok, "", 403); got["type"] != "forbidden" {
		t.Fatalf("not a member: %v", got)
	}
	c.do("GET", "/vip", "", "", 401)
	c.do("POST", "/vip/join", tok, `{"code":"silver"}`, 400)
	c.do("POST", "/vip/join", tok, `{"code":"gold"}`, 200)
	c.do("POST", "/vip/join", tok, `{"code":"gold"}`, 200) // membership is idempotent
	if got := c.do("GET", "/vip", tok, "", 200); got["offer"] == "" {
		t.Fatalf("vip: %v", got)
	}
	// Another customer is still not a member.
	bob := c.do("POST", "/signup", "", `{"email":"bob@example.com","password":"supersecret"}`, 200)
	c.do("GET", "/vip", bob["token"].(string), "", 403)
}
