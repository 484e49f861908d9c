package postgres

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"

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
// (see the package documentation, # Read replicas), while the replica's
// lag stays within [DefaultReplicaMaxLag] or the bound opts set. The
// caller keeps ownership of both: [Store.Close] leaves them open. A nil
// replica is the same as New(db).
func NewWithReplica(db, replica *bun.DB, opts ...ReplicaOption) *Store {
	s := New(db)
	if replica != nil {
		s.replica = replica
		s.lag = newLagGuard(opts)
	}
	return s
}

// WithReplica makes [Open] also connect to the read replica at dsn (a
// streaming replica of the primary's database, as pgx accepts its
// address) with the same settings (statement_timeout, pool size) as the
// primary, and serve some reads from it while its lag stays within
// [DefaultReplicaMaxLag] or the bound opts set: see the package
// documentation, # Read replicas. The Store owns that pool too and closes
// it in [Store.Close]. An empty dsn configures no replica.
func WithReplica(dsn string, opts ...ReplicaOption) Option {
	return func(o *options) { o.replica, o.replicaOpts = dsn, opts }
}

// A ReplicaOption configures how a Store uses its read replica.
type ReplicaOption func(*lagGuard)

// DefaultReplicaMaxLag is the staleness bound of the reads a replica
// serves, unless [WithMaxLag] sets another.
const DefaultReplicaMaxLag = time.Second

// WithMaxLag bounds the staleness of the reads the replica serves: the
// Store measures the replica's replay lag at most every d/2, and sends
// reads to it only while the last measure, taken less than d/2 ago, is at
// most d/2; otherwise, and when the replica cannot be measured (down,
// unreachable, not a standby), the reads go to the primary. A read the
// replica serves thus shows the primary as it was at most about d earlier.
// The read that measures waits for the measure, at most max(d/2, 100 ms)
// when the replica does not answer. d ≤ 0 removes the bound: the replica serves its reads whatever its lag
// and state, which suits a host that takes a lagging replica out of
// service itself.
func WithMaxLag(d time.Duration) ReplicaOption {
	return func(g *lagGuard) { g.max = d }
}

// Replica returns the database of the read replica, or nil when the Store
// has none.
func (s *Store) Replica() *bun.DB { return s.replica }

// readConn returns what a list or count of q runs on: the replica when q
// may read from it (one of replicaTables, no row lock) and ctx allows it
// (no unit of work, no write recorded in ctx), else the primary, as
// sqlConn.
func (s *Store) readConn(ctx context.Context, q *query) sqlConn {
	if s.replica == nil || q.lock || !replicaTables[q.t] || store.UnitFrom(ctx) != nil || store.Written(ctx) ||
		!s.lag.fresh(ctx, s.replica.DB) {
		return s.sqlConn(ctx)
	}
	return s.hooked(s.replica.DB)
}

// lagSQL measures a standby's replay lag in seconds: 0 when it is
// streaming and has replayed everything it received, else the time since
// the last transaction it replayed committed on the primary (an
// overestimate when the primary was idle before), and +Infinity when it is
// not a standby or has replayed nothing yet.
const lagSQL = `SELECT CASE
	WHEN NOT pg_is_in_recovery() THEN 'Infinity'::float8
	WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
		AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
	ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, 'Infinity'::float8)
END`

// lagGuard keeps the last measure of the replica's lag (WithMaxLag).
type lagGuard struct {
	max time.Duration // ≤ 0: no bound

	measuring atomic.Bool  // a read is measuring
	ok        atomic.Bool  // the last measure was within max/2 (stored before at)
	at        atomic.Int64 // when it was taken, in Unix nanoseconds
}

func newLagGuard(opts []ReplicaOption) *lagGuard {
	g := &lagGuard{max: DefaultReplicaMaxLag}
	for _, opt := range opts {
		opt(g)
	}
	return g
}

// fresh reports whether the replica may serve a read now. When the last
// measure is older than max/2, the calling read measures again (one query
// on the replica, bounded by max/2, at least 100 ms); reads that arrive
// meanwhile go to the primary.
func (g *lagGuard) fresh(ctx context.Context, replica *sql.DB) bool {
	if g.max <= 0 {
		return true
	}
	half := g.max / 2
	if time.Since(time.Unix(0, g.at.Load())) < half {
		return g.ok.Load()
	}
	if !g.measuring.CompareAndSwap(false, true) {
		return false
	}
	defer g.measuring.Store(false)
	start := time.Now()
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(half, 100*time.Millisecond))
	defer cancel()
	var lag float64
	err := replica.QueryRowContext(mctx, lagSQL).Scan(&lag)
	ok := err == nil && lag <= half.Seconds()
	g.ok.Store(ok)
	g.at.Store(start.UnixNano())
	return ok
}

// wrote records in ctx that the work wrote to the database, so that its
// later reads go to the primary (store.ReadYourWrites). Every write that
// may reach one of replicaTables calls it: the row writers (insertRows,
// updateRows, deleteByID, whatever their table), DeleteMemberships, the
// insert of auth identities and every unit of work, whether it commits or
// not. Writes only to other tables need not, since reads of those never
// leave the primary.
func wrote(ctx context.Context) { store.MarkWritten(ctx) }
