package memory

import (
	"context"
	"strconv"
	"strings"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// customerMatcher returns f as a predicate; it must run under the lock.
func (s *Store) customerMatcher(f customer.Filter, opts store.ListOptions) func(*customer.Customer) bool {
	withDeleted := opts.WithDeleted || f.WithDeleted()
	words := lowerAll(store.Words(f.Q))
	match := s.customerFilter(f)
	return func(c *customer.Customer) bool {
		return (withDeleted || c.DeletedAt == nil) && match(c) &&
			(len(words) == 0 || matchText(s.searchText[c.ID], words))
	}
}

// customerFilter returns the fields of f but Q as a predicate, sub-filters
// included; it must run under the lock.
func (s *Store) customerFilter(f customer.Filter) func(*customer.Customer) bool {
	var inGroups map[string]bool
	if f.GroupIDs != nil {
		inGroups = map[string]bool{}
		for _, m := range s.members {
			if m.DeletedAt == nil && inList(f.GroupIDs, m.GroupID) {
				inGroups[m.CustomerID] = true
			}
		}
	}
	var inMatching map[string]bool
	if gf := f.Groups; gf != nil {
		inMatching = map[string]bool{}
		for _, m := range s.members {
			g := s.groups[m.GroupID]
			if m.DeletedAt == nil && g != nil && (g.DeletedAt == nil || !gf.DeletedAt.IsZero()) &&
				gf.ID.Match(g.ID) && gf.Name.Match(g.Name) && gf.CreatedAt.Match(g.CreatedAt) &&
				gf.UpdatedAt.Match(g.UpdatedAt) && gf.DeletedAt.MatchNullable(g.DeletedAt) {
				inMatching[m.CustomerID] = true
			}
		}
	}
	var emails map[string]bool
	if f.Emails != nil {
		emails = map[string]bool{}
		for _, e := range f.Emails {
			emails[strings.ToLower(e)] = true
		}
	}
	email := f.Email.Fold()
	and, or := subFilters(f.And, f.Or, s.customerFilter)
	return func(c *customer.Customer) bool {
		return inList(f.IDs, c.ID) && f.ID.Match(c.ID) &&
			(emails == nil || (c.Email != "" && emails[strings.ToLower(c.Email)])) &&
			(f.Email.IsZero() || email.Match(strings.ToLower(c.Email))) &&
			(f.HasAccount == nil || *f.HasAccount == c.HasAccount) &&
			(inGroups == nil || inGroups[c.ID]) &&
			(inMatching == nil || inMatching[c.ID]) &&
			f.CompanyName.Match(c.CompanyName) &&
			f.FirstName.Match(c.FirstName) &&
			f.LastName.Match(c.LastName) &&
			f.Phone.Match(c.Phone) &&
			f.CreatedBy.Match(c.CreatedBy) &&
			f.CreatedAt.Match(c.CreatedAt) &&
			f.UpdatedAt.Match(c.UpdatedAt) &&
			f.DeletedAt.MatchNullable(c.DeletedAt) &&
			matchSubs(and, or, c)
	}
}

// ListCustomers implements customer.Store.
func (s *Store) ListCustomers(ctx context.Context, f customer.Filter, opts store.ListOptions) ([]*customer.Customer, error) {
	list, _, err := s.ListAndCountCustomers(ctx, f, opts)
	return list, err
}

// ListAndCountCustomers implements customer.ListCounter: one scan lists the
// page and counts the matches.
func (s *Store) ListAndCountCustomers(ctx context.Context, f customer.Filter, opts store.ListOptions) ([]*customer.Customer, int, error) {
	by, err := sorterOf(customer.Sortable, opts, customerID)
	if err != nil {
		return nil, 0, err
	}
	if err := f.Check(); err != nil {
		return nil, 0, err
	}
	type page struct {
		rows []*customer.Customer
		n    int
	}
	p, err := read(ctx, s, func() page {
		match := s.customerMatcher(f, opts)
		var rows []*customer.Customer
		for _, c := range s.customerCandidates(f) {
			if match(c) {
				rows = append(rows, c)
			}
		}
		n := len(rows)
		rows = sortAndPage(rows, opts, by)
		out := make([]*customer.Customer, len(rows))
		for i, c := range rows {
			out[i] = cloneCustomer(c)
		}
		return page{out, n}
	})
	return p.rows, p.n, err
}

// CountCustomers implements customer.Store.
func (s *Store) CountCustomers(ctx context.Context, f customer.Filter, opts store.ListOptions) (int, error) {
	if err := f.Check(); err != nil {
		return 0, err
	}
	return read(ctx, s, func() int {
		match := s.customerMatcher(f, opts)
		n := 0
		for _, c := range s.customerCandidates(f) {
			if match(c) {
				n++
			}
		}
		return n
	})
}

// customerCandidates narrows a scan by the ids or emails of f.
func (s *Store) customerCandidates(f customer.Filter) []*customer.Customer {
	var keys []string
	if f.Emails != nil {
		keys = make([]string, 0, len(f.Emails))
		for _, e := range f.Emails {
			if e != "" {
				keys = append(keys, strings.ToLower(e))
			}
		}
	}
	return candidates(s.customers, f.IDs, s.byEmail, keys)
}

type emailKey struct {
	email   string
	account bool
}

// checkCustomerKeys enforces Medusa's unique index on (email, has_account)
// among live rows, exact match, with next replacing (or adding to) the
// stored rows.
func (s *Store) checkCustomerKeys(next []*customer.Customer) error {
	replaced := make(map[string]bool, len(next))
	for _, c := range next {
		replaced[c.ID] = true
	}
	taken := map[emailKey]bool{}
	for _, c := range next {
		if c.DeletedAt != nil || c.Email == "" {
			continue
		}
		k := emailKey{c.Email, c.HasAccount}
		clash := taken[k]
		for id := range s.byEmail[strings.ToLower(c.Email)] {
			o := s.customers[id]
			if !replaced[id] && o.DeletedAt == nil && o.Email == c.Email && o.HasAccount == c.HasAccount {
				clash = true
			}
		}
		if clash {
			return &store.ConflictError{Entity: "Customer", Fields: [][2]string{{"email", c.Email}, {"has_account", strconv.FormatBool(c.HasAccount)}}}
		}
		taken[k] = true
	}
	return nil
}

// InsertCustomers implements customer.Store.
func (s *Store) InsertCustomers(ctx context.Context, cs []*customer.Customer) error {
	return s.write(ctx, func(tx *txn) error {
		for _, c := range cs {
			if _, dup := s.customers[c.ID]; dup {
				return &store.ConflictError{Entity: "Customer", Fields: [][2]string{{"id", c.ID}}}
			}
		}
		if err := s.checkCustomerKeys(cs); err != nil {
			return err
		}
		for _, c := range cs {
			s.putCustomer(tx, c.ID, cloneCustomer(c))
		}
		return nil
	})
}

// UpdateCustomers implements customer.Store.
func (s *Store) UpdateCustomers(ctx context.Context, cs []*customer.Customer) error {
	return s.write(ctx, func(tx *txn) error {
		next := make([]*customer.Customer, 0, len(cs))
		for _, c := range cs {
			old, ok := s.customers[c.ID]
			if !ok {
				continue
			}
			n := cloneCustomer(c)
			n.CreatedAt = old.CreatedAt
			next = append(next, n)
		}
		if err := s.checkCustomerKeys(next); err != nil {
			return err
		}
		for _, c := range next {
			s.putCustomer(tx, c.ID, c)
		}
		return nil
	})
}

// DeleteCustomers implements customer.Store.
func (s *Store) DeleteCustomers(ctx context.Context, ids []string) error {
	return s.write(ctx, func(tx *txn) error {
		gone := map[string]bool{}
		for _, id := range ids {
			if _, ok := s.customers[id]; ok {
				gone[id] = true
				s.putCustomer(tx, id, nil)
			}
		}
		for cid := range gone {
			for id := range s.addressesOf[cid] {
				s.putAddress(tx, id, nil)
			}
		}
		for id, m := range s.members {
			if gone[m.CustomerID] {
				put[group.Membership](tx, s.members, id, nil, nil)
			}
		}
		return nil
	})
}

// LockCustomers implements address.Store and group.Store. Writers are
// already serialised, so it only reports which customers are live.
func (s *Store) LockCustomers(ctx context.Context, ids []string) ([]string, error) {
	return read(ctx, s, func() []string {
		out := []string{}
		for _, id := range ids {
			if c, ok := s.customers[id]; ok && c.DeletedAt == nil && !contains(out, id) {
				out = append(out, id)
			}
		}
		return out
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func customerID(c *customer.Customer) string { return c.ID }

// PageCustomers implements customer.Pager. It counts exactly whatever
// opts.Count asks, and says so; a capped count reports the cap when more
// rows match, as every backend does.
func (s *Store) PageCustomers(ctx context.Context, f customer.Filter, opts store.ListOptions) ([]*customer.Customer, store.Count, error) {
	list, n, err := s.ListAndCountCustomers(ctx, f, opts)
	if err != nil {
		return nil, store.Count{}, err
	}
	if opts.Count == store.CountCapped {
		return list, store.Capped(n, opts.CountCap), nil
	}
	return list, store.Count{N: n}, nil
}
