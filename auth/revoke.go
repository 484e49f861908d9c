package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/store"
)

// Revocation errors. Each matches [ErrInvalidToken] (and so
// [ErrUnauthorized]) with errors.Is.
var (
	// ErrTokenRevoked: the token was issued before its identity's "tokens
	// valid after" time (a password reset or change, a logout everywhere,
	// an account deletion).
	ErrTokenRevoked = store.Sentinel("auth: token revoked", ErrInvalidToken)
	// ErrLoginTooOld: the login the token (or refresh token) descends from
	// is older than the maximum login age; the user must log in again.
	ErrLoginTooOld = store.Sentinel("auth: login too old", ErrInvalidToken)
	// ErrRefreshTokenReused: a refresh token that was already rotated was
	// presented again. Its whole family and every token of its identity
	// are revoked.
	ErrRefreshTokenReused = store.Sentinel("auth: refresh token reused", ErrInvalidToken)
	// ErrRevocationDisabled: the service has no RevocationStore (or no
	// RefreshTokenStore for rotation).
	ErrRevocationDisabled = errors.New("auth: revocation is not configured (the store implements no auth.RevocationStore)")
)

// Defaults of the revocation options.
const (
	// DefaultMaxLoginAge is how long after a login its tokens may still be
	// refreshed (or its refresh tokens rotated) when [WithMaxLoginAge] is
	// not given: 30 days.
	DefaultMaxLoginAge = 30 * 24 * time.Hour
	// DefaultRevocationCacheTTL is how long an instance trusts what it read
	// of an identity's "tokens valid after" time when
	// [WithRevocationCacheTTL] is not given: 1 second.
	DefaultRevocationCacheTTL = time.Second
)

// revocationCacheMax bounds the entries of the revocation cache: past it,
// expired entries are swept, and if none expired the cache starts afresh.
const revocationCacheMax = 1 << 16

// RevocationStore keeps each identity's "tokens valid after" time (on
// PostgreSQL the table clientele_token_revocation; Medusa's tables are not
// touched). store/memory and store/postgres implement it; a Service uses
// its Store when it does, or the one given by [WithRevocationStore].
//
// Writes join the unit of work carried by their context, as every store
// write does.
type RevocationStore interface {
	// TokensValidAfter returns the identity's time, or the zero time when
	// none was ever set. An identity that does not exist is not an error.
	TokensValidAfter(ctx context.Context, authIdentityID string) (time.Time, error)
	// SetTokensValidAfter moves the identity's time forward to t. A later
	// time already stored is kept: the time never moves back. An empty id
	// is a *store.ValidationError.
	SetTokensValidAfter(ctx context.Context, authIdentityID string, t time.Time) error
}

// RefreshToken is a stored opaque refresh token (table
// clientele_refresh_token): only the SHA-256 of the token, hex-encoded, is
// kept. Tokens rotated from one login form a family.
type RefreshToken struct {
	ID             string
	FamilyID       string
	AuthIdentityID string
	ActorType      string
	AuthProvider   string
	TokenHash      string
	// LoginAt is when the family's login happened.
	LoginAt   time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is set when the token was rotated; RevokedAt when its family
	// or identity was revoked.
	UsedAt    *time.Time
	RevokedAt *time.Time
	// MFACompletedAt is when the family's login completed its MFA
	// challenge (nil: it had none), carried into rotated tokens.
	MFACompletedAt *time.Time
}

// RefreshTokenStore keeps rotating refresh tokens. store/memory and
// store/postgres implement it.
type RefreshTokenStore interface {
	// InsertRefreshToken stores t; a token hash that exists is ErrConflict.
	InsertRefreshToken(ctx context.Context, t *RefreshToken) error
	// UseRefreshToken marks the token with tokenHash used at now (when it
	// was not) and returns it as it was before: UsedAt != nil means it had
	// been used already. Of concurrent uses of one token exactly one sees
	// UsedAt == nil. A missing token fails with ErrNotFound.
	UseRefreshToken(ctx context.Context, tokenHash string, now time.Time) (*RefreshToken, error)
	// RevokeRefreshFamily sets RevokedAt of the family's tokens that have
	// none.
	RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error
	// RevokeRefreshTokensOf sets RevokedAt of the identity's tokens that
	// have none.
	RevokeRefreshTokensOf(ctx context.Context, authIdentityID string, now time.Time) error
}

