package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// settable is a clock tests move by hand; zero means the real time, plus
// offset.
type settable struct {
	mu     sync.Mutex
	at     time.Time
	offset time.Duration
}

func (c *settable) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now().Add(c.offset)
	}
	return c.at
}

func (c *settable) set(t time.Time) { c.mu.Lock(); c.at = t; c.mu.Unlock() }

// newClockEnv is newEnvWith with one clock for tokens, the auth service
// and the API.
func newClockEnv(t *testing.T, clock *settable, extra ...auth.Option) *env {
	t.Helper()
	st := memory.New()
	events := &event.Recorder{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	addresses, err := address.NewService(st)
	must(err)
	customers, err := customer.NewService(st, addresses)
	must(err)
	groups, err := group.NewService(st)
	must(err)
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("httpapi-test-secret-0123456789abcdef"), Now: clock.now})
	must(err)
	authS, err := auth.NewService(st, tokens, append([]auth.Option{
		auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))),
		auth.WithEventSink(events), auth.WithClock(clock.now),
	}, extra...)...)
	must(err)
	accounts, err := account.NewService(st, authS, customers, account.WithSessions(st))
	must(err)
	logs := &bytes.Buffer{}
	api, err := httpapi.New(httpapi.Config{
		Customers: customers, Addresses: addresses, Groups: groups, Auth: authS, Accounts: accounts, Sessions: st,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil)), MaxBodyBytes: 4096, Now: clock.now,
	})
	must(err)
	return &env{t: t, api: api, h: api.Handler(), st: st, authS: authS, events: events, logs: logs}
}

func (e *env) login(email, password string) resp {
	e.t.Helper()
	r := e.do("POST", "/auth/customer/emailpass", `{"email":"`+email+`","password":"`+password+`"}`, "")
	r.want(e.t, 200, "", "")
	return r
}

// TestRevocationAfterReset: a token issued before a password reset reads
// nothing, refreshes into nothing and opens no session; a session opened
// before it is refused; a new login works at once.
func TestRevocationAfterReset(t *testing.T) {
	e := newEnv(t)
	old, _ := e.customer("ada@example.com")
	cookie := openSession(t, e, old)
	e.do("POST", "/auth/customer/emailpass/reset-password", `{"identifier":"ada@example.com"}`, "").want(t, 201, "", "")
	reset := e.lastResetToken()
	e.do("POST", "/auth/customer/emailpass/update", `{"password":"a brand new password"}`, reset).want(t, 200, "", "")

	e.do("GET", "/store/customers/me", "", old).want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/token/refresh", "", old).want(t, 401, "", "Unauthorized")
	if r := e.do("POST", "/auth/session", "", old); r.status != 401 || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("session from a revoked token: %d %v", r.status, r.header)
	}
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "").want(t, 401, "unauthorized", "")

	fresh := e.login("ada@example.com", "a brand new password").str("token")
	e.do("GET", "/store/customers/me", "", fresh).want(t, 200, "", "")
	e.do("POST", "/auth/token/refresh", "", fresh).want(t, 200, "", "")
	openSession(t, e, fresh)
}

// TestRevocationSessionOfRevokedToken: a revocation made in Go (another
// instance, an admin tool) refuses the sessions opened before it, even
// though they are still stored.
func TestRevocationSessionOfRevokedToken(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.customer("ada@example.com")
	cookie := openSession(t, e, tok)
	c, err := e.authS.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.authS.RevokeAll(t.Context(), c.AuthIdentityID); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/token/refresh", "", "", cookie).want(t, 401, "", "Unauthorized")
}

func TestLogoutAll(t *testing.T) {
	e := newEnv(t)
	_, _ = e.customer("ada@example.com")
	bob, _ := e.customer("bob@example.com")
	a1 := e.login("ada@example.com", "supersecret").str("token")
	a2 := e.login("ada@example.com", "supersecret").str("token")
	cookie := openSession(t, e, a2)

	e.do("POST", "/auth/logout-all", "", "").want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/logout-all", "", "garbage").want(t, 401, "", "Unauthorized")
	r := e.do("POST", "/auth/logout-all", "", a1)
	r.want(t, 200, "", "")
	if r.body["success"] != true || !strings.Contains(r.header.Get("Set-Cookie"), "connect.sid=;") {
		t.Fatalf("logout-all: %s %v", r.raw, r.header)
	}
	for _, tok := range []string{a1, a2} {
		e.do("GET", "/store/customers/me", "", tok).want(t, 401, "", "Unauthorized")
		e.do("POST", "/auth/token/refresh", "", tok).want(t, 401, "", "Unauthorized")
	}
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/logout-all", "", a1).want(t, 401, "", "Unauthorized")
	e.do("GET", "/store/customers/me", "", bob).want(t, 200, "", "")
	fresh := e.login("ada@example.com", "supersecret").str("token")
	e.do("GET", "/store/customers/me", "", fresh).want(t, 200, "", "")

	// From a session cookie, and with a registration token.
	cookie = openSession(t, e, fresh)
	e.do("POST", "/auth/logout-all", "", "", cookie).want(t, 200, "", "")
	e.do("GET", "/store/customers/me", "", fresh).want(t, 401, "", "Unauthorized")
	reg := e.register("customer", "carol@example.com")
	e.do("POST", "/auth/logout-all", "", reg).want(t, 200, "", "")
	e.do("POST", "/store/customers", `{"email":"carol@example.com"}`, reg).want(t, 401, "", "Unauthorized")
}

