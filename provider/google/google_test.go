package google_test

import (
	"context"
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
	"github.com/clientele/clientele/provider/google"
	"github.com/clientele/clientele/provider/oauth2flow"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Medusa's test configuration.
const callbackURL = "https://someurl.com/auth/google/callback"

type env struct {
	t   *testing.T
	ctx context.Context
	idp *oidctest.Server
	st  auth.Store
	svc *auth.Service
}

func newEnv(t *testing.T, st auth.Store, mod func(*google.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, idp: oidctest.NewServer(t), st: st}
	cfg := google.Config{ClientID: e.idp.ClientID(), ClientSecret: e.idp.ClientSecret(), CallbackURL: callbackURL, Issuer: e.idp.Issuer()}
	if mod != nil {
		mod(&cfg)
	}
	p, err := google.New(cfg, oidc.WithHTTPClient(e.idp.Client()))
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("google-test-secret-of-at-least-32-bytes")})
	if err != nil {
		t.Fatal(err)
	}
	if e.svc, err = auth.NewService(st, tokens, auth.WithProvider(p)); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) authorize(binding string) url.Values {
	e.t.Helper()
	res, err := e.svc.Authenticate(e.ctx, google.ID, provider.Input{ActorType: "customer", Binding: binding})
	if err != nil {
		e.t.Fatal(err)
	}
	q, err := e.idp.Login(e.ctx, res.Location)
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

func (e *env) callback(binding string, q url.Values) (*auth.Result, error) {
	return e.svc.ValidateCallback(e.ctx, google.ID, provider.Input{ActorType: "customer", Binding: binding, Query: q})
}

func (e *env) identities() int {
	e.t.Helper()
	n, err := e.st.CountAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestNew(t *testing.T) {
	cases := []struct {
		cfg  google.Config
		want string
	}{
		{google.Config{ClientSecret: "test", CallbackURL: callbackURL}, "Google clientId is required"},
		{google.Config{ClientID: "test", CallbackURL: callbackURL}, "Google clientSecret is required"},
		{google.Config{ClientID: "test", ClientSecret: "test"}, "Google callbackUrl is required"}, // G-01
	}
	for _, tc := range cases {
		_, err := google.New(tc.cfg)
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Message != tc.want || pe.Provider != google.ID || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("New(%+v) = %#v, want a *provider.Error of kind store.ErrInvalid with message %q", tc.cfg, err, tc.want)
		}
	}
	p, err := google.New(google.Config{ClientID: "test", ClientSecret: "test", CallbackURL: callbackURL})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "google" || p.DisplayName() != "Google Authentication" {
		t.Errorf("id %q display name %q", p.ID(), p.DisplayName())
	}
}

func TestLoginFlow(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, nil)
		ada := oidctest.DefaultUser()
		res, err := e.svc.Authenticate(e.ctx, google.ID, provider.Input{ActorType: "customer", Binding: "browser"})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(res.Location)
		if q := u.Query(); q.Get("scope") != "openid email profile" || q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || len(q.Get("state")) != 64 {
			t.Errorf("authorization URL %s", res.Location)
		}
		q, err := e.idp.Login(e.ctx, res.Location)
		if err != nil {
			t.Fatal(err)
		}
		res, err = e.callback("browser", q)
		if err != nil {
			t.Fatal(err)
		}
		// G-10: entity_id is the sub, never the email.
		pi := res.AuthIdentity.Provider(google.ID)
		if pi.EntityID != ada.Subject {
			t.Errorf("entity_id %q, want the sub %q", pi.EntityID, ada.Subject)
		}
		want := map[string]any{"email": ada.Email, "email_verified": true, "name": ada.Name, "given_name": ada.GivenName, "family_name": ada.FamilyName, "picture": ada.Picture}
		if diff := cmp.Diff(want, pi.UserMetadata); diff != "" {
			t.Errorf("user_metadata (-want +got):\n%s", diff)
		}
		if len(pi.ProviderMetadata) != 0 {
			t.Errorf("Google's tokens stored: %v", pi.ProviderMetadata)
		}
		token, err := e.svc.Token(res.AuthIdentity, "customer", google.ID)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := e.svc.Verify(e.ctx, token)
		if err != nil || claims.AuthIdentityID != res.AuthIdentity.ID || claims.AuthProvider != google.ID {
			t.Fatalf("claims %+v, %v", claims, err)
		}
		// G-08: a returning user gets the same identity.
		again, err := e.callback("browser", e.authorize("browser"))
		if err != nil || again.AuthIdentity.ID != res.AuthIdentity.ID {
			t.Fatalf("second login: %v %v", again, err)
		}
		if n := e.identities(); n != 1 {
			t.Errorf("%d identities", n)
		}
	})
}

