package auth

import (
	"context"
)

// mfaClaims are the MFA claims of a refreshed token.
type mfaClaims struct {
	enabled   bool
	completed *ISOTime
	// pending: the identity has MFA on and the login completed no
	// challenge, so no full token may be issued.
	pending bool
}

// refreshMFA decides the MFA claims of a token refreshed (or rotated)
// from a login that completed its challenge at completed (nil: none):
// mfa_enabled is whether the identity has MFA on now, the completion is
// kept, and a login without one is pending when MFA is on. Without an MFA
// store the completion is kept and nothing is looked up.
func (s *Service) refreshMFA(ctx context.Context, identity *AuthIdentity, completed *ISOTime) (mfaClaims, error) {
	m := mfaClaims{completed: completed, enabled: completed != nil}
	if s.mfa.st == nil {
		return m, nil
	}
	methods, err := s.mfaMethods(ctx, s.mfa.st, identity.ID)
	if err != nil {
		return mfaClaims{}, err
	}
	m.enabled = len(methods) > 0
	m.pending = m.enabled && completed == nil
	return m, nil
}

// RefreshLogin is [Service.RefreshClaims] as a Login, as Medusa's
// /auth/token/refresh answers: when the identity has MFA on and c's login
// completed no challenge (the actorless token of a login with MFA, or a
// token issued before MFA was turned on), it opens a new challenge and
// answers an actorless token (Login.MFAChallenge) instead of failing with
// ErrMFARequired.
func (s *Service) RefreshLogin(ctx context.Context, c *Claims) (*Login, error) {
	return s.refresh(ctx, c, true)
}
