package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/store"
)

// ---- challenges ----

// mfaChallengePrefix is the id prefix of challenges (Medusa's).
const mfaChallengePrefix = "authmfachal"

// CreateMFAChallengeParams is the input of CreateMFAChallenge (Medusa's
// CreateAuthMfaChallengeDTO).
type CreateMFAChallengeParams struct {
	AuthIdentityID string
	// AuthProvider is the provider of the login the challenge completes.
	AuthProvider string
	Metadata     map[string]any
}

// CreateMFAChallenge opens a challenge for the identity (Medusa's
// createAuthMfaChallenge): its methods are the enabled factors' ("totp")
// and "recovery_code" when the identity has recovery codes; an identity
// with no enabled factor is refused ("Auth identity does not have any
// enabled MFA methods"). A challenge for a passkey login (AuthProvider
// "passkey") does not offer the passkey method: one passkey is never both
// factors; with nothing else to offer it fails with
// ErrPasskeyNotBothFactors. It lives MFAConfig.ChallengeTTL and takes
// MFAConfig.ChallengeMaxAttempts wrong codes. A login of an identity with
// MFA on opens one itself ([Service.LoginToken]).
func (s *Service) CreateMFAChallenge(ctx context.Context, p CreateMFAChallengeParams) (*MFAChallenge, error) {
	ms, err := s.mfaStore()
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
	if _, err := s.RetrieveAuthIdentity(ctx, p.AuthIdentityID, store.FindOptions{}); err != nil {
		return nil, err
	}
	methods, err := s.mfaMethods(ctx, ms, p.AuthIdentityID)
	if err != nil {
		return nil, err
	}
	if len(methods) == 0 {
		return nil, mfaErr("Auth identity does not have any enabled MFA methods", ErrNotAllowed)
	}
	return s.openChallenge(ctx, ms, p.AuthIdentityID, p.AuthProvider, methods, md)
}

// openChallenge opens a challenge of the identity's methods for a login
// with authProvider. A passkey login is the first factor: its challenge
// does not offer a passkey, since one passkey (a security key without a
// PIN, say) must not be both factors; with nothing else to offer it fails
// with ErrPasskeyNotBothFactors. (A passkey login that verified the user
// is multi-factor by itself and opens no challenge.)
func (s *Service) openChallenge(ctx context.Context, ms MFAStore, authIdentityID, authProvider string, methods []string, md map[string]any) (*MFAChallenge, error) {
	if authProvider == MFAMethodPasskey {
		methods = slices.DeleteFunc(slices.Clone(methods), func(m string) bool { return m == MFAMethodPasskey })
		if len(methods) == 0 {
			return nil, ErrPasskeyNotBothFactors
		}
	}
	now := s.clock()
	c := &MFAChallenge{
		ID: id.New(mfaChallengePrefix), AuthIdentityID: authIdentityID, AuthProvider: authProvider, Methods: methods,
		ExpiresAt: now.Add(s.mfa.ttl), MaxAttempts: s.mfa.attempts, Metadata: md, CreatedAt: now,
	}
	if err := ms.InsertMFAChallenge(ctx, c, now); err != nil {
		return nil, identityDom.Classify(err)
	}
	return cloneChallenge(c), nil
}

