package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/provider"
)

func addrs(r resp) []map[string]any {
	var out []map[string]any
	for _, a := range r.obj("customer")["addresses"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func TestStoreCustomerRoutes(t *testing.T) {
	e := newEnv(t)
	tok, id := e.customer("ada@example.com")

	r := e.do("GET", "/store/customers/me", "", tok)
	r.want(t, 200, "", "")
	c := r.obj("customer")
	if c["id"] != id || c["email"] != "ada@example.com" || c["has_account"] != true {
		t.Fatalf("me: %s", r.raw)
	}
	if _, ok := c["addresses"].([]any); !ok {
		t.Fatalf("store customer without addresses: %s", r.raw)
	}
	if _, ok := c["created_by"]; ok {
		t.Fatalf("created_by is not a store default field: %s", r.raw)
	}

	r = e.do("POST", "/store/customers/me", `{"first_name":"Augusta","metadata":{"a":1}}`, tok)
	r.want(t, 200, "", "")
	if r.obj("customer")["first_name"] != "Augusta" {
		t.Fatalf("update: %s", r.raw)
	}
	r = e.do("GET", "/store/customers/me?fields=id,email", "", tok)
	if got := r.obj("customer"); len(got) != 2 || got["email"] != "ada@example.com" {
		t.Fatalf("fields=id,email: %s", r.raw)
	}

	// Address CRUD with default switching.
	r = e.do("POST", "/store/customers/me/addresses", `{"address_name":"Home","address_1":"1 Rue","city":"Paris","country_code":"FR","is_default_shipping":true}`, tok)
	r.want(t, 200, "", "")
	home := addrs(r)[0]["id"].(string)
	r = e.do("POST", "/store/customers/me/addresses", `{"address_name":"Work","address_1":"2 Rue","country_code":"fr","is_default_shipping":true}`, tok)
	r.want(t, 200, "", "")
	as := addrs(r)
	if len(as) != 2 {
		t.Fatalf("want 2 addresses: %s", r.raw)
	}
	var work string
	for _, a := range as {
		if a["id"] != home {
			work = a["id"].(string)
			if a["is_default_shipping"] != true {
				t.Fatalf("new default not set: %s", r.raw)
			}
		} else if a["is_default_shipping"] != false {
			t.Fatalf("old default kept: %s", r.raw)
		}
	}
	r = e.do("GET", "/store/customers/me/addresses?limit=1&order=-created_at", "", tok)
	r.want(t, 200, "", "")
	if r.body["count"] != float64(2) || r.body["limit"] != float64(1) || len(r.body["addresses"].([]any)) != 1 {
		t.Fatalf("list: %s", r.raw)
	}
	r = e.do("GET", "/store/customers/me/addresses/"+home, "", tok)
	r.want(t, 200, "", "")
	if r.obj("address")["city"] != "Paris" {
		t.Fatalf("get address: %s", r.raw)
	}
	r = e.do("POST", "/store/customers/me/addresses/"+home, `{"city":"Lyon","is_default_billing":true}`, tok)
	r.want(t, 200, "", "")
	if _, ok := r.body["customer"]; !ok {
		t.Fatalf("update address must answer the customer: %s", r.raw)
	}
	r = e.do("DELETE", "/store/customers/me/addresses/"+work, "", tok)
	r.want(t, 200, "", "")
	if r.body["id"] != id || r.body["object"] != "address" || r.body["deleted"] != true || r.obj("parent")["id"] != id {
		t.Fatalf("delete shape: %s", r.raw)
	}
	if n := len(r.obj("parent")["addresses"].([]any)); n != 1 {
		t.Fatalf("parent has %d addresses", n)
	}
	e.do("GET", "/store/customers/me/addresses/"+work, "", tok).want(t, 404, "not_found", "")
}

func TestAdminRoutes(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	_, ada := e.customer("ada@example.com")

	r := e.do("POST", "/admin/customers", `{"email":"grace@example.com","first_name":"Grace","last_name":"Hopper","company_name":"Navy"}`, admin)
	r.want(t, 200, "", "")
	grace := r.obj("customer")
	if grace["created_by"] != "user_1" || grace["has_account"] != false {
		t.Fatalf("admin create: %s", r.raw)
	}
	graceID := grace["id"].(string)
	e.do("POST", "/admin/customers", `{"email":"grace@example.com"}`, admin).
		want(t, 400, "invalid_data", "Customer with email: grace@example.com, has_account: false, already exists.")
	e.do("POST", "/admin/customers", `{"email":"not-an-email"}`, admin).want(t, 400, "invalid_data", "Invalid request: Invalid email")

	r = e.do("GET", "/admin/customers?q=NAVY", "", admin)
	if r.body["count"] != float64(1) {
		t.Fatalf("q: %s", r.raw)
	}
	r = e.do("GET", "/admin/customers?has_account=true", "", admin)
	if r.body["count"] != float64(1) || r.body["customers"].([]any)[0].(map[string]any)["id"] != ada {
		t.Fatalf("has_account: %s", r.raw)
	}
	r = e.do("GET", "/admin/customers?order=-email&limit=1&offset=0&fields=id,email", "", admin)
	r.want(t, 200, "", "")
	cs := r.body["customers"].([]any)
	if r.body["count"] != float64(2) || len(cs) != 1 || cs[0].(map[string]any)["email"] != "grace@example.com" || len(cs[0].(map[string]any)) != 2 {
		t.Fatalf("order/fields: %s", r.raw)
	}
	r = e.do("GET", "/admin/customers?limit=0", "", admin)
	if r.body["count"] != float64(2) || len(r.body["customers"].([]any)) != 0 {
		t.Fatalf("limit=0: %s", r.raw)
	}
	r = e.do("GET", "/admin/customers/"+graceID+"?fields=*addresses,*groups,-company_name", "", admin)
	c := r.obj("customer")
	if _, ok := c["addresses"].([]any); !ok {
		t.Fatalf("*addresses: %s", r.raw)
	}
	if _, ok := c["company_name"]; ok {
		t.Fatalf("-company_name kept: %s", r.raw)
	}
	r = e.do("POST", "/admin/customers/"+graceID, `{"phone":"+1 555","email":"grace@navy.mil"}`, admin)
	if r.obj("customer")["email"] != "grace@navy.mil" {
		t.Fatalf("admin update: %s", r.raw)
	}

	// Addresses.
	r = e.do("POST", "/admin/customers/"+graceID+"/addresses", `{"address_1":"1 Pentagon","country_code":"us","is_default_billing":true}`, admin)
	r.want(t, 200, "", "")
	r = e.do("GET", "/admin/customers/"+graceID+"/addresses", "", admin)
	list := r.body["addresses"].([]any)
	if r.body["count"] != float64(1) {
		t.Fatalf("admin addresses: %s", r.raw)
	}
	addr := list[0].(map[string]any)
	if _, ok := addr["is_default_billing"]; ok {
		t.Fatalf("is_default_billing is not an admin default field: %s", r.raw)
	}
	aid := addr["id"].(string)
	e.do("GET", "/admin/customers/"+ada+"/addresses/"+aid, "", admin).want(t, 404, "not_found", "")
	e.do("POST", "/admin/customers/"+graceID+"/addresses/"+aid, `{"city":"Arlington"}`, admin).want(t, 200, "", "")
	for query, want := range map[string]float64{"city=Arlington": 1, "city=Paris": 0, "city[]=Paris,Arlington": 1, "province=Nowhere": 0} {
		r = e.do("GET", "/admin/customers/"+graceID+"/addresses?"+query, "", admin)
		r.want(t, 200, "", "")
		if r.body["count"] != want {
			t.Fatalf("addresses?%s: %s", query, r.raw)
		}
	}
	r = e.do("DELETE", "/admin/customers/"+graceID+"/addresses/"+aid, "", admin)
	if r.body["id"] != aid || r.body["object"] != "customer_address" || r.body["deleted"] != true {
		t.Fatalf("admin address delete: %s", r.raw)
	}

	// Groups.
	r = e.do("POST", "/admin/customer-groups", `{"name":"VIP","metadata":{"tier":1}}`, admin)
	r.want(t, 200, "", "")
	g := r.obj("customer_group")
	gid := g["id"].(string)
	if g["created_by"] != "user_1" {
		t.Fatalf("group created_by: %s", r.raw)
	}
	e.do("POST", "/admin/customer-groups", `{"name":"VIP"}`, admin).want(t, 400, "invalid_data", "Customer group with name: VIP, already exists.")
	r = e.do("POST", "/admin/customer-groups/"+gid+"/customers", `{"add":["`+ada+`","`+graceID+`"]}`, admin)
	r.want(t, 200, "", "")
	r = e.do("GET", "/admin/customers?groups="+gid, "", admin)
	if r.body["count"] != float64(2) {
		t.Fatalf("groups filter: %s", r.raw)
	}
	r = e.do("GET", "/admin/customers?groups[]="+gid+"&q=grace", "", admin)
	if r.body["count"] != float64(1) {
		t.Fatalf("groups[] filter: %s", r.raw)
	}
	r = e.do("POST", "/admin/customers/"+graceID+"/customer-groups?fields=*groups", `{"remove":["`+gid+`"]}`, admin)
	if n := len(r.obj("customer")["groups"].([]any)); n != 0 {
		t.Fatalf("remove: %s", r.raw)
	}
	r = e.do("GET", "/admin/customer-groups/"+gid+"?fields=*customers", "", admin)
	if n := len(r.obj("customer_group")["customers"].([]any)); n != 1 {
		t.Fatalf("group customers: %s", r.raw)
	}
	e.do("POST", "/admin/customer-groups/"+gid, `{"name":"Gold"}`, admin).want(t, 200, "", "")
	r = e.do("GET", "/admin/customer-groups?q=gol", "", admin)
	if r.body["count"] != float64(1) {
		t.Fatalf("group list: %s", r.raw)
	}
	r = e.do("DELETE", "/admin/customer-groups/"+gid, "", admin)
	if r.body["id"] != gid || r.body["object"] != "customer_group" || r.body["deleted"] != true {
		t.Fatalf("group delete: %s", r.raw)
	}
	e.do("GET", "/admin/customer-groups/"+gid, "", admin).want(t, 404, "not_found", "")
	r = e.do("GET", "/admin/customers/"+ada+"?fields=*groups", "", admin)
	if n := len(r.obj("customer")["groups"].([]any)); n != 0 {
		t.Fatalf("deleted group still on customer: %s", r.raw)
	}

	// Deleting a registered customer deletes its identity and revokes its tokens: me 401, refresh 401, email can register again.
	custTok := e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "").str("token")
	r = e.do("DELETE", "/admin/customers/"+ada, "", admin)
	if r.body["id"] != ada || r.body["object"] != "customer" || r.body["deleted"] != true {
		t.Fatalf("customer delete: %s", r.raw)
	}
	e.do("GET", "/store/customers/me", "", custTok).want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/token/refresh", "", custTok).want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "").want(t, 401, "unauthorized", "")
	e.register("customer", "ada@example.com")
	e.do("DELETE", "/admin/customers/cus_unknown", "", admin).want(t, 200, "", "")
}

func sessionCookie(t *testing.T, r resp) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "connect.sid" {
			return c
		}
	}
	t.Fatalf("no session cookie: %v", r.header)
	return nil
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	tok, id := e.customer("ada@example.com")

	r := e.do("POST", "/auth/session", "", tok)
	r.want(t, 200, "", "")
	if r.obj("user")["actor_id"] != id {
		t.Fatalf("session user: %s", r.raw)
	}
	c1 := sessionCookie(t, r)
	if !c1.HttpOnly || c1.SameSite != http.SameSiteLaxMode || c1.Secure {
		t.Fatalf("cookie attributes over http: %+v", c1)
	}
	cookie := "Cookie: connect.sid=" + c1.Value
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 200, "", "")
	e.do("POST", "/auth/token/refresh", "", "", cookie).want(t, 200, "", "")
	// Admin routes refuse a customer session.
	e.do("GET", "/admin/customers", "", "", cookie).want(t, 401, "", "Unauthorized")

	// A new login never keeps the id the client brought.
	r = e.do("POST", "/auth/session", "", tok, cookie, "X-Forwarded-Proto: https")
	c2 := sessionCookie(t, r)
	if c2.Value == c1.Value || !c2.Secure {
		t.Fatalf("session id reused or not Secure behind https proxy: %+v", c2)
	}
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 401, "", "Unauthorized")
	if strings.Contains(e.logs.String(), c2.Value) {
		t.Fatal("session cookie in logs")
	}

	cookie2 := "Cookie: connect.sid=" + c2.Value
	e.do("DELETE", "/auth/session", "", "", cookie2).want(t, 200, "", "")
	e.do("GET", "/store/customers/me", "", "", cookie2).want(t, 401, "", "Unauthorized")
	e.do("DELETE", "/auth/session", "", "", cookie2).want(t, 401, "", "Unauthorized")
	// The bearer token still works (JWTs are stateless).
	e.do("GET", "/store/customers/me", "", tok).want(t, 200, "", "")
	// A registration token may open a session too (allowUnregistered).
	e.do("POST", "/auth/session", "", e.register("customer", "new@example.com")).want(t, 200, "", "")
}

