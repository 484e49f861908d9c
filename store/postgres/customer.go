package postgres

import (
	"context"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// customerQuery returns a query on customer with f applied.
func customerQuery(f customer.Filter, withDeleted bool) *query {
	if err := f.Check(); err != nil {
		return &query{err: err}
	}
	q := newQuery(customerTable)
	q.live(withDeleted || f.WithDeleted())
	q.filter(func(c *conds) { customerConds(c, f) })
	q.search(f.Q)
	return q
}

// ListCustomers implements customer.Store.
func (s *Store) ListCustomers(ctx context.Context, f customer.Filter, opts store.ListOptions) ([]*customer.Customer, error) {
	var rows []customerRow
	if err := s.list(ctx, "list customers", customerQuery(f, opts.WithDeleted), opts, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*customerRow).customer), nil
}

// customerTotalRow is a customer row with the count of its list.
type customerTotalRow struct {
	customerRow
	Total int `bun:"clientele_total,scanonly"`
}

func (r *customerTotalRow) total() int  { return r.Total }
func (r *customerTotalRow) empty() bool { return r.ID == "" }

// ListAndCountCustomers implements customer.ListCounter: it is
// PageCustomers with an exact count.
func (s *Store) ListAndCountCustomers(ctx context.Context, f customer.Filter, opts store.ListOptions) ([]*customer.Customer, int, error) {
	opts.Count, opts.CountCap = store.CountExact, 0
	list, n, err := s.PageCustomers(ctx, f, opts)
	return list, n.N, err
}

// PageCustomers implements customer.Pager: it lists the page and counts
// the matches in one statement, as opts.Count asks (see counted). An
// exact count of a search (q, or a LIKE pattern of a filter) is a window
// count: the matches are found through the trigram indexes once, not
// twice (for an email[$ilike] that 0.5% of 10,000 customers match, 0.5 ms
// instead of 1.0).
func (s *Store) PageCustomers(ctx context.Context, f customer.Filter, opts store.ListOptions) ([]*customer.Customer, store.Count, error) {
	q := customerQuery(f, opts.WithDeleted)
	if q.err != nil {
		return nil, store.Count{}, q.err
	}
	if err := q.page(opts); err != nil {
		return nil, store.Count{}, err
	}
	var rows []*customerTotalRow
	n, err := counted(ctx, s, "list and count customers", q, opts, &rows)
	if err != nil {
		return nil, store.Count{}, err
	}
	out := make([]*customer.Customer, len(rows))
	for i, r := range rows {
		out[i] = r.customer()
	}
	return out, n, nil
}

// CountCustomers implements customer.Store. The live customers without a
// filter are counted from the rows of clientele_customer_count
// (customercount.go), not by a scan.
func (s *Store) CountCustomers(ctx context.Context, f customer.Filter, opts store.ListOptions) (int, error) {
	q := customerQuery(f, opts.WithDeleted)
	if countsLiveCustomers(q) {
		return s.countLiveCustomers(ctx, q)
	}
	return s.count(ctx, "count customers", q)
}

// InsertCustomers implements customer.Store.
func (s *Store) InsertCustomers(ctx context.Context, cs []*customer.Customer) error {
	return insertRows(ctx, s, "insert customers", customerWriter, rowsOf(cs, toCustomerRow))
}

// UpdateCustomers implements customer.Store.
func (s *Store) UpdateCustomers(ctx context.Context, cs []*customer.Customer) error {
	return updateRows(ctx, s, "update customers", customerWriter, customerUpdate, rowsOf(cs, toCustomerRow))
}

// DeleteCustomers implements customer.Store. The foreign keys of Medusa's
// schema delete the customers' addresses and memberships with them (ON
// DELETE CASCADE), in the same statement.
func (s *Store) DeleteCustomers(ctx context.Context, ids []string) error {
	return deleteByID(ctx, s, "delete customers", customerWriter, ids)
}

// LockCustomers implements address.Store and group.Store: it locks the live
// customers among ids FOR UPDATE, in id order so that concurrent callers
// cannot deadlock, and returns their ids.
func (s *Store) LockCustomers(ctx context.Context, ids []string) ([]string, error) {
	out := []string{}
	if len(ids) == 0 {
		return out, nil
	}
	var arg any = ids
	cond := "id = ANY($1)"
	if len(ids) == 1 {
		arg, cond = ids[0], "id = $1" // see query.inExpr
	}
	rows, err := s.sqlConn(ctx).QueryContext(ctx,
		"SELECT id FROM customer WHERE "+cond+" AND deleted_at IS NULL ORDER BY id FOR UPDATE", arg)
	if err != nil {
		return nil, translate(ctx, "lock customers", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(ctx, "lock customers", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, "lock customers", err)
	}
	return out, nil
}
