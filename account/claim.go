package account

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/store"
)

// EventGuestClaimed carries {"id": customer id, "auth_identity_id",
// "guest_ids", "address_ids", "group_ids"}: a registered customer claimed
// the guest records of its email. The host moves what it keeps under the
// guests' ids (orders) to the customer.
const EventGuestClaimed = "account.guest_claimed"

// ErrEmailNotVerified: the customer's email is not verified, so its guest
// records cannot be claimed. It matches auth.ErrNotAllowed (400
// not_allowed over HTTP).
var ErrEmailNotVerified = store.Sentinel("The email must be verified before its guest records can be claimed", auth.ErrNotAllowed)

// Claimed is what ClaimGuests moved.
type Claimed struct {
	// Customer is the registered customer, after the claim.
	Customer *customer.Customer `json:"customer"`
	// GuestIDs are the guest customers claimed (now soft-deleted).
	GuestIDs []string `json:"guest_ids"`
	// AddressIDs are the addresses moved to Customer.
	AddressIDs []string `json:"address_ids"`
	// GroupIDs are the groups Customer joined in the guests' place.
	GroupIDs []string `json:"group_ids"`
}

// ClaimGuests gives the registered customer of authIdentityID the guest
// records of its email (customers without an account that have it, compared
// case-insensitively), once the identity has proved the email
// (auth.Service.EmailVerified: a confirmed verification, or the host's
// MarkEmailVerified), else ErrEmailNotVerified and nothing moves. In one
// unit of work the guests' live addresses move to the customer (a guest's
// default address stays a default only where the customer has none),
// their group memberships move too (a group the customer is in already is
// not joined twice), and the guests are soft-deleted; EventGuestClaimed
// tells the host. No guest is not an error: Claimed lists nothing.
func (s *Service) ClaimGuests(ctx context.Context, authIdentityID string) (*Claimed, error) {
	var out *Claimed
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		identity, c, err := s.registered(ctx, authIdentityID, true)
		if err != nil {
			return err
		}
		ok, err := s.auth.EmailVerified(ctx, identity.ID, c.Email)
		if err != nil {
			return err
		}
		if !ok || c.Email == "" {
			return ErrEmailNotVerified
		}
		no := false
		guests, err := s.st.ListCustomers(ctx, customer.Filter{Emails: []string{c.Email}, HasAccount: &no}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		out = &Claimed{GuestIDs: []string{}, AddressIDs: []string{}, GroupIDs: []string{}}
		for _, g := range guests {
			out.GuestIDs = append(out.GuestIDs, g.ID)
		}
		if len(guests) > 0 {
			if err := s.claim(ctx, c.ID, out); err != nil {
				return err
			}
			if err := s.record(ctx, audit.ActionGuestClaim, authIdentityID, c.ID, map[string]string{"claimed": strconv.Itoa(len(out.GuestIDs))}); err != nil {
				return err
			}
			if err := s.events.Emit(ctx, event.Event{Name: EventGuestClaimed, Data: map[string]any{
				"id": c.ID, "auth_identity_id": authIdentityID, "guest_ids": out.GuestIDs,
				"address_ids": out.AddressIDs, "group_ids": out.GroupIDs,
			}}); err != nil {
				return err
			}
		}
		out.Customer, err = s.customers.Retrieve(ctx, c.ID, store.FindOptions{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claim moves the addresses and memberships of out.GuestIDs to
// customerID and soft-deletes the guests, in the caller's unit.
func (s *Service) claim(ctx context.Context, customerID string, out *Claimed) error {
	everyone := append([]string{customerID}, out.GuestIDs...)
	if _, err := s.st.LockCustomers(ctx, everyone); err != nil {
		return err
	}
	// Defaults: Medusa's unique indexes count soft-deleted addresses too.
	mine, err := s.st.ListAddresses(ctx, address.Filter{CustomerIDs: []string{customerID}}, store.ListOptions{WithDeleted: true})
	if err != nil {
		return err
	}
	hasShipping := slices.ContainsFunc(mine, func(a *address.Address) bool { return a.IsDefaultShipping })
	hasBilling := slices.ContainsFunc(mine, func(a *address.Address) bool { return a.IsDefaultBilling })
	moved, err := s.st.ListAddresses(ctx, address.Filter{CustomerIDs: out.GuestIDs}, store.ListOptions{})
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	for _, a := range moved {
		a.CustomerID, a.UpdatedAt = customerID, now
		if a.IsDefaultShipping {
			a.IsDefaultShipping, hasShipping = !hasShipping, true
		}
		if a.IsDefaultBilling {
			a.IsDefaultBilling, hasBilling = !hasBilling, true
		}
		out.AddressIDs = append(out.AddressIDs, a.ID)
	}
	if len(moved) > 0 {
		if err := s.st.UpdateAddresses(ctx, moved); err != nil {
			return err
		}
	}
	ms, err := s.st.ListMemberships(ctx, everyone, nil)
	if err != nil {
		return err
	}
	joined := map[string]bool{}
	for _, m := range ms {
		if m.CustomerID == customerID {
			joined[m.GroupID] = true
		}
	}
	var add []*group.Membership
	var drop []group.Pair
	for _, m := range ms {
		if m.CustomerID == customerID {
			continue
		}
		drop = append(drop, group.Pair{CustomerID: m.CustomerID, GroupID: m.GroupID})
		if joined[m.GroupID] {
			continue
		}
		joined[m.GroupID] = true
		out.GroupIDs = append(out.GroupIDs, m.GroupID)
		add = append(add, &group.Membership{
			ID: id.New(id.GroupMembership), CustomerID: customerID, GroupID: m.GroupID, Metadata: m.Metadata,
			CreatedBy: m.CreatedBy, CreatedAt: now, UpdatedAt: now,
		})
	}
	if len(drop) > 0 {
		if err := s.st.DeleteMemberships(ctx, drop); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		if err := s.st.InsertMemberships(ctx, add); err != nil {
			return err
		}
	}
	_, err = s.customers.SoftDelete(ctx, out.GuestIDs...)
	return err
}
