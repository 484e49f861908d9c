package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// groupMatcher returns f as a predicate; it must run under the lock.
func (s *Store) groupMatcher(f group.Filter, opts store.ListOptions) func(*group.Group) bool {
	withDeleted := opts.WithDeleted || f.WithDeleted()
	words := store.Words(f.Q)
	match := s.groupFilter(f)
	return func(g *group.Group) bool {
		return (withDeleted || g.DeletedAt == nil) && match(g) && store.MatchWords(words, g.Name)
	}
}

// groupFilter returns the fields of f but Q as a predicate, sub-filters
// included; it must run under the lock.
func (s *Store) groupFilter(f group.Filter) func(*group.Group) bool {
	var withMembers map[string]bool
	if f.CustomerIDs != nil {
		withMembers = map[string]bool{}
		for _, m := range s.members {
			if m.DeletedAt == nil && inList(f.CustomerIDs, m.CustomerID) {
				withMembers[m.GroupID] = true
			}
		}
	}
	var withMatching map[string]bool
	if cf := f.Customers; cf != nil {
		withMatching = map[string]bool{}
		email := cf.Email.Fold()
		for _, m := range s.members {
			c := s.customers[m.CustomerID]
			if m.DeletedAt == nil && c != nil && (c.DeletedAt == nil || !cf.DeletedAt.IsZero()) &&
				cf.ID.Match(c.ID) && (cf.Email.IsZero() || email.Match(strings.ToLower(c.Email))) &&
				cf.CompanyName.Match(c.CompanyName) && cf.FirstName.Match(c.FirstName) &&
				cf.LastName.Match(c.LastName) && cf.CreatedBy.Match(c.CreatedBy) &&
				cf.CreatedAt.Match(c.CreatedAt) && cf.UpdatedAt.Match(c.UpdatedAt) &&
				cf.DeletedAt.MatchNullable(c.DeletedAt) {
				withMatching[m.GroupID] = true
			}
		}
	}
	and, or := subFilters(f.And, f.Or, s.groupFilter)
	return func(g *group.Group) bool {
		return inList(f.IDs, g.ID) &&
			inList(f.Names, g.Name) &&
			f.Name.Match(g.Name) &&
			(withMembers == nil || withMembers[g.ID]) &&
			(withMatching == nil || withMatching[g.ID]) &&
			f.CreatedBy.Match(g.CreatedBy) &&
			f.CreatedAt.Match(g.CreatedAt) &&
			f.UpdatedAt.Match(g.UpdatedAt) &&
			f.DeletedAt.MatchNullable(g.DeletedAt) &&
			matchSubs(and, or, g)
	}
}

