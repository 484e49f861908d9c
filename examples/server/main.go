// Command server is a Medusa-compatible HTTP server for clientele's
// customer and auth modules: the /auth, /store/customers and
// /admin/customers… routes of Medusa 2.21 (package httpapi), usable with
// Medusa's JS SDK.
//
//	go run ./examples/server
//
// It keeps everything in memory unless DATABASE_URL names a PostgreSQL
// database (whose migrations it runs at start). Configuration comes from
// the environment, with Medusa's names where Medusa has one:
//
//	ADDR                 listen address (default 127.0.0.1:9000, Medusa's port)
//	DATABASE_URL         PostgreSQL; unset: in-memory store
//	DATABASE_REPLICA_URL a streaming read replica of DATABASE_URL's database: the customer, address and
//	                     group reads of requests that wrote nothing go there (store/postgres, # Read
//	                     replicas); everything else stays on DATABASE_URL
//	JWT_SECRET           HS256 secret of auth tokens; unset: a random one (tokens die with the process)
//	COOKIE_SECRET        accepted for Medusa compatibility; sessions need no secret (random ids, stored hashed)
//	STORE_CORS, ADMIN_CORS, AUTH_CORS   comma-separated browser origins allowed (with credentials)
//	COOKIE_SECURE        auto (default: Secure over TLS or X-Forwarded-Proto https), true, false
//	TRUSTED_PROXIES      comma-separated addresses or CIDR prefixes of the reverse proxies in front;
//	                     only requests from them have their client address read from X-Forwarded-For
//	                     (the rightmost entry that is not a trusted proxy)
//	THROTTLE             off: no throttling (default on, see below)
//	ADMIN_EMAIL, ADMIN_PASSWORD   an emailpass identity linked to a "user" actor, made at start
//	PUBLISHABLE_KEYS     comma-separated keys /store routes then require in x-publishable-api-key
//	EVENTS_FILE          append every event as one JSON line {"id", "name", "data"} (development notifier)
//	OUTBOX_KEY           turns on the transactional outbox (package outbox): events are written in the
//	                     transaction of their change and delivered to the notifier at least once, in
//	                     order per entity, with retries; the value is the key(s) that seal events
//	                     carrying secrets, "id:base64-of-32-bytes", newest first, comma-separated
//	                     (e.g. "k2:…,k1:…" while rotating). Unset: events are delivered after the
//	                     commit, best-effort
//	GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_CALLBACK_URL   Google login (optional)
//	GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GITHUB_CALLBACK_URL   GitHub login (optional)
//	OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_CALLBACK_URL   any OpenID Connect provider, id "oidc"
//	OIDC_FAKE            true: an oidctest fake identity provider as "oidc" (development only)
//	OIDC_FAKE_EMAIL      the verified email of the fake provider's user (default ada@example.com);
//	                     another email is another user (its subject is "fake:" and the email)
//	WEBAUTHN_RP_ID       turns on passkeys (provider "passkey"): the relying party id, the registrable
//	                     domain passkeys belong to (e.g. example.com)
//	WEBAUTHN_ORIGINS     comma-separated origins allowed to use them (e.g. https://shop.example.com); required
//	                     with WEBAUTHN_RP_ID
//	WEBAUTHN_RP_NAME     the name browsers show (default WEBAUTHN_RP_ID)
//	WEBAUTHN_USER_VERIFICATION   required, preferred (default) or discouraged
//	AUTH_METHODS_PER_ACTOR   the providers each actor type may use, as Medusa's http.authMethodsPerActor
//	                     in JSON: {"user":["emailpass"],"customer":["emailpass","oidc"]}; actor types
//	                     left out may use every provider (GET /auth/{actor_type}/providers lists them)
//	MAGIC_LINK           on: passwordless login by a mailed link or one-time code (provider
//	                     magiclink: POST /auth/{actor_type}/magiclink/request {"email"}, then
//	                     POST /auth/{actor_type}/magiclink/callback with {"flow","code"} or
//	                     {"token"}); register: unknown emails register through it too; default off
//	LINK_VERIFIED_EMAIL  providers whose logins reach an existing identity through its verified email
//	                     (auth.WithVerifiedEmailLinking), comma-separated, or none; default magiclink
//	                     when MAGIC_LINK is on (its login proves the email), else none
//	MAGIC_LINK_URL       the storefront page the mailed link opens (the token is added to its
//	                     query, or to its fragment when the URL ends in "#", which keeps it out of
//	                     server logs; the page posts it to the callback); unset: the
//	                     auth.login_email event carries only the token
//	LOG_LEVEL            debug, info (default), warn, error
//	MAX_LOGIN_AGE        how long after a login its tokens may be refreshed (Go duration; default 720h, 30 days)
//	REFRESH_ROTATION     true: logins also answer a rotating "refresh_token" for POST /auth/token/rotate
//	STATEMENT_TIMEOUT    PostgreSQL statement_timeout (Go duration; default 5s)
//	SESSION_IDLE_TIMEOUT end a cookie session idle this long (Go duration; default: no idle limit)
//	LIST_COUNT           how lists count when a request does not say: exact (default), estimated or capped
//	LIST_COUNT_CAP       the cap of a capped count (default 1000)
//	COOKIE_HOST_PREFIX   true: "__Host-" cookies (Secure, so HTTPS only)
//	ADDRESS_REQUIRE_COMPLETE   true: addresses need first_name, last_name, address_1, city,
//	                     country_code and, where the country has postal codes, postal_code
//	                     (address.WithRequireComplete); default lenient, as Medusa
//	AUTH_VERIFICATIONS_PER_ACTOR  Medusa's http.authVerificationsPerActor as JSON, e.g.
//	                     {"customer": [{"auth_provider": "emailpass", "entity_type": "email"}]}:
//	                     logins of those actors answer verification_required until the email
//	                     is verified (POST /auth/verification/request and /confirm). An actor
//	                     type named there other than customer and user is accepted as customer
//	                     is (logins, registrations, tokens, verifications)
//	SCRYPT_LOG_N         the scrypt cost of new password hashes (default 15, Medusa's); a lower one
//	                     is for tests and load runs only (hashes from a leak are cheaper to crack)
//	DEBUG_ADDR           serve net/http/pprof and expvar (/debug/pprof/, /debug/vars) on this
//	                     address, e.g. 127.0.0.1:6060 (a port alone listens on 127.0.0.1); off when
//	                     unset; a host that is not loopback needs DEBUG_ALLOW_REMOTE=true
//	AUTH_MFA_ENCRYPTION_KEY   turns on MFA enrolment (TOTP and recovery codes, the /auth/mfa routes):
//	                     the key TOTP secrets are encrypted with, Medusa's variable; a Medusa server
//	                     that shares the database and this key verifies the same factors
//	AUDIT                off: no audit log (default on: security events with client address and user agent)
//	AUDIT_IP             full (default), network (IPv4 /24, IPv6 /48) or none: the address the audit log keeps
//	AUDIT_USER_AGENT_LENGTH   bytes of user agent the audit log keeps (default 256)
//	AUDIT_RETENTION      purge audit entries older than this every hour (Go duration; default: keep)
//	STOREFRONT           on: serve the example storefront (examples/storefront) at /storefront/, and
//	                     redirect / there; it uses the providers configured here
//	DEV_MAILBOX          on: keep the mails the server would send (reset links, verification and
//	                     login codes) and show them on the storefront's page /storefront/mailbox, to
//	                     anyone; development only; needs STOREFRONT=on
//	OTEL                 OpenTelemetry (package otelclientele), off by default; comma-separated:
//	                     stdout (spans of requests, by route, and of their SQL statements, as JSON
//	                     on standard output), prometheus (auth and HTTP metrics at /metrics on the
//	                     DEBUG_ADDR listener, which must be set)
//
// Tokens are revocable: a password reset or change (POST
// /auth/{actor_type}/emailpass/change-password), POST /auth/logout-all, an
// account deletion and turning MFA on refuse every token issued before
// them (on every instance within a second).
//
// Logins of identities with MFA on answer {"token", "mfa_required": true,
// "mfa_challenge"} whether or not AUTH_MFA_ENCRYPTION_KEY is set (without
// it only a recovery code completes the challenge).
//
// Throttling is on by default (package throttle), shared by every instance
// on one PostgreSQL database, with these limits:
//
//   - failed logins per account (provider and email, known or not): 5
//     free, then each failure locks the account for 1 s, 2 s, 4 s… up to
//     15 min, even for the right password; forgotten after 24 h without a
//     failure, cleared by a successful login;
//   - failed logins per client address: 100 per 15 min;
//   - registrations per client address: 10 per hour;
//   - reset requests per email: 5 per hour (later ones answer 201 and send
//     nothing), per client address: 20 per hour;
//   - token refreshes per client address: 60 per minute;
//   - wrong MFA codes per identity: 5 free, then the identity's MFA is
//     locked for 1 min, 2 min, 4 min… up to 1 h.
//
// A refusal is 429 {"type":"not_allowed","message":"Too many attempts. Try
// again later."} with Retry-After. Client addresses are counted per IPv4
// address and IPv6 /64; behind a proxy, set TRUSTED_PROXIES, or every
// client is counted as the proxy. The counters' keys are HMACs keyed by a
// secret derived from JWT_SECRET, so the table holds no emails or
// addresses.
//
// Try it:
//
//	curl -s -XPOST localhost:9000/auth/customer/emailpass/register -H 'content-type: application/json' \
//	     -d '{"email":"ada@example.com","password":"supersecret"}'
//	curl -s -XPOST localhost:9000/store/customers -H "authorization: Bearer $TOKEN" \
//	     -H 'content-type: application/json' -d '{"email":"ada@example.com"}'
//	curl -s -XPOST localhost:9000/auth/token/refresh -H "authorization: Bearer $TOKEN"
//	curl -s localhost:9000/store/customers/me -H "authorization: Bearer $TOKEN"
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/examples/storefront"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/provider/github"
	"github.com/clientele/clientele/provider/google"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/provider/passkey"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/store/postgres"
	"github.com/clientele/clientele/throttle"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := newLogger(os.Getenv)
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:9000"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error("listen", "err", err)
		os.Exit(1)
	}
	if err := run(ctx, ln, os.Getenv, logger); err != nil {
		logger.Error("server", "err", err)
		os.Exit(1)
	}
}

