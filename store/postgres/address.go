package postgres

import (
	"context"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/store"
)

// addressQuery returns a query on customer_address with f applied.
func addressQuery(f address.Filter, withDeleted bool) *query {
	if err := f.Check(); err != nil {
		return &query{err: err}
	}
	q := newQuery(addressTable)
	q.live(withDeleted || f.WithDeleted())
	q.filter(func(c *conds) { addressConds(c, f) })
	q.search(f.Q)
	return q
}

// ListAddresses implements address.Store.
func (s *Store) ListAddresses(ctx context.Context, f address.Filter, opts store.ListOptions) ([]*address.Address, error) {
	var rows []addressRow
	if err := s.list(ctx, "list addresses", addressQuery(f, opts.WithDeleted), opts, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*addressRow).address), nil
}

// CountAddresses implements address.Store.
func (s *Store) CountAddresses(ctx context.Context, f address.Filter, opts store.ListOptions) (int, error) {
	return s.count(ctx, "count addresses", addressQuery(f, opts.WithDeleted))
}

// InsertAddresses implements address.Store.
func (s *Store) InsertAddresses(ctx context.Context, addrs []*address.Address) error {
	return insertRows(ctx, s, "insert addresses", addressWriter, rowsOf(addrs, toAddressRow))
}

// UpdateAddresses implements address.Store.
func (s *Store) UpdateAddresses(ctx context.Context, addrs []*address.Address) error {
	return updateRows(ctx, s, "update addresses", addressWriter, addressUpdate, rowsOf(addrs, toAddressRow))
}

// DeleteAddresses implements address.Store.
func (s *Store) DeleteAddresses(ctx context.Context, ids []string) error {
	return deleteByID(ctx, s, "delete addresses", addressWriter, ids)
}