// ListGroups implements group.Store.
func (s *Store) ListGroups(ctx context.Context, f group.Filter, opts store.ListOptions) ([]*group.Group, error) {
	by, err := sorterOf(group.Sortable, opts, groupID)
	if err != nil {
		return nil, err
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	return read(ctx, s, func() []*group.Group {
		match := s.groupMatcher(f, opts)
		var rows []*group.Group
		for _, g := range s.groups {
			if match(g) {
				rows = append(rows, g)
			}
		}
		rows = sortAndPage(rows, opts, by)
		out := make([]*group.Group, len(rows))
		for i, g := range rows {
			out[i] = cloneGroup(g)
		}
		return out
	})
}

// CountGroups implements group.Store.
func (s *Store) CountGroups(ctx context.Context, f group.Filter, opts store.ListOptions) (int, error) {
	if err := f.Check(); err != nil {
		return 0, err
	}
	return read(ctx, s, func() int {
		match := s.groupMatcher(f, opts)
		n := 0
		for _, g := range s.groups {
			if match(g) {
				n++
			}
		}
		return n
	})
}

// checkGroupNames enforces Medusa's unique index on the name of live
// groups, with next replacing or adding to the stored rows.
func (s *Store) checkGroupNames(next []*group.Group) error {
	replaced := make(map[string]bool, len(next))
	for _, g := range next {
		replaced[g.ID] = true
	}
	taken := map[string]bool{}
	for _, g := range s.groups {
		if !replaced[g.ID] && g.DeletedAt == nil {
			taken[g.Name] = true
		}
	}
	for _, g := range next {
		if g.DeletedAt != nil {
			continue
		}
		if taken[g.Name] {
			return &store.ConflictError{Entity: "Customer group", Fields: [][2]string{{"name", g.Name}}}
		}
		taken[g.Name] = true
	}
	return nil
}

// InsertGroups implements group.Store.
func (s *Store) InsertGroups(ctx context.Context, groups []*group.Group) error {
	return s.write(ctx, func(tx *txn) error {
		for _, g := range groups {
			if _, dup := s.groups[g.ID]; dup {
				return &store.ConflictError{Entity: "Customer group", Fields: [][2]string{{"id", g.ID}}}
			}
		}
		if err := s.checkGroupNames(groups); err != nil {
			return err
		}
		for _, g := range groups {
			put(tx, s.groups, g.ID, cloneGroup(g), nil)
		}
		return nil
	})
}

// UpdateGroups implements group.Store.
func (s *Store) UpdateGroups(ctx context.Context, groups []*group.Group) error {
	return s.write(ctx, func(tx *txn) error {
		next := make([]*group.Group, 0, len(groups))
		for _, g := range groups {
			old, ok := s.groups[g.ID]
			if !ok {
				continue
			}
			n := cloneGroup(old)
			n.Name, n.Metadata, n.UpdatedAt = g.Name, cloneGroup(g).Metadata, g.UpdatedAt
			n.DeletedAt = cloneTime(g.DeletedAt)
			next = append(next, n)
		}
		if err := s.checkGroupNames(next); err != nil {
			return err
		}
		for _, g := range next {
			put(tx, s.groups, g.ID, g, nil)
		}
		return nil
	})
}

// DeleteGroups implements group.Store.
func (s *Store) DeleteGroups(ctx context.Context, ids []string) error {
	return s.write(ctx, func(tx *txn) error {
		gone := map[string]bool{}
		for _, id := range ids {
			if _, ok := s.groups[id]; ok {
				gone[id] = true
				put[group.Group](tx, s.groups, id, nil, nil)
			}
		}
		for id, m := range s.members {
			if gone[m.GroupID] {
				put[group.Membership](tx, s.members, id, nil, nil)
			}
		}
		return nil
	})
}

// InsertMemberships implements group.Store.
func (s *Store) InsertMemberships(ctx context.Context, ms []*group.Membership) error {
	return s.write(ctx, func(tx *txn) error {
		for _, m := range ms {
			if _, ok := s.customers[m.CustomerID]; !ok {
				return &store.NotFoundError{Entity: "Customer", IDs: []string{m.CustomerID}}
			}
			if _, ok := s.groups[m.GroupID]; !ok {
				return &store.NotFoundError{Entity: "CustomerGroup", IDs: []string{m.GroupID}}
			}
			if _, dup := s.members[m.ID]; dup {
				return &store.ConflictError{Entity: "Customer group customer", Fields: [][2]string{{"id", m.ID}}}
			}
		}
		for _, m := range ms {
			put(tx, s.members, m.ID, cloneMembership(m), nil)
		}
		return nil
	})
}

// ListMemberships implements group.Store.
func (s *Store) ListMemberships(ctx context.Context, customerIDs, groupIDs []string) ([]*group.Membership, error) {
	return read(ctx, s, func() []*group.Membership {
		var rows []*group.Membership
		for _, m := range s.members {
			if m.DeletedAt == nil && inList(customerIDs, m.CustomerID) && inList(groupIDs, m.GroupID) {
				rows = append(rows, m)
			}
		}
		slices.SortFunc(rows, func(a, b *group.Membership) int { return strings.Compare(a.ID, b.ID) })
		out := make([]*group.Membership, len(rows))
		for i, m := range rows {
			out[i] = cloneMembership(m)
		}
		return out
	})
}

// DeleteMemberships implements group.Store.
func (s *Store) DeleteMemberships(ctx context.Context, pairs []group.Pair) error {
	return s.write(ctx, func(tx *txn) error {
		want := make(map[group.Pair]bool, len(pairs))
		for _, p := range pairs {
			want[p] = true
		}
		for id, m := range s.members {
			if want[group.Pair{CustomerID: m.CustomerID, GroupID: m.GroupID}] {
				put[group.Membership](tx, s.members, id, nil, nil)
			}
		}
		return nil
	})
}

// HasMembership implements group.Store. It scans the memberships, as the
// memory backend keeps no index of them.
func (s *Store) HasMembership(ctx context.Context, customerID string, m group.Match) (bool, error) {
	return read(ctx, s, func() bool {
		if c, ok := s.customers[customerID]; !ok || c.DeletedAt != nil {
			return false
		}
		for _, ms := range s.members {
			if ms.CustomerID != customerID || ms.DeletedAt != nil {
				continue
			}
			g, ok := s.groups[ms.GroupID]
			if ok && g.DeletedAt == nil && (slices.Contains(m.IDs, g.ID) || slices.Contains(m.Names, g.Name)) {
				return true
			}
		}
		return false
	})
}
func groupID(g *group.Group) string { return g.ID }
