package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/internal/webauthntest"
	"github.com/clientele/clientele/provider/passkey"
)

// TestOwnIdentityRoutes: a person lists the ways into their identity and
// removes one, with a recent login, never the last; nobody else's.
func TestOwnIdentityRoutes(t *testing.T) {
	now := time.Now()
	pk, err := passkey.New(passkey.Config{RPID: "shop.example.com", RPDisplayName: "Shop", Origins: []string{passkeyOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	p := newEnvWith(t, []auth.Option{auth.WithProvider(pk)}, func(c *httpapi.Config) { c.Now = func() time.Time { return now } })
	token := p.register("customer", "ada@example.com")

	// Ada adds a passkey: with a recent login only (a stolen session of
	// yesterday adds none).
	r := p.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"register","name":"ada@example.com"}`, "")
	r.want(t, 200, "", "")
	key := webauthntest.New(passkeyOrigin)
	cred, err := key.Create([]byte(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	cookie := "Cookie: clientele_oauth=" + bindingCookie(t, r).Value
	now = now.Add(httpapi.DefaultRecentLogin + time.Minute)
	p.do("POST", "/auth/customer/passkey/link", marshal(t, cred), token, cookie).want(t, 401, "unauthorized", "Log in again to change how you log in")
	now = now.Add(-httpapi.DefaultRecentLogin - time.Minute)
	p.do("POST", "/auth/customer/passkey/link", marshal(t, cred), token, cookie).want(t, 200, "", "")

	p.do("GET", "/auth/identity", "", "").want(t, 401, "", "")
	r = p.do("GET", "/auth/identity", "", token)
	r.want(t, 200, "", "")
	if strings.Contains(r.raw, "provider_metadata") || strings.Contains(r.raw, "password") {
		t.Fatalf("the identity shows credentials: %s", r.raw)
	}
	pis, _ := r.obj("auth_identity")["provider_identities"].([]any)
	if len(pis) != 2 {
		t.Fatalf("identity %s", r.raw)
	}
	ids := map[string]string{}
	for _, x := range pis {
		pi := x.(map[string]any)
		ids[pi["provider"].(string)] = pi["id"].(string)
	}
	if ids["emailpass"] == "" || ids["passkey"] == "" {
		t.Fatalf("identity %s", r.raw)
	}

	// Bob cannot remove Ada's passkey.
	bob := p.register("customer", "bob@example.com")
	p.do("DELETE", "/auth/identity/provider-identities/"+ids["passkey"], "", bob).want(t, 404, "not_found", "")
	p.do("DELETE", "/auth/identity/provider-identities/"+ids["passkey"], "", "").want(t, 401, "", "")

	// A login of more than RecentLogin ago must log in again.
	now = now.Add(httpapi.DefaultRecentLogin + time.Minute)
	p.do("DELETE", "/auth/identity/provider-identities/"+ids["passkey"], "", token).want(t, 401, "unauthorized", "Log in again to change how you log in")
	now = now.Add(-httpapi.DefaultRecentLogin - time.Minute)

	// Someone logs in with the passkey (say, its thief).
	r = p.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"login"}`, "")
	r.want(t, 200, "", "")
	assertion, err := key.Get([]byte(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	r = p.do("POST", "/auth/customer/passkey/callback", marshal(t, assertion), "", "Cookie: clientele_oauth="+bindingCookie(t, r).Value)
	r.want(t, 200, "", "")
	thief := r.str("token")
	p.do("GET", "/auth/identity", "", thief).want(t, 200, "", "")

	// Ada removes the passkey: every earlier login ends, the thief's
	// first; Ada gets a new token. Her password is the last way in and
	// stays.
	r = p.do("DELETE", "/auth/identity/provider-identities/"+ids["passkey"], "", token)
	r.want(t, 200, "", "")
	if pis, _ := r.obj("auth_identity")["provider_identities"].([]any); len(pis) != 1 || strings.Contains(r.raw, "provider_metadata") {
		t.Fatalf("after the removal: %s", r.raw)
	}
	fresh := r.str("token")
	for _, old := range []string{thief, token} {
		p.do("GET", "/auth/identity", "", old).want(t, 401, "", "")
		p.do("POST", "/auth/token/refresh", "", old).want(t, 401, "", "")
	}
	p.do("GET", "/auth/identity", "", fresh).want(t, 200, "", "")
	p.do("DELETE", "/auth/identity/provider-identities/"+ids["emailpass"], "", fresh).
		want(t, 400, "invalid_data", "This is the only way to log in to this account: add another before you remove it")
	p.do("DELETE", "/auth/identity/provider-identities/"+ids["passkey"], "", fresh).want(t, 404, "not_found", "")
}
