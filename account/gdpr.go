package account

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

// EventErased carries {"id": customer id}: a customer's personal data was
// erased ([Service.Erase]).
const EventErased = "customer.erased"

// Export is the personal data clientele holds about one customer
// ([Service.Export]), as one JSON document. It carries no secret: no
// password hash, provider token, TOTP secret or code hash.
type Export struct {
	// Customer is the customer with its addresses and groups.
	Customer *customer.Customer `json:"customer"`
	// Identities are the auth identities linked to the customer.
	Identities []ExportedIdentity `json:"auth_identities"`
	// AuditEntries are the audit log's entries about the customer or its
	// identities, newest first; nil when the auth service has no audit
	// log (auth.WithAudit).
	AuditEntries []*audit.Entry `json:"audit_entries"`
	// ExportedAt is when the export was made.
	ExportedAt time.Time `json:"exported_at"`
}

// ExportedIdentity is an auth identity in an [Export].
type ExportedIdentity struct {
	ID          string         `json:"id"`
	AppMetadata map[string]any `json:"app_metadata"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	// ProviderIdentities are the ways the identity logs in, without their
	// provider_metadata (which holds password hashes and provider tokens).
	ProviderIdentities []ExportedProviderIdentity `json:"provider_identities"`
	// Verifications are the identity's verifications, without their code
	// hashes or provider metadata; nil when the store keeps none.
	Verifications []ExportedVerification `json:"verifications"`
	// MFAFactors are the identity's MFA factors, without their secrets;
	// nil when the store keeps none.
	MFAFactors []*auth.MFAFactor `json:"mfa_factors"`
	// Sessions are the identity's live server-side sessions, without
	// their ids; nil when the service has no [WithSessions] revoker that
	// is also a session.Lister.
	Sessions []ExportedSession `json:"sessions"`
}

// ExportedSession is a session in an [Export]: when it began and ends,
// without its id (the hash of the cookie's secret) or its claims.
type ExportedSession struct {
	ActorType     string     `json:"actor_type"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     time.Time  `json:"expires_at"`
	IdleExpiresAt *time.Time `json:"idle_expires_at"`
}

