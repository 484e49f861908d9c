package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/internal/webauthntest"
	"github.com/clientele/clientele/provider/passkey"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/throttle"
)

// throttledEnv is an env whose auth service and API share a Limiter on a
// clock that stands still (cfg's rules, defaults for the others).
func throttledEnv(t *testing.T, cfg throttle.Config, mod ...func(*httpapi.Config)) *env {
	t.Helper()
	// The Limiter needs the env's store, which newEnvWith makes: build
	// it on a store of its own (throttle counters are apart from the
	// rest anyway).
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg.Now = func() time.Time { return at }
	lim, err := throttle.New(memory.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, []auth.Option{auth.WithThrottle(lim)}, append([]func(*httpapi.Config){func(c *httpapi.Config) { c.Throttle = lim }}, mod...)...)
}

// doFrom sends a request from the connection address remote.
func (e *env) doFrom(remote, method, path, body, token string, hdr ...string) resp {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remote
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	// What the auth service reports after its answer (a login's success,
	// a throttle reservation taken back) is done before the next request.
	if err := e.authS.Flush(req.Context()); err != nil {
		e.t.Fatal(err)
	}
	out := resp{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.body)
	return out
}

// wantLimited checks a 429 in the documented envelope with Retry-After.
func (r resp) wantLimited(t *testing.T, retryAfter string) {
	t.Helper()
	r.want(t, http.StatusTooManyRequests, "not_allowed", "Too many attempts. Try again later.")
	if got := r.header.Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
}

const peer = "203.0.113.5:40000"

func login(email, password string) string {
	return `{"email":"` + email + `","password":"` + password + `"}`
}

func TestThrottleLockedAccount(t *testing.T) {
	e := throttledEnv(t, throttle.Config{})
	e.register("customer", "ann@example.com")
	for _, email := range []string{"ann@example.com", "nobody@example.com"} {
		for range 6 {
			e.doFrom(peer, "POST", "/auth/customer/emailpass", login(email, "wrong-password"), "").want(t, 401, "unauthorized", "Invalid email or password")
		}
		// Known or unknown, the same 429; the right password too.
		e.doFrom(peer, "POST", "/auth/customer/emailpass", login(email, "supersecret"), "").wantLimited(t, "1")
		e.doFrom(peer, "POST", "/auth/customer/emailpass", login(strings.ToUpper(email), "supersecret"), "").wantLimited(t, "1")
		// From elsewhere as well: the lock is the account's.
		e.doFrom("198.51.100.7:1", "POST", "/auth/customer/emailpass", login(email, "supersecret"), "").wantLimited(t, "1")
		// Registering the email again obeys the lock.
		e.doFrom(peer, "POST", "/auth/customer/emailpass/register", login(email, "supersecret"), "").wantLimited(t, "1")
	}
	// Another account is not locked.
	e.register("customer", "bob@example.com")
	e.doFrom(peer, "POST", "/auth/customer/emailpass", login("bob@example.com", "supersecret"), "").want(t, 200, "", "")
}

func TestThrottleLoginPerAddress(t *testing.T) {
	e := throttledEnv(t, throttle.Config{LoginIP: throttle.Rule{Limit: 3, Window: time.Minute}})
	e.register("customer", "ann@example.com")
	// Bad input is not a guess: it is not counted.
	for range 3 {
		e.doFrom(peer, "POST", "/auth/customer/emailpass", `{"email":"x@example.com"}`, "").want(t, 401, "", "")
	}
	for i := range 3 {
		e.doFrom(peer, "POST", "/auth/customer/emailpass", login("spray"+string(rune('a'+i))+"@example.com", "wrong-password"), "").want(t, 401, "", "")
	}
	r := e.doFrom(peer, "POST", "/auth/customer/emailpass", login("ann@example.com", "supersecret"), "")
	r.wantLimited(t, "60")
	// Another address is not limited.
	e.doFrom("198.51.100.7:1", "POST", "/auth/customer/emailpass", login("ann@example.com", "supersecret"), "").want(t, 200, "", "")
}

