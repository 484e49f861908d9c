package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/emit"
	"github.com/clientele/clientele/internal/errs"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/internal/set"
	"github.com/clientele/clientele/internal/svcopt"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// Event names emitted by the service.
const (
	// EventPasswordReset carries {"entity_id", "actor_type", "provider",
	// "token", "metadata"}: the host e-mails the token.
	EventPasswordReset = "auth.password_reset"
	// EventPasswordChanged carries {"entity_id", "provider",
	// "auth_identity_id"}.
	EventPasswordChanged = "auth.password_changed"
	// EventProviderLinked carries {"auth_identity_id", "provider",
	// "provider_identity_id", "link"}: a login added a way into an
	// existing identity, at its owner's request ("link": "explicit",
	// [Service.Link]: a social account, a passkey) or by its verified
	// email ("verified_email", WithVerifiedEmailLinking). A host mails
	// the owner, so that a link they did not make (a passkey added from a
	// stolen session) does not go unseen. A new identity's first provider
	// identity emits nothing.
	EventProviderLinked = "auth.provider_linked"
)

// The built-in actor types: a shop's customers and its admin users.
const (
	ActorCustomer = "customer"
	ActorUser     = "user"
)

// Option configures a Service.
type Option func(*config)

type config struct {
	svcopt.Common
	providers    map[string]provider.Provider
	order        []string
	actors       map[string][]string
	known        map[string]bool
	linksByEmail map[string]bool
	throttle     *throttle.Limiter
	errs         []error

	// Token revocation (revoke.go).
	revocation revocationConfig
	// Email verification (verification.go).
	verification verificationConfig
	// MFA (mfa.go); nil: WithMFA not given.
	mfa *MFAConfig
	// audit is the audit log of WithAudit (audit.go); nil records nothing.
	audit *audit.Log
	// observer is the Observer of WithObserver (observe.go); nil
	// observes nothing.
	observer Observer
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("auth: "+format, args...))
}

// WithProvider adds a provider; ids must be unique.
func WithProvider(p provider.Provider) Option {
	return func(c *config) {
		switch {
		case p == nil || p.ID() == "":
			c.fail("a provider needs an id")
		case c.providers[p.ID()] != nil:
			c.fail("provider %q configured twice", p.ID())
		default:
			c.providers[p.ID()] = p
			c.order = append(c.order, p.ID())
		}
	}
}

// WithActorProviders restricts the providers actorType may use (Medusa's
// http.authMethodsPerActor). Actor types without an entry may use every
// provider.
func WithActorProviders(actorType string, providerIDs ...string) Option {
	return func(c *config) {
		if actorType == "" {
			c.fail("empty actor type")
			return
		}
		c.actors[actorType] = slices.Clone(providerIDs)
	}
}

// WithActorTypes sets the actor types identities may act as (default
// ActorCustomer and ActorUser). Tokens and logins for other actor types
// fail with ErrNotAllowed.
func WithActorTypes(types ...string) Option {
	return func(c *config) {
		c.known = map[string]bool{}
		for _, t := range types {
			if t == "" || strings.ContainsAny(t, " /") {
				c.fail("bad actor type %q", t)
				continue
			}
			c.known[t] = true
		}
	}
}

// WithVerifiedEmailLinking lets logins through the given providers reach
// an existing identity by email: when such a provider says the person's
// email is verified, and exactly one identity has that email marked as
// verified (app_metadata[VerifiedEmailKey], set by the host with
// MarkEmailVerified, or by an earlier login through one of these
// providers), the new provider identity is attached to it and the result
// says LinkVerifiedEmail. List only providers you trust to verify emails:
// a provider that lies about email_verified could otherwise reach any
// marked identity. Off by default: without it a social login never
// reaches an identity that merely has the same email.
func WithVerifiedEmailLinking(providerIDs ...string) Option {
	return func(c *config) {
		for _, p := range providerIDs {
			c.linksByEmail[p] = true
		}
	}
}

// WithEventSink sends the service's events to sink.
func WithEventSink(sink event.Sink) Option { return func(c *config) { c.Sink = sink } }

