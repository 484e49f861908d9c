package oauth2flow_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oauth2flow"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store"
)

const callbackURL = "https://shop.example/auth/customer/acme/callback"

// states is a provider.Identities that keeps states and identities in
// memory, with a settable clock.
type states struct {
	mu         sync.Mutex
	now        time.Time
	values     map[string][]byte
	expires    map[string]time.Time
	ttls       []time.Duration
	identities map[string]*provider.AuthIdentity
	// conflicts makes the next Create calls fail with store.ErrConflict
	// after creating the identity, as when a concurrent login wins.
	conflicts int
	updates   int
}

func newStates() *states {
	return &states{now: time.Now(), values: map[string][]byte{}, expires: map[string]time.Time{}, identities: map[string]*provider.AuthIdentity{}}
}

func (s *states) SetState(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[key] = bytes.Clone(value)
	s.expires[key] = s.now.Add(ttl)
	s.ttls = append(s.ttls, ttl)
	return nil
}

func (s *states) TakeState(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	expired := !s.now.Before(s.expires[key])
	delete(s.values, key)
	delete(s.expires, key)
	if !ok || expired {
		return nil, store.ErrNotFound
	}
	return v, nil
}

func (s *states) advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d)
}

func (s *states) Retrieve(_ context.Context, entityID string) (*provider.AuthIdentity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.identities[entityID]; ok {
		return a, nil
	}
	return nil, store.ErrNotFound
}

func (s *states) Create(_ context.Context, in provider.NewIdentity) (*provider.AuthIdentity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.identities[in.EntityID]; ok {
		return nil, store.ErrConflict
	}
	a := &provider.AuthIdentity{ID: "authid_" + in.EntityID, ProviderIdentities: []*provider.ProviderIdentity{{
		EntityID: in.EntityID, Provider: "acme", UserMetadata: in.UserMetadata, ProviderMetadata: in.ProviderMetadata,
	}}}
	s.identities[in.EntityID] = a
	if s.conflicts > 0 {
		s.conflicts--
		return nil, store.ErrConflict
	}
	return a, nil
}

func (s *states) Update(_ context.Context, entityID string, up provider.IdentityUpdate) (*provider.AuthIdentity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.identities[entityID]
	if !ok {
		return nil, store.ErrNotFound
	}
	s.updates++
	pi := a.ProviderIdentities[0]
	if up.UserMetadata != nil {
		pi.UserMetadata = up.UserMetadata
	}
	if up.ProviderMetadata != nil {
		pi.ProviderMetadata = up.ProviderMetadata
	}
	return a, nil
}

type env struct {
	t    *testing.T
	ctx  context.Context
	idp  *oidctest.Server
	ids  *states
	flow *oauth2flow.Flow
	conf oauth2.Config
}

