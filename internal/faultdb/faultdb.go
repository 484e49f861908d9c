// Package faultdb wraps a database/sql driver so that tests can make the
// database fail at a chosen statement.
//
// A [Connector] wraps another driver.Connector (pgx's stdlib connector in
// clientele's tests) and counts the statements its connections send:
// BEGIN, every query and exec (on a connection, in a transaction or
// through a prepared statement), every PREPARE, and COMMIT. ROLLBACK, ping
// and session resets are not counted: they are the recovery, not the
// work. After [Connector.Arm] with n, the nth statement counted from then
// on fails with an [*Error] instead of reaching the database:
//
//   - [Plain]: the database refused the statement and the connection
//     stays usable, as after a constraint or serialization error. Inside
//     a transaction the transaction is then aborted, as PostgreSQL aborts
//     it: later statements fail until it is rolled back, and its COMMIT
//     rolls back and fails. A refused COMMIT rolls the transaction back.
//   - [Broken]: the connection dropped. The wrapped connection is closed,
//     so the server rolls back any open transaction; later calls on it
//     fail with driver.ErrBadConn, as pgx's own do on a closed
//     connection, and database/sql discards it.
//
// The injected error is never driver.ErrBadConn itself: database/sql
// retries a statement that fails with it on another connection, so the
// fault would not be seen.
//
// The Connector's Driver is the wrapped connector's, so code that
// recognises a driver by its type (store/postgres detects pgx's stdlib
// driver to choose query exec modes) sees the real one, and a connection
// forwards the optional interfaces pgx's stdlib connection has
// (ExecerContext, QueryerContext, ConnPrepareContext, ConnBeginTx,
// NamedValueChecker, SessionResetter, Pinger) with their semantics, so
// arguments such as pgx.QueryExecMode pass through unchanged. Rows are
// the wrapped driver's own.
package faultdb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Kind is how an injected fault behaves.
type Kind int

const (
	// Plain is a statement the database refused; the connection stays up.
	Plain Kind = iota
	// Broken is a dropped connection: the statement fails and the
	// connection is closed.
	Broken
)

// String returns "plain" or "broken".
func (k Kind) String() string {
	switch k {
	case Plain:
		return "plain"
	case Broken:
		return "broken"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ErrInjected is matched (errors.Is) by every error the Connector
// injects, and by the errors of statements in a transaction it aborted.
var ErrInjected = errors.New("faultdb: injected fault")

// Error is an injected fault.
type Error struct {
	// Statement is the statement's number since Arm (1-based).
	Statement int
	// Op names the statement: "begin", "commit", "prepare", "exec" or
	// "query".
	Op   string
	Kind Kind
}

// Error describes the fault without the statement's text or arguments.
func (e *Error) Error() string {
	if e.Kind == Broken {
		return fmt.Sprintf("faultdb: injected fault at statement %d (%s): connection dropped: %v", e.Statement, e.Op, io.ErrUnexpectedEOF)
	}
	return fmt.Sprintf("faultdb: injected fault at statement %d (%s)", e.Statement, e.Op)
}

// Unwrap returns ErrInjected, and for a Broken fault also
// io.ErrUnexpectedEOF (what a reader of a dropped connection sees).
func (e *Error) Unwrap() []error {
	if e.Kind == Broken {
		return []error{ErrInjected, io.ErrUnexpectedEOF}
	}
	return []error{ErrInjected}
}

// errAborted is what a statement gets in a transaction that a Plain fault
// aborted (PostgreSQL's 25P02).
var errAborted = fmt.Errorf("current transaction is aborted, commands ignored until end of transaction block: %w", ErrInjected)

// Connector is a driver.Connector that counts statements and fails the
// one Arm chose. It is safe for concurrent use; the count is shared by
// every connection it made, so a test that arms it runs the operation
// under test alone.
type Connector struct {
	inner driver.Connector

	mu     sync.Mutex
	count  int // statements since Arm or Reset
	failAt int // 0: none
	kind   Kind
	fired  *Error
	record bool
	ops    []string // what each counted statement was, when recording
}

// New returns a Connector on inner. It injects nothing until Arm.
func New(inner driver.Connector) *Connector {
	return &Connector{inner: inner}
}

// Connect opens a connection of the wrapped connector.
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, inner: dc}, nil
}