func newLogger(getenv func(string) string) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(getenv("LOG_LEVEL")))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// backend is what both stores are: the domain stores, the session store
// and the throttle store, so that sessions and counters live where the
// accounts do.
type backend interface {
	account.Store
	session.Store
	throttle.Store
	outbox.Store
	audit.Store
}

// run serves on ln until ctx is done, then shuts down gracefully.
func run(ctx context.Context, ln net.Listener, getenv func(string) string, logger *slog.Logger) error {
	dln, err := debugListener(getenv)
	if err != nil {
		_ = ln.Close()
		return err
	}
	h, cleanup, err := build(ctx, getenv, logger)
	if err != nil {
		_ = ln.Close()
		if dln != nil {
			_ = dln.Close()
		}
		return err
	}
	defer cleanup()
	if dln != nil {
		defer serveDebug(dln, logger)()
		logger.Info("debug listener: pprof and expvar", "addr", dln.Addr().String())
	}
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// build wires the services and returns the server's handler.
func build(ctx context.Context, getenv func(string) string, logger *slog.Logger) (http.Handler, func(), error) {
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (http.Handler, func(), error) { cleanup(); return nil, nil, err }
	tel, err := newTelemetry(getenv, os.Stdout, logger) // telemetry.go
	if err != nil {
		return fail(err)
	}
	closers = append(closers, tel.close)

	var st backend
	if dsn := getenv("DATABASE_URL"); dsn != "" {
		timeout, err := duration(getenv, "STATEMENT_TIMEOUT", postgres.DefaultStatementTimeout)
		if err != nil {
			return fail(err)
		}
		// A replica serves the customer lists and retrieves of requests
		// that wrote nothing (see store/postgres, # Read replicas).
		pg, err := postgres.Open(ctx, dsn, append(tel.storeOpts,
			postgres.WithStatementTimeout(timeout), postgres.WithReplica(getenv("DATABASE_REPLICA_URL")))...)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, func() { _ = pg.Close() })
		if err := postgres.Migrate(ctx, pg.DB()); err != nil {
			return fail(fmt.Errorf("migrate: %w", err))
		}
		st = pg
		stats := pg.DB().Stats
		dbStats.Store(&stats)
		closers = append(closers, func() { dbStats.Store(nil) })
		logger.Info("store: PostgreSQL, migrations applied", "replica", pg.Replica() != nil)
	} else {
		if getenv("DATABASE_REPLICA_URL") != "" {
			return fail(errors.New("DATABASE_REPLICA_URL needs DATABASE_URL"))
		}
		st = memory.New()
		logger.Info("store: in memory (set DATABASE_URL for PostgreSQL)")
	}

	sink, closeSink, err := eventSink(getenv("EVENTS_FILE"), logger)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, closeSink)
	withStorefront, mailbox, err := storefrontConfig(getenv, logger) // storefront.go
	if err != nil {
		return fail(err)
	}
	if mailbox != nil {
		sink = alsoTo(sink, mailbox)
	}
	if keys := getenv("OUTBOX_KEY"); keys != "" {
		ob, stopOutbox, err := startOutbox(ctx, st, keys, sink, logger)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, stopOutbox)
		sink = ob
	}

	secret := []byte(getenv("JWT_SECRET"))
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		logger.Warn("JWT_SECRET is not set: using a random secret; tokens die with the process")
	}
	if getenv("COOKIE_SECRET") == "" {
		logger.Debug("COOKIE_SECRET is not set; session ids are random and stored hashed, so none is needed")
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: secret})
	if err != nil {
		return fail(err)
	}
	providers, closeIdP, err := socialProviders(getenv, logger)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, closeIdP)
	magic, err := magicLink(getenv)
	if err != nil {
		return fail(err)
	}
	if magic != nil {
		providers = append(providers, magic)
	}
	hasher, err := scryptCost(getenv, logger)
	if err != nil {
		return fail(err)
	}
	opts := []auth.Option{auth.WithProvider(emailpass.New(emailpass.WithHasher(hasher))), auth.WithEventSink(sink), auth.WithLogger(logger)}
	var lim *throttle.Limiter
	if !strings.EqualFold(getenv("THROTTLE"), "off") {
		if lim, err = throttle.New(st, throttle.Config{Secret: throttleSecret(secret)}); err != nil {
			return fail(err)
		}
		opts = append(opts, auth.WithThrottle(lim))
	} else {
		logger.Warn("THROTTLE=off: logins, registrations, resets and refreshes are not throttled")
	}
	proxies, err := prefixes(getenv("TRUSTED_PROXIES"))
	if err != nil {
		return fail(fmt.Errorf("TRUSTED_PROXIES: %w", err))
	}
	configured := []string{emailpass.ID}
	for _, p := range providers {
		opts = append(opts, auth.WithProvider(p))
		configured = append(configured, p.ID())
	}
	perActor, err := authMethodsPerActor(getenv, configured)
	if err != nil {
		return fail(err)
	}
	opts = append(opts, perActor...)
	linking, err := verifiedEmailLinking(getenv, configured) // magiclink.go
	if err != nil {
		return fail(err)
	}
	opts = append(opts, linking...)
	revOpts, err := revocationOptions(getenv)
	if err != nil {
		return fail(err)
	}
	opts = append(opts, revOpts...)
	verOpts, err := verificationOptions(getenv("AUTH_VERIFICATIONS_PER_ACTOR"))
	if err != nil {
		return fail(err)
	}
	opts = append(opts, verOpts...)
	if key := getenv("AUTH_MFA_ENCRYPTION_KEY"); key != "" {
		opts = append(opts, auth.WithMFA(auth.MFAConfig{EncryptionKey: key}))
		logger.Info("MFA: TOTP enrolment and recovery codes on")
	}
	auditOpts, stopAudit, err := auditOptions(st, getenv, logger)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, stopAudit)
	opts = append(opts, auditOpts...)
	opts = append(opts, tel.authOpts...)
	authSvc, err := auth.NewService(st, tokens, opts...)
	if err != nil {
		return fail(err)
	}
	// Events delivered after the answer (reset tokens) reach the sink
	// before it closes.
	closers = append(closers, func() {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := authSvc.Flush(fctx); err != nil {
			logger.Warn("events still undelivered at shutdown", "error", err)
		}
	})
	addrOpts := []address.Option{address.WithEventSink(sink), address.WithLogger(logger)}
	switch v := getenv("ADDRESS_REQUIRE_COMPLETE"); v {
	case "", "false":
	case "true":
		addrOpts = append(addrOpts, address.WithRequireComplete(true))
	default:
		return fail(fmt.Errorf("ADDRESS_REQUIRE_COMPLETE %q: want true or false", v))
	}
	addresses, err := address.NewService(st, addrOpts...)
	if err != nil {
		return fail(err)
	}
	customers, err := customer.NewService(st, addresses, customer.WithEventSink(sink), customer.WithLogger(logger))
	if err != nil {
		return fail(err)
	}
	groups, err := group.NewService(st, group.WithEventSink(sink), group.WithLogger(logger))
	if err != nil {
		return fail(err)
	}
	accounts, err := account.NewService(st, authSvc, customers, account.WithSessions(st), account.WithEventSink(sink), account.WithLogger(logger))
	if err != nil {
		return fail(err)
	}

	if email, pw := getenv("ADMIN_EMAIL"), getenv("ADMIN_PASSWORD"); email != "" && pw != "" {
		if err := ensureAdmin(ctx, authSvc, email, pw); err != nil {
			return fail(fmt.Errorf("admin %s: %w", email, err))
		}
		logger.Info("admin ready", "email", email)
	}

	secure := httpapi.SecureAuto
	switch strings.ToLower(getenv("COOKIE_SECURE")) {
	case "true", "1":
		secure = httpapi.SecureAlways
	case "false", "0":
		secure = httpapi.SecureNever
	}
	idle, err := duration(getenv, "SESSION_IDLE_TIMEOUT", 0)
	if err != nil {
		return fail(err)
	}
	listCount, listCap, err := listCounts(getenv)
	if err != nil {
		return fail(err)
	}
	api, err := httpapi.New(httpapi.Config{
		SessionIdleTimeout: idle, HostPrefixCookies: isTrue(getenv("COOKIE_HOST_PREFIX")),
		Customers: customers, Addresses: addresses, Groups: groups, Auth: authSvc, Accounts: accounts,
		Sessions: st, Logger: logger, SecureCookies: secure,
		StoreCORS: origins(getenv("STORE_CORS")), AdminCORS: origins(getenv("ADMIN_CORS")), AuthCORS: origins(getenv("AUTH_CORS")),
		PublishableKeys: origins(getenv("PUBLISHABLE_KEYS")),
		Throttle:        lim, TrustedProxies: proxies,
		ListCount: listCount, ListCountCap: listCap,
	})
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("OK"))
	})
	mux.Handle("/", api.Handler())
	if withStorefront {
		if err := mountStorefront(mux, api, mailbox, origins(getenv("PUBLISHABLE_KEYS"))); err != nil {
			return fail(err)
		}
		logger.Info("storefront at " + storefront.DefaultPrefix)
	}
	return tel.wrap(mux), cleanup, nil
}

