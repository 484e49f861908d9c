package faultdb_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/clientele/clientele/internal/faultdb"
	"github.com/clientele/clientele/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open returns a database/sql pool through a fault Connector on the
// package database, with an empty table t(v int).
func open(t *testing.T) (*sql.DB, *faultdb.Connector) {
	t.Helper()
	cfg, err := pgx.ParseConfig(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	fc := faultdb.New(stdlib.GetConnector(*cfg))
	db := sql.OpenDB(fc)
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE IF NOT EXISTS faultdb_t (v int); DELETE FROM faultdb_t"); err != nil {
		t.Fatal(err)
	}
	return db, fc
}

// rows returns the values in faultdb_t, read on a connection of its own.
func rows(t *testing.T) []int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	r, err := conn.Query(t.Context(), "SELECT v FROM faultdb_t ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(r, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// insertTwo inserts 1 and 2 in one transaction: BEGIN, INSERT, INSERT,
// COMMIT.
func insertTwo(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, v := range []int{1, 2} {
		if _, err := tx.ExecContext(ctx, "INSERT INTO faultdb_t VALUES ($1)", v); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func TestCountsEveryStatement(t *testing.T) {
	db, fc := open(t)
	fc.Record(true)
	fc.Arm(0, faultdb.Plain)
	if err := insertTwo(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM faultdb_t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	want := []string{"BEGIN", "INSERT", "INSERT", "COMMIT", "SELECT"}
	if diff := cmp.Diff(want, fc.Statements()); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if fc.Count() != len(want) || fc.Fired() != nil {
		t.Errorf("count %d, fired %v; want %d, nil", fc.Count(), fc.Fired(), len(want))
	}
	if n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}

// TestFailsEachStatement fails each statement of a transaction in turn,
// with both kinds: the transaction fails with the injected error, never
// driver.ErrBadConn, nothing of it is kept, and the pool goes on working.
func TestFailsEachStatement(t *testing.T) {
	for _, kind := range []faultdb.Kind{faultdb.Plain, faultdb.Broken} {
		for i := 1; i <= 4; i++ {
			t.Run(kind.String(), func(t *testing.T) {
				db, fc := open(t)
				fc.Arm(i, kind)
				err := insertTwo(t.Context(), db)
				var fe *faultdb.Error
				if !errors.As(err, &fe) || fe.Statement != i || fe.Kind != kind {
					t.Fatalf("statement %d: error %v, want the injected fault", i, err)
				}
				if !errors.Is(err, faultdb.ErrInjected) || errors.Is(err, driver.ErrBadConn) {
					t.Errorf("error %v: want ErrInjected and not driver.ErrBadConn", err)
				}
				if got := errors.Is(err, io.ErrUnexpectedEOF); got != (kind == faultdb.Broken) {
					t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = %v", err, got)
				}
				if fc.Fired() == nil || fc.Count() != i {
					t.Errorf("fired %v after %d statements", fc.Fired(), fc.Count())
				}
				if got := rows(t); len(got) != 0 {
					t.Errorf("rows %v kept after a fault at statement %d", got, i)
				}
				// Only one statement fails: the pool works on.
				if err := insertTwo(t.Context(), db); err != nil {
					t.Fatalf("after the fault: %v", err)
				}
				if diff := cmp.Diff([]int{1, 2}, rows(t)); diff != "" {
					t.Errorf("rows after a retry (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestPlainAbortsTransaction: after a Plain fault in a transaction, its
// statements fail and its commit rolls back, as PostgreSQL's do.
func TestPlainAbortsTransaction(t *testing.T) {
	db, fc := open(t)
	fc.Arm(3, faultdb.Plain)
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(t.Context(), "INSERT INTO faultdb_t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(t.Context(), "INSERT INTO faultdb_t VALUES (2)"); !errors.Is(err, faultdb.ErrInjected) {
		t.Fatalf("statement 3: %v, want the fault", err)
	}
	if _, err := tx.ExecContext(t.Context(), "INSERT INTO faultdb_t VALUES (3)"); !errors.Is(err, faultdb.ErrInjected) {
		t.Errorf("a statement after the fault: %v, want an aborted transaction", err)
	}
	if err := tx.Commit(); err == nil {
		t.Error("the commit of an aborted transaction succeeded")
	}
	if got := rows(t); len(got) != 0 {
		t.Errorf("rows %v kept", got)
	}
}

// TestBrokenDropsConnection: a Broken fault closes the server connection
// and database/sql discards it.
func TestBrokenDropsConnection(t *testing.T) {
	db, fc := open(t)
	db.SetMaxOpenConns(1)
	var pid int
	if err := db.QueryRowContext(t.Context(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	fc.Arm(1, faultdb.Broken)
	if _, err := db.ExecContext(t.Context(), "INSERT INTO faultdb_t VALUES (1)"); !errors.Is(err, faultdb.ErrInjected) {
		t.Fatalf("got %v, want the fault", err)
	}
	var next int
	if err := db.QueryRowContext(t.Context(), "SELECT pg_backend_pid()").Scan(&next); err != nil {
		t.Fatal(err)
	}
	if next == pid {
		t.Errorf("the pool kept the dropped connection (backend %d)", pid)
	}
}

// TestDriverAndArguments: the pool reports pgx's driver, which is how
// store/postgres recognises pgx, and pgx's own arguments pass through.
func TestDriverAndArguments(t *testing.T) {
	db, fc := open(t)
	if _, ok := db.Driver().(*stdlib.Driver); !ok {
		t.Errorf("Driver() is %T, want *stdlib.Driver", db.Driver())
	}
	fc.Arm(0, faultdb.Plain)
	var v int
	if err := db.QueryRowContext(t.Context(), "SELECT $1::int", pgx.QueryExecModeExec, 7).Scan(&v); err != nil || v != 7 {
		t.Errorf("a query with pgx.QueryExecModeExec: %d, %v", v, err)
	}
	if fc.Count() != 1 {
		t.Errorf("count %d, want 1", fc.Count())
	}
}

// TestPreparedStatements: PREPARE and each execution count, and fail.
func TestPreparedStatements(t *testing.T) {
	db, fc := open(t)
	fc.Record(true)
	fc.Arm(0, faultdb.Plain)
	st, err := db.PrepareContext(t.Context(), "INSERT INTO faultdb_t VALUES ($1)")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ExecContext(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if want := []string{"INSERT", "INSERT"}; !slices.Equal(fc.Statements(), want) {
		t.Errorf("statements %v, want %v", fc.Statements(), want)
	}
	fc.Arm(1, faultdb.Plain)
	if _, err := st.ExecContext(t.Context(), 2); !errors.Is(err, faultdb.ErrInjected) {
		t.Errorf("got %v, want the fault", err)
	}
	if diff := cmp.Diff([]int{1}, rows(t)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestUnarmedInjectsNothing(t *testing.T) {
	db, fc := open(t)
	fc.Reset()
	for range 3 {
		if err := insertTwo(t.Context(), db); err != nil {
			t.Fatal(err)
		}
	}
	if fc.Fired() != nil || fc.Count() != 12 {
		t.Errorf("fired %v, count %d; want nil, 12", fc.Fired(), fc.Count())
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		e    *faultdb.Error
		want string
	}{
		{&faultdb.Error{Statement: 3, Op: "commit", Kind: faultdb.Plain}, "faultdb: injected fault at statement 3 (commit)"},
		{&faultdb.Error{Statement: 1, Op: "exec", Kind: faultdb.Broken}, "faultdb: injected fault at statement 1 (exec): connection dropped: unexpected EOF"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if got := faultdb.Kind(9).String(); got != "Kind(9)" {
		t.Errorf("Kind(9).String() = %q", got)
	}
}
