package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// Multi-factor authentication, as Medusa 2.21's auth module does it: TOTP
// factors (auth_mfa_factor), recovery codes (auth_mfa_recovery_code) and
// login challenges. See the package documentation, section MFA.

// MFA factor statuses (auth_mfa_factor.status).
const (
	MFAPending  = "pending"
	MFAEnabled  = "enabled"
	MFADisabled = "disabled"
)

// MFA methods: the providers of factors, and what a challenge offers.
const (
	MFAMethodTOTP         = "totp"
	MFAMethodRecoveryCode = "recovery_code"
)

// MFA event names. Medusa's HTTP routes emit them; clientele's service
// does, so that a Go host gets them too.
const (
	// EventMFAEnabled carries {"auth_identity_id", "mfa_id", "provider"}:
	// a factor went from pending to enabled.
	EventMFAEnabled = "auth.mfa_enabled"
	// EventMFADisabled carries {"auth_identity_id", "mfa_id", "provider"}.
	EventMFADisabled = "auth.mfa_disabled"
	// EventMFARecoveryCodesGenerated carries {"auth_identity_id", "count"}.
	EventMFARecoveryCodesGenerated = "auth.mfa_recovery_codes_generated"
)

// MFA disable policies (MFAConfig.DisablePolicy).
const (
	// MFADisableSession disables a factor for any request that passed the
	// MFA gate (a completed challenge): Medusa's default.
	MFADisableSession = "session"
	// MFADisableChallenge also asks for a code (TOTP or recovery code) to
	// disable an enabled factor.
	MFADisableChallenge = "challenge"
)

// Defaults of MFAConfig, as in Medusa.
const (
	DefaultMFAIssuer            = "Medusa"
	DefaultMFADigits            = 6
	DefaultMFAPeriod            = 30
	DefaultMFAWindow            = 1
	DefaultMFAChallengeTTL      = 5 * time.Minute
	DefaultMFAChallengeAttempts = 5
	DefaultMFARecoveryCodes     = 10
	// MaxMFARecoveryCodes is the most recovery codes one identity may
	// have (Medusa's limit).
	MaxMFARecoveryCodes = 50
	// MFAWindowNone as MFAConfig.Window accepts a code in its own period
	// only (Medusa's window 0).
	MFAWindowNone = -1
)

// MFAConfig configures MFA ([WithMFA]); Medusa's auth module options.mfa.
// Zero fields take Medusa's defaults.
type MFAConfig struct {
	// EncryptionKey encrypts TOTP secrets (AES-256-GCM under its SHA-256;
	// Medusa's mfa.encryption_key, AUTH_MFA_ENCRYPTION_KEY). Required to
	// enrol and verify TOTP factors; a Medusa server and clientele that
	// share a database must share it. Changing it makes every enrolled
	// factor unusable.
	EncryptionKey string
	// Issuer names the service in authenticator apps; default "Medusa".
	Issuer string
	// Digits of a TOTP code: 6 (default), 7 or 8.
	Digits int
	// Period of a TOTP code in seconds; default 30.
	Period int
	// Window is how many periods before and after the current one a code
	// is accepted from; default 1. MFAWindowNone accepts the current
	// period only.
	Window int
	// ChallengeTTL is how long a login's challenge may be completed;
	// default 5 minutes. It is counted in whole seconds.
	ChallengeTTL time.Duration
	// ChallengeMaxAttempts is how many wrong codes a challenge takes
	// before it is dead; default 5.
	ChallengeMaxAttempts int
	// RecoveryCodes is how many recovery codes are made when none is
	// asked; default 10, at most MaxMFARecoveryCodes.
	RecoveryCodes int
	// DisablePolicy is MFADisableSession (default) or MFADisableChallenge.
	DisablePolicy string
	// RecoveryCodeHasher hashes recovery codes; default
	// emailpass.DefaultScrypt(), Medusa's format (scrypt-kdf, logN 15, r 8,
	// p 1). Any emailpass hash verifies; another format is not readable
	// by Medusa.
	RecoveryCodeHasher emailpass.Hasher
}

