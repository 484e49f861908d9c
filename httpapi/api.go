package httpapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// CookieSecurity says when cookies get the Secure attribute.
type CookieSecurity int

const (
	// SecureAuto sets Secure when the request came over TLS or carries
	// X-Forwarded-Proto: https (from a TLS-terminating proxy). The header
	// is honoured without any proxy trust: Secure only makes a cookie
	// stricter, so a client that forges it harms only itself.
	SecureAuto CookieSecurity = iota
	// SecureAlways always sets Secure.
	SecureAlways
	// SecureNever never sets Secure (development over plain HTTP).
	SecureNever
)

// Config configures an API. Customers, Addresses, Groups, Auth, Accounts
// and Sessions are required.
type Config struct {
	Customers *customer.Service
	Addresses *address.Service
	Groups    *group.Service
	Auth      *auth.Service
	Accounts  *account.Service
	// Sessions keeps cookie sessions. Give every instance of an
	// application the same store (store/postgres), so that a session
	// opened on one is honoured, and revoked, on all.
	Sessions session.Store
	// Logger receives request logs and errors; default slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies; default 1 MiB. A longer body is
	// answered 413 after the rest of it is read and discarded (up to 16 ×
	// MaxBodyBytes), so that the client, still sending, can read the
	// answer; then the connection is closed.
	MaxBodyBytes int64
	// MaxLimit is the largest limit a list accepts; a larger one is a 400
	// invalid_data. Default 1000 (Medusa sets no maximum).
	MaxLimit int
	// ListCount is how the lists count their matches when a request does
	// not say (count_mode): store.CountExact, Medusa's, by default. On
	// large tables store.CountEstimated or store.CountCapped answer in
	// the same time whatever the number of matches; the answer then
	// carries count_mode (see the package doc, "clientele's list
	// extensions"). A value that is not a CountMode fails New.
	ListCount store.CountMode
	// ListCountCap is the cap of a capped count when a request does not
	// give count_cap; default 1000.
	ListCountCap int
	// SecureCookies decides the Secure attribute; default SecureAuto.
	SecureCookies CookieSecurity
	// TrustedProxies are the addresses of the reverse proxies in front of
	// the API: only a request from one of them has its client address
	// read from X-Forwarded-For (see ClientAddr). Empty: the connection's
	// address is the client's.
	TrustedProxies []netip.Prefix
	// Throttle, when set, applies its per-address rules to logins,
	// registrations, reset requests and token refreshes (see
	// package throttle; give the auth service the same Limiter with
	// auth.WithThrottle for the per-account rules).
	Throttle *throttle.Limiter
	// SessionCookie names the session cookie; default "connect.sid".
	SessionCookie string
	// HostPrefixCookies names the session and binding cookies with the
	// "__Host-" prefix ("__Host-connect.sid"): browsers then accept them
	// only with Secure, Path=/ and no Domain, so a sibling subdomain or a
	// plain-HTTP page cannot set or overwrite them. The cookies are then
	// always Secure (whatever SecureCookies says), which needs HTTPS.
	// Requests are read by the prefixed names only.
	HostPrefixCookies bool
	// SessionTTL is a session's lifetime; default 10 hours (Medusa's).
	SessionTTL time.Duration
	// SessionIdleTimeout, when positive, also ends a session that has not
	// been used for that long (Sessions must implement session.Toucher,
	// as store/memory and store/postgres do). Each session stores its
	// idle deadline; a request moves it forward only when it has fallen
	// behind by a tenth of the timeout or a minute, whichever is less, so
	// a busy session costs at most one write a minute, and an idle session
	// ends between the timeout minus that step and the timeout after its
	// last use. Sessions opened while it was zero keep no idle deadline.
	// Default 0: only SessionTTL.
	SessionIdleTimeout time.Duration
	// BindingCookie names the social-login binding cookie; default
	// "clientele_oauth". A login whose first leg carries a client-held
	// binding (BindingField) sets no cookie. See the package
	// documentation, "Social login and the browser binding".
	BindingCookie string
	// BindingTTL is the binding cookie's lifetime; default 10 minutes.
	BindingTTL time.Duration
	// RecentLogin is how recent the login behind a change to the ways into
	// an identity must be: POST /auth/{actor_type}/{provider}/link
	// (adding one), DELETE /auth/identity/provider-identities/{id}
	// (removing one) and enabling an MFA factor; default
	// DefaultRecentLogin.
	RecentLogin time.Duration
	// StoreCORS, AdminCORS and AuthCORS are the origins allowed to call
	// /store, /admin and /auth from a browser (with credentials), as
	// Medusa's store_cors, admin_cors and auth_cors. Empty: no CORS headers.
	StoreCORS, AdminCORS, AuthCORS []string
	// PublishableKeys, when not empty, are the publishable API keys
	// /store routes require in the x-publishable-api-key header (checked
	// before the token, as in Medusa). Empty: no check.
	PublishableKeys []string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// API serves Medusa's routes. It is safe for concurrent use.
type API struct {
	cfg      Config
	log      *slog.Logger
	maxBody  int64
	maxLimit int
	sessions session.Store
	guard    *Guard
	now      func() time.Time
	mux      *http.ServeMux
}

// New checks cfg and returns an API.
func New(cfg Config) (*API, error) {
	if cfg.ListCount < store.CountExact || cfg.ListCount > store.CountCapped {
		return nil, fmt.Errorf("httpapi: Config.ListCount %d is not a store.CountMode", int(cfg.ListCount))
	}
	var missing []string
	for _, f := range []struct {
		name string
		nil  bool
	}{
		{"Customers", cfg.Customers == nil}, {"Addresses", cfg.Addresses == nil}, {"Groups", cfg.Groups == nil},
		{"Auth", cfg.Auth == nil}, {"Accounts", cfg.Accounts == nil}, {"Sessions", cfg.Sessions == nil},
	} {
		if f.nil {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("httpapi: Config.%s is required", strings.Join(missing, ", Config."))
	}
	if cfg.Accounts.Sessions() == nil {
		// DELETE /admin/customers/{id} would leave the customer's cookie
		// sessions alive.
		return nil, errors.New("httpapi: Config.Accounts must end sessions: build it with account.WithSessions(Config.Sessions)")
	}
	a := &API{cfg: cfg, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, sessions: cfg.Sessions, now: cfg.Now}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.maxBody <= 0 {
		a.maxBody = 1 << 20
	}
	a.maxLimit = cfg.MaxLimit
	if a.maxLimit <= 0 {
		a.maxLimit = 1000
	}
	if a.cfg.ListCountCap <= 0 {
		a.cfg.ListCountCap = 1000
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.cfg.SessionCookie == "" {
		a.cfg.SessionCookie = "connect.sid"
	}
	if a.cfg.BindingCookie == "" {
		a.cfg.BindingCookie = "clientele_oauth"
	}
	if a.cfg.HostPrefixCookies {
		a.cfg.SessionCookie = hostPrefix + strings.TrimPrefix(a.cfg.SessionCookie, hostPrefix)
		a.cfg.BindingCookie = hostPrefix + strings.TrimPrefix(a.cfg.BindingCookie, hostPrefix)
	}
	gc := GuardConfig{Auth: cfg.Auth, Sessions: cfg.Sessions, SessionCookie: a.cfg.SessionCookie, SessionIdleTimeout: cfg.SessionIdleTimeout, Groups: cfg.Groups, Logger: a.log, Now: a.now,
		TrustedOrigins: slices.Concat(cfg.StoreCORS, cfg.AdminCORS, cfg.AuthCORS)}
	var err error
	if a.guard, err = NewGuard(gc); err != nil {
		return nil, err
	}
	if a.cfg.SessionTTL <= 0 {
		a.cfg.SessionTTL = 10 * time.Hour
	}
	if a.cfg.BindingTTL <= 0 {
		a.cfg.BindingTTL = 10 * time.Minute
	}
	a.mux = http.NewServeMux()
	a.Register(a.mux)
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, notFoundErr("Cannot %s %s", r.Method, r.URL.Path))
	})
	return a, nil
}

