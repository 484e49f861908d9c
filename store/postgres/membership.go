package postgres

import (
	"context"

	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// membershipQuery returns a query on customer_group_customer with f
// applied. Medusa's indexes on customer_id and customer_group_id serve
// the usual filters.
func membershipQuery(f group.MembershipFilter, withDeleted bool) *query {
	q := newQuery(membershipTable)
	q.live(withDeleted)
	q.filter(func(c *conds) {
		c.in("id", f.IDs)
		c.in("customer_id", f.CustomerIDs)
		c.in("customer_group_id", f.GroupIDs)
		c.text("created_by", f.CreatedBy)
		c.times("created_at", f.CreatedAt, false)
		c.times("updated_at", f.UpdatedAt, false)
	})
	return q
}

// FindMemberships implements group.Store.
func (s *Store) FindMemberships(ctx context.Context, f group.MembershipFilter, opts store.ListOptions) ([]*group.Membership, error) {
	var rows []membershipRow
	if err := s.list(ctx, "find memberships", membershipQuery(f, opts.WithDeleted), opts, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*membershipRow).membership), nil
}

// CountMemberships implements group.Store.
func (s *Store) CountMemberships(ctx context.Context, f group.MembershipFilter, opts store.ListOptions) (int, error) {
	return s.count(ctx, "count memberships", membershipQuery(f, opts.WithDeleted))
}
