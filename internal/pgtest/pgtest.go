// Package pgtest gives the tests of one package a PostgreSQL database of
// their own, following DESIGN.md:
//
//   - The server is the one TEST_DATABASE_URL names, else
//     postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
//   - When the database the URL names does not exist, it is created from
//     the server's postgres maintenance database.
//   - When the server is unreachable, tests that ask for a database are
//     skipped with a message, unless CI=true, where they fail. A server
//     that answers but refuses (a missing role, a bad password, no right to
//     create databases) fails the tests.
//   - Each test binary (one per package) creates its own database, named
//     clientele_test_<unix time>_<random>, creates pg_trgm in it, runs
//     postgres.Migrate, and drops it when the tests are done; packages
//     running in parallel never share schemas or extensions. Databases
//     that crashed test binaries left behind are dropped after six hours.
//
// A package using pgtest runs its tests through [Main]:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and gets an empty store per test with [NewStore]. Every store of a
// package shares the package database, and NewStore empties it: tests that
// use NewStore must not run in parallel with each other (no t.Parallel).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/store/postgres"
)

// DefaultURL is the server used when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pkg is the package database, made on first use.
var pkg struct {
	once        sync.Once
	err         error // why there is no database
	unreachable bool  // err is a connection failure
	name        string
	dsn         string
	st          *postgres.Store // owns the connection pool every NewStore shares

	mu  sync.Mutex
	dbs []string // databases made by NewDatabase and not yet dropped
}

// ServerURL returns the URL of the test server: TEST_DATABASE_URL, else
// DefaultURL.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Main runs the package's tests, then drops the package database (and any
// left by [NewDatabase]) and exits. It is safe when no test asked for a
// database or the server is unreachable.
func Main(m *testing.M) {
	code := m.Run()
	if err := cleanup(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// NewStore returns a store on the package database with every table but
// clientele_migrations emptied. The store shares the package's connection
// pool; there is nothing to close.
func NewStore(t testing.TB) *postgres.Store {
	t.Helper()
	require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := empty(ctx, pkg.st); err != nil {
		t.Fatalf("pgtest: empty the database: %v", err)
	}
	return postgres.New(pkg.st.DB())
}

// DSN returns the connection string of the package database, for tests
// that connect with pgx directly. The database is migrated; its contents
// are whatever the tests before left.
func DSN(t testing.TB) string {
	t.Helper()
	require(t)
	return pkg.dsn
}

// NewDatabase creates an empty database (no extension, no migration) on
// the test server and returns its connection string; the database is
// dropped when t ends. It is for tests of the schema itself, e.g.
// migrating a database Medusa created.
func NewDatabase(t testing.TB) string {
	t.Helper()
	require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name, dsn, err := createDatabase(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	pkg.mu.Lock()
	pkg.dbs = append(pkg.dbs, name)
	pkg.mu.Unlock()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := dropDatabase(ctx, name); err != nil {
			t.Errorf("pgtest: %v", err)
			return
		}
		pkg.mu.Lock()
		defer pkg.mu.Unlock()
		for i, n := range pkg.dbs {
			if n == name {
				pkg.dbs = append(pkg.dbs[:i], pkg.dbs[i+1:]...)
				break
			}
		}
	})
	return dsn
}

// require makes the package database on first use, and skips or fails t
// when there is none.
func require(t testing.TB) {
	t.Helper()
	pkg.once.Do(setup)
	if pkg.err == nil {
		return
	}
	if pkg.unreachable && os.Getenv("CI") != "true" {
		t.Skipf("pgtest: PostgreSQL is unreachable, skipping (set TEST_DATABASE_URL to run this test): %v", pkg.err)
	}
	t.Fatalf("pgtest: %v", pkg.err)
}

func setup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := connectServer(ctx, ServerURL())
	if err != nil {
		pkg.err, pkg.unreachable = err, unreachable(err)
		return
	}
	dropStale(ctx, conn)
	_ = conn.Close(ctx)

	name, dsn, err := createDatabase(ctx)
	if err != nil {
		pkg.err = err
		return
	}
	pkg.name, pkg.dsn = name, dsn
	if err := exec(ctx, dsn, "CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
		pkg.err = fmt.Errorf("create pg_trgm in %s: %w", name, err)
		return
	}
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		pkg.err = err
		return
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		pkg.err = err
		return
	}
	pkg.st = st
}

