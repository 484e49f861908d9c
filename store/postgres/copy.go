package postgres

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
)

var (
	_ customer.Importer     = (*Store)(nil)
	_ auth.IdentityImporter = (*Store)(nil)
)

// The bulk imports write with COPY (binary), through the pgx connection
// under the unit of work's transaction (database/sql's Conn.Raw): a batch
// of 5,000 customers with their addresses is two COPY statements, with
// the same conflicts as an INSERT (Medusa's unique indexes, foreign keys).
// On a connection that is not pgx's (a driver wrapped for tracing or fault
// injection that does not expose it), or outside a unit of work, they
// write with the writers' INSERTs instead.

// copyStatements counts the COPY statements the Stores of the process ran,
// for tests.
var copyStatements atomic.Int64

// ImportCustomers implements customer.Importer: it writes the customers,
// then the addresses, with COPY.
func (s *Store) ImportCustomers(ctx context.Context, cs []*customer.Customer, addrs []*address.Address) error {
	if err := s.keepStatistics(ctx, "customer"); err != nil {
		return err
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		if err := copyRows(ctx, s, "import customers", customerWriter, rowsOf(cs, toCustomerRow)); err != nil {
			return err
		}
		return copyRows(ctx, s, "import addresses", addressWriter, rowsOf(addrs, toAddressRow))
	})
}

// ImportAuthIdentities implements auth.IdentityImporter: it writes the
// identities, then their provider identities, with COPY.
func (s *Store) ImportAuthIdentities(ctx context.Context, ids []*auth.AuthIdentity) error {
	var pis []providerIdentityRow
	for _, a := range ids {
		for _, p := range a.ProviderIdentities {
			pis = append(pis, toProviderIdentityRow(p))
		}
	}
	if err := s.keepStatistics(ctx, "provider_identity"); err != nil {
		return err
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		copied, err := copyFrom(ctx, s, "import auth identities", authIdentityWriter, rowsOf(ids, toAuthIdentityRow))
		if err != nil {
			return err
		}
		if !copied {
			return s.InsertAuthIdentities(ctx, ids)
		}
		_, err = copyFrom(ctx, s, "import provider identities", providerIdentityWriter, pis)
		return err
	})
}

// copyRows writes rows, a slice of w's row type, with COPY, or with w's
// INSERT where COPY cannot run.
func copyRows[R any](ctx context.Context, s *Store, op string, w *writer, rows []R) error {
	copied, err := copyFrom(ctx, s, op, w, rows)
	if err != nil || copied {
		return err
	}
	return insertRows(ctx, s, op, w, rows)
}

// copyFrom writes rows, a slice of w's row type, with COPY in the unit of
// work of ctx, and reports whether it could (a unit of this Store whose
// connection is pgx's).
func copyFrom[R any](ctx context.Context, s *Store, op string, w *writer, rows []R) (bool, error) {
	if len(rows) == 0 {
		return true, nil
	}
	ut := s.unit(ctx)
	if ut == nil {
		return false, nil
	}
	copied := false
	err := ut.conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(interface{ Conn() *pgx.Conn })
		if !ok {
			return nil
		}
		copied = true
		copyStatements.Add(1)
		src := &rowSource{rows: reflect.ValueOf(rows), cols: w.cols, values: make([]any, len(w.cols))}
		n, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{w.table}, w.names(), src)
		if err == nil && n != int64(len(rows)) {
			err = fmt.Errorf("copied %d rows of %d", n, len(rows))
		}
		return err
	})
	return copied, translate(ctx, op, err)
}

// names returns the names of w's columns.
func (w *writer) names() []string {
	names := make([]string, len(w.cols))
	for i, c := range w.cols {
		names[i] = c.name
	}
	return names
}

// rowSource is a pgx.CopyFromSource over a slice of a writer's row type.
// It passes pointers to the rows' fields, so that no value is copied or
// boxed: NULL for an empty nullable text, a nil map or a nil time.
type rowSource struct {
	rows   reflect.Value
	cols   []wcol
	i      int
	values []any
}

// Next implements pgx.CopyFromSource.
func (r *rowSource) Next() bool {
	r.i++
	return r.i <= r.rows.Len()
}

// Values implements pgx.CopyFromSource. pgx encodes the values before it
// asks for the next row, so one slice serves every row.
func (r *rowSource) Values() ([]any, error) {
	row := r.rows.Index(r.i - 1)
	for j, c := range r.cols {
		f := c.field.Value(row)
		var v any
		switch c.kind {
		case wText, wBool, wTime:
			v = f.Addr().Interface()
		case wNullText:
			if f.Len() > 0 {
				v = f.Addr().Interface()
			}
		case wJSON, wNullTime:
			if !f.IsNil() {
				v = f.Interface()
			}
		}
		r.values[j] = v
	}
	return r.values, nil
}

// Err implements pgx.CopyFromSource.
func (r *rowSource) Err() error { return nil }

// analyzeFrom is the size of a table, in pages of 8 KiB (about 6,000
// customers), from which an import keeps its statistics: below it, a scan
// of the table costs little.
const analyzeFrom = 128

// keepStatistics analyses table (customer or provider_identity) when it
// holds analyzeFrom pages or more and more than twice the pages the
// planner's statistics describe (none when it was never analysed). An
// import checks each batch against the rows stored (by lower(email), by
// lower(entity_id)); without statistics of a table that an import is
// filling, PostgreSQL plans that check as a scan of the whole table, and
// an import of a million rows into an empty table slows down as it goes.
// Autovacuum analyses such a table eventually; this makes it happen before
// the planner needs it, about log2(rows) times in an import. The table's
// size comes from its files, so it counts the batches just committed. It
// runs in the batch's transaction (no second connection), before the
// batch is written; ANALYZE's lock (SHARE UPDATE EXCLUSIVE, which writers
// do not wait for) is held until the batch commits.
func (s *Store) keepStatistics(ctx context.Context, table string) error {
	const op = "analyze"
	conn := s.sqlConn(ctx)
	var stale bool
	err := conn.QueryRowContext(ctx, `SELECT p.pages >= $2 AND p.pages > 2 * c.relpages
		FROM pg_class c, LATERAL (SELECT pg_relation_size(c.oid) / current_setting('block_size')::int AS pages) p
		WHERE c.oid = $1::regclass`, table, analyzeFrom).Scan(&stale)
	if err != nil || !stale {
		return translate(ctx, op, err)
	}
	_, err = conn.ExecContext(ctx, "ANALYZE "+table)
	return translate(ctx, op, err)
}
