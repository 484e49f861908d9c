package account

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/email"
	"github.com/clientele/clientele/store"
)

// EventEmailChanged carries {"id": customer id, "auth_identity_id",
// "email", "previous_email"}: a registered customer's email, and its
// login email, changed (the host may tell the previous address).
const EventEmailChanged = "account.email_changed"

// PurposeChangeEmail is the "purpose" RequestEmailChange puts in the
// metadata of its verification (and so of its
// auth.verification_requested event), for the host to word its mail.
const PurposeChangeEmail = "change_email"

// Errors of a change of email.
var (
	// ErrSameEmail: the new email is the customer's email already.
	ErrSameEmail = store.Sentinel("The new email is the customer's email already", store.ErrInvalid)
	// ErrEmailTaken: another account logs in with the new email.
	ErrEmailTaken = store.Sentinel("Another account uses this email", store.ErrConflict)
)

// RequestEmailChange starts changing the email of the registered customer
// of authIdentityID to newEmail: it sends a verification code to newEmail
// (auth.Service.RequestVerification, entity type "email", a new code even
// when the address was verified before), with metadata plus "purpose":
// PurposeChangeEmail. Nothing changes until ConfirmEmailChange gets the
// code; the old email keeps working meanwhile. newEmail must be valid,
// differ from the customer's (ErrSameEmail), and be free: no other
// registered customer (ErrHasAccount) and no other identity's login
// (ErrEmailTaken) may have it. The answer carries the code for the
// caller's own delivery; the event carries it too.
func (s *Service) RequestEmailChange(ctx context.Context, authIdentityID, newEmail string, metadata map[string]any) (*auth.VerificationRequest, error) {
	addr, err := email.Normalize("email", newEmail)
	if err != nil {
		return nil, err
	}
	if addr == "" {
		return nil, ErrEmailRequired
	}
	if _, _, err := s.checkNewEmail(ctx, authIdentityID, addr); err != nil {
		return nil, err
	}
	md := maps.Clone(metadata)
	if md == nil {
		md = map[string]any{}
	}
	if _, set := md["purpose"]; !set {
		md["purpose"] = PurposeChangeEmail
	}
	var out *auth.VerificationRequest
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		req, err := s.auth.RequestVerification(ctx, auth.RequestVerificationParams{
			AuthIdentityID: authIdentityID, EntityID: addr, EntityType: auth.EntityTypeEmail,
			CodeProvider: auth.CodeProviderToken, Metadata: md, Reverify: true,
		})
		if err != nil {
			return err
		}
		out = req
		return s.record(ctx, audit.ActionEmailChangeRequest, authIdentityID, "", map[string]string{"verification_id": req.Verification.ID})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkNewEmail returns the registered customer of the identity and the
// identity, after checking that addr can become their email.
func (s *Service) checkNewEmail(ctx context.Context, authIdentityID, addr string) (*customer.Customer, *auth.AuthIdentity, error) {
	identity, c, err := s.registered(ctx, authIdentityID, false)
	if err != nil {
		return nil, nil, err
	}
	if strings.EqualFold(c.Email, addr) {
		return nil, nil, ErrSameEmail
	}
	yes := true
	taken, err := s.customers.List(ctx, customer.Filter{Emails: []string{addr}, HasAccount: &yes}, store.ListOptions{Take: 1})
	if err != nil {
		return nil, nil, err
	}
	if len(taken) > 0 {
		return nil, nil, ErrHasAccount
	}
	logins, err := s.auth.ListProviderIdentities(ctx, auth.ProviderIdentityFilter{EntityIDsFold: []string{addr}}, store.ListOptions{})
	if err != nil {
		return nil, nil, err
	}
	for _, pi := range logins {
		if pi.AuthIdentityID != authIdentityID {
			return nil, nil, ErrEmailTaken
		}
	}
	return c, identity, nil
}

// registered returns the identity and its registered customer (locking
// both when lock, inside the caller's unit).
func (s *Service) registered(ctx context.Context, authIdentityID string, lock bool) (*auth.AuthIdentity, *customer.Customer, error) {
	found, err := s.st.ListAuthIdentities(ctx, auth.IdentityFilter{IDs: []string{authIdentityID}}, store.ListOptions{Lock: lock})
	if err != nil {
		return nil, nil, err
	}
	if len(found) == 0 {
		return nil, nil, &store.NotFoundError{Entity: "AuthIdentity", IDs: []string{authIdentityID}, Err: auth.ErrNotFound}
	}
	id := found[0].ActorID(ActorType)
	if id == "" {
		return nil, nil, &store.NotFoundError{Entity: "Customer", IDs: []string{ActorType + "_id of " + authIdentityID}, Err: customer.ErrNotFound}
	}
	cs, err := s.st.ListCustomers(ctx, customer.Filter{IDs: []string{id}}, store.ListOptions{Lock: lock})
	if err != nil {
		return nil, nil, err
	}
	if len(cs) == 0 {
		return nil, nil, &store.NotFoundError{Entity: "Customer", IDs: []string{id}, Err: customer.ErrNotFound}
	}
	return found[0], cs[0], nil
}

// ConfirmEmailChange finishes a change of email with the code
// RequestEmailChange sent: in one unit of work, the code is used
// (auth.Service.ConfirmVerification; it must be one the identity requested
// for an email, else auth.ErrVerificationCodeInvalid), the registered
// customer gets the new email, and so do the identity's login provider
// identities (emailpass; auth.Service.ChangeLoginEmail). If any step fails
// nothing changes and the code still works. A code used elsewhere (POST
// /auth/verification/confirm) is spent: ask for a new one. It returns the
// customer.
func (s *Service) ConfirmEmailChange(ctx context.Context, authIdentityID, code string) (*customer.Customer, error) {
	var out *customer.Customer
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		v, err := s.auth.ConfirmVerification(ctx, auth.ConfirmVerificationParams{
			Code: code, AuthIdentityID: authIdentityID, RequireOwner: true, EntityType: auth.EntityTypeEmail,
		})
		if err != nil {
			return err
		}
		addr := v.EntityID
		identity, c, err := s.registered(ctx, authIdentityID, true)
		if err != nil {
			return err
		}
		previous := c.Email
		if !strings.EqualFold(previous, addr) {
			if _, _, err := s.checkNewEmail(ctx, identity.ID, addr); err != nil {
				return err
			}
			if c, err = s.customers.Update(ctx, c.ID, customer.UpdateParams{Email: &addr}); err != nil {
				return err
			}
		}
		if _, err := s.auth.ChangeLoginEmail(ctx, authIdentityID, addr); err != nil {
			if errors.Is(err, auth.ErrConflict) {
				return ErrEmailTaken
			}
			return err
		}
		if err := s.record(ctx, audit.ActionEmailChange, authIdentityID, c.ID, map[string]string{"verification_id": v.ID}); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, event.Event{Name: EventEmailChanged, Data: map[string]any{
			"id": c.ID, "auth_identity_id": authIdentityID, "email": addr, "previous_email": previous,
		}}); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