func TestSessionCookieNameAndProviders(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.SessionCookie = "sid" })
	tok, _ := e.customer("ada@example.com")
	r := e.do("POST", "/auth/session", "", tok)
	r.want(t, 200, "", "")
	var value string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "sid" {
			value = c.Value
		}
	}
	if value == "" {
		t.Fatalf("no sid cookie: %v", r.header)
	}
	e.do("GET", "/store/customers/me", "", "", "Cookie: sid="+value).want(t, 200, "", "")
	e.do("DELETE", "/auth/session", "", "", "Cookie: sid="+value).want(t, 200, "", "")
	e.do("GET", "/store/customers/me", "", "", "Cookie: sid="+value).want(t, 401, "", "Unauthorized")

	r = e.do("GET", "/auth/customer/providers", "", "")
	r.want(t, 200, "", "")
	if ps := r.body["providers"].([]any); len(ps) != 1 || ps[0].(map[string]any)["id"] != "emailpass" || ps[0].(map[string]any)["flow"] != "credentials" {
		t.Fatalf("providers: %s", r.raw)
	}
}

func TestWithDeleted(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	r := e.do("POST", "/admin/customers", `{"email":"gone@example.com"}`, admin)
	id := r.obj("customer")["id"].(string)
	e.do("DELETE", "/admin/customers/"+id, "", admin).want(t, 200, "", "")
	if r = e.do("GET", "/admin/customers", "", admin); r.body["count"] != float64(0) {
		t.Fatalf("deleted customer listed: %s", r.raw)
	}
	if r = e.do("GET", "/admin/customers?with_deleted=true", "", admin); r.body["count"] != float64(1) {
		t.Fatalf("with_deleted: %s", r.raw)
	}
	e.do("GET", "/admin/customers?with_deleted=maybe", "", admin).want(t, 400, "invalid_data", "Invalid request: Expected type: 'boolean' for field 'with_deleted', got: 'maybe'")
}