type revocationConfig struct {
	store    RevocationStore
	maxAge   time.Duration
	cacheTTL time.Duration
	rotation bool
	refresh  RefreshTokenStore
}

// WithRevocationStore keeps the "tokens valid after" times in rs instead
// of the service's Store (which is used when it implements
// RevocationStore, as both built-in backends do).
func WithRevocationStore(rs RevocationStore) Option {
	return func(c *config) {
		if rs == nil {
			c.fail("WithRevocationStore needs a store")
			return
		}
		c.revocation.store = rs
	}
}

// WithMaxLoginAge sets how long after a login its tokens may be refreshed
// and its refresh tokens rotated; default [DefaultMaxLoginAge] (30 days).
// A refreshed token never expires later than the login plus this age.
func WithMaxLoginAge(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("WithMaxLoginAge needs a positive duration")
			return
		}
		c.revocation.maxAge = d
	}
}

// WithRevocationCacheTTL sets how long an instance trusts what it read of
// an identity's "tokens valid after" time; default
// [DefaultRevocationCacheTTL] (1 second). This is the staleness bound of
// a revocation made on another instance; the instance that revokes sees it
// at once. Verification costs one store read per identity per TTL per
// instance; a larger TTL saves reads and widens the bound.
func WithRevocationCacheTTL(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("WithRevocationCacheTTL needs a positive duration")
			return
		}
		c.revocation.cacheTTL = d
	}
}

// WithRefreshRotation turns on opaque, rotating refresh tokens
// ([Service.IssueRefreshToken], [Service.Rotate]) kept in rs, or in the
// service's Store when rs is nil (it must then implement
// RefreshTokenStore). Off by default: Medusa's clients know only
// /auth/token/refresh.
func WithRefreshRotation(rs RefreshTokenStore) Option {
	return func(c *config) {
		c.revocation.rotation = true
		c.revocation.refresh = rs
	}
}

// revoker holds the revocation state of a Service.
type revoker struct {
	st      RevocationStore // nil: revocation off
	refresh RefreshTokenStore
	maxAge  time.Duration
	ttl     time.Duration

	mu    sync.RWMutex
	cache map[string]vaEntry
}

type vaEntry struct {
	va      time.Time // the identity's time; zero for none
	fetched time.Time // when it was read (monotonic clock)
}

func newRevoker(st Store, c revocationConfig) (*revoker, error) {
	r := &revoker{st: c.store, maxAge: c.maxAge, ttl: c.cacheTTL, cache: map[string]vaEntry{}}
	if r.st == nil {
		r.st, _ = st.(RevocationStore)
	}
	if r.maxAge == 0 {
		r.maxAge = DefaultMaxLoginAge
	}
	if r.ttl == 0 {
		r.ttl = DefaultRevocationCacheTTL
	}
	if c.rotation {
		r.refresh = c.refresh
		if r.refresh == nil {
			rs, ok := st.(RefreshTokenStore)
			if !ok {
				return nil, errors.New("auth: WithRefreshRotation(nil) needs a Store that implements RefreshTokenStore")
			}
			r.refresh = rs
		}
		if r.st == nil {
			return nil, errors.New("auth: WithRefreshRotation needs a RevocationStore")
		}
	}
	return r, nil
}

// validAfter returns the identity's time from the cache, or from the store
// when the cached value is older than the TTL.
func (r *revoker) validAfter(ctx context.Context, authIdentityID string) (time.Time, error) {
	r.mu.RLock()
	e, ok := r.cache[authIdentityID]
	r.mu.RUnlock()
	if ok && time.Since(e.fetched) < r.ttl {
		return e.va, nil
	}
	return r.fresh(ctx, authIdentityID)
}

// fresh reads the identity's time from the store, bypassing the cache (and
// refreshing it): the calls that mint new tokens (refresh, rotation) make a
// round trip anyway, and must never turn a token revoked on another
// instance into a new one.
func (r *revoker) fresh(ctx context.Context, authIdentityID string) (time.Time, error) {
	start := time.Now() // the value is as old as the read's start
	va, err := r.st.TokensValidAfter(ctx, authIdentityID)
	if err != nil {
		return time.Time{}, err
	}
	return r.remember(authIdentityID, va, false, start), nil
}