// WithLogger sets the logger for failures that are not returned to the
// caller. The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.Logger = l } }

// WithClock sets the clock used for timestamps and reset-token expiry.
func WithClock(now func() time.Time) Option { return func(c *config) { c.Now = now } }

// Service is the auth module: it dispatches logins to providers, keeps
// identities, issues and refreshes tokens and runs password resets. It is
// safe for concurrent use.
type Service struct {
	st        Store
	tokens    *Tokens
	providers map[string]provider.Provider
	order     []string
	actors    map[string][]string
	known     map[string]bool
	// linksByEmail lists the providers whose verified emails may link a
	// new login to an existing identity.
	linksByEmail map[string]bool
	events       emit.Emitter
	logger       *slog.Logger
	now          func() time.Time

	// Token revocation and refresh rotation (revoke.go).
	rev *revoker
	// throttle applies per-account limits (WithThrottle); nil allows all.
	throttle *throttle.Limiter
	// verif holds the verification gates and store (verification.go).
	verif verificationConfig
	// mfa holds MFA's store and options (mfa.go).
	mfa mfaState
	// audit records security events (audit.go); nil records nothing.
	audit *audit.Log
	// observer is told how operations end (observe.go); nil: nobody.
	observer Observer
}

// NewService returns a Service on st that signs with tokens. It fails when
// an option is invalid.
func NewService(st Store, tokens *Tokens, opts ...Option) (*Service, error) {
	if st == nil || tokens == nil {
		return nil, errors.New("auth: NewService needs a store and tokens")
	}
	c := config{
		providers: map[string]provider.Provider{}, actors: map[string][]string{},
		known:        map[string]bool{ActorCustomer: true, ActorUser: true},
		linksByEmail: map[string]bool{},
	}
	for _, o := range opts {
		o(&c)
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	s := &Service{
		st: st, tokens: tokens, providers: c.providers, order: c.order, actors: c.actors,
		known: c.known, linksByEmail: c.linksByEmail,
		events: c.Emitter(), logger: c.Log(), now: c.Clock(),
		throttle: c.throttle, mfa: newMFA(st, c.mfa), audit: c.audit, observer: c.observer,
	}
	rev, err := newRevoker(st, c.revocation)
	if err != nil {
		return nil, err
	}
	s.rev = rev
	if s.verif, err = newVerificationConfig(st, c.verification); err != nil {
		return nil, err
	}
	return s, nil
}

// Flush waits until what the service does after its answer is done, or
// ctx is done: the events that carry secrets (auth.password_reset,
// auth.verification_requested) reaching the sink, and the throttle's
// report of a login's success or cancellation (WithThrottle). Call it
// before shutting down, and in tests before reading such an event or
// counter.
func (s *Service) Flush(ctx context.Context) error { return s.events.Wait(ctx) }

// Tokens returns the token issuer the service signs with.
func (s *Service) Tokens() *Tokens { return s.tokens }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// ProviderInfo describes a configured provider (Medusa's listAuthProviders).
type ProviderInfo struct {
	ID          string `json:"id"`
	Identifier  string `json:"identifier"`
	DisplayName string `json:"display_name"`
	// Flow is "email" for providers that log in with a mailed link or
	// code (provider.EmailLinker), "ceremony" for providers whose login
	// the browser runs between POST /begin and the callback
	// (provider.Beginner: passkeys), "redirect" for other providers with
	// a callback, else "credentials".
	Flow string `json:"flow"`
}

// Providers lists the configured providers in the order they were added.
func (s *Service) Providers() []ProviderInfo {
	out := make([]ProviderInfo, 0, len(s.order))
	for _, id := range s.order {
		p := s.providers[id]
		info := ProviderInfo{ID: id, Identifier: id, DisplayName: id, Flow: flowOf(p)}
		if d, ok := p.(provider.Describer); ok {
			info.DisplayName = d.DisplayName()
		}
		out = append(out, info)
	}
	return out
}

// ProviderFlow is the flow of the configured provider providerID, as
// Providers lists it ("credentials", "redirect", "ceremony" or "email"),
// or "" when no such provider is configured.
func (s *Service) ProviderFlow(providerID string) string {
	p, ok := s.providers[providerID]
	if !ok {
		return ""
	}
	return flowOf(p)
}

// flowOf is ProviderInfo.Flow of p.
func flowOf(p provider.Provider) string {
	switch p.(type) {
	case provider.EmailLinker:
		return "email"
	case provider.Beginner:
		return "ceremony"
	case provider.CallbackValidator:
		return "redirect"
	}
	return "credentials"
}

// provider finds providerID and checks that actorType may use it.
func (s *Service) provider(providerID, actorType string) (provider.Provider, error) {
	p, ok := s.providers[providerID]
	if !ok {
		return nil, &provider.Error{Provider: providerID, Kind: ErrUnknownProvider,
			Message: fmt.Sprintf("Unable to retrieve the auth provider with id: %s", providerID)}
	}
	if err := s.checkActor(actorType, providerID); err != nil {
		return nil, err
	}
	if allowed, restricted := s.actors[actorType]; restricted && actorType != "" && !slices.Contains(allowed, providerID) {
		return nil, &provider.Error{Provider: providerID, Kind: ErrNotAllowed,
			Message: fmt.Sprintf("The actor type %s is not allowed to use the auth provider %s", actorType, providerID)}
	}
	return p, nil
}

func (s *Service) checkActor(actorType, providerID string) error {
	if actorType != "" && !s.known[actorType] {
		return &provider.Error{Provider: providerID, Kind: ErrNotAllowed, Message: fmt.Sprintf("Unknown actor type %s", actorType)}
	}
	return nil
}

// Authenticate checks a login with providerID (or starts its redirect
// flow: the Result then has a Location).
func (s *Service) Authenticate(ctx context.Context, providerID string, in provider.Input) (*Result, error) {
	start := s.startObserving()
	p, err := s.provider(providerID, in.ActorType)
	if err != nil {
		s.observe(ctx, OpLogin, providerID, start, err)
		return nil, err
	}
	// Throttling (WithThrottle): the lock is checked before the password.
	att, err := s.throttle.Login(ctx, providerID, loginIdentifier(in))
	if err != nil {
		s.recordAttempt(ctx, p, in, nil, err, ErrUnauthorized, false)
		s.observe(ctx, OpLogin, p.ID(), start, err)
		return nil, err
	}
	res, err := s.call(ctx, p, "authenticate", func(ids provider.Identities) (*Result, error) {
		return p.Authenticate(ctx, in, ids)
	})
	s.settle(ctx, att, res, err, ErrUnauthorized)
	locks := att.Locks()
	s.recordAttempt(ctx, p, in, res, err, ErrUnauthorized, locks)
	s.observeAttempt(ctx, OpLogin, p.ID(), start, res, err)
	if locks && errors.Is(err, ErrUnauthorized) {
		s.observe(ctx, OpLockout, p.ID(), time.Time{}, nil)
	}
	return res, err
}

// Register creates an identity with providerID.
func (s *Service) Register(ctx context.Context, providerID string, in provider.Input) (*Result, error) {
	start := s.startObserving()
	res, err := s.register(ctx, providerID, in)
	s.observeAttempt(ctx, OpRegister, providerID, start, res, err)
	return res, err
}

// register is Register, unobserved.
func (s *Service) register(ctx context.Context, providerID string, in provider.Input) (*Result, error) {
	p, err := s.provider(providerID, in.ActorType)
	if err != nil {
		return nil, err
	}
	r, ok := p.(provider.Registerer)
	if !ok {
		return nil, notSupported(providerID, fmt.Sprintf("Method 'register' not implemented for provider %s", providerID))
	}
	// Throttling (WithThrottle): registering checks the password of an
	// identity without an actor, so it obeys the login lock.
	att, err := s.throttle.Login(ctx, providerID, loginIdentifier(in))
	if err != nil {
		return nil, err
	}
	res, err := s.call(ctx, p, "register", func(ids provider.Identities) (*Result, error) {
		return r.Register(ctx, in, ids)
	})
	s.settleRegistration(ctx, att, res, err)
	return res, err
}

// ValidateCallback finishes a redirect login with providerID.
func (s *Service) ValidateCallback(ctx context.Context, providerID string, in provider.Input) (*Result, error) {
	p, err := s.provider(providerID, in.ActorType)
	if err != nil {
		return nil, err
	}
	cb, ok := p.(provider.CallbackValidator)
	if !ok {
		return nil, notSupported(providerID, fmt.Sprintf("Callback authentication not implemented for provider %s", providerID))
	}
	start := s.startObserving()
	res, err := s.call(ctx, p, "validate callback", func(ids provider.Identities) (*Result, error) {
		return cb.ValidateCallback(ctx, in, ids)
	})
	s.recordAttempt(ctx, p, in, res, err, ErrUnauthorized, false)
	s.observeAttempt(ctx, OpLogin, p.ID(), start, res, err)
	return res, err
}

// UpdateProvider changes the credentials of an identity with providerID
// (emailpass: {"entity_id": email, "password": new password}). Prefer
// ResetPassword and ChangePassword, which prove who asks.
func (s *Service) UpdateProvider(ctx context.Context, providerID string, data map[string]any) (*Result, error) {
	p, err := s.provider(providerID, "")
	if err != nil {
		return nil, err
	}
	u, ok := p.(provider.Updater)
	if !ok {
		return nil, notSupported(providerID, fmt.Sprintf("Method 'update' not implemented for provider %s", providerID))
	}
	return s.call(ctx, p, "update", func(ids provider.Identities) (*Result, error) {
		return u.Update(ctx, data, ids)
	})
}

func notSupported(providerID, msg string) error {
	return &provider.Error{Provider: providerID, Kind: ErrNotSupported, Message: msg}
}

// call runs a provider method: a panic becomes an error, errors are given
// a kind, and password hashes are stripped from the result.
func (s *Service) call(ctx context.Context, p provider.Provider, what string, f func(provider.Identities) (*Result, error)) (*Result, error) {
	return s.callAs(ctx, p, what, &identities{s: s, provider: p}, f)
}

// callAs is call with the provider's Identities given.
func (s *Service) callAs(ctx context.Context, p provider.Provider, what string, ids *identities, f func(provider.Identities) (*Result, error)) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.ErrorContext(ctx, "clientele: auth provider panicked", "provider", p.ID(), "method", what, "panic", fmt.Sprint(r))
			res, err = nil, &provider.Error{Provider: p.ID(), Kind: ErrUnauthorized, Message: "Authentication failed"}
		}
	}()
	res, err = f(ids)
	if err != nil {
		return nil, classify(p.ID(), err)
	}
	if res == nil {
		return nil, &provider.Error{Provider: p.ID(), Kind: ErrUnauthorized, Message: "Unauthorized"}
	}
	res.AuthIdentity = sanitize(res.AuthIdentity)
	if res.AuthIdentity != nil {
		res.Link = ids.linked
	}
	return res, nil
}