func TestCORSAndProxyTrust(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.StoreCORS = []string{"http://shop.test"} })
	r := e.do("OPTIONS", "/store/customers/me", "", "", "Origin: http://shop.test", "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: authorization,content-type")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "http://shop.test" || r.header.Get("Access-Control-Allow-Credentials") != "true" ||
		r.header.Get("Access-Control-Allow-Headers") != "authorization,content-type" {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
	r = e.do("GET", "/admin/customers", "", "", "Origin: http://shop.test")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("store origin allowed on admin: %v", r.header)
	}
	r = e.do("GET", "/store/customers/me", "", "", "Origin: http://evil.test")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("unknown origin allowed: %v", r.header)
	}
	// A wildcard origin may call, but never with the caller's cookies.
	ew := newEnv(t, func(c *httpapi.Config) { c.AdminCORS = []string{"*", "http://admin.test"} })
	r = ew.do("GET", "/admin/customers", "", "", "Origin: http://evil.test")
	if r.header.Get("Access-Control-Allow-Origin") != "http://evil.test" || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("wildcard origin got credentials: %v", r.header)
	}
	r = ew.do("GET", "/admin/customers", "", "", "Origin: http://admin.test")
	if r.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("listed origin lost credentials: %v", r.header)
	}
	if r.header.Get("Vary") != "Origin" {
		t.Fatalf("Vary: %v", r.header)
	}
	// X-Forwarded-Proto: https makes cookies Secure even without
	// TrustProxy (Secure only makes a cookie stricter); plain HTTP does not.
	tok, _ := e.customer("ada@example.com")
	if c := sessionCookie(t, e.do("POST", "/auth/session", "", tok, "X-Forwarded-Proto: https")); !c.Secure {
		t.Fatal("X-Forwarded-Proto: https did not make the cookie Secure")
	}
	if c := sessionCookie(t, e.do("POST", "/auth/session", "", tok)); c.Secure {
		t.Fatal("a cookie over plain HTTP got Secure")
	}
	e2 := newEnv(t, func(c *httpapi.Config) { c.SecureCookies = httpapi.SecureAlways })
	tok2, _ := e2.customer("ada@example.com")
	if c := sessionCookie(t, e2.do("POST", "/auth/session", "", tok2)); !c.Secure {
		t.Fatal("SecureAlways ignored")
	}
}

