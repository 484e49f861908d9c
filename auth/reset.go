package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

func invalidToken() error {
	return &provider.Error{Message: "Invalid token", Kind: ErrInvalidToken}
}

func hashJTI(jti string) string {
	sum := sha256.Sum256([]byte(jti))
	return hex.EncodeToString(sum[:])
}

func randomJTI() string { return rand.Text() }

// RequestPasswordReset makes a single-use reset token for the identity
// that logs in with (providerID, entityID) and sends it to the event sink
// as auth.password_reset, for the host to e-mail. A newer token replaces
// older ones. An unknown entity is not an error and emits nothing; it does
// comparable work, so timing does not tell whether the identity exists.
//
// metadata goes to the event as it is (Medusa's reset request carries
// it). Whoever asks for the reset sets it: a mailer must never build the
// reset link from it, or a link to the asker's site hands them the
// victim's token; build the link from configuration.
func (s *Service) RequestPasswordReset(ctx context.Context, actorType, providerID, entityID string, metadata map[string]any) error {
	err := s.requestPasswordReset(ctx, actorType, providerID, entityID, metadata)
	s.observe(ctx, OpPasswordResetRequest, providerID, time.Time{}, err)
	return err
}

// requestPasswordReset is RequestPasswordReset, unobserved.
func (s *Service) requestPasswordReset(ctx context.Context, actorType, providerID, entityID string, metadata map[string]any) error {
	if entityID == "" {
		return identityDom.Public("identifier", "Field 'identifier' is required")
	}
	if actorType == "" {
		return identityDom.Invalidf("actor_type", "is required")
	}
	p, err := s.provider(providerID, actorType)
	if err != nil {
		return err
	}
	// Throttling (WithThrottle): counted by the identifier as given,
	// before looking it up, so known and unknown ones are refused alike.
	if err := s.throttle.ResetRequest(ctx, providerID, entityID); err != nil {
		return err
	}
	ids := &identities{s: s, provider: p}
	now := s.clock()
	jti := randomJTI()
	claims := ResetClaims{
		EntityID: entityID, Provider: providerID, ActorType: actorType,
		RegisteredClaims: jwt.RegisteredClaims{ID: jti},
	}
	pi, err := ids.find(ctx, entityID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// Spend what the known path spends: a signature and a unit of
		// work that writes a row durably (a decoy state, written and
		// taken back, so the commit waits for the log as the known
		// path's does) and looks a reset token up.
		if _, err := s.tokens.IssueReset(claims); err != nil {
			return err
		}
		return s.st.InTx(ctx, func(ctx context.Context) error {
			// The request is recorded, without an identity, as the known
			// path records its own.
			if err := s.record(ctx, audit.Entry{Action: audit.ActionPasswordResetRequest, Outcome: audit.Failure,
				Reason: audit.ReasonInvalidCredentials, Provider: providerID}); err != nil {
				return err
			}
			key := "decoy:" + hashJTI(jti)
			if err := s.st.PutState(ctx, key, nil, now.Add(time.Minute)); err != nil {
				return err
			}
			if _, err := s.st.TakeResetToken(ctx, hashJTI(jti)); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if _, err := s.st.TakeState(ctx, key, now); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return nil
		})
	}
	claims.EntityID = pi.EntityID
	token, err := s.tokens.IssueReset(claims)
	if err != nil {
		return err
	}
	rt := &ResetToken{
		ID: id.New(id.ResetToken), AuthIdentityID: pi.AuthIdentityID, ProviderIdentityID: pi.ID,
		EntityID: pi.EntityID, TokenHash: hashJTI(jti), ExpiresAt: now.Add(s.tokens.resetTTL()),
		CreatedAt: now, UpdatedAt: now,
	}
	return s.st.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.ReplaceResetToken(ctx, rt); err != nil {
			return err
		}
		if err := s.record(ctx, audit.Entry{Action: audit.ActionPasswordResetRequest, Outcome: audit.Success,
			AuthIdentityID: pi.AuthIdentityID, ActorType: actorType, Provider: providerID}); err != nil {
			return err
		}
		if metadata == nil {
			metadata = map[string]any{}
		}
		// Delivered after the answer, never inside it: a sink that mails
		// the token must not make a known email slower than an unknown.
		if err := s.events.EmitDetached(ctx, event.Event{Name: EventPasswordReset, Secret: true, Data: map[string]any{
			"entity_id": pi.EntityID, "actor_type": actorType, "provider": providerID,
			"token": token, "metadata": metadata,
		}}); err != nil {
			return err
		}
		return nil
	})
}

