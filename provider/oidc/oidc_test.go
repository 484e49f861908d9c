package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/provider/oauth2flow"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const callbackURL = "https://shop.example/auth/customer/oidc/callback"

type env struct {
	t     *testing.T
	ctx   context.Context
	idp   *oidctest.Server
	st    auth.Store
	svc   *auth.Service
	clock *oidctest.Clock
}

type setup struct {
	cfg      func(*oidc.Config)
	authOpts []auth.Option
}

func newEnv(t *testing.T, st auth.Store, s setup) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, idp: oidctest.NewServer(t), st: st, clock: &oidctest.Clock{}}
	cfg := oidc.Config{Issuer: e.idp.Issuer(), ClientID: e.idp.ClientID(), ClientSecret: e.idp.ClientSecret(), CallbackURL: callbackURL}
	if s.cfg != nil {
		s.cfg(&cfg)
	}
	p, err := oidc.New(cfg, oidc.WithHTTPClient(e.idp.Client()))
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("oidc-test-secret-of-at-least-32-bytes"), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]auth.Option{
		auth.WithProvider(p), auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))),
		auth.WithClock(e.clock.Now),
	}, s.authOpts...)
	e.svc, err = auth.NewService(st, tokens, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// start begins a login from the browser binding.
func (e *env) start(binding string, body map[string]any) (string, error) {
	res, err := e.svc.Authenticate(e.ctx, oidc.ID, provider.Input{ActorType: "customer", Binding: binding, Body: body})
	if err != nil {
		return "", err
	}
	if res.Location == "" || res.AuthIdentity != nil {
		e.t.Fatalf("start: %+v", res)
	}
	return res.Location, nil
}

// authorize begins a login and passes the identity provider, returning
// the callback's query.
func (e *env) authorize(binding string) url.Values {
	e.t.Helper()
	loc, err := e.start(binding, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	q, err := e.idp.Login(e.ctx, loc)
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

func (e *env) callback(binding string, q url.Values) (*auth.Result, error) {
	return e.svc.ValidateCallback(e.ctx, oidc.ID, provider.Input{ActorType: "customer", Binding: binding, Query: q})
}

// login runs a whole login and fails the test if it fails.
func (e *env) login(binding string) *auth.Result {
	e.t.Helper()
	res, err := e.callback(binding, e.authorize(binding))
	if err != nil {
		e.t.Fatalf("login: %v", err)
	}
	return res
}

// count returns the number of auth and provider identities.
func (e *env) count() (int, int) {
	e.t.Helper()
	n, err := e.st.CountAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n, len(pis)
}

func (e *env) wantCount(auths, pis int) {
	e.t.Helper()
	if a, p := e.count(); a != auths || p != pis {
		e.t.Fatalf("%d auth identities and %d provider identities, want %d and %d", a, p, auths, pis)
	}
}

// wantErr checks a failure's kind and message.
func wantErr(t *testing.T, res *auth.Result, err error, kind error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, result %+v", res)
	}
	t.Logf("error: %v", err)
	if res != nil {
		t.Errorf("a result with the error: %+v", res)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q (%T) is not %v", err, err, kind)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q, want it to contain %q", err, msg)
	}
}

func randomHex() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestLoginFlow(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{})
		ada := oidctest.DefaultUser()

		res := e.login("browser-1")
		if res.Link != provider.LinkNew {
			t.Errorf("Link %q, want %q", res.Link, provider.LinkNew)
		}
		pi := res.AuthIdentity.Provider(oidc.ID)
		if pi == nil || pi.EntityID != ada.Subject {
			t.Fatalf("provider identity %+v, want entity_id %s", pi, ada.Subject)
		}
		wantMeta := map[string]any{
			"email": ada.Email, "email_verified": true, "name": ada.Name,
			"given_name": ada.GivenName, "family_name": ada.FamilyName, "picture": ada.Picture,
		}
		if diff := cmp.Diff(wantMeta, pi.UserMetadata); diff != "" {
			t.Errorf("user_metadata (-want +got):\n%s", diff)
		}
		if len(pi.ProviderMetadata) != 0 {
			t.Errorf("provider_metadata %v: tokens are stored only when asked", pi.ProviderMetadata)
		}
		e.wantCount(1, 1)

		// The token carries the identity and its user_metadata.
		token, err := e.svc.Token(res.AuthIdentity, "customer", oidc.ID)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := e.svc.Verify(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		if claims.AuthIdentityID != res.AuthIdentity.ID || claims.AuthProvider != oidc.ID || claims.UserMetadata["email"] != ada.Email {
			t.Errorf("claims %+v", claims)
		}

		// A second login finds the same identity.
		again := e.login("browser-2")
		if again.AuthIdentity.ID != res.AuthIdentity.ID || again.Link != "" {
			t.Errorf("second login: identity %s link %q, want %s and no link", again.AuthIdentity.ID, again.Link, res.AuthIdentity.ID)
		}
		if got := again.AuthIdentity.Provider(oidc.ID).UpdatedAt; !got.Equal(pi.UpdatedAt) {
			t.Errorf("an unchanged profile was written again (updated_at %v, was %v)", got, pi.UpdatedAt)
		}
		e.wantCount(1, 1)

		// A changed profile refreshes user_metadata.
		renamed := ada
		renamed.Name, renamed.EmailVerified = "Ada King", false
		e.idp.SetUser(renamed)
		third := e.login("browser-1")
		um := third.AuthIdentity.Provider(oidc.ID).UserMetadata
		if third.AuthIdentity.ID != res.AuthIdentity.ID || um["name"] != "Ada King" || um["email_verified"] != false {
			t.Errorf("after a profile change: %s %v", third.AuthIdentity.ID, um)
		}

		// Another person gets another identity.
		grace := oidctest.User{Subject: "grace-sub", Email: "grace@example.com", EmailVerified: true, Name: "Grace"}
		e.idp.AddUser(grace)
		loc, err := e.start("browser-3", nil)
		if err != nil {
			t.Fatal(err)
		}
		q, err := e.idp.LoginAs(e.ctx, loc, "grace-sub")
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.callback("browser-3", q)
		if err != nil {
			t.Fatal(err)
		}
		if other.AuthIdentity.ID == res.AuthIdentity.ID || other.AuthIdentity.Provider(oidc.ID).EntityID != "grace-sub" {
			t.Errorf("grace's login reached %+v", other.AuthIdentity)
		}
		um = other.AuthIdentity.Provider(oidc.ID).UserMetadata
		if diff := cmp.Diff(map[string]any{"email": "grace@example.com", "email_verified": true, "name": "Grace"}, um); diff != "" {
			t.Errorf("only present claims (-want +got):\n%s", diff)
		}
		e.wantCount(2, 2)
	})
}

