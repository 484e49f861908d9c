package auth

import (
	"context"
	"errors"

	"github.com/clientele/clientele/provider"
)

// Login is the outcome of a login: the identity proved and its token, or,
// for the first step of a redirect provider, where to send the caller.
type Login struct {
	// Identity is the identity the caller proved to be (nil when Location
	// is set). Its password hash is stripped.
	Identity *AuthIdentity `json:"auth_identity,omitempty"`
	// Token is the auth token of Identity acting as the login's actor
	// type; its actor_id is empty while the identity has no such actor
	// (a registration token).
	Token string `json:"token,omitempty"`
	// Location, when set, is where the caller must go next (an OAuth
	// authorization URL); Identity and Token are then empty.
	Location string `json:"location,omitempty"`
	// Link says how a login that created a provider identity reached its
	// auth identity (see provider.Result.Link).
	Link provider.LinkKind `json:"link,omitempty"`
	// VerificationRequired is set when the actor type requires a
	// verification the identity has not completed
	// (WithVerificationsPerActor): Token is then actorless, and
	// Verification is the pending verification (nil when none was
	// requested yet). See Service.LoginToken.
	VerificationRequired bool          `json:"verification_required,omitempty"`
	Verification         *Verification `json:"verification,omitempty"`
	// MFAChallenge is the login's MFA challenge. Pending (CompletedAt
	// nil), the identity has MFA on and Token is actorless, good only for
	// completing it ([Service.CompleteMFALogin]); Medusa answers {"token",
	// "mfa_required": true, "mfa_challenge"}. CompleteMFALogin's Login
	// has it completed.
	MFAChallenge *MFAChallenge `json:"mfa_challenge,omitempty"`
}

// Login authenticates with providerID as actorType and issues the token
// of the identity proved: Authenticate and Token in one call. in.ActorType
// is set to actorType.
//
//	l, err := authSvc.Login(ctx, auth.ActorCustomer, "emailpass", emailpass.Credentials(email, password))
func (s *Service) Login(ctx context.Context, actorType, providerID string, in provider.Input) (*Login, error) {
	if actorType == "" {
		return nil, identityDom.Invalidf("actor_type", "is required")
	}
	in.ActorType = actorType
	res, err := s.Authenticate(ctx, providerID, in)
	if err != nil {
		return nil, err
	}
	return s.login(ctx, res, actorType, providerID)
}

// LoginCallback finishes a redirect login with providerID as actorType
// and issues the token of the identity proved: ValidateCallback and Token
// in one call.
func (s *Service) LoginCallback(ctx context.Context, actorType, providerID string, in provider.Input) (*Login, error) {
	if actorType == "" {
		return nil, identityDom.Invalidf("actor_type", "is required")
	}
	in.ActorType = actorType
	res, err := s.ValidateCallback(ctx, providerID, in)
	if err != nil {
		return nil, err
	}
	return s.login(ctx, res, actorType, providerID)
}

func (s *Service) login(ctx context.Context, res *Result, actorType, providerID string) (*Login, error) {
	if res.Location != "" {
		return &Login{Location: res.Location}, nil
	}
	l, err := s.loginToken(ctx, res.AuthIdentity, actorType, providerID, res.MultiFactor) // MFA: mfachallenge.go
	if err != nil {
		return nil, err
	}
	l.Link = res.Link
	return l, nil
}

// RegisterThen registers with providerID, as Register does, and runs then
// in the same unit of work that writes the new identity: when then fails,
// the identity is not kept and the error is returned. The provider's slow
// work (hashing a password) happens before the unit begins. When the
// provider answers with an identity that exists already (emailpass: the
// same email and password, no actor yet), then runs in a unit of its own
// with that identity. The account package builds sign-up on it.
//
// The unit commits when the provider's call to create the identity
// returns: a provider that fails after creating it (none of the built-in
// ones can) returns its error with the identity and then's writes kept.
func (s *Service) RegisterThen(ctx context.Context, providerID string, in provider.Input, then func(ctx context.Context, identity *AuthIdentity) error) (*Result, error) {
	start := s.startObserving()
	res, err := s.registerThen(ctx, providerID, in, then)
	s.observeAttempt(ctx, OpRegister, providerID, start, res, err)
	return res, err
}

// registerThen is RegisterThen, unobserved.
func (s *Service) registerThen(ctx context.Context, providerID string, in provider.Input, then func(ctx context.Context, identity *AuthIdentity) error) (*Result, error) {
	if then == nil {
		return nil, errors.New("auth: RegisterThen needs a function to run")
	}
	p, err := s.provider(providerID, in.ActorType)
	if err != nil {
		return nil, err
	}
	r, ok := p.(provider.Registerer)
	if !ok {
		return nil, notSupported(providerID, "Method 'register' not implemented for provider "+providerID)
	}
	// Throttling (WithThrottle): as Register.
	att, err := s.throttle.Login(ctx, providerID, loginIdentifier(in))
	if err != nil {
		return nil, err
	}
	ids := &identities{s: s, provider: p, then: then}
	res, err := s.callAs(ctx, p, "register", ids, func(ids provider.Identities) (*Result, error) {
		return r.Register(ctx, in, ids)
	})
	s.settleRegistration(ctx, att, res, err)
	if ids.thenErr != nil {
		return nil, ids.thenErr
	}
	if err != nil {
		return nil, err
	}
	if !ids.thenRan && res.AuthIdentity != nil {
		// An existing identity with MFA on gets no token without its
		// challenge: log in instead.
		if err := s.refuseMFA(ctx, res.AuthIdentity); err != nil {
			return nil, err
		}
		if err := s.st.InTx(ctx, func(ctx context.Context) error { return then(ctx, res.AuthIdentity) }); err != nil {
			return nil, err
		}
	}
	return res, nil
}