// TestBadCallbacks: what Google-specific configuration must refuse, each
// with no identity created. Package oidc tests the whole list.
func TestBadCallbacks(t *testing.T) {
	cases := []struct {
		name   string
		mis    oidctest.Misbehavior
		tamper func(q url.Values) (string, url.Values)
		kind   error
		msg    string
	}{
		{name: "G-04 no code", tamper: func(q url.Values) (string, url.Values) { q.Del("code"); return "browser", q }, kind: auth.ErrUnauthorized, msg: "No code provided"},
		{name: "G-05 no state", tamper: func(q url.Values) (string, url.Values) { q.Del("state"); return "browser", q }, kind: auth.ErrUnauthorized, msg: "No state provided, or session expired"},
		{name: "another browser", tamper: func(q url.Values) (string, url.Values) { return "attacker", q }, kind: auth.ErrUnauthorized, msg: oauth2flow.MsgForeignBrowser},
		{name: "G-06 rejected code", mis: oidctest.Misbehavior{TokenStatus: 401}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 401, Unauthorized"},
		{name: "G-09 email not verified", mis: oidctest.Misbehavior{UnverifiedEmail: true}, kind: auth.ErrInvalid, msg: "Email not verified, cannot proceed with authentication"},
		{name: "G-11 forged id_token", mis: oidctest.Misbehavior{HS256: true}, kind: auth.ErrUnauthorized, msg: "Could not verify Google id_token"},
		{name: "bad signature", mis: oidctest.Misbehavior{BadSignature: true}, kind: auth.ErrUnauthorized, msg: "Could not verify Google id_token"},
		{name: "wrong audience", mis: oidctest.Misbehavior{WrongAudience: true}, kind: auth.ErrUnauthorized, msg: "expected audience"},
		{name: "wrong issuer", mis: oidctest.Misbehavior{WrongIssuer: true}, kind: auth.ErrUnauthorized, msg: "different provider"},
		{name: "expired", mis: oidctest.Misbehavior{Expired: true}, kind: auth.ErrUnauthorized, msg: "expired"},
		{name: "wrong nonce", mis: oidctest.Misbehavior{WrongNonce: true}, kind: auth.ErrUnauthorized, msg: "nonce mismatch"},
		{name: "token endpoint 500", mis: oidctest.Misbehavior{TokenStatus: 500}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 500"},
		{name: "malformed token answer", mis: oidctest.Misbehavior{TokenMalformed: true}, kind: auth.ErrUnauthorized, msg: "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
				e := newEnv(t, st, nil)
				q := e.authorize("browser")
				e.idp.Misbehave(tc.mis)
				b := "browser"
				if tc.tamper != nil {
					b, q = tc.tamper(q)
				}
				res, err := e.callback(b, q)
				if err == nil || res != nil || !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("got %v, %v; want %v %q", res, err, tc.kind, tc.msg)
				}
				if n := e.identities(); n != 0 {
					t.Errorf("%d identities created", n)
				}
			})
		})
	}
}

// TestNoEmail: a Google account with no email at all is
// refused too.
func TestNoEmail(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	e.idp.SetUser(oidctest.User{Subject: "no-email"})
	res, err := e.callback("browser", e.authorize("browser"))
	if !errors.Is(err, auth.ErrInvalid) || res != nil || err.Error() != oauth2flow.MsgEmailNotVerified {
		t.Fatalf("%v %v", res, err)
	}
}

func TestCallbackURL(t *testing.T) {
	const other = "https://someotherurl.com"
	e := newEnv(t, memory.New(), func(c *google.Config) { c.AllowedCallbackURLs = []string{other} })
	// G-03, made safe: a callback URL is accepted only from the allow-list.
	res, err := e.svc.Authenticate(e.ctx, google.ID, provider.Input{Binding: "b", Body: map[string]any{"callback_url": other}})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(res.Location); u.Query().Get("redirect_uri") != other {
		t.Errorf("location %s", res.Location)
	}
	res, err = e.svc.Authenticate(e.ctx, google.ID, provider.Input{Binding: "b", Body: map[string]any{"callback_url": "https://attacker.example"}})
	if !errors.Is(err, auth.ErrInvalid) || res != nil {
		t.Errorf("a callback URL off the list: %v %v", res, err)
	}
}

func TestConcurrentCallbacks(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, nil)
		q := e.authorize("browser")
		var wg sync.WaitGroup
		var mu sync.Mutex
		succeeded := 0
		for range 20 {
			wg.Go(func() {
				if _, err := e.callback("browser", q); err == nil {
					mu.Lock()
					succeeded++
					mu.Unlock()
				} else if !errors.Is(err, auth.ErrUnauthorized) {
					t.Errorf("error %v", err)
				}
			})
		}
		wg.Wait()
		if succeeded != 1 || e.identities() != 1 {
			t.Errorf("%d callbacks succeeded and %d identities, want 1 and 1", succeeded, e.identities())
		}
	})
}