// WithMFA turns on MFA enrolment and verification with cfg. Logins honour
// enabled factors whether or not it is given, as long as the store keeps
// them (it implements MFAStore, as store/memory and store/postgres do):
// without it a TOTP factor enrolled elsewhere (by a Medusa server on the
// same database) still makes logins answer a challenge, which only a
// recovery code can then complete.
func WithMFA(cfg MFAConfig) Option {
	return func(c *config) {
		for _, err := range cfg.check() {
			c.fail("WithMFA: %v", err)
		}
		c.mfa = &cfg
	}
}

func (cfg MFAConfig) check() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if cfg.Digits != 0 && (cfg.Digits < 6 || cfg.Digits > 8) {
		bad("TOTP digits must be 6, 7, or 8")
	}
	if cfg.Period < 0 {
		bad("TOTP period must be a positive integer")
	}
	if cfg.Window < MFAWindowNone {
		bad("TOTP window must be a non-negative integer (or MFAWindowNone)")
	}
	if cfg.ChallengeTTL < 0 || (cfg.ChallengeTTL > 0 && cfg.ChallengeTTL < time.Second) {
		bad("MFA challenge TTL must be a positive number of seconds")
	}
	if cfg.ChallengeMaxAttempts < 0 {
		bad("MFA challenge max attempts must be a positive integer")
	}
	if cfg.RecoveryCodes < 0 || cfg.RecoveryCodes > MaxMFARecoveryCodes {
		bad("Recovery code count must be between 1 and %d", MaxMFARecoveryCodes)
	}
	if cfg.DisablePolicy != "" && cfg.DisablePolicy != MFADisableSession && cfg.DisablePolicy != MFADisableChallenge {
		bad(`MFA disable policy must be either "challenge" or "session"`)
	}
	return errs
}