func TestAuthorizationURL(t *testing.T) {
	e := newEnv(t, memory.New(), setup{})
	seen := map[string]bool{}
	for range 2 {
		loc, err := e.start("browser", nil)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if !strings.HasPrefix(loc, e.idp.URL+"/authorize?") {
			t.Errorf("location %s", loc)
		}
		for k, want := range map[string]string{
			"response_type": "code", "client_id": e.idp.ClientID(), "redirect_uri": callbackURL,
			"scope": "openid email profile", "code_challenge_method": "S256",
		} {
			if got := q.Get(k); got != want {
				t.Errorf("%s=%q, want %q", k, got, want)
			}
		}
		if len(q.Get("state")) != 64 || len(q.Get("nonce")) != 64 || len(q.Get("code_challenge")) != 43 {
			t.Errorf("state %q nonce %q code_challenge %q", q.Get("state"), q.Get("nonce"), q.Get("code_challenge"))
		}
		for _, k := range []string{"state", "nonce", "code_challenge"} {
			if seen[q.Get(k)] {
				t.Errorf("%s repeated", k)
			}
			seen[q.Get(k)] = true
		}
		if q.Has("client_secret") || strings.Contains(loc, e.idp.ClientSecret()) {
			t.Error("the client secret is in the authorization URL")
		}
	}
}

// TestTokenRequest checks what reaches the token endpoint: the PKCE
// verifier, the redirect URI, and the client's credentials in the header,
// nothing in the URL.
func TestTokenRequest(t *testing.T) {
	e := newEnv(t, memory.New(), setup{})
	e.login("browser")
	var token []oidctest.Request
	for _, r := range e.idp.Requests() {
		if r.Path == "/token" {
			token = append(token, r)
		}
	}
	if len(token) != 1 {
		t.Fatalf("%d token requests", len(token))
	}
	r := token[0]
	if len(r.Query) != 0 {
		t.Errorf("token request URL has parameters %v", r.Query)
	}
	if len(r.Form.Get("code_verifier")) != 43 || r.Form.Get("redirect_uri") != callbackURL || r.Form.Get("grant_type") != "authorization_code" {
		t.Errorf("token request body %v", r.Form)
	}
	if r.Form.Has("client_secret") || !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
		t.Errorf("client credentials: body %v, Authorization %q", r.Form, r.Header.Get("Authorization"))
	}
}

