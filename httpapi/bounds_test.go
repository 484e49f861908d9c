package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	"github.com/clientele/clientele/internal/pgtest"
	snap "github.com/clientele/clientele/internal/snapshot"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/store/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backend is what the API needs of a store.
type backend interface {
	customer.Store
	auth.Store
	session.Store
}

// newEnvOn builds the API on st, as newEnv does on a memory store.
func newEnvOn(t *testing.T, st backend, mod ...func(*httpapi.Config)) *env {
	t.Helper()
	events := &event.Recorder{}
	addresses := must(address.NewService(st))(t)
	customers := must(customer.NewService(st, addresses))(t)
	groups := must(group.NewService(st))(t)
	tokens := must(auth.NewTokens(auth.TokenConfig{Secret: []byte("httpapi-test-secret-0123456789abcdef")}))(t)
	authS := must(auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1})))))(t)
	accounts := must(account.NewService(st, authS, customers, account.WithSessions(st)))(t)
	logs := &bytes.Buffer{}
	cfg := httpapi.Config{
		Customers: customers, Addresses: addresses, Groups: groups, Auth: authS,
		Accounts: accounts, Sessions: st,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil)),
	}
	for _, m := range mod {
		m(&cfg)
	}
	api := must(httpapi.New(cfg))(t)
	e := &env{t: t, api: api, h: api.Handler(), authS: authS, events: events, logs: logs}
	if ms, ok := st.(*memory.Store); ok {
		e.st = ms
	}
	return e
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// eachStore runs f on a memory store and on a PostgreSQL store.
func eachStore(t *testing.T, f func(t *testing.T, st backend)) {
	t.Run("memory", func(t *testing.T) { f(t, memory.New()) })
	t.Run("postgres", func(t *testing.T) { f(t, pgtest.NewStore(t)) })
}

// leaks lists what no answer may hold: the database's words.
var leaks = []string{"SQLSTATE", "invalid byte sequence", "0x00", "pq:", "ERROR:", "canceling statement", "postgres"}

func noLeak(t *testing.T, r resp) {
	t.Helper()
	for _, l := range leaks {
		if strings.Contains(r.raw, l) {
			t.Fatalf("answer holds %q: %s", l, r.raw)
		}
	}
}