// Driver returns the wrapped connector's driver (see the package
// documentation); connections it opens itself are not counted.
func (c *Connector) Driver() driver.Driver { return c.inner.Driver() }

// Arm resets the count and makes statement n (1-based, counted from now)
// fail with a fault of kind k; n ≤ 0 counts without failing.
func (c *Connector) Arm(n int, k Kind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count, c.failAt, c.kind, c.fired, c.ops = 0, n, k, nil, nil
}

// Reset resets the count and disarms the Connector.
func (c *Connector) Reset() { c.Arm(0, Plain) }

// Record sets whether the Connector keeps the first word of every counted
// statement (for [Connector.Statements]). It is off by default.
func (c *Connector) Record(on bool) {
	c.mu.Lock()
	c.record = on
	c.mu.Unlock()
}

// Count returns the number of statements counted since Arm or Reset.
func (c *Connector) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// Fired returns the fault injected since Arm, or nil.
func (c *Connector) Fired() *Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}

// Statements returns, while recording, what each statement counted since
// Arm was: "BEGIN", "COMMIT", "PREPARE", or the first word of the query
// (SELECT, INSERT, …).
func (c *Connector) Statements() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ops...)
}

// next counts a statement and returns the fault to inject, or nil.
func (c *Connector) next(op, query string) *Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count++
	if c.record {
		w := strings.ToUpper(op)
		if f := strings.Fields(query); len(f) > 0 {
			w = strings.ToUpper(f[0])
		}
		c.ops = append(c.ops, w)
	}
	if c.failAt <= 0 || c.count != c.failAt {
		return nil
	}
	c.fired = &Error{Statement: c.count, Op: op, Kind: c.kind}
	return c.fired
}

// conn is a connection of a Connector. database/sql uses a connection from
// one goroutine at a time.
type conn struct {
	c      *Connector
	inner  driver.Conn
	broken bool // a Broken fault closed inner
	tx     *tx  // the open transaction, if any
}

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
)

// inject applies fault f to the connection and returns its error.
func (cn *conn) inject(f *Error) error {
	if f.Kind == Broken {
		cn.broken = true
		_ = cn.inner.Close()
		return f
	}
	if cn.tx != nil {
		cn.tx.aborted = true
	}
	return f
}

// check is called before each statement: it fails on a dropped connection
// or an aborted transaction, else counts the statement and returns the
// fault to inject, if any.
func (cn *conn) check(op, query string) error {
	if cn.broken {
		return driver.ErrBadConn
	}
	if cn.tx != nil && cn.tx.aborted {
		return errAborted
	}
	if f := cn.c.next(op, query); f != nil {
		return cn.inject(f)
	}
	return nil
}

func (cn *conn) Prepare(query string) (driver.Stmt, error) {
	return cn.PrepareContext(context.Background(), query)
}

func (cn *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := cn.check("prepare", query); err != nil {
		return nil, err
	}
	var (
		st  driver.Stmt
		err error
	)
	if p, ok := cn.inner.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = cn.inner.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &stmt{cn: cn, inner: st, query: query}, nil
}

func (cn *conn) Close() error {
	if cn.broken {
		return nil
	}
	return cn.inner.Close()
}

func (cn *conn) Begin() (driver.Tx, error) {
	return cn.BeginTx(context.Background(), driver.TxOptions{})
}

func (cn *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := cn.check("begin", "BEGIN"); err != nil {
		return nil, err
	}
	var (
		t   driver.Tx
		err error
	)
	if b, ok := cn.inner.(driver.ConnBeginTx); ok {
		t, err = b.BeginTx(ctx, opts)
	} else {
		//lint:ignore SA1019 the fallback for drivers without ConnBeginTx, as database/sql does
		t, err = cn.inner.Begin()
	}
	if err != nil {
		return nil, err
	}
	cn.tx = &tx{cn: cn, inner: t}
	return cn.tx, nil
}