func newEnv(t *testing.T) *env {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	idp := oidctest.NewServer(t)
	return &env{
		t: t, ctx: ctx, idp: idp, ids: newStates(),
		flow: &oauth2flow.Flow{ProviderID: "acme", CallbackURL: callbackURL, AllowedCallbackURLs: []string{"https://m.shop.example/callback"}},
		conf: oauth2.Config{
			ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(), Scopes: []string{"openid"},
			Endpoint: oauth2.Endpoint{AuthURL: idp.URL + "/authorize", TokenURL: idp.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		},
	}
}

// begin starts a login from binding and returns the callback's query.
func (e *env) begin(binding string, withNonce bool) url.Values {
	e.t.Helper()
	loc, err := e.flow.Begin(e.ctx, provider.Input{Binding: binding}, e.ids, e.conf, withNonce)
	if err != nil {
		e.t.Fatal(err)
	}
	q, err := e.idp.Login(e.ctx, loc)
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

func wantFail(t *testing.T, err error, kind error, msg string) {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Provider != "acme" || !errors.Is(err, kind) || !strings.Contains(pe.Message, msg) {
		t.Errorf("error %#v (%v), want a *provider.Error of kind %v containing %q", err, err, kind, msg)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		flow oauth2flow.Flow
		ok   bool
	}{
		{oauth2flow.Flow{CallbackURL: callbackURL}, true},
		{oauth2flow.Flow{CallbackURL: "http://localhost:9000/cb", AllowedCallbackURLs: []string{callbackURL}}, true},
		{oauth2flow.Flow{}, false},
		{oauth2flow.Flow{CallbackURL: "/cb"}, false},
		{oauth2flow.Flow{CallbackURL: "javascript:alert(1)"}, false},
		{oauth2flow.Flow{CallbackURL: callbackURL + "#frag"}, false},
		{oauth2flow.Flow{CallbackURL: callbackURL, AllowedCallbackURLs: []string{"ftp://x.example/cb"}}, false},
		{oauth2flow.Flow{CallbackURL: "https://%zz"}, false},
	} {
		if err := tc.flow.Check(); (err == nil) != tc.ok {
			t.Errorf("Check(%+v) = %v, want ok %v", tc.flow, err, tc.ok)
		}
	}
}

// TestLogin runs both legs and the exchange, and checks what each leg
// sends and keeps.
func TestLogin(t *testing.T) {
	for _, withNonce := range []bool{false, true} {
		e := newEnv(t)
		loc, err := e.flow.Begin(e.ctx, provider.Input{Binding: "browser"}, e.ids, e.conf, withNonce, oauth2.SetAuthURLParam("prompt", "login"))
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		state := q.Get("state")
		if len(state) != 64 || q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != callbackURL ||
			q.Get("client_id") != e.idp.ClientID() || q.Get("prompt") != "login" || q.Has("nonce") != withNonce {
			t.Fatalf("authorization URL %s", loc)
		}
		stored, ok := e.ids.values[state]
		if !ok || len(e.ids.ttls) != 1 || e.ids.ttls[0] != oauth2flow.DefaultStateTTL {
			t.Fatalf("state stored %v, TTLs %v", ok, e.ids.ttls)
		}
		cbq, err := e.idp.Login(e.ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := e.flow.Finish(e.ctx, provider.Input{Binding: "browser", Query: cbq}, e.ids)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(cb.Verifier))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != q.Get("code_challenge") {
			t.Error("the verifier does not match the challenge")
		}
		if bytes.Contains(stored, []byte(cb.Verifier)) || bytes.Contains(stored, []byte("browser")) || bytes.Contains(stored, []byte(callbackURL)) {
			t.Error("the stored state is readable")
		}
		if cb.CallbackURL != callbackURL || cb.Code != cbq.Get("code") || cb.Nonce != q.Get("nonce") || (cb.Nonce != "") != withNonce {
			t.Errorf("callback %+v", cb)
		}
		tok, err := e.flow.Exchange(e.ctx, cb, e.conf, e.idp.Client())
		if err != nil || tok.AccessToken == "" {
			t.Fatalf("exchange: %v %v", tok, err)
		}
		var tokenReqs []oidctest.Request
		for _, r := range e.idp.Requests() {
			if r.Path == "/token" {
				tokenReqs = append(tokenReqs, r)
			}
		}
		if len(tokenReqs) != 1 {
			t.Fatalf("%d token requests", len(tokenReqs))
		}
		r := tokenReqs[0]
		if len(r.Query) != 0 || r.Form.Get("code_verifier") != cb.Verifier || r.Form.Get("redirect_uri") != callbackURL ||
			r.Form.Has("client_secret") || !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
			t.Errorf("token request: query %v, form %v", r.Query, r.Form)
		}
	}
}

func TestStateTTL(t *testing.T) {
	e := newEnv(t)
	e.flow.StateTTL = time.Minute
	q := e.begin("browser", false)
	if e.ids.ttls[0] != time.Minute {
		t.Errorf("TTL %v", e.ids.ttls[0])
	}
	e.ids.advance(time.Minute)
	_, err := e.flow.Finish(e.ctx, provider.Input{Binding: "browser", Query: q}, e.ids)
	wantFail(t, err, provider.ErrUnauthorized, oauth2flow.MsgNoState)
}

func TestCheckStart(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		in   provider.Input
		want string // the callback URL, or the error message
		kind error
	}{
		{name: "default", in: provider.Input{Binding: "b"}, want: callbackURL},
		{name: "null callback_url", in: provider.Input{Binding: "b", Body: map[string]any{"callback_url": nil}}, want: callbackURL},
		{name: "allowed", in: provider.Input{Binding: "b", Body: map[string]any{"callback_url": "https://m.shop.example/callback"}}, want: "https://m.shop.example/callback"},
		{name: "the default named", in: provider.Input{Binding: "b", Body: map[string]any{"callback_url": callbackURL}}, want: callbackURL},
		{name: "no binding", in: provider.Input{}, want: oauth2flow.MsgNoBinding, kind: store.ErrInvalid},
		{name: "not allowed", in: provider.Input{Binding: "b", Body: map[string]any{"callback_url": "https://evil.example/cb"}}, want: oauth2flow.MsgCallbackNotAllowed, kind: store.ErrInvalid},
		{name: "prefix of allowed", in: provider.Input{Binding: "b", Body: map[string]any{"callback_url": "https://m.shop.example/"}}, want: oauth2flow.MsgCallbackNotAllowed, kind: store.ErrInvalid},
		{name: "not a string", in: provider.Input{Binding: "b", Body: map[string]any{"callback_url": []any{callbackURL}}}, want: oauth2flow.MsgCallbackNotAllowed, kind: store.ErrInvalid},
		{name: "identity provider error", in: provider.Input{Binding: "b", Query: url.Values{"error": {"access_denied\x00"}}}, want: "access_denied", kind: provider.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.flow.CheckStart(tc.in)
			if tc.kind == nil {
				if err != nil || got != tc.want {
					t.Errorf("CheckStart = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			wantFail(t, err, tc.kind, tc.want)
			if _, err := e.flow.Begin(e.ctx, tc.in, e.ids, e.conf, false); err == nil {
				t.Error("Begin accepted the request")
			}
		})
	}
	if len(e.ids.values) != 0 {
		t.Errorf("%d states stored for refused starts", len(e.ids.values))
	}
}

func TestFinishRefused(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(e *env, q url.Values) (binding string, _ url.Values)
		msg    string
	}{
		{name: "no code", tamper: func(_ *env, q url.Values) (string, url.Values) { q.Del("code"); return "browser", q }, msg: oauth2flow.MsgNoCode},
		{name: "long code", tamper: func(_ *env, q url.Values) (string, url.Values) {
			q.Set("code", strings.Repeat("c", 5000))
			return "browser", q
		}, msg: "Invalid code"},
		{name: "no state", tamper: func(_ *env, q url.Values) (string, url.Values) { q.Del("state"); return "browser", q }, msg: oauth2flow.MsgNoState},
		{name: "malformed state", tamper: func(_ *env, q url.Values) (string, url.Values) {
			q.Set("state", "zz"+q.Get("state")[2:])
			return "browser", q
		}, msg: oauth2flow.MsgNoState},
		{name: "unknown state", tamper: func(_ *env, q url.Values) (string, url.Values) {
			q.Set("state", strings.Repeat("ab", 32))
			return "browser", q
		}, msg: oauth2flow.MsgNoState},
		{name: "another browser", tamper: func(_ *env, q url.Values) (string, url.Values) { return "attacker", q }, msg: oauth2flow.MsgForeignBrowser},
		{name: "no binding", tamper: func(_ *env, q url.Values) (string, url.Values) { return "", q }, msg: oauth2flow.MsgNoBinding},
		{name: "tampered value", tamper: func(e *env, q url.Values) (string, url.Values) {
			v := e.ids.values[q.Get("state")]
			v[len(v)-1] ^= 1
			return "browser", q
		}, msg: oauth2flow.MsgNoState},
		{name: "short value", tamper: func(e *env, q url.Values) (string, url.Values) {
			e.ids.values[q.Get("state")] = []byte("x")
			return "browser", q
		}, msg: oauth2flow.MsgNoState},
		{name: "value of another state", tamper: func(e *env, q url.Values) (string, url.Values) {
			other := e.begin("browser", false)
			e.ids.values[q.Get("state")] = e.ids.values[other.Get("state")]
			return "browser", q
		}, msg: oauth2flow.MsgNoState},
		{name: "value of another provider", tamper: func(e *env, q url.Values) (string, url.Values) {
			e.flow.ProviderID = "other"
			defer func() { e.flow.ProviderID = "acme" }()
			other := e.begin("browser", false)
			e.ids.values[q.Get("state")] = e.ids.values[other.Get("state")]
			return "browser", q
		}, msg: oauth2flow.MsgNoState},
		{name: "expired", tamper: func(e *env, q url.Values) (string, url.Values) {
			e.ids.advance(oauth2flow.DefaultStateTTL)
			return "browser", q
		}, msg: oauth2flow.MsgNoState},
		{name: "identity provider error", tamper: func(_ *env, q url.Values) (string, url.Values) {
			q.Set("error", "access_denied")
			q.Set("error_description", "The user said no")
			return "browser", q
		}, msg: "The user said no"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			q := e.begin("browser", true)
			orig := q.Get("state")
			b, q := tc.tamper(e, q)
			_, err := e.flow.Finish(e.ctx, provider.Input{Binding: b, Query: q}, e.ids)
			wantFail(t, err, provider.ErrUnauthorized, tc.msg)
			if tc.name == "no code" || tc.name == "long code" || tc.name == "no state" || tc.name == "malformed state" || tc.name == "unknown state" {
				return // the login may still finish
			}
			if _, ok := e.ids.values[orig]; ok {
				t.Error("the state was not spent")
			}
		})
	}
}