// ResetPassword updates the credentials of the identity a reset token was
// made for (emailpass: data {"password": …}). The token must have been
// made for actorType and providerID; it works once. Any problem with the
// token is ErrInvalidToken ("Invalid token"). The new password is checked
// against the provider's policy first and hashed outside any unit of
// work; the token is then spent in the unit of work that stores the new
// credentials, so the token is spent exactly when the password changed:
// a storage failure leaves both as they were, and the same token can be
// used again.
func (s *Service) ResetPassword(ctx context.Context, actorType, providerID, token string, data map[string]any) (*Result, error) {
	res, err := s.resetPassword(ctx, actorType, providerID, token, data)
	s.observe(ctx, OpPasswordReset, providerID, time.Time{}, err)
	return res, err
}

// resetPassword is ResetPassword, unobserved.
func (s *Service) resetPassword(ctx context.Context, actorType, providerID, token string, data map[string]any) (*Result, error) {
	c, err := s.tokens.VerifyReset(token)
	if err != nil {
		return nil, invalidToken()
	}
	if c.ActorType != actorType || c.Provider != providerID {
		return nil, invalidToken()
	}
	p, err := s.provider(providerID, actorType)
	if err != nil {
		return nil, err
	}
	u, ok := p.(provider.Updater)
	if !ok {
		return nil, notSupported(providerID, "Method 'update' not implemented for provider "+providerID)
	}
	in := maps.Clone(data)
	if in == nil {
		in = map[string]any{}
	}
	in["entity_id"] = c.EntityID
	if chk, ok := p.(provider.UpdateChecker); ok {
		if err := chk.CheckUpdate(in); err != nil {
			return nil, classify(providerID, err)
		}
	}
	// The token is spent in the unit of work of the provider's write of
	// the new credentials (identities.Update), after the new password was
	// hashed. Earlier tokens are revoked, and auth.password_changed is
	// written, in the same unit, at the time of the write: a login that
	// checked the old password while the new one was hashed is revoked
	// too, and the event exists exactly when the password changed.
	spend := func(ctx context.Context, providerIdentityID string) error {
		rt, err := s.st.TakeResetToken(ctx, hashJTI(c.ID))
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return invalidToken()
			}
			return err
		}
		if rt.EntityID != c.EntityID || !s.clock().Before(rt.ExpiresAt) ||
			(providerIdentityID != "" && rt.ProviderIdentityID != providerIdentityID) {
			return invalidToken()
		}
		if err := s.record(ctx, audit.Entry{Action: audit.ActionPasswordReset, Outcome: audit.Success,
			AuthIdentityID: rt.AuthIdentityID, ActorType: actorType, Provider: providerID}); err != nil {
			return err
		}
		return s.passwordChanged(ctx, rt.AuthIdentityID, c.EntityID, providerID, causePasswordReset)
	}
	ids := &identities{s: s, provider: p}
	ids.beforeUpdate = func(ctx context.Context, pi *ProviderIdentity) error { return spend(ctx, pi.ID) }
	res, err := s.callAs(ctx, p, "update", ids, func(ids provider.Identities) (*Result, error) {
		return u.Update(ctx, in, ids)
	})
	if ids.beforeUpdateErr != nil {
		return nil, ids.beforeUpdateErr
	}
	if err != nil {
		if !ids.beforeUpdateRan && errors.Is(err, ErrNotFound) {
			// The token's identity is gone: the token is worth nothing.
			return nil, invalidToken()
		}
		return nil, err
	}
	if !ids.beforeUpdateRan {
		// A provider that stored nothing through Identities.Update: the
		// token is spent now, once the provider succeeded.
		if err := s.st.InTx(ctx, func(ctx context.Context) error { return spend(ctx, "") }); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// ChangePassword changes the password of a logged-in identity that proves
// it knows the current one, for providers that take an email and a
// password (emailpass). A wrong current password is ErrUnauthorized, as is
// one that a concurrent reset or change replaced before the new one was
// written: the provider's update gets "current_password" beside
// "password" and writes only over that password.
func (s *Service) ChangePassword(ctx context.Context, authIdentityID, providerID, current, next string) (*Result, error) {
	identity, err := s.RetrieveAuthIdentity(ctx, authIdentityID, store.FindOptions{})
	if err != nil {
		return nil, err
	}
	pi := identity.Provider(providerID)
	if pi == nil {
		return nil, providerDom.Missing(authIdentityID)
	}
	p, err := s.provider(providerID, "")
	if err != nil {
		return nil, err
	}
	if chk, ok := p.(provider.UpdateChecker); ok {
		if err := chk.CheckUpdate(map[string]any{"entity_id": pi.EntityID, "password": next}); err != nil {
			return nil, classify(providerID, err)
		}
	}
	res, err := s.Authenticate(ctx, providerID, provider.Input{Body: map[string]any{"email": pi.EntityID, "password": current}})
	if err != nil {
		return nil, err
	}
	if res.AuthIdentity == nil || res.AuthIdentity.ID != authIdentityID {
		return nil, &provider.Error{Provider: providerID, Kind: ErrUnauthorized, Message: "Invalid email or password"}
	}
	// Revoked before and after the change, as in ResetPassword.
	if err := s.revokeAfter(ctx, authIdentityID, ""); err != nil {
		return nil, err
	}
	u, ok := p.(provider.Updater)
	if !ok {
		return nil, notSupported(providerID, "Method 'update' not implemented for provider "+providerID)
	}
	// The new password ends every token issued before it: the revocation,
	// the audit entry and auth.password_changed are written in the unit of
	// work of the new password. current_password: the provider writes next
	// only over the password it proves (emailpass), so that a reset or
	// another change made since the check above is not undone.
	ids := &identities{s: s, provider: p, updated: func(ctx context.Context, _ *ProviderIdentity) error {
		if err := s.record(ctx, identityEntry(audit.ActionPasswordChange, identity, "", providerID)); err != nil {
			return err
		}
		return s.passwordChanged(ctx, authIdentityID, pi.EntityID, providerID, causePasswordChange)
	}}
	res, err = s.callAs(ctx, p, "update", ids, func(ids provider.Identities) (*Result, error) {
		return u.Update(ctx, map[string]any{"entity_id": pi.EntityID, "password": next, "current_password": current}, ids)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// passwordChanged revokes the tokens an identity holds and raises
// EventPasswordChanged, in one unit of work, after its password changed.
func (s *Service) passwordChanged(ctx context.Context, authIdentityID, entityID, providerID, cause string) error {
	return s.st.InTx(ctx, func(ctx context.Context) error {
		if err := s.revokeAfter(ctx, authIdentityID, cause); err != nil {
			return err
		}
		return s.events.Emit(ctx, event.Event{Name: EventPasswordChanged, Data: map[string]any{
			"entity_id": entityID, "provider": providerID, "auth_identity_id": authIdentityID,
		}})
	})
}

// ReissueAfterChange issues the token that replaces c once the identity's
// tokens were revoked by a change the holder of c just made and proved
// (ChangePassword over httpapi): a fresh login (login_at now) of c's actor
// type through c's provider, actorless when c is, with c's MFA completion
// kept. The gates of a refresh apply: while a verification is pending
// (actorless c) it fails with a *VerificationRequiredError carrying an
// actorless token; an identity with MFA on whose login completed no
// challenge gets a new challenge (Login.MFAChallenge), as at a login. It
// does not check c's revocation: give it only claims verified before the
// change.
func (s *Service) ReissueAfterChange(ctx context.Context, c *Claims) (*Login, error) {
	if c == nil || c.AuthIdentityID == "" {
		return nil, identityDom.Invalidf("auth_identity_id", "is required")
	}
	identity, err := s.RetrieveAuthIdentity(ctx, c.AuthIdentityID, store.FindOptions{})
	if err != nil {
		return nil, err
	}
	login := s.tokens.now()
	deadline := login.Add(s.rev.maxAge)
	if err := s.refreshGate(ctx, identity, c, login, deadline); err != nil {
		return nil, err
	}
	m, err := s.refreshMFA(ctx, identity, c.MFAChallengeCompletedAt)
	if err != nil {
		return nil, err
	}
	if m.pending {
		return s.LoginToken(ctx, identity, c.ActorType, c.AuthProvider)
	}
	holder := identity
	if c.ActorID == "" {
		holder = withoutActor(identity, c.ActorType)
	}
	tok, err := s.reissue(holder, c.ActorType, c.AuthProvider, login, deadline, m)
	if err != nil {
		return nil, err
	}
	return &Login{Identity: identity, Token: tok}, nil
}