// mfaMethods returns what a challenge of the identity offers: the
// providers of its enabled factors that clientele verifies ("totp", then
// "passkey"), then "recovery_code" when it has recovery codes and at
// least one such factor. None: MFA is off for the identity.
func (s *Service) mfaMethods(ctx context.Context, ms MFAStore, authIdentityID string) ([]string, error) {
	factors, err := ms.ListMFAFactors(ctx, MFAFactorFilter{AuthIdentityIDs: []string{authIdentityID}, Statuses: []string{MFAEnabled}}, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	var methods []string
	for _, m := range []string{MFAMethodTOTP, MFAMethodPasskey} {
		for _, f := range factors {
			if f.Provider == m {
				methods = append(methods, m)
				break
			}
		}
	}
	if len(methods) == 0 {
		return nil, nil
	}
	codes, err := ms.ListRecoveryCodes(ctx, authIdentityID)
	if err != nil {
		return nil, err
	}
	if len(codes) > 0 {
		methods = append(methods, MFAMethodRecoveryCode)
	}
	return methods, nil
}

// VerifyMFAChallengeParams is the input of VerifyMFAChallenge (Medusa's
// VerifyAuthMfaChallengeDTO).
type VerifyMFAChallengeParams struct {
	ID string
	// Method is one of the challenge's methods; Code a code of it.
	Method, Code string
	// AuthIdentityID, when set, must own the challenge (else it is not
	// found, and is left as it was).
	AuthIdentityID string
}

// VerifyMFAChallenge completes a challenge with a code (Medusa's
// verifyAuthMfaChallenge) and returns it with CompletedAt set. A
// completed, expired or exhausted challenge is refused (ErrMFAChallengeClosed
// with Medusa's messages), as is a method it does not offer. A wrong code
// counts an attempt ("Invalid MFA challenge code", or "MFA challenge has
// too many failed attempts" at the last one), and a failure of the
// identity's MFA throttle ([WithThrottle]); attempts are counted before
// the code is checked, so concurrent guesses get no more checks than
// allowed. A recovery code is used up; a TOTP code is accepted once.
//
// [Service.CompleteMFALogin] verifies a challenge and issues the login's
// full token.
func (s *Service) VerifyMFAChallenge(ctx context.Context, p VerifyMFAChallengeParams) (*MFAChallenge, error) {
	var providerID string
	c, err := s.verifyMFAChallenge(ctx, p, &providerID)
	s.observe(ctx, OpMFAChallenge, providerID, time.Time{}, err)
	return c, err
}

// verifyMFAChallenge is VerifyMFAChallenge, unobserved; it sets
// *providerID to the challenge's provider once it has found it.
func (s *Service) verifyMFAChallenge(ctx context.Context, p VerifyMFAChallengeParams, providerID *string) (*MFAChallenge, error) {
	ms, err := s.mfaStore()
	if err != nil {
		return nil, err
	}
	c, err := ms.GetMFAChallenge(ctx, p.ID, false)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.AuthIdentityID != "" && c.AuthIdentityID != p.AuthIdentityID) {
		return nil, challengeNotFound(p.ID)
	}
	if err != nil {
		return nil, err
	}
	*providerID = c.AuthProvider
	if err := s.challengeOpen(c, p.Method); err != nil {
		return nil, err
	}
	att, err := s.throttle.MFA(ctx, c.AuthIdentityID)
	if err != nil {
		return nil, err
	}
	// Reserve the attempt: counted as a failure before the code is
	// checked, taken back when it is right (or the check fails).
	attempts := 0
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		c, err := ms.GetMFAChallenge(ctx, p.ID, true)
		if err != nil {
			return err
		}
		if err := s.challengeOpen(c, p.Method); err != nil {
			return err
		}
		c.Attempts++
		attempts = c.Attempts
		return ms.UpdateMFAChallenge(ctx, c)
	})
	if err != nil {
		s.settleMFA(ctx, att, false, err)
		return nil, err
	}
	var ok bool
	if p.Method == MFAMethodPasskey {
		ok, err = s.provePasskey(ctx, c, p.Code)
	} else {
		ok, err = s.proveMFA(ctx, ms, c.AuthIdentityID, p.Method, p.Code, false)
	}
	s.settleMFA(ctx, att, ok, err)
	if !ok || err != nil {
		if err != nil {
			// Not the client's failure: the attempt is taken back.
			_ = s.takeBackAttempt(context.WithoutCancel(ctx), ms, p.ID)
			return nil, err
		}
		s.recordLater(ctx, challengeEntry(audit.Failure, audit.ReasonInvalidCode, c, p.Method))
		if attempts >= c.MaxAttempts {
			return nil, mfaErr("MFA challenge has too many failed attempts", ErrNotAllowed, ErrMFACode, ErrMFAChallengeClosed)
		}
		return nil, mfaErr("Invalid MFA challenge code", ErrNotAllowed, ErrMFACode)
	}
	var out *MFAChallenge
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		c, err := ms.GetMFAChallenge(ctx, p.ID, true)
		if err != nil {
			return err
		}
		if c.CompletedAt != nil {
			// Completed meanwhile with another code.
			return mfaErr("MFA challenge has already been completed", ErrNotAllowed, ErrMFAChallengeClosed)
		}
		now := s.clock()
		c.CompletedAt = &now
		c.Attempts = max(0, c.Attempts-1)
		out = c
		if err := ms.UpdateMFAChallenge(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, challengeEntry(audit.Success, "", c, p.Method))
	})
	if err != nil {
		return nil, err
	}
	return cloneChallenge(out), nil
}

