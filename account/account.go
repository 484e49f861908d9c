// Package account joins auth and customer: sign-up in one call
// ([Service.SignUp]: register, create the customer, link it, issue the
// token), a registered customer for an existing registration
// ([Service.CreateCustomer]), and deleting a customer's account
// ([Service.DeleteCustomer], which also ends the identity's sessions when
// the service has [WithSessions]), a change of email that waits for the new
// address to prove itself ([Service.RequestEmailChange],
// [Service.ConfirmEmailChange]), and the claim of the guest records of a
// verified email ([Service.ClaimGuests]), and a customer's data rights: an
// export of its personal data without secrets ([Service.Export]) and its
// erasure ([Service.Erase]). Each operation is one unit of work across
// both domains: it happens entirely or not at all.
//
//	accounts, err := account.NewService(st, authSvc, customers, account.WithSessions(st))
//	out, err := accounts.SignUp(ctx, "emailpass", emailpass.Credentials(email, password),
//		customer.CreateParams{FirstName: "Ada"})
//	// out.Customer, out.Identity, out.Token
//
// # Errors
//
// [ErrEmailRequired] ("Email is required to create a customer") and
// [ErrHasAccount] ("Customer with this email already has an account", a
// conflict, also for an identity already linked to a customer) use
// Medusa's words, as does [ErrAlreadyLinked] ("Request already
// authenticated as a customer.", for a token that names a customer);
// [ErrEmailMismatch], [ErrSameEmail], [ErrEmailTaken] and
// [ErrEmailNotVerified] are clientele's; errors of the customer and auth
// services pass through.
//
// # Differences from Medusa
//
//   - Deleting an account and registering again works: the identity is
//     deleted when no other actor is linked to it, otherwise only its
//     customer link is removed (Medusa 2.21 does the same over HTTP; its
//     module keeps a customer_id: null key that blocks a new account).
//   - A guest customer with the same email does not block an account, as
//     in Medusa; emails are compared case-insensitively.
//   - Medusa opens a customer account for any email a registration token
//     asks for, so a registration for one email could take another
//     person's and block its owner for good. Here the email must be one
//     the identity proved (ErrEmailMismatch, 400 invalid_data over HTTP).
//   - Medusa cannot change a customer's login email (its customer update
//     leaves the identity's entity_id as it was, medusajs/medusa#12105).
//     ConfirmEmailChange changes both together, once a code sent to the
//     new address comes back; until then the old email keeps working.
//   - Medusa leaves guest records apart from the account of the same
//     email. ClaimGuests moves their addresses and group memberships to
//     the account once the email is verified, and soft-deletes them.
//   - Medusa signs up in three requests (register, create the customer
//     with the registration token, refresh the token), and a failure in
//     between leaves an identity without a customer. SignUp is one unit of
//     work, and with emailpass its customer has the email the identity
//     registered with.
//   - Medusa has no export or erasure of a customer's personal data.
//     Erase empties the personal fields of the customer and its addresses
//     but keeps the rows, their ids and references (a shop's orders point
//     at them), deletes the customer's identities with everything that
//     hangs off them, and leaves only the identity's revocation time
//     (which must outlive its last token), the audit log's entries about
//     the customer with their client address and user agent emptied (see
//     package audit), and, when the host keeps them, events and logs
//     outside clientele's tables.
//
// # Audit
//
// With an auth service that has an audit log (auth.WithAudit), the
// account service records email change requests and confirmations, guest
// claims, account deletions and erasures in it, each in the unit of work
// of its change; Export includes the customer's entries.
package account

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/emit"
	"github.com/clientele/clientele/internal/svcopt"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// ActorType is the actor type of customers.
const ActorType = auth.ActorCustomer

// Event names emitted by the service.
const (
	// EventCreated carries {"id": customer id, "auth_identity_id"}: an
	// auth identity became a registered customer.
	EventCreated = "account.created"
	// EventDeleted carries {"id": customer id}: a registered customer's
	// account was deleted (a guest's deletion is customer.deleted alone).
	EventDeleted = "account.deleted"
)

// Errors returned by the account service, matched with errors.Is.
var (
	// ErrAlreadyLinked: the request's token already names a customer
	// (httpapi's POST /store/customers answers it); the service itself
	// answers ErrHasAccount for an identity that already has one.
	ErrAlreadyLinked = store.Sentinel("Request already authenticated as a customer.", store.ErrInvalid)
	ErrEmailRequired = store.Sentinel("Email is required to create a customer", store.ErrInvalid)
	// ErrHasAccount: the email already has a registered customer, or the
	// auth identity is already linked to one.
	ErrHasAccount = store.Sentinel("Customer with this email already has an account", store.ErrConflict)
	// ErrEmailMismatch: a customer account for an email its identity has
	// not proved (auth.Service.ProvenEmails).
	ErrEmailMismatch = store.Sentinel("The customer's email must be an email this login has proved", store.ErrInvalid)
)