// TestBadCallbacks: every bad callback fails with a clear error and
// creates no identity.
func TestBadCallbacks(t *testing.T) {
	stolenCode := func(e *env, q url.Values) (string, url.Values) {
		// The attacker's own login, with the victim's code: the identity
		// provider sees the attacker's PKCE verifier.
		attacker := e.authorize("attacker")
		attacker.Set("code", q.Get("code"))
		return "attacker", attacker
	}
	cases := []struct {
		name   string
		cfg    func(*oidc.Config)
		mis    oidctest.Misbehavior
		tamper func(e *env, q url.Values) (binding string, _ url.Values)
		kind   error
		msg    string
	}{
		{name: "missing code", tamper: del("code"), kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoCode},
		{name: "missing state", tamper: del("state"), kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoState},
		{name: "unknown state", tamper: set("state", randomHex()), kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoState},
		{name: "malformed state", tamper: set("state", "1234"), kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoState},
		{name: "expired state", tamper: func(e *env, q url.Values) (string, url.Values) {
			e.clock.Advance(oauth2flow.DefaultStateTTL + time.Second)
			return "browser", q
		}, kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoState},
		{name: "another browser", tamper: binding("another-browser"), kind: auth.ErrUnauthorized, msg: oauth2flow.MsgForeignBrowser},
		{name: "no binding", tamper: binding(""), kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoBinding},
		{name: "PKCE verifier mismatch (stolen code)", tamper: stolenCode, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 400, Bad Request: invalid_grant"},
		{name: "access denied", mis: oidctest.Misbehavior{DenyAuthorization: true}, kind: auth.ErrUnauthorized, msg: "The user denied access"},
		{name: "bad signature", mis: oidctest.Misbehavior{BadSignature: true}, kind: auth.ErrUnauthorized, msg: "Could not verify OpenID Connect id_token"},
		{name: "alg none", mis: oidctest.Misbehavior{AlgNone: true}, kind: auth.ErrUnauthorized, msg: "Could not verify OpenID Connect id_token"},
		{name: "HS256 with the client secret", mis: oidctest.Misbehavior{HS256: true}, kind: auth.ErrUnauthorized, msg: "Could not verify OpenID Connect id_token"},
		{name: "wrong issuer", mis: oidctest.Misbehavior{WrongIssuer: true}, kind: auth.ErrUnauthorized, msg: "issued by a different provider"},
		{name: "wrong audience", mis: oidctest.Misbehavior{WrongAudience: true}, kind: auth.ErrUnauthorized, msg: "expected audience"},
		{name: "expired id_token", mis: oidctest.Misbehavior{Expired: true}, kind: auth.ErrUnauthorized, msg: "token is expired"},
		{name: "wrong nonce", mis: oidctest.Misbehavior{WrongNonce: true}, kind: auth.ErrUnauthorized, msg: "nonce mismatch"},
		{name: "no id_token", mis: oidctest.Misbehavior{NoIDToken: true}, kind: auth.ErrUnauthorized, msg: "No id_token"},
		{name: "no sub", mis: oidctest.Misbehavior{NoSubject: true}, kind: auth.ErrUnauthorized, msg: "missing 'sub'"},
		{name: "unverified email where required", cfg: func(c *oidc.Config) { c.RequireVerifiedEmail = true },
			mis: oidctest.Misbehavior{UnverifiedEmail: true}, kind: auth.ErrInvalid, msg: oauth2flow.MsgEmailNotVerified},
		{name: "token endpoint 400", mis: oidctest.Misbehavior{TokenStatus: 400}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 400, Bad Request"},
		{name: "token endpoint 401", mis: oidctest.Misbehavior{TokenStatus: 401}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 401, Unauthorized"},
		{name: "token endpoint 500", mis: oidctest.Misbehavior{TokenStatus: 500}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 500, Internal Server Error"},
		{name: "token endpoint 503", mis: oidctest.Misbehavior{TokenStatus: 503}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 503, Service Unavailable"},
		{name: "token endpoint malformed JSON", mis: oidctest.Misbehavior{TokenMalformed: true}, kind: auth.ErrUnauthorized, msg: "Could not exchange token: malformed answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
				e := newEnv(t, st, setup{cfg: tc.cfg})
				q := e.authorize("browser")
				e.idp.Misbehave(tc.mis)
				if tc.mis.DenyAuthorization {
					q = e.authorize("browser")
				}
				b := "browser"
				if tc.tamper != nil {
					b, q = tc.tamper(e, q)
				}
				res, err := e.callback(b, q)
				wantErr(t, res, err, tc.kind, tc.msg)
				e.wantCount(0, 0)
			})
		})
	}
}

func del(key string) func(*env, url.Values) (string, url.Values) {
	return func(_ *env, q url.Values) (string, url.Values) { q.Del(key); return "browser", q }
}

func set(key, value string) func(*env, url.Values) (string, url.Values) {
	return func(_ *env, q url.Values) (string, url.Values) { q.Set(key, value); return "browser", q }
}

func binding(b string) func(*env, url.Values) (string, url.Values) {
	return func(_ *env, q url.Values) (string, url.Values) { return b, q }
}

// TestForeignBrowserSpendsState: a callback from another browser takes
// the state, so the login cannot be finished afterwards either.
func TestForeignBrowserSpendsState(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{})
		q := e.authorize("victim")
		res, err := e.callback("attacker", q)
		wantErr(t, res, err, auth.ErrUnauthorized, oauth2flow.MsgForeignBrowser)
		res, err = e.callback("victim", q)
		wantErr(t, res, err, auth.ErrUnauthorized, oauth2flow.MsgNoState)
		e.wantCount(0, 0)
	})
}