// listCounts reads LIST_COUNT (exact, estimated or capped: how the lists
// count their matches when a request does not say; default exact, as
// Medusa) and LIST_COUNT_CAP (the cap of a capped count; default 1000).
func listCounts(getenv func(string) string) (store.CountMode, int, error) {
	var mode store.CountMode
	if v := getenv("LIST_COUNT"); v != "" {
		m, err := store.ParseCountMode(v)
		if err != nil {
			return 0, 0, fmt.Errorf("LIST_COUNT: %w", err)
		}
		mode = m
	}
	limit := 0
	if v := getenv("LIST_COUNT_CAP"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, 0, fmt.Errorf("LIST_COUNT_CAP=%q: want a positive number", v)
		}
		limit = n
	}
	return mode, limit, nil
}

// scryptCost reads SCRYPT_LOG_N, the cost of new password hashes (default
// Medusa's 15). A lower cost makes passwords cheaper to guess from a
// leaked database: it is for tests and load runs, and says so in the log.
func scryptCost(getenv func(string) string, logger *slog.Logger) (emailpass.Scrypt, error) {
	h := emailpass.DefaultScrypt()
	v := getenv("SCRYPT_LOG_N")
	if v == "" {
		return h, nil
	}
	n, err := strconv.ParseUint(v, 10, 8)
	if err != nil || n < 1 || n > 20 {
		return h, fmt.Errorf("SCRYPT_LOG_N %q: want a number from 1 to 20", v)
	}
	if n < uint64(h.LogN) {
		logger.Warn("SCRYPT_LOG_N is below Medusa's default of 15: password hashes are cheap to guess; for tests only", "log_n", n)
	}
	h.LogN = uint8(n)
	return h, nil
}

