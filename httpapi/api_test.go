package httpapi_test

import (
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	cust, _ := e.customer("ada@example.com")
	other, _ := e.customer("grace@example.com")
	admin := e.admin()
	r := e.do("POST", "/store/customers/me/addresses", `{"address_1":"1 Other St","country_code":"fr"}`, other)
	r.want(t, 200, "", "")
	otherAddr := r.obj("customer")["addresses"].([]any)[0].(map[string]any)["id"].(string)

	big := `{"first_name":"` + strings.Repeat("x", 5000) + `"}`
	tests := []struct {
		name, method, path, body, token string
		status                          int
		typ, msg                        string
		bare                            bool
	}{
		{"malformed json store", "POST", "/store/customers/me", `{"first_name":`, cust, 400, "invalid_data", "Invalid JSON in request body", false},
		{"malformed json admin", "POST", "/admin/customers", `{oops}`, admin, 400, "invalid_data", "", false},
		{"malformed json auth", "POST", "/auth/customer/emailpass", `{`, "", 400, "invalid_data", "", false},
		{"not an object", "POST", "/store/customers/me", `[1,2]`, cust, 400, "invalid_data", "", false},
		{"wrong type", "POST", "/store/customers/me", `{"first_name":5}`, cust, 400, "invalid_data", "Invalid request: Expected type: 'string' for field 'first_name', got: '5'", false},
		{"wrong type bool", "POST", "/store/customers/me/addresses", `{"is_default_billing":"yes"}`, cust, 400, "invalid_data", "Invalid request: Expected type: 'boolean' for field 'is_default_billing', got: 'yes'", false},
		{"unknown field email on me", "POST", "/store/customers/me", `{"email":"x@y.z"}`, cust, 400, "invalid_data", "Invalid request: Unrecognized fields: 'email'", false},
		{"unknown fields sorted", "POST", "/store/customers/me", `{"b":1,"a":2}`, cust, 400, "invalid_data", "Invalid request: Unrecognized fields: 'a, b'", false},
		{"customer_id on store address", "POST", "/store/customers/me/addresses", `{"customer_id":"cus_x"}`, cust, 400, "invalid_data", "Invalid request: Unrecognized fields: 'customer_id'", false},
		{"has_account on admin create", "POST", "/admin/customers", `{"has_account":true}`, admin, 400, "invalid_data", "Invalid request: Unrecognized fields: 'has_account'", false},
		{"oversized", "POST", "/store/customers/me", big, cust, 413, "invalid_data", "", false},
		{"no token store", "GET", "/store/customers/me", "", "", 401, "", "Unauthorized", true},
		{"garbage token", "GET", "/store/customers/me", "", "not.a.jwt", 401, "", "Unauthorized", true},
		{"no token admin", "GET", "/admin/customers", "", "", 401, "", "Unauthorized", true},
		{"customer token on admin", "GET", "/admin/customers", "", cust, 401, "", "Unauthorized", true},
		{"admin token on store", "GET", "/store/customers/me", "", admin, 401, "", "Unauthorized", true},
		{"registration token on me", "GET", "/store/customers/me", "", e.register("customer", "new@example.com"), 401, "", "Unauthorized", true},
		{"other customer's address get", "GET", "/store/customers/me/addresses/" + otherAddr, "", cust, 404, "not_found", "Address with id: " + otherAddr + " was not found", false},
		{"other customer's address update", "POST", "/store/customers/me/addresses/" + otherAddr, `{"city":"x"}`, cust, 404, "not_found", "", false},
		{"other customer's address delete", "DELETE", "/store/customers/me/addresses/" + otherAddr, "", cust, 404, "not_found", "", false},
		{"unknown route", "GET", "/nope", "", "", 404, "not_found", "Cannot GET /nope", false},
		{"wrong method", "PUT", "/store/customers/me", "", cust, 404, "not_found", "Cannot PUT /store/customers/me", false},
		{"bad limit", "GET", "/admin/customers?limit=abc", "", admin, 400, "invalid_data", "Invalid request: Expected type: 'number' for field 'limit', got: 'abc'", false},
		{"bad order", "GET", "/admin/customers?order=-nope", "", admin, 400, "invalid_data", "Order field nope is not valid", false},
		{"unknown query param", "GET", "/admin/customers?foo=1", "", admin, 400, "invalid_data", "Invalid request: Unrecognized fields: 'foo'", false},
		{"group without name", "POST", "/admin/customer-groups", `{}`, admin, 400, "invalid_data", "Invalid request: Field 'name' is required", false},
		{"reset without identifier", "POST", "/auth/customer/emailpass/reset-password", `{}`, "", 400, "invalid_data", "Invalid request: Field 'identifier' is required", false},
		{"update without token", "POST", "/auth/customer/emailpass/update", `{"password":"x"}`, "", 401, "unauthorized", "Invalid token", false},
		{"update garbage token", "POST", "/auth/customer/emailpass/update", `{"password":"x"}`, "garbage", 401, "unauthorized", "Invalid token", false},
		{"update with login token", "POST", "/auth/customer/emailpass/update", `{"password":"newpassword1"}`, cust, 401, "unauthorized", "Invalid token", false},
		{"refresh without token", "POST", "/auth/token/refresh", "", "", 401, "", "Unauthorized", true},
		{"session delete with bearer only", "DELETE", "/auth/session", "", cust, 401, "", "Unauthorized", true},
		{"wrong password", "POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"wrongwrong"}`, "", 401, "unauthorized", "Invalid email or password", false},
		{"unknown provider", "POST", "/auth/customer/nope", `{}`, "", 401, "unauthorized", "", false},
		{"account for an email not proved", "POST", "/store/customers", `{"email":"ada@example.com"}`, e.register("customer", "ada2@example.com"), 400, "invalid_data", "The customer's email must be an email this login has proved", false},
		{"store create without email", "POST", "/store/customers", `{}`, e.register("customer", "ada3@example.com"), 400, "invalid_data", "Email is required to create a customer", false},
		{"store create already linked", "POST", "/store/customers", `{"email":"z@example.com"}`, cust, 400, "invalid_data", "Request already authenticated as a customer.", false},
		{"admin unknown customer", "GET", "/admin/customers/cus_nope", "", admin, 404, "not_found", "Customer with id: cus_nope not found", false},
		{"group link unknown group", "POST", "/admin/customer-groups/cusgroup_nope/customers", `{"add":[]}`, admin, 404, "not_found", "You tried to set relationship customer_group_id: cusgroup_nope, but such entity does not exist", false},
		{"link wrong type", "POST", "/admin/customers/cus_x/customer-groups", `{"add":"g"}`, admin, 400, "invalid_data", "Invalid request: Expected type: 'array' for field 'add', got: 'g'", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, tc.token)
			r.want(t, tc.status, tc.typ, tc.msg)
			if tc.bare {
				if _, has := r.body["type"]; has || len(r.body) != 1 {
					t.Fatalf("want a bare {message}, got %s", r.raw)
				}
			}
			if tc.status == 422 && r.body["code"] != "invalid_request_error" {
				t.Fatalf("422 without code: %s", r.raw)
			}
			if strings.Contains(r.raw, "goroutine") || strings.Contains(r.raw, ".go:") {
				t.Fatalf("stack trace in body: %s", r.raw)
			}
		})
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.customer("ada@example.com")
	e.do("GET", "/store/customers/me?token=querysecret", "", tok)
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	logs := e.logs.String()
	for _, secret := range []string{tok, "supersecret", "querysecret", "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "path=/store/customers/me") || !strings.Contains(logs, "status=200") {
		t.Fatalf("request not logged:\n%s", logs)
	}
}