// challengeEntry is the audit entry of an answer to the challenge c.
func challengeEntry(outcome audit.Outcome, reason audit.Reason, c *MFAChallenge, method string) audit.Entry {
	return audit.Entry{Action: audit.ActionMFAChallenge, Outcome: outcome, Reason: reason, AuthIdentityID: c.AuthIdentityID,
		Provider: c.AuthProvider, Details: map[string]string{"challenge_id": c.ID, "method": method}}
}

// takeBackAttempt takes back an attempt reserved on a challenge.
func (s *Service) takeBackAttempt(ctx context.Context, ms MFAStore, challengeID string) error {
	return s.st.InTx(ctx, func(ctx context.Context) error {
		c, err := ms.GetMFAChallenge(ctx, challengeID, true)
		if err != nil {
			return err
		}
		c.Attempts = max(0, c.Attempts-1)
		return ms.UpdateMFAChallenge(ctx, c)
	})
}

// challengeOpen refuses a challenge that cannot be verified with method,
// with Medusa's messages, in Medusa's order.
func (s *Service) challengeOpen(c *MFAChallenge, method string) error {
	switch {
	case c.CompletedAt != nil:
		return mfaErr("MFA challenge has already been completed", ErrNotAllowed, ErrMFAChallengeClosed)
	case !s.clock().Before(c.ExpiresAt):
		return mfaErr("MFA challenge has expired", ErrNotAllowed, ErrMFAChallengeClosed)
	case c.Attempts >= c.MaxAttempts:
		return mfaErr("MFA challenge has too many failed attempts", ErrNotAllowed, ErrMFAChallengeClosed)
	case !slices.Contains(c.Methods, method):
		return mfaErr(fmt.Sprintf("MFA challenge does not support method %q", method), ErrInvalid)
	}
	return nil
}

func cloneChallenge(c *MFAChallenge) *MFAChallenge {
	cp := *c
	cp.Methods = append([]string(nil), c.Methods...)
	cp.Metadata = meta.Clone(c.Metadata)
	if c.CompletedAt != nil {
		t := *c.CompletedAt
		cp.CompletedAt = &t
	}
	return &cp
}

// ---- recovery codes ----