func TestMaxLoginAge(t *testing.T) {
	clock := &settable{}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock.set(t0)
	e := newClockEnv(t, clock, auth.WithMaxLoginAge(48*time.Hour))
	tok, _ := e.customer("ada@example.com")
	clock.set(t0.Add(23 * time.Hour))
	tok = e.do("POST", "/auth/token/refresh", "", tok).str("token")
	clock.set(t0.Add(46 * time.Hour))
	r := e.do("POST", "/auth/token/refresh", "", tok)
	r.want(t, 200, "", "")
	last, err := e.authS.Verify(t.Context(), r.str("token"))
	if err != nil {
		t.Fatal(err)
	}
	if !last.ExpiresAt.Equal(t0.Add(48*time.Hour)) || !last.LoginAt.Equal(t0) {
		t.Fatalf("last token: exp %v, login_at %v; want both from the login at %v", last.ExpiresAt, last.LoginAt, t0)
	}
	// A session keeps the login's claims: past 48 h it cannot refresh.
	cookie := openSession(t, e, r.str("token"))
	clock.set(t0.Add(47 * time.Hour))
	e.do("POST", "/auth/token/refresh", "", "", cookie).want(t, 200, "", "")
	clock.set(t0.Add(48 * time.Hour))
	e.do("POST", "/auth/token/refresh", "", "", cookie).want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/token/refresh", "", r.str("token")).want(t, 401, "", "Unauthorized")
	fresh := e.login("ada@example.com", "supersecret").str("token")
	e.do("POST", "/auth/token/refresh", "", fresh).want(t, 200, "", "")
}

// TestMedusaTokenUntilRevoked: a token a Medusa server signed (same
// secret, no login_at or iat_ms) works, refreshes, and is refused once
// revoked.
func TestMedusaTokenUntilRevoked(t *testing.T) {
	e := newEnv(t)
	_, id := e.customer("ada@example.com")
	c, err := e.authS.Verify(t.Context(), e.login("ada@example.com", "supersecret").str("token"))
	if err != nil {
		t.Fatal(err)
	}
	medusa, err := e.authS.Tokens().Issue(auth.Claims{
		ActorID: id, ActorType: "customer", AuthIdentityID: c.AuthIdentityID, AuthProvider: "emailpass",
		AppMetadata: map[string]any{"customer_id": id},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tokenPayload(t, medusa), "login_at") {
		t.Fatal("the Medusa-style token has login_at")
	}
	e.do("GET", "/store/customers/me", "", medusa).want(t, 200, "", "")
	refreshed := e.do("POST", "/auth/token/refresh", "", medusa)
	refreshed.want(t, 200, "", "")
	e.do("GET", "/store/customers/me", "", refreshed.str("token")).want(t, 200, "", "")
	// A Medusa token has whole-second iat: step past this second.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	e.do("POST", "/auth/logout-all", "", medusa).want(t, 200, "", "")
	e.do("GET", "/store/customers/me", "", medusa).want(t, 401, "", "Unauthorized")
	e.do("GET", "/store/customers/me", "", refreshed.str("token")).want(t, 401, "", "Unauthorized")
}

func TestRotationRoutes(t *testing.T) {
	e := newEnvWith(t, []auth.Option{auth.WithRefreshRotation(nil)})
	_, _ = e.customer("ada@example.com")
	login := e.login("ada@example.com", "supersecret")
	rt1 := login.str("refresh_token")
	if !strings.HasPrefix(rt1, "crt_") || login.str("token") == "" {
		t.Fatalf("login with rotation: %s", login.raw)
	}
	r := e.do("POST", "/auth/token/rotate", `{"refresh_token":"`+rt1+`"}`, "")
	r.want(t, 200, "", "")
	rt2, access := r.str("refresh_token"), r.str("token")
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("rotate: %s", r.raw)
	}
	e.do("GET", "/store/customers/me", "", access).want(t, 200, "", "")
	// Reuse of the spent token: theft. Everything of the identity ends.
	e.do("POST", "/auth/token/rotate", `{"refresh_token":"`+rt1+`"}`, "").want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/token/rotate", `{"refresh_token":"`+rt2+`"}`, "").want(t, 401, "", "Unauthorized")
	e.do("GET", "/store/customers/me", "", access).want(t, 401, "", "Unauthorized")
	if !strings.Contains(e.logs.String(), "presented again") {
		t.Fatal("reuse not logged")
	}
	for _, body := range []string{`{}`, `{"refresh_token":5}`, `{"refresh_token":"x","extra":1}`, `not json`} {
		if r := e.do("POST", "/auth/token/rotate", body, ""); r.status != 400 {
			t.Fatalf("body %s: %d %s", body, r.status, r.raw)
		}
	}
	e.do("POST", "/auth/token/rotate", `{"refresh_token":"crt_unknown"}`, "").want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/token/rotate", `{"refresh_token":"`+access+`"}`, "").want(t, 401, "", "Unauthorized")
	if strings.Contains(e.logs.String(), rt1) {
		t.Fatal("refresh token in logs")
	}

	off := newEnv(t)
	_, _ = off.customer("ada@example.com")
	if r := off.login("ada@example.com", "supersecret"); r.str("refresh_token") != "" {
		t.Fatal("refresh token without rotation")
	}
	// Without rotation the path is a login with an unknown provider.
	off.do("POST", "/auth/token/rotate", `{"refresh_token":"crt_x"}`, "").want(t, 401, "unauthorized", "Unable to retrieve the auth provider with id: rotate")
}

// tokenPayload returns the decoded payload of a JWT.
func tokenPayload(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
