package httpapi_test

import (
	"bytes"
	"log/slog"
	"strings"
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
	"github.com/clientele/clientele/throttle"
)

// fullBackend is a backend that keeps throttle counters too.
type fullBackend interface {
	backend
	throttle.Store
}

// servicesOpts are the service options of newEnvOpts.
type servicesOpts struct {
	auth     []auth.Option
	address  []address.Option
	throttle *throttle.Config // nil: no throttling
}

// newEnvOpts builds the API on st as newEnvOn does, with o's options; a
// throttle config gets a Limiter on st, for the auth service and the API.
func newEnvOpts(t *testing.T, st fullBackend, o servicesOpts, mod ...func(*httpapi.Config)) *env {
	t.Helper()
	events := &event.Recorder{}
	addresses := must(address.NewService(st, append([]address.Option{address.WithEventSink(events)}, o.address...)...))(t)
	customers := must(customer.NewService(st, addresses))(t)
	groups := must(group.NewService(st))(t)
	tokens := must(auth.NewTokens(auth.TokenConfig{Secret: []byte("httpapi-test-secret-0123456789abcdef")}))(t)
	authOpts := []auth.Option{auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))), auth.WithEventSink(events)}
	var lim *throttle.Limiter
	if o.throttle != nil {
		lim = must(throttle.New(st, *o.throttle))(t)
		authOpts = append(authOpts, auth.WithThrottle(lim))
	}
	authS := must(auth.NewService(st, tokens, append(authOpts, o.auth...)...))(t)
	accounts := must(account.NewService(st, authS, customers, account.WithSessions(st)))(t)
	logs := &bytes.Buffer{}
	cfg := httpapi.Config{
		Customers: customers, Addresses: addresses, Groups: groups, Auth: authS,
		Accounts: accounts, Sessions: st, Throttle: lim,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil)),
	}
	for _, m := range mod {
		m(&cfg)
	}
	api := must(httpapi.New(cfg))(t)
	return &env{t: t, api: api, h: api.Handler(), authS: authS, events: events, logs: logs}
}

// eachFullStore runs f on a memory store and on a PostgreSQL store.
func eachFullStore(t *testing.T, f func(t *testing.T, st fullBackend)) {
	eachStore(t, func(t *testing.T, st backend) { f(t, st.(fullBackend)) })
}

func changeBody(current, next string) string {
	return `{"current_password":"` + current + `","new_password":"` + next + `"}`
}

const changePath = "/auth/customer/emailpass/change-password"

// TestChangePassword: the current password is checked; on success every
// other token and session of the identity ends, the caller gets a new
// token (and a new session when it came with one), and only the new
// password logs in.
func TestChangePassword(t *testing.T) {
	eachFullStore(t, func(t *testing.T, st fullBackend) {
		e := newEnvOpts(t, st, servicesOpts{})
		tok, id := e.customer("ada@example.com")
		other := e.login("ada@example.com", "supersecret").str("token")
		otherCookie := openSession(t, e, other)

		// Refusals change nothing.
		e.do("POST", changePath, changeBody("wrong-password", "a brand new password"), tok).want(t, 400, "invalid_data", "Invalid current password")
		e.do("POST", changePath, changeBody("supersecret", "short"), tok).want(t, 400, "invalid_data", "Password must be at least 8 characters")
		e.do("POST", changePath, `{"new_password":"a brand new password"}`, tok).want(t, 400, "invalid_data", "Invalid request: Field 'current_password' is required")
		e.do("POST", changePath, `{"current_password":"","new_password":"a brand new password"}`, tok).want(t, 400, "invalid_data", "Invalid request: Field 'current_password' is required")
		e.do("POST", changePath, `{"current_password":"supersecret","new_password":""}`, tok).want(t, 400, "invalid_data", "Invalid request: Field 'new_password' is required")
		e.do("POST", changePath, `{"current_password":"supersecret","new_password":"a brand new password","email":"x"}`, tok).want(t, 400, "invalid_data", "Invalid request: Unrecognized fields: 'email'")
		e.do("POST", changePath, `{"current_password":"super\u0000secret","new_password":"a brand new password"}`, tok).want(t, 400, "invalid_data", "")
		e.do("POST", changePath, changeBody("supersecret", "a brand new password"), "").want(t, 401, "", "Unauthorized")
		e.do("POST", changePath, changeBody("supersecret", "a brand new password"), "not-a-token").want(t, 401, "", "Unauthorized")
		// A token of another actor type, or a provider the identity has no
		// login with.
		e.do("POST", "/auth/user/emailpass/change-password", changeBody("supersecret", "a brand new password"), tok).want(t, 401, "", "Unauthorized")
		e.do("POST", "/auth/customer/nope/change-password", changeBody("supersecret", "a brand new password"), tok).want(t, 400, "invalid_data", "The identity has no nope login")
		e.do("GET", "/store/customers/me", "", tok).want(t, 200, "", "")
		e.do("GET", "/store/customers/me", "", other).want(t, 200, "", "")

		e.events.Reset()
		r := e.do("POST", changePath, changeBody("supersecret", "a brand new password"), tok)
		r.want(t, 200, "", "")
		if r.body["success"] != true || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("answer %s, cookies %v", r.raw, r.header.Values("Set-Cookie"))
		}
		fresh := r.str("token")
		c, err := e.authS.Verify(t.Context(), fresh)
		if err != nil {
			t.Fatal(err)
		}
		if c.ActorID != id || c.ActorType != "customer" || c.AuthProvider != emailpass.ID {
			t.Fatalf("new token's claims %+v", c)
		}
		e.do("GET", "/store/customers/me", "", fresh).want(t, 200, "", "")
		// Every earlier token and session is refused.
		for _, old := range []string{tok, other} {
			e.do("GET", "/store/customers/me", "", old).want(t, 401, "", "Unauthorized")
			e.do("POST", "/auth/token/refresh", "", old).want(t, 401, "", "Unauthorized")
		}
		e.do("GET", "/store/customers/me", "", "", otherCookie).want(t, 401, "", "Unauthorized")
		e.do("POST", "/auth/customer/emailpass", login("ada@example.com", "supersecret"), "").want(t, 401, "unauthorized", "Invalid email or password")
		e.login("ada@example.com", "a brand new password")
		e.flush()
		var changed []event.Event
		for _, ev := range e.events.Events() {
			if ev.Name == auth.EventPasswordChanged {
				changed = append(changed, ev)
			}
		}
		if len(changed) != 1 || changed[0].Data["auth_identity_id"] != c.AuthIdentityID {
			t.Fatalf("events %v", e.events.Events())
		}
		if strings.Contains(e.logs.String(), "a brand new password") {
			t.Fatal("a password reached the log")
		}
	})
}