// TestTamperedState: a stored state that was changed is refused.
func TestTamperedState(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{})
		q := e.authorize("browser")
		// The auth service keys states by SHA-256(provider id, 0, state).
		sum := sha256.Sum256([]byte(oidc.ID + "\x00" + q.Get("state")))
		if err := st.PutState(e.ctx, hex.EncodeToString(sum[:]), []byte("forged value"), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		res, err := e.callback("browser", q)
		wantErr(t, res, err, auth.ErrUnauthorized, oauth2flow.MsgNoState)
		e.wantCount(0, 0)
	})
}

func TestStartRefused(t *testing.T) {
	cases := []struct {
		name    string
		binding string
		body    map[string]any
		query   url.Values
		kind    error
		msg     string
	}{
		{name: "no binding", kind: auth.ErrInvalid, msg: oauth2flow.MsgNoBinding},
		{name: "callback URL not allowed", binding: "b", body: map[string]any{"callback_url": "https://evil.example/cb"}, kind: auth.ErrInvalid, msg: oauth2flow.MsgCallbackNotAllowed},
		{name: "callback URL not a string", binding: "b", body: map[string]any{"callback_url": 12}, kind: auth.ErrInvalid, msg: oauth2flow.MsgCallbackNotAllowed},
		{name: "callback URL almost allowed", binding: "b", body: map[string]any{"callback_url": "https://shop.example/other/"}, kind: auth.ErrInvalid, msg: oauth2flow.MsgCallbackNotAllowed},
		{name: "identity provider error", binding: "b", query: url.Values{"error": {"access_denied"}, "error_description": {"Nope"}, "error_uri": {"https://idp.example/e"}},
			kind: auth.ErrUnauthorized, msg: "Nope, read more at: https://idp.example/e"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, memory.New(), setup{cfg: func(c *oidc.Config) { c.AllowedCallbackURLs = []string{"https://shop.example/other"} }})
			res, err := e.svc.Authenticate(e.ctx, oidc.ID, provider.Input{Binding: tc.binding, Body: tc.body, Query: tc.query})
			wantErr(t, res, err, tc.kind, tc.msg)
		})
	}
}

func TestAllowedCallbackURL(t *testing.T) {
	const other = "https://m.shop.example/callback"
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{cfg: func(c *oidc.Config) { c.AllowedCallbackURLs = []string{other} }})
		loc, err := e.start("browser", map[string]any{"callback_url": other})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		if got := u.Query().Get("redirect_uri"); got != other {
			t.Fatalf("redirect_uri %q", got)
		}
		back, err := e.idp.Authorize(e.ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(back.String(), other+"?") {
			t.Errorf("sent back to %s", back)
		}
		if _, err := e.callback("browser", back.Query()); err != nil {
			t.Fatal(err)
		}
		e.wantCount(1, 1)
	})
}

