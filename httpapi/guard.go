package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

// MemberChecker reports whether a customer belongs to any of the groups m
// names. *group.Service implements it.
type MemberChecker interface {
	IsMember(ctx context.Context, customerID string, m group.Match) (bool, error)
}

// GuardConfig configures a [Guard]. Only Auth is required.
type GuardConfig struct {
	// Auth verifies bearer tokens.
	Auth *auth.Service
	// Sessions, when set, lets requests authenticate with a session
	// cookie (opened by POST /auth/session). When nil only bearer tokens
	// are accepted.
	Sessions session.Store
	// SessionCookie names the session cookie; default "connect.sid".
	SessionCookie string
	// SessionIdleTimeout, when positive, ends a session that has not been
	// used for that long (see [Config.SessionIdleTimeout]); Sessions must
	// then implement session.Toucher.
	SessionIdleTimeout time.Duration
	// Groups checks group membership for [Guard.RequireGroups].
	Groups MemberChecker
	// Logger receives the detail of the errors that clients do not see;
	// default slog.Default().
	Logger *slog.Logger
	// Now is the clock sessions expire by; default time.Now.
	Now func() time.Time
	// TrustedOrigins are the origins of other sites whose pages may send
	// cookie-authenticated writes ("https://shop.example.com"): a
	// storefront served from another origin than the API's. A write
	// (any method but GET, HEAD and OPTIONS) authenticated by a session
	// cookie that a browser says comes from another site, or from an
	// origin other than the API's own, is refused otherwise (see
	// [Guard.Authenticate]). [API] passes its CORS origins.
	TrustedOrigins []string
}

// Guard authenticates requests as Medusa's authenticate middleware does
// and gates them by actor type and customer group. Its gates are plain
// func(http.Handler) http.Handler middleware, for an [http.ServeMux] or any
// router, and need none of the routes of [API]. A Guard is safe for
// concurrent use.
//
// A gate that lets a request through puts who it is authenticated as in
// the request's context: read it with [ClaimsFrom] and [CustomerID].
type Guard struct {
	auth     *auth.Service
	sessions session.Store
	cookie   string
	idle     time.Duration
	groups   MemberChecker
	log      *slog.Logger
	now      func() time.Time
	trusted  []string // GuardConfig.TrustedOrigins, lower-case
}

// NewGuard checks cfg and returns a Guard.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	if cfg.Auth == nil {
		return nil, errors.New("httpapi: GuardConfig.Auth is required")
	}
	g := &Guard{auth: cfg.Auth, sessions: cfg.Sessions, cookie: cfg.SessionCookie, idle: cfg.SessionIdleTimeout, groups: cfg.Groups, log: cfg.Logger, now: cfg.Now}
	for _, o := range cfg.TrustedOrigins {
		if o = strings.TrimSuffix(strings.TrimSpace(o), "/"); o != "" && o != "*" {
			g.trusted = append(g.trusted, strings.ToLower(o))
		}
	}
	if _, ok := cfg.Sessions.(session.Toucher); g.idle > 0 && cfg.Sessions != nil && !ok {
		return nil, errors.New("httpapi: a session idle timeout needs a session store that implements session.Toucher")
	}
	if g.cookie == "" {
		g.cookie = "connect.sid"
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g, nil
}

// authOpts are the options of Medusa's authenticate middleware.
type authOpts struct {
	actor             string // "*" for any
	bearer, session   bool
	allowUnregistered bool
	mfa               mfaGate // mfaroutes.go
}

var (
	customerAuth = authOpts{actor: "customer", bearer: true, session: true}
	adminAuth    = authOpts{actor: "user", bearer: true, session: true}
)

func (o authOpts) permits(actorType string) bool {
	return o.actor == "*" || o.actor == actorType
}

// An AuthOption changes how [Guard.Authenticate] authenticates.
type AuthOption func(*authOpts)

// BearerOnly accepts only an "Authorization: Bearer" token, not a session
// cookie.
func BearerOnly() AuthOption {
	return func(o *authOpts) { o.bearer, o.session = true, false }
}

// SessionOnly accepts only a session cookie, not a bearer token.
func SessionOnly() AuthOption {
	return func(o *authOpts) { o.bearer, o.session = false, true }
}

// AllowUnregistered lets through an auth identity that has no actor yet:
// the token that registration answers (actor_id ""), which a client
// trades for a customer account. Without it such a request is a 401.
func AllowUnregistered() AuthOption {
	return func(o *authOpts) { o.allowUnregistered = true }
}

