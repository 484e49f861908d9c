package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/webauthntest"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/provider/passkey"
)

const passkeyOrigin = "https://shop.example.com"

func newPasskeyEnv(t *testing.T, extra ...auth.Option) *env {
	t.Helper()
	p, err := passkey.New(passkey.Config{RPID: "shop.example.com", RPDisplayName: "Shop", Origins: []string{passkeyOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, append([]auth.Option{auth.WithProvider(p)}, extra...))
}

// marshal is v as a request body.
func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPasskeyCeremoniesOverHTTP(t *testing.T) {
	e := newPasskeyEnv(t)
	a := webauthntest.New(passkeyOrigin)

	// Registration: begin sets the binding cookie, the callback with it
	// creates the identity and answers its registration token.
	r := e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"register","name":"ada@example.com"}`, "")
	r.want(t, 200, "", "")
	if r.obj("publicKey")["challenge"] == nil || r.obj("publicKey")["rp"] == nil {
		t.Fatalf("registration options: %s", r.raw)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control %q", got)
	}
	cookie := bindingCookie(t, r)
	cred, err := a.Create([]byte(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", "/auth/customer/passkey/callback", marshal(t, cred), "", "Cookie: clientele_oauth="+cookie.Value)
	r.want(t, 200, "", "")
	reg, err := e.authS.Verify(t.Context(), r.str("token"))
	if err != nil || reg.AuthIdentityID == "" || reg.ActorID != "" {
		t.Fatalf("registration token: %+v %v", reg, err)
	}

	// A login finished by another browser fails and spends the challenge.
	r = e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"login"}`, "")
	r.want(t, 200, "", "")
	cookie = bindingCookie(t, r)
	assertion, err := a.Get([]byte(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	e.do("POST", "/auth/customer/passkey/callback", marshal(t, assertion), "").want(t, 401, "unauthorized", "The passkey ceremony must be finished in the browser that began it")
	e.do("POST", "/auth/customer/passkey/callback", marshal(t, assertion), "", "Cookie: clientele_oauth="+cookie.Value).
		want(t, 401, "unauthorized", "The passkey challenge is unknown, was used already or has expired")

	// The login of the right browser reaches the registered identity.
	r = e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"login"}`, "")
	cookie = bindingCookie(t, r)
	assertion, _ = a.Get([]byte(r.raw))
	r = e.do("POST", "/auth/customer/passkey/callback", marshal(t, assertion), "", "Cookie: clientele_oauth="+cookie.Value)
	r.want(t, 200, "", "")
	if c, err := e.authS.Verify(t.Context(), r.str("token")); err != nil || c.AuthIdentityID != reg.AuthIdentityID {
		t.Fatalf("login token: %+v %v, want identity %s", c, err, reg.AuthIdentityID)
	}

	// A client-held binding works as for social logins: no cookie.
	binding := "passkey-client-binding-0123456789abcdefXYZ"
	r = e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"login","state_binding":"`+binding+`"}`, "")
	r.want(t, 200, "", "")
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("a client-bound ceremony set %q", r.header.Values("Set-Cookie"))
	}
	assertion, _ = a.Get([]byte(r.raw))
	assertion["state_binding"] = binding
	e.do("POST", "/auth/customer/passkey/callback", marshal(t, assertion), "").want(t, 200, "", "")
}