func TestThrottleRegisterResetRefresh(t *testing.T) {
	e := throttledEnv(t, throttle.Config{
		RegisterIP: throttle.Rule{Limit: 2, Window: time.Hour},
		ResetIP:    throttle.Rule{Limit: 13, Window: time.Hour},
		RefreshIP:  throttle.Rule{Limit: 2, Window: time.Minute},
	})
	v6 := "[2001:db8:7:7::1]:5000"
	e.doFrom(v6, "POST", "/auth/customer/emailpass/register", login("a@example.com", "supersecret"), "").want(t, 200, "", "")
	tok := e.doFrom("[2001:db8:7:7:abcd::2]:5000", "POST", "/auth/customer/emailpass/register", login("b@example.com", "supersecret"), "")
	tok.want(t, 200, "", "")
	e.doFrom("[2001:db8:7:7::3]:1", "POST", "/auth/customer/emailpass/register", login("c@example.com", "supersecret"), "").wantLimited(t, "3600")
	e.doFrom("[2001:db8:7:8::3]:1", "POST", "/auth/customer/emailpass/register", login("c@example.com", "supersecret"), "").want(t, 200, "", "")

	// Reset requests: per identifier, the sixth and later get the same
	// 201 as the others, and nothing is sent; per address, a 429.
	for _, email := range []string{"a@example.com", "nobody@example.com"} {
		e.events.Reset()
		for i := range 7 {
			if i == 6 && email == "nobody@example.com" {
				break
			}
			r := e.doFrom(peer, "POST", "/auth/customer/emailpass/reset-password", `{"identifier":"`+email+`"}`, "")
			if r.status != 201 || r.raw != "Created" {
				t.Fatalf("reset %d for %s: %d %s", i, email, r.status, r.raw)
			}
		}
		want := 0
		if email == "a@example.com" {
			want = 5
		}
		e.flush()
		if got := len(e.events.Events()); got != want {
			t.Fatalf("%s: %d reset events, want %d", email, got, want)
		}
	}
	e.doFrom(peer, "POST", "/auth/customer/emailpass/reset-password", `{"identifier":"c@example.com"}`, "").wantLimited(t, "3600")

	for range 2 {
		e.doFrom(peer, "POST", "/auth/token/refresh", "", tok.str("token")).want(t, 200, "", "")
	}
	e.doFrom(peer, "POST", "/auth/token/refresh", "", tok.str("token")).wantLimited(t, "60")
}

