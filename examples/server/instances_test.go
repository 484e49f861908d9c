package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/load"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/store/postgres"
	"github.com/clientele/clientele/throttle"
)

// TestMain gives the tests that need PostgreSQL a server (internal/pgtest):
// they skip without one, unless CI=true.
func TestMain(m *testing.M) { pgtest.Main(m) }

// instance is one server of a deployment.
type instance struct{ name, base string }

// TestInstances runs three servers, each with its own services, caches,
// throttle and outbox dispatcher, built by run as main builds them, on one
// PostgreSQL database, and checks that what one instance does holds on
// the others: tokens and sessions, their revocation within the revocation
// cache's bound, password changes and resets, redirect logins, throttle
// counts, MFA challenges and codes, the load tool's requests in turn, and
// the outbox's deliveries, each once overall and in order per entity.
func TestInstances(t *testing.T) {
	dsn := pgtest.NewDatabase(t) // empty: the instances migrate it, all at once
	// One events file for the three: each appends whole lines (O_APPEND),
	// so the file is the order in which the dispatchers delivered.
	events := filepath.Join(t.TempDir(), "events.jsonl")
	env := map[string]string{
		"DATABASE_URL": dsn, "JWT_SECRET": "instances-test-secret-0123456789abcdef",
		"OUTBOX_KEY":  "k1:" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
		"EVENTS_FILE": events, "ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": "supersecret",
		"AUTH_MFA_ENCRYPTION_KEY": "an MFA encryption key for the instances test",
		"TRUSTED_PROXIES":         "127.0.0.1", "SCRYPT_LOG_N": "4",
	}
	// One identity provider, outside the instances, as a real one is.
	const callback = "http://shop.test/auth/callback"
	idp := oidctest.NewServer(t, oidctest.WithRedirectURIs(callback))
	maps.Copy(env, map[string]string{
		"OIDC_ISSUER": idp.Issuer(), "OIDC_CLIENT_ID": idp.ClientID(), "OIDC_CLIENT_SECRET": idp.ClientSecret(),
		"OIDC_CALLBACK_URL": callback,
	})
	var servers []*server
	for range 3 {
		s := launch(t, env)
		t.Cleanup(func() { s.stop(t) })
		servers = append(servers, s)
	}
	var in []instance
	for i, s := range servers {
		base, _ := s.ready(t)
		in = append(in, instance{string(rune('A' + i)), base})
	}
	a, b, c := in[0], in[1], in[2]

	t.Run("TokensAndSessions", func(t *testing.T) {
		u := newUser(t, "198.51.100.1", "tokens@example.com")
		tok := u.signUp(in)
		for _, x := range in {
			u.want(u.do(x, "GET", "/store/customers/me", "", bearer(tok)), 200)
		}
		// A refresh on B of a token from C works on A.
		r := u.want(u.do(b, "POST", "/auth/token/refresh", "", bearer(tok)), 200)
		u.want(u.do(a, "GET", "/store/customers/me", "", bearer(r.str("token"))), 200)

		// A session opened on A works on B and C; its logout on B ends it
		// on every instance at once: sessions are read from the store on
		// every request.
		cookie := u.openSession(a, tok)
		u.want(u.do(b, "GET", "/store/customers/me", "", cookie), 200)
		u.want(u.do(c, "GET", "/store/customers/me", "", cookie), 200)
		u.want(u.do(b, "DELETE", "/auth/session", "", cookie), 200)
		for _, x := range in {
			u.want(u.do(x, "GET", "/store/customers/me", "", cookie), 401)
		}
		u.want(u.do(c, "GET", "/store/customers/me", "", bearer(tok)), 200) // the token lives on
	})

	t.Run("LogoutEverywhere", func(t *testing.T) {
		u := newUser(t, "198.51.100.2", "logout@example.com")
		tok := u.signUp(in)
		cookie := u.openSession(c, tok)
		// B and C read the identity's revocation time before the logout:
		// their caches may hold it for up to the bound.
		u.want(u.do(b, "GET", "/store/customers/me", "", bearer(tok)), 200)
		u.want(u.do(c, "GET", "/store/customers/me", "", bearer(tok)), 200)

		u.want(u.do(a, "POST", "/auth/logout-all", "", bearer(tok)), 200)
		revoked := time.Now()
		u.want(u.do(a, "GET", "/store/customers/me", "", bearer(tok)), 401)
		// The sessions are deleted: refused at once everywhere. A refresh
		// reads the store, not the cache: refused at once on B, whose
		// cache may still hold the time from before the logout.
		for _, x := range in {
			u.want(u.do(x, "GET", "/store/customers/me", "", cookie), 401)
		}
		u.want(u.do(b, "POST", "/auth/token/refresh", "", bearer(tok)), 401)
		for _, x := range []instance{c, b} {
			u.awaitRefused(x, revoked, func() int { return u.do(x, "GET", "/store/customers/me", "", bearer(tok)).status })
		}
		// A new login works everywhere at once.
		tok = u.login(b, u.password, 200).str("token")
		for _, x := range in {
			u.want(u.do(x, "GET", "/store/customers/me", "", bearer(tok)), 200)
		}
	})

	t.Run("PasswordChange", func(t *testing.T) {
		u := newUser(t, "198.51.100.3", "change@example.com")
		tok := u.signUp(in)
		u.want(u.do(b, "GET", "/store/customers/me", "", bearer(tok)), 200)
		u.want(u.do(c, "GET", "/store/customers/me", "", bearer(tok)), 200)

		old := u.password
		u.password = "a new password"
		r := u.want(u.do(a, "POST", "/auth/customer/emailpass/change-password",
			`{"current_password":"`+old+`","new_password":"`+u.password+`"}`, bearer(tok)), 200)
		changed, fresh := time.Now(), r.str("token")
		// Passwords are read from the store: the old one fails on B at
		// once, the new one works on C.
		u.login(b, old, 401)
		u.want(u.do(c, "GET", "/store/customers/me", "", bearer(u.login(c, u.password, 200).str("token"))), 200)
		u.want(u.do(b, "GET", "/store/customers/me", "", bearer(fresh)), 200)
		for _, x := range []instance{b, c} {
			u.awaitRefused(x, changed, func() int { return u.do(x, "GET", "/store/customers/me", "", bearer(tok)).status })
		}
	})

	t.Run("PasswordReset", func(t *testing.T) {
		u := newUser(t, "198.51.100.6", "reset@example.com")
		tok := u.signUp(in)
		u.want(u.do(c, "GET", "/store/customers/me", "", bearer(tok)), 200)
		u.want(u.do(a, "POST", "/auth/customer/emailpass/reset-password", `{"identifier":"`+u.email+`"}`), 201)
		// The reset token reaches the notifier through the outbox, sealed
		// until delivered, by whichever dispatcher claims it.
		var reset string
		for deadline := time.Now().Add(10 * time.Second); reset == ""; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no auth.password_reset delivered")
			}
			for _, d := range readDeliveries(t, events) {
				if d.Name == "auth.password_reset" && d.Data["entity_id"] == u.email {
					reset, _ = d.Data["token"].(string)
				}
			}
		}
		old := u.password
		u.password = "a password after the reset"
		u.want(u.do(b, "POST", "/auth/customer/emailpass/update", `{"password":"`+u.password+`"}`, bearer(reset)), 200)
		resetAt := time.Now()
		u.want(u.do(c, "POST", "/auth/customer/emailpass/update", `{"password":"yet another password"}`, bearer(reset)), 401)
		u.login(c, old, 401)
		u.login(a, u.password, 200)
		u.awaitRefused(c, resetAt, func() int { return u.do(c, "GET", "/store/customers/me", "", bearer(tok)).status })
	})

	t.Run("OAuth", func(t *testing.T) {
		// The state of a redirect login is in the database: the login
		// begun on A ends on B, once.
		u := newUser(t, "198.51.100.7", "")
		binding := strings.Repeat("0123456789abcdef", 3)
		r := u.want(u.do(a, "POST", "/auth/customer/oidc", `{"state_binding":"`+binding+`"}`), 200)
		query, err := idp.Login(t.Context(), r.str("location"))
		if err != nil {
			t.Fatal(err)
		}
		query.Set("state_binding", binding)
		r = u.want(u.do(b, "GET", "/auth/customer/oidc/callback?"+query.Encode(), ""), 200)
		if r.str("token") == "" {
			t.Fatalf("callback on B: %v", r.body)
		}
		u.want(u.do(c, "GET", "/auth/customer/oidc/callback?"+query.Encode(), ""), 401)
		// The registration token of the new identity creates its customer
		// on C.
		u.want(u.do(c, "POST", "/store/customers", `{"email":"`+oidctest.DefaultUser().Email+`"}`, bearer(r.str("token"))), 200)
	})

	t.Run("Throttle", func(t *testing.T) {
		// The login rule: Limit failures are free, the next one is checked
		// and locks the account for Backoff. Guesses spread over the three
		// instances are counted together: Limit+1 wrong passwords are
		// checked, then even the right one is refused, on any instance.
		rule := throttle.DefaultLogin
		for round := range 3 {
			u := newUser(t, fmt.Sprintf("198.51.100.%d", 10+round), fmt.Sprintf("guess%d@example.com", round))
			u.want(u.do(a, "POST", "/auth/customer/emailpass/register", u.credentials(u.password)), 200)
			var lastGuess time.Time
			for i := range rule.Limit + 1 {
				lastGuess = time.Now()
				if r := u.login(in[i%3], "a wrong password", 0); r.status != 401 {
					t.Fatalf("wrong password %d of %d, on %s: %d %v", i+1, rule.Limit+1, in[i%3].name, r.status, r.body)
				}
			}
			locked := true
			for _, x := range in {
				r := u.login(x, u.password, 0)
				if r.status == 429 && r.header.Get("Retry-After") != "" {
					continue
				}
				if time.Since(lastGuess) < rule.Backoff {
					t.Fatalf("the right password on %s within %v of the lock: %d %v, want 429", x.name, rule.Backoff, r.status, r.body)
				}
				locked = false // the lock lapsed before the check: try again
				break
			}
			if locked {
				return
			}
			t.Logf("round %d: the requests took longer than the %v lock to judge it; another account", round, rule.Backoff)
		}
		t.Fatalf("three rounds could not send %d requests within the %v lock", rule.Limit+4, rule.Backoff)
	})

	t.Run("MFA", func(t *testing.T) {
		u := newUser(t, "198.51.100.4", "mfa@example.com")
		tok := u.signUp(in)
		r := u.want(u.do(a, "POST", "/auth/mfa/factors", `{"provider":"totp","label":"phone"}`, bearer(tok)), 200)
		secret := r.str("secret")
		factor, _ := r.obj("mfa_factor")["id"].(string)
		// A code works once (per time step): the challenge below uses the
		// next step's code, within the window of one step.
		u.want(u.do(b, "POST", "/auth/mfa/factors/"+factor+"/verify", `{"code":"`+totpCode(t, secret, 0)+`"}`, bearer(tok)), 200)

		// The next step's code, one string for every use below: a code
		// computed again could fall in another step.
		next := totpCode(t, secret, 30*time.Second)
		r = u.login(a, u.password, 200)
		challenge, _ := r.obj("mfa_challenge")["id"].(string)
		if r.body["mfa_required"] != true || challenge == "" {
			t.Fatalf("login with MFA on A: %v", r.body)
		}
		pending := r.str("token")
		u.want(u.do(c, "GET", "/store/customers/me", "", bearer(pending)), 401)
		r = u.want(u.do(b, "POST", "/auth/mfa/challenges/"+challenge+"/verify",
			`{"method":"totp","code":"`+next+`"}`, bearer(pending)), 200)
		done := r.str("token")
		for _, x := range in {
			u.want(u.do(x, "GET", "/store/customers/me", "", bearer(done)), 200)
		}
		// The challenge is spent everywhere.
		r = u.want(u.do(c, "POST", "/auth/mfa/challenges/"+challenge+"/verify",
			`{"method":"totp","code":"`+next+`"}`, bearer(pending)), 400)
		u.wantMessage(r, "MFA challenge has already been completed")
		// So is the code: a new challenge, opened on C, refuses it on A.
		r = u.login(c, u.password, 200)
		challenge, _ = r.obj("mfa_challenge")["id"].(string)
		r = u.want(u.do(a, "POST", "/auth/mfa/challenges/"+challenge+"/verify",
			`{"method":"totp","code":"`+next+`"}`, bearer(r.str("token"))), 400)
		u.wantMessage(r, "Invalid MFA challenge code")
	})

	// The changes of one group, made in turn on the three instances,
	// reach the sink in the order they were made (checked below, with
	// every event of the run, once all are delivered).
	var groupID string
	var wantGroup []string
	t.Run("Admin", func(t *testing.T) {
		u := newUser(t, "198.51.100.5", "admin@example.com")
		u.password = "supersecret"
		r := u.want(u.do(a, "POST", "/auth/user/emailpass", u.credentials(u.password)), 200)
		admin := bearer(r.str("token"))
		var customers []string
		for i, x := range in {
			r := u.want(u.do(x, "POST", "/admin/customers", fmt.Sprintf(`{"email":"member%d@example.com"}`, i), admin), 200)
			id, _ := r.obj("customer")["id"].(string)
			customers = append(customers, id)
		}
		r = u.want(u.do(b, "POST", "/admin/customer-groups", `{"name":"VIP"}`, admin), 200)
		groupID, _ = r.obj("customer_group")["id"].(string)
		wantGroup = []string{"customer_group.created"}
		for i, step := range []struct {
			op       string
			customer int
		}{{"add", 0}, {"add", 1}, {"remove", 0}, {"add", 2}, {"remove", 1}, {"add", 0}, {"remove", 2}} {
			x := in[i%3]
			u.want(u.do(x, "POST", "/admin/customer-groups/"+groupID+"/customers",
				fmt.Sprintf(`{%q:[%q]}`, step.op, customers[step.customer]), admin), 200)
			name := "customer_group.customers_added"
			if step.op == "remove" {
				name = "customer_group.customers_removed"
			}
			wantGroup = append(wantGroup, name+" "+customers[step.customer])
		}
	})

	t.Run("Load", func(t *testing.T) {
		// The load tool sends its requests to the instances in turn: tokens
		// obtained from one are used on the others.
		res, err := load.Run(t.Context(), load.Config{
			BaseURLs: []string{a.base, b.base, c.base}, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond,
			Loads:      []load.Load{{Name: load.Me, Concurrency: 3}, {Name: load.AdminList, Concurrency: 2}, {Name: load.Login, Concurrency: 2}},
			AdminEmail: "admin@example.com", AdminPassword: "supersecret", Run: "instances",
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Requests == 0 || r.Failures != 0 || r.Skipped != "" {
				t.Errorf("%s: %+v", r.Name, r)
			}
		}
	})

	checkDeliveries(t, dsn, events, groupID, wantGroup)
	// Stopped, the instances deliver nothing more: no event twice.
	for _, s := range servers {
		s.stop(t)
	}
	checkDeliveries(t, dsn, events, groupID, wantGroup)
}