// authContext is who a request is authenticated as.
type authContext struct {
	claims  *auth.Claims
	session *session.Session // set when authenticated by a session cookie
}

type authKey struct{}

func withAuth(ctx context.Context, ac *authContext) context.Context {
	return context.WithValue(ctx, authKey{}, ac)
}

func authFrom(ctx context.Context) (*authContext, bool) {
	ac, ok := ctx.Value(authKey{}).(*authContext)
	return ac, ok && ac != nil
}

// ClaimsFrom returns the verified claims of the request whose context is
// ctx, as a gate of a [Guard] (or a route of [API]) authenticated it. ok is
// false when no gate did. The claims are the request's own: do not change
// them.
func ClaimsFrom(ctx context.Context) (claims *auth.Claims, ok bool) {
	ac, ok := authFrom(ctx)
	if !ok {
		return nil, false
	}
	return ac.claims, true
}

// CustomerID returns the id of the customer the request whose context is
// ctx is authenticated as. ok is false when no gate authenticated it, when
// the actor is not a customer, or when the identity has no customer yet (a
// registration token let through by [AllowUnregistered]).
func CustomerID(ctx context.Context) (id string, ok bool) {
	c, ok := ClaimsFrom(ctx)
	if !ok || c.ActorType != "customer" || c.ActorID == "" {
		return "", false
	}
	return c.ActorID, true
}

// Authenticate returns middleware that lets a request through only when it
// is authenticated as an actor of type actorType ("customer", "user", or
// "*" for any), as Medusa's authenticate middleware does: a session cookie
// first (when the Guard has a session store), then an "Authorization:
// Bearer" token. The identity must have an actor unless AllowUnregistered
// is given. A revoked token, and a session opened with one, is refused
// (auth.Service.Verify, auth.Service.VerifyClaims). So is the token of a
// login whose MFA challenge is pending (mfa_enabled without
// mfa_challenge_completed_at), with 401 {"message": "MFA verification is
// required to complete this request"}, unless AllowPendingMFA is given
// (Medusa's requireMfa, on by default); RequireMFA also bounds the
// completion's age. Any other request gets Medusa's bare 401 {"message":
// "Unauthorized"}; a failing session or revocation store is a 500 whose
// detail is logged.
//
// An empty actor type, or SessionOnly on a Guard without a session store,
// is a programming error: Authenticate panics.
func (g *Guard) Authenticate(actorType string, opts ...AuthOption) func(http.Handler) http.Handler {
	if actorType == "" {
		panic(`httpapi: Authenticate needs an actor type ("customer", "user", … or "*")`)
	}
	o := authOpts{actor: actorType, bearer: true, session: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.session && !o.bearer && g.sessions == nil {
		panic("httpapi: Authenticate with SessionOnly needs GuardConfig.Sessions")
	}
	return func(next http.Handler) http.Handler {
		return g.gate(o, next)
	}
}

// gate authenticates with o and serves next with the auth context.
func (g *Guard) gate(o authOpts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ac, err := g.authenticate(r, o)
		if err != nil {
			g.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withAuth(r.Context(), ac)))
	})
}

// authenticate authenticates r as Medusa's authenticate middleware does: a
// session cookie, then a bearer token; the context must have an actor, or
// (allowUnregistered) at least an auth identity. Failures are the bare 401.
func (g *Guard) authenticate(r *http.Request, o authOpts) (*authContext, error) {
	var ac *authContext
	if o.session && g.sessions != nil {
		if s, err := g.sessionOf(r); err != nil {
			return nil, err
		} else if s != nil && o.permits(s.ActorType) {
			c := s.Claims
			// A session is refused as the token it was opened with is:
			// revoked when that token was.
			if err := g.auth.VerifyClaims(r.Context(), &c); err == nil {
				if err := g.sameSiteWrite(r); err != nil {
					return nil, err
				}
				ac = &authContext{claims: &c, session: s}
			} else if !errors.Is(err, auth.ErrInvalidToken) {
				return nil, err
			}
		}
	}
	if ac == nil && o.bearer {
		if tok := bearerToken(r); tok != "" {
			c, err := g.auth.Verify(r.Context(), tok)
			switch {
			case err == nil && o.permits(c.ActorType):
				ac = &authContext{claims: c}
			case err != nil && !errors.Is(err, auth.ErrInvalidToken):
				// The revocation check could not read its store.
				return nil, err
			}
		}
	}
	if ac == nil {
		return nil, errUnauthorized()
	}
	if err := o.mfa.check(ac.claims, g.now()); err != nil {
		return nil, err
	}
	if ac.claims.ActorID != "" || (o.allowUnregistered && ac.claims.AuthIdentityID != "") {
		return ac, nil
	}
	return nil, errUnauthorized()
}