// remember caches va for the identity and returns what the cache holds. A
// fresh entry with a later time (a revocation made here, perhaps not yet
// committed when the store was read) is kept until it expires, unless
// local says va is this instance's own revocation.
func (r *revoker) remember(authIdentityID string, va time.Time, local bool, fetched time.Time) time.Time {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.cache[authIdentityID]; ok && now.Sub(e.fetched) < r.ttl && e.va.After(va) {
		if !local {
			return e.va
		}
		va = e.va
	}
	if len(r.cache) >= revocationCacheMax {
		for k, e := range r.cache {
			if now.Sub(e.fetched) >= r.ttl {
				delete(r.cache, k)
			}
		}
		if len(r.cache) >= revocationCacheMax {
			clear(r.cache)
		}
	}
	r.cache[authIdentityID] = vaEntry{va: va, fetched: fetched}
	return va
}

// revokedBy reports whether a token with claims c was issued before va.
//
// va is a whole millisecond. A token of clientele carries iat_ms and is
// refused when iat_ms < va. A token without iat_ms (minted by Medusa, or
// re-signed with [Tokens.Issue]) has only iat in whole seconds: it is
// refused when iat is before va rounded up to the next whole second, so a
// token issued in the same second as a revocation never survives it (a
// Medusa server's login in that second is refused too). A token without
// iat is refused once any revocation exists.
//
// A token whose login (login_at, whole seconds) was a second or more before
// va is refused too, whatever its iat: no token descended by refreshes from
// a login made before a revocation survives it.
func revokedBy(c *Claims, va time.Time) bool {
	if va.IsZero() {
		return false
	}
	if c.LoginAt != nil && c.LoginAt.Unix() < va.Unix() {
		return true
	}
	if c.IssuedAtMs != 0 {
		return c.IssuedAtMs < va.UnixMilli()
	}
	if c.IssuedAt == nil {
		return true
	}
	ceil := va.Unix()
	if va.Nanosecond() != 0 {
		ceil++
	}
	return c.IssuedAt.Unix() < ceil
}

// VerifyClaims checks claims that were verified once already (those of a
// token from [Tokens.Verify], or those a cookie session keeps) against
// their identity's "tokens valid after" time: issued before it, they fail
// with [ErrTokenRevoked]. Without a RevocationStore it checks nothing.
func (s *Service) VerifyClaims(ctx context.Context, c *Claims) error {
	return s.verifyClaims(ctx, c, s.rev.validAfter)
}

// verifyClaims is VerifyClaims with the source of the identity's time.
func (s *Service) verifyClaims(ctx context.Context, c *Claims, validAfter func(context.Context, string) (time.Time, error)) error {
	if c == nil {
		return badToken("no claims")
	}
	if s.rev.st == nil || c.AuthIdentityID == "" {
		return nil
	}
	va, err := validAfter(ctx, c.AuthIdentityID)
	if err != nil {
		return err
	}
	if revokedBy(c, va) {
		return ErrTokenRevoked
	}
	return nil
}

// RevocationEnabled reports whether the service checks and records
// revocations (it has a RevocationStore).
func (s *Service) RevocationEnabled() bool { return s.rev.st != nil }

// RevokeAll ends every token of the identity issued so far ("logout
// everywhere"): it moves the identity's "tokens valid after" time to now,
// and revokes its refresh tokens when rotation is on. Tokens issued after
// RevokeAll returns are valid. Password resets and changes
// ([Service.ResetPassword], [Service.ChangePassword]) and account deletion
// call it. Server-side sessions are the HTTP layer's: they are refused by
// the same rule (their claims are those of the token they were opened
// with), and httpapi's logout-all route also deletes them.
//
// It runs in the caller's unit of work when there is one. The instance
// that revokes honours the revocation at once; the others within the
// cache TTL ([WithRevocationCacheTTL]). The times compared are the
// instances' clocks: they must agree to within a few milliseconds for a
// login just after a revocation on another instance to be accepted.
func (s *Service) RevokeAll(ctx context.Context, authIdentityID string) error {
	return s.revokeAll(ctx, authIdentityID, causeRevokeAll)
}

