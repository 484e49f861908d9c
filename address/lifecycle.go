package address

import (
	"context"

	"github.com/clientele/clientele/internal/set"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/store"
)

// EventRestored is emitted for each address Restore brings back, with data
// {"id", "customer_id"}; SoftDelete emits EventDeleted.
const EventRestored = "customer_address.restored"

// SoftDelete marks live addresses deleted (Medusa's
// softDeleteCustomerAddresses) and returns the ids it changed. Unknown and
// already deleted ids are ignored.
//
// A soft-deleted address is no default any more: its default flags are
// cleared with the delete, so the customer has no default of that kind
// until another address becomes one, and Medusa's unique indexes (which
// count soft-deleted rows) never keep a new default out. It is left out
// of lists and retrieves without WithDeleted.
func (s *Service) SoftDelete(ctx context.Context, ids ...string) ([]string, error) {
	return s.setDeleted(ctx, ids, true)
}

// Restore undoes SoftDelete and returns the ids it changed: the addresses
// come back as plain addresses (SoftDelete cleared their default flags).
// An address soft-deleted another way that still carries a default flag
// (with its customer, or by Medusa) keeps it, unless its customer has a
// live default of that kind by now: then the restored address gives the
// flag up, so a customer never has two defaults of one kind.
//
// The addresses' customers must be live: restoring an address of a
// soft-deleted customer fails with ErrNotFound naming the customer, and
// restores nothing (restoring the customer restores its addresses).
// Unknown and live ids are ignored.
func (s *Service) Restore(ctx context.Context, ids ...string) ([]string, error) {
	return s.setDeleted(ctx, ids, false)
}

func (s *Service) setDeleted(ctx context.Context, ids []string, del bool) ([]string, error) {
	ids = set.Dedupe(ids)
	if len(ids) == 0 {
		return []string{}, nil
	}
	if err := text.Fields("ids", ids); err != nil {
		return nil, dom.Classify(err)
	}
	pick := func(found []*Address) []*Address {
		var out []*Address
		for _, a := range found {
			if (a.DeletedAt == nil) == del {
				out = append(out, a)
			}
		}
		return out
	}
	changed := []string{}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		opts := store.ListOptions{WithDeleted: !del}
		found, err := s.st.ListAddresses(ctx, Filter{IDs: ids}, opts)
		if err != nil {
			return err
		}
		if found = pick(found); len(found) == 0 {
			return nil
		}
		// Lock the customers, as every change of default flags does, then
		// read again: a concurrent change may have committed meanwhile.
		customers := set.Keys(found, customerID)
		if del {
			// The customers of live addresses may be soft-deleted in a
			// Medusa database: lock the live ones, refuse nothing.
			if _, err := s.st.LockCustomers(ctx, customers); err != nil {
				return err
			}
		} else if err := s.lockCustomers(ctx, customers); err != nil {
			return err
		}
		if found, err = s.st.ListAddresses(ctx, Filter{IDs: set.Keys(found, addressID)}, opts); err != nil {
			return err
		}
		if found = pick(found); len(found) == 0 {
			return nil
		}
		now := s.clock()
		for _, a := range found {
			a.UpdatedAt = now
			if del {
				a.DeletedAt = &now
				a.IsDefaultShipping, a.IsDefaultBilling = false, false
			} else {
				a.DeletedAt = nil
			}
		}
		if !del {
			if err := s.keepOneDefault(ctx, found); err != nil {
				return err
			}
		}
		if err := s.st.UpdateAddresses(ctx, found); err != nil {
			return dom.Classify(err)
		}
		name := EventDeleted
		if !del {
			name = EventRestored
		}
		s.emit(ctx, name, found)
		changed = set.Keys(found, addressID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// keepOneDefault clears the default flags of the addresses being restored
// that a live address of their customer holds already, or that an earlier
// one of them (in id order) takes.
func (s *Service) keepOneDefault(ctx context.Context, restored []*Address) error {
	var flagged []string
	for _, a := range restored {
		if a.IsDefaultShipping || a.IsDefaultBilling {
			flagged = append(flagged, a.CustomerID)
		}
	}
	if len(flagged) == 0 {
		return nil
	}
	live, err := s.st.ListAddresses(ctx, Filter{CustomerIDs: set.Dedupe(flagged)}, store.ListOptions{})
	if err != nil {
		return err
	}
	type holder struct{ ship, bill bool }
	held := map[string]*holder{}
	get := func(customer string) *holder {
		h := held[customer]
		if h == nil {
			h = &holder{}
			held[customer] = h
		}
		return h
	}
	for _, a := range live {
		h := get(a.CustomerID)
		h.ship = h.ship || a.IsDefaultShipping
		h.bill = h.bill || a.IsDefaultBilling
	}
	for _, a := range restored {
		h := get(a.CustomerID)
		if a.IsDefaultShipping {
			a.IsDefaultShipping = !h.ship
			h.ship = true
		}
		if a.IsDefaultBilling {
			a.IsDefaultBilling = !h.bill
			h.bill = true
		}
	}
	return nil
}

// DeleteWhere deletes every address matching f, soft-deleted ones
// included, for good (Medusa's deleteCustomerAddresses with a selector).
// None matching is not an error; an empty Filter matches every address.
func (s *Service) DeleteWhere(ctx context.Context, f Filter) error {
	if err := s.checkList(&f, store.ListOptions{}); err != nil {
		return err
	}
	return s.deleteWhere(ctx, f)
}

func (s *Service) deleteWhere(ctx context.Context, f Filter) error {
	return s.st.InTx(ctx, func(ctx context.Context) error {
		// Locked, so that of concurrent deletes of one address only the
		// one that deletes it reports it.
		found, err := s.st.ListAddresses(ctx, f, store.ListOptions{WithDeleted: true, Lock: true})
		if err != nil || len(found) == 0 {
			return err
		}
		if err := s.st.DeleteAddresses(ctx, set.Keys(found, addressID)); err != nil {
			return err
		}
		s.emit(ctx, EventDeleted, found)
		return nil
	})
}

func customerID(a *Address) string { return a.CustomerID }