// TestFinishOnce: a state can be used once, also by concurrent callbacks,
// and a callback may come as a form post.
func TestFinishOnce(t *testing.T) {
	e := newEnv(t)
	q := e.begin("browser", false)
	body := map[string]any{"code": q.Get("code"), "state": q.Get("state")}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := e.flow.Finish(e.ctx, provider.Input{Binding: "browser", Body: body}, e.ids)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantFail(t, err, provider.ErrUnauthorized, oauth2flow.MsgNoState)
	}
	if ok != 1 {
		t.Errorf("%d callbacks got through, want 1", ok)
	}
}

func TestExchangeFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		mis  oidctest.Misbehavior
		msg  string
		// retrieve says whether the error matches *oauth2.RetrieveError.
		retrieve bool
	}{
		{name: "400", mis: oidctest.Misbehavior{TokenStatus: 400}, msg: "Could not exchange token, 400, Bad Request: invalid_request", retrieve: true},
		{name: "401", mis: oidctest.Misbehavior{TokenStatus: 401}, msg: "Could not exchange token, 401, Unauthorized", retrieve: true},
		{name: "503", mis: oidctest.Misbehavior{TokenStatus: 503}, msg: "Could not exchange token, 503, Service Unavailable", retrieve: true},
		{name: "malformed", mis: oidctest.Misbehavior{TokenMalformed: true}, msg: "Could not exchange token: malformed answer from the identity provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			q := e.begin("browser", false)
			cb, err := e.flow.Finish(e.ctx, provider.Input{Binding: "browser", Query: q}, e.ids)
			if err != nil {
				t.Fatal(err)
			}
			e.idp.Misbehave(tc.mis)
			_, err = e.flow.Exchange(e.ctx, cb, e.conf, e.idp.Client())
			wantFail(t, err, provider.ErrUnauthorized, tc.msg)
			var re *oauth2.RetrieveError
			if errors.As(err, &re) != tc.retrieve {
				t.Errorf("errors.As(*oauth2.RetrieveError) = %v", !tc.retrieve)
			}
		})
	}
	t.Run("stolen code", func(t *testing.T) {
		e := newEnv(t)
		victim := e.begin("victim", false)
		attacker := e.begin("attacker", false)
		attacker.Set("code", victim.Get("code"))
		cb, err := e.flow.Finish(e.ctx, provider.Input{Binding: "attacker", Query: attacker}, e.ids)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.flow.Exchange(e.ctx, cb, e.conf, e.idp.Client())
		wantFail(t, err, provider.ErrUnauthorized, "invalid_grant")
	})
	t.Run("unreachable", func(t *testing.T) {
		e := newEnv(t)
		q := e.begin("browser", false)
		cb, err := e.flow.Finish(e.ctx, provider.Input{Binding: "browser", Query: q}, e.ids)
		if err != nil {
			t.Fatal(err)
		}
		e.idp.Close()
		_, err = e.flow.Exchange(e.ctx, cb, e.conf, e.idp.Client())
		wantFail(t, err, provider.ErrUnauthorized, "the identity provider is unreachable")
	})
	t.Run("cancelled", func(t *testing.T) {
		e := newEnv(t)
		q := e.begin("browser", false)
		cb, err := e.flow.Finish(e.ctx, provider.Input{Binding: "browser", Query: q}, e.ids)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		if _, err = e.flow.Exchange(ctx, cb, e.conf, e.idp.Client()); !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	})
}

