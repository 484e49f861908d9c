package github_test

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
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/provider/github"
	"github.com/clientele/clientele/provider/oauth2flow"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Medusa's test configuration.
const callbackURL = "https://someurl.com/auth/github/callback"

type env struct {
	t     *testing.T
	ctx   context.Context
	idp   *oidctest.Server
	st    auth.Store
	svc   *auth.Service
	clock *oidctest.Clock
}

func newEnv(t *testing.T, st auth.Store, mod func(*github.Config), authOpts ...auth.Option) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, idp: oidctest.NewServer(t), st: st, clock: &oidctest.Clock{}}
	cfg := github.Config{ClientID: e.idp.ClientID(), ClientSecret: e.idp.ClientSecret(), CallbackURL: callbackURL, BaseURL: e.idp.URL, APIURL: e.idp.URL}
	if mod != nil {
		mod(&cfg)
	}
	p, err := github.New(cfg, github.WithHTTPClient(e.idp.Client()), github.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("github-test-secret-of-at-least-32-bytes")})
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]auth.Option{auth.WithProvider(p), auth.WithClock(e.clock.Now),
		auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1})))}, authOpts...)
	if e.svc, err = auth.NewService(st, tokens, opts...); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) start(binding string) string {
	e.t.Helper()
	res, err := e.svc.Authenticate(e.ctx, github.ID, provider.Input{ActorType: "customer", Binding: binding})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Location
}

func (e *env) authorize(binding string) url.Values {
	e.t.Helper()
	q, err := e.idp.Login(e.ctx, e.start(binding))
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

func (e *env) callback(binding string, q url.Values) (*auth.Result, error) {
	return e.svc.ValidateCallback(e.ctx, github.ID, provider.Input{ActorType: "customer", Binding: binding, Query: q})
}

func (e *env) login(binding string) *auth.Result {
	e.t.Helper()
	res, err := e.callback(binding, e.authorize(binding))
	if err != nil {
		e.t.Fatalf("login: %v", err)
	}
	return res
}

func (e *env) wantIdentities(n int) {
	e.t.Helper()
	got, err := e.st.CountAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	if got != n || len(pis) != n {
		e.t.Fatalf("%d auth identities, %d provider identities, want %d", got, len(pis), n)
	}
}

func wantErr(t *testing.T, res *auth.Result, err error, kind error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, result %+v", res)
	}
	t.Logf("error: %v", err)
	if res != nil {
		t.Errorf("a result with the error: %+v", res)
	}
	if !errors.Is(err, kind) || !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q, want %v containing %q", err, kind, msg)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		cfg  github.Config
		want string
	}{
		{github.Config{ClientSecret: "test", CallbackURL: callbackURL}, "Github clientId is required"},
		{github.Config{ClientID: "test", CallbackURL: callbackURL}, "Github clientSecret is required"},
		{github.Config{ClientID: "test", ClientSecret: "test"}, "Github callbackUrl is required"}, // H-01
		{github.Config{ClientID: "test", ClientSecret: "test", CallbackURL: "/cb"}, "not an absolute http(s) URL"},
	}
	for _, tc := range cases {
		_, err := github.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
		var pe *provider.Error
		if strings.HasSuffix(tc.want, "is required") && (!errors.As(err, &pe) || pe.Message != tc.want || !errors.Is(err, store.ErrInvalid)) {
			t.Errorf("New(%+v) = %#v, want a *provider.Error of kind store.ErrInvalid", tc.cfg, err)
		}
	}
	p, err := github.New(github.Config{ClientID: "test", ClientSecret: "test", CallbackURL: callbackURL})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "github" || p.DisplayName() != "Github Authentication" {
		t.Errorf("%q %q", p.ID(), p.DisplayName())
	}
	// H-02, with state and PKCE.
	ids := &fakeStates{}
	res, err := p.Authenticate(context.Background(), provider.Input{Binding: "b"}, ids)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(res.Location)
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != "https://github.com/login/oauth/authorize" || q.Get("redirect_uri") != callbackURL ||
		q.Get("client_id") != "test" || q.Get("response_type") != "code" || q.Get("scope") != "read:user user:email" ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") != ids.key || len(ids.key) != 64 || q.Has("nonce") {
		t.Errorf("location %s", res.Location)
	}
	if ids.ttl != 10*time.Minute {
		t.Errorf("state kept for %v", ids.ttl)
	}
}