func TestAdminListTimeRange(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.do("POST", "/admin/customers", `{"email":"a@example.com"}`, admin).want(t, 200, "", "")
	if r := e.do("GET", "/admin/customers?created_at[$gte]=2000-01-01", "", admin); r.body["count"] != float64(1) {
		t.Fatalf("created_at[$gte]: %s", r.raw)
	}
	if r := e.do("GET", "/admin/customers?created_at[$lt]=2000-01-01T00:00:00Z", "", admin); r.body["count"] != float64(0) {
		t.Fatalf("created_at[$lt]: %s", r.raw)
	}
	e.do("GET", "/admin/customers?created_at[$gt]=yesterday", "", admin).want(t, 400, "invalid_data", "")
}

func TestPublishableKey(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.PublishableKeys = []string{"pk_test"} })
	e.do("GET", "/store/customers/me", "", "").want(t, 400, "not_allowed",
		"Publishable API key required in the request header: x-publishable-api-key. You can manage your keys in settings in the dashboard.")
	e.do("GET", "/store/customers/me", "", "", "x-publishable-api-key: pk_wrong").want(t, 400, "not_allowed", "A valid publishable key is required to proceed with the request")
	e.do("GET", "/store/customers/me", "", "", "x-publishable-api-key: pk_test").want(t, 401, "", "Unauthorized")
	// Other route families do not need it.
	e.do("GET", "/admin/customers", "", "").want(t, 401, "", "Unauthorized")
}