// MFAFactor is an MFA factor (table auth_mfa_factor). Its JSON is
// Medusa's: ProviderMetadata (for TOTP the encrypted secret) is never
// written.
type MFAFactor struct {
	ID             string `json:"id"`
	AuthIdentityID string `json:"auth_identity_id"`
	// Provider is the factor's method, "totp".
	Provider string `json:"provider"`
	// Status is MFAPending, MFAEnabled or MFADisabled.
	Status string `json:"status"`
	// ProviderMetadata is the provider's state: for TOTP {"secret": the
	// encrypted secret, "issuer"}, and clientele's replay guard
	// ("clientele_totp_step").
	ProviderMetadata map[string]any `json:"-"`
	// Metadata is the host's, with "label" when the factor has one.
	Metadata  map[string]any `json:"metadata"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	DeletedAt *time.Time     `json:"deleted_at"`
}

// RecoveryCode is a stored recovery code (table auth_mfa_recovery_code):
// the hash of the code only.
type RecoveryCode struct {
	ID             string
	AuthIdentityID string
	CodeHash       string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// MFAChallenge is a login's second step: completing it with one of
// Methods turns the login's actorless token into a full one. Medusa keeps
// challenges in its cache; clientele in its store (on PostgreSQL the table
// clientele_mfa_challenge), so that every instance sees them.
type MFAChallenge struct {
	ID             string `json:"id"`
	AuthIdentityID string `json:"auth_identity_id"`
	// AuthProvider is the provider the login used ("" written as null).
	AuthProvider string `json:"auth_provider"`
	// Methods the challenge may be completed with: "totp", then
	// "recovery_code" when the identity has recovery codes.
	Methods     []string       `json:"methods"`
	ExpiresAt   time.Time      `json:"expires_at"`
	Attempts    int            `json:"attempts"`
	MaxAttempts int            `json:"max_attempts"`
	CompletedAt *time.Time     `json:"completed_at"`
	Metadata    map[string]any `json:"metadata"`
	// CreatedAt is when it was made (not in its JSON).
	CreatedAt time.Time `json:"-"`
}

// challengeJSON is MFAChallenge's JSON: auth_provider is null when empty.
type challengeJSON struct {
	ID             string         `json:"id"`
	AuthIdentityID string         `json:"auth_identity_id"`
	AuthProvider   *string        `json:"auth_provider"`
	Methods        []string       `json:"methods"`
	ExpiresAt      time.Time      `json:"expires_at"`
	Attempts       int            `json:"attempts"`
	MaxAttempts    int            `json:"max_attempts"`
	CompletedAt    *time.Time     `json:"completed_at"`
	Metadata       map[string]any `json:"metadata"`
}

// MarshalJSON writes Medusa's shape: {"id", "auth_identity_id",
// "auth_provider" (null when empty), "methods", "expires_at", "attempts",
// "max_attempts", "completed_at", "metadata"}.
func (c MFAChallenge) MarshalJSON() ([]byte, error) {
	j := challengeJSON{ID: c.ID, AuthIdentityID: c.AuthIdentityID, Methods: c.Methods, ExpiresAt: c.ExpiresAt,
		Attempts: c.Attempts, MaxAttempts: c.MaxAttempts, CompletedAt: c.CompletedAt, Metadata: c.Metadata}
	if c.AuthProvider != "" {
		j.AuthProvider = &c.AuthProvider
	}
	if j.Methods == nil {
		j.Methods = []string{}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *MFAChallenge) UnmarshalJSON(b []byte) error {
	var j challengeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = MFAChallenge{ID: j.ID, AuthIdentityID: j.AuthIdentityID, Methods: j.Methods, ExpiresAt: j.ExpiresAt,
		Attempts: j.Attempts, MaxAttempts: j.MaxAttempts, CompletedAt: j.CompletedAt, Metadata: j.Metadata}
	if j.AuthProvider != nil {
		c.AuthProvider = *j.AuthProvider
	}
	return nil
}

// MFAFactorFilter selects MFA factors. Nil slices do not filter; empty
// ones match nothing.
type MFAFactorFilter struct {
	IDs             []string
	AuthIdentityIDs []string
	Providers       []string
	Statuses        []string
}

// MFAStore keeps MFA factors, recovery codes and challenges. store/memory
// and store/postgres implement it (on PostgreSQL Medusa's auth_mfa_factor
// and auth_mfa_recovery_code, and clientele_mfa_challenge). Writes join
// the unit of work carried by their context. Deleting an auth identity
// deletes its factors, codes and challenges.
type MFAStore interface {
	// InsertMFAFactor inserts f. A second pending or enabled factor of one
	// provider for one identity is ErrConflict (Medusa's partial unique
	// index); an identity that does not exist, ErrNotFound.
	InsertMFAFactor(ctx context.Context, f *MFAFactor) error
	// ListMFAFactors returns the live factors matching f in id order;
	// opts.Lock locks them until the caller's unit of work ends.
	ListMFAFactors(ctx context.Context, f MFAFactorFilter, opts store.ListOptions) ([]*MFAFactor, error)
	// UpdateMFAFactor writes status, provider_metadata, metadata and
	// updated_at by id; a status that makes a second pending or enabled
	// factor of one provider is ErrConflict.
	UpdateMFAFactor(ctx context.Context, f *MFAFactor) error
	// ReplaceRecoveryCodes deletes the identity's recovery codes and
	// inserts codes, in one step.
	ReplaceRecoveryCodes(ctx context.Context, authIdentityID string, codes []*RecoveryCode) error
	// ListRecoveryCodes returns the identity's live recovery codes in id
	// order.
	ListRecoveryCodes(ctx context.Context, authIdentityID string) ([]*RecoveryCode, error)
	// DeleteRecoveryCode deletes a recovery code and reports whether it
	// was there: of concurrent deletes of one code exactly one is true.
	DeleteRecoveryCode(ctx context.Context, id string) (bool, error)
	// InsertMFAChallenge stores c; it may delete challenges that expired
	// before now. An identity that does not exist is ErrNotFound.
	InsertMFAChallenge(ctx context.Context, c *MFAChallenge, now time.Time) error
	// GetMFAChallenge returns the challenge with id, expired or not;
	// missing, ErrNotFound. With lock it stays locked until the caller's
	// unit of work ends.
	GetMFAChallenge(ctx context.Context, id string, lock bool) (*MFAChallenge, error)
	// UpdateMFAChallenge writes attempts and completed_at by id.
	UpdateMFAChallenge(ctx context.Context, c *MFAChallenge) error
}

// ---- errors ----

// MFA errors, matched with errors.Is. Each error the MFA methods return
// carries Medusa's message as its public message (store.PublicMessage)
// and one of these or ErrNotFound, ErrInvalid, ErrNotAllowed.
var (
	// ErrMFACode: a TOTP code, recovery code or challenge code that does
	// not verify (wrong, malformed, or a TOTP code used already). It wraps
	// ErrNotAllowed.
	ErrMFACode = store.Sentinel("auth: MFA code rejected", ErrNotAllowed)
	// ErrMFAChallengeClosed: the challenge was completed, has expired or
	// had too many failed attempts. It wraps ErrNotAllowed.
	ErrMFAChallengeClosed = store.Sentinel("auth: MFA challenge closed", ErrNotAllowed)
	// ErrMFARequired: the identity must complete an MFA challenge first
	// (a refresh or rotation of a token whose login did not). It wraps
	// ErrUnauthorized.
	ErrMFARequired = store.Sentinel("MFA verification is required to complete this request", ErrUnauthorized)
	// ErrPasskeyNotBothFactors refuses a passkey login without user
	// verification of an identity whose only second factor is a passkey:
	// one passkey cannot be both factors of a login.
	ErrPasskeyNotBothFactors = store.Sentinel("This passkey did not verify you, and it cannot also be your second factor. Log in with your password, or with a passkey that asks for your PIN, fingerprint or face.", ErrUnauthorized)
	// ErrMFANotConfigured: the service has no MFA store, or no
	// encryption key for TOTP. It wraps ErrInvalid.
	ErrMFANotConfigured = store.Sentinel("auth: MFA is not configured", ErrInvalid)
)

// mfaError is an MFA error with Medusa's message.
type mfaError struct {
	msg   string
	kinds []error
}

func (e *mfaError) Error() string         { return e.msg }
func (e *mfaError) PublicMessage() string { return e.msg }
func (e *mfaError) Unwrap() []error       { return e.kinds }

func mfaErr(msg string, kinds ...error) error { return &mfaError{msg: msg, kinds: kinds} }

func factorNotFound(id string) error {
	return mfaErr(fmt.Sprintf("MFA factor with id %q was not found", id), ErrNotFound)
}

func challengeNotFound(id string) error {
	return mfaErr(fmt.Sprintf("MFA challenge with id %q was not found", id), ErrNotFound)
}

// ---- configuration ----

// mfaState is the MFA part of a Service.
type mfaState struct {
	st       MFAStore // nil: MFA off
	key      [32]byte
	keySet   bool
	issuer   string
	totp     totp
	ttl      time.Duration
	attempts int
	codes    int
	policy   string
	hasher   emailpass.Hasher
}

func newMFA(st Store, cfg *MFAConfig) mfaState {
	m := mfaState{}
	m.st, _ = st.(MFAStore)
	c := MFAConfig{}
	if cfg != nil {
		c = *cfg
	}
	m.key, m.keySet = secretKey(c.EncryptionKey), c.EncryptionKey != ""
	m.issuer = orDefault(c.Issuer, DefaultMFAIssuer)
	m.totp = totp{digits: orDefault(c.Digits, DefaultMFADigits), period: orDefault(c.Period, DefaultMFAPeriod), window: orDefault(c.Window, DefaultMFAWindow)}
	if c.Window == MFAWindowNone {
		m.totp.window = 0
	}
	m.ttl = orDefault(c.ChallengeTTL, DefaultMFAChallengeTTL).Truncate(time.Second)
	m.attempts = orDefault(c.ChallengeMaxAttempts, DefaultMFAChallengeAttempts)
	m.codes = orDefault(c.RecoveryCodes, DefaultMFARecoveryCodes)
	m.policy = orDefault(c.DisablePolicy, MFADisableSession)
	m.hasher = c.RecoveryCodeHasher
	if m.hasher == nil {
		m.hasher = emailpass.DefaultScrypt()
	}
	return m
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// MFAAvailable reports whether the service keeps MFA factors (its store
// implements MFAStore), so that logins honour them.
func (s *Service) MFAAvailable() bool { return s.mfa.st != nil }

// mfaStore returns the MFA store, or ErrMFANotConfigured.
func (s *Service) mfaStore() (MFAStore, error) {
	if s.mfa.st == nil {
		return nil, fmt.Errorf("%w: the store implements no auth.MFAStore", ErrMFANotConfigured)
	}
	return s.mfa.st, nil
}

// totpKey returns the key of TOTP secrets, or Medusa's error when none
// is configured.
func (s *Service) totpKey() ([32]byte, error) {
	if !s.mfa.keySet {
		return [32]byte{}, mfaErr("MFA encryption key is required to use MFA methods", ErrInvalid, ErrMFANotConfigured)
	}
	return s.mfa.key, nil
}

// ---- factors ----

// maxMFAName bounds a factor's label and issuer (Medusa sets no bound).
const maxMFAName = 256

// StartMFAParams is the input of StartMFA (Medusa's AuthMfaStartDTO).
type StartMFAParams struct {
	AuthIdentityID string
	// Provider is the factor's method: "totp".
	Provider string
	// Label names the account in the authenticator app and is kept as
	// metadata.label; empty: the identity id names it and no label is
	// kept. At most 256 bytes.
	Label string
	// Issuer names the service in the app; empty: MFAConfig.Issuer. At
	// most 256 bytes.
	Issuer string
	// Metadata is kept on the factor.
	Metadata map[string]any
}

// MFAEnrollment is what StartMFA answers: the pending factor and the
// secret to show once (as text and as an otpauth URI for a QR code).
type MFAEnrollment struct {
	Factor     *MFAFactor `json:"mfa_factor"`
	Secret     string     `json:"secret"`
	OTPAuthURL string     `json:"otpauth_url"`
}

// StartMFA begins enrolling a factor (Medusa's startAuthMfa): a pending
// TOTP factor with a new 20-byte secret, stored encrypted. The secret is
// returned once; VerifyMFA with a code from it enables the factor. An
// identity has at most one pending or enabled TOTP factor: a second is
// refused ("An active TOTP factor already exists for this auth
// identity"); disable the pending one to start again.
func (s *Service) StartMFA(ctx context.Context, p StartMFAParams) (*MFAEnrollment, error) {
	ms, err := s.mfaStore()
	if err != nil {
		return nil, err
	}
	if p.Provider != MFAMethodTOTP {
		return nil, mfaErr(fmt.Sprintf("MFA provider %q does not support setup", p.Provider), ErrInvalid)
	}
	key, err := s.totpKey()
	if err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"label", p.Label}, {"issuer", p.Issuer}} {
		if err := text.Check(f.name, f.v); err != nil {
			return nil, identityDom.Classify(err)
		}
		if len(f.v) > maxMFAName {
			return nil, identityDom.Invalidf(f.name, "at most %d bytes", maxMFAName)
		}
	}
	md := meta.Clone(p.Metadata)
	if md == nil {
		md = map[string]any{}
	}
	delete(md, "label")
	if p.Label != "" {
		md["label"] = p.Label
	}
	if err := text.Value("metadata", md); err != nil {
		return nil, identityDom.Classify(err)
	}
	if md, err = meta.Normalize("metadata", md); err != nil {
		return nil, identityDom.Classify(err)
	}
	identity, err := s.RetrieveAuthIdentity(ctx, p.AuthIdentityID, store.FindOptions{})
	if err != nil {
		return nil, err
	}
	secret, err := newTOTPSecret()
	if err != nil {
		return nil, err
	}
	enc, err := encryptSecret(secret, key)
	if err != nil {
		return nil, err
	}
	issuer := orDefault(p.Issuer, s.mfa.issuer)
	now := s.clock()
	f := &MFAFactor{
		ID: id.New("authmfa"), AuthIdentityID: identity.ID, Provider: MFAMethodTOTP, Status: MFAPending,
		ProviderMetadata: map[string]any{"secret": enc, "issuer": issuer}, Metadata: md, CreatedAt: now, UpdatedAt: now,
	}
	err = s.insertFactor(ctx, ms, f, "TOTP", func(ctx context.Context) error {
		return s.record(ctx, factorEntry(audit.ActionMFAEnrolStart, audit.Success, "", f))
	})
	if err != nil {
		return nil, err
	}
	return &MFAEnrollment{Factor: cloneFactor(f), Secret: secret, OTPAuthURL: s.mfa.totp.uri(issuer, orDefault(p.Label, identity.ID), secret)}, nil
}

// VerifyMFAParams is the input of VerifyMFA (Medusa's AuthMfaVerifyDTO).
type VerifyMFAParams struct {
	// ID is the factor's.
	ID string
	// AuthIdentityID, when set, must own the factor (else it is not
	// found).
	AuthIdentityID string
	// Code is a TOTP code of the factor's secret.
	Code string
}

// VerifyMFA checks a code of a factor (Medusa's verifyAuthMfa) and enables
// it when it was pending. Enabling MFA ends every token issued before it
// ([Service.RevokeAll], when revocation is configured) in the same unit of
// work, and emits auth.mfa_enabled; the caller's cookie sessions are the
// HTTP layer's to end (httpapi does, and answers a new token). A code is
// accepted once (see the replay guard in the package documentation).
// Attempts are throttled per identity ([WithThrottle]).
func (s *Service) VerifyMFA(ctx context.Context, p VerifyMFAParams) (*MFAFactor, error) {
	ms, f, err := s.storedFactor(ctx, p.ID, p.AuthIdentityID)
	if err != nil {
		return nil, err
	}
	if err := checkSetup(f); err != nil {
		return nil, err
	}
	if _, err := s.totpKey(); err != nil {
		return nil, err
	}
	att, err := s.throttle.MFA(ctx, f.AuthIdentityID)
	if err != nil {
		return nil, err
	}
	var out *MFAFactor
	ok, err := s.acceptTOTP(ctx, ms, p.Code, func(ctx context.Context) (*MFAFactor, error) {
		f, err := lockedFactor(ctx, ms, f.ID)
		if err != nil {
			return nil, err
		}
		return f, checkSetup(f)
	}, func(ctx context.Context, f *MFAFactor) error {
		if f.Status == MFAPending {
			f.Status = MFAEnabled
			// Tokens and sessions opened before MFA was on end here.
			if err := s.revokeAfter(ctx, f.AuthIdentityID, causeMFAEnabled); err != nil {
				return err
			}
			if err := s.record(ctx, factorEntry(audit.ActionMFAEnrolConfirm, audit.Success, "", f)); err != nil {
				return err
			}
			if err := s.events.Emit(ctx, factorEvent(EventMFAEnabled, f)); err != nil {
				return err
			}
		}
		out = f
		return nil
	})
	s.settleMFA(ctx, att, ok, err)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.recordLater(ctx, factorEntry(audit.ActionMFAEnrolConfirm, audit.Failure, audit.ReasonInvalidCode, f))
		return nil, mfaErr("Invalid TOTP code", ErrNotAllowed, ErrMFACode)
	}
	return cloneFactor(out), nil
}

// checkSetup refuses what VerifyMFA cannot verify.
func checkSetup(f *MFAFactor) error {
	switch {
	case f.Provider != MFAMethodTOTP:
		return mfaErr("Only TOTP MFA factors can be verified with this method", ErrInvalid)
	case f.Status == MFADisabled:
		return mfaErr("Disabled MFA factors cannot be verified", ErrNotAllowed)
	}
	return nil
}

// factorEntry is the audit entry of action on the factor f.
func factorEntry(action audit.Action, outcome audit.Outcome, reason audit.Reason, f *MFAFactor) audit.Entry {
	return audit.Entry{Action: action, Outcome: outcome, Reason: reason, AuthIdentityID: f.AuthIdentityID,
		Details: map[string]string{"mfa_id": f.ID, "method": f.Provider}}
}

func factorEvent(name string, f *MFAFactor) event.Event {
	return event.Event{Name: name, Data: map[string]any{"auth_identity_id": f.AuthIdentityID, "mfa_id": f.ID, "provider": f.Provider}}
}

// storedFactor returns the MFA store and the factor id, owned by
// authIdentityID when that is set.
func (s *Service) storedFactor(ctx context.Context, factorID, authIdentityID string) (MFAStore, *MFAFactor, error) {
	ms, err := s.mfaStore()
	if err != nil {
		return nil, nil, err
	}
	f, err := s.factor(ctx, ms, factorID, authIdentityID)
	if err != nil {
		return nil, nil, err
	}
	return ms, f, nil
}

// lockedFactor reads the factor id locked, in the caller's unit of work.
func lockedFactor(ctx context.Context, ms MFAStore, factorID string) (*MFAFactor, error) {
	found, err := ms.ListMFAFactors(ctx, MFAFactorFilter{IDs: []string{factorID}}, store.ListOptions{Lock: true})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, factorNotFound(factorID)
	}
	return found[0], nil
}

// factor returns the factor id, owned by authIdentityID when that is set.
func (s *Service) factor(ctx context.Context, ms MFAStore, factorID, authIdentityID string) (*MFAFactor, error) {
	if factorID == "" {
		return nil, factorNotFound(factorID)
	}
	f := MFAFactorFilter{IDs: []string{factorID}}
	if authIdentityID != "" {
		f.AuthIdentityIDs = []string{authIdentityID}
	}
	found, err := ms.ListMFAFactors(ctx, f, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, factorNotFound(factorID)
	}
	return found[0], nil
}

// RetrieveMFA returns the factor with id (Medusa's retrieveAuthMfa),
// owned by authIdentityID when that is not empty; otherwise it is not
// found.
func (s *Service) RetrieveMFA(ctx context.Context, factorID, authIdentityID string) (*MFAFactor, error) {
	_, f, err := s.storedFactor(ctx, factorID, authIdentityID)
	if err != nil {
		return nil, err
	}
	return cloneFactor(f), nil
}

// ListMFA returns the factors matching f (Medusa's listAuthMfa), in the
// order they were made.
func (s *Service) ListMFA(ctx context.Context, f MFAFactorFilter) ([]*MFAFactor, error) {
	ms, err := s.mfaStore()
	if err != nil {
		return nil, err
	}
	found, err := ms.ListMFAFactors(ctx, f, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i, x := range found {
		found[i] = cloneFactor(x)
	}
	return found, nil
}

// DisableMFAParams is the input of DisableMFA (Medusa's DisableAuthMfaDTO).
type DisableMFAParams struct {
	// ID is the factor's.
	ID string
	// AuthIdentityID, when set, must own the factor (else it is not
	// found).
	AuthIdentityID string
	// Method and Code prove the second factor under the "challenge"
	// policy: "totp" and a TOTP code, or "recovery_code" and a recovery
	// code (which is used up).
	Method, Code string
}

// DisableMFA disables a factor (Medusa's disableAuthMfa) and emits
// auth.mfa_disabled when it was not disabled already. Under the
// MFADisableChallenge policy an enabled factor needs Method and Code
// ("MFA verification code is required to disable MFA"; a wrong one is
// "Invalid MFA verification code"), throttled as challenge attempts are.
func (s *Service) DisableMFA(ctx context.Context, p DisableMFAParams) (*MFAFactor, error) {
	ms, f, err := s.storedFactor(ctx, p.ID, p.AuthIdentityID)
	if err != nil {
		return nil, err
	}
	if f.Status == MFAEnabled && s.mfa.policy == MFADisableChallenge {
		if p.Method == "" || p.Code == "" {
			return nil, mfaErr("MFA verification code is required to disable MFA", ErrInvalid)
		}
		ok, err := s.proveMFA(ctx, ms, f.AuthIdentityID, p.Method, p.Code, true)
		if err != nil {
			return nil, err
		}
		if !ok {
			s.recordLater(ctx, factorEntry(audit.ActionMFADisable, audit.Failure, audit.ReasonInvalidCode, f))
			return nil, mfaErr("Invalid MFA verification code", ErrNotAllowed, ErrMFACode)
		}
	}
	var out *MFAFactor
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		if out, err = lockedFactor(ctx, ms, f.ID); err != nil {
			return err
		}
		if out.Status == MFADisabled {
			return nil
		}
		out.Status, out.UpdatedAt = MFADisabled, s.clock()
		if err := ms.UpdateMFAFactor(ctx, out); err != nil {
			return err
		}
		if err := s.record(ctx, factorEntry(audit.ActionMFADisable, audit.Success, "", out)); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, factorEvent(EventMFADisabled, out)); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cloneFactor(out), nil
}

// proveMFA checks a code of method for the identity: a TOTP code of its
// enabled TOTP factor, or one of its recovery codes (used up when it
// matches). With throttled, the attempt counts towards the identity's MFA
// throttle. An unknown method is an invalid-data error.
func (s *Service) proveMFA(ctx context.Context, ms MFAStore, authIdentityID, method, code string, throttled bool) (bool, error) {
	if method != MFAMethodTOTP && method != MFAMethodRecoveryCode {
		return false, mfaErr(fmt.Sprintf("MFA method %q is not supported", method), ErrInvalid)
	}
	if method == MFAMethodTOTP {
		if _, err := s.totpKey(); err != nil {
			return false, err
		}
	}
	var att *throttle.Attempt
	if throttled {
		a, err := s.throttle.MFA(ctx, authIdentityID)
		if err != nil {
			return false, err
		}
		att = a
	}
	var ok bool
	var err error
	if method == MFAMethodTOTP {
		ok, err = s.acceptTOTP(ctx, ms, code, func(ctx context.Context) (*MFAFactor, error) {
			found, err := ms.ListMFAFactors(ctx, MFAFactorFilter{AuthIdentityIDs: []string{authIdentityID}, Providers: []string{MFAMethodTOTP}, Statuses: []string{MFAEnabled}}, store.ListOptions{Lock: true})
			if err != nil || len(found) == 0 {
				return nil, err
			}
			return found[0], nil
		}, nil)
	} else {
		ok, err = s.useRecoveryCode(ctx, ms, authIdentityID, code)
	}
	if throttled {
		s.settleMFA(ctx, att, ok, err)
	}
	return ok, err
}

// totpStepKey is the provider_metadata key of the replay guard: the last
// time step a code of the factor was accepted for.
const totpStepKey = "clientele_totp_step"

// acceptTOTP checks code against the factor pick returns (read locked, in
// a unit of work; nil: no factor, so no match). When the code is that of a
// time step later than the last one accepted, it records the step and
// lets then change the factor before it is written: a code is accepted
// once, and of concurrent uses of one code exactly one is.
func (s *Service) acceptTOTP(ctx context.Context, ms MFAStore, code string, pick func(context.Context) (*MFAFactor, error), then func(context.Context, *MFAFactor) error) (bool, error) {
	key, err := s.totpKey()
	if err != nil {
		return false, err
	}
	if !s.mfa.totp.wellFormed(code) {
		return false, nil
	}
	ok := false
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		f, err := pick(ctx)
		if err != nil || f == nil {
			return err
		}
		enc, _ := f.ProviderMetadata["secret"].(string)
		secret, err := decryptSecret(enc, key)
		if err != nil {
			return fmt.Errorf("auth: MFA factor %s: %w", f.ID, err)
		}
		step, match, err := s.mfa.totp.match(secret, code, s.now(), lastStep(f.ProviderMetadata))
		if err != nil {
			return fmt.Errorf("auth: MFA factor %s: %w", f.ID, err)
		}
		if !match {
			return nil
		}
		ok = true
		f.ProviderMetadata = meta.Clone(f.ProviderMetadata)
		f.ProviderMetadata[totpStepKey] = float64(step)
		f.UpdatedAt = s.clock()
		if then != nil {
			if err := then(ctx, f); err != nil {
				return err
			}
		}
		return ms.UpdateMFAFactor(ctx, f)
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}

// lastStep reads the replay guard's step (-1: none).
func lastStep(pm map[string]any) int64 {
	switch v := pm[totpStepKey].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return -1
}

// settleMFA reports to the throttle how a code check ended.
func (s *Service) settleMFA(ctx context.Context, att *throttle.Attempt, ok bool, err error) {
	var terr error
	switch {
	case err != nil:
		terr = att.Cancel(ctx)
	case ok:
		terr = att.Succeed(ctx)
	default:
		terr = att.Fail(ctx)
	}
	if terr != nil {
		s.logger.ErrorContext(ctx, "clientele: MFA throttle counter not updated", "err", terr.Error())
	}
}

// cloneFactor returns a copy of f.
func cloneFactor(f *MFAFactor) *MFAFactor {
	cp := *f
	cp.ProviderMetadata = meta.Clone(f.ProviderMetadata)
	cp.Metadata = meta.Clone(f.Metadata)
	if f.DeletedAt != nil {
		d := *f.DeletedAt
		cp.DeletedAt = &d
	}
	return &cp
}

// insertFactor inserts f, in one unit of work with then, unless the
// identity already has a pending or enabled factor of f's provider (kind
// names it in the error): an identity has at most one of each.
func (s *Service) insertFactor(ctx context.Context, ms MFAStore, f *MFAFactor, kind string, then func(ctx context.Context) error) error {
	active := mfaErr("An active "+kind+" factor already exists for this auth identity", ErrNotAllowed)
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := ms.ListMFAFactors(ctx, MFAFactorFilter{AuthIdentityIDs: []string{f.AuthIdentityID}, Providers: []string{f.Provider},
			Statuses: []string{MFAPending, MFAEnabled}}, store.ListOptions{})
		if err != nil {
			return err
		}
		if len(found) > 0 {
			return active
		}
		if err := ms.InsertMFAFactor(ctx, f); err != nil {
			return err
		}
		return then(ctx)
	})
	if errors.Is(err, store.ErrConflict) {
		return active
	}
	return err
}