// TestThrottleSpoofedForwardedFor: without trusted proxies X-Forwarded-For
// is ignored; with them, the rightmost untrusted entry is the client, so
// entries a client adds on the left change nothing.
func TestThrottleSpoofedForwardedFor(t *testing.T) {
	e := throttledEnv(t, throttle.Config{RegisterIP: throttle.Rule{Limit: 2, Window: time.Hour}})
	reg := func(remote, email string, xff ...string) resp {
		var hdr []string
		for _, x := range xff {
			hdr = append(hdr, "X-Forwarded-For: "+x)
		}
		return e.doFrom(remote, "POST", "/auth/customer/emailpass/register", login(email, "supersecret"), "", hdr...)
	}
	reg(peer, "s1@example.com", "1.1.1.1").want(t, 200, "", "")
	reg(peer, "s2@example.com", "2.2.2.2").want(t, 200, "", "")
	reg(peer, "s3@example.com", "3.3.3.3").wantLimited(t, "3600")

	e = throttledEnv(t, throttle.Config{RegisterIP: throttle.Rule{Limit: 2, Window: time.Hour}}, func(c *httpapi.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	proxy := "10.0.0.2:443"
	reg(proxy, "p1@example.com", "9.9.9.9, 203.0.113.9").want(t, 200, "", "")
	reg(proxy, "p2@example.com", "8.8.8.8, 203.0.113.9, 10.1.1.1").want(t, 200, "", "")
	reg(proxy, "p3@example.com", "7.7.7.7", "203.0.113.9").wantLimited(t, "3600")
	// Other clients behind the proxy are counted apart; the proxy itself
	// is not the client.
	reg(proxy, "p4@example.com", "203.0.113.10").want(t, 200, "", "")
	// A client that connects directly cannot use the header at all.
	reg("203.0.113.9:1", "p5@example.com", "10.0.0.3").wantLimited(t, "3600")
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxies: header ignored", "203.0.113.1:1", []string{"1.2.3.4"}, nil, "203.0.113.1"},
		{"untrusted peer: header ignored", "203.0.113.1:1", []string{"1.2.3.4"}, trusted, "203.0.113.1"},
		{"trusted peer, no header", "10.0.0.1:1", nil, trusted, "10.0.0.1"},
		{"rightmost untrusted", "10.0.0.1:1", []string{"1.2.3.4, 5.6.7.8"}, trusted, "5.6.7.8"},
		{"skips trusted hops", "10.0.0.1:1", []string{"1.2.3.4, 5.6.7.8, 10.9.9.9"}, trusted, "5.6.7.8"},
		{"several headers in order", "10.0.0.1:1", []string{"1.2.3.4", "5.6.7.8, 10.2.2.2"}, trusted, "5.6.7.8"},
		{"all trusted: leftmost", "10.0.0.1:1", []string{"10.3.3.3, 10.2.2.2"}, trusted, "10.3.3.3"},
		{"garbage stops at the trusted hop", "10.0.0.1:1", []string{"1.2.3.4, not-an-ip, 10.2.2.2"}, trusted, "10.2.2.2"},
		{"garbage at the right: the peer", "10.0.0.1:1", []string{"1.2.3.4, <script>"}, trusted, "10.0.0.1"},
		{"with ports and IPv6", "[fd00::1]:443", []string{"[2001:db8::5]:1234"}, trusted, "2001:db8::5"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:1", []string{"1.2.3.4"}, trusted, "1.2.3.4"},
		{"unreadable remote", "pipe", []string{"1.2.3.4"}, trusted, "invalid IP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, x := range tc.xff {
				r.Header.Add("X-Forwarded-For", x)
			}
			if got := httpapi.ClientAddr(r, tc.trusted).String(); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestThrottleCallbacksPerAddress(t *testing.T) {
	idp, p := fakeOIDC(t)
	lim, err := throttle.New(memory.New(), throttle.Config{LoginIP: throttle.Rule{Limit: 2, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	e := &socialEnv{env: newEnvWith(t, []auth.Option{auth.WithProvider(p), auth.WithThrottle(lim)}, func(c *httpapi.Config) { c.Throttle = lim }), idp: idp}
	// A successful callback counts nothing against its address.
	for range 3 {
		q := e.start(bindingA)
		e.doFrom(peer, "GET", "/auth/customer/oidc/callback?"+q.Encode()+"&state_binding="+bindingA, "", "").want(t, 200, "", "")
	}
	// Forged states count: two, then the address is refused before the
	// callback is looked at.
	for range 2 {
		e.doFrom(peer, "GET", "/auth/customer/oidc/callback?state=forged&code=x&state_binding="+bindingA, "", "").want(t, 401, "unauthorized", "")
	}
	e.doFrom(peer, "GET", "/auth/customer/oidc/callback?state=forged&code=x&state_binding="+bindingA, "", "").wantLimited(t, "60")
	q := e.start(bindingA)
	e.doFrom(peer, "GET", "/auth/customer/oidc/callback?"+q.Encode()+"&state_binding="+bindingA, "", "").wantLimited(t, "60")
	// Another address is not limited.
	e.doFrom("198.51.100.7:1", "GET", "/auth/customer/oidc/callback?"+q.Encode()+"&state_binding="+bindingA, "", "").want(t, 200, "", "")
}

// TestThrottleStartsPerAddress: redirect-login starts and passkey
// ceremony begins store state, and count together per client address
// (StartIP); a passkey registration counts against RegisterIP when it
// begins, and once only, whichever route finishes it.
func TestThrottleStartsPerAddress(t *testing.T) {
	_, op := fakeOIDC(t)
	pk, err := passkey.New(passkey.Config{RPID: "shop.example.com", RPDisplayName: "Shop", Origins: []string{passkeyOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	lim, err := throttle.New(memory.New(), throttle.Config{
		StartIP:    throttle.Rule{Limit: 4, Window: time.Minute},
		RegisterIP: throttle.Rule{Limit: 1, Window: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, []auth.Option{auth.WithProvider(op), auth.WithProvider(pk), auth.WithThrottle(lim)}, func(c *httpapi.Config) { c.Throttle = lim })

	// A registration ceremony, finished at the register route: counted
	// once (at its begin), so the RegisterIP rule of one allows it.
	a := webauthntest.New(passkeyOrigin)
	r := e.doFrom(peer, "POST", "/auth/customer/passkey/begin", `{"ceremony":"register","name":"ada@example.com"}`, "")
	r.want(t, 200, "", "")
	cred, err := a.Create([]byte(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	e.doFrom(peer, "POST", "/auth/customer/passkey/register", marshal(t, cred), "", "Cookie: clientele_oauth="+bindingCookie(t, r).Value).want(t, 200, "", "")
	// The next registration is refused when it begins, so no route can
	// finish one; a login ceremony still begins.
	e.doFrom(peer, "POST", "/auth/customer/passkey/begin", `{"ceremony":"register","name":"bob@example.com"}`, "").wantLimited(t, "3600")
	e.doFrom(peer, "POST", "/auth/customer/passkey/begin", `{"ceremony":"login"}`, "").want(t, 200, "", "")
	// Four starts a minute: the two begins above (the refused one
	// counted too), then a redirect login's first leg; the fifth start is
	// refused, a redirect or a ceremony.
	e.doFrom(peer, "POST", "/auth/customer/oidc", `{"state_binding":"`+bindingA+`"}`, "").want(t, 200, "", "")
	e.doFrom(peer, "POST", "/auth/customer/oidc", `{"state_binding":"`+bindingA+`"}`, "").wantLimited(t, "60")
	e.doFrom(peer, "POST", "/auth/customer/passkey/begin", `{"ceremony":"login"}`, "").wantLimited(t, "60")
	// Password logins start nothing and are not counted; another address
	// is not limited.
	e.doFrom(peer, "POST", "/auth/customer/emailpass", login("nobody@example.com", "wrong-password"), "").want(t, 401, "unauthorized", "")
	e.doFrom("198.51.100.7:1", "POST", "/auth/customer/oidc", `{"state_binding":"`+bindingA+`"}`, "").want(t, 200, "", "")
}