// ExportedProviderIdentity is a provider identity in an [Export].
type ExportedProviderIdentity struct {
	ID           string         `json:"id"`
	Provider     string         `json:"provider"`
	EntityID     string         `json:"entity_id"`
	UserMetadata map[string]any `json:"user_metadata"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// ExportedVerification is a verification in an [Export].
type ExportedVerification struct {
	ID          string     `json:"id"`
	EntityID    string     `json:"entity_id"`
	EntityType  string     `json:"entity_type"`
	VerifiedAt  *time.Time `json:"verified_at"`
	RequestedAt time.Time  `json:"requested_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Export returns the personal data held about the customer customerID
// (a soft-deleted one too). An unknown customer fails with
// customer.ErrNotFound.
func (s *Service) Export(ctx context.Context, customerID string) (*Export, error) {
	var out *Export
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		c, err := s.customers.Retrieve(ctx, customerID, store.FindOptions{Relations: []string{"addresses", "groups"}, WithDeleted: true})
		if err != nil {
			return err
		}
		out = &Export{Customer: c, Identities: []ExportedIdentity{}, ExportedAt: s.now().UTC()}
		linked, err := s.linked(ctx, customerID, false)
		if err != nil {
			return err
		}
		for _, a := range linked {
			x, err := s.exportIdentity(ctx, a)
			if err != nil {
				return err
			}
			out.Identities = append(out.Identities, x)
		}
		out.AuditEntries, err = s.auditEntries(ctx, customerID, linked)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// auditFilter selects the audit entries about the customer and its
// identities.
func auditFilter(customerID string, linked []*auth.AuthIdentity) audit.Filter {
	ids := make([]string, 0, len(linked))
	for _, a := range linked {
		ids = append(ids, a.ID)
	}
	return audit.Filter{AuthIdentityIDs: ids, ActorIDs: []string{customerID}}
}

// auditEntries returns every audit entry about the customer and its
// identities, newest first (nil without an audit log).
func (s *Service) auditEntries(ctx context.Context, customerID string, linked []*auth.AuthIdentity) ([]*audit.Entry, error) {
	lg := s.auth.Audit()
	if lg == nil {
		return nil, nil
	}
	out := []*audit.Entry{}
	f := auditFilter(customerID, linked)
	for {
		page, err := lg.List(ctx, f, audit.Page{Limit: audit.MaxLimit, Offset: len(out)})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < audit.MaxLimit {
			return out, nil
		}
	}
}

// linked returns the auth identities linked to the customer.
func (s *Service) linked(ctx context.Context, customerID string, lock bool) ([]*auth.AuthIdentity, error) {
	return s.st.ListAuthIdentities(ctx, auth.IdentityFilter{AppMetadata: map[string]any{ActorType + "_id": customerID}}, store.ListOptions{Lock: lock})
}

func (s *Service) exportIdentity(ctx context.Context, a *auth.AuthIdentity) (ExportedIdentity, error) {
	x := ExportedIdentity{ID: a.ID, AppMetadata: a.AppMetadata, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, ProviderIdentities: []ExportedProviderIdentity{}}
	for _, p := range a.ProviderIdentities {
		x.ProviderIdentities = append(x.ProviderIdentities, ExportedProviderIdentity{
			ID: p.ID, Provider: p.Provider, EntityID: p.EntityID, UserMetadata: p.UserMetadata, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		})
	}
	if vs, ok := s.st.(auth.VerificationStore); ok {
		found, err := vs.ListVerifications(ctx, auth.VerificationFilter{AuthIdentityIDs: []string{a.ID}})
		if err != nil {
			return x, err
		}
		x.Verifications = []ExportedVerification{}
		for _, v := range found {
			x.Verifications = append(x.Verifications, ExportedVerification{
				ID: v.ID, EntityID: v.EntityID, EntityType: v.EntityType, VerifiedAt: v.VerifiedAt, RequestedAt: v.RequestedAt, CreatedAt: v.CreatedAt,
			})
		}
	}
	if ms, ok := s.st.(auth.MFAStore); ok {
		found, err := ms.ListMFAFactors(ctx, auth.MFAFactorFilter{AuthIdentityIDs: []string{a.ID}}, store.ListOptions{})
		if err != nil {
			return x, err
		}
		x.MFAFactors = []*auth.MFAFactor{}
		for _, f := range found {
			// ProviderMetadata (the encrypted TOTP secret) is never
			// serialised; drop it anyway so no caller can reach it.
			g := *f
			g.ProviderMetadata = nil
			x.MFAFactors = append(x.MFAFactors, &g)
		}
	}
	if sl, ok := s.sessions.(session.Lister); ok {
		found, err := sl.ListSessionsOf(ctx, a.ID, s.now())
		if err != nil {
			return x, err
		}
		x.Sessions = []ExportedSession{}
		for _, ss := range found {
			es := ExportedSession{ActorType: ss.ActorType, CreatedAt: ss.CreatedAt, ExpiresAt: ss.ExpiresAt}
			if !ss.IdleExpiresAt.IsZero() {
				es.IdleExpiresAt = &ss.IdleExpiresAt
			}
			x.Sessions = append(x.Sessions, es)
		}
	}
	return x, nil
}

// Erase erases the personal data of the customer customerID, in one unit
// of work: the customer's names, email, phone, company and metadata, and
// those of its addresses (the address lines, city, postal code, province
// and country too), are emptied, while the ids and references stay (a
// shop keeps its orders). Every auth identity linked to the customer is
// revoked (with RevocationEnabled, its tokens are refused; its refresh
// tokens are deleted, see auth.Service.DeleteRefreshTokensOf), loses its
// sessions (with [WithSessions]) and is deleted with
// its provider identities, reset tokens, verifications, MFA factors,
// recovery codes and challenges; an identity that also links another
// actor (an admin user) is deleted as well, since its provider identities
// hold the customer's email. The store's outbox rows (outbox.Store) that
// name the customer's email or its identities' entity ids, delivered or
// waiting (a reset mail, an email change), and the sealed ones of its
// identities are deleted (outbox.Store.OutboxForget); events that carry
// ids only stay. With an audit log, the entries about the customer lose
// their client address and user agent, and the erasure is recorded with
// ids only. A soft-deleted customer is erased too. It emits [EventErased]
// (carrying the id only) when it changed something.
//
// Erase is idempotent: erasing an erased customer succeeds and changes
// nothing more. An unknown customer fails with customer.ErrNotFound.
func (s *Service) Erase(ctx context.Context, customerID string) error {
	return s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListCustomers(ctx, customer.Filter{IDs: []string{customerID}}, store.ListOptions{WithDeleted: true, Lock: true})
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return &store.NotFoundError{Entity: "Customer", IDs: []string{customerID}, Err: customer.ErrNotFound}
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		changed := false
		// What names the customer in the outbox: its email and its
		// identities' entity ids (values), its ids (the keys of sealed
		// rows).
		values, ids := []string{found[0].Email}, []string{customerID}
		if c := found[0]; !erasedCustomer(c) {
			c.CompanyName, c.FirstName, c.LastName, c.Email, c.Phone, c.Metadata = "", "", "", "", "", nil
			c.UpdatedAt = now
			if err := s.st.UpdateCustomers(ctx, []*customer.Customer{c}); err != nil {
				return err
			}
			changed = true
		}
		addrs, err := s.st.ListAddresses(ctx, address.Filter{CustomerIDs: []string{customerID}}, store.ListOptions{WithDeleted: true})
		if err != nil {
			return err
		}
		var dirty []*address.Address
		for _, a := range addrs {
			if erasedAddress(a) {
				continue
			}
			a.AddressName, a.Company, a.FirstName, a.LastName = "", "", "", ""
			a.Address1, a.Address2, a.City, a.CountryCode, a.Province, a.PostalCode, a.Phone = "", "", "", "", "", "", ""
			a.Metadata, a.UpdatedAt = nil, now
			dirty = append(dirty, a)
		}
		if len(dirty) > 0 {
			if err := s.st.UpdateAddresses(ctx, dirty); err != nil {
				return err
			}
			changed = true
		}
		linked, err := s.linked(ctx, customerID, true)
		if err != nil {
			return err
		}
		for _, identity := range linked {
			ids = append(ids, identity.ID)
			for _, pi := range identity.ProviderIdentities {
				values = append(values, pi.EntityID)
			}
			if err := s.eraseIdentity(ctx, identity); err != nil {
				return err
			}
			changed = true
		}
		if ob, ok := s.st.(outbox.Store); ok {
			// Events not yet delivered, or kept after delivery, that name
			// the customer (a reset mail's email, an email change) go
			// with it; the host learns of the erasure from customer.erased.
			if _, err := ob.OutboxForget(ctx, values, ids); err != nil {
				return err
			}
		}
		if err := s.eraseAudit(ctx, customerID, linked, changed); err != nil {
			return err
		}
		if changed {
			if err := s.events.Emit(ctx, event.Each(EventErased, customerID)...); err != nil {
				return err
			}
		}
		return nil
	})
}

