package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/email"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// Email verification, as Medusa 2.21's auth module does it (its "token"
// verification provider, the auth_verification table and the
// http.authVerificationsPerActor gate).

// EventVerificationRequested carries {"entity_id", "entity_type",
// "code_provider", "auth_identity_id", "code", "expires_at", "metadata"}
// (Medusa's payload): the host sends the code to the entity (e-mails it to
// the address). It is delivered after the request's answer, in a
// goroutine of its own; [Service.Flush] waits for it.
const EventVerificationRequested = "auth.verification_requested"

// CodeProviderToken is the only verification provider: single-use codes of
// 32 random bytes, base64url (43 characters), stored as their SHA-256
// (Medusa's "token" provider).
const CodeProviderToken = "token"

// EntityTypeEmail is the entity type of an email address. Entity ids of
// this type are trimmed and lower-cased, and must be email addresses.
const EntityTypeEmail = "email"

// DefaultVerificationTTL is how long a verification code works when
// [WithVerificationTTL] is not given: 15 minutes (Medusa's ttl_seconds
// 900).
const DefaultVerificationTTL = 15 * time.Minute

// verificationIDPrefix is Medusa's id prefix of auth_verification rows.
const verificationIDPrefix = "authver"

// Verification errors. The first three match [ErrNotAllowed] (Medusa's
// NOT_ALLOWED: 400 not_allowed over HTTP) and carry Medusa's messages.
var (
	// ErrVerificationCodeInvalid: no live code has that value, it was used
	// already, or (when the caller asked for it) it belongs to another
	// identity or entity type.
	ErrVerificationCodeInvalid = store.Sentinel("Verification code is invalid or already used", ErrNotAllowed)
	// ErrVerificationCodeExpired: the code is older than the verification
	// TTL.
	ErrVerificationCodeExpired = store.Sentinel("Verification code has expired", ErrNotAllowed)
	// ErrVerificationWrongProvider is the kind of the error of a code
	// confirmed with another code provider than the one that made it; its
	// message is Medusa's `Verification code does not belong to provider
	// "<p>"`.
	ErrVerificationWrongProvider = store.Sentinel("auth: verification code of another provider", ErrNotAllowed)
	// ErrVerificationRequired is matched by a *VerificationRequiredError.
	ErrVerificationRequired = errors.New("auth: verification required")
	// ErrVerificationDisabled: the service has no VerificationStore.
	ErrVerificationDisabled = errors.New("auth: verification is not configured (the store implements no auth.VerificationStore)")

	errProviderIdentityMissing = store.Sentinel("Provider identity not found while checking verification", ErrNotFound)
)