// Causes of a revocation, recorded in its audit entry.
const (
	causeRevokeAll      = "revoke_all"
	causePasswordReset  = "password_reset"
	causePasswordChange = "password_change"
	causeMFAEnabled     = "mfa_enabled"
	causeUnlinked       = "provider_unlinked"
)

// revokeAll is RevokeAll, recording cause in the audit entry of the
// revocation, written in the same unit of work ("": no entry).
func (s *Service) revokeAll(ctx context.Context, authIdentityID, cause string) error {
	if authIdentityID == "" {
		return identityDom.Invalidf("auth_identity_id", "is required")
	}
	if s.rev.st == nil {
		return ErrRevocationDisabled
	}
	now := s.now().UTC()
	// The next whole millisecond: a token issued in this millisecond,
	// before the revocation, has iat_ms < va.
	va := now.Truncate(time.Millisecond).Add(time.Millisecond)
	write := func(ctx context.Context) error {
		if err := s.rev.st.SetTokensValidAfter(ctx, authIdentityID, va); err != nil {
			return err
		}
		if s.rev.refresh != nil {
			if err := s.rev.refresh.RevokeRefreshTokensOf(ctx, authIdentityID, now); err != nil {
				return err
			}
		}
		if cause == "" {
			return nil
		}
		return s.record(ctx, audit.Entry{Action: audit.ActionRevokeAll, Outcome: audit.Success,
			AuthIdentityID: authIdentityID, Details: map[string]string{"cause": cause}})
	}
	var err error
	if s.audit == nil || cause == "" {
		err = write(ctx) // as before: no unit of work of its own
	} else {
		err = s.st.InTx(ctx, write)
	}
	if err != nil {
		return err
	}
	// This instance knows of the revocation once it is committed (at
	// once when ctx carries no unit): a unit that rolls back leaves no
	// revocation behind, in the store or in the cache.
	store.AfterCommit(ctx, func() { s.rev.remember(authIdentityID, va, true, time.Now()) })
	// Let the clock pass va (at most a millisecond), so a login right
	// after RevokeAll returns is not refused.
	if d := va.Sub(s.now()); d > 0 && d <= time.Millisecond {
		time.Sleep(d)
	}
	return nil
}

// revokeAfter runs RevokeAll when revocation is configured, for the
// operations that revoke as a side effect (a password reset), recording
// cause in the audit entry of the revocation (none when cause is "").
func (s *Service) revokeAfter(ctx context.Context, authIdentityID, cause string) error {
	if s.rev.st == nil || authIdentityID == "" {
		return nil
	}
	return s.revokeAll(ctx, authIdentityID, cause)
}

// loginDeadline returns when the login of c stops being refreshable:
// login_at (or, for a token without it, iat) plus the maximum login age.
func (s *Service) loginDeadline(c *Claims) (login, deadline time.Time, err error) {
	at := c.LoginAt
	if at == nil {
		at = c.IssuedAt // a token minted by Medusa: iat stands for the login
	}
	if at == nil {
		return time.Time{}, time.Time{}, ErrLoginTooOld
	}
	return at.Time, at.Add(s.rev.maxAge), nil
}

// RefreshClaims re-issues a token for verified claims (see
// [Service.Refresh]): the claims of a bearer token or of a cookie
// session. It checks revocation again and refuses a login older than the
// maximum login age with [ErrLoginTooOld]. The revocation check reads the
// store, not the cache: a token revoked on another instance is never
// refreshed into a new one. The new token keeps the MFA completion of c;
// when the identity has MFA on and c's login completed no challenge, it
// fails with [ErrMFARequired] ([Service.RefreshLogin] answers a challenge
// instead).
func (s *Service) RefreshClaims(ctx context.Context, c *Claims) (string, error) {
	l, err := s.refresh(ctx, c, false)
	if err != nil {
		return "", err
	}
	return l.Token, nil
}