func TestAuthRoutes(t *testing.T) {
	e := newEnv(t)
	reg := e.register("customer", "ada@example.com")
	c, err := e.authS.Verify(t.Context(), reg)
	if err != nil || c.ActorID != "" || c.ActorType != "customer" {
		t.Fatalf("registration token: %+v %v", c, err)
	}
	// Same email, same password before an actor: a login (200).
	e.do("POST", "/auth/customer/emailpass/register", `{"email":"ada@example.com","password":"supersecret"}`, "").want(t, 200, "", "")
	r := e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, reg)
	r.want(t, 200, "", "")
	cusID := r.obj("customer")["id"].(string)
	// Once linked, registering again is a 401.
	e.do("POST", "/auth/customer/emailpass/register", `{"email":"ada@example.com","password":"supersecret"}`, "").
		want(t, 401, "unauthorized", "Identity with email already exists")
	r = e.do("POST", "/auth/token/refresh", "", reg)
	r.want(t, 200, "", "")
	if c, _ := e.authS.Verify(t.Context(), r.str("token")); c.ActorID != cusID {
		t.Fatalf("refreshed actor_id %q, want %s", c.ActorID, cusID)
	}
	r = e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	r.want(t, 200, "", "")
	if c, _ := e.authS.Verify(t.Context(), r.str("token")); c.ActorID != cusID {
		t.Fatalf("login actor_id %q", c.ActorID)
	}
	// A customer's credentials on the user actor: an actorless user token, refused by admin.
	r = e.do("POST", "/auth/user/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	r.want(t, 200, "", "")
	e.do("GET", "/admin/customers", "", r.str("token")).want(t, 401, "", "Unauthorized")

	// Password reset: 201 "Created" for known and unknown identities.
	for _, id := range []string{"ada@example.com", "ghost@example.com"} {
		r = e.do("POST", "/auth/customer/emailpass/reset-password", `{"identifier":"`+id+`"}`, "")
		if r.status != 201 || r.raw != "Created" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Fatalf("reset-password: %d %q %v", r.status, r.raw, r.header)
		}
	}
	resetTok := e.lastResetToken()
	e.do("POST", "/auth/customer/emailpass/update", `{"password":"newpassword1"}`, resetTok).want(t, 200, "", "")
	e.do("POST", "/auth/customer/emailpass/update", `{"password":"newpassword2"}`, resetTok).want(t, 401, "unauthorized", "Invalid token")
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"newpassword1"}`, "").want(t, 200, "", "")
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "").want(t, 401, "unauthorized", "")
}