// fakeStates records SetState; nothing else is used by Authenticate.
type fakeStates struct {
	provider.Identities
	key string
	ttl time.Duration
}

func (f *fakeStates) SetState(_ context.Context, key string, _ []byte, ttl time.Duration) error {
	f.key, f.ttl = key, ttl
	return nil
}

func TestLoginFlow(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, nil)
		ada := oidctest.DefaultUser()
		res := e.login("browser")
		pi := res.AuthIdentity.Provider(github.ID)
		if pi.EntityID != "583231" {
			t.Errorf("entity_id %q, want the numeric user id", pi.EntityID)
		}
		want := map[string]any{
			"profile_url": e.idp.URL + "/users/ada", "avatar": ada.Picture, "email": ada.Email,
			"name": ada.Name, "company": ada.Company, "two_factor_authentication": true,
			"email_verified": true,
		}
		if diff := cmp.Diff(want, pi.UserMetadata); diff != "" {
			t.Errorf("user_metadata (-want +got):\n%s", diff)
		}
		if len(pi.ProviderMetadata) != 0 {
			t.Errorf("GitHub's token stored: %v", pi.ProviderMetadata)
		}
		token, err := e.svc.Token(res.AuthIdentity, "customer", github.ID)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := e.svc.Verify(t.Context(), token)
		if err != nil || claims.AuthIdentityID != res.AuthIdentity.ID || claims.UserMetadata["email"] != ada.Email {
			t.Fatalf("claims %+v, %v", claims, err)
		}
		again := e.login("other-browser")
		if again.AuthIdentity.ID != res.AuthIdentity.ID {
			t.Error("a second login made another identity")
		}
		e.wantIdentities(1)

		// The exchange: form body with the PKCE verifier, JSON asked for,
		// nothing in the URL; the API with the access token.
		for _, r := range e.idp.Requests() {
			switch r.Path {
			case "/login/oauth/access_token":
				if len(r.Query) != 0 || len(r.Form.Get("code_verifier")) != 43 || r.Form.Get("client_secret") != e.idp.ClientSecret() ||
					r.Form.Get("redirect_uri") != callbackURL || r.Header.Get("Accept") != "application/json" {
					t.Errorf("token request %+v", r)
				}
			case "/user", "/user/emails":
				if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer gho_") {
					t.Errorf("API request %+v", r)
				}
			}
		}
	})
}

// TestStoreTokens: GitHub's answer has no expires_in (Medusa fails with
// "Invalid time value"); tokens are stored only when asked.
func TestStoreTokens(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, func(c *github.Config) { c.StoreTokens = true })
		pm := e.login("browser").AuthIdentity.Provider(github.ID).ProviderMetadata
		at, _ := pm["access_token"].(string)
		if !strings.HasPrefix(at, "gho_") || len(pm) != 1 {
			t.Errorf("provider_metadata %v, want only the access token", pm)
		}
		// H-06: a returning user's tokens are replaced.
		pm = e.login("browser").AuthIdentity.Provider(github.ID).ProviderMetadata
		if pm["access_token"] == at {
			t.Error("token not replaced")
		}
	})
}

