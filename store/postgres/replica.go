package postgres

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/clientele/clientele/store"
)

// Routing between the primary and a read replica. Every statement runs on
// the primary (sqlConn) unless it is a read that readConn lets the replica
// serve: a list or count of one of the replicaTables, outside a unit of
// work, that locks nothing, in a context that has not written (see
// store.ReadYourWrites). What reads where is a decision made here, per
// table, not by callers: a new statement reaches the primary unless it is
// routed through readConn on purpose.

// replicaTables are the tables whose lists and counts a replica may serve:
// Medusa's customer tables, whose staleness costs a caller an old page of
// data, never a security decision. Reads of every other table stay on the
// primary (see the package documentation, # Read replicas).
var replicaTables = map[*table]bool{
	customerTable:   true,
	addressTable:    true,
	groupTable:      true,
	membershipTable: true,
}

// NewWithReplica returns a Store on db, as [New] does, that serves some
// reads from replica, a *bun.DB on a streaming replica of db's database
// (see the package documentation, # Read replicas). The caller keeps
// ownership of both: [Store.Close] leaves them open. A nil replica is the
// same as New(db).
func NewWithReplica(db, replica *bun.DB) *Store {
	s := New(db)
	s.replica = replica
	return s
}

// WithReplica makes [Open] also connect to the read replica at dsn (a
// streaming replica of the primary's database, as pgx accepts its
// address) with the same settings (statement_timeout, pool size) as the
// primary, and serve some reads from it: see the package documentation,
// # Read replicas. The Store owns that pool too and closes it in
// [Store.Close]. An empty dsn configures no replica.
func WithReplica(dsn string) Option {
	return func(o *options) { o.replica = dsn }
}

// Replica returns the database of the read replica, or nil when the Store
// has none.
func (s *Store) Replica() *bun.DB { return s.replica }

// readConn returns what a list or count of q runs on: the replica when q
// may read from it (one of replicaTables, no row lock) and ctx allows it
// (no unit of work, no write recorded in ctx), else the primary, as
// sqlConn.
func (s *Store) readConn(ctx context.Context, q *query) sqlConn {
	if s.replica == nil || q.lock || !replicaTables[q.t] || store.UnitFrom(ctx) != nil || store.Written(ctx) {
		return s.sqlConn(ctx)
	}
	return s.replica.DB
}

// wrote records in ctx that the work wrote to the database, so that its
// later reads go to the primary (store.ReadYourWrites). Every write that
// may reach one of replicaTables calls it: the row writers (insertRows,
// updateRows, deleteByID, whatever their table), DeleteMemberships, the
// insert of auth identities and every unit of work that commits. Writes
// only to other tables need not, since reads of those never leave the
// primary.
func wrote(ctx context.Context) { store.MarkWritten(ctx) }