// TestConcurrentCallbacks: of 20 callbacks with the same state exactly
// one logs in.
func TestConcurrentCallbacks(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{})
		q := e.authorize("browser")
		const n = 20
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := e.callback("browser", q)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, auth.ErrUnauthorized) || err.Error() != oauth2flow.MsgNoState:
				t.Errorf("unexpected error %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d callbacks succeeded, want 1", ok)
		}
		e.wantCount(1, 1)
	})
}

// TestConcurrentFirstLogins: two logins of a new person at once make one
// identity.
func TestConcurrentFirstLogins(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{})
		q1, q2 := e.authorize("b1"), e.authorize("b2")
		var wg sync.WaitGroup
		ids := make([]string, 2)
		for i, q := range []url.Values{q1, q2} {
			wg.Go(func() {
				res, err := e.callback([]string{"b1", "b2"}[i], q)
				if err != nil {
					t.Errorf("login %d: %v", i, err)
					return
				}
				ids[i] = res.AuthIdentity.ID
			})
		}
		wg.Wait()
		if ids[0] != ids[1] {
			t.Errorf("two identities %v", ids)
		}
		e.wantCount(1, 1)
	})
}

// TestReplayedCode: with an identity provider that lets a code be
// redeemed twice, replaying the callback fails at the state, and the code
// in another login fails at PKCE, or, when the provider skips PKCE too,
// at the nonce.
func TestReplayedCode(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{})
		e.idp.Misbehave(oidctest.Misbehavior{AcceptReplayedCode: true})
		q := e.authorize("victim")
		if _, err := e.callback("victim", q); err != nil {
			t.Fatal(err)
		}
		e.wantCount(1, 1)

		res, err := e.callback("victim", q)
		wantErr(t, res, err, auth.ErrUnauthorized, oauth2flow.MsgNoState)

		attacker := e.authorize("attacker")
		attacker.Set("code", q.Get("code"))
		res, err = e.callback("attacker", attacker)
		wantErr(t, res, err, auth.ErrUnauthorized, "invalid_grant")

		e.idp.Misbehave(oidctest.Misbehavior{AcceptReplayedCode: true, SkipPKCECheck: true})
		attacker = e.authorize("attacker")
		attacker.Set("code", q.Get("code"))
		res, err = e.callback("attacker", attacker)
		wantErr(t, res, err, auth.ErrUnauthorized, "nonce mismatch")
		e.wantCount(1, 1)
	})
}

func TestStoreTokens(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{cfg: func(c *oidc.Config) { c.StoreTokens = true }})
		pm := e.login("browser").AuthIdentity.Provider(oidc.ID).ProviderMetadata
		at, _ := pm["access_token"].(string)
		rt, _ := pm["refresh_token"].(string)
		exp, _ := pm["access_token_expires_at"].(string)
		if !strings.HasPrefix(at, "at-") || !strings.HasPrefix(rt, "rt-") || exp == "" {
			t.Errorf("provider_metadata %v", pm)
		}
		// A later login stores the new tokens.
		pm2 := e.login("browser").AuthIdentity.Provider(oidc.ID).ProviderMetadata
		if pm2["access_token"] == at {
			t.Error("tokens not refreshed")
		}
	})
}

// TestNoLinkByEmail: a login never reaches another identity just because
// the email is the same; with verified-email linking on, the auth service
// links only when the provider says the email is verified.
func TestNoLinkByEmail(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{})
		reg, err := e.svc.Register(e.ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse battery"))
		if err != nil {
			t.Fatal(err)
		}
		res := e.login("browser")
		if res.AuthIdentity.ID == reg.AuthIdentity.ID || res.Link != provider.LinkNew {
			t.Errorf("the login reached the emailpass identity (link %q)", res.Link)
		}
		e.wantCount(2, 2)
	})
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, setup{authOpts: []auth.Option{auth.WithVerifiedEmailLinking(oidc.ID)}})
		reg, err := e.svc.Register(e.ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse battery"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.MarkEmailVerified(e.ctx, reg.AuthIdentity.ID, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		// Not verified by the provider: a new identity.
		e.idp.Misbehave(oidctest.Misbehavior{UnverifiedEmail: true})
		res := e.login("browser")
		if res.AuthIdentity.ID == reg.AuthIdentity.ID {
			t.Errorf("an unverified email reached the identity (link %q)", res.Link)
		}
		// Verified by both: linked, and the result says so.
		other := oidctest.User{Subject: "ada-second-account", Email: "ada@example.com", EmailVerified: true}
		e.idp.Misbehave(oidctest.Misbehavior{})
		e.idp.SetUser(other)
		res = e.login("browser")
		if res.AuthIdentity.ID != reg.AuthIdentity.ID || res.Link != provider.LinkVerifiedEmail {
			t.Errorf("verified email: identity %s link %q, want %s linked", res.AuthIdentity.ID, res.Link, reg.AuthIdentity.ID)
		}
	})
}