// throttleSecret derives the throttle's key secret from the JWT secret, so
// every instance that shares one shares the other.
func throttleSecret(jwtSecret []byte) []byte {
	m := hmac.New(sha256.New, jwtSecret)
	m.Write([]byte("clientele throttle keys"))
	return m.Sum(nil)
}

// prefixes parses comma-separated addresses and CIDR prefixes.
func prefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range origins(s) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}

func isTrue(s string) bool { return s == "1" || strings.EqualFold(s, "true") }

func origins(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// ensureAdmin makes (or finds) the emailpass identity of email and links it
// to a user actor. Instances that start together on one database may all
// run it at once: one registers, the others log in, and the user id, made
// from the identity's, is the same whichever links it.
func ensureAdmin(ctx context.Context, svc *auth.Service, email, password string) error {
	in := emailpass.Credentials(email, password).ForActor(auth.ActorUser)
	res, err := svc.Register(ctx, emailpass.ID, in)
	if err != nil {
		// Registered before (an earlier start on PostgreSQL): log in.
		if res, err = svc.Authenticate(ctx, emailpass.ID, in); err != nil {
			return err
		}
	}
	if res.AuthIdentity.ActorID("user") != "" {
		return nil
	}
	_, err = svc.SetActor(ctx, res.AuthIdentity.ID, "user", "user_"+strings.TrimPrefix(res.AuthIdentity.ID, "authid_"))
	return err
}

// startOutbox makes the outbox sealed with keys (OUTBOX_KEY) and starts
// its dispatcher to sink; stop drains it (10 seconds at most) and leaves
// what it did not deliver to the next start.
func startOutbox(ctx context.Context, st outbox.Store, keys string, sink event.Sink, logger *slog.Logger) (*outbox.Outbox, func(), error) {
	parsed, err := outbox.ParseKeys(keys)
	if err != nil {
		return nil, nil, fmt.Errorf("OUTBOX_KEY: %w", err)
	}
	ob, err := outbox.New(st, outbox.WithKeys(parsed...))
	if err != nil {
		return nil, nil, fmt.Errorf("OUTBOX_KEY: %w", err)
	}
	d, err := outbox.NewDispatcher(ob, sink, outbox.WithLogger(logger))
	if err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(context.WithoutCancel(ctx)); err != nil {
			logger.Error("outbox dispatcher", "error", err)
		}
	}()
	logger.Info("events: transactional outbox on", "dispatcher", d.ID())
	return ob, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Shutdown(sctx); err != nil {
			logger.Warn("outbox: shutdown cut short; undelivered events stay in the outbox", "error", err)
			return
		}
		<-done
	}, nil
}