func TestEmails(t *testing.T) {
	cases := []struct {
		name     string
		user     oidctest.User
		link     bool // whether a verified-email link to ada@example.com happens
		metaMail any
	}{
		{"primary verified", oidctest.DefaultUser(), true, "ada@example.com"},
		{"primary unverified", func() oidctest.User {
			u := oidctest.DefaultUser()
			u.GitHubEmails = []oidctest.GitHubEmail{{Email: "ada@example.com", Primary: true}, {Email: "ada@work.example", Verified: true}}
			return u
		}(), false, "ada@example.com"},
		{"no public email, primary verified", func() oidctest.User {
			u := oidctest.DefaultUser()
			u.Email = ""
			u.GitHubEmails = []oidctest.GitHubEmail{{Email: "ada@example.com", Primary: true, Verified: true}}
			return u
		}(), true, "ada@example.com"},
		{"no email at all", func() oidctest.User { u := oidctest.DefaultUser(); u.Email = ""; return u }(), false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, memory.New(), nil, auth.WithVerifiedEmailLinking(github.ID))
			reg, err := e.svc.Register(e.ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse battery"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.MarkEmailVerified(e.ctx, reg.AuthIdentity.ID, "ada@example.com"); err != nil {
				t.Fatal(err)
			}
			e.idp.SetUser(tc.user)
			res := e.login("browser")
			linked := res.AuthIdentity.ID == reg.AuthIdentity.ID
			if linked != tc.link || linked && res.Link != provider.LinkVerifiedEmail {
				t.Errorf("linked %v (%q), want %v", linked, res.Link, tc.link)
			}
			if got := res.AuthIdentity.Provider(github.ID).UserMetadata["email"]; got != tc.metaMail {
				t.Errorf("user_metadata email %v, want %v", got, tc.metaMail)
			}
		})
	}
}

func TestRequireVerifiedEmail(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, func(c *github.Config) { c.RequireVerifiedEmail = true })
		e.idp.Misbehave(oidctest.Misbehavior{UnverifiedEmail: true})
		res, err := e.callback("browser", e.authorize("browser"))
		wantErr(t, res, err, auth.ErrInvalid, oauth2flow.MsgEmailNotVerified)
		e.wantIdentities(0)
	})
}

// TestBadCallbacks: every bad callback fails with a clear error and
// creates no identity.
func TestBadCallbacks(t *testing.T) {
	keep := func(e *env, q url.Values) (string, url.Values) { return "browser", q }
	cases := []struct {
		name   string
		mis    oidctest.Misbehavior
		tamper func(e *env, q url.Values) (string, url.Values)
		kind   error
		msg    string
	}{
		{name: "H-03 missing code", tamper: func(_ *env, q url.Values) (string, url.Values) { q.Del("code"); return "browser", q }, kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoCode},
		{name: "H-08 missing state", tamper: func(_ *env, q url.Values) (string, url.Values) { q.Del("state"); return "browser", q }, kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoState},
		{name: "H-08 unknown state", tamper: func(_ *env, q url.Values) (string, url.Values) {
			q.Set("state", strings.Repeat("ab", 32))
			return "browser", q
		}, kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoState},
		{name: "expired state", tamper: func(e *env, q url.Values) (string, url.Values) {
			e.clock.Advance(11 * time.Minute)
			return "browser", q
		}, kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoState},
		{name: "another browser", tamper: func(_ *env, q url.Values) (string, url.Values) { return "attacker", q }, kind: auth.ErrUnauthorized, msg: oauth2flow.MsgForeignBrowser},
		{name: "no binding", tamper: func(_ *env, q url.Values) (string, url.Values) { return "", q }, kind: auth.ErrUnauthorized, msg: oauth2flow.MsgNoBinding},
		{name: "PKCE verifier mismatch (stolen code)", tamper: func(e *env, q url.Values) (string, url.Values) {
			attacker := e.authorize("attacker")
			attacker.Set("code", q.Get("code"))
			return "attacker", attacker
		}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 200, OK: bad_verification_code"},
		{name: "access denied", mis: oidctest.Misbehavior{DenyAuthorization: true}, kind: auth.ErrUnauthorized, msg: "The user denied access"},
		{name: "GitHub error with 200", mis: oidctest.Misbehavior{GitHubErrorWith200: true}, tamper: keep, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 200, OK: bad_verification_code"},
		{name: "H-04 token endpoint 401", mis: oidctest.Misbehavior{TokenStatus: 401}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 401, Unauthorized"},
		{name: "token endpoint 502", mis: oidctest.Misbehavior{TokenStatus: 502}, kind: auth.ErrUnauthorized, msg: "Could not exchange token, 502, Bad Gateway"},
		{name: "token endpoint malformed JSON", mis: oidctest.Misbehavior{TokenMalformed: true}, kind: auth.ErrUnauthorized, msg: "Could not exchange token: malformed answer"},
		{name: "API 401", mis: oidctest.Misbehavior{APIStatus: 401}, kind: auth.ErrUnauthorized, msg: "Could not read the GitHub user, 401, Unauthorized"},
		{name: "API 403", mis: oidctest.Misbehavior{APIStatus: 403}, kind: auth.ErrUnauthorized, msg: "Could not read the GitHub user, 403, Forbidden"},
		{name: "API 500", mis: oidctest.Misbehavior{APIStatus: 500}, kind: auth.ErrUnauthorized, msg: "Could not read the GitHub user, 500, Internal Server Error"},
		{name: "API malformed JSON", mis: oidctest.Misbehavior{APIMalformed: true}, kind: auth.ErrUnauthorized, msg: "Could not read the GitHub user: malformed answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
				e := newEnv(t, st, nil)
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
				e.wantIdentities(0)
			})
		})
	}
}