// Guard returns the API's guard: its gates authenticate as the API's routes
// do (same auth service, session store and cookie), for a host's own
// routes beside them.
func (a *API) Guard() *Guard { return a.guard }

// handlerFunc is a route handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Register adds every route to mux, without the API's request logging,
// recovery and CORS (which Handler adds).
func (a *API) Register(mux *http.ServeMux) {
	h := func(pattern string, f handlerFunc) {
		mux.Handle(pattern, a.wrap(f))
	}
	// authed registers a route behind the guard's gate, which puts who the
	// request is authenticated as in its context (see authOf).
	authed := func(pattern string, o authOpts, f handlerFunc) {
		mux.Handle(pattern, a.guard.gate(o, a.wrap(f)))
	}
	// Sessions and refreshes take the token of a login whose MFA
	// challenge is pending (Medusa's requireMfa: false).
	pendingMFA := mfaGate{pending: true}
	anyActor := authOpts{actor: "*", bearer: true, session: true, allowUnregistered: true, mfa: pendingMFA}
	// auth
	authed("POST /auth/session", authOpts{actor: "*", bearer: true, allowUnregistered: true, mfa: pendingMFA}, a.createSession)
	authed("DELETE /auth/session", authOpts{actor: "*", session: true, allowUnregistered: true, mfa: pendingMFA}, a.deleteSession)
	authed("POST /auth/token/refresh", anyActor, a.throttleRefresh(a.refresh))
	h("GET /auth/{actor_type}/providers", a.providers)
	h("GET /auth/{actor_type}/{provider}", a.authenticate)
	h("POST /auth/{actor_type}/{provider}", a.authenticate)
	h("POST /auth/{actor_type}/{provider}/register", a.register)
	h("POST /auth/{actor_type}/{provider}/begin", a.begin)
	authed("POST /auth/{actor_type}/{provider}/link", authOpts{actor: "*", bearer: true, session: true, allowUnregistered: true}, a.linkProvider)
	h("GET /auth/{actor_type}/{provider}/callback", a.callback)
	h("POST /auth/{actor_type}/{provider}/callback", a.callback)
	h("POST /auth/{actor_type}/{provider}/reset-password", a.resetPassword)
	h("POST /auth/{actor_type}/{provider}/request", a.requestEmailLogin) // emailloginroutes.go
	h("POST /auth/{actor_type}/{provider}/update", a.updatePassword)
	// Not with a pending MFA challenge (anyActor allows it).
	authed("POST /auth/{actor_type}/{provider}/change-password", authOpts{actor: "*", bearer: true, session: true, allowUnregistered: true}, a.changePassword)
	a.identityRoutes(mux)     // identityroutes.go
	a.revocationRoutes(mux)   // revokeroutes.go
	a.verificationRoutes(mux) // verificationroutes.go
	a.mfaRoutes(mux)          // mfaroutes.go

	// store
	authed("POST /store/customers", authOpts{actor: "customer", bearer: true, session: true, allowUnregistered: true}, a.storeCreateCustomer)
	authed("GET /store/customers/me", customerAuth, a.storeMe)
	authed("POST /store/customers/me", customerAuth, a.storeUpdateMe)
	authed("GET /store/customers/me/addresses", customerAuth, a.storeListAddresses)
	authed("POST /store/customers/me/addresses", customerAuth, a.storeCreateAddress)
	authed("GET /store/customers/me/addresses/{address_id}", customerAuth, a.storeGetAddress)
	authed("POST /store/customers/me/addresses/{address_id}", customerAuth, a.storeUpdateAddress)
	authed("DELETE /store/customers/me/addresses/{address_id}", customerAuth, a.storeDeleteAddress)

	// admin
	authed("GET /admin/customers", adminAuth, a.adminListCustomers)
	authed("POST /admin/customers", adminAuth, a.adminCreateCustomer)
	authed("GET /admin/customers/{id}", adminAuth, a.adminGetCustomer)
	authed("POST /admin/customers/{id}", adminAuth, a.adminUpdateCustomer)
	authed("DELETE /admin/customers/{id}", adminAuth, a.adminDeleteCustomer)
	authed("GET /admin/customers/{id}/export", adminAuth, a.adminExportCustomer)
	authed("POST /admin/customers/{id}/erase", adminAuth, a.adminEraseCustomer)
	authed("GET /admin/customers/{id}/audit", adminAuth, a.adminCustomerAudit)
	authed("GET /admin/customers/{id}/addresses", adminAuth, a.adminListAddresses)
	authed("POST /admin/customers/{id}/addresses", adminAuth, a.adminCreateAddress)
	authed("GET /admin/customers/{id}/addresses/{address_id}", adminAuth, a.adminGetAddress)
	authed("POST /admin/customers/{id}/addresses/{address_id}", adminAuth, a.adminUpdateAddress)
	authed("DELETE /admin/customers/{id}/addresses/{address_id}", adminAuth, a.adminDeleteAddress)
	authed("POST /admin/customers/{id}/customer-groups", adminAuth, a.adminCustomerGroups)
	authed("GET /admin/customer-groups", adminAuth, a.adminListGroups)
	authed("POST /admin/customer-groups", adminAuth, a.adminCreateGroup)
	authed("GET /admin/customer-groups/{id}", adminAuth, a.adminGetGroup)
	authed("POST /admin/customer-groups/{id}", adminAuth, a.adminUpdateGroup)
	authed("DELETE /admin/customer-groups/{id}", adminAuth, a.adminDeleteGroup)
	authed("POST /admin/customer-groups/{id}/customers", adminAuth, a.adminGroupCustomers)
}