func TestBoundsAttacks(t *testing.T) {
	eachStore(t, func(t *testing.T, st backend) {
		e := newEnvOn(t, st)
		tok, id := e.customer("ada@example.com")
		admin := e.admin()
		e.do("POST", "/store/customers/me/addresses", `{"city":"Paris"}`, tok).want(t, 200, "", "")
		before := snap.Take(t, t.Context(), st)
		words := func(n int) string { return url.QueryEscape(strings.TrimSpace(strings.Repeat("ab ", n))) }
		for _, tc := range []struct {
			name, method, path, body, token string
			status                          int
			msg                             string
		}{
			{"NUL in a login email", "POST", "/auth/customer/emailpass", `{"email":"ada\u0000@example.com","password":"supersecret"}`, "", 400,
				"Invalid request: Field 'email' must not contain a NUL byte"},
			{"NUL in a login password", "POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"super\u0000secret"}`, "", 400,
				"Invalid request: Field 'password' must not contain a NUL byte"},
			{"NUL in a registration email", "POST", "/auth/customer/emailpass/register", `{"email":"eve\u0000@example.com","password":"supersecret"}`, "", 400,
				"Invalid request: Field 'email' must not contain a NUL byte"},
			{"NUL in a reset identifier", "POST", "/auth/customer/emailpass/reset-password", `{"identifier":"ada\u0000@example.com"}`, "", 400,
				"Invalid request: Field 'identifier' must not contain a NUL byte"},
			{"NUL in a customer update", "POST", "/store/customers/me", `{"first_name":"A\u0000"}`, tok, 400,
				"Invalid request: Field 'first_name' must not contain a NUL byte"},
			{"NUL in an admin create", "POST", "/admin/customers", `{"email":"x@example.com","last_name":"\u0000"}`, admin, 400,
				"Invalid request: Field 'last_name' must not contain a NUL byte"},
			{"NUL in a metadata value", "POST", "/admin/customers", `{"email":"x@example.com","metadata":{"a":{"b":["\u0000"]}}}`, admin, 400,
				"Invalid request: Field 'metadata.a.b[0]' must not contain a NUL byte"},
			{"NUL in a metadata key", "POST", "/admin/customers", `{"email":"x@example.com","metadata":{"\u0000":1}}`, admin, 400,
				"Invalid request: Field 'metadata' must not contain a NUL byte"},
			{"NUL in a body key", "POST", "/admin/customers", `{"\u0000":1}`, admin, 400,
				"Invalid request: Field 'body' has a key that must not contain a NUL byte"},
			{"NUL in an address", "POST", "/store/customers/me/addresses", `{"city":"Pa\u0000ris"}`, tok, 400,
				"Invalid request: Field 'city' must not contain a NUL byte"},
			{"invalid UTF-8 in a body", "POST", "/store/customers/me", "{\"first_name\":\"A\xff\"}", tok, 400,
				"Invalid request: the body must be valid UTF-8"},
			{"NUL in q", "GET", "/admin/customers?q=a%00", "", admin, 400, "Invalid request: Field 'q' must not contain a NUL byte"},
			{"invalid UTF-8 in q", "GET", "/store/customers/me/addresses?q=%ff", "", tok, 400, "Invalid request: Field 'q' must be valid UTF-8"},
			{"NUL in a filter", "GET", "/admin/customers?email=a%00@x.io", "", admin, 400, "Invalid request: Field 'email' must not contain a NUL byte"},
			{"NUL in a parameter name", "GET", "/admin/customers?a%00=1", "", admin, 400, "Invalid request: a query parameter name must not contain a NUL byte"},
			{"NUL in the path", "GET", "/admin/customers/cus_%00", "", admin, 400, "Invalid request: the path must not contain a NUL byte"},
			{"invalid UTF-8 in the path", "GET", "/store/customers/me/addresses/%ff", "", tok, 400, "Invalid request: the path must be valid UTF-8"},
			{"q of 9 words", "GET", "/admin/customers?q=" + words(9), "", admin, 400, "invalid q: must have at most 8 words, got 9"},
			{"q of 1,000 words on addresses", "GET", "/store/customers/me/addresses?q=" + words(1000), "", tok, 400, "invalid q: must be at most 256 bytes long, got 2999"},
			{"q of 8,000 words on groups", "GET", "/admin/customer-groups?q=" + words(8000), "", admin, 400, "invalid q: must be at most 256 bytes long, got 23999"},
			{"q of 9 words on admin addresses", "GET", "/admin/customers/" + id + "/addresses?q=" + words(9), "", admin, 400, "invalid q: must have at most 8 words, got 9"},
			{"q of 8 words", "GET", "/admin/customers?q=" + words(8), "", admin, 200, ""},
			{"fields of 101 names", "GET", "/admin/customers?fields=" + fieldsBomb(101), "", admin, 400, "Invalid request: Field 'fields' must have at most 100 names"},
			{"fields of 40,000 names", "GET", "/store/customers/me?fields=" + fieldsBomb(40000), "", tok, 400, "Invalid request: Field 'fields' must have at most 100 names"},
			{"fields of 100 names", "GET", "/admin/customers/" + id + "?fields=" + fieldsBomb(100), "", admin, 200, ""},
			{"limit over the maximum", "GET", "/admin/customers?limit=1001", "", admin, 400, "Invalid request: Number must be less than or equal to 1000 for field 'limit'"},
			{"limit at the maximum", "GET", "/admin/customer-groups?limit=1000", "", admin, 200, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(tc.method, tc.path, tc.body, tc.token)
				if tc.status != 200 {
					r.want(t, tc.status, "invalid_data", tc.msg)
				} else {
					r.want(t, 200, "", "")
				}
				noLeak(t, r)
			})
		}
		snap.Unchanged(t, t.Context(), st, before)
		// The account still works.
		e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "").want(t, 200, "", "")
		if strings.Contains(e.logs.String(), "level=ERROR") {
			t.Fatalf("an attack was logged as a server error:\n%s", e.logs)
		}
	})
}

func fieldsBomb(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
	}
	return "id," + strings.Join(names[1:], ",")
}