func (cn *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := cn.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	if err := cn.check("exec", query); err != nil {
		return nil, err
	}
	return e.ExecContext(ctx, query, args)
}

func (cn *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := cn.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	if err := cn.check("query", query); err != nil {
		return nil, err
	}
	return q.QueryContext(ctx, query, args)
}

// CheckNamedValue forwards to the wrapped connection, so that arguments
// it accepts as they are (pgx.QueryExecMode, pgx's own types) reach it;
// without it, database/sql's default conversion applies.
func (cn *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := cn.inner.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (cn *conn) ResetSession(ctx context.Context) error {
	if cn.broken {
		return driver.ErrBadConn
	}
	if r, ok := cn.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (cn *conn) Ping(ctx context.Context) error {
	if cn.broken {
		return driver.ErrBadConn
	}
	if p, ok := cn.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// IsValid reports false once a Broken fault closed the connection, so
// that database/sql does not put it back in its pool.
func (cn *conn) IsValid() bool {
	if cn.broken {
		return false
	}
	if v, ok := cn.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// tx is a transaction of a conn.
type tx struct {
	cn      *conn
	inner   driver.Tx
	aborted bool // a Plain fault failed one of its statements
}

// Commit counts a COMMIT. A fault, or an aborted transaction, rolls the
// transaction back (a Broken fault by closing the connection) and fails.
func (t *tx) Commit() error {
	cn := t.cn
	defer func() { cn.tx = nil }()
	if cn.broken {
		return driver.ErrBadConn
	}
	if t.aborted {
		_ = t.inner.Rollback()
		return errAborted
	}
	if f := cn.c.next("commit", "COMMIT"); f != nil {
		err := cn.inject(f)
		if !cn.broken {
			if rbErr := t.inner.Rollback(); rbErr != nil {
				return errors.Join(err, rbErr)
			}
		}
		return err
	}
	return t.inner.Commit()
}

// Rollback rolls back; it is not counted.
func (t *tx) Rollback() error {
	cn := t.cn
	defer func() { cn.tx = nil }()
	if cn.broken {
		return driver.ErrBadConn
	}
	return t.inner.Rollback()
}

// stmt is a prepared statement of a conn; each execution is counted.
type stmt struct {
	cn    *conn
	inner driver.Stmt
	query string
}

var (
	_ driver.StmtExecContext  = (*stmt)(nil)
	_ driver.StmtQueryContext = (*stmt)(nil)
)

func (s *stmt) Close() error {
	if s.cn.broken {
		return nil
	}
	return s.inner.Close()
}

func (s *stmt) NumInput() int { return s.inner.NumInput() }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	if err := s.cn.check("exec", s.query); err != nil {
		return nil, err
	}
	//lint:ignore SA1019 database/sql calls Exec only on drivers without StmtExecContext
	return s.inner.Exec(args)
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	if err := s.cn.check("query", s.query); err != nil {
		return nil, err
	}
	//lint:ignore SA1019 database/sql calls Query only on drivers without StmtQueryContext
	return s.inner.Query(args)
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.cn.check("exec", s.query); err != nil {
		return nil, err
	}
	if e, ok := s.inner.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	vals, err := values(args)
	if err != nil {
		return nil, err
	}
	//lint:ignore SA1019 the fallback for statements without StmtExecContext
	return s.inner.Exec(vals)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.cn.check("query", s.query); err != nil {
		return nil, err
	}
	if q, ok := s.inner.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	vals, err := values(args)
	if err != nil {
		return nil, err
	}
	//lint:ignore SA1019 the fallback for statements without StmtQueryContext
	return s.inner.Query(vals)
}

// values turns positional named values into the values of the
// context-less Stmt methods, as database/sql does.
func values(args []driver.NamedValue) ([]driver.Value, error) {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, errors.New("faultdb: the wrapped driver does not support named parameters")
		}
		out[i] = a.Value
	}
	return out, nil
}
