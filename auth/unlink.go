package auth

import (
	"context"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/store"
)

// EventProviderUnlinked carries {"auth_identity_id", "provider",
// "provider_identity_id"}: its owner removed a way into the identity
// ([Service.UnlinkProvider]). A host mails the owner, as for
// [EventProviderLinked].
const EventProviderUnlinked = "auth.provider_unlinked"

// The refusals of [Service.UnlinkProvider], as their public messages.
const (
	msgUnlinkLast    = "This is the only way to log in to this account: add another before you remove it"
	msgUnlinkMFAPass = "Two-step verification uses this passkey: turn it off, or add another passkey, before you remove it"
	msgUnlinkOnlyKey = "Your passkey is your second step: keep another way to log in, or make recovery codes, before you remove this"
)

// UnlinkProvider removes one of the identity's ways to log in, at its
// owner's request: its provider identity providerIdentityID (a password,
// a social account, a passkey). The owner's other ways in stay, and the
// identity is returned without the removed one.
//
// It refuses (an error matching ErrInvalid, with a message for the
// owner) to remove the identity's only provider identity, which would
// leave an account nobody can log in to, and its last passkey while a
// passkey is its second factor. A provider identity of another identity,
// or none, is ErrNotFound.
//
// With revocation (the default on both built-in stores), every token and
// session of the identity issued before ends ([Service.RevokeAll]), as a
// password change ends them: a login made through the removed way (a
// passkey added from a stolen session) is over. The caller's own token
// ends too; [Service.ReissueAfterChange] gives it a new one.
//
// The removal, the revocation, its audit entry (an ActionProviderUnlink)
// and auth.provider_unlinked ([EventProviderUnlinked]) are one unit of
// work; the identity's provider identities are locked in it, so that two
// removals at once cannot take its last two ways in.
//
// Proving that the caller is the owner (a recent login, say) is the
// transport's part: httpapi asks for a login of the last minutes.
func (s *Service) UnlinkProvider(ctx context.Context, authIdentityID, providerIdentityID string) (*AuthIdentity, error) {
	if authIdentityID == "" {
		return nil, identityDom.Invalidf("auth_identity_id", "is required")
	}
	if providerIdentityID == "" {
		return nil, identityDom.Invalidf("provider_identity_id", "is required")
	}
	var out *AuthIdentity
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		pis, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{AuthIdentityIDs: []string{authIdentityID}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		var target *ProviderIdentity
		passkeys := 0
		for _, pi := range pis {
			if pi.ID == providerIdentityID {
				target = pi
			}
			if pi.Provider == MFAMethodPasskey {
				passkeys++
			}
		}
		switch {
		case target == nil:
			return providerDom.Missing(providerIdentityID)
		case len(pis) == 1:
			return identityDom.Public("provider_identity_id", msgUnlinkLast)
		}
		if err := s.checkSecondFactorAfterUnlink(ctx, authIdentityID, target, len(pis), passkeys); err != nil {
			return err
		}
		if err := s.st.DeleteProviderIdentities(ctx, []string{target.ID}); err != nil {
			return identityDom.Classify(err)
		}
		// The logins made through it end with every other token of the
		// identity (as a password change ends them); the caller gets a
		// new one (httpapi: ReissueAfterChange).
		if err := s.revokeAfter(ctx, authIdentityID, causeUnlinked); err != nil {
			return err
		}
		if err := s.record(ctx, linkEntry(audit.ActionProviderUnlink, target, "")); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, event.Event{Name: EventProviderUnlinked, Data: map[string]any{
			"auth_identity_id": authIdentityID, "provider": target.Provider, "provider_identity_id": target.ID,
		}}); err != nil {
			return err
		}
		out, err = s.RetrieveAuthIdentity(ctx, authIdentityID, store.FindOptions{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkSecondFactorAfterUnlink refuses a removal (of target, one of the
// identity's ways in, passkeys of them passkeys) that would leave a
// passkey second factor unusable: the last passkey while a passkey is a
// second factor, and, while a passkey is the only second factor and no
// recovery code is left, the last way in that is not a passkey: a
// passkey login without user verification is then refused
// (ErrPasskeyNotBothFactors), and nothing else would log in.
func (s *Service) checkSecondFactorAfterUnlink(ctx context.Context, authIdentityID string, target *ProviderIdentity, ways, passkeys int) error {
	lastPasskey := target.Provider == MFAMethodPasskey && passkeys == 1
	lastOther := target.Provider != MFAMethodPasskey && ways-passkeys == 1
	if s.mfa.st == nil || (!lastPasskey && !lastOther) {
		return nil
	}
	factors, err := s.mfa.st.ListMFAFactors(ctx, MFAFactorFilter{AuthIdentityIDs: []string{authIdentityID}, Statuses: []string{MFAEnabled}}, store.ListOptions{})
	if err != nil {
		return err
	}
	byPasskey, other := false, false
	for _, f := range factors {
		if f.Provider == MFAMethodPasskey {
			byPasskey = true
		} else {
			other = true
		}
	}
	switch {
	case !byPasskey:
		return nil
	case lastPasskey:
		return identityDom.Public("provider_identity_id", msgUnlinkMFAPass)
	case other:
		return nil
	}
	codes, err := s.mfa.st.ListRecoveryCodes(ctx, authIdentityID)
	if err != nil {
		return err
	}
	if len(codes) == 0 {
		return identityDom.Public("provider_identity_id", msgUnlinkOnlyKey)
	}
	return nil
}
