package httpapi_test

import (
	"strings"
	"testing"
)

func TestAdminExportAndErase(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	tok, id := e.customer("ada@example.com")
	e.do("POST", "/store/customers/me/addresses", `{"first_name":"Ada","address_1":"12 St James's Square","city":"London","country_code":"gb","postal_code":"SW1Y 4JH","phone":"+44 20 7946 0001"}`, tok).want(t, 200, "", "")

	// Only an admin reaches them.
	e.do("GET", "/admin/customers/"+id+"/export", "", tok).want(t, 401, "", "Unauthorized")
	e.do("POST", "/admin/customers/"+id+"/erase", "", tok).want(t, 401, "", "Unauthorized")
	e.do("GET", "/admin/customers/"+id+"/export", "", "").want(t, 401, "", "Unauthorized")

	r := e.do("GET", "/admin/customers/"+id+"/export", "", admin)
	r.want(t, 200, "", "")
	c := r.obj("customer")
	if c["email"] != "ada@example.com" || len(c["addresses"].([]any)) != 1 {
		t.Fatalf("exported customer %s", r.raw)
	}
	ids, _ := r.body["auth_identities"].([]any)
	if len(ids) != 1 {
		t.Fatalf("exported identities %s", r.raw)
	}
	for _, secret := range []string{"scrypt", "password", "provider_metadata", "token_hash"} {
		if strings.Contains(r.raw, secret) {
			t.Fatalf("export holds %q: %s", secret, r.raw)
		}
	}

	for range 2 { // a second erasure answers the same
		r = e.do("POST", "/admin/customers/"+id+"/erase", "", admin)
		r.want(t, 200, "", "")
		if r.body["id"] != id || r.body["object"] != "customer" || r.body["erased"] != true {
			t.Fatalf("erase answered %s", r.raw)
		}
	}
	r = e.do("GET", "/admin/customers/"+id+"?fields=*addresses", "", admin)
	r.want(t, 200, "", "")
	c = r.obj("customer")
	if c["email"] != nil || c["first_name"] != nil {
		t.Fatalf("erased customer %s", r.raw)
	}
	addr := c["addresses"].([]any)[0].(map[string]any)
	if addr["address_1"] != nil || addr["city"] != nil || addr["phone"] != nil {
		t.Fatalf("erased address %s", r.raw)
	}
	// The customer's token and login are gone; the email can register again.
	e.do("GET", "/store/customers/me", "", tok).want(t, 401, "", "")
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "").want(t, 401, "", "")
	e.register("customer", "ada@example.com")

	r = e.do("GET", "/admin/customers/"+id+"/export", "", admin)
	r.want(t, 200, "", "")
	if ids, _ := r.body["auth_identities"].([]any); len(ids) != 0 {
		t.Fatalf("export after erasure %s", r.raw)
	}

	e.do("GET", "/admin/customers/cus_nope/export", "", admin).want(t, 404, "not_found", "Customer with id: cus_nope not found")
	e.do("POST", "/admin/customers/cus_nope/erase", "", admin).want(t, 404, "not_found", "Customer with id: cus_nope not found")
}