// TestStatementTimeoutHidden: a statement over PostgreSQL's
// statement_timeout is a 500 whose detail stays in the log.
func TestStatementTimeoutHidden(t *testing.T) {
	pgtest.NewStore(t)
	st, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.WithStatementTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEnvOn(t, st)
	admin := e.admin()
	r := e.do("POST", "/admin/customers", `{"email":"slow@example.com"}`, admin)
	r.want(t, 200, "", "")
	id, _ := r.obj("customer")["id"].(string)
	// Another transaction holds the row: the update's locking read waits.
	tx, err := st.DB().DB.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(t.Context(), "SELECT id FROM customer WHERE id = $1 FOR UPDATE", id); err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", "/admin/customers/"+id, `{"first_name":"Slow"}`, admin)
	r.want(t, 500, "unknown_error", "An unknown error occurred.")
	noLeak(t, r)
	if !strings.Contains(e.logs.String(), "statement timeout") {
		t.Fatalf("the log does not say why:\n%s", e.logs)
	}
}

// TestBodyTooLargeReadable sends 5 MB to a real server: the client reads
// the 413, whether the body has a length or is chunked, and the server
// closes the connection after the answer.
func TestBodyTooLargeReadable(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.MaxBodyBytes = 1 << 20 })
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	big := `{"email":"` + strings.Repeat("a", 5<<20) + `@example.com"}`
	t.Run("http client", func(t *testing.T) {
		for _, chunked := range []bool{false, true} {
			var body io.Reader = strings.NewReader(big)
			if chunked {
				body = io.MultiReader(body) // no length known: chunked
			}
			req, _ := http.NewRequest("POST", srv.URL+"/auth/customer/emailpass/register", body)
			req.Header.Set("Content-Type", "application/json")
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatalf("chunked %v: %v", chunked, err)
			}
			data, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatalf("chunked %v: reading the answer: %v", chunked, err)
			}
			if res.StatusCode != 413 || !strings.Contains(string(data), `"message":"request entity too large"`) {
				t.Fatalf("chunked %v: %d %s", chunked, res.StatusCode, data)
			}
		}
	})
	t.Run("raw TCP", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var wg sync.WaitGroup
		var werr error
		wg.Go(func() {
			fmt.Fprintf(conn, "POST /auth/customer/emailpass HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(big))
			_, werr = io.Copy(conn, strings.NewReader(big))
		})
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		data, _ := io.ReadAll(res.Body)
		wg.Wait()
		if werr != nil {
			t.Fatalf("the server cut the upload: %v", werr)
		}
		if res.StatusCode != 413 || !res.Close || !strings.Contains(string(data), "request entity too large") {
			t.Fatalf("%d %v %s", res.StatusCode, res.Header, data)
		}
	})
	// Within the limit, bodies are still read.
	res, err := srv.Client().Post(srv.URL+"/auth/customer/emailpass/register", "application/json", strings.NewReader(`{"email":"ok@example.com","password":"supersecret"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("a small body: %d", res.StatusCode)
	}
}

func TestHostPrefixCookies(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.HostPrefixCookies = true })
	tok, _ := e.customer("ada@example.com")
	r := e.do("POST", "/auth/session", "", tok)
	r.want(t, 200, "", "")
	var c *http.Cookie
	for _, k := range (&http.Response{Header: r.header}).Cookies() {
		if k.Name == "__Host-connect.sid" {
			c = k
		}
	}
	if c == nil {
		t.Fatalf("no __Host- cookie: %v", r.header)
	}
	if !c.Secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly {
		t.Fatalf("a __Host- cookie must be Secure, Path=/, without Domain: %+v", c)
	}
	e.do("GET", "/store/customers/me", "", "", "Cookie: __Host-connect.sid="+c.Value).want(t, 200, "", "")
	// The unprefixed name is not read.
	e.do("GET", "/store/customers/me", "", "", "Cookie: connect.sid="+c.Value).want(t, 401, "", "")
	// Logging out clears the prefixed cookie.
	r = e.do("DELETE", "/auth/session", "", "", "Cookie: __Host-connect.sid="+c.Value)
	r.want(t, 200, "", "")
	if !strings.Contains(r.header.Get("Set-Cookie"), "__Host-connect.sid=;") {
		t.Fatalf("logout: %v", r.header)
	}
}

func TestSecureCookieBehindProxy(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.customer("ada@example.com")
	for _, tc := range []struct {
		hdr    string
		secure bool
	}{
		{"X-Forwarded-Proto: https", true},
		{"X-Forwarded-Proto: HTTPS, http", true},
		{"X-Forwarded-Proto: http", false},
		{"X-Other: 1", false},
	} {
		if c := sessionCookie(t, e.do("POST", "/auth/session", "", tok, tc.hdr)); c.Secure != tc.secure {
			t.Errorf("%s: Secure %v, want %v", tc.hdr, c.Secure, tc.secure)
		}
	}
	never := newEnv(t, func(c *httpapi.Config) { c.SecureCookies = httpapi.SecureNever })
	tok, _ = never.customer("ada@example.com")
	if c := sessionCookie(t, never.do("POST", "/auth/session", "", tok, "X-Forwarded-Proto: https")); c.Secure {
		t.Error("SecureNever set Secure")
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.AuthCORS = []string{"http://shop.test"} })
	tok, _ := e.customer("ada@example.com")
	for _, tc := range []struct {
		method, path, token string
		hdr                 []string
		status              int
		noStore             bool
	}{
		{"GET", "/store/customers/me", tok, nil, 200, true},
		{"GET", "/store/customers/me", "", nil, 401, true},
		{"GET", "/nowhere", "", nil, 404, true},
		{"GET", "/auth/customer/providers", "", nil, 200, true},
		{"OPTIONS", "/auth/customer/emailpass", "", []string{"Origin: http://shop.test", "Access-Control-Request-Method: POST"}, 204, true},
		{"POST", "/auth/customer/emailpass", "", nil, 401, true},
	} {
		r := e.do(tc.method, tc.path, "", tc.token, tc.hdr...)
		if r.status != tc.status {
			t.Fatalf("%s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff: %v", tc.method, tc.path, r.header)
		}
		if tc.noStore && r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: Cache-Control %q", tc.method, tc.path, r.header.Get("Cache-Control"))
		}
	}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestSessionIdleTimeout(t *testing.T) {
	eachStore(t, func(t *testing.T, st backend) {
		clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
		e := newEnvOn(t, st, func(c *httpapi.Config) {
			c.SessionIdleTimeout = 30 * time.Minute
			c.Now = clk.now
		})
		tok, _ := e.customer("ada@example.com")
		start := clk.now()
		c := sessionCookie(t, e.do("POST", "/auth/session", "", tok))
		id := hashOf(c.Value)
		stored := func() time.Time {
			t.Helper()
			s, err := st.GetSession(t.Context(), id, clk.now())
			if err != nil {
				t.Fatal(err)
			}
			return s.IdleExpiresAt
		}
		me := func() resp { return e.do("GET", "/store/customers/me", "", "", "Cookie: connect.sid="+c.Value) }
		if got := stored(); !got.Equal(start.Add(30 * time.Minute)) {
			t.Fatalf("idle deadline %v, want %v", got, start.Add(30*time.Minute))
		}
		// Used again within the step (a minute): nothing written.
		clk.add(20 * time.Second)
		me().want(t, 200, "", "")
		if got := stored(); !got.Equal(start.Add(30 * time.Minute)) {
			t.Fatalf("a request within the step wrote the deadline: %v", got)
		}
		// Used after it: the deadline moves.
		clk.add(29 * time.Minute)
		me().want(t, 200, "", "")
		if got, want := stored(), clk.now().Add(30*time.Minute); !got.Equal(want) {
			t.Fatalf("idle deadline %v, want %v", got, want)
		}
		// Still live 29 minutes on, thanks to that use; then idle too long.
		clk.add(29 * time.Minute)
		me().want(t, 200, "", "")
		clk.add(30*time.Minute + time.Second)
		me().want(t, 401, "", "")
		if _, err := st.GetSession(t.Context(), id, clk.now()); err == nil {
			t.Fatal("an idle session was returned")
		}
		// A touch never revives an idle session nor a deleted one.
		toucher := st.(session.Toucher)
		if err := toucher.TouchSession(t.Context(), id, clk.now().Add(time.Hour), clk.now()); err != nil {
			t.Fatal(err)
		}
		me().want(t, 401, "", "")
		c = sessionCookie(t, e.do("POST", "/auth/session", "", tok))
		id = hashOf(c.Value)
		if err := st.DeleteSession(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		if err := toucher.TouchSession(t.Context(), id, clk.now().Add(time.Hour), clk.now()); err != nil {
			t.Fatal(err)
		}
		me().want(t, 401, "", "")
		// The absolute lifetime still holds for a session in steady use.
		c = sessionCookie(t, e.do("POST", "/auth/session", "", tok))
		for range 10 * 60 / 20 {
			clk.add(20 * time.Minute)
			if r := me(); r.status != 200 {
				break
			}
		}
		me().want(t, 401, "", "")
	})
}

// hashOf is a session's id: the hex SHA-256 of its cookie value.
func hashOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}
