package memory

import (
	"context"

	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

func membershipMatcher(f group.MembershipFilter, opts store.ListOptions) func(*group.Membership) bool {
	return func(m *group.Membership) bool {
		return live(m.DeletedAt, opts) &&
			inList(f.IDs, m.ID) &&
			inList(f.CustomerIDs, m.CustomerID) &&
			inList(f.GroupIDs, m.GroupID) &&
			f.CreatedBy.Match(m.CreatedBy) &&
			f.CreatedAt.Match(m.CreatedAt) &&
			f.UpdatedAt.Match(m.UpdatedAt)
	}
}

// FindMemberships implements group.Store. It scans the memberships, as
// the memory backend keeps no index of them.
func (s *Store) FindMemberships(ctx context.Context, f group.MembershipFilter, opts store.ListOptions) ([]*group.Membership, error) {
	by, err := sorterOf(group.MembershipSortable, opts, membershipID)
	if err != nil {
		return nil, err
	}
	return read(ctx, s, func() []*group.Membership {
		match := membershipMatcher(f, opts)
		var rows []*group.Membership
		for _, m := range candidates(s.members, f.IDs, nil, nil) {
			if match(m) {
				rows = append(rows, m)
			}
		}
		rows = sortAndPage(rows, opts, by)
		out := make([]*group.Membership, len(rows))
		for i, m := range rows {
			out[i] = cloneMembership(m)
		}
		return out
	})
}

// CountMemberships implements group.Store.
func (s *Store) CountMemberships(ctx context.Context, f group.MembershipFilter, opts store.ListOptions) (int, error) {
	return read(ctx, s, func() int {
		match := membershipMatcher(f, opts)
		n := 0
		for _, m := range candidates(s.members, f.IDs, nil, nil) {
			if match(m) {
				n++
			}
		}
		return n
	})
}

func membershipID(m *group.Membership) string { return m.ID }