func TestBodiesAreJSONOnly(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.customer("ada@example.com")
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		req := httptest.NewRequest("POST", "/store/customers/me", strings.NewReader(`{"first_name":"Mallory"}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code != 415 || !strings.Contains(rec.Body.String(), "application/json") {
			t.Fatalf("Content-Type %q: %d %s", ct, rec.Code, rec.Body.String())
		}
	}
	e.do("POST", "/store/customers/me", `{"first_name":"X"}]`, tok).want(t, 400, "invalid_data", "Invalid JSON in request body")
	e.do("POST", "/store/customers/me", `{"first_name":"X"} {}`, tok).want(t, 400, "invalid_data", "Invalid JSON in request body")
	r := e.do("POST", "/store/customers/me", `{"first_name":"Ada"}`, tok, "Content-Type: application/json; charset=utf-8")
	r.want(t, 200, "", "")
}

func TestStoreSeesOnlyItsOwnFields(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	tok, id := e.customer("ada@example.com")
	r := e.do("POST", "/admin/customer-groups", `{"name":"fraud-watch","metadata":{"reason":"chargebacks"}}`, admin)
	r.want(t, 200, "", "")
	gid := r.obj("customer_group")["id"].(string)
	e.do("POST", "/admin/customer-groups/"+gid+"/customers", `{"add":["`+id+`"]}`, admin).want(t, 200, "", "")
	for _, q := range []string{"*groups", "groups.*", "+created_by", "id,created_by,groups"} {
		r = e.do("GET", "/store/customers/me?fields="+q, "", tok)
		r.want(t, 200, "", "")
		c := r.obj("customer")
		if _, ok := c["groups"]; ok {
			t.Fatalf("fields=%s showed the customer its groups: %s", q, r.raw)
		}
		if _, ok := c["created_by"]; ok {
			t.Fatalf("fields=%s showed created_by: %s", q, r.raw)
		}
	}
	// Admins may ask for them; an unencoded + (a space) adds a field.
	r = e.do("GET", "/admin/customers/"+id+"?fields=+created_by,*groups", "", admin)
	r.want(t, 200, "", "")
	if c := r.obj("customer"); c["email"] == nil || c["groups"] == nil {
		t.Fatalf("admin fields: %s", r.raw)
	}
	e.do("GET", "/store/customers/me/addresses?with_deleted=true", "", tok).want(t, 400, "invalid_data", "")
	e.do("POST", "/store/customers/me/addresses", `{"address_name":"Home"}`, tok).want(t, 200, "", "")
	r = e.do("GET", "/store/customers/me/addresses?fields=%2Baddress_name", "", tok)
	if a := r.body["addresses"].([]any)[0].(map[string]any); a["address_name"] != "Home" {
		t.Fatalf("own address_name: %s", r.raw)
	}
}

func TestSessionsEndWithPasswordReset(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.customer("ada@example.com")
	cookie := openSession(t, e, tok)
	e.do("POST", "/auth/customer/emailpass/reset-password", `{"identifier":"ada@example.com"}`, "").want(t, 201, "", "")
	reset := e.lastResetToken()
	e.do("POST", "/auth/customer/emailpass/update", `{"password":"a brand new password"}`, reset).want(t, 200, "", "")
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 401, "", "Unauthorized")
}

func TestSessionsEndWithCustomerDeletion(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	tok, id := e.customer("ada@example.com")
	cookie := openSession(t, e, tok)
	e.do("DELETE", "/admin/customers/"+id, "", admin).want(t, 200, "", "")
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 401, "", "Unauthorized")
}

// openSession opens a cookie session with tok and returns its Cookie
// header.
func openSession(t *testing.T, e *env, tok string) string {
	t.Helper()
	c := sessionCookie(t, e.do("POST", "/auth/session", "", tok))
	cookie := "Cookie: connect.sid=" + c.Value
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 200, "", "")
	return cookie
}

// brokenProvider fails as a provider does when its database or network
// is down: a plain error, with text a client must never see.
type brokenProvider struct{}

func (brokenProvider) ID() string { return "broken" }
func (brokenProvider) Authenticate(context.Context, provider.Input, provider.Identities) (*provider.Result, error) {
	return nil, errors.New(`postgres: FATAL: password authentication failed for user "app" (host 10.0.0.5)`)
}

func TestProviderFailureIsAServerError(t *testing.T) {
	e := newEnvWith(t, []auth.Option{auth.WithProvider(brokenProvider{})})
	r := e.do("POST", "/auth/customer/broken", `{}`, "")
	r.want(t, 500, "unknown_error", "An unknown error occurred.")
	if strings.Contains(r.raw, "10.0.0.5") || strings.Contains(r.raw, "postgres") {
		t.Fatalf("the provider's failure reached the client: %s", r.raw)
	}
	if !strings.Contains(e.logs.String(), "10.0.0.5") {
		t.Fatalf("the failure was not logged: %s", e.logs)
	}
}

// TestSessionCrossSiteWrites: a write that a session cookie authenticates
// passes from the API's own origin, from a trusted (CORS-listed) origin
// and from clients that are not browsers; a browser's write from another
// site or origin is refused and changes nothing. Reads, and writes with a
// bearer token, are not concerned.
func TestSessionCrossSiteWrites(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.StoreCORS = []string{"https://shop.example.com"} })
	tok, _ := e.customer("ada@example.com")
	cookie := "Cookie: connect.sid=" + sessionCookie(t, e.do("POST", "/auth/session", "", tok)).Value
	update := func(name string, hdr ...string) resp {
		return e.do("POST", "/store/customers/me", `{"first_name":"`+name+`"}`, "", append([]string{cookie}, hdr...)...)
	}
	const refused = "Cross-site request refused: a session cookie authenticates writes from the shop's own pages only"
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site: cross-site", "Origin: https://evil.example"},
		{"Sec-Fetch-Site: same-site", "Origin: http://example.com:8080"},
		{"Sec-Fetch-Site: same-site"},
		{"Origin: https://evil.example"},
		{"Origin: null"},
		{"Origin: http://example.com.evil.example"},
	} {
		update("Mallory", hdr...).want(t, 403, "forbidden", refused)
	}
	// The refused writes changed nothing; logout everywhere and the
	// session's own logout are writes too.
	before := e.do("GET", "/store/customers/me", "", tok).obj("customer")["first_name"]
	if got := e.do("GET", "/store/customers/me", "", "", cookie, "Sec-Fetch-Site: cross-site").obj("customer")["first_name"]; got != before || got == "Mallory" {
		t.Fatalf("first_name %v after refused writes", got)
	}
	e.do("POST", "/auth/logout-all", "", "", cookie, "Sec-Fetch-Site: same-site").want(t, 403, "forbidden", refused)
	e.do("DELETE", "/auth/session", "", "", cookie, "Sec-Fetch-Site: cross-site").want(t, 403, "forbidden", refused)

	for i, hdr := range [][]string{
		{"Sec-Fetch-Site: same-origin", "Origin: http://example.com"},
		{"Sec-Fetch-Site: none"},
		{"Sec-Fetch-Site: cross-site", "Origin: https://shop.example.com"},
		{"Sec-Fetch-Site: same-site", "Origin: https://SHOP.example.com/"},
		{"Origin: http://example.com"},
		{}, // not a browser
	} {
		name := fmt.Sprintf("Ada%d", i)
		update(name, hdr...).want(t, 200, "", "")
		if got := e.do("GET", "/store/customers/me", "", "", cookie).obj("customer")["first_name"]; got != name {
			t.Fatalf("%v: first_name %v, want %s", hdr, got, name)
		}
	}
	// A bearer token is not ambient: no origin check.
	e.do("POST", "/store/customers/me", `{"first_name":"Bearer"}`, tok, "Sec-Fetch-Site: cross-site", "Origin: https://evil.example").want(t, 200, "", "")
	e.do("POST", "/auth/logout-all", "", "", cookie, "Sec-Fetch-Site: same-origin").want(t, 200, "", "")
}