// classify gives a provider's error the auth sentinel of its kind, so
// callers can match auth.ErrUnauthorized, auth.ErrInvalid and so on. An
// error without a kind (a database or network failure under the provider)
// is not the caller's fault: it is returned wrapped, with no message meant
// for clients, so a transport answers 500 and logs it rather than showing
// its text as a failed login.
func classify(providerID string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	kind := authKind(err)
	if kind == nil {
		return fmt.Errorf("auth: provider %s: %w", providerID, err)
	}
	if errors.Is(err, kind) {
		return err
	}
	var pe *provider.Error
	if errors.As(err, &pe) && pe == err {
		cp := *pe
		cp.Kind = errors.Join(kind, pe.Kind)
		return &cp
	}
	return &kinded{err: err, kind: kind}
}

// authKind returns the auth sentinel of err's kind, or nil.
func authKind(err error) error {
	switch {
	case errors.Is(err, provider.ErrUnauthorized):
		return ErrUnauthorized
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, store.ErrConflict):
		return ErrConflict
	case errors.Is(err, store.ErrInvalid):
		return ErrInvalid
	}
	return nil
}

// kinded adds an auth sentinel to an error, keeping its message.
type kinded struct{ err, kind error }

func (k *kinded) Error() string   { return k.err.Error() }
func (k *kinded) Unwrap() []error { return []error{k.err, k.kind} }