// eventSink returns the development notifier: every event appended to
// path as one JSON line, or a sink that only logs when path is empty.
func eventSink(path string, logger *slog.Logger) (event.Sink, func(), error) {
	if path == "" {
		return event.SinkFunc(func(ctx context.Context, e event.Event) error {
			logger.DebugContext(ctx, "event", "name", e.Name)
			return nil
		}), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("EVENTS_FILE: %w", err)
	}
	var mu sync.Mutex
	sink := event.SinkFunc(func(ctx context.Context, e event.Event) error {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		_, err = f.Write(append(line, '\n'))
		return err
	})
	logger.Warn("EVENTS_FILE: events (password reset tokens included) are written to a file; for development only", "path", path)
	return sink, func() { _ = f.Close() }, nil
}

// socialProviders returns the Google, GitHub and OpenID Connect providers
// the environment configures.
func socialProviders(getenv func(string) string, logger *slog.Logger) ([]provider.Provider, func(), error) {
	var out []provider.Provider
	closeIdP := func() {}
	if id := getenv("GOOGLE_CLIENT_ID"); id != "" {
		p, err := google.New(google.Config{ClientID: id, ClientSecret: getenv("GOOGLE_CLIENT_SECRET"), CallbackURL: getenv("GOOGLE_CALLBACK_URL")})
		if err != nil {
			return nil, closeIdP, err
		}
		out = append(out, p)
	}
	if id := getenv("GITHUB_CLIENT_ID"); id != "" {
		p, err := github.New(github.Config{ClientID: id, ClientSecret: getenv("GITHUB_CLIENT_SECRET"), CallbackURL: getenv("GITHUB_CALLBACK_URL")})
		if err != nil {
			return nil, closeIdP, err
		}
		out = append(out, p)
	}
	cfg := oidc.Config{Issuer: getenv("OIDC_ISSUER"), ClientID: getenv("OIDC_CLIENT_ID"), ClientSecret: getenv("OIDC_CLIENT_SECRET"), CallbackURL: getenv("OIDC_CALLBACK_URL")}
	var opts []oidc.Option
	if isTrue(getenv("OIDC_FAKE")) {
		var idpOpts []oidctest.Option
		if cfg.CallbackURL != "" {
			idpOpts = append(idpOpts, oidctest.WithRedirectURIs(cfg.CallbackURL))
		}
		if email := getenv("OIDC_FAKE_EMAIL"); email != "" {
			u := oidctest.DefaultUser()
			u.Subject, u.Email = "fake:"+email, email
			idpOpts = append(idpOpts, oidctest.WithUser(u))
		}
		idp, err := oidctest.Start(idpOpts...)
		if err != nil {
			return nil, closeIdP, err
		}
		closeIdP = idp.Close
		cfg.Issuer, cfg.ClientID, cfg.ClientSecret = idp.Issuer(), idp.ClientID(), idp.ClientSecret()
		opts = append(opts, oidc.WithHTTPClient(idp.Client()))
		logger.Warn("OIDC_FAKE: a fake identity provider approves every login; development only", "issuer", idp.Issuer())
	}
	if cfg.Issuer != "" {
		p, err := oidc.New(cfg, opts...)
		if err != nil {
			return nil, closeIdP, err
		}
		out = append(out, p)
	}
	if rpID := getenv("WEBAUTHN_RP_ID"); rpID != "" {
		name := getenv("WEBAUTHN_RP_NAME")
		if name == "" {
			name = rpID
		}
		p, err := passkey.New(passkey.Config{RPID: rpID, RPDisplayName: name, Origins: origins(getenv("WEBAUTHN_ORIGINS")),
			UserVerification: getenv("WEBAUTHN_USER_VERIFICATION")})
		if err != nil {
			return nil, closeIdP, fmt.Errorf("WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS: %w", err)
		}
		out = append(out, p)
	}
	return out, closeIdP, nil
}

