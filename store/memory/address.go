package memory

import (
	"context"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/store"
)

// addressMatcher returns f as a predicate.
func addressMatcher(f address.Filter, opts store.ListOptions) func(*address.Address) bool {
	withDeleted := opts.WithDeleted || f.WithDeleted()
	words := store.Words(f.Q)
	match := addressFilter(f)
	return func(a *address.Address) bool {
		return (withDeleted || a.DeletedAt == nil) && match(a) &&
			store.MatchWords(words, a.AddressName, a.Company, a.FirstName, a.LastName,
				a.Address1, a.Address2, a.City, a.Province, a.PostalCode)
	}
}

// addressFilter returns the fields of f but Q as a predicate, sub-filters
// included.
func addressFilter(f address.Filter) func(*address.Address) bool {
	and, or := subFilters(f.And, f.Or, addressFilter)
	return func(a *address.Address) bool {
		return inList(f.IDs, a.ID) &&
			inList(f.CustomerIDs, a.CustomerID) &&
			(f.CountryCodes == nil || (a.CountryCode != "" && inList(f.CountryCodes, a.CountryCode))) &&
			(f.IsDefaultShipping == nil || *f.IsDefaultShipping == a.IsDefaultShipping) &&
			(f.IsDefaultBilling == nil || *f.IsDefaultBilling == a.IsDefaultBilling) &&
			f.Company.Match(a.Company) && f.FirstName.Match(a.FirstName) && f.LastName.Match(a.LastName) &&
			f.Address1.Match(a.Address1) && f.Address2.Match(a.Address2) && f.City.Match(a.City) &&
			f.Province.Match(a.Province) && f.PostalCode.Match(a.PostalCode) && f.Phone.Match(a.Phone) &&
			f.DeletedAt.MatchNullable(a.DeletedAt) &&
			matchSubs(and, or, a)
	}
}

// ListAddresses implements address.Store.
func (s *Store) ListAddresses(ctx context.Context, f address.Filter, opts store.ListOptions) ([]*address.Address, error) {
	by, err := sorterOf(address.Sortable, opts, addressID)
	if err != nil {
		return nil, err
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	return read(ctx, s, func() []*address.Address {
		match := addressMatcher(f, opts)
		var rows []*address.Address
		for _, a := range candidates(s.addresses, f.IDs, s.addressesOf, f.CustomerIDs) {
			if match(a) {
				rows = append(rows, a)
			}
		}
		rows = sortAndPage(rows, opts, by)
		out := make([]*address.Address, len(rows))
		for i, a := range rows {
			out[i] = cloneAddress(a)
		}
		return out
	})
}

// CountAddresses implements address.Store.
func (s *Store) CountAddresses(ctx context.Context, f address.Filter, opts store.ListOptions) (int, error) {
	if err := f.Check(); err != nil {
		return 0, err
	}
	return read(ctx, s, func() int {
		match := addressMatcher(f, opts)
		n := 0
		for _, a := range candidates(s.addresses, f.IDs, s.addressesOf, f.CustomerIDs) {
			if match(a) {
				n++
			}
		}
		return n
	})
}

// checkDefaults enforces Medusa's unique indexes on the default flags (one
// default shipping and one default billing address per customer, counting
// soft-deleted rows, as the indexes do), with next replacing or adding to
// the stored rows.
func (s *Store) checkDefaults(next []*address.Address) error {
	replaced := make(map[string]bool, len(next))
	for _, a := range next {
		replaced[a.ID] = true
	}
	type flags struct{ ship, bill bool }
	seen := map[string]*flags{}
	flagsOf := func(customerID string) *flags {
		f := seen[customerID]
		if f == nil {
			f = &flags{}
			for id := range s.addressesOf[customerID] {
				if a := s.addresses[id]; !replaced[id] {
					f.ship = f.ship || a.IsDefaultShipping
					f.bill = f.bill || a.IsDefaultBilling
				}
			}
			seen[customerID] = f
		}
		return f
	}
	for _, a := range next {
		f := flagsOf(a.CustomerID)
		if (a.IsDefaultShipping && f.ship) || (a.IsDefaultBilling && f.bill) {
			return &store.ConflictError{Entity: "Customer address", Fields: [][2]string{{"customer_id", a.CustomerID}}}
		}
		f.ship = f.ship || a.IsDefaultShipping
		f.bill = f.bill || a.IsDefaultBilling
	}
	return nil
}

// InsertAddresses implements address.Store.
func (s *Store) InsertAddresses(ctx context.Context, addrs []*address.Address) error {
	return s.write(ctx, func(tx *txn) error {
		for _, a := range addrs {
			if _, ok := s.customers[a.CustomerID]; !ok {
				return &store.NotFoundError{Entity: "Customer", IDs: []string{a.CustomerID}}
			}
			if _, dup := s.addresses[a.ID]; dup {
				return &store.ConflictError{Entity: "Customer address", Fields: [][2]string{{"id", a.ID}}}
			}
		}
		if err := s.checkDefaults(addrs); err != nil {
			return err
		}
		for _, a := range addrs {
			s.putAddress(tx, a.ID, cloneAddress(a))
		}
		return nil
	})
}

// UpdateAddresses implements address.Store.
func (s *Store) UpdateAddresses(ctx context.Context, addrs []*address.Address) error {
	return s.write(ctx, func(tx *txn) error {
		next := make([]*address.Address, 0, len(addrs))
		for _, a := range addrs {
			old, ok := s.addresses[a.ID]
			if !ok {
				continue
			}
			if _, ok := s.customers[a.CustomerID]; !ok {
				return &store.NotFoundError{Entity: "Customer", IDs: []string{a.CustomerID}}
			}
			n := cloneAddress(a)
			n.CreatedAt = old.CreatedAt
			next = append(next, n)
		}
		if err := s.checkDefaults(next); err != nil {
			return err
		}
		for _, a := range next {
			s.putAddress(tx, a.ID, a)
		}
		return nil
	})
}

// DeleteAddresses implements address.Store.
func (s *Store) DeleteAddresses(ctx context.Context, ids []string) error {
	return s.write(ctx, func(tx *txn) error {
		for _, id := range ids {
			if _, ok := s.addresses[id]; ok {
				s.putAddress(tx, id, nil)
			}
		}
		return nil
	})
}

func addressID(a *address.Address) string { return a.ID }
