package servicetest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/session"
)

// unrevocable hides every method of a store but those of account.Store
// and session.Store, so an auth service on it has no RevocationStore: the
// "without the check" side of BenchmarkCustomerMe.
type unrevocable struct {
	accountStore
	sessionStore
}

type (
	accountStore interface{ account.Store }
	sessionStore interface{ session.Store }
)

// BenchmarkCustomerMe measures GET /store/customers/me through httpapi on
// st (which must also be a session.Store), with a bearer token: "check"
// with token revocation on (the default), "nocheck" with the store's
// RevocationStore hidden. newStore is called once per side.
func BenchmarkCustomerMe(b *testing.B, newStore func(b *testing.B) Store) {
	for _, side := range []string{"check", "nocheck"} {
		b.Run(side, func(b *testing.B) {
			st := newStore(b)
			ss, ok := st.(session.Store)
			if !ok {
				b.Skip("the store implements no session.Store")
			}
			var as interface {
				account.Store
				session.Store
			} = unrevocable{st, ss}
			if side == "check" {
				as = st.(interface {
					account.Store
					session.Store
				})
			}
			h, authS := benchAPI(b, as)
			if authS.RevocationEnabled() != (side == "check") {
				b.Fatalf("%s: revocation enabled = %v", side, authS.RevocationEnabled())
			}
			tok := benchCustomer(b, h)
			req := httptest.NewRequest("GET", "/store/customers/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			serveLoop(b, h, req)
		})
	}
}

func benchAPI(b *testing.B, st interface {
	account.Store
	session.Store
}) (http.Handler, *auth.Service) {
	b.Helper()
	addresses := must(address.NewService(st))(b)
	customers := must(customer.NewService(st, addresses))(b)
	groups := must(group.NewService(st))(b)
	tokens := must(auth.NewTokens(auth.TokenConfig{Secret: testSecret}))(b)
	authS := must(auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(cheap)))))(b)
	accounts := must(account.NewService(st, authS, customers, account.WithSessions(st)))(b)
	api := must(httpapi.New(httpapi.Config{
		Customers: customers, Addresses: addresses, Groups: groups, Auth: authS, Accounts: accounts, Sessions: st,
		Logger: discardLogger,
	}))(b)
	// The routes without request logging: the log line would dominate.
	mux := http.NewServeMux()
	api.Register(mux)
	return mux, authS
}

// benchCustomer signs a customer up over HTTP and returns its token.
func benchCustomer(b *testing.B, h http.Handler) string {
	b.Helper()
	post := func(path, body, tok string) string {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		_, after, _ := strings.Cut(rec.Body.String(), `"token":"`)
		tokOut, _, _ := strings.Cut(after, `"`)
		return tokOut
	}
	reg := post("/auth/customer/emailpass/register", `{"email":"bench@example.com","password":"supersecret"}`, "")
	post("/store/customers", `{"email":"bench@example.com"}`, reg)
	return post("/auth/token/refresh", "", reg)
}

var discardLogger = slog.New(slog.DiscardHandler)

// statusOnly is a ResponseWriter that keeps only the status.
type statusOnly struct {
	h      http.Header
	status int
}

func (d *statusOnly) Header() http.Header { return d.h }
func (d *statusOnly) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}
func (d *statusOnly) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	return len(p), nil
}

// BenchmarkAdminList measures GET /admin/customers?limit=20 through
// httpapi on st (which must also be a session.Store) holding 10,000
// customers, with an admin's bearer token: the page and its exact count,
// as Medusa's admin dashboard asks for them. newStore must return an
// empty store; settle, when not nil, runs once the customers are in (on
// PostgreSQL, the VACUUM ANALYZE that autovacuum would run after such a
// load).
func BenchmarkAdminList(b *testing.B, newStore func(b *testing.B) Store, settle func(b *testing.B, st Store)) {
	st := newStore(b)
	as, ok := st.(interface {
		account.Store
		session.Store
	})
	if !ok {
		b.Skip("the store implements no session.Store")
	}
	Seed(b, st, 10_000)
	if settle != nil {
		settle(b, st)
	}
	h, authS := benchAPI(b, as)
	ctx := b.Context()
	in := emailpass.Credentials("admin@example.com", "supersecret").ForActor(auth.ActorUser)
	res, err := authS.Register(ctx, emailpass.ID, in)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := authS.SetActor(ctx, res.AuthIdentity.ID, auth.ActorUser, "user_bench"); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/auth/user/emailpass", strings.NewReader(`{"email":"admin@example.com","password":"supersecret"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	_, after, _ := strings.Cut(rec.Body.String(), `"token":"`)
	tok, _, _ := strings.Cut(after, `"`)
	if rec.Code != http.StatusOK || tok == "" {
		b.Fatalf("admin login: %d %s", rec.Code, rec.Body)
	}
	req = httptest.NewRequest("GET", "/admin/customers?limit=20", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"count":10000,`) {
		b.Fatalf("GET /admin/customers: %d %.200s", rec.Code, rec.Body)
	}
	serveLoop(b, h, req)
}

// serveLoop is the timed part of a route benchmark: h serves req, which
// must answer 200, once per iteration, into a writer that keeps only the
// status.
func serveLoop(b *testing.B, h http.Handler, req *http.Request) {
	w := &statusOnly{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}