func cleanup() error {
	var errs []error
	if pkg.st != nil {
		errs = append(errs, pkg.st.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pkg.mu.Lock()
	names := append([]string(nil), pkg.dbs...)
	pkg.mu.Unlock()
	if pkg.name != "" {
		names = append(names, pkg.name)
	}
	for _, name := range names {
		errs = append(errs, dropDatabase(ctx, name))
	}
	return errors.Join(errs...)
}

// empty deletes the rows of every table of the current schema except
// clientele_migrations and clientele_customer_count (whose triggers keep
// it right as the customers go), so tables added by later migrations are
// emptied too. DELETE, children before parents, is much cheaper than TRUNCATE on
// the few rows a test writes (TRUNCATE makes new files for every table and
// index: about 100 ms against 3 ms).
func empty(ctx context.Context, st *postgres.Store) error {
	var tables []string
	err := st.DB().NewRaw(`SELECT c.oid::regclass::text FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
		AND c.relname NOT IN ('clientele_migrations', 'clientele_customer_count') ORDER BY 1`).Scan(ctx, &tables)
	if err != nil || len(tables) == 0 {
		return err
	}
	var fks []struct {
		Child  string `bun:"child"`
		Parent string `bun:"parent"`
	}
	err = st.DB().NewRaw(`SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
		FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`).Scan(ctx, &fks)
	if err != nil {
		return err
	}
	// Order the tables so that no table comes after one it references.
	var stmts []string
	left := tables
	for len(left) > 0 {
		var next []string
		for _, t := range left {
			referenced := false
			for _, fk := range fks {
				if fk.Parent == t && fk.Child != t && slices.Contains(left, fk.Child) {
					referenced = true
					break
				}
			}
			if referenced {
				next = append(next, t)
			} else {
				stmts = append(stmts, "DELETE FROM "+t)
			}
		}
		if len(next) == len(left) { // a cycle: let TRUNCATE sort it out
			stmts = append(stmts, "TRUNCATE "+strings.Join(next, ", ")+" CASCADE")
			break
		}
		left = next
	}
	// After a test that seeded many rows the deletes can outlast the
	// pool's statement_timeout on a loaded machine: lift it for this one
	// implicit transaction (each statement of a multi-statement query gets
	// its own timer; ctx still bounds the whole).
	stmts = append([]string{"SET LOCAL statement_timeout = 0"}, stmts...)
	_, err = st.DB().DB.ExecContext(ctx, strings.Join(stmts, ";\n"))
	return err
}

// staleAfter is the age after which a test database is taken for one that
// a crashed or killed test binary left behind.
const staleAfter = 6 * time.Hour

// dropStale drops the test databases older than staleAfter that nobody is
// connected to. Failures are ignored: the next run tries again.
func dropStale(ctx context.Context, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'clientele\_test\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		var created int64
		if _, err := fmt.Sscanf(name, "clientele_test_%d_", &created); err != nil {
			continue
		}
		if time.Since(time.Unix(created, 0)) > staleAfter {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize())
		}
	}
}

// createDatabase creates an empty database on the test server, named
// clientele_test_<unix time>_<random>.
func createDatabase(ctx context.Context) (name, dsn string, err error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name = fmt.Sprintf("clientele_test_%d_%s", time.Now().Unix(), hex.EncodeToString(b[:]))
	dsn, err = withDatabase(ServerURL(), name)
	if err != nil {
		return "", "", err
	}
	if err := exec(ctx, ServerURL(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, dsn, nil
}

func dropDatabase(ctx context.Context, name string) error {
	if err := exec(ctx, ServerURL(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// connectServer connects to the database dsn names, creating it first when
// the server says it does not exist (SQLSTATE 3D000): the CREATE DATABASE
// runs in the server's postgres maintenance database.
func connectServer(ctx context.Context, dsn string) (*pgx.Conn, error) {
	conn, err := connect(ctx, dsn)
	if err == nil {
		return conn, nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != invalidCatalogName {
		return nil, fmt.Errorf("connect to %s: %w", redact(dsn), err)
	}
	cfg, perr := pgx.ParseConfig(dsn)
	if perr != nil {
		return nil, perr
	}
	name := cfg.Database
	maintenance, merr := withDatabase(dsn, "postgres")
	if merr != nil {
		return nil, merr
	}
	if err := exec(ctx, maintenance, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		// Another test binary may have created it meanwhile.
		if !errors.As(err, &pgErr) || pgErr.Code != duplicateDatabase {
			return nil, fmt.Errorf("database %s does not exist, and creating it from %s failed: %w", name, redact(maintenance), err)
		}
	}
	conn, err = connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(dsn), err)
	}
	return conn, nil
}

// SQLSTATE codes.
const (
	invalidCatalogName = "3D000" // the database does not exist
	duplicateDatabase  = "42P04"
)

// unreachable reports whether err says that no server answered, rather
// than that a server refused or the URL is malformed.
func unreachable(err error) bool {
	var connErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	return errors.As(err, &connErr) && !errors.As(err, &pgErr)
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	return pgx.ConnectConfig(ctx, cfg)
}

func exec(ctx context.Context, dsn, sql string) error {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns dsn with its database replaced by name. dsn is a
// URL or a keyword/value string.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", redact(dsn), err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In a keyword/value string the last setting of a keyword wins.
	return dsn + " dbname=" + name, nil
}

var passwordSetting = regexp.MustCompile(`password=('(\\.|[^'])*'|\S*)`)

// redact hides the password of a connection string.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return passwordSetting.ReplaceAllString(dsn, "password=xxxxx")
	}
	if u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// EachAuthStore runs f once on a fresh in-memory store and once on a fresh
// PostgreSQL store (from NewStore, so the same rules apply: the package's
// TestMain calls Main, and tests using it do not run in parallel).
func EachAuthStore(t *testing.T, f func(t *testing.T, st auth.Store)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) { f(t, memory.New()) })
	t.Run("postgres", func(t *testing.T) { f(t, NewStore(t)) })
}