// sanitize returns a copy of a without any password hash.
func sanitize(a *AuthIdentity) *AuthIdentity {
	if a == nil {
		return nil
	}
	cp := *a
	cp.ProviderIdentities = make([]*ProviderIdentity, len(a.ProviderIdentities))
	for i, p := range a.ProviderIdentities {
		cp.ProviderIdentities[i] = sanitizeProvider(p)
	}
	return &cp
}

func sanitizeProvider(p *ProviderIdentity) *ProviderIdentity {
	pc := *p
	if _, has := p.ProviderMetadata["password"]; has {
		pc.ProviderMetadata = make(map[string]any, len(p.ProviderMetadata))
		for k, v := range p.ProviderMetadata {
			if k != "password" {
				pc.ProviderMetadata[k] = v
			}
		}
	}
	return &pc
}

func sanitizeAll(as []*AuthIdentity) []*AuthIdentity {
	for i, a := range as {
		as[i] = sanitize(a)
	}
	return as
}

// ---- tokens ----

// Token issues an auth token for identity acting as actorType, after a
// login with providerID (Medusa's claims: actor_id is
// app_metadata["<actorType>_id"], or "" while no actor is linked). The
// actor type is required, must be known, and must be allowed to use
// providerID (WithActorProviders), which must be configured: a token never
// grants what the login could not. Token does not apply MFA (its token
// says mfa_enabled false): after Authenticate or ValidateCallback, issue
// the login's token with [Service.LoginToken], which does.
func (s *Service) Token(identity *AuthIdentity, actorType, providerID string) (string, error) {
	c, err := s.tokenClaims(identity, actorType, providerID)
	if err != nil {
		return "", err
	}
	return s.tokens.issue(c, true)
}