// Handler returns the API's routes with request logging, panic recovery,
// security headers, CORS and a read-your-writes marker per request
// ([ReadYourWrites]); unknown routes and methods answer 404 in Medusa's
// envelope.
func (a *API) Handler() http.Handler {
	return a.logRequests(a.recoverPanics(ReadYourWrites(securityHeaders(a.cors(a.publishableKey(a.mux))))))
}

// securityHeaders sets X-Content-Type-Options: nosniff on every response,
// and Cache-Control: no-store on those of /auth (tokens, sessions,
// redirects carrying OAuth state), before the handler writes anything.
// (Every JSON answer of the routes is no-store as well: see writeJSON.)
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path == "/auth" || strings.HasPrefix(r.URL.Path, "/auth/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func (a *API) wrap(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.Auth.Audit().Enabled() {
			// The client the audit log records (trusted proxies
			// honoured, as for throttling).
			r = r.WithContext(audit.WithClient(r.Context(), a.clientAddr(r), r.UserAgent()))
		}
		err := a.checkInput(r)
		if err == nil {
			err = f(w, r)
		}
		if err != nil {
			a.fail(w, r, err)
		}
	})
}

// fail writes err in Medusa's envelope (see Guard.WriteError).
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(a.log, w, r, err)
}

// writeJSON answers status with v as JSON (see appendJSON), in one write
// with its Content-Length. A value that cannot be encoded leaves the body
// empty, as encoding/json's Encoder would.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	bp := jsonBuffers.Get().(*[]byte)
	b, err := appendJSON((*bp)[:0], v)
	if err == nil {
		b = append(b, '\n')
		h.Set("Content-Length", strconv.Itoa(len(b)))
	}
	w.WriteHeader(status)
	if err == nil {
		_, _ = w.Write(b)
	}
	if cap(b) <= maxPooledJSON {
		*bp = b
		jsonBuffers.Put(bp)
	}
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs one line per request: method, path (no query: it may
// hold tokens), status, size and duration. Headers and bodies are never
// logged.
func (a *API) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		a.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)), slog.String("remote", a.clientIP(r)))
	})
}

