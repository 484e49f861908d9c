package postgres

import (
	"context"
	"strings"

	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// groupQuery returns a query on customer_group with f applied.
func groupQuery(f group.Filter, withDeleted bool) *query {
	if err := f.Check(); err != nil {
		return &query{err: err}
	}
	q := newQuery(groupTable)
	q.live(withDeleted || f.WithDeleted())
	q.filter(func(c *conds) { groupConds(c, f) })
	q.search(f.Q)
	return q
}

// ListGroups implements group.Store.
func (s *Store) ListGroups(ctx context.Context, f group.Filter, opts store.ListOptions) ([]*group.Group, error) {
	var rows []groupRow
	if err := s.list(ctx, "list groups", groupQuery(f, opts.WithDeleted), opts, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*groupRow).group), nil
}

// CountGroups implements group.Store.
func (s *Store) CountGroups(ctx context.Context, f group.Filter, opts store.ListOptions) (int, error) {
	return s.count(ctx, "count groups", groupQuery(f, opts.WithDeleted))
}

// InsertGroups implements group.Store.
func (s *Store) InsertGroups(ctx context.Context, groups []*group.Group) error {
	return insertRows(ctx, s, "insert groups", groupWriter, rowsOf(groups, toGroupRow))
}

// UpdateGroups implements group.Store: it writes name, metadata, updated_at
// and deleted_at.
func (s *Store) UpdateGroups(ctx context.Context, groups []*group.Group) error {
	return updateRows(ctx, s, "update groups", groupWriter, groupUpdate, rowsOf(groups, toGroupRow))
}

// DeleteGroups implements group.Store. The foreign key of Medusa's schema
// deletes the groups' memberships with them (ON DELETE CASCADE).
func (s *Store) DeleteGroups(ctx context.Context, ids []string) error {
	return deleteByID(ctx, s, "delete groups", groupWriter, ids)
}

// InsertMemberships implements group.Store. A customer or group that does
// not exist fails with a *store.NotFoundError naming it.
func (s *Store) InsertMemberships(ctx context.Context, ms []*group.Membership) error {
	return insertRows(ctx, s, "insert memberships", membershipWriter, rowsOf(ms, toMembershipRow))
}

// ListMemberships implements group.Store.
func (s *Store) ListMemberships(ctx context.Context, customerIDs, groupIDs []string) ([]*group.Membership, error) {
	var rows []membershipRow
	q := newQuery(membershipTable)
	q.live(false)
	q.in("customer_id", customerIDs)
	q.in("customer_group_id", groupIDs)
	if err := s.list(ctx, "list memberships", q, store.ListOptions{}, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*membershipRow).membership), nil
}

// DeleteMemberships implements group.Store: every pivot row of each pair
// goes, soft-deleted ones included.
func (s *Store) DeleteMemberships(ctx context.Context, pairs []group.Pair) error {
	if len(pairs) == 0 {
		return nil
	}
	customers, groups := make([]string, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		customers[i], groups[i] = p.CustomerID, p.GroupID
	}
	wrote(ctx)
	_, err := s.sqlConn(ctx).ExecContext(ctx, `DELETE FROM customer_group_customer AS m
		USING unnest($1::text[], $2::text[]) AS p(customer_id, customer_group_id)
		WHERE m.customer_id = p.customer_id AND m.customer_group_id = p.customer_group_id`, customers, groups)
	return translate(ctx, "delete memberships", err)
}

// HasMembership implements group.Store in one query: an EXISTS over the
// customer's live memberships (Medusa's index on customer_id), each joined
// to its group by primary key and to the customer, also by primary key.
// Duplicate membership rows stop it no later than one row would.
func (s *Store) HasMembership(ctx context.Context, customerID string, m group.Match) (bool, error) {
	q := &query{}
	cid := q.arg(customerID)
	var or []string
	if c := q.match("cg.id", m.IDs); c != "" && c != "FALSE" {
		or = append(or, c)
	}
	if c := q.match("cg.name", m.Names); c != "" && c != "FALSE" {
		or = append(or, c)
	}
	if len(or) == 0 {
		return false, ctx.Err()
	}
	sql := `SELECT EXISTS (SELECT 1 FROM customer_group_customer AS cgc
		JOIN customer_group AS cg ON cg.id = cgc.customer_group_id
		JOIN customer AS c ON c.id = cgc.customer_id
		WHERE cgc.customer_id = ` + cid + ` AND cgc.deleted_at IS NULL AND cg.deleted_at IS NULL AND c.deleted_at IS NULL
		AND (` + strings.Join(or, " OR ") + `))`
	var ok bool
	if err := s.sqlConn(ctx).QueryRowContext(ctx, sql, q.args...).Scan(&ok); err != nil {
		return false, translate(ctx, "has membership", err)
	}
	return ok, nil
}