// eraseAudit anonymises the audit entries about the customer and its
// identities (their client address and user agent; ids and actions stay)
// and, when the erasure changed something, records it: one entry per
// identity (one for the customer alone when it has none) holding ids
// only, not even the address of the client that asked for the erasure.
// Nothing happens without an audit log.
func (s *Service) eraseAudit(ctx context.Context, customerID string, linked []*auth.AuthIdentity, changed bool) error {
	lg := s.auth.Audit()
	if lg == nil {
		return nil
	}
	if _, err := lg.Anonymise(ctx, auditFilter(customerID, linked)); err != nil {
		return err
	}
	if !changed {
		return nil
	}
	anonymous := audit.WithClient(ctx, netip.Addr{}, "")
	if len(linked) == 0 {
		return s.record(anonymous, audit.ActionErasure, "", customerID, nil)
	}
	for _, a := range linked {
		if err := s.record(anonymous, audit.ActionErasure, a.ID, customerID, nil); err != nil {
			return err
		}
	}
	return nil
}

// eraseIdentity revokes and deletes an identity linked to an erased
// customer. An identity that other actors share is deleted too: its
// provider identities name the customer's email.
func (s *Service) eraseIdentity(ctx context.Context, identity *auth.AuthIdentity) error {
	if s.auth.RevocationEnabled() {
		if err := s.auth.RevokeAll(ctx, identity.ID); err != nil {
			return err
		}
	}
	if err := s.auth.DeleteRefreshTokensOf(ctx, identity.ID); err != nil {
		return err
	}
	if err := s.endSessions(ctx, identity.ID); err != nil {
		return err
	}
	if err := s.auth.DeleteAuthIdentities(ctx, identity.ID); err != nil && !errors.Is(err, auth.ErrNotFound) {
		return err
	}
	return nil
}

func erasedCustomer(c *customer.Customer) bool {
	return c.CompanyName == "" && c.FirstName == "" && c.LastName == "" && c.Email == "" && c.Phone == "" && len(c.Metadata) == 0
}

func erasedAddress(a *address.Address) bool {
	return a.AddressName == "" && a.Company == "" && a.FirstName == "" && a.LastName == "" && a.Address1 == "" &&
		a.Address2 == "" && a.City == "" && a.CountryCode == "" && a.Province == "" && a.PostalCode == "" && a.Phone == "" && len(a.Metadata) == 0
}

// AuditEntries returns a page of the audit entries about the customer
// customerID (a soft-deleted or erased one too) and its auth identities,
// newest first, of the given actions only when actions is not empty. An
// unknown customer fails with customer.ErrNotFound; without an audit log
// (auth.WithAudit) the list is empty.
func (s *Service) AuditEntries(ctx context.Context, customerID string, actions []audit.Action, p audit.Page) ([]*audit.Entry, error) {
	if _, err := audit.CheckPage(p); err != nil {
		return nil, err
	}
	found, err := s.st.ListCustomers(ctx, customer.Filter{IDs: []string{customerID}}, store.ListOptions{WithDeleted: true})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, &store.NotFoundError{Entity: "Customer", IDs: []string{customerID}, Err: customer.ErrNotFound}
	}
	linked, err := s.linked(ctx, customerID, false)
	if err != nil {
		return nil, err
	}
	f := auditFilter(customerID, linked)
	f.Actions = actions
	out, err := s.auth.Audit().List(ctx, f, p)
	if out == nil && err == nil {
		out = []*audit.Entry{}
	}
	return out, err
}
