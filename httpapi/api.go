// Package httpapi is an optional net/http layer that speaks Medusa v2's
// REST shapes for the customer and auth modules: the /auth routes (login,
// registration, social-login callbacks, token refresh, password reset,
// cookie sessions), the /store customer routes of the logged-in customer
// and the /admin customer and customer-group routes. It also gives a
// host's own routes the same authentication, gates and errors, without
// those routes.
//
// Mount [API.Handler] on a server or an [http.ServeMux]:
//
//	api, err := httpapi.New(httpapi.Config{Customers: customers, …, Sessions: st})
//	mux.Handle("/", api.Handler())
//
// httpapi never picks a storage backend: the host passes every store,
// the session store ([Config.Sessions], a [session.Store]) included. Give
// every instance of an application the same one (store/postgres), so that
// sessions and their revocation hold across instances.
//
// # Gates for a host's routes
//
// A [Guard] authenticates requests as Medusa's authenticate middleware
// does (a session cookie first, then a bearer token) and gates them, as
// plain func(http.Handler) http.Handler middleware for any router:
//
//   - [Guard.Authenticate] requires an actor type ("customer", "user" or
//     "*"), with [BearerOnly], [SessionOnly] and [AllowUnregistered]; it
//     refuses a login whose MFA challenge is pending unless
//     [AllowPendingMFA], and [RequireMFA] bounds the age of its completion;
//   - [Guard.RequireGroups] requires a customer in one of some customer
//     groups, by id or by name.
//
// Behind a gate, [ClaimsFrom] and [CustomerID] read who the request is
// authenticated as. Build a Guard with [NewGuard] from the auth service
// alone (sessions, groups and logger optional), or take the one the routes
// use from [API.Guard].
//
// # Errors
//
// Errors use Medusa's envelope {"type", "message"} (plus "code" for 422
// and 500) and its status codes; the authentication middleware answers
// {"message": "Unauthorized"} as Medusa's does, and a gate refusing an
// authenticated request answers 403 {"type": "forbidden", "message":
// "Forbidden"} (Medusa's FORBIDDEN). The message a client sees is the
// error's public message (store.PublicMessage: a *store.ValidationError's
// Message or "invalid <field>: <reason>", Medusa's not-found and conflict
// sentences, sentinels made with store.Sentinel, provider messages); an
// error without one gets a generic message for its status ("Invalid
// request.", "Not found.", …, and Medusa's "An unknown error occurred." for
// 500s) and its detail goes to the log. [WriteError] and
// [Guard.WriteError] write errors this way for a host's own handlers.
//
// Request bodies are strict JSON: unknown fields, wrong types and
// malformed JSON are 400s, bodies over [Config.MaxBodyBytes] are 413s
// that the client can read (the rest of the body is read and discarded,
// up to 16 × the limit, then the connection is closed). A panic in a
// handler is logged and answered with a 500 unknown_error, never a stack
// trace.
//
// # Bounded input
//
// Before a route runs, and again in the services (so every backend is
// covered), input that no backend should receive is refused with a 400
// invalid_data that names the field: a NUL byte or invalid UTF-8 in the
// path, a query parameter, or any string of a body (metadata keys and
// values included); a q of more than 8 words or 256 bytes (the services'
// WithSearchLimits options); a fields parameter of more than [MaxFields]
// names; a limit over [Config.MaxLimit] (default 1000).
//
// # Cookies and headers
//
// Cookies are HttpOnly, SameSite=Lax, Path=/, host-only, and Secure over
// TLS or behind a proxy that sends X-Forwarded-Proto: https (see
// [SecureAuto]); [Config.HostPrefixCookies] names them "__Host-…".
// Sessions end after [Config.SessionTTL], and, with
// [Config.SessionIdleTimeout], after that long unused. Every response of
// [API.Handler] carries X-Content-Type-Options: nosniff; those of /auth
// and every JSON answer carry Cache-Control: no-store.
//
// # Differences from Medusa
//
//   - Publishable API keys are a fixed list (Config.PublishableKeys), not
//     records with sales channels; with no list /store routes do not check.
//   - Sessions are kept server-side in a [session.Store], keyed by the
//     SHA-256 of the cookie value, and get a new id at every login; DELETE
//     /auth/session revokes them.
//   - An unknown order field is a 400 "Order field X is not valid" (Medusa
//     answers 500).
//   - Tokens are revocable (see package auth): POST /auth/logout-all ends
//     every token and session of the caller's identity, a password reset
//     does too, and POST /auth/token/refresh refuses a revoked token or a
//     login older than the maximum login age. With auth.WithRefreshRotation,
//     logins also answer a rotating "refresh_token" for POST
//     /auth/token/rotate (see revokeroutes.go).
//   - With [Config.Throttle], logins, registrations, reset requests and
//     token refreshes are throttled (Medusa has no limit): a refusal is a
//     429 {"type": "not_allowed", "message": "Too many attempts. Try again
//     later."} with Retry-After in seconds, except a reset request refused
//     for its identifier, which still answers 201 and sends nothing. The
//     client's address comes from the connection, or from X-Forwarded-For
//     only behind [Config.TrustedProxies] ([ClientAddr]).
//   - limit has a maximum (Config.MaxLimit, default 1000; Medusa has
//     none), q at most 8 words and 256 bytes, fields at most 100 names:
//     more is a 400 invalid_data.
//   - A NUL byte or invalid UTF-8 in any input is a 400 invalid_data
//     naming the field (Medusa passes it to PostgreSQL: a 500, or its
//     error text in a 401).
//   - MFA (see mfaroutes.go): enabling a factor (POST
//     /auth/mfa/factors/{id}/verify) ends every earlier token and session
//     of the identity and answers a new "token" beside "mfa_factor" (and
//     a new session cookie to a session caller); Medusa keeps the old
//     ones. A client that keeps its token itself (Medusa's JS SDK in JWT
//     mode) sets the new one: sdk.client.setToken(res.token). Wrong codes
//     are throttled (429); an unknown MFA method or provider is a 400, not
//     a 500. The enrolment of a second factor by an actorless token that
//     completed no challenge is refused as in Medusa's newest source.
package httpapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/session"
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
	// "clientele_oauth".
	BindingCookie string
	// BindingTTL is the binding cookie's lifetime; default 10 minutes.
	BindingTTL time.Duration
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
	gc := GuardConfig{Auth: cfg.Auth, Sessions: cfg.Sessions, SessionCookie: a.cfg.SessionCookie, SessionIdleTimeout: cfg.SessionIdleTimeout, Groups: cfg.Groups, Logger: a.log, Now: a.now}
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
	h("GET /auth/{actor_type}/{provider}/callback", a.callback)
	h("POST /auth/{actor_type}/{provider}/callback", a.callback)
	h("POST /auth/{actor_type}/{provider}/reset-password", a.resetPassword)
	h("POST /auth/{actor_type}/{provider}/update", a.updatePassword)
	a.revocationRoutes(mux) // revokeroutes.go
	a.mfaRoutes(mux)        // mfaroutes.go

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
// security headers and CORS; unknown routes and methods answer 404 in
// Medusa's envelope.
func (a *API) Handler() http.Handler {
	return a.logRequests(a.recoverPanics(securityHeaders(a.cors(a.publishableKey(a.mux)))))
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
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
// requests against Config.PublishableKeys.
func (a *API) publishableKey(next http.Handler) http.Handler {
	if len(a.cfg.PublishableKeys) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/store/") && r.Method != http.MethodOptions {
			key := r.Header.Get("x-publishable-api-key")
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
