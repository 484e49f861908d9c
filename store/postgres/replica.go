package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

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
// replica is the same as New(db). New(db, WithReplicaDB(replica, opts...))
// is the same Store, and takes New's other options too.
func NewWithReplica(db, replica *bun.DB, opts ...ReplicaOption) *Store {
	return New(db, WithReplicaDB(replica, opts...))
}

// WithReplicaDB makes [New] serve some reads from replica, a *bun.DB on a
// streaming replica of the primary's database, as [NewWithReplica] does,
// beside New's other options: [WithQueryHook] then sees the replica's
// statements too. The caller keeps ownership of replica. A nil replica
// configures none. [Open] refuses it: give Open the replica's dsn
// ([WithReplica]), and it opens and owns the pool.
func WithReplicaDB(replica *bun.DB, opts ...ReplicaOption) Option {
	return func(o *options) { o.replicaDB, o.replicaOpts = replica, opts }
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
// when the replica does not answer. A read the replica could not serve
// (a recovery conflict, a replica down or unreachable) runs again on the
// primary and takes the replica out of service as a failed measure does.
// d ≤ 0 removes the bound: the replica serves its reads whatever its lag
// and state (a read it could not serve still runs again on the primary),
// which suits a host that takes a lagging replica out of service itself.
func WithMaxLag(d time.Duration) ReplicaOption {
	return func(g *lagGuard) { g.max = d }
}

// Replica returns the database of the read replica, or nil when the Store
// has none.
func (s *Store) Replica() *bun.DB { return s.replica }

// readConn returns what a list or count of q runs on, and whether that is
// the replica: the replica when q may read from it (one of replicaTables,
// no row lock) and ctx allows it (no unit of work, no write recorded in
// ctx), else the primary, as sqlConn. A read that the replica serves
// calls fellBack with its error before it returns it.
func (s *Store) readConn(ctx context.Context, q *query) (sqlConn, bool) {
	if s.replica == nil || q.lock || !replicaTables[q.t] || store.UnitFrom(ctx) != nil || store.Written(ctx) ||
		!s.lag.fresh(ctx, s.replica.DB) {
		return s.sqlConn(ctx), false
	}
	return s.hooked(s.replica.DB), true
}

// fellBack reports whether a read that the replica failed with err runs
// again on the primary: when the replica could not serve it
// (replicaFault), and the read's ctx is still alive. It then counts the
// fallback (ReplicaStats) and takes the replica out of service until the
// lag guard's next measure. It costs a read that succeeded one comparison.
func (s *Store) fellBack(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	switch replicaFault(err) {
	case faultConflict:
		s.lag.conflicts.Add(1)
	case faultUnavailable:
		s.lag.unavailable.Add(1)
	default:
		return false
	}
	s.lag.failed()
	return true
}

// A fault is why a replica could not serve a read, or faultNone when the
// read's error is not the replica's doing.
type fault int8

const (
	faultNone        fault = iota
	faultConflict          // the standby cancelled it for a conflict with WAL replay
	faultUnavailable       // down, restarting, unreachable, connection lost
)

// replicaFault classifies the error of a read the replica ran. Falling back
// to the primary suits only a failure of the replica itself:
//
//   - faultConflict: SQLSTATE 40001 serialization_failure and 40P01
//     deadlock_detected, which a read outside a transaction meets on a hot
//     standby only as "canceling statement due to conflict with
//     recovery" (or a buffer-pin deadlock with recovery), and 57P04
//     database_dropped, the conflict of a dropped database;
//   - faultUnavailable: a connection that could not be made (refused,
//     unreachable, rejected: *pgconn.ConnectError, whatever the server
//     answered), or that broke (class 08 connection_exception, io.EOF,
//     io.ErrUnexpectedEOF, a net.Error, pgconn.ErrConnClosed,
//     driver.ErrBadConn), and a server that shuts down or is not ready:
//     57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
//     cannot_connect_now, 57P05 idle_session_timeout, 53300
//     too_many_connections.
//
// Everything else is the read's own and would fail on the primary too:
// a cancelled or expired context (also when it reaches here wrapped
// without the read's ctx being done), 57014 query_canceled (the Store's
// statement_timeout, which translate reports as ErrStatementTimeout),
// errors in the statement or its arguments (classes 22, 42 and the
// rest), and errors of the scan into Go values.
func replicaFault(err error) fault {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return faultNone
	}
	// Before PgError: a refused connection may wrap the server's answer
	// (57P03 while it starts, 53300, 28P01).
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return faultUnavailable
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "57P04":
			return faultConflict
		case "57P01", "57P02", "57P03", "57P05", "53300":
			return faultUnavailable
		}
		if strings.HasPrefix(pe.Code, "08") {
			return faultUnavailable
		}
		return faultNone
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, driver.ErrBadConn) {
		return faultUnavailable
	}
	return faultNone
}

// ReplicaStats counts the reads that a Store's read replica could not
// serve and that ran again on the primary (see the package
// documentation, # Read replicas). The counts grow from the Store's
// creation; a Store without a replica reports zeros.
type ReplicaStats struct {
	// Conflicts counts the reads the standby cancelled for a conflict
	// with WAL replay (SQLSTATE 40001, 40P01, 57P04).
	Conflicts uint64
	// Unavailable counts the reads the replica could not serve because it
	// was down, restarting, unreachable or lost the connection.
	Unavailable uint64
}

// ReplicaStats returns the counts of the reads the replica could not
// serve, which ran again on the primary. It is safe to call at any time,
// for example from a metrics callback.
func (s *Store) ReplicaStats() ReplicaStats {
	if s.lag == nil {
		return ReplicaStats{}
	}
	return ReplicaStats{Conflicts: s.lag.conflicts.Load(), Unavailable: s.lag.unavailable.Load()}
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

	// Reads the replica could not serve, by fault (ReplicaStats).
	conflicts, unavailable atomic.Uint64
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

// failed takes the replica out of service after a read it could not
// serve: it records a measure that failed now, so that reads go to the
// primary for max/2, after which one read measures the replica again.
// Without a bound (max ≤ 0) there is no measure to wait for: each read
// tries the replica again.
func (g *lagGuard) failed() {
	if g.max <= 0 {
		return
	}
	g.ok.Store(false)
	g.at.Store(time.Now().UnixNano())
}

// wrote records in ctx that the work wrote to the database, so that its
// later reads go to the primary (store.ReadYourWrites). Every write that
// may reach one of replicaTables calls it: the row writers (insertRows,
// updateRows, deleteByID, whatever their table), DeleteMemberships, the
// insert of auth identities and every unit of work, whether it commits or
// not. Writes only to other tables need not, since reads of those never
// leave the primary.
func wrote(ctx context.Context) { store.MarkWritten(ctx) }
