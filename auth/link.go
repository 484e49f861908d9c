package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/clientele/clientele/internal/email"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// VerifiedEmailKey is the app_metadata key that marks the email an identity
// is known to own (see WithVerifiedEmailLinking and MarkEmailVerified).
const VerifiedEmailKey = "verified_email"

// Link finishes a login with providerID (its callback for redirect
// providers, else its Authenticate) on behalf of the identity the caller is
// logged in as, and attaches the provider identity to authIdentityID: the
// safe way to add "log in with Google" to an existing account. The result
// says LinkExplicit; when that provider account already belongs to
// authIdentityID the link is a no-op, and when it belongs to another
// identity the call fails with ErrConflict and no link changes (the
// provider may still have refreshed what it stores about that account,
// as any login through it does).
func (s *Service) Link(ctx context.Context, authIdentityID, providerID string, in provider.Input) (*Result, error) {
	if _, err := s.RetrieveAuthIdentity(ctx, authIdentityID, store.FindOptions{}); err != nil {
		return nil, err
	}
	p, err := s.provider(providerID, in.ActorType)
	if err != nil {
		return nil, err
	}
	ids := &identities{s: s, provider: p, linkTo: authIdentityID}
	res, err := s.callAs(ctx, p, "link", ids, func(ids provider.Identities) (*Result, error) {
		if cb, ok := p.(provider.CallbackValidator); ok {
			return cb.ValidateCallback(ctx, in, ids)
		}
		return p.Authenticate(ctx, in, ids)
	})
	if err != nil {
		return nil, err
	}
	if res.AuthIdentity != nil && res.AuthIdentity.ID != authIdentityID {
		return nil, &provider.Error{Provider: providerID, Kind: ErrConflict,
			Message: fmt.Sprintf("This %s account is already linked to another identity", providerID)}
	}
	return res, nil
}

// MarkEmailVerified records that the identity owns email (the host
// verified it, e.g. by a confirmation link), so that logins through
// providers listed in WithVerifiedEmailLinking that vouch for the same
// email reach this identity.
func (s *Service) MarkEmailVerified(ctx context.Context, authIdentityID, email string) (*AuthIdentity, error) {
	email = lowerTrim(email)
	if email == "" {
		return nil, identityDom.Invalidf("email", "is required")
	}
	return s.editAppMetadata(ctx, authIdentityID, func(am map[string]any) map[string]any {
		am[VerifiedEmailKey] = email
		return am
	})
}

// ProvenEmails returns the emails identity has proved, trimmed and
// lower-case, without repeats: the entity id of each of its provider
// identities whose provider keys identities by email (emailpass), the
// email of each social login whose provider said it is verified
// (user_metadata "email" with "email_verified" true) when that provider
// is a provider.EmailVerifier or is named in WithVerifiedEmailLinking, and
// the email the host marked with MarkEmailVerified. A customer account opened from the
// identity may only have one of them (account.Service.CreateCustomer).
func (s *Service) ProvenEmails(identity *AuthIdentity) []string {
	if identity == nil {
		return nil
	}
	var out []string
	add := func(e string) {
		if e = lowerTrim(e); email.Valid(e) && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	for _, pi := range identity.ProviderIdentities {
		if f, ok := s.providers[pi.Provider].(provider.EntityIDFolder); ok && f.FoldEntityIDs() {
			add(pi.EntityID)
			continue
		}
		if !s.vouchesForEmails(pi.Provider) {
			continue
		}
		if verified, _ := pi.UserMetadata["email_verified"].(bool); verified {
			if e, ok := pi.UserMetadata["email"].(string); ok {
				add(e)
			}
		}
	}
	if e, ok := identity.AppMetadata[VerifiedEmailKey].(string); ok {
		add(e)
	}
	return out
}

// vouchesForEmails reports whether the email_verified of providerID's
// identities can be believed (see ProvenEmails).
func (s *Service) vouchesForEmails(providerID string) bool {
	if v, ok := s.providers[providerID].(provider.EmailVerifier); ok && v.VerifiesEmails() {
		return true
	}
	return s.linksByEmail[providerID]
}
