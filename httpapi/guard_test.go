package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

// members is a fake MemberChecker: a customer id's groups, by id and name.
type members struct {
	mu     sync.Mutex
	groups map[string][]string // customer id -> group ids and names
	err    error
	calls  []string
}

func (m *members) IsMember(_ context.Context, customerID string, match group.Match) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, customerID)
	if m.err != nil {
		return false, m.err
	}
	for _, g := range m.groups[customerID] {
		if slices.Contains(match.IDs, g) || slices.Contains(match.Names, g) {
			return true, nil
		}
	}
	return false, nil
}

// failingSessions is a session store whose reads fail.
type failingSessions struct{ session.Store }

func (failingSessions) GetSession(context.Context, string, time.Time) (*session.Session, error) {
	return nil, errors.New("session table unreachable at 10.0.0.7")
}

type guardEnv struct {
	t        *testing.T
	api      *env // the routes, to log in and open sessions
	tokens   *auth.Tokens
	members  *members
	logs     *bytes.Buffer
	sessions session.Store
}

func newGuardEnv(t *testing.T) *guardEnv {
	t.Helper()
	e := newEnv(t)
	return &guardEnv{t: t, api: e, tokens: e.authS.Tokens(), sessions: e.st, logs: &bytes.Buffer{},
		members: &members{groups: map[string][]string{}}}
}

// guard returns a Guard on the env's auth service; mod changes its config.
func (g *guardEnv) guard(mod ...func(*httpapi.GuardConfig)) *httpapi.Guard {
	g.t.Helper()
	cfg := httpapi.GuardConfig{
		Auth: g.api.authS, Sessions: g.sessions, Groups: g.members,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: g.logs}, nil)),
	}
	for _, m := range mod {
		m(&cfg)
	}
	gd, err := httpapi.NewGuard(cfg)
	if err != nil {
		g.t.Fatal(err)
	}
	return gd
}

// token issues a token for an actor (actorID "" for a registration token).
func (g *guardEnv) token(actorType, actorID string) string {
	g.t.Helper()
	tok, err := g.tokens.Issue(auth.Claims{ActorType: actorType, ActorID: actorID, AuthIdentityID: "authid_" + actorType + actorID})
	if err != nil {
		g.t.Fatal(err)
	}
	return tok
}

// seen is what the protected handler saw of the request's context.
type seen struct {
	claims     *auth.Claims
	customerID string
	isCustomer bool
}