// TestChangePasswordFromASession: a caller authenticated by its session
// cookie gets a new session in its place; the old cookie is refused.
func TestChangePasswordFromASession(t *testing.T) {
	eachFullStore(t, func(t *testing.T, st fullBackend) {
		e := newEnvOpts(t, st, servicesOpts{})
		tok, _ := e.customer("ada@example.com")
		cookie := openSession(t, e, tok)
		r := e.do("POST", changePath, changeBody("supersecret", "a brand new password"), "", cookie)
		r.want(t, 200, "", "")
		next := "Cookie: connect.sid=" + sessionCookie(t, r).Value
		if next == cookie {
			t.Fatal("the session id was kept")
		}
		e.do("GET", "/store/customers/me", "", "", next).want(t, 200, "", "")
		e.do("GET", "/store/customers/me", "", "", cookie).want(t, 401, "", "Unauthorized")
		e.do("GET", "/store/customers/me", "", tok).want(t, 401, "", "Unauthorized")
		e.do("GET", "/store/customers/me", "", r.str("token")).want(t, 200, "", "")
		// An admin changes its own password on its own actor's route.
		admin := e.admin()
		e.do("POST", "/auth/user/emailpass/change-password", changeBody("supersecret", "another new password"), admin).want(t, 200, "", "")
		e.do("POST", "/auth/user/emailpass", `{"email":"admin@example.com","password":"another new password"}`, "").want(t, 200, "", "")
	})
}

// TestChangePasswordThrottle: a wrong current password is a failed login
// for the account and for the client's address: the account locks, for
// change-password and for logins alike, even with the right password.
func TestChangePasswordThrottle(t *testing.T) {
	eachFullStore(t, func(t *testing.T, st fullBackend) {
		at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		cfg := throttle.Config{LoginIP: throttle.Rule{Limit: 8, Window: time.Hour}, Now: func() time.Time { return at }}
		e := newEnvOpts(t, st, servicesOpts{throttle: &cfg})
		tok, _ := e.customer("ada@example.com")
		// Successful changes count nothing on the address.
		e.register("customer", "carol@example.com")
		carol := e.login("carol@example.com", "supersecret").str("token")
		pw := []string{"supersecret", "another password"}
		for i := range 9 {
			r := e.doFrom(peer, "POST", changePath, changeBody(pw[i%2], pw[(i+1)%2]), carol)
			r.want(t, 200, "", "")
			carol = r.str("token")
		}
		for range 6 {
			e.doFrom(peer, "POST", changePath, changeBody("wrong-password", "a brand new password"), tok).want(t, 400, "invalid_data", "Invalid current password")
		}
		e.doFrom(peer, "POST", changePath, changeBody("supersecret", "a brand new password"), tok).wantLimited(t, "1")
		e.doFrom("198.51.100.7:1", "POST", "/auth/customer/emailpass", login("ada@example.com", "supersecret"), "").wantLimited(t, "1")
		// The address's failures: 6 so far, 2 more allowed, then none.
		e.register("customer", "bob@example.com")
		bob := e.login("bob@example.com", "supersecret").str("token")
		for range 2 {
			e.doFrom(peer, "POST", changePath, changeBody("wrong-password", "a brand new password"), bob).want(t, 400, "invalid_data", "Invalid current password")
		}
		e.doFrom(peer, "POST", changePath, changeBody("supersecret", "a brand new password"), bob).wantLimited(t, "3600")
		// Nothing changed: the old password still logs in, elsewhere.
		e.doFrom("198.51.100.8:1", "POST", "/auth/customer/emailpass", login("bob@example.com", "supersecret"), "").want(t, 200, "", "")
	})
}