// GenerateMFARecoveryCodes replaces the identity's recovery codes with
// count new ones (Medusa's generateAuthMfaRecoveryCodes; 0: the
// configured count, 10 by default; 1 to 50) and returns them, once: only
// their hashes are stored (scrypt-kdf, Medusa's format). A code is 16
// random bytes in hex, in groups of four joined by "-". It emits
// auth.mfa_recovery_codes_generated. The codes are hashed before the
// store is written, in parallel.
func (s *Service) GenerateMFARecoveryCodes(ctx context.Context, authIdentityID string, count int) ([]string, error) {
	ms, err := s.mfaStore()
	if err != nil {
		return nil, err
	}
	if count == 0 {
		count = s.mfa.codes
	}
	if count < 1 || count > MaxMFARecoveryCodes {
		return nil, mfaErr(fmt.Sprintf("Recovery code count must be between 1 and %d", MaxMFARecoveryCodes), ErrInvalid)
	}
	if _, err := s.RetrieveAuthIdentity(ctx, authIdentityID, store.FindOptions{}); err != nil {
		return nil, err
	}
	codes := make([]string, count)
	for i := range codes {
		if codes[i], err = newRecoveryCode(); err != nil {
			return nil, err
		}
	}
	hashes, err := s.hashRecoveryCodes(codes)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	rows := make([]*RecoveryCode, count)
	for i, h := range hashes {
		rows[i] = &RecoveryCode{ID: id.New("authmfarec"), AuthIdentityID: authIdentityID, CodeHash: h, CreatedAt: now, UpdatedAt: now}
	}
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		if err := ms.ReplaceRecoveryCodes(ctx, authIdentityID, rows); err != nil {
			return identityDom.Classify(err)
		}
		if err := s.record(ctx, audit.Entry{Action: audit.ActionRecoveryCodes, Outcome: audit.Success, AuthIdentityID: authIdentityID,
			Details: map[string]string{"count": strconv.Itoa(count)}}); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, event.Event{Name: EventMFARecoveryCodesGenerated, Data: map[string]any{"auth_identity_id": authIdentityID, "count": count}}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// newRecoveryCode returns 16 random bytes in hex, "xxxx-xxxx-…" (39
// characters).
func newRecoveryCode() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	h := hex.EncodeToString(b[:])
	parts := make([]string, 0, 8)
	for i := 0; i < len(h); i += 4 {
		parts = append(parts, h[i:i+4])
	}
	return strings.Join(parts, "-"), nil
}

// normalizeRecoveryCode is Medusa's code.trim().toLowerCase(); the trim
// also drops U+FEFF, as JavaScript's does.
func normalizeRecoveryCode(code string) string {
	return strings.ToLower(strings.TrimFunc(code, func(r rune) bool {
		return r == '\uFEFF' || strings.ContainsRune(" \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000", r)
	}))
}

