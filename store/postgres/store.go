package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

var (
	_ customer.Store       = (*Store)(nil)
	_ customer.ListCounter = (*Store)(nil)
	_ auth.Store           = (*Store)(nil)
)

// Store is the PostgreSQL backend. One Store implements every domain store
// (customer.Store, address.Store, group.Store, auth.Store, and the optional
// customer.ListCounter and session.Store). It is safe for concurrent
// use.
type Store struct {
	db   *bun.DB
	owns bool // Open opened db (and replica), so Close closes it
	// replica, when set, serves the reads readConn allows while lag
	// vouches for it (replica.go).
	replica *bun.DB
	lag     *lagGuard
	pgx     bool // db's driver is pgx's stdlib, which takes a QueryExecMode argument
	// throttleCalls counts the counting calls of throttle.Store, one in
	// throttlePurgeEvery of which purges lapsed counters (throttle.go).
	throttleCalls atomic.Uint64
	// hooks run around every statement (WithQueryHook, hook.go).
	hooks []bun.QueryHook
}

// New returns a Store on db, which must use bun's pgdialect. The caller
// keeps ownership of db: [Store.Close] leaves it open. See the package
// documentation for the query exec mode db's driver should use.
//
// New recognises pgx's database/sql driver by db.DB.Driver(), and then
// passes pgx a query exec mode for searches. A driver.Connector that wraps
// pgx's (for tracing, metrics or fault injection) keeps this when its
// Driver method returns the wrapped connector's driver and its
// connections forward driver.NamedValueChecker, so that the exec mode
// argument reaches pgx.
//
// Of the options, New applies [WithQueryHook]; the others configure the
// connections [Open] makes.
func New(db *bun.DB, opts ...Option) *Store {
	_, isPgx := db.DB.Driver().(*stdlib.Driver)
	s := &Store{db: db, pgx: isPgx}
	o := collect(opts)
	s.withHooks(o)
	if o.replicaDB != nil {
		s.replica, s.lag = o.replicaDB, newLagGuard(o.replicaOpts)
	}
	return s
}

// collect applies opts.
func collect(opts []Option) *options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return &o
}

// Open connects to the PostgreSQL database at dsn (a URL or a keyword/value
// string, as pgx accepts it) through pgx's database/sql driver and returns
// a Store that owns the connection pool.
//
// Queries run in the exec mode dsn chooses (default_query_exec_mode), by
// default pgx's QueryExecModeCacheStatement: the Store's reads have stable
// texts with parameters, so each is prepared and planned once per
// connection, and its searches opt out of the cache on their own (see the
// package documentation).
//
// The pool keeps up to 4 × GOMAXPROCS connections open and idle, the size
// bun recommends; change it through Store.DB().DB.
//
// Every connection runs with a statement_timeout, set as a run-time
// parameter of the connection so that it holds in and out of
// transactions: 5 seconds unless dsn sets statement_timeout itself or
// [WithStatementTimeout] says otherwise. A statement over it fails with an
// error matching [ErrStatementTimeout]. Every statement also stops when the
// context it runs with is cancelled.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := collect(opts)
	if o.replicaDB != nil {
		return nil, errors.New("postgres: WithReplicaDB is for New; give Open the replica's dsn with WithReplica")
	}
	db, err := openDB(ctx, dsn, o, "")
	if err != nil {
		return nil, err
	}
	st := New(db)
	st.withHooks(o)
	st.owns = true
	if o.replica != "" {
		replica, err := openDB(ctx, o.replica, o, " replica")
		if err != nil {
			_ = db.Close()
			return nil, err
		}
		st.replica, st.lag = replica, newLagGuard(o.replicaOpts)
	}
	return st, nil
}

// openDB opens and pings a pool on dsn with the settings Open documents;
// what names the database in errors ("" or " replica").
func openDB(ctx context.Context, dsn string, o *options, what string) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse%s dsn: %w", what, err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, set := cfg.RuntimeParams["statement_timeout"]; o.timeout != nil || !set {
		d := DefaultStatementTimeout
		if o.timeout != nil {
			d = *o.timeout
		}
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(d.Milliseconds(), 10)
	}
	sqldb := stdlib.OpenDB(*cfg)
	n := 4 * runtime.GOMAXPROCS(0)
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	db := bun.NewDB(sqldb, pgdialect.New())
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: connect%s: %w", what, err)
	}
	return db, nil
}

// DefaultStatementTimeout is the statement_timeout of the connections
// [Open] makes.
const DefaultStatementTimeout = 5 * time.Second