// recoverPanics answers a handler's panic with a 500 unknown_error and
// logs it (the value only; no stack in the response).
func (a *API) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.ErrorContext(r.Context(), "httpapi: handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				a.fail(w, r, errUnknown)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// cors answers preflights and sets CORS headers (with credentials) for
// allowed origins, per route prefix.
func (a *API) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		var allowed []string
		switch {
		case strings.HasPrefix(r.URL.Path, "/store/"):
			allowed = a.cfg.StoreCORS
		case strings.HasPrefix(r.URL.Path, "/admin/"):
			allowed = a.cfg.AdminCORS
		case strings.HasPrefix(r.URL.Path, "/auth/"):
			allowed = a.cfg.AuthCORS
		}
		if len(allowed) > 0 {
			w.Header().Add("Vary", "Origin")
		}
		if origin != "" && originAllowed(allowed, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			// A wildcard lets any site call the API, but never with the
			// caller's cookies: credentials only for listed origins.
			if !slices.Contains(allowed, "*") || listed(allowed, origin) {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
				if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
					h.Set("Access-Control-Allow-Headers", rh)
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// publishableKey checks the x-publishable-api-key header of /store
// requests against Config.PublishableKeys. The header sent twice is an
// invalid key, as in Medusa (Node joins the two values with ", ").
func (a *API) publishableKey(next http.Handler) http.Handler {
	if len(a.cfg.PublishableKeys) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/store/") && r.Method != http.MethodOptions {
			key := strings.Join(r.Header.Values("x-publishable-api-key"), ", ")
			if key == "" {
				a.fail(w, r, newError(http.StatusBadRequest, typeNotAllowed, "Publishable API key required in the request header: x-publishable-api-key. You can manage your keys in settings in the dashboard."))
				return
			}
			ok := false
			for _, k := range a.cfg.PublishableKeys {
				if subtle.ConstantTimeCompare([]byte(k), []byte(key)) == 1 {
					ok = true
				}
			}
			if !ok {
				a.fail(w, r, newError(http.StatusBadRequest, typeNotAllowed, "A valid publishable key is required to proceed with the request"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func originAllowed(allowed []string, origin string) bool {
	return slices.Contains(allowed, "*") || listed(allowed, origin)
}

// listed reports whether origin is named in allowed (not by a wildcard).
func listed(allowed []string, origin string) bool {
	for _, o := range allowed {
		if o != "*" && strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	return false
}
