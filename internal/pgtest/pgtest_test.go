package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	osexec "os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// server skips t when the test server is unreachable (fails under CI=true)
// and returns a connection to it.
func server(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := t.Context()
	conn, err := connectServer(ctx, ServerURL())
	if err != nil {
		if unreachable(err) && os.Getenv("CI") != "true" {
			t.Skipf("PostgreSQL is unreachable: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// missingDatabase returns the URL of a database that does not exist on the
// test server, and drops it when t ends. Its name is one dropStale
// recognises, should the test be killed.
func missingDatabase(t *testing.T, admin *pgx.Conn) (name, dsn string) {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name = fmt.Sprintf("clientele_test_%d_missing%s", time.Now().Unix(), hex.EncodeToString(b[:]))
	dsn, err := withDatabase(ServerURL(), name)
	if err != nil {
		t.Fatal(err)
	}
	if exists(t, admin, name) {
		t.Fatalf("database %s exists already", name)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := dropDatabase(ctx, name); err != nil {
			t.Error(err)
		}
	})
	return name, dsn
}

func exists(t *testing.T, conn *pgx.Conn, name string) bool {
	t.Helper()
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestConnectServerCreatesMissingDatabase(t *testing.T) {
	admin := server(t)
	name, dsn := missingDatabase(t, admin)
	for range 2 { // creates it, then finds it
		conn, err := connectServer(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		var current string
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&current); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close(t.Context())
		if current != name {
			t.Fatalf("connected to %s, want %s", current, name)
		}
	}
}

func TestConnectServerErrors(t *testing.T) {
	admin := server(t)
	ctx := t.Context()
	// Nothing listens on port 1: unreachable, so tests skip (outside CI).
	_, err := connectServer(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if err == nil || !unreachable(err) {
		t.Fatalf("closed port: %v (unreachable %v)", err, unreachable(err))
	}
	// A server that answers but refuses is a failure, not a skip.
	cfg := admin.Config()
	refusing := fmt.Sprintf("postgres://no_such_role_%d@%s:%d/%s?sslmode=disable", time.Now().UnixNano(), cfg.Host, cfg.Port, cfg.Database)
	_, err = connectServer(ctx, refusing)
	if err == nil || unreachable(err) {
		t.Fatalf("unknown role: %v (unreachable %v)", err, unreachable(err))
	}
	// So is a malformed URL.
	_, err = connectServer(ctx, "postgres://%zz")
	if err == nil || unreachable(err) {
		t.Fatalf("malformed URL: %v (unreachable %v)", err, unreachable(err))
	}
}

// TestMissingServerDatabaseIsCreated runs NewStore in a child test binary
// whose TEST_DATABASE_URL names a database that does not exist, with
// CI=true so that a skip would be a failure: the database must be created
// and the store work.
func TestMissingServerDatabaseIsCreated(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") != "" {
		t.Skip("in the child")
	}
	admin := server(t)
	name, dsn := missingDatabase(t, admin)
	cmd := osexec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildNewStore$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGTEST_CHILD=1", "CI=true", "TEST_DATABASE_URL="+dsn)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestChildNewStore") || strings.Contains(string(out), "SKIP") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !exists(t, admin, name) {
		t.Fatalf("database %s was not created", name)
	}
}

// TestChildNewStore is the child of TestMissingServerDatabaseIsCreated.
func TestChildNewStore(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") == "" {
		t.Skip("runs as the child of TestMissingServerDatabaseIsCreated")
	}
	st := NewStore(t)
	var current string
	if err := st.DB().QueryRowContext(t.Context(), "SELECT current_database()").Scan(&current); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(current, "clientele_test_") {
		t.Fatalf("the store uses %s, not a package database", current)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
}