// TestChangePasswordWithRotation: with refresh rotation the answer carries
// a new refresh token, and the refresh tokens of earlier logins are spent.
func TestChangePasswordWithRotation(t *testing.T) {
	eachFullStore(t, func(t *testing.T, st fullBackend) {
		e := newEnvOpts(t, st, servicesOpts{auth: []auth.Option{auth.WithRefreshRotation(nil)}})
		e.register("customer", "ada@example.com")
		first := e.login("ada@example.com", "supersecret")
		r := e.do("POST", changePath, changeBody("supersecret", "a brand new password"), first.str("token"))
		r.want(t, 200, "", "")
		if !strings.HasPrefix(r.str("refresh_token"), "crt_") {
			t.Fatalf("answer %s", r.raw)
		}
		e.do("POST", "/auth/token/rotate", `{"refresh_token":"`+first.str("refresh_token")+`"}`, "").want(t, 401, "", "Unauthorized")
		e.do("POST", "/auth/token/rotate", `{"refresh_token":"`+r.str("refresh_token")+`"}`, "").want(t, 200, "", "")
	})
}

// TestRequireCompleteAddresses: with address.WithRequireComplete the
// address routes refuse incomplete addresses, naming every missing field.
func TestRequireCompleteAddresses(t *testing.T) {
	eachFullStore(t, func(t *testing.T, st fullBackend) {
		e := newEnvOpts(t, st, servicesOpts{address: []address.Option{address.WithRequireComplete(true)}})
		tok, id := e.customer("ada@example.com")
		admin := e.admin()
		const ok = `{"first_name":"Ada","last_name":"Lovelace","address_1":"1 Main St","city":"Springfield","country_code":"US","postal_code":"12345"}`
		e.do("POST", "/store/customers/me/addresses", `{"city":"Paris"}`, tok).want(t, 400, "invalid_data",
			"Invalid request: Field 'first_name' is required; Field 'last_name' is required; Field 'address_1' is required; Field 'country_code' is required")
		e.do("POST", "/store/customers/me/addresses", `{"first_name":"Ada","last_name":"L","address_1":"1 rue","city":"Paris","country_code":"fr"}`, tok).want(t, 400, "invalid_data",
			"Invalid request: Field 'postal_code' is required")
		e.do("POST", "/admin/customers/"+id+"/addresses", `{"first_name":"Ada"}`, admin).want(t, 400, "invalid_data", "")
		r := e.do("POST", "/store/customers/me/addresses", ok, tok)
		r.want(t, 200, "", "")
		addrs, _ := r.obj("customer")["addresses"].([]any)
		if len(addrs) != 1 {
			t.Fatalf("answer %s", r.raw)
		}
		aid, _ := addrs[0].(map[string]any)["id"].(string)
		e.do("POST", "/store/customers/me/addresses/"+aid, `{"address_1":""}`, tok).want(t, 400, "invalid_data", "Invalid request: Field 'address_1' is required")
		e.do("POST", "/admin/customers/"+id+"/addresses/"+aid, `{"postal_code":null}`, admin).want(t, 400, "invalid_data", "Invalid request: Field 'postal_code' is required")
		e.do("POST", "/store/customers/me/addresses/"+aid, `{"address_2":"Apt 4","is_default_shipping":true}`, tok).want(t, 200, "", "")
		// A country without postal codes needs none.
		e.do("POST", "/store/customers/me/addresses", `{"first_name":"Ada","last_name":"L","address_1":"1 Sheikh Zayed Rd","city":"Dubai","country_code":"ae"}`, tok).want(t, 200, "", "")
	})
}
