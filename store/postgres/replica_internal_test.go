package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/clientele/clientele/store"
)

// BenchmarkReadConn measures the routing of one read: no replica; a
// replica whose last lag measure vouches for it, from a plain context and
// from one that wrote. No statement runs: the pools never connect.
func BenchmarkReadConn(b *testing.B) {
	db := func() *bun.DB {
		cfg, err := pgx.ParseConfig("postgres://nobody@127.0.0.1:1/none")
		if err != nil {
			b.Fatal(err)
		}
		d := bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New())
		b.Cleanup(func() { _ = d.Close() })
		return d
	}
	q := newQuery(customerTable)
	plain := store.ReadYourWrites(context.Background())
	wrote := store.ReadYourWrites(context.Background())
	store.MarkWritten(wrote)
	measured := func() *Store {
		s := NewWithReplica(db(), db())
		s.lag.ok.Store(true) // vouched for, an hour ahead
		s.lag.at.Store(time.Now().Add(time.Hour).UnixNano())
		return s
	}
	for _, c := range []struct {
		name    string
		s       *Store
		ctx     context.Context
		replica bool
	}{
		{"no-replica", New(db()), plain, false},
		{"replica", measured(), plain, true},
		{"replica/after-write", measured(), wrote, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, _ := c.s.readConn(c.ctx, q)
				if onReplica := c.s.replica != nil && got == sqlConn(c.s.replica.DB); onReplica != c.replica {
					b.Fatalf("readConn chose the wrong database")
				}
			}
		})
	}
}

// TestReplicaFault checks which errors of a read on the replica send it
// again to the primary, and which are the read's own.
func TestReplicaFault(t *testing.T) {
	pg := func(code string) error {
		return fmt.Errorf("list customers: %w", &pgconn.PgError{Severity: "ERROR", Code: code, Message: "m"})
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for _, c := range []struct {
		name string
		err  error
		want fault
	}{
		{"nil", nil, faultNone},
		// Conflicts with recovery.
		{"40001 recovery conflict", pg("40001"), faultConflict},
		{"40P01 buffer pin deadlock", pg("40P01"), faultConflict},
		{"57P04 database dropped", pg("57P04"), faultConflict},
		// A replica down, restarting or unreachable.
		{"57P01 admin shutdown", pg("57P01"), faultUnavailable},
		{"57P02 crash shutdown", pg("57P02"), faultUnavailable},
		{"57P03 cannot connect now", pg("57P03"), faultUnavailable},
		{"57P05 idle session timeout", pg("57P05"), faultUnavailable},
		{"53300 too many connections", pg("53300"), faultUnavailable},
		{"08006 connection failure", pg("08006"), faultUnavailable},
		{"08P01 protocol violation", pg("08P01"), faultUnavailable},
		{"08000 connection exception", pg("08000"), faultUnavailable},
		{"connection refused", &pgconn.ConnectError{Config: &pgconn.Config{}}, faultUnavailable},
		{"net error refused", refused, faultUnavailable},
		{"connection reset", fmt.Errorf("read: %w", reset), faultUnavailable},
		{"unexpected EOF", fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF), faultUnavailable},
		{"EOF", io.EOF, faultUnavailable},
		{"conn closed", pgconn.ErrConnClosed, faultUnavailable},
		{"bad conn", driver.ErrBadConn, faultUnavailable},
		// The read's own errors.
		{"context canceled", context.Canceled, faultNone},
		{"context deadline", fmt.Errorf("timeout: %w", context.DeadlineExceeded), faultNone},
		{"57014 statement timeout", pg("57014"), faultNone},
		{"42601 syntax error", pg("42601"), faultNone},
		{"42P01 undefined table", pg("42P01"), faultNone},
		{"22P02 invalid text", pg("22P02"), faultNone},
		{"23505 unique violation", pg("23505"), faultNone},
		{"25006 read-only transaction", pg("25006"), faultNone},
		{"53400 configuration limit", pg("53400"), faultNone},
		{"54000 program limit", pg("54000"), faultNone},
		{"XX000 internal error", pg("XX000"), faultNone},
		{"scan error", errors.New(`sql: Scan error on column index 0, name "n": converting`), faultNone},
		{"no rows", sql.ErrNoRows, faultNone},
		{"pool closed by the host", sql.ErrConnDone, faultNone},
		{"database closed by the host", errors.New("sql: database is closed"), faultNone},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := replicaFault(c.err); got != c.want {
				t.Errorf("replicaFault(%v) = %d, want %d", c.err, got, c.want)
			}
		})
	}
}

// TestFellBack checks the bookkeeping of a fallback: counted by fault, the
// replica out of service until the next measure under a lag bound, and
// no fallback for a context that is done or an error of the read's own.
func TestFellBack(t *testing.T) {
	newStore := func(max time.Duration) *Store {
		s := &Store{lag: newLagGuard([]ReplicaOption{WithMaxLag(max)})}
		s.lag.ok.Store(true)
		s.lag.at.Store(time.Now().UnixNano())
		return s
	}
	ctx := context.Background()
	s := newStore(time.Hour)
	if s.fellBack(ctx, nil) || s.fellBack(ctx, &pgconn.PgError{Code: "57014"}) {
		t.Fatal("fellBack took a success or the read's own error for the replica's")
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if s.fellBack(done, &pgconn.PgError{Code: "40001"}) {
		t.Fatal("fellBack retried a read whose context is done")
	}
	if !s.lag.ok.Load() {
		t.Fatal("an error that is no fallback took the replica out of service")
	}
	if !s.fellBack(ctx, &pgconn.PgError{Code: "40001"}) {
		t.Fatal("fellBack did not retry a recovery conflict")
	}
	if s.lag.ok.Load() || time.Since(time.Unix(0, s.lag.at.Load())) > time.Minute {
		t.Error("a recovery conflict left the replica in service")
	}
	if !s.fellBack(ctx, io.ErrUnexpectedEOF) {
		t.Fatal("fellBack did not retry a lost connection")
	}
	if got, want := s.ReplicaStats(), (ReplicaStats{Conflicts: 1, Unavailable: 1}); got != want {
		t.Errorf("ReplicaStats() = %+v, want %+v", got, want)
	}

	unbounded := newStore(0)
	if !unbounded.fellBack(ctx, &pgconn.PgError{Code: "57P01"}) {
		t.Fatal("without a lag bound, fellBack did not retry a replica shutting down")
	}
	if got, want := unbounded.ReplicaStats(), (ReplicaStats{Unavailable: 1}); got != want {
		t.Errorf("ReplicaStats() = %+v, want %+v", got, want)
	}
	if (&Store{}).ReplicaStats() != (ReplicaStats{}) {
		t.Error("a Store without a replica reported fallbacks")
	}
}