// serve sends a request through mw to a handler that records what it saw;
// hdr holds "Name: value" strings.
func serve(t *testing.T, mw func(http.Handler) http.Handler, hdr ...string) (*httptest.ResponseRecorder, *seen) {
	t.Helper()
	var s *seen
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s = &seen{}
		s.claims, _ = httpapi.ClaimsFrom(r.Context())
		s.customerID, s.isCustomer = httpapi.CustomerID(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	req := httptest.NewRequest("GET", "/shop/vip", nil)
	for _, v := range hdr {
		k, val, _ := strings.Cut(v, ": ")
		req.Header.Add(k, val)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, s
}

func body(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return m
}

// wantBare401 checks Medusa's bare {"message":"Unauthorized"}.
func wantBare401(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != 401 || strings.TrimSpace(rec.Body.String()) != `{"message":"Unauthorized"}` {
		t.Fatalf("got %d %s, want the bare 401", rec.Code, rec.Body.String())
	}
}

func wantForbidden(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != 403 || strings.TrimSpace(rec.Body.String()) != `{"message":"Forbidden","type":"forbidden"}` {
		t.Fatalf("got %d %s, want Medusa's 403", rec.Code, rec.Body.String())
	}
}

func TestAuthenticate(t *testing.T) {
	g := newGuardEnv(t)
	cust, custID := g.api.customer("ada@example.com")
	cookie := openSession(t, g.api, cust)
	admin := g.token("user", "user_1")
	reg := g.token("customer", "")
	gd := g.guard()

	bearer := func(tok string) string { return "Authorization: Bearer " + tok }
	tests := []struct {
		name     string
		mw       func(http.Handler) http.Handler
		hdr      []string
		status   int
		customer string // the CustomerID the handler sees
		identity string // the claims' auth identity, when not a customer
	}{
		{"no credentials", gd.Authenticate("customer"), nil, 401, "", ""},
		{"garbage token", gd.Authenticate("customer"), []string{bearer("not.a.jwt")}, 401, "", ""},
		{"basic scheme", gd.Authenticate("customer"), []string{"Authorization: Basic " + cust}, 401, "", ""},
		{"customer bearer", gd.Authenticate("customer"), []string{bearer(cust)}, 204, custID, ""},
		{"lower-case scheme", gd.Authenticate("customer"), []string{"Authorization: bearer " + cust}, 204, custID, ""},
		{"customer session", gd.Authenticate("customer"), []string{cookie}, 204, custID, ""},
		{"unknown session", gd.Authenticate("customer"), []string{"Cookie: connect.sid=forged"}, 401, "", ""},
		{"wrong actor", gd.Authenticate("customer"), []string{bearer(admin)}, 401, "", ""},
		{"wrong actor session", gd.Authenticate("user"), []string{cookie}, 401, "", ""},
		{"admin", gd.Authenticate("user"), []string{bearer(admin)}, 204, "", "authid_useruser_1"},
		{"any actor", gd.Authenticate("*"), []string{bearer(admin)}, 204, "", "authid_useruser_1"},
		{"registration token", gd.Authenticate("customer"), []string{bearer(reg)}, 401, "", ""},
		{"registration token allowed", gd.Authenticate("customer", httpapi.AllowUnregistered()), []string{bearer(reg)}, 204, "", "authid_customer"},
		{"bearer only refuses a session", gd.Authenticate("customer", httpapi.BearerOnly()), []string{cookie}, 401, "", ""},
		{"bearer only", gd.Authenticate("customer", httpapi.BearerOnly()), []string{bearer(cust)}, 204, custID, ""},
		{"session only refuses a bearer", gd.Authenticate("customer", httpapi.SessionOnly()), []string{bearer(cust)}, 401, "", ""},
		{"session only", gd.Authenticate("customer", httpapi.SessionOnly()), []string{cookie}, 204, custID, ""},
		{"session first", gd.Authenticate("customer"), []string{cookie, bearer("garbage")}, 204, custID, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, s := serve(t, tc.mw, tc.hdr...)
			if tc.status == 401 {
				wantBare401(t, rec)
				if s != nil {
					t.Fatal("the handler ran")
				}
				return
			}
			if rec.Code != tc.status {
				t.Fatalf("got %d %s", rec.Code, rec.Body.String())
			}
			if s.claims == nil {
				t.Fatal("no claims in the context")
			}
			if s.customerID != tc.customer || s.isCustomer != (tc.customer != "") {
				t.Fatalf("CustomerID = %q, %v; want %q", s.customerID, s.isCustomer, tc.customer)
			}
			if tc.identity != "" && s.claims.AuthIdentityID != tc.identity {
				t.Fatalf("claims %+v", s.claims)
			}
		})
	}
}

func TestAuthenticateWithoutSessionStore(t *testing.T) {
	g := newGuardEnv(t)
	cust, _ := g.api.customer("ada@example.com")
	cookie := openSession(t, g.api, cust)
	gd := g.guard(func(c *httpapi.GuardConfig) { c.Sessions = nil })
	rec, _ := serve(t, gd.Authenticate("customer"), cookie)
	wantBare401(t, rec)
	rec, _ = serve(t, gd.Authenticate("customer"), "Authorization: Bearer "+cust)
	if rec.Code != 204 {
		t.Fatalf("bearer without a session store: %d", rec.Code)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("SessionOnly without a session store did not panic")
		}
	}()
	gd.Authenticate("customer", httpapi.SessionOnly())
}