// tokenClaims builds the claims Token issues.
func (s *Service) tokenClaims(identity *AuthIdentity, actorType, providerID string) (Claims, error) {
	switch {
	case identity == nil || identity.ID == "":
		return Claims{}, identityDom.Invalidf("auth_identity", "an identity is required")
	case actorType == "":
		return Claims{}, identityDom.Invalidf("actor_type", "is required")
	}
	if _, err := s.provider(providerID, actorType); err != nil {
		return Claims{}, err
	}
	c := Claims{
		ActorID: identity.ActorID(actorType), ActorType: actorType, AuthIdentityID: identity.ID,
		AuthProvider: providerID, AppMetadata: map[string]any{}, UserMetadata: map[string]any{},
	}
	for k, v := range identity.AppMetadata {
		if v != nil {
			c.AppMetadata[k] = v
		}
	}
	if pi := identity.Provider(providerID); pi != nil && pi.UserMetadata != nil {
		c.UserMetadata = meta.Clone(pi.UserMetadata)
	}
	return c, nil
}

// ---- token verification and refresh (revocation: see revoke.go) ----

// Verify checks an auth token (see [Tokens.Verify]) and that it was not
// revoked: a token issued before its identity's "tokens valid after" time
// (moved forward by a password reset or change, [Service.RevokeAll] and
// account deletion) fails with [ErrTokenRevoked]. The revocation check
// reads a cache whose staleness is bounded (see [WithRevocationCacheTTL]);
// a failing store is returned as is.
func (s *Service) Verify(ctx context.Context, token string) (*Claims, error) {
	c, err := s.tokens.Verify(token)
	if err != nil {
		return nil, err
	}
	if err := s.VerifyClaims(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Refresh re-issues a valid auth token with a new expiry and the identity's
// current app_metadata, so a registration token refreshed after the actor
// was created carries the actor's id. It refuses a revoked token
// ([ErrTokenRevoked]) and a login older than the maximum login age
// ([ErrLoginTooOld]); the new token keeps the original login time and
// never outlives that age. A token whose identity is gone fails with
// ErrNotFound.
func (s *Service) Refresh(ctx context.Context, token string) (string, error) {
	c, err := s.Verify(ctx, token)
	if err != nil {
		return "", err
	}
	return s.RefreshClaims(ctx, c)
}

// ---- identity CRUD ----

// NewProviderIdentity is a provider identity to create.
type NewProviderIdentity struct {
	// ID is the id to give it, as Medusa's createProviderIdentities
	// allows; empty: a new ULID. An id given must be valid UTF-8 of at
	// most MaxIDLength bytes, without control characters or surrounding
	// white space; one taken is ErrConflict.
	ID               string
	Provider         string
	EntityID         string
	UserMetadata     map[string]any
	ProviderMetadata map[string]any
}

// CreateIdentityParams is the input of CreateAuthIdentity.
type CreateIdentityParams struct {
	// ID is the id to give the identity, as Medusa's createAuthIdentities
	// allows; empty: "authid_" and a new ULID. An id given must be valid
	// UTF-8 of at most MaxIDLength bytes, without control characters or
	// surrounding white space; one taken is ErrConflict.
	ID                 string
	AppMetadata        map[string]any
	ProviderIdentities []NewProviderIdentity
}

var (
	identityDom = errs.Domain{Entity: "AuthIdentity", NotFound: ErrNotFound, Conflict: ErrConflict, Invalid: ErrInvalid}
	providerDom = errs.Domain{Entity: "ProviderIdentity", NotFound: ErrNotFound, Conflict: ErrConflict, Invalid: ErrInvalid}
)

func (s *Service) buildProviderIdentity(prefix string, p NewProviderIdentity, authID string, now time.Time) (*ProviderIdentity, error) {
	if p.Provider == "" {
		return nil, identityDom.Invalidf(prefix+"provider", "is required")
	}
	if err := text.Fields(prefix, p); err != nil {
		return nil, identityDom.Classify(err)
	}
	if err := checkID(prefix+"id", p.ID); err != nil {
		return nil, err
	}
	if f, ok := s.providers[p.Provider].(provider.EntityIDFolder); ok && f.FoldEntityIDs() {
		// Case-insensitive ids (emails) are written trimmed and lower-case.
		p.EntityID = lowerTrim(p.EntityID)
	}
	if p.EntityID == "" {
		return nil, identityDom.Invalidf(prefix+"entity_id", "is required")
	}
	um, err := meta.Normalize(prefix+"user_metadata", p.UserMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	pm, err := meta.Normalize(prefix+"provider_metadata", p.ProviderMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	pid := p.ID
	if pid == "" {
		pid = ulid.Make().String()
	}
	return &ProviderIdentity{
		ID: pid, EntityID: p.EntityID, Provider: p.Provider, AuthIdentityID: authID,
		UserMetadata: um, ProviderMetadata: pm, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// CreateAuthIdentity creates an identity with its provider identities.
func (s *Service) CreateAuthIdentity(ctx context.Context, p CreateIdentityParams) (*AuthIdentity, error) {
	now := s.clock()
	if err := text.Value("app_metadata", p.AppMetadata); err != nil {
		return nil, identityDom.Classify(err)
	}
	am, err := meta.Normalize("app_metadata", p.AppMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	if err := checkID("id", p.ID); err != nil {
		return nil, err
	}
	aid := p.ID
	if aid == "" {
		aid = newAuthIdentityID()
	}
	a := &AuthIdentity{ID: aid, AppMetadata: am, CreatedAt: now, UpdatedAt: now, ProviderIdentities: []*ProviderIdentity{}}
	for i, np := range p.ProviderIdentities {
		pi, err := s.buildProviderIdentity(fmt.Sprintf("provider_identities[%d].", i), np, a.ID, now)
		if err != nil {
			return nil, err
		}
		a.ProviderIdentities = append(a.ProviderIdentities, pi)
	}
	if err := s.st.InsertAuthIdentities(ctx, []*AuthIdentity{a}); err != nil {
		return nil, identityDom.Classify(err)
	}
	return sanitize(a), nil
}

// RetrieveAuthIdentity returns the identity with id, with its provider
// identities.
func (s *Service) RetrieveAuthIdentity(ctx context.Context, id string, opts store.FindOptions) (*AuthIdentity, error) {
	if id == "" {
		return nil, identityDom.Invalidf("id", "authIdentity - id must be defined")
	}
	found, err := s.st.ListAuthIdentities(ctx, IdentityFilter{IDs: []string{id}}, store.ListOptions{WithDeleted: opts.WithDeleted})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, identityDom.Missing(id)
	}
	return sanitize(found[0]), nil
}

// ListAuthIdentities returns the identities matching f.
func (s *Service) ListAuthIdentities(ctx context.Context, f IdentityFilter, opts store.ListOptions) ([]*AuthIdentity, error) {
	if err := opts.Check(Sortable); err != nil {
		return nil, identityDom.Classify(err)
	}
	list, err := s.st.ListAuthIdentities(ctx, f, opts)
	return sanitizeAll(list), err
}

// ListAndCountAuthIdentities returns a page of the identities matching f
// and how many match in all.
func (s *Service) ListAndCountAuthIdentities(ctx context.Context, f IdentityFilter, opts store.ListOptions) ([]*AuthIdentity, int, error) {
	list, err := s.ListAuthIdentities(ctx, f, opts)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.st.CountAuthIdentities(ctx, f, opts)
	if err != nil {
		return nil, 0, err
	}
	return list, n, nil
}

// UpdateAuthIdentity replaces the identity's app_metadata wholesale (as
// Medusa does).
func (s *Service) UpdateAuthIdentity(ctx context.Context, id string, appMetadata map[string]any) (*AuthIdentity, error) {
	am, err := meta.Normalize("app_metadata", appMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	return s.editAppMetadata(ctx, id, func(map[string]any) map[string]any { return am })
}

// SetActor links (or, with an empty actorID, unlinks) an actor of
// actorType to the identity: app_metadata["<actorType>_id"]. It runs in
// the caller's unit of work when there is one.
func (s *Service) SetActor(ctx context.Context, authIdentityID, actorType, actorID string) (*AuthIdentity, error) {
	if actorType == "" {
		return nil, identityDom.Invalidf("actor_type", "is required")
	}
	return s.editAppMetadata(ctx, authIdentityID, func(am map[string]any) map[string]any {
		if actorID == "" {
			delete(am, actorType+"_id")
		} else {
			am[actorType+"_id"] = actorID
		}
		return am
	})
}

// editAppMetadata locks the identity, gives edit a copy of its
// app_metadata (never nil) and stores what edit returns.
func (s *Service) editAppMetadata(ctx context.Context, id string, edit func(map[string]any) map[string]any) (*AuthIdentity, error) {
	var out *AuthIdentity
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListAuthIdentities(ctx, IdentityFilter{IDs: []string{id}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return identityDom.Missing(id)
		}
		a := found[0]
		am := meta.Clone(a.AppMetadata)
		if am == nil {
			am = map[string]any{}
		}
		a.AppMetadata, a.UpdatedAt = edit(am), s.clock()
		if err := s.st.UpdateAuthIdentities(ctx, []*AuthIdentity{a}); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sanitize(out), nil
}

// DeleteAuthIdentities deletes identities for good, with their provider
// identities and reset tokens. Unknown ids are ignored.
func (s *Service) DeleteAuthIdentities(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.st.DeleteAuthIdentities(ctx, set.Dedupe(ids))
}

// CreateProviderIdentity adds a way to log in to an existing identity
// (Medusa's createProviderIdentities: how accounts are linked).
func (s *Service) CreateProviderIdentity(ctx context.Context, authIdentityID string, p NewProviderIdentity) (*ProviderIdentity, error) {
	if authIdentityID == "" {
		return nil, identityDom.Invalidf("auth_identity_id", "is required")
	}
	pi, err := s.buildProviderIdentity("", p, authIdentityID, s.clock())
	if err != nil {
		return nil, err
	}
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.InsertProviderIdentities(ctx, []*ProviderIdentity{pi}); err != nil {
			return err
		}
		return s.record(ctx, linkEntry(audit.ActionProviderLink, pi, "created"))
	})
	if err != nil {
		var nf *store.NotFoundError
		if errors.As(err, &nf) {
			return nil, identityDom.Missing(authIdentityID)
		}
		return nil, identityDom.Classify(err)
	}
	return sanitizeProvider(pi), nil
}

// RetrieveProviderIdentity returns the provider identity with id.
func (s *Service) RetrieveProviderIdentity(ctx context.Context, id string) (*ProviderIdentity, error) {
	found, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{IDs: []string{id}}, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, providerDom.Missing(id)
	}
	return sanitizeProvider(found[0]), nil
}

// ListProviderIdentities returns the provider identities matching f.
func (s *Service) ListProviderIdentities(ctx context.Context, f ProviderIdentityFilter, opts store.ListOptions) ([]*ProviderIdentity, error) {
	if err := opts.Check(ProviderSortable); err != nil {
		return nil, identityDom.Classify(err)
	}
	if err := text.Fields("", f); err != nil {
		return nil, identityDom.Classify(err)
	}
	list, err := s.st.ListProviderIdentities(ctx, f, opts)
	for i, p := range list {
		list[i] = sanitizeProvider(p)
	}
	return list, err
}

// ProviderIdentityUpdate changes a provider identity: nil fields are left
// as they are; the maps replace the stored values (as in Medusa).
type ProviderIdentityUpdate struct {
	EntityID         *string
	UserMetadata     map[string]any
	ProviderMetadata map[string]any
}

// checkMetadata refuses NUL bytes and invalid UTF-8 in metadata updates,
// naming the field.
func checkMetadata(userMetadata, providerMetadata map[string]any) error {
	if err := text.Value("user_metadata", userMetadata); err != nil {
		return identityDom.Classify(err)
	}
	if err := text.Value("provider_metadata", providerMetadata); err != nil {
		return identityDom.Classify(err)
	}
	return nil
}

// UpdateProviderIdentity changes the provider identity with id.
func (s *Service) UpdateProviderIdentity(ctx context.Context, id string, up ProviderIdentityUpdate) (*ProviderIdentity, error) {
	if err := checkMetadata(up.UserMetadata, up.ProviderMetadata); err != nil {
		return nil, err
	}
	if up.EntityID != nil {
		if err := text.Check("entity_id", *up.EntityID); err != nil {
			return nil, identityDom.Classify(err)
		}
	}
	um, err := meta.Normalize("user_metadata", up.UserMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	pm, err := meta.Normalize("provider_metadata", up.ProviderMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	if up.EntityID != nil && *up.EntityID == "" {
		return nil, identityDom.Invalidf("entity_id", "must not be empty")
	}
	var out *ProviderIdentity
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{IDs: []string{id}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return providerDom.Missing(id)
		}
		p := found[0]
		if up.EntityID != nil {
			p.EntityID = *up.EntityID
		}
		if up.UserMetadata != nil {
			p.UserMetadata = um
		}
		if up.ProviderMetadata != nil {
			p.ProviderMetadata = pm
		}
		p.UpdatedAt = s.clock()
		if err := s.st.UpdateProviderIdentities(ctx, []*ProviderIdentity{p}); err != nil {
			return identityDom.Classify(err)
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sanitizeProvider(out), nil
}

// DeleteProviderIdentities deletes provider identities for good (each
// an ActionProviderUnlink in the audit log, in the same unit of work).
func (s *Service) DeleteProviderIdentities(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	ids = set.Dedupe(ids)
	if s.audit == nil {
		return s.st.DeleteProviderIdentities(ctx, ids)
	}
	return s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{IDs: ids}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if err := s.st.DeleteProviderIdentities(ctx, ids); err != nil {
			return err
		}
		for _, pi := range found {
			if err := s.record(ctx, linkEntry(audit.ActionProviderUnlink, pi, "")); err != nil {
				return err
			}
		}
		return nil
	})
}

// lowerTrim is how case-insensitive entity ids are compared.
func lowerTrim(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func newAuthIdentityID() string { return id.New(id.AuthIdentity) }
