package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// A passkey as a second factor: a clientele extension of Medusa's MFA
// (Medusa knows TOTP factors only). The identity keeps its passkeys as
// provider identities of the passkey provider (provider/passkey, id
// MFAMethodPasskey); an enabled factor of provider "passkey" makes its
// logins open a challenge that offers the method "passkey", answered by
// a WebAuthn assertion of one of those passkeys.

// MFAMethodPasskey is the MFA method, and factor provider, of a passkey.
// The auth service must have the provider with this id
// (provider/passkey.ID) to verify it.
const MFAMethodPasskey = "passkey"

// EnablePasskeyMFA turns on a passkey as the identity's second factor: an
// enabled factor of provider MFAMethodPasskey. The identity must have a
// passkey already (a passkey provider identity, added with Link). As with
// a TOTP factor, tokens issued before end ([Service.RevokeAll], when
// revocation is configured) and auth.mfa_enabled is emitted. An identity
// has at most one such factor.
func (s *Service) EnablePasskeyMFA(ctx context.Context, authIdentityID string) (*MFAFactor, error) {
	ms, err := s.mfaStore()
	if err != nil {
		return nil, err
	}
	if _, err := s.passkeyProvider(); err != nil {
		return nil, err
	}
	identity, err := s.RetrieveAuthIdentity(ctx, authIdentityID, store.FindOptions{})
	if err != nil {
		return nil, err
	}
	if identity.Provider(MFAMethodPasskey) == nil {
		return nil, mfaErr("Auth identity has no passkey", ErrInvalid)
	}
	now := s.clock()
	f := &MFAFactor{ID: id.New("authmfa"), AuthIdentityID: identity.ID, Provider: MFAMethodPasskey, Status: MFAEnabled,
		ProviderMetadata: map[string]any{}, Metadata: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	err = s.insertFactor(ctx, ms, f, "passkey", func(ctx context.Context) error {
		// Again under the lock UnlinkProvider takes on the identity's
		// provider identities: a passkey removed meanwhile is seen, so a
		// passkey factor never stands without a passkey.
		keys, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{AuthIdentityIDs: []string{identity.ID}, Providers: []string{MFAMethodPasskey}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return mfaErr("Auth identity has no passkey", ErrInvalid)
		}
		if err := s.revokeAfter(ctx, f.AuthIdentityID, causeMFAEnabled); err != nil {
			return err
		}
		if err := s.record(ctx, factorEntry(audit.ActionMFAEnrolConfirm, audit.Success, "", f)); err != nil {
			return err
		}
		return s.events.Emit(ctx, factorEvent(EventMFAEnabled, f))
	})
	if err != nil {
		return nil, err
	}
	return cloneFactor(f), nil
}

// BeginPasskeyMFA begins the WebAuthn ceremony that answers the MFA
// challenge challengeID with a passkey: it returns the options for
// navigator.credentials.get. c are the verified claims of the login's
// actorless token, whose identity must own the challenge; the challenge
// must be open and offer MFAMethodPasskey. The ceremony is bound to the
// challenge: VerifyMFAChallenge (or CompleteMFALogin) with method
// "passkey" and the browser's assertion JSON as the code finishes it.
func (s *Service) BeginPasskeyMFA(ctx context.Context, c *Claims, challengeID string) ([]byte, error) {
	ms, err := s.mfaStore()
	if err != nil {
		return nil, err
	}
	if c == nil || c.AuthIdentityID == "" {
		return nil, challengeNotFound(challengeID)
	}
	ch, err := ms.GetMFAChallenge(ctx, challengeID, false)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ch.AuthIdentityID != c.AuthIdentityID) {
		return nil, challengeNotFound(challengeID)
	}
	if err != nil {
		return nil, err
	}
	if err := s.challengeOpen(ch, MFAMethodPasskey); err != nil {
		return nil, err
	}
	p, err := s.passkeyProvider()
	if err != nil {
		return nil, err
	}
	return s.Begin(ctx, p.ID(), provider.Input{Body: map[string]any{"ceremony": "login"}, Binding: mfaPasskeyBinding(ch.ID), ActorType: c.ActorType})
}

// passkeyProvider returns the passkey provider, or ErrMFANotConfigured.
func (s *Service) passkeyProvider() (provider.Provider, error) {
	p, ok := s.providers[MFAMethodPasskey]
	if _, begins := p.(provider.Beginner); !ok || !begins {
		return nil, fmt.Errorf("%w: no passkey provider", ErrMFANotConfigured)
	}
	return p, nil
}

// mfaPasskeyBinding is the binding of the passkey ceremony of an MFA
// challenge: the challenge, which only its login's token reaches.
func mfaPasskeyBinding(challengeID string) string { return "mfa-challenge\x00" + challengeID }

// provePasskey checks code, a browser's assertion JSON answering
// BeginPasskeyMFA for challenge ch: a passkey of the challenge's identity
// must have signed it. A refused assertion is a wrong code; a failure of
// the store is an error.
func (s *Service) provePasskey(ctx context.Context, ch *MFAChallenge, code string) (bool, error) {
	p, err := s.passkeyProvider()
	if err != nil {
		return false, err
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(code), &body); err != nil {
		return false, nil
	}
	if resp, ok := body["response"].(map[string]any); !ok || resp["attestationObject"] != nil {
		return false, nil // only an assertion answers a challenge
	}
	res, err := s.call(ctx, p, "mfa", func(ids provider.Identities) (*Result, error) {
		return p.Authenticate(ctx, provider.Input{Body: body, Binding: mfaPasskeyBinding(ch.ID)}, ids)
	})
	switch {
	case errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return res.AuthIdentity != nil && res.AuthIdentity.ID == ch.AuthIdentityID, nil
}