func TestAuthenticateSessionStoreFailure(t *testing.T) {
	g := newGuardEnv(t)
	g.sessions = failingSessions{}
	rec, s := serve(t, g.guard().Authenticate("customer"), "Cookie: connect.sid=abc")
	if rec.Code != 500 || body(t, rec)["type"] != "unknown_error" || s != nil {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	if strings.Contains(rec.Body.String(), "10.0.0.7") || !strings.Contains(g.logs.String(), "10.0.0.7") {
		t.Fatalf("detail in the body or not logged: %s / %s", rec.Body.String(), g.logs.String())
	}
}

func TestNewGuardNeedsAuth(t *testing.T) {
	if _, err := httpapi.NewGuard(httpapi.GuardConfig{}); err == nil || !strings.Contains(err.Error(), "Auth") {
		t.Fatalf("err = %v", err)
	}
}

func TestRequireGroups(t *testing.T) {
	g := newGuardEnv(t)
	cust, custID := g.api.customer("ada@example.com")
	other, _ := g.api.customer("grace@example.com")
	cookie := openSession(t, g.api, cust)
	g.members.groups[custID] = []string{"cusgroup_vip", "Wholesale"}
	gd := g.guard()
	vipByID := gd.RequireGroups(group.Match{IDs: []string{"cusgroup_vip"}})
	byName := gd.RequireGroups(group.Match{Names: []string{"Retail", "Wholesale"}})
	admin := g.token("user", "user_1")
	reg := g.token("customer", "")
	bearer := func(tok string) string { return "Authorization: Bearer " + tok }
	chain := func(outer, inner func(http.Handler) http.Handler) func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler { return outer(inner(h)) }
	}

	tests := []struct {
		name   string
		mw     func(http.Handler) http.Handler
		hdr    []string
		status int
	}{
		{"not authenticated", vipByID, nil, 401},
		{"garbage token", vipByID, []string{bearer("x")}, 401},
		{"member by id", vipByID, []string{bearer(cust)}, 204},
		{"member by name", byName, []string{bearer(cust)}, 204},
		{"member by session", vipByID, []string{cookie}, 204},
		{"not a member", vipByID, []string{bearer(other)}, 403},
		{"admin token alone", vipByID, []string{bearer(admin)}, 401},
		{"admin let through by an earlier gate", chain(gd.Authenticate("*"), vipByID), []string{bearer(admin)}, 403},
		{"registration token alone", vipByID, []string{bearer(reg)}, 401},
		{"registration token let through", chain(gd.Authenticate("customer", httpapi.AllowUnregistered()), vipByID), []string{bearer(reg)}, 403},
		{"after a customer gate", chain(gd.Authenticate("customer"), byName), []string{bearer(cust)}, 204},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, s := serve(t, tc.mw, tc.hdr...)
			switch tc.status {
			case 401:
				wantBare401(t, rec)
			case 403:
				wantForbidden(t, rec)
			default:
				if rec.Code != tc.status || s == nil || s.customerID != custID {
					t.Fatalf("got %d %s, seen %+v", rec.Code, rec.Body.String(), s)
				}
				return
			}
			if s != nil {
				t.Fatal("the handler ran")
			}
		})
	}
}

func TestRequireGroupsCheckerErrors(t *testing.T) {
	g := newGuardEnv(t)
	gd := g.guard()
	vip := gd.RequireGroups(group.Match{Names: []string{"VIP"}})
	tok := g.token("customer", "cus_1")
	hdr := "Authorization: Bearer " + tok

	g.members.err = &store.NotFoundError{Entity: "Customer", IDs: []string{"cus_1"}, Err: customer.ErrNotFound}
	rec, _ := serve(t, vip, hdr)
	wantForbidden(t, rec)

	for _, err := range []error{
		errors.New("pq: connection refused to 10.0.0.9"),
		store.Invalid("match", "bad match at 10.0.0.9"), // not the client's fault either
	} {
		g.members.err = err
		g.logs.Reset()
		rec, s := serve(t, vip, hdr)
		want := `{"code":"unknown_error","message":"An unknown error occurred.","type":"unknown_error"}`
		if rec.Code != 500 || strings.TrimSpace(rec.Body.String()) != want || s != nil {
			t.Fatalf("%v: got %d %s", err, rec.Code, rec.Body.String())
		}
		if !strings.Contains(g.logs.String(), "10.0.0.9") || !strings.Contains(g.logs.String(), "level=ERROR") {
			t.Fatalf("%v: not logged: %s", err, g.logs.String())
		}
	}
	if g.members.calls[0] != "cus_1" {
		t.Fatalf("checked %v", g.members.calls)
	}
}