// Medusa's register route finishes a passkey registration as the callback
// does: with the binding of the browser that began it, once.
func TestPasskeyRegisterRoute(t *testing.T) {
	e := newPasskeyEnv(t)
	// Listed as a ceremony the browser runs, not a redirect.
	r := e.do("GET", "/auth/customer/providers", "", "")
	r.want(t, 200, "", "")
	flows := map[string]any{}
	for _, p := range r.body["providers"].([]any) {
		flows[p.(map[string]any)["id"].(string)] = p.(map[string]any)["flow"]
	}
	if flows["passkey"] != "ceremony" || flows["emailpass"] != "credentials" {
		t.Fatalf("flows %v", flows)
	}
	begin := func() (*http.Cookie, map[string]any) {
		r := e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"register","name":"ada@example.com"}`, "")
		r.want(t, 200, "", "")
		cred, err := webauthntest.New(passkeyOrigin).Create([]byte(r.raw))
		if err != nil {
			t.Fatal(err)
		}
		return bindingCookie(t, r), cred
	}
	cookie, cred := begin()
	// Without the binding: refused, and the ceremony is spent.
	e.do("POST", "/auth/customer/passkey/register", marshal(t, cred), "").want(t, 401, "unauthorized", "The passkey ceremony must be finished in the browser that began it")
	e.do("POST", "/auth/customer/passkey/register", marshal(t, cred), "", "Cookie: clientele_oauth="+cookie.Value).want(t, 401, "", "")

	cookie, cred = begin()
	r = e.do("POST", "/auth/customer/passkey/register", marshal(t, cred), "", "Cookie: clientele_oauth="+cookie.Value)
	r.want(t, 200, "", "")
	if c, err := e.authS.Verify(t.Context(), r.str("token")); err != nil || c.AuthIdentityID == "" || c.ActorID != "" || c.AuthProvider != "passkey" {
		t.Fatalf("registration token: %+v %v", c, err)
	}
	if got := r.header.Get("Set-Cookie"); !strings.Contains(got, "clientele_oauth=;") {
		t.Errorf("the binding cookie is not cleared: %q", got)
	}
	// The same ceremony again: spent.
	e.do("POST", "/auth/customer/passkey/register", marshal(t, cred), "", "Cookie: clientele_oauth="+cookie.Value).want(t, 401, "", "")
	// emailpass registers as before, without a binding.
	e.do("POST", "/auth/customer/emailpass/register", `{"email":"bob@example.com","password":"supersecret"}`, "").want(t, 200, "", "")
}

func TestPasskeyBeginRefusesBadInput(t *testing.T) {
	e := newPasskeyEnv(t)
	e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"dance"}`, "").
		want(t, 400, "invalid_data", `Invalid request: Field 'ceremony' must be "login" or "register"`)
	e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"login","state_binding":"short"}`, "").want(t, 400, "invalid_data", "")
	e.do("POST", "/auth/customer/emailpass/begin", `{"ceremony":"login"}`, "").want(t, 400, "", "")
	e.do("POST", "/auth/customer/passkey/callback", `{"id":"x","response":{}}`, "").want(t, 401, "unauthorized", "Invalid request: the body is not a WebAuthn credential")
}

func TestPasskeySecondFactorOverHTTP(t *testing.T) {
	e := newPasskeyEnv(t, auth.WithMFA(auth.MFAConfig{EncryptionKey: "httpapi passkey test key", RecoveryCodeHasher: emailpass.Scrypt{LogN: 4, R: 8, P: 1}}))
	token := e.register("customer", "ada@example.com")
	a := webauthntest.New(passkeyOrigin)

	// No passkey yet: no passkey factor.
	e.do("POST", "/auth/mfa/factors", `{"provider":"passkey"}`, token).want(t, 400, "invalid_data", "Auth identity has no passkey")

	// The logged-in identity adds a passkey: begin, then link.
	r := e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"register","name":"ada@example.com"}`, "")
	r.want(t, 200, "", "")
	cookie := bindingCookie(t, r)
	cred, err := a.Create([]byte(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	e.do("POST", "/auth/customer/passkey/link", marshal(t, cred), "", "Cookie: clientele_oauth="+cookie.Value).want(t, 401, "", "")
	e.do("POST", "/auth/user/passkey/link", marshal(t, cred), token, "Cookie: clientele_oauth="+cookie.Value).want(t, 401, "unauthorized", "")
	r = e.do("POST", "/auth/customer/passkey/link", marshal(t, cred), token, "Cookie: clientele_oauth="+cookie.Value)
	r.want(t, 200, "", "")
	identity := r.obj("auth_identity")
	if pis, _ := identity["provider_identities"].([]any); len(pis) != 2 {
		t.Fatalf("linked identity: %s", r.raw)
	}
	// Enabled over HTTP: at once, with a new token; the old one ends.
	e.do("POST", "/auth/mfa/factors", `{"provider":"passkey"}`, "").want(t, 401, "", "")
	r = e.do("POST", "/auth/mfa/factors", `{"provider":"passkey"}`, token)
	r.want(t, 200, "", "")
	if f := r.obj("mfa_factor"); f["provider"] != "passkey" || f["status"] != "enabled" || f["auth_identity_id"] != identity["id"] {
		t.Fatalf("enable: %s", r.raw)
	}
	fresh := r.str("token")
	if fc, err := e.authS.Verify(t.Context(), fresh); err != nil || !fc.MFAEnabled || fc.MFAChallengeCompletedAt == nil {
		t.Fatalf("token after enabling: %+v %v", fc, err)
	}
	e.do("GET", "/auth/mfa/factors", "", token).want(t, 401, "", "")
	// One passkey factor per identity.
	e.do("POST", "/auth/mfa/factors", `{"provider":"passkey"}`, fresh).want(t, 400, "", "")

	// A password login must now answer a challenge with the passkey.
	r = e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	r.want(t, 200, "", "")
	if r.body["mfa_required"] != true {
		t.Fatalf("login: %s", r.raw)
	}
	pending, challenge := r.str("token"), r.obj("mfa_challenge")["id"].(string)
	e.do("POST", "/auth/mfa/challenges/"+challenge+"/passkey", "", "").want(t, 401, "", "")
	r = e.do("POST", "/auth/mfa/challenges/"+challenge+"/passkey", "", pending)
	r.want(t, 200, "", "")
	assertion, err := a.Get([]byte(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", "/auth/mfa/challenges/"+challenge+"/verify", marshal(t, map[string]any{"method": "passkey", "code": marshal(t, assertion)}), pending)
	r.want(t, 200, "", "")
	c, err := e.authS.Verify(t.Context(), r.str("token"))
	if err != nil || !c.MFAEnabled || c.MFAChallengeCompletedAt == nil {
		t.Fatalf("token after the passkey: %+v %v", c, err)
	}

	// A passkey login with user verification is both factors at once:
	// no challenge, and its token has MFA completed.
	r = e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"login"}`, "")
	r.want(t, 200, "", "")
	cookie = bindingCookie(t, r)
	assertion, err = a.Get([]byte(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", "/auth/customer/passkey/callback", marshal(t, assertion), "", "Cookie: clientele_oauth="+cookie.Value)
	r.want(t, 200, "", "")
	if r.body["mfa_required"] != nil {
		t.Fatalf("passkey login: %s", r.raw)
	}
	if c, err := e.authS.Verify(t.Context(), r.str("token")); err != nil || c.AuthIdentityID != identity["id"] || !c.MFAEnabled || c.MFAChallengeCompletedAt == nil {
		t.Fatalf("passkey login token: %+v %v", c, err)
	}

	// Without user verification (a security key with no PIN) the
	// passkey is one factor, and it cannot be the second too: with no
	// other second factor, the login is refused and gives no token.
	a.NoUserVerification = true
	r = e.do("POST", "/auth/customer/passkey/begin", `{"ceremony":"login"}`, "")
	r.want(t, 200, "", "")
	cookie = bindingCookie(t, r)
	if assertion, err = a.Get([]byte(r.raw)); err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", "/auth/customer/passkey/callback", marshal(t, assertion), "", "Cookie: clientele_oauth="+cookie.Value)
	r.want(t, 401, "unauthorized", auth.ErrPasskeyNotBothFactors.Error())
	if r.body["token"] != nil || r.body["mfa_challenge"] != nil {
		t.Fatalf("refused passkey login: %s", r.raw)
	}
}

// The link route refuses providers that prove themselves with credentials
// in the request: through it, a logged-in caller could otherwise test
// other accounts' passwords, unthrottled, and tell by the answer (a
// conflict) that one was right.
func TestLinkRefusesCredentialProviders(t *testing.T) {
	e := newPasskeyEnv(t)
	token, _ := e.customer("mallory@example.com")
	e.register("customer", "victim@example.com")
	for _, password := range []string{"wrong-password", "supersecret"} {
		e.do("POST", "/auth/customer/emailpass/link", `{"email":"victim@example.com","password":"`+password+`"}`, token).
			want(t, 400, "invalid_data", "This provider cannot be linked here")
	}
	e.do("POST", "/auth/customer/nosuch/link", `{}`, token).want(t, 400, "invalid_data", "This provider cannot be linked here")
}