// Store is the storage the account service works on: the customer and the
// auth stores of one backend, so that one unit of work spans both.
type Store interface {
	customer.Store
	auth.Store
}

// SessionRevoker ends every server-side session of an auth identity (the
// session store of the HTTP layer implements it). DeleteCustomer calls it
// inside its unit of work, so it must write through the same backend.
type SessionRevoker interface {
	// DeleteSessionsOf ends every session of the identity, or with
	// actorTypes only the sessions of those actor types.
	DeleteSessionsOf(ctx context.Context, authIdentityID string, actorTypes ...string) error
}

// Option configures a Service.
type Option func(*config)

type config struct {
	svcopt.Common
	sessions SessionRevoker
}

// WithEventSink sends the service's events to sink.
func WithEventSink(sink event.Sink) Option { return func(c *config) { c.Sink = sink } }

// WithLogger sets the logger for failures that are not returned to the
// caller (a failing event sink). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.Logger = l } }

// WithClock sets the clock of the records the service writes itself
// (the addresses and memberships ClaimGuests moves).
func WithClock(now func() time.Time) Option { return func(c *config) { c.Now = now } }

// WithSessions makes DeleteCustomer end the deleted identities' sessions
// in the same unit of work as the deletion.
func WithSessions(r SessionRevoker) Option { return func(c *config) { c.sessions = r } }

// Service manages customer accounts. It is safe for concurrent use.
type Service struct {
	st        Store
	auth      *auth.Service
	customers *customer.Service
	sessions  SessionRevoker
	events    emit.Emitter
	now       func() time.Time
}