// errCrossSite refuses a cookie-authenticated write from another site.
func errCrossSite() *apiError {
	return newError(http.StatusForbidden, typeForbidden, "Cross-site request refused: a session cookie authenticates writes from the shop's own pages only")
}

// sameSiteWrite refuses a write (a method other than GET, HEAD and
// OPTIONS) that a session cookie authenticates when the browser says it
// comes from elsewhere: a login CSRF's twin. SameSite=Lax keeps the cookie
// off other sites' POSTs, but not off those of sibling subdomains or of
// other ports of the same host, and a form POST with an empty body needs
// no preflight. The browser's Sec-Fetch-Site says where a request comes
// from: same-origin (and none, the user's own navigation) pass; same-site
// and cross-site pass only from GuardConfig.TrustedOrigins. Without it,
// Origin must be the API's own host or a trusted origin ("null" never
// is). A request with neither header is not a browser's (a server, a
// script, an SDK in Node) and passes: it can only hold the cookie if its
// author gave it.
func (g *Guard) sameSiteWrite(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	origin := strings.ToLower(strings.TrimSuffix(r.Header.Get("Origin"), "/"))
	trusted := origin != "" && slices.Contains(g.trusted, origin)
	switch site := strings.ToLower(r.Header.Get("Sec-Fetch-Site")); site {
	case "same-origin", "none":
		return nil
	case "":
	default:
		if trusted {
			return nil
		}
		return errCrossSite()
	}
	if origin == "" || trusted {
		return nil
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	return errCrossSite()
}

// sessionOf returns the live session of r's session cookie, or nil.
func (g *Guard) sessionOf(r *http.Request) (*session.Session, error) {
	c, err := r.Cookie(g.cookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	s, err := g.sessions.GetSession(r.Context(), hashSecret(c.Value), g.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	g.touch(r, s)
	return s, nil
}

// errForbidden is Medusa's 403 (MedusaError type FORBIDDEN).
func errForbidden() *apiError {
	return newError(http.StatusForbidden, typeForbidden, "Forbidden")
}

// RequireGroups returns middleware that lets a request through only when
// it is authenticated as a customer that belongs to at least one of the
// groups m names (by id or by name). It reuses what an earlier gate of
// this Guard established; otherwise it authenticates the request as
// Authenticate("customer") does.
//
// It answers Medusa's bare 401 when the request is not authenticated, and
// 403 {"type": "forbidden", "message": "Forbidden"} when it is but not as
// a customer with an account, or the customer is in none of the groups
// (a checker's not-found error counts as "in none"). Any other error of the
// checker is a 500 unknown_error whose detail is logged.
//
// A Guard without GuardConfig.Groups, or an m that names no group, is a
// programming error: RequireGroups panics.
func (g *Guard) RequireGroups(m group.Match) func(http.Handler) http.Handler {
	if g.groups == nil {
		panic("httpapi: RequireGroups needs GuardConfig.Groups")
	}
	if len(m.IDs) == 0 && len(m.Names) == 0 {
		panic("httpapi: RequireGroups needs at least one group id or name")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if _, ok := authFrom(ctx); !ok {
				ac, err := g.authenticate(r, customerAuth)
				if err != nil {
					g.WriteError(w, r, err)
					return
				}
				ctx = withAuth(ctx, ac)
				r = r.WithContext(ctx)
			}
			id, ok := CustomerID(ctx)
			if !ok {
				g.WriteError(w, r, errForbidden())
				return
			}
			member, err := g.groups.IsMember(ctx, id, m)
			switch {
			case errors.Is(err, store.ErrNotFound):
				member = false
			case err != nil:
				g.WriteError(w, r, &internalError{err: err})
				return
			}
			if !member {
				g.WriteError(w, r, errForbidden())
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// WriteError writes err as the routes of [API] do: Medusa's status codes
// and envelope {"type", "message"} (plus "code" for 422 and 500). The
// message is err's public message (store.PublicMessage); an error without
// one gets a generic message for its status, and its detail goes to the
// Guard's logger, as does the detail of every 500.
func (g *Guard) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(g.log, w, r, err)
}

// WriteError writes err as [Guard.WriteError] does, logging to
// slog.Default().
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(slog.Default(), w, r, err)
}