// checkDeliveries waits until every row of the outbox is delivered and the
// events file has a line for each, then checks that each row reached the
// file once, in the order of the rows (their seq) per entity, and that
// the events of group are those of want, in order.
func checkDeliveries(t *testing.T, dsn, events, group string, want []string) {
	t.Helper()
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	type row struct {
		ID        string `bun:"id"`
		EntityKey string `bun:"entity_key"`
		Delivered bool   `bun:"delivered"`
	}
	var rows []row
	var lines []delivery
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rows = nil
		err := st.DB().NewRaw(`SELECT id, entity_key, delivered_at IS NOT NULL AS delivered FROM clientele_outbox ORDER BY seq`).Scan(t.Context(), &rows)
		if err != nil {
			t.Fatal(err)
		}
		lines = readDeliveries(t, events)
		undelivered := 0
		for _, r := range rows {
			if !r.Delivered {
				undelivered++
			}
		}
		if undelivered == 0 && len(lines) >= len(rows) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d outbox rows undelivered, %d lines in the events file", undelivered, len(rows), len(lines))
		}
	}
	seen := map[string]int{}
	for _, l := range lines {
		seen[l.ID]++
	}
	byEntity := map[string][]string{}
	for _, r := range rows {
		if n := seen[r.ID]; n != 1 {
			t.Errorf("event %s delivered %d times", r.ID, n)
		}
		delete(seen, r.ID)
		byEntity[r.EntityKey] = append(byEntity[r.EntityKey], r.ID)
	}
	for id := range seen {
		t.Errorf("event %s delivered, and not in the outbox", id)
	}
	// Per entity, the file's order is the rows' order.
	delivered := map[string][]string{}
	entityOf := map[string]string{}
	for _, r := range rows {
		entityOf[r.ID] = r.EntityKey
	}
	var got []string
	for _, l := range lines {
		delivered[entityOf[l.ID]] = append(delivered[entityOf[l.ID]], l.ID)
		if l.Data["id"] == group {
			entry := l.Name
			if ids, ok := l.Data["customer_ids"].([]any); ok {
				for _, id := range ids {
					entry += fmt.Sprint(" ", id)
				}
			}
			got = append(got, entry)
		}
	}
	for key, ids := range byEntity {
		if !slices.Equal(delivered[key], ids) {
			t.Errorf("entity %s: delivered %v, want the rows' order %v", key, delivered[key], ids)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("group %s: delivered\n%s\nwant\n%s", group, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !t.Failed() {
		t.Logf("%d events of %d entities, each delivered once, in order per entity", len(rows), len(byEntity))
	}
}

// readDeliveries reads the events file's complete lines, each of which
// must carry its outbox id.
func readDeliveries(t *testing.T, path string) []delivery {
	t.Helper()
	out := eventLines(t, path)
	for _, d := range out {
		if d.ID == "" {
			t.Fatalf("event without its outbox id: %s %v", d.Name, d.Data)
		}
	}
	return out
}

// user is one customer's client, with a client address of its own (the
// servers trust 127.0.0.1 as a proxy), so that the throttle counts each
// user apart.
type user struct {
	t               *testing.T
	addr            string
	email, password string
}

func newUser(t *testing.T, addr, email string) *user {
	return &user{t: t, addr: addr, email: email, password: "supersecret"}
}

// answer is a server's answer.
type answer struct {
	status int
	body   map[string]any
	header http.Header
}

func (r answer) str(k string) string { s, _ := r.body[k].(string); return s }

func (r answer) obj(k string) map[string]any { m, _ := r.body[k].(map[string]any); return m }

func bearer(tok string) string { return "Authorization: Bearer " + tok }

var instanceClient = &http.Client{Timeout: 30 * time.Second}

// do sends a request to x; hdr are "Key: value" headers.
func (u *user) do(x instance, method, path, body string, hdr ...string) answer {
	u.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(u.t.Context(), method, x.base+path, rd)
	if err != nil {
		u.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", u.addr)
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := instanceClient.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s on %s: %v", method, path, x.name, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		u.t.Fatal(err)
	}
	out := answer{status: res.StatusCode, header: res.Header}
	_ = json.Unmarshal(raw, &out.body)
	out.header.Set("X-Instance", x.name)
	out.header.Set("X-Request", method+" "+path)
	return out
}

// want fails the test unless r has the status.
func (u *user) want(r answer, status int) answer {
	u.t.Helper()
	if r.status == status {
		return r
	}
	u.t.Fatalf("%s on %s: %d %v, want %d", r.header.Get("X-Request"), r.header.Get("X-Instance"), r.status, r.body, status)
	return r
}

// wantMessage fails the test unless r's message is msg.
func (u *user) wantMessage(r answer, msg string) {
	u.t.Helper()
	if r.str("message") != msg {
		u.t.Fatalf("%s on %s: %d %v, want the message %q", r.header.Get("X-Request"), r.header.Get("X-Instance"), r.status, r.body, msg)
	}
}

func (u *user) credentials(password string) string {
	return fmt.Sprintf(`{"email":%q,"password":%q}`, u.email, password)
}

// login logs the customer in on x with password and wants status (0:
// whatever it is).
func (u *user) login(x instance, password string, status int) answer {
	u.t.Helper()
	r := u.do(x, "POST", "/auth/customer/emailpass", u.credentials(password))
	if status != 0 {
		u.want(r, status)
	}
	return r
}

// signUp registers the customer on the first instance, creates its
// customer on the second with the registration's token, and logs it in on
// the third; it returns the login's token.
func (u *user) signUp(in []instance) string {
	u.t.Helper()
	r := u.want(u.do(in[0], "POST", "/auth/customer/emailpass/register", u.credentials(u.password)), 200)
	u.want(u.do(in[1], "POST", "/store/customers", fmt.Sprintf(`{"email":%q}`, u.email), bearer(r.str("token"))), 200)
	return u.login(in[2], u.password, 200).str("token")
}

// openSession trades tok for a session on x and returns its Cookie
// header.
func (u *user) openSession(x instance, tok string) string {
	u.t.Helper()
	r := u.want(u.do(x, "POST", "/auth/session", "", bearer(tok)), 200)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "connect.sid" && c.Value != "" {
			return "Cookie: " + c.Name + "=" + c.Value
		}
	}
	u.t.Fatalf("POST /auth/session on %s set no session cookie: %v", x.name, r.header)
	return ""
}

// awaitRefused asks probe (a request with a revoked token to x) until x
// refuses it (401). x may still accept the token for the revocation cache's
// bound after the revocation ended at since, never after: an answer 200
// to a request sent later than since plus the bound fails the test, so the
// loop ends by the first request sent after the bound.
func (u *user) awaitRefused(x instance, since time.Time, probe func() int) {
	u.t.Helper()
	bound := auth.DefaultRevocationCacheTTL
	accepted := time.Duration(-1) // the latest acceptance, after since
	for {
		sent := time.Now()
		switch st := probe(); st {
		case 401:
			if st := probe(); st != 401 {
				u.t.Fatalf("%s refused the revoked token, then answered %d", x.name, st)
			}
			if accepted < 0 {
				u.t.Logf("%s: the revoked token was refused at once", x.name)
			} else {
				u.t.Logf("%s: the revoked token was accepted until %v after the revocation (bound %v)", x.name, accepted, bound)
			}
			return
		case 200:
			if late := sent.Sub(since); late >= bound {
				u.t.Fatalf("%s accepted a revoked token %v after the revocation; the bound is %v", x.name, late, bound)
			}
			accepted = sent.Sub(since)
		default:
			u.t.Fatalf("%s answered a revoked token with %d", x.name, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// totpCode returns the TOTP code of secret at now plus offset.
func totpCode(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Now().Add(offset), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEnsureAdminOneUserID: instances that start together link the admin
// identity to one user id, whichever of them links it.
func TestEnsureAdminOneUserID(t *testing.T) {
	st := memory.New() // one database
	var ids []string
	for i := range 2 { // two instances, one after the other
		tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("ensure-admin-test-secret-0123456789")})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))))
		if err != nil {
			t.Fatal(err)
		}
		if err := ensureAdmin(t.Context(), svc, "admin@example.com", "supersecret"); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		res, err := svc.Authenticate(t.Context(), emailpass.ID, emailpass.Credentials("admin@example.com", "supersecret").ForActor(auth.ActorUser))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.AuthIdentity.ActorID(auth.ActorUser))
		// The first instance's link is not seen yet by the second, as when
		// both start at once: the second links it again.
		if _, err := svc.SetActor(t.Context(), res.AuthIdentity.ID, auth.ActorUser, ""); err != nil {
			t.Fatal(err)
		}
	}
	if ids[0] == "" || ids[0] != ids[1] || !strings.HasPrefix(ids[0], "user_") {
		t.Fatalf("the instances linked the admin to %q and %q, want one user id", ids[0], ids[1])
	}
}