func TestRegisterAndDescribe(t *testing.T) {
	e := newEnv(t, memory.New(), setup{})
	res, err := e.svc.Register(e.ctx, oidc.ID, provider.Input{Binding: "b"})
	wantErr(t, res, err, auth.ErrInvalid, "OpenID Connect does not support registration. Use method `authenticate` instead.")
	var info *auth.ProviderInfo
	for _, p := range e.svc.Providers() {
		if p.ID == oidc.ID {
			info = &p
		}
	}
	if info == nil || info.DisplayName != "OpenID Connect Authentication" || info.Flow != "redirect" {
		t.Errorf("provider info %+v", info)
	}
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t, memory.New(), setup{})
	e.idp.Misbehave(oidctest.Misbehavior{DiscoveryStatus: 503})
	_, err := e.start("browser", nil)
	wantErr(t, nil, err, auth.ErrUnauthorized, "Could not discover the OpenID Connect provider's configuration")
	// A failure is not remembered.
	e.idp.Misbehave(oidctest.Misbehavior{})
	if _, err := e.start("browser", nil); err != nil {
		t.Fatal(err)
	}

	// The discovered issuer must be the configured one.
	p, err := oidc.New(oidc.Config{Issuer: e.idp.Issuer() + "/", ClientID: "c", ClientSecret: "s", CallbackURL: callbackURL}, oidc.WithHTTPClient(e.idp.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Discover(e.ctx); err == nil || !strings.Contains(err.Error(), "Could not discover") {
		t.Errorf("issuer mismatch: %v", err)
	}
}

func TestNew(t *testing.T) {
	ok := oidc.Config{Issuer: "https://idp.example", ClientID: "c", ClientSecret: "s", CallbackURL: callbackURL}
	cases := []struct {
		name string
		mod  func(*oidc.Config)
		want string
	}{
		{"no issuer", func(c *oidc.Config) { c.Issuer = "" }, "OpenID Connect issuer is required"},
		{"no client id", func(c *oidc.Config) { c.ClientID = "" }, "OpenID Connect clientId is required"},
		{"no client secret", func(c *oidc.Config) { c.ClientSecret = "" }, "OpenID Connect clientSecret is required"},
		{"no callback URL", func(c *oidc.Config) { c.CallbackURL = "" }, "OpenID Connect callbackUrl is required"},
		{"relative issuer", func(c *oidc.Config) { c.Issuer = "/idp" }, "not an absolute http(s) URL"},
		{"relative callback URL", func(c *oidc.Config) { c.CallbackURL = "/callback" }, "not an absolute http(s) URL"},
		{"script allowed callback URL", func(c *oidc.Config) { c.AllowedCallbackURLs = []string{"javascript:alert(1)"} }, "not an absolute http(s) URL"},
		{"named", func(c *oidc.Config) { c.Name, c.ClientID = "Acme", "" }, "Acme clientId is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			_, err := oidc.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			var pe *provider.Error
			if strings.HasSuffix(tc.want, "is required") && (!errors.As(err, &pe) || pe.Message != tc.want || !errors.Is(err, store.ErrInvalid)) {
				t.Errorf("error %#v, want a *provider.Error of kind store.ErrInvalid", err)
			}
		})
	}
	p, err := oidc.New(ok)
	if err != nil || p.ID() != oidc.ID {
		t.Fatalf("%v %v", p, err)
	}
	p, _ = oidc.New(oidc.Config{ID: "acme", Name: "Acme", Issuer: "https://idp.example", ClientID: "c", ClientSecret: "s", CallbackURL: callbackURL})
	if p.ID() != "acme" || p.DisplayName() != "Acme Authentication" {
		t.Errorf("%s %s", p.ID(), p.DisplayName())
	}
}