// Verification is a row of Medusa's auth_verification table: a request to
// prove that the identity controls an entity (an email address), and
// whether it was proved. Its JSON is Medusa's AuthVerificationDTO without
// the code's hash.
type Verification struct {
	ID             string `json:"id"`
	AuthIdentityID string `json:"auth_identity_id"`
	EntityID       string `json:"entity_id"`
	EntityType     string `json:"entity_type"`
	CodeProvider   string `json:"code_provider"`
	// VerifiedAt is when the current code was confirmed; nil while it was
	// not.
	VerifiedAt *time.Time `json:"verified_at"`
	// RequestedAt is when the current code was made; it expires a TTL
	// later.
	RequestedAt time.Time `json:"requested_at"`
	// CodeHash is the hex SHA-256 of the current code, kept in the
	// column provider_metadata as "token_hash" (Medusa's place). It is
	// never serialised.
	CodeHash string `json:"-"`
	// ProviderMetadata is the rest of provider_metadata.
	ProviderMetadata map[string]any `json:"provider_metadata"`
	Metadata         map[string]any `json:"metadata"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	DeletedAt        *time.Time     `json:"deleted_at"`
}

// VerificationFilter selects live verifications. Zero fields do not
// filter; a nil slice does not filter, an empty one matches nothing.
type VerificationFilter struct {
	IDs             []string
	AuthIdentityIDs []string
	EntityIDs       []string
	EntityTypes     []string
	CodeHashes      []string
}

// VerificationStore keeps verifications (on PostgreSQL Medusa's table
// auth_verification). store/memory and store/postgres implement it; a
// Service uses its Store when it does, or the one given by
// [WithVerificationStore]. Writes join the unit of work carried by their
// context.
type VerificationStore interface {
	// RenewVerification stores a new code for the entity (AuthIdentityID,
	// EntityID, EntityType) of v: it inserts v when the identity has no
	// live row for that entity; otherwise it sets the row's CodeProvider,
	// CodeHash, RequestedAt and UpdatedAt from v, clears VerifiedAt, and
	// replaces its Metadata when v's is not nil (the row keeps its id and
	// CreatedAt), so that the row's older code stops working. A row that is
	// verified is returned unchanged, with renewed false, unless
	// replaceVerified. Of concurrent renewals of one entity one row
	// results, with the code of the last. An identity that does not exist
	// fails with ErrNotFound.
	RenewVerification(ctx context.Context, v *Verification, replaceVerified bool) (out *Verification, renewed bool, err error)
	// ListVerifications returns the live verifications matching f, in id
	// order.
	ListVerifications(ctx context.Context, f VerificationFilter) ([]*Verification, error)
	// MarkVerified sets VerifiedAt and UpdatedAt to now on the live row id
	// when its code hash is still codeHash and it is not verified yet,
	// and reports whether it did: of concurrent calls for one code exactly
	// one reports true.
	MarkVerified(ctx context.Context, id, codeHash string, now time.Time) (bool, error)
}

// VerificationRequirement is one entry of Medusa's
// http.authVerificationsPerActor: logins through AuthProvider must have
// verified the provider identity's entity id as EntityType.
type VerificationRequirement struct {
	AuthProvider string `json:"auth_provider"`
	EntityType   string `json:"entity_type"`
}

type verificationConfig struct {
	perActor map[string][]VerificationRequirement
	ttl      time.Duration
	store    VerificationStore
}

// WithVerificationsPerActor makes logins of actorType through the
// requirements' providers wait for a verification (Medusa's
// http.authVerificationsPerActor): until the provider identity's entity
// id is verified as the requirement's entity type, a login, a callback
// and the refresh of an actorless token answer an actorless token with
// VerificationRequired (see [Service.LoginToken]). Given twice for one
// actor type, the second replaces the first. The service's store must
// implement VerificationStore (or give one with [WithVerificationStore]).
func WithVerificationsPerActor(actorType string, reqs ...VerificationRequirement) Option {
	return func(c *config) {
		if actorType == "" {
			c.fail("WithVerificationsPerActor needs an actor type")
			return
		}
		for _, r := range reqs {
			if r.AuthProvider == "" || r.EntityType == "" {
				c.fail("a verification requirement of actor type %q needs an auth_provider and an entity_type", actorType)
				return
			}
		}
		if c.verification.perActor == nil {
			c.verification.perActor = map[string][]VerificationRequirement{}
		}
		c.verification.perActor[actorType] = slices.Clone(reqs)
	}
}

// WithVerificationTTL sets how long a verification code works; default
// [DefaultVerificationTTL] (15 minutes).
func WithVerificationTTL(d time.Duration) Option {
	return func(c *config) {
		if d < time.Second {
			c.fail("WithVerificationTTL needs a duration of a second or more")
			return
		}
		c.verification.ttl = d
	}
}

// WithVerificationStore keeps verifications in vs instead of the service's
// Store (which is used when it implements VerificationStore, as both
// built-in backends do).
func WithVerificationStore(vs VerificationStore) Option {
	return func(c *config) {
		if vs == nil {
			c.fail("WithVerificationStore needs a store")
			return
		}
		c.verification.store = vs
	}
}

// newVerificationConfig completes c for the service on st.
func newVerificationConfig(st Store, c verificationConfig) (verificationConfig, error) {
	if c.store == nil {
		c.store, _ = st.(VerificationStore)
	}
	if c.ttl == 0 {
		c.ttl = DefaultVerificationTTL
	}
	if len(c.perActor) > 0 && c.store == nil {
		return c, errors.New("auth: WithVerificationsPerActor needs a Store that implements VerificationStore")
	}
	return c, nil
}

// VerificationRequiredError is the error of a refresh (or the answer of a
// rotation) that a verification gate holds back: the caller gets Token,
// an actorless token of its identity, until it verifies (Medusa answers
// {"verification_required": true, "verification", "token"}). It matches
// ErrVerificationRequired.
type VerificationRequiredError struct {
	// Verification is the identity's pending verification of the entity,
	// nil when none was requested yet.
	Verification *Verification
	// Token is an actorless token of the identity.
	Token string
}

// Error implements error.
func (e *VerificationRequiredError) Error() string { return "auth: verification required" }

// Is reports whether target is ErrVerificationRequired.
func (e *VerificationRequiredError) Is(target error) bool { return target == ErrVerificationRequired }

// VerificationEnabled reports whether the service can request and confirm
// verifications (it has a VerificationStore).
func (s *Service) VerificationEnabled() bool { return s.verif.store != nil }

func (s *Service) verifications() (VerificationStore, error) {
	if s.verif.store == nil {
		return nil, ErrVerificationDisabled
	}
	return s.verif.store, nil
}

// RequestVerificationParams is the input of [Service.RequestVerification]
// (Medusa's RequestAuthVerificationDTO).
type RequestVerificationParams struct {
	AuthIdentityID string
	EntityID       string
	EntityType     string
	// CodeProvider is required; only CodeProviderToken exists.
	CodeProvider string
	Metadata     map[string]any
	// Reverify makes a new code even when the entity was verified before
	// (Medusa returns a verified row unchanged): the row is unverified
	// again until the new code is confirmed. A change of email uses it.
	Reverify bool
}

// VerificationRequest is what [Service.RequestVerification] answers.
type VerificationRequest struct {
	Verification *Verification `json:"verification"`
	// Code is the new code, also sent to the event sink; "" when the
	// entity was verified already and no code was made. It is never
	// serialised: give it only to the entity (e-mail it).
	Code string `json:"-"`
	// ExpiresAt is when Code stops working (zero without a code).
	ExpiresAt time.Time `json:"-"`
}

// RequestVerification makes a single-use code that proves the identity
// controls the entity (Medusa's requestAuthVerification with the "token"
// provider): the identity's one row for (entity id, entity type) gets the
// code's SHA-256, so its older code stops working, and the code goes to
// the event sink as auth.verification_requested, delivered after the
// call returns, for the host to send to the entity. An entity verified
// before is returned as it is, with no code and no event (unless
// p.Reverify). With [WithThrottle], requests per entity are limited
// (throttle.Config.VerificationRequest), so that nobody floods an inbox.
func (s *Service) RequestVerification(ctx context.Context, p RequestVerificationParams) (*VerificationRequest, error) {
	vs, err := s.verifications()
	if err != nil {
		return nil, err
	}
	if err := checkCodeProvider(p.CodeProvider, true); err != nil {
		return nil, err
	}
	entityID, err := s.checkEntity(p.AuthIdentityID, p.EntityID, p.EntityType)
	if err != nil {
		return nil, err
	}
	if err := text.Value("metadata", p.Metadata); err != nil {
		return nil, identityDom.Classify(err)
	}
	md, err := meta.Normalize("metadata", p.Metadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	if err := s.throttle.VerificationRequest(ctx, p.EntityType, entityID); err != nil {
		return nil, err
	}
	code := newVerificationCode()
	now := s.clock()
	v := &Verification{
		ID: id.New(verificationIDPrefix), AuthIdentityID: p.AuthIdentityID, EntityID: entityID,
		EntityType: p.EntityType, CodeProvider: p.CodeProvider, RequestedAt: now,
		CodeHash: hashVerificationCode(code), ProviderMetadata: map[string]any{}, Metadata: md,
		CreatedAt: now, UpdatedAt: now,
	}
	out := &VerificationRequest{}
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		row, renewed, err := vs.RenewVerification(ctx, v, p.Reverify)
		if err != nil {
			var nf *store.NotFoundError
			if errors.As(err, &nf) {
				return identityDom.Missing(p.AuthIdentityID)
			}
			return err
		}
		out.Verification = row
		if !renewed {
			return nil
		}
		out.Code, out.ExpiresAt = code, now.Add(s.verif.ttl)
		if err := s.record(ctx, audit.Entry{
			Action: audit.ActionVerificationRequest, Outcome: audit.Success, AuthIdentityID: row.AuthIdentityID,
			Details: map[string]string{"verification_id": row.ID, "entity_type": row.EntityType},
		}); err != nil {
			return err
		}
		metadata := row.Metadata
		if metadata == nil {
			metadata = map[string]any{}
		}
		// After the answer: a slow mailer must not hold the request.
		if err := s.events.EmitDetached(ctx, event.Event{Name: EventVerificationRequested, Secret: true, Data: map[string]any{
			"entity_id": row.EntityID, "entity_type": row.EntityType, "code_provider": row.CodeProvider,
			"auth_identity_id": row.AuthIdentityID, "code": code, "expires_at": out.ExpiresAt,
			"metadata": meta.Clone(metadata),
		}}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkCodeProvider checks a code provider named by a request (required)
// or a confirmation ("" means CodeProviderToken).
func checkCodeProvider(p string, required bool) error {
	switch {
	case p == "" && required:
		return identityDom.Public("code_provider", "Verification provider is required")
	case p == "" || p == CodeProviderToken:
		return nil
	}
	if err := text.Check("code_provider", p); err != nil {
		return identityDom.Classify(err)
	}
	return identityDom.Public("code_provider", fmt.Sprintf("Unable to retrieve the verification provider with id: %s", p))
}

// checkEntity checks the entity of a request and returns its id as it is
// stored: an email trimmed and lower-cased.
func (s *Service) checkEntity(authIdentityID, entityID, entityType string) (string, error) {
	for _, f := range [][2]string{{"auth_identity_id", authIdentityID}, {"entity_id", entityID}, {"entity_type", entityType}} {
		if f[1] == "" {
			return "", identityDom.Public(f[0], fmt.Sprintf("Field '%s' is required", f[0]))
		}
		if err := text.Check(f[0], f[1]); err != nil {
			return "", identityDom.Classify(err)
		}
	}
	if entityType != EntityTypeEmail {
		return entityID, nil
	}
	e, err := email.Normalize("entity_id", entityID)
	if err != nil {
		return "", identityDom.Classify(err)
	}
	return e, nil
}

func newVerificationCode() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashVerificationCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// ConfirmVerificationParams is the input of [Service.ConfirmVerification]
// (Medusa's ConfirmAuthVerificationDTO).
type ConfirmVerificationParams struct {
	Code string
	// CodeProvider defaults to CodeProviderToken.
	CodeProvider string
	// AuthIdentityID is the identity confirming, when it is known (the
	// request was authenticated): its failed confirmations are throttled
	// (throttle.Config.VerificationConfirm). It does not restrict the
	// code, as in Medusa (whoever holds the code proves the entity),
	// unless RequireOwner.
	AuthIdentityID string
	// RequireOwner refuses, as an unknown code, a code that AuthIdentityID
	// did not request.
	RequireOwner bool
	// EntityType, when set, refuses a code of another entity type as an
	// unknown code.
	EntityType string
}

// ConfirmVerification uses a verification code once (Medusa's
// confirmAuthVerification): the verification it belongs to is marked
// verified and returned. An empty code is a validation error ("Verification
// code is required"); an unknown, used or (see p) refused code is
// [ErrVerificationCodeInvalid]; an expired one [ErrVerificationCodeExpired];
// a code of another code provider matches [ErrVerificationWrongProvider].
// Of concurrent confirmations of one code exactly one succeeds.
//
// A confirmed email that is the identity's own login email (the entity id
// of a provider that keys identities by email, emailpass) also marks the
// identity's email verified (app_metadata[VerifiedEmailKey]), which
// [WithVerifiedEmailLinking] relies on. The mark and the verification are
// written in one unit of work (the caller's when there is one).
func (s *Service) ConfirmVerification(ctx context.Context, p ConfirmVerificationParams) (*Verification, error) {
	vs, err := s.verifications()
	if err != nil {
		return nil, err
	}
	if p.Code == "" {
		return nil, identityDom.Public("code", "Verification code is required")
	}
	if err := text.Check("code", p.Code); err != nil {
		return nil, identityDom.Classify(err)
	}
	if err := checkCodeProvider(p.CodeProvider, false); err != nil {
		return nil, err
	}
	if p.CodeProvider == "" {
		p.CodeProvider = CodeProviderToken
	}
	att, err := s.throttle.ConfirmVerification(ctx, p.AuthIdentityID)
	if err != nil {
		return nil, err
	}
	v, err := s.confirm(ctx, vs, p)
	var terr error
	switch {
	case err == nil:
		terr = att.Succeed(ctx)
	case errors.Is(err, ErrVerificationCodeInvalid), errors.Is(err, ErrVerificationWrongProvider):
		terr = att.Fail(ctx)
	default:
		terr = att.Cancel(ctx)
	}
	if terr != nil {
		s.logger.ErrorContext(ctx, "clientele: throttle counter not updated", "err", terr.Error())
	}
	if reason := codeFailure(err); reason != "" {
		s.recordLater(ctx, audit.Entry{Action: audit.ActionVerification, Outcome: audit.Failure, Reason: reason, AuthIdentityID: p.AuthIdentityID})
	}
	return v, err
}

// codeFailure returns the audit reason of a code's refusal, or "" for
// another error (or none).
func codeFailure(err error) audit.Reason {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrVerificationCodeExpired):
		return audit.ReasonExpiredCode
	case errors.Is(err, ErrVerificationCodeInvalid), errors.Is(err, ErrVerificationWrongProvider):
		return audit.ReasonInvalidCode
	}
	return ""
}

func (s *Service) confirm(ctx context.Context, vs VerificationStore, p ConfirmVerificationParams) (*Verification, error) {
	hash := hashVerificationCode(p.Code)
	found, err := vs.ListVerifications(ctx, VerificationFilter{CodeHashes: []string{hash}})
	if err != nil {
		return nil, err
	}
	var v *Verification
	for _, f := range found {
		if subtle.ConstantTimeCompare([]byte(f.CodeHash), []byte(hash)) == 1 {
			v = f
			break
		}
	}
	switch {
	case v == nil || v.VerifiedAt != nil:
		return nil, ErrVerificationCodeInvalid
	case p.RequireOwner && v.AuthIdentityID != p.AuthIdentityID, p.EntityType != "" && v.EntityType != p.EntityType:
		return nil, ErrVerificationCodeInvalid
	case v.CodeProvider != p.CodeProvider:
		return nil, &provider.Error{Kind: ErrVerificationWrongProvider,
			Message: fmt.Sprintf("Verification code does not belong to provider %q", p.CodeProvider)}
	}
	now := s.clock()
	if !now.Before(v.RequestedAt.Add(s.verif.ttl)) {
		return nil, ErrVerificationCodeExpired
	}
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		ok, err := vs.MarkVerified(ctx, v.ID, v.CodeHash, now)
		if err != nil {
			return err
		}
		if !ok {
			// Confirmed (or replaced) concurrently.
			return ErrVerificationCodeInvalid
		}
		if err := s.record(ctx, audit.Entry{
			Action: audit.ActionVerification, Outcome: audit.Success, AuthIdentityID: v.AuthIdentityID,
			Details: map[string]string{"verification_id": v.ID, "entity_type": v.EntityType},
		}); err != nil {
			return err
		}
		if v.EntityType != EntityTypeEmail {
			return nil
		}
		return s.markOwnEmail(ctx, v.AuthIdentityID, v.EntityID)
	})
	if err != nil {
		return nil, err
	}
	v.VerifiedAt, v.UpdatedAt = &now, now
	return v, nil
}

// markOwnEmail marks addr verified on the identity when it is one of its
// login emails (the entity id of a provider that keys identities by
// email). Another address the identity verified is not marked: a
// confirmation the owner of that address gave without asking for it must
// not let their social logins reach this identity.
func (s *Service) markOwnEmail(ctx context.Context, authIdentityID, addr string) error {
	found, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{AuthIdentityIDs: []string{authIdentityID}}, store.ListOptions{})
	if err != nil {
		return err
	}
	for _, pi := range found {
		if s.keysByEmail(pi.Provider) && lowerTrim(pi.EntityID) == addr {
			_, err := s.editAppMetadata(ctx, authIdentityID, func(am map[string]any) map[string]any {
				am[VerifiedEmailKey] = addr
				return am
			})
			return err
		}
	}
	return nil
}

// keysByEmail reports whether providerID keys its identities by email
// (provider.EntityIDFolder: emailpass).
func (s *Service) keysByEmail(providerID string) bool {
	f, ok := s.providers[providerID].(provider.EntityIDFolder)
	return ok && f.FoldEntityIDs()
}

// ListVerifications returns the live verifications matching f, in id
// order.
func (s *Service) ListVerifications(ctx context.Context, f VerificationFilter) ([]*Verification, error) {
	vs, err := s.verifications()
	if err != nil {
		return nil, err
	}
	return vs.ListVerifications(ctx, f)
}

// PendingVerification reports whether a login of identity as actorType
// through providerID must verify first (the gate of
// [WithVerificationsPerActor], Medusa's validateVerification): when a
// requirement names providerID and the identity's verification of that
// provider identity's entity id, as the requirement's entity type, is
// missing or not verified. v is that verification (nil when none was
// requested yet). An identity without a provider identity for providerID
// fails with ErrNotFound ("Provider identity not found while checking
// verification").
func (s *Service) PendingVerification(ctx context.Context, identity *AuthIdentity, actorType, providerID string) (v *Verification, pending bool, err error) {
	i := slices.IndexFunc(s.verif.perActor[actorType], func(r VerificationRequirement) bool { return r.AuthProvider == providerID })
	if i < 0 || identity == nil {
		return nil, false, nil
	}
	req := s.verif.perActor[actorType][i]
	pi := identity.Provider(providerID)
	if pi == nil {
		return nil, false, errProviderIdentityMissing
	}
	// A row Medusa wrote keeps the case it was given; clientele's are
	// lower-case for emails.
	entities := []string{pi.EntityID}
	if l := lowerTrim(pi.EntityID); l != pi.EntityID {
		entities = append(entities, l)
	}
	found, err := s.verif.store.ListVerifications(ctx, VerificationFilter{
		AuthIdentityIDs: []string{identity.ID}, EntityIDs: entities, EntityTypes: []string{req.EntityType},
	})
	if err != nil {
		return nil, false, err
	}
	for _, f := range found {
		if f.VerifiedAt != nil {
			return f, false, nil
		}
	}
	if len(found) > 0 {
		return found[0], true, nil
	}
	return nil, true, nil
}

// LoginToken issues what a login of identity as actorType through
// providerID answers (Medusa's generateJwtTokenWithChecks): its token,
// or, while a verification is pending ([Service.PendingVerification]), an
// actorless token (actor_id "", app_metadata without the actor's key)
// with VerificationRequired and the pending Verification; then, when the
// identity has MFA on, an actorless token with a new MFA challenge
// (Login.MFAChallenge). Login,
// LoginCallback, account.Service.SignUp and httpapi's login routes use
// it; [Service.Token] does not check verifications.
//
// When both apply, the verification comes before MFA, as in Medusa.
func (s *Service) LoginToken(ctx context.Context, identity *AuthIdentity, actorType, providerID string) (*Login, error) {
	return s.loginToken(ctx, identity, actorType, providerID, false)
}

// LoginTokenFor is LoginToken for the result of a provider's check
// (Authenticate, ValidateCallback): a result that was multi-factor by
// itself (provider.Result.MultiFactor, a passkey with user verification)
// completes the identity's MFA rather than opening a challenge. Hosts
// that run a provider's check themselves answer their logins with it.
func (s *Service) LoginTokenFor(ctx context.Context, res *Result, actorType, providerID string) (*Login, error) {
	if res == nil || res.AuthIdentity == nil {
		return nil, ErrUnauthorized
	}
	return s.loginToken(ctx, res.AuthIdentity, actorType, providerID, res.MultiFactor)
}

// loginToken is LoginToken for a login whose proof may have been
// multi-factor by itself (provider.Result.MultiFactor): then an identity
// with MFA on gets its full token, MFA completed now, and no challenge.
func (s *Service) loginToken(ctx context.Context, identity *AuthIdentity, actorType, providerID string, multiFactor bool) (*Login, error) {
	v, pending, err := s.PendingVerification(ctx, identity, actorType, providerID)
	if err != nil {
		return nil, err
	}
	if pending {
		// mfa_enabled says whether the identity has MFA on, so that MFA
		// gates treat the token as a login whose challenge is pending.
		m, err := s.refreshMFA(ctx, identity, nil)
		if err != nil {
			return nil, err
		}
		c, err := s.tokenClaims(withoutActor(identity, actorType), actorType, providerID)
		if err != nil {
			return nil, err
		}
		c.MFAEnabled = m.enabled
		tok, err := s.tokens.issue(c, true)
		if err != nil {
			return nil, err
		}
		e := identityEntry(audit.ActionLoginPending, identity, actorType, providerID)
		e.Reason = audit.ReasonUnverified
		s.recordLater(ctx, e)
		return &Login{Identity: identity, Token: tok, VerificationRequired: true, Verification: v}, nil
	}
	l, err := s.mfaLoginToken(ctx, identity, actorType, providerID, multiFactor) // mfachallenge.go
	if err == nil && l.MFAChallenge != nil && l.MFAChallenge.CompletedAt == nil {
		e := identityEntry(audit.ActionLoginPending, identity, actorType, providerID)
		e.Reason, e.Details = audit.ReasonMFARequired, map[string]string{"challenge_id": l.MFAChallenge.ID}
		s.recordLater(ctx, e)
	}
	return l, err
}

// withoutActor returns a copy of identity whose app_metadata lacks the
// actor of actorType, so that the tokens issued for it are actorless.
func withoutActor(identity *AuthIdentity, actorType string) *AuthIdentity {
	if identity == nil {
		return nil
	}
	cp := *identity
	cp.AppMetadata = meta.Clone(identity.AppMetadata)
	delete(cp.AppMetadata, actorType+"_id")
	return &cp
}

// refreshGate holds back the refresh of actorless claims c while a
// verification is pending: it returns a *VerificationRequiredError with a
// new actorless token (Medusa re-applies the gate to actorless tokens
// only; a token with an actor is re-signed as it is).
func (s *Service) refreshGate(ctx context.Context, identity *AuthIdentity, c *Claims, login, deadline time.Time) error {
	if c.ActorID != "" {
		return nil
	}
	v, pending, err := s.PendingVerification(ctx, identity, c.ActorType, c.AuthProvider)
	if err != nil || !pending {
		return err
	}
	// The MFA claims as a refresh decides them (an identity with MFA on
	// and no completion: mfa_enabled, so MFA gates see a pending login).
	m, err := s.refreshMFA(ctx, identity, c.MFAChallengeCompletedAt)
	if err != nil {
		return err
	}
	m.pending = false
	tok, err := s.reissue(withoutActor(identity, c.ActorType), c.ActorType, c.AuthProvider, login, deadline, m)
	if err != nil {
		return err
	}
	return &VerificationRequiredError{Verification: v, Token: tok}
}

// EmailVerified reports whether the identity has proved addr: a confirmed
// verification of it as an email, or the mark of
// [Service.MarkEmailVerified] (or of a confirmed login email).
func (s *Service) EmailVerified(ctx context.Context, authIdentityID, addr string) (bool, error) {
	addr = lowerTrim(addr)
	if addr == "" {
		return false, nil
	}
	found, err := s.st.ListAuthIdentities(ctx, IdentityFilter{IDs: []string{authIdentityID}}, store.ListOptions{})
	if err != nil {
		return false, err
	}
	if len(found) == 0 {
		return false, identityDom.Missing(authIdentityID)
	}
	if m, _ := found[0].AppMetadata[VerifiedEmailKey].(string); m != "" && lowerTrim(m) == addr {
		return true, nil
	}
	if s.verif.store == nil {
		return false, nil
	}
	vs, err := s.verif.store.ListVerifications(ctx, VerificationFilter{
		AuthIdentityIDs: []string{authIdentityID}, EntityIDs: []string{addr}, EntityTypes: []string{EntityTypeEmail},
	})
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(vs, func(v *Verification) bool { return v.VerifiedAt != nil }), nil
}

// ChangeLoginEmail makes addr the login email of the identity: every
// provider identity of it whose provider keys identities by email
// (emailpass) gets addr as its entity id, and the identity's email is
// marked verified (app_metadata[VerifiedEmailKey]). It proves nothing
// itself: call it only once addr is proved (account.Service's change of
// email does, in one unit of work with the customer's email). Another
// identity with addr for one of those providers fails with ErrConflict.
// It runs in the caller's unit of work when there is one, and returns the
// provider identities it changed.
func (s *Service) ChangeLoginEmail(ctx context.Context, authIdentityID, addr string) ([]*ProviderIdentity, error) {
	addr, err := email.Normalize("email", addr)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	if addr == "" {
		return nil, identityDom.Public("email", "Email is required")
	}
	var changed []*ProviderIdentity
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{AuthIdentityIDs: []string{authIdentityID}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		now := s.clock()
		for _, pi := range found {
			if !s.keysByEmail(pi.Provider) || pi.EntityID == addr {
				continue
			}
			pi.EntityID, pi.UpdatedAt = addr, now
			changed = append(changed, pi)
		}
		if len(changed) > 0 {
			if err := s.st.UpdateProviderIdentities(ctx, changed); err != nil {
				return identityDom.Classify(err)
			}
		}
		_, err = s.editAppMetadata(ctx, authIdentityID, func(am map[string]any) map[string]any {
			am[VerifiedEmailKey] = addr
			return am
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, pi := range changed {
		changed[i] = sanitizeProvider(pi)
	}
	return changed, nil
}