func TestStartRefused(t *testing.T) {
	e := newEnv(t, memory.New(), func(c *github.Config) { c.AllowedCallbackURLs = []string{"https://someurl.com/m/callback"} })
	for _, tc := range []struct {
		in   provider.Input
		kind error
		msg  string
	}{
		{provider.Input{}, auth.ErrInvalid, oauth2flow.MsgNoBinding},
		{provider.Input{Binding: "b", Body: map[string]any{"callback_url": "https://attacker.example/cb"}}, auth.ErrInvalid, oauth2flow.MsgCallbackNotAllowed},
		{provider.Input{Binding: "b", Query: url.Values{"error": {"access_denied"}}}, auth.ErrUnauthorized, "access_denied"},
	} {
		res, err := e.svc.Authenticate(e.ctx, github.ID, tc.in)
		wantErr(t, res, err, tc.kind, tc.msg)
	}
	res, err := e.svc.Authenticate(e.ctx, github.ID, provider.Input{Binding: "b", Body: map[string]any{"callback_url": "https://someurl.com/m/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.idp.Login(e.ctx, res.Location)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.callback("b", q); err != nil {
		t.Fatalf("allowed callback URL: %v", err)
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
				_, err := e.callback("browser", q)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					succeeded++
				case !errors.Is(err, auth.ErrUnauthorized) || err.Error() != oauth2flow.MsgNoState:
					t.Errorf("error %v", err)
				}
			})
		}
		wg.Wait()
		if succeeded != 1 {
			t.Errorf("%d callbacks succeeded, want 1", succeeded)
		}
		e.wantIdentities(1)
	})
}

// TestReplayedCode: with a GitHub that lets a code be redeemed twice, the
// replayed callback fails at the state and the code in another login at
// PKCE.
func TestReplayedCode(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEnv(t, st, nil)
		e.idp.Misbehave(oidctest.Misbehavior{AcceptReplayedCode: true})
		q := e.authorize("victim")
		if _, err := e.callback("victim", q); err != nil {
			t.Fatal(err)
		}
		res, err := e.callback("victim", q)
		wantErr(t, res, err, auth.ErrUnauthorized, oauth2flow.MsgNoState)
		attacker := e.authorize("attacker")
		attacker.Set("code", q.Get("code"))
		res, err = e.callback("attacker", attacker)
		wantErr(t, res, err, auth.ErrUnauthorized, "bad_verification_code")
		e.wantIdentities(1)
	})
}

func TestRegister(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	_, err := e.svc.Register(e.ctx, github.ID, provider.Input{})
	if !errors.Is(err, auth.ErrInvalid) || err.Error() != "Github does not support registration. Use method `authenticate` instead." {
		t.Errorf("%v", err)
	}
}