// refresh is RefreshClaims; with challenge, a login that must complete an
// MFA challenge gets one (see RefreshLogin).
func (s *Service) refresh(ctx context.Context, c *Claims, challenge bool) (*Login, error) {
	if err := s.verifyClaims(ctx, c, s.rev.fresh); err != nil {
		return nil, err
	}
	login, deadline, err := s.loginDeadline(c)
	if err != nil {
		return nil, err
	}
	identity, err := s.RetrieveAuthIdentity(ctx, c.AuthIdentityID, store.FindOptions{})
	if err != nil {
		return nil, err
	}
	// A pending verification holds an actorless token back
	// (verification.go); it comes before MFA, as in Medusa.
	if err := s.refreshGate(ctx, identity, c, login, deadline); err != nil {
		return nil, err
	}
	m, err := s.refreshMFA(ctx, identity, c.MFAChallengeCompletedAt) // mfarefresh.go
	if err != nil {
		return nil, err
	}
	if m.pending {
		if !challenge {
			return nil, ErrMFARequired
		}
		return s.LoginToken(ctx, identity, c.ActorType, c.AuthProvider)
	}
	tok, err := s.reissue(identity, c.ActorType, c.AuthProvider, login, deadline, m)
	if err != nil {
		return nil, err
	}
	return &Login{Identity: identity, Token: tok}, nil
}

// reissue issues a token that keeps the login time login and expires by
// deadline at the latest, with the MFA claims m.
func (s *Service) reissue(identity *AuthIdentity, actorType, providerID string, login, deadline time.Time, m mfaClaims) (string, error) {
	now := s.tokens.now()
	// exp and iat are whole seconds: a token needs one second to live.
	if deadline.Sub(now) < time.Second {
		return "", ErrLoginTooOld
	}
	c, err := s.tokenClaims(identity, actorType, providerID)
	if err != nil {
		return "", err
	}
	c.LoginAt = jwt.NewNumericDate(login)
	c.MFAEnabled, c.MFAChallengeCompletedAt = m.enabled, m.completed
	if now.Add(s.tokens.ttl).After(deadline) {
		c.ExpiresAt = jwt.NewNumericDate(deadline)
	}
	return s.tokens.issue(c, true)
}

// ---- refresh-token rotation ----

// Rotation is what [Service.Rotate] answers: a new access token and the
// refresh token that replaces the one presented.
type Rotation struct {
	AccessToken  string `json:"token"`
	RefreshToken string `json:"refresh_token"`
	// VerificationRequired is set while a verification is pending
	// (WithVerificationsPerActor): AccessToken is then actorless.
	VerificationRequired bool          `json:"verification_required,omitempty"`
	Verification         *Verification `json:"verification,omitempty"`
}

// refreshPrefix marks clientele's opaque refresh tokens; the record ids of
// refresh tokens and their families have their own prefixes.
const (
	refreshPrefix       = "crt_"
	refreshTokenPrefix  = "clrt"
	refreshFamilyPrefix = "clrtfam"
)

