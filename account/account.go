// Package account joins auth and customer: it turns a registration (an
// auth identity with no customer yet) into a registered customer, and
// deletes a customer's account. Each operation is one unit of work across
// both domains: it happens entirely or not at all.
//
// # Errors
//
// [ErrAlreadyLinked] ("Request already authenticated as a customer."),
// [ErrEmailRequired] ("Email is required to create a customer") and
// [ErrHasAccount] ("Customer with this email already has an account", a
// conflict) use Medusa's words; errors of the customer and auth services
// pass through.
//
// # Differences from Medusa
//
//   - Deleting an account and registering again works: the identity is
//     deleted when no other actor is linked to it, otherwise only its
//     customer link is removed (Medusa 2.21 does the same over HTTP; its
//     module keeps a customer_id: null key that blocks a new account).
//   - A guest customer with the same email does not block an account, as
//     in Medusa; emails are compared case-insensitively.
package account

import (
	"context"
	"errors"
	"strings"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// ActorType is the actor type of customers.
const ActorType = "customer"

// Errors returned by the account service, matched with errors.Is.
var (
	ErrAlreadyLinked = store.Sentinel("Request already authenticated as a customer.", store.ErrInvalid)
	ErrEmailRequired = store.Sentinel("Email is required to create a customer", store.ErrInvalid)
	ErrHasAccount    = store.Sentinel("Customer with this email already has an account", store.ErrConflict)
)

// Store is the storage the account service works on: the customer and the
// auth stores of one backend, so that one unit of work spans both.
type Store interface {
	customer.Store
	auth.Store
}

// Service manages customer accounts. It is safe for concurrent use.
type Service struct {
	st        Store
	auth      *auth.Service
	customers *customer.Service
}

// NewService returns a Service; authSvc and customers must work on st.
func NewService(st Store, authSvc *auth.Service, customers *customer.Service) *Service {
	return &Service{st: st, auth: authSvc, customers: customers}
}

// CreateCustomer creates a registered customer (HasAccount true) for the
// auth identity authIdentityID and links it as app_metadata.customer_id.
// The identity must not have a customer yet, the email is required, and no
// other registered customer may have it.
func (s *Service) CreateCustomer(ctx context.Context, authIdentityID string, p customer.CreateParams) (*customer.Customer, error) {
	if strings.TrimSpace(p.Email) == "" {
		return nil, ErrEmailRequired
	}
	p.HasAccount = true
	var out *customer.Customer
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListAuthIdentities(ctx, auth.IdentityFilter{IDs: []string{authIdentityID}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return &store.NotFoundError{Entity: "AuthIdentity", IDs: []string{authIdentityID}, Err: auth.ErrNotFound}
		}
		if found[0].ActorID(ActorType) != "" {
			return ErrAlreadyLinked
		}
		yes := true
		taken, err := s.customers.List(ctx, customer.Filter{Emails: []string{p.Email}, HasAccount: &yes}, store.ListOptions{Take: 1})
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			return ErrHasAccount
		}
		c, err := s.customers.Create(ctx, p)
		if err != nil {
			if errors.Is(err, customer.ErrConflict) {
				return ErrHasAccount
			}
			return err
		}
		if _, err := s.auth.SetActor(ctx, authIdentityID, ActorType, c.ID); err != nil {
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

// DeleteCustomer deletes a customer's account: the customer is
// soft-deleted (with its addresses); a registered customer's auth identity
// is deleted when no other actor is linked to it, otherwise only its
// customer link is removed. Tokens of a deleted identity then find nothing
// on refresh, and the email can register again. An unknown id is not an
// error.
func (s *Service) DeleteCustomer(ctx context.Context, customerID string) error {
	return s.st.InTx(ctx, func(ctx context.Context) error {
		c, err := s.customers.Retrieve(ctx, customerID, store.FindOptions{})
		if errors.Is(err, customer.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := s.customers.SoftDelete(ctx, customerID); err != nil {
			return err
		}
		if !c.HasAccount {
			return nil
		}
		linked, err := s.st.ListAuthIdentities(ctx, auth.IdentityFilter{AppMetadata: map[string]any{ActorType + "_id": customerID}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		for _, identity := range linked {
			if otherActors(identity) {
				if _, err := s.auth.SetActor(ctx, identity.ID, ActorType, ""); err != nil {
					return err
				}
				continue
			}
			if err := s.auth.DeleteAuthIdentities(ctx, identity.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// otherActors reports whether an identity links an actor other than a
// customer.
func otherActors(a *auth.AuthIdentity) bool {
	for k, v := range a.AppMetadata {
		if k == ActorType+"_id" || !strings.HasSuffix(k, "_id") {
			continue
		}
		if s, ok := v.(string); ok && s != "" {
			return true
		}
	}
	return false
}