func TestLoginIdentity(t *testing.T) {
	ctx := context.Background()
	ids := newStates()
	in := provider.NewIdentity{EntityID: "42", UserMetadata: map[string]any{"name": "Ada"}, Email: "ada@example.com", EmailVerified: true}
	res, err := oauth2flow.Login(ctx, "acme", ids, in)
	if err != nil || res.AuthIdentity.ID != "authid_42" {
		t.Fatalf("first login: %+v %v", res, err)
	}
	if _, err := oauth2flow.Login(ctx, "acme", ids, in); err != nil || ids.updates != 0 {
		t.Fatalf("same metadata: %v, %d updates", err, ids.updates)
	}
	in.UserMetadata = map[string]any{"name": "Ada Lovelace"}
	res, err = oauth2flow.Login(ctx, "acme", ids, in)
	if err != nil || ids.updates != 1 || res.AuthIdentity.ProviderIdentities[0].UserMetadata["name"] != "Ada Lovelace" {
		t.Fatalf("changed metadata: %+v %v, %d updates", res, err, ids.updates)
	}
	in.UserMetadata = map[string]any{"name": "Ada Lovelace"}
	in.ProviderMetadata = map[string]any{"access_token": "t"}
	if _, err := oauth2flow.Login(ctx, "acme", ids, in); err != nil || ids.updates != 2 {
		t.Fatalf("provider metadata: %v, %d updates", err, ids.updates)
	}

	// A concurrent first login wins: its identity is used.
	ids.conflicts = 1
	res, err = oauth2flow.Login(ctx, "acme", ids, provider.NewIdentity{EntityID: "43"})
	if err != nil || res.AuthIdentity.ID != "authid_43" {
		t.Fatalf("lost race: %+v %v", res, err)
	}
	// A store that keeps answering conflict and not found is an error.
	_, err = oauth2flow.Login(ctx, "acme", flaky{ids}, provider.NewIdentity{EntityID: "44"})
	wantFail(t, err, store.ErrConflict, "try again")
}

// flaky never finds an identity and always conflicts.
type flaky struct{ *states }

func (flaky) Retrieve(context.Context, string) (*provider.AuthIdentity, error) {
	return nil, store.ErrNotFound
}

func (flaky) Create(context.Context, provider.NewIdentity) (*provider.AuthIdentity, error) {
	return nil, store.ErrConflict
}