// hashRecoveryCodes hashes the normalised codes, a few at a time (each
// scrypt at Medusa's parameters takes 32 MiB).
func (s *Service) hashRecoveryCodes(codes []string) ([]string, error) {
	out := make([]string, len(codes))
	errs := make([]error, len(codes))
	sem := make(chan struct{}, min(runtime.GOMAXPROCS(0), 4))
	var wg sync.WaitGroup
	for i, c := range codes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = s.mfa.hasher.Hash([]byte(normalizeRecoveryCode(c)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("auth: hash recovery codes: %w", err)
	}
	return out, nil
}

// maxRecoveryCodeLen bounds the codes worth hashing: a longer one cannot
// match (and would cost a key derivation per stored code for nothing).
const maxRecoveryCodeLen = 256

// UseMFARecoveryCode uses up one of the identity's recovery codes
// (Medusa's useAuthMfaRecoveryCode): the code (trimmed, any case) is
// checked against each stored hash and the matching one deleted; none is
// "Recovery code is invalid or already used". Of concurrent uses of one
// code exactly one succeeds. Attempts are throttled per identity
// ([WithThrottle]).
func (s *Service) UseMFARecoveryCode(ctx context.Context, authIdentityID, code string) error {
	ms, err := s.mfaStore()
	if err != nil {
		return err
	}
	ok, err := s.proveMFA(ctx, ms, authIdentityID, MFAMethodRecoveryCode, code, true)
	if err != nil {
		return err
	}
	if !ok {
		s.recordLater(ctx, audit.Entry{Action: audit.ActionRecoveryCodeUsed, Outcome: audit.Failure, Reason: audit.ReasonInvalidCode, AuthIdentityID: authIdentityID})
		return mfaErr("Recovery code is invalid or already used", ErrNotAllowed, ErrMFACode)
	}
	return nil
}

// useRecoveryCode checks code against the identity's recovery codes and
// deletes the one it matches. No lock is held while hashing: the delete
// decides between concurrent uses.
func (s *Service) useRecoveryCode(ctx context.Context, ms MFAStore, authIdentityID, code string) (bool, error) {
	norm := normalizeRecoveryCode(code)
	if norm == "" || len(norm) > maxRecoveryCodeLen {
		return false, nil
	}
	codes, err := ms.ListRecoveryCodes(ctx, authIdentityID)
	if err != nil {
		return false, err
	}
	for _, rc := range codes {
		ok, err := s.mfa.hasher.Verify(rc.CodeHash, []byte(norm))
		if err != nil {
			s.logger.WarnContext(ctx, "clientele: unreadable recovery code hash", "id", rc.ID, "err", err.Error())
			continue
		}
		if !ok {
			continue
		}
		var used bool
		err = s.st.InTx(ctx, func(ctx context.Context) error {
			used, err = ms.DeleteRecoveryCode(ctx, rc.ID)
			if err != nil || !used {
				return err
			}
			return s.record(ctx, audit.Entry{Action: audit.ActionRecoveryCodeUsed, Outcome: audit.Success, AuthIdentityID: authIdentityID})
		})
		return used, err
	}
	return false, nil
}

// ---- the login's second step ----

// mfaPendingClaims turns the claims of a full token into those of a login
// that must still complete its challenge: actorless (no actor_id, no
// "<actor_type>_id" in app_metadata) with mfa_enabled, as Medusa's.
func mfaPendingClaims(c Claims, actorType string) Claims {
	c.ActorID = ""
	am := make(map[string]any, len(c.AppMetadata))
	for k, v := range c.AppMetadata {
		if k != actorType+"_id" {
			am[k] = v
		}
	}
	c.AppMetadata = am
	c.MFAEnabled, c.MFAChallengeCompletedAt = true, nil
	return c
}

// mfaLoginToken is LoginToken once no verification is pending: what a
// login of identity as actorType with providerID answers (Medusa's
// generateJwtTokenWithChecks, MFA part): the full token
// (Token) when the identity has no enabled MFA factor; otherwise an
// actorless token with mfa_enabled and no completion, and a new challenge
// (Login.MFAChallenge) that [Service.CompleteMFALogin] completes. Login and
// LoginCallback answer through it; a host that calls Authenticate itself
// should too, since Token does not apply MFA.
//
// A login whose proof was multi-factor by itself (multiFactor: a passkey
// with user verification) opens no challenge: its token has MFA completed
// now. A passkey login without it is one factor, and its challenge does
// not offer the passkey method: an identity whose only second factor is
// a passkey (and that has no recovery codes left) gets
// ErrPasskeyNotBothFactors, and logs in with its password, or with a
// passkey that verifies the user.
func (s *Service) mfaLoginToken(ctx context.Context, identity *AuthIdentity, actorType, providerID string, multiFactor bool) (*Login, error) {
	c, err := s.tokenClaims(identity, actorType, providerID)
	if err != nil {
		return nil, err
	}
	l := &Login{Identity: identity}
	if ms := s.mfa.st; ms != nil {
		methods, err := s.mfaMethods(ctx, ms, identity.ID)
		if err != nil {
			return nil, err
		}
		if len(methods) > 0 && multiFactor {
			c.MFAEnabled, c.MFAChallengeCompletedAt = true, &ISOTime{s.clock()}
		} else if len(methods) > 0 {
			// A passkey login without user verification gets no
			// passkey method (openChallenge).
			if l.MFAChallenge, err = s.openChallenge(ctx, ms, identity.ID, providerID, methods, nil); err != nil {
				return nil, err
			}
			c = mfaPendingClaims(c, actorType)
		}
	}
	if l.Token, err = s.tokens.issue(c, true); err != nil {
		return nil, err
	}
	return l, nil
}

// refuseMFA fails with ErrMFARequired when the identity has MFA on: for
// the paths that would issue a full token without a login's challenge
// (RegisterThen answering an existing identity).
func (s *Service) refuseMFA(ctx context.Context, identity *AuthIdentity) error {
	if s.mfa.st == nil || identity == nil {
		return nil
	}
	methods, err := s.mfaMethods(ctx, s.mfa.st, identity.ID)
	if err != nil {
		return err
	}
	if len(methods) > 0 {
		return ErrMFARequired
	}
	return nil
}

// CompleteMFALogin completes the MFA challenge of a login (the route
// POST /auth/mfa/challenges/{id}/verify): c are the verified claims of
// the login's actorless token, whose identity must own the challenge. It
// verifies the code (VerifyMFAChallenge) and issues the full token of the
// identity as c's actor type, with mfa_enabled and
// mfa_challenge_completed_at set. The provider is c's, or the
// challenge's; the identity must still have a provider identity of it.
func (s *Service) CompleteMFALogin(ctx context.Context, c *Claims, challengeID, method, code string) (*Login, error) {
	if c == nil || c.AuthIdentityID == "" {
		return nil, challengeNotFound(challengeID)
	}
	ch, err := s.VerifyMFAChallenge(ctx, VerifyMFAChallengeParams{ID: challengeID, Method: method, Code: code, AuthIdentityID: c.AuthIdentityID})
	if err != nil {
		return nil, err
	}
	identity, err := s.RetrieveAuthIdentity(ctx, ch.AuthIdentityID, store.FindOptions{})
	if err != nil {
		return nil, err
	}
	providerID := orDefault(c.AuthProvider, ch.AuthProvider)
	if ch.AuthProvider != "" && identity.Provider(ch.AuthProvider) == nil {
		return nil, mfaErr(fmt.Sprintf("Auth identity does not have a provider identity for %q", ch.AuthProvider), ErrInvalid)
	}
	// A verification still pending keeps the token actorless: the
	// challenge completes the MFA step, never the verification.
	holder := identity
	if c.ActorID == "" {
		_, pending, err := s.PendingVerification(ctx, identity, c.ActorType, providerID)
		if err != nil {
			return nil, err
		}
		if pending {
			holder = withoutActor(identity, c.ActorType)
		}
	}
	tok, err := s.mfaToken(holder, c.ActorType, providerID, *ch.CompletedAt)
	if err != nil {
		return nil, err
	}
	return &Login{Identity: identity, Token: tok, MFAChallenge: ch}, nil
}

// mfaToken issues the full token of a login whose MFA challenge was
// completed at completedAt; its login time is now. Without a provider it
// carries no auth_provider and empty user_metadata, as Medusa's.
func (s *Service) mfaToken(identity *AuthIdentity, actorType, providerID string, completedAt time.Time) (string, error) {
	var c Claims
	var err error
	if providerID == "" {
		if err := s.checkActor(actorType, ""); err != nil {
			return "", err
		}
		c = Claims{ActorID: identity.ActorID(actorType), ActorType: actorType, AuthIdentityID: identity.ID, AppMetadata: map[string]any{}}
		for k, v := range identity.AppMetadata {
			if v != nil {
				c.AppMetadata[k] = v
			}
		}
	} else if c, err = s.tokenClaims(identity, actorType, providerID); err != nil {
		return "", err
	}
	c.MFAEnabled, c.MFAChallengeCompletedAt = true, &ISOTime{completedAt}
	return s.tokens.issue(c, true)
}

// ReissueAfterMFA issues, for the verified claims c of a request, the
// token of the same identity, actor type and provider as one whose MFA was
// completed now: what a client needs after enabling a factor
// ([Service.VerifyMFA]), which ended its earlier tokens. Its login time is
// now (the revocation ended every earlier login); httpapi asks for a
// recent login before a factor is enabled, so that this never makes an
// old stolen session recent. It is actorless when c is. It fails when the identity has no
// enabled factor.
func (s *Service) ReissueAfterMFA(ctx context.Context, c *Claims) (string, error) {
	ms, err := s.mfaStore()
	if err != nil {
		return "", err
	}
	identity, err := s.RetrieveAuthIdentity(ctx, c.AuthIdentityID, store.FindOptions{})
	if err != nil {
		return "", err
	}
	methods, err := s.mfaMethods(ctx, ms, identity.ID)
	if err != nil {
		return "", err
	}
	if len(methods) == 0 {
		return "", mfaErr("Auth identity does not have any enabled MFA methods", ErrNotAllowed)
	}
	// An actorless token (a registration, or a login held back by a
	// verification) gets an actorless one: enrolling a factor proves the
	// factor, not the email.
	if c.ActorID == "" {
		identity = withoutActor(identity, c.ActorType)
	}
	return s.mfaToken(identity, c.ActorType, c.AuthProvider, s.clock())
}