// NewService returns a Service; authSvc and customers must work on st.
func NewService(st Store, authSvc *auth.Service, customers *customer.Service, opts ...Option) (*Service, error) {
	if st == nil || authSvc == nil || customers == nil {
		return nil, errors.New("account: NewService needs a store, an auth service and a customer service")
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	return &Service{st: st, auth: authSvc, customers: customers, sessions: c.sessions, events: c.Emitter(), now: c.Clock()}, nil
}

// CreateCustomer creates a registered customer (HasAccount true) for the
// auth identity authIdentityID and links it as app_metadata.customer_id.
// The identity must not have a customer yet, the email is required and
// must be one the identity proved (auth.Service.ProvenEmails: its
// emailpass email, a social login's verified email, or one the host
// marked verified), else ErrEmailMismatch; no other registered customer
// may have it.
func (s *Service) CreateCustomer(ctx context.Context, authIdentityID string, p customer.CreateParams) (*customer.Customer, error) {
	var out *customer.Customer
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		c, _, err := s.link(ctx, authIdentityID, p)
		out = c
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// link creates the registered customer of an identity and links it, in
// the caller's unit of work; it returns the customer and the linked
// identity.
func (s *Service) link(ctx context.Context, authIdentityID string, p customer.CreateParams) (*customer.Customer, *auth.AuthIdentity, error) {
	if strings.TrimSpace(p.Email) == "" {
		return nil, nil, ErrEmailRequired
	}
	p.HasAccount = true
	found, err := s.st.ListAuthIdentities(ctx, auth.IdentityFilter{IDs: []string{authIdentityID}}, store.ListOptions{Lock: true})
	if err != nil {
		return nil, nil, err
	}
	if len(found) == 0 {
		return nil, nil, &store.NotFoundError{Entity: "AuthIdentity", IDs: []string{authIdentityID}, Err: auth.ErrNotFound}
	}
	if found[0].ActorID(ActorType) != "" {
		// A registration token issued before the account existed is still
		// actorless; Medusa answers it as a second account for the email.
		return nil, nil, ErrHasAccount
	}
	if !slices.Contains(s.auth.ProvenEmails(found[0]), strings.ToLower(strings.TrimSpace(p.Email))) {
		return nil, nil, ErrEmailMismatch
	}
	yes := true
	taken, err := s.customers.List(ctx, customer.Filter{Emails: []string{p.Email}, HasAccount: &yes}, store.ListOptions{Take: 1})
	if err != nil {
		return nil, nil, err
	}
	if len(taken) > 0 {
		return nil, nil, ErrHasAccount
	}
	c, err := s.customers.Create(ctx, p)
	if err != nil {
		if errors.Is(err, customer.ErrConflict) {
			return nil, nil, ErrHasAccount
		}
		return nil, nil, err
	}
	identity, err := s.auth.SetActor(ctx, authIdentityID, ActorType, c.ID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.events.Emit(ctx, event.Event{Name: EventCreated, Data: map[string]any{"id": c.ID, "auth_identity_id": authIdentityID}}); err != nil {
		return nil, nil, err
	}
	return c, identity, nil
}

// SignedUp is the outcome of SignUp.
type SignedUp struct {
	Customer *customer.Customer `json:"customer"`
	// Identity is the new auth identity, linked to Customer (its password
	// hash stripped).
	Identity *auth.AuthIdentity `json:"auth_identity"`
	// Token is Identity's customer token, with actor_id set, unless
	// VerificationRequired.
	Token string `json:"token"`
	// VerificationRequired is set when customers must verify first
	// (auth.WithVerificationsPerActor): Token is then actorless until the
	// email is verified (see auth.Service.LoginToken).
	VerificationRequired bool               `json:"verification_required,omitempty"`
	Verification         *auth.Verification `json:"verification,omitempty"`
}

// SignUp registers a new identity with providerID (emailpass: the
// credentials of emailpass.Credentials), creates its registered customer
// from p, links them and issues the customer token: all or nothing, in one
// unit of work (the password is hashed before it begins). When p.Email is
// empty the customer gets the email the identity proved; another email
// fails with ErrEmailMismatch, as in CreateCustomer.
func (s *Service) SignUp(ctx context.Context, providerID string, in provider.Input, p customer.CreateParams) (*SignedUp, error) {
	in.ActorType = ActorType
	var out SignedUp
	_, err := s.auth.RegisterThen(ctx, providerID, in, func(ctx context.Context, identity *auth.AuthIdentity) error {
		if proven := s.auth.ProvenEmails(identity); strings.TrimSpace(p.Email) == "" && len(proven) > 0 {
			p.Email = proven[0]
		}
		c, linked, err := s.link(ctx, identity.ID, p)
		if err != nil {
			return err
		}
		// The token is made in the unit too: a failure to read what it
		// needs undoes the sign-up rather than report an error for an
		// account that exists.
		l, err := s.auth.LoginToken(ctx, linked, ActorType, providerID)
		if err != nil {
			return err
		}
		out.Customer, out.Identity = c, linked
		out.Token, out.VerificationRequired, out.Verification = l.Token, l.VerificationRequired, l.Verification
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteCustomer deletes a customer's account: the customer is
// soft-deleted (with its addresses); a registered customer's auth identity
// is deleted when no other actor is linked to it, otherwise only its
// customer link is removed. With WithSessions, the customer's sessions
// end in the same unit of work (all of the identity's when it is deleted).
// Tokens of a deleted identity then find nothing on refresh, and the email
// can register again; a bearer token already issued stays valid until it
// expires. An unknown id is not an error.
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
		if err := s.events.Emit(ctx, event.Each(EventDeleted, customerID)...); err != nil {
			return err
		}
		linked, err := s.st.ListAuthIdentities(ctx, auth.IdentityFilter{AppMetadata: map[string]any{ActorType + "_id": customerID}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if len(linked) == 0 {
			if err := s.record(ctx, audit.ActionAccountDelete, "", customerID, nil); err != nil {
				return err
			}
		}
		for _, identity := range linked {
			if err := s.record(ctx, audit.ActionAccountDelete, identity.ID, customerID, nil); err != nil {
				return err
			}
			// Every token the identity holds is refused from now on,
			// those of its other actors too: they log in again.
			if s.auth.RevocationEnabled() {
				if err := s.auth.RevokeAll(ctx, identity.ID); err != nil {
					return err
				}
			}
			if otherActors(identity) {
				// The identity stays for its other actors, and so do
				// their sessions; the customer's end.
				if err := s.endSessions(ctx, identity.ID, ActorType); err != nil {
					return err
				}
				if _, err := s.auth.SetActor(ctx, identity.ID, ActorType, ""); err != nil {
					return err
				}
				continue
			}
			if err := s.endSessions(ctx, identity.ID); err != nil {
				return err
			}
			if err := s.auth.DeleteAuthIdentities(ctx, identity.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// record writes an audit entry of action about the identity and the
// customer in the unit of work ctx carries, when the auth service has an
// audit log (auth.WithAudit).
func (s *Service) record(ctx context.Context, action audit.Action, authIdentityID, customerID string, details map[string]string) error {
	e := audit.Entry{Action: action, Outcome: audit.Success, AuthIdentityID: authIdentityID, Details: details}
	if customerID != "" {
		e.ActorType, e.ActorID = ActorType, customerID
	}
	return s.auth.Audit().Record(ctx, e)
}

// endSessions ends the identity's sessions (of actorTypes only, when
// given) when the service has a SessionRevoker.
func (s *Service) endSessions(ctx context.Context, authIdentityID string, actorTypes ...string) error {
	if s.sessions == nil {
		return nil
	}
	return s.sessions.DeleteSessionsOf(ctx, authIdentityID, actorTypes...)
}

// Sessions returns the SessionRevoker of WithSessions, or nil.
func (s *Service) Sessions() SessionRevoker { return s.sessions }

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