// ErrStatementTimeout is matched (errors.Is) by the error of a statement
// that PostgreSQL cancelled after statement_timeout. It wraps
// context.DeadlineExceeded, so a caller that treats deadlines as such
// treats it the same way, and carries no text of the database.
var ErrStatementTimeout = fmt.Errorf("statement timeout: %w", context.DeadlineExceeded)

// An Option configures [Open].
type Option func(*options)

type options struct {
	timeout     *time.Duration
	replica     string          // WithReplica's dsn
	replicaDB   *bun.DB         // WithReplicaDB's database
	replicaOpts []ReplicaOption // either's options
	hooks       []bun.QueryHook // WithQueryHook
}

// WithStatementTimeout sets the statement_timeout of every connection
// (rounded down to the millisecond); 0 turns it off. It overrides a
// statement_timeout set in the dsn. A host that builds its own *bun.DB for
// [New] sets it there, e.g. in pgx's ConnConfig.RuntimeParams.
//
// The timeout is sent as a start-up parameter of each connection. A
// connection pooler that refuses unknown start-up parameters (PgBouncer in
// transaction mode, unless its ignore_startup_parameters lists
// statement_timeout) needs WithStatementTimeout(0) here and the timeout
// set on the database role instead:
//
//	ALTER ROLE app SET statement_timeout = '5s';
func WithStatementTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = &d }
}

// DB returns the database the Store uses.
func (s *Store) DB() *bun.DB { return s.db }

// Close closes the database (and the replica's) if [Open] opened it; a
// Store made with [New] or [NewWithReplica] leaves its databases to the
// caller.
func (s *Store) Close() error {
	if !s.owns {
		return nil
	}
	err := s.db.Close()
	if s.replica != nil {
		err = errors.Join(err, s.replica.Close())
	}
	return err
}

// InTx runs fn in one database transaction; see store.Transactor. Calls
// made with the context fn receives run in the transaction; an InTx nested
// in another of the same Store joins it. The transaction uses the
// database's default isolation level (READ COMMITTED unless configured
// otherwise); services take the row locks they need.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.tx(ctx) != nil {
		return fn(ctx)
	}
	// A unit counts as a write whatever its outcome: a commit that fails
	// may still have been applied, and a unit that fails on a conflict
	// (a unique index, a lost race) failed on data that the replica may
	// not show yet, which the reads after it must see.
	wrote(ctx)
	// The transaction runs on a connection of its own, which COPY reaches
	// (copy.go). The connection goes back to the pool as soon as the
	// transaction ends, before the unit's after-commit work (event
	// delivery), which may use the Store again.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return translate(ctx, "begin", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		_ = conn.Close()
		return translate(ctx, "begin", err)
	}
	ctx, u := store.BeginUnit(ctx, s, &unitTx{Tx: tx, conn: conn.Conn})
	done := false
	defer func() {
		if !done {
			// fn panicked: roll back, then let the panic go on.
			_ = tx.Rollback()
			_ = conn.Close()
			u.End()
		}
	}()
	if err := fn(ctx); err != nil {
		done = true
		u.End()
		rbErr := tx.Rollback()
		_ = conn.Close()
		if rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && ctx.Err() == nil {
			return errors.Join(err, fmt.Errorf("postgres: rollback: %w", rbErr))
		}
		return err
	}
	done = true
	err = tx.Commit()
	_ = conn.Close()
	if err != nil {
		u.End()
		return translate(ctx, "commit", err)
	}
	u.Committed()
	return nil
}

// unitTx is the transaction of a unit of work and the connection it runs
// on.
type unitTx struct {
	bun.Tx
	conn *sql.Conn
}

// unit returns the transaction of the unit of work in ctx if this Store
// opened it.
func (s *Store) unit(ctx context.Context) *unitTx {
	if u := store.UnitFrom(ctx); u != nil && u.Owner == s {
		if ut, ok := u.Tx.(*unitTx); ok {
			return ut
		}
	}
	return nil
}

// tx returns the transaction of the unit of work in ctx if this Store
// opened it.
func (s *Store) tx(ctx context.Context) *bun.Tx {
	if ut := s.unit(ctx); ut != nil {
		return &ut.Tx
	}
	return nil
}

// sqlConn is what a statement runs on: *sql.Tx or *sql.DB.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlConn returns the unit of work's transaction or the database, below
// bun (whose methods would inline the arguments).
func (s *Store) sqlConn(ctx context.Context) sqlConn {
	if tx := s.tx(ctx); tx != nil {
		return s.hooked(tx.Tx)
	}
	return s.hooked(s.db.DB)
}