// duration reads a positive Go duration from the environment variable
// name, or def when it is unset.
func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive Go duration such as 30s", name, v)
	}
	return d, nil
}

// revocationOptions reads MAX_LOGIN_AGE and REFRESH_ROTATION.
func revocationOptions(getenv func(string) string) ([]auth.Option, error) {
	var opts []auth.Option
	if getenv("MAX_LOGIN_AGE") != "" {
		d, err := duration(getenv, "MAX_LOGIN_AGE", 0)
		if err != nil {
			return nil, err
		}
		opts = append(opts, auth.WithMaxLoginAge(d))
	}
	switch v := getenv("REFRESH_ROTATION"); v {
	case "", "false":
	case "true":
		opts = append(opts, auth.WithRefreshRotation(nil))
	default:
		return nil, fmt.Errorf("REFRESH_ROTATION %q: want true or false", v)
	}
	return opts, nil
}

// verificationOptions reads AUTH_VERIFICATIONS_PER_ACTOR, Medusa's
// http.authVerificationsPerActor ({"<actor>": [{"auth_provider",
// "entity_type"}]}): a gate per actor type, and the actor types it names
// beside customer and user.
func verificationOptions(v string) ([]auth.Option, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var perActor map[string][]auth.VerificationRequirement
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&perActor); err != nil {
		return nil, fmt.Errorf(`AUTH_VERIFICATIONS_PER_ACTOR: want {"<actor>": [{"auth_provider": "…", "entity_type": "…"}]}: %w`, err)
	}
	actors := []string{auth.ActorCustomer, auth.ActorUser}
	var opts []auth.Option
	for _, actor := range slices.Sorted(maps.Keys(perActor)) {
		opts = append(opts, auth.WithVerificationsPerActor(actor, perActor[actor]...))
		if !slices.Contains(actors, actor) {
			actors = append(actors, actor)
		}
	}
	return append(opts, auth.WithActorTypes(actors...)), nil
}