func TestRegister(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	// G-13.
	_, err := e.svc.Register(e.ctx, google.ID, provider.Input{})
	if !errors.Is(err, auth.ErrInvalid) || err.Error() != "Google does not support registration. Use method `authenticate` instead." {
		t.Errorf("%v", err)
	}
}

func TestIdentityProviderError(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	// G-12.
	q := url.Values{"error": {"access_denied"}, "error_description": {"Access denied"}, "error_uri": {"https://developers.google.com/x"}}
	for _, call := range []func(context.Context, string, provider.Input) (*auth.Result, error){e.svc.Authenticate, e.svc.ValidateCallback} {
		_, err := call(e.ctx, google.ID, provider.Input{Binding: "b", Query: q})
		if !errors.Is(err, auth.ErrUnauthorized) || err.Error() != "Access denied, read more at: https://developers.google.com/x" {
			t.Errorf("%v", err)
		}
	}
}

// withHD returns the default user with Google's hd claim (none for "").
func withHD(hd string) oidctest.User {
	u := oidctest.DefaultUser()
	if hd != "" {
		u.Claims = map[string]any{"hd": hd}
	}
	return u
}

// TestHostedDomains: the hd claim of the verified id_token decides,
// whatever the authorization URL said; a refused login creates nothing.
func TestHostedDomains(t *testing.T) {
	cases := []struct {
		name    string
		domains []string
		hint    string // the hd parameter of the authorization URL
		allowed []string
		refused []string
	}{
		{"one domain", []string{"Example.com "}, "example.com", []string{"example.com", "EXAMPLE.COM"}, []string{"other.com", "", "example.com.evil.com", "sub.example.com"}},
		{"two domains", []string{"example.com", "example.org"}, "", []string{"example.com", "example.org"}, []string{"example.net", ""}},
		{"any Workspace domain", []string{"*"}, "*", []string{"example.com", "other.com"}, []string{""}},
		{"none: any account", nil, "", []string{"example.com", ""}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
				e := newEnv(t, st, func(c *google.Config) { c.HostedDomains = tc.domains })
				res, err := e.svc.Authenticate(e.ctx, google.ID, provider.Input{ActorType: "customer", Binding: "browser"})
				if err != nil {
					t.Fatal(err)
				}
				u, _ := url.Parse(res.Location)
				if got, ok := u.Query()["hd"]; tc.hint == "" && ok || tc.hint != "" && (len(got) != 1 || got[0] != tc.hint) {
					t.Errorf("hd parameter %q, want %q", got, tc.hint)
				}
				for _, hd := range tc.refused {
					e.idp.SetUser(withHD(hd))
					// The hint is no control: the user could drop it.
					q, err := e.idp.Login(e.ctx, strings.Replace(res.Location, "hd=", "dropped=", 1))
					if err != nil {
						t.Fatal(err)
					}
					_, err = e.callback("browser", q)
					var pe *provider.Error
					if !errors.As(err, &pe) || !errors.Is(err, auth.ErrUnauthorized) || pe.Message != "This Google account is not in an allowed domain" {
						t.Errorf("hd %q: %v", hd, err)
					}
					if n := e.identities(); n != 0 {
						t.Fatalf("hd %q: %d identities created", hd, n)
					}
					res, err = e.svc.Authenticate(e.ctx, google.ID, provider.Input{ActorType: "customer", Binding: "browser"})
					if err != nil {
						t.Fatal(err)
					}
				}
				for _, hd := range tc.allowed {
					e.idp.SetUser(withHD(hd))
					if _, err := e.callback("browser", e.authorize("browser")); err != nil {
						t.Errorf("hd %q: %v", hd, err)
					}
				}
			})
		})
	}
}

func TestHostedDomainsConfig(t *testing.T) {
	for _, ds := range [][]string{{""}, {" "}, {"example"}, {"ex ample.com"}, {"ada@example.com"}, {"*", "example.com"}, {"*.example.com"}, {"https://example.com"}} {
		_, err := google.New(google.Config{ClientID: "id", ClientSecret: "secret", CallbackURL: callbackURL, HostedDomains: ds})
		var pe *provider.Error
		if !errors.As(err, &pe) || !errors.Is(err, store.ErrInvalid) || !strings.Contains(pe.Message, "hosted domain") {
			t.Errorf("HostedDomains %q: %v", ds, err)
		}
	}
}