func TestRequireGroupsMisconfigured(t *testing.T) {
	g := newGuardEnv(t)
	for name, f := range map[string]func(){
		"no checker": func() {
			g.guard(func(c *httpapi.GuardConfig) { c.Groups = nil }).RequireGroups(group.Match{Names: []string{"VIP"}})
		},
		"empty match": func() { g.guard().RequireGroups(group.Match{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func TestWriteError(t *testing.T) {
	g := newGuardEnv(t)
	gd := g.guard()
	kind := store.Kind("shop", store.ErrNotFound)
	tests := []struct {
		name   string
		err    error
		status int
		body   string
		logged string // "" when nothing is logged
	}{
		{"validation with a message", &store.ValidationError{Field: "qty", Reason: "negative", Message: "Quantity must be positive"}, 400,
			`{"message":"Quantity must be positive","type":"invalid_data"}`, ""},
		{"validation default", store.Invalid("qty", "must be positive"), 400,
			`{"message":"invalid qty: must be positive","type":"invalid_data"}`, ""},
		{"not found", &store.NotFoundError{Entity: "Product", IDs: []string{"prod_1"}}, 404,
			`{"message":"Product with id: prod_1 was not found","type":"not_found"}`, ""},
		{"sentinel", store.Sentinel("Cart is closed", store.ErrInvalid), 400,
			`{"message":"Cart is closed","type":"invalid_data"}`, ""},
		{"kind only: generic message", errors.Join(kind, errors.New("row 42 of shard 3")), 404,
			`{"message":"Not found.","type":"not_found"}`, "level=WARN"},
		{"invalid kind only: generic message", customer.ErrInvalid, 400,
			`{"message":"Invalid request.","type":"invalid_data"}`, "level=WARN"},
		{"public conflict", errors.Join(errors.New("x"), store.Sentinel("Product handle is taken", store.ErrConflict)), 400,
			`{"message":"Product handle is taken","type":"invalid_data"}`, ""},
		{"concurrent conflict", errors.Join(store.ErrConflict, errors.New("serialization failure")), 409,
			`{"message":"The request conflicted with a concurrent change. Retry the request.","type":"conflict"}`, "level=WARN"},
		{"unknown", errors.New("dial 10.1.1.1"), 500,
			`{"code":"unknown_error","message":"An unknown error occurred.","type":"unknown_error"}`, "level=ERROR"},
		{"canceled", context.Canceled, 500,
			`{"code":"unknown_error","message":"An unknown error occurred.","type":"unknown_error"}`, "level=ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g.logs.Reset()
			rec := httptest.NewRecorder()
			gd.WriteError(rec, httptest.NewRequest("POST", "/shop/cart", nil), tc.err)
			if rec.Code != tc.status || strings.TrimSpace(rec.Body.String()) != tc.body {
				t.Fatalf("got %d %s", rec.Code, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type %q", ct)
			}
			logs := g.logs.String()
			if tc.logged == "" && logs != "" {
				t.Fatalf("logged: %s", logs)
			}
			if tc.logged != "" && (!strings.Contains(logs, tc.logged) || !strings.Contains(logs, strings.Split(tc.err.Error(), "\n")[0])) {
				t.Fatalf("want %s with the detail, logs: %s", tc.logged, logs)
			}
		})
	}
}

func TestPackageWriteError(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	rec := httptest.NewRecorder()
	httpapi.WriteError(rec, httptest.NewRequest("GET", "/x", nil), errors.New("secret detail"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") || !strings.Contains(logs.String(), "secret detail") {
		t.Fatalf("got %d %s; logs %s", rec.Code, rec.Body.String(), logs.String())
	}
}

func TestNewRequiresSessions(t *testing.T) {
	_, err := httpapi.New(httpapi.Config{})
	if err == nil || !strings.Contains(err.Error(), "Config.Sessions") || !strings.Contains(err.Error(), "Config.Auth") {
		t.Fatalf("err = %v", err)
	}
}

func TestAPIGuardSharesSessions(t *testing.T) {
	g := newGuardEnv(t)
	cust, custID := g.api.customer("ada@example.com")
	cookie := openSession(t, g.api, cust)
	rec, s := serve(t, g.api.api.Guard().Authenticate("customer", httpapi.SessionOnly()), cookie)
	if rec.Code != 204 || s.customerID != custID {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
}

// TestAPIGuardRequireGroupsWithGroupService runs the API's own group gate
// against the real group service: membership by name and by id, a
// soft-deleted group, and a customer who is not a member.
func TestAPIGuardRequireGroupsWithGroupService(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	adaTok, ada := e.customer("ada@example.com")
	bobTok, _ := e.customer("bob@example.com")
	r := e.do("POST", "/admin/customer-groups", `{"name":"VIP"}`, admin)
	r.want(t, 200, "", "")
	gid := r.body["customer_group"].(map[string]any)["id"].(string)
	e.do("POST", "/admin/customer-groups/"+gid+"/customers", `{"add":["`+ada+`"]}`, admin).want(t, 200, "", "")

	byName := e.api.Guard().RequireGroups(group.Match{Names: []string{"VIP"}})
	byID := e.api.Guard().RequireGroups(group.Match{IDs: []string{gid}})
	for _, mw := range []func(http.Handler) http.Handler{byName, byID} {
		rec, s := serve(t, mw, "Authorization: Bearer "+adaTok)
		if rec.Code != 204 || s.customerID != ada {
			t.Fatalf("member: %d %s", rec.Code, rec.Body.String())
		}
		rec, _ = serve(t, mw, "Authorization: Bearer "+bobTok)
		wantForbidden(t, rec)
		rec, _ = serve(t, mw)
		wantBare401(t, rec)
	}
	e.do("DELETE", "/admin/customer-groups/"+gid, "", admin).want(t, 200, "", "")
	rec, _ := serve(t, byName, "Authorization: Bearer "+adaTok)
	wantForbidden(t, rec)
}

func TestNewRequiresAccountsThatEndSessions(t *testing.T) {
	st := memory.New()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("httpapi-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	authS, _ := auth.NewService(st, tokens)
	addresses, _ := address.NewService(st)
	customers, _ := customer.NewService(st, addresses)
	groups, _ := group.NewService(st)
	cfg := httpapi.Config{Customers: customers, Addresses: addresses, Groups: groups, Auth: authS, Sessions: st}
	cfg.Accounts, _ = account.NewService(st, authS, customers)
	if _, err := httpapi.New(cfg); err == nil || !strings.Contains(err.Error(), "account.WithSessions") {
		t.Fatalf("New accepted accounts that leave a deleted customer's sessions alive: %v", err)
	}
	cfg.Accounts, _ = account.NewService(st, authS, customers, account.WithSessions(st))
	if _, err := httpapi.New(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestMisuseIsCaught(t *testing.T) {
	rec := httptest.NewRecorder()
	httpapi.WriteError(rec, httptest.NewRequest("GET", "/", nil), nil)
	if rec.Code != 500 || body(t, rec)["type"] != "unknown_error" {
		t.Fatalf("WriteError(nil): %d %s", rec.Code, rec.Body)
	}
	g := newGuardEnv(t)
	defer func() {
		if recover() == nil {
			t.Fatal("Authenticate with no actor type did not panic")
		}
	}()
	g.guard().Authenticate("")
}