func hashRefresh(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RotationEnabled reports whether refresh-token rotation is on
// ([WithRefreshRotation]).
func (s *Service) RotationEnabled() bool { return s.rev.refresh != nil }

// IssueRefreshToken starts a refresh-token family for the login that
// verified claims c stand for (call it with the claims of the token a
// login answered). The opaque token is returned once; only its SHA-256 is
// stored. It expires with the login ([WithMaxLoginAge]). Without
// [WithRefreshRotation] it fails with ErrRevocationDisabled.
func (s *Service) IssueRefreshToken(ctx context.Context, c *Claims) (string, error) {
	if s.rev.refresh == nil {
		return "", ErrRevocationDisabled
	}
	if err := s.verifyClaims(ctx, c, s.rev.fresh); err != nil {
		return "", err
	}
	if c.AuthIdentityID == "" || c.ActorType == "" {
		return "", badToken("no identity")
	}
	if c.MFAEnabled && c.MFAChallengeCompletedAt == nil {
		// The actorless token of a login whose MFA challenge is pending.
		return "", ErrMFARequired
	}
	login, deadline, err := s.loginDeadline(c)
	if err != nil {
		return "", err
	}
	var mfaAt *time.Time
	if c.MFAChallengeCompletedAt != nil {
		t := c.MFAChallengeCompletedAt.UTC().Truncate(time.Microsecond)
		mfaAt = &t
	}
	return s.newRefresh(ctx, id.New(refreshFamilyPrefix), c.AuthIdentityID, c.ActorType, c.AuthProvider, login, deadline, mfaAt)
}

func (s *Service) newRefresh(ctx context.Context, family, authIdentityID, actorType, providerID string, login, deadline time.Time, mfaAt *time.Time) (string, error) {
	now := s.clock()
	if !now.Before(deadline) {
		return "", ErrLoginTooOld
	}
	token := refreshPrefix + rand.Text() + rand.Text()
	rt := &RefreshToken{
		ID: id.New(refreshTokenPrefix), FamilyID: family, AuthIdentityID: authIdentityID,
		ActorType: actorType, AuthProvider: providerID, TokenHash: hashRefresh(token),
		LoginAt: login.UTC().Truncate(time.Microsecond), CreatedAt: now, ExpiresAt: deadline.UTC().Truncate(time.Microsecond),
		MFACompletedAt: mfaAt,
	}
	if err := s.rev.refresh.InsertRefreshToken(ctx, rt); err != nil {
		return "", err
	}
	return token, nil
}

// Rotate trades a refresh token for a new access token and a new refresh
// token of the same family; the one presented is spent. Presenting a spent
// token again is taken as theft: the family and every token of the
// identity are revoked ([Service.RevokeAll]) and the answer is
// [ErrRefreshTokenReused], so both the thief and the user must log in
// again. An unknown, expired or revoked token, or one issued before the
// identity's tokens were revoked, is [ErrInvalidToken]; past the maximum
// login age, [ErrLoginTooOld]. There is no grace period: a client must
// not rotate one token twice concurrently.
func (s *Service) Rotate(ctx context.Context, refreshToken string) (*Rotation, error) {
	if s.rev.refresh == nil {
		return nil, ErrRevocationDisabled
	}
	if !strings.HasPrefix(refreshToken, refreshPrefix) || len(refreshToken) > 256 {
		return nil, badToken("not a refresh token")
	}
	now := s.clock()
	rt, err := s.rev.refresh.UseRefreshToken(ctx, hashRefresh(refreshToken), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, badToken("unknown refresh token")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case rt.RevokedAt != nil:
		return nil, ErrTokenRevoked
	case rt.UsedAt != nil:
		if err := s.rev.refresh.RevokeRefreshFamily(ctx, rt.FamilyID, now); err != nil {
			return nil, err
		}
		if err := s.RevokeAll(ctx, rt.AuthIdentityID); err != nil {
			return nil, err
		}
		return nil, ErrRefreshTokenReused
	case !now.Before(rt.ExpiresAt):
		return nil, ErrLoginTooOld
	}
	va, err := s.rev.fresh(ctx, rt.AuthIdentityID)
	if err != nil {
		return nil, err
	}
	if !va.IsZero() && (rt.CreatedAt.Before(va) || rt.LoginAt.Unix() < va.Unix()) {
		return nil, ErrTokenRevoked
	}
	identity, err := s.RetrieveAuthIdentity(ctx, rt.AuthIdentityID, store.FindOptions{})
	if err != nil {
		return nil, err
	}
	// A pending verification makes the access token actorless
	// (verification.go); the family goes on, for after the verification.
	v, pending, err := s.PendingVerification(ctx, identity, rt.ActorType, rt.AuthProvider)
	if err != nil {
		return nil, err
	}
	if pending {
		identity = withoutActor(identity, rt.ActorType)
	} else {
		v = nil
	}
	var completed *ISOTime
	if rt.MFACompletedAt != nil {
		completed = &ISOTime{*rt.MFACompletedAt}
	}
	m, err := s.refreshMFA(ctx, identity, completed)
	if err != nil {
		return nil, err
	}
	if m.pending {
		// MFA was turned on (by a Medusa server, which does not revoke)
		// after the family's login: log in again.
		return nil, ErrMFARequired
	}
	access, err := s.reissue(identity, rt.ActorType, rt.AuthProvider, rt.LoginAt, rt.ExpiresAt, m)
	if err != nil {
		return nil, err
	}
	next, err := s.newRefresh(ctx, rt.FamilyID, rt.AuthIdentityID, rt.ActorType, rt.AuthProvider, rt.LoginAt, rt.ExpiresAt, rt.MFACompletedAt)
	if err != nil {
		return nil, err
	}
	return &Rotation{AccessToken: access, RefreshToken: next, VerificationRequired: pending, Verification: v}, nil
}
