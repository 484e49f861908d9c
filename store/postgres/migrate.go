package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/uptrace/bun"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the pg_advisory_xact_lock key that serialises
// concurrent Migrate calls on one database ("clientel" in ASCII).
const migrateLockKey int64 = 0x636c69656e74656c

// Migration is one embedded migration.
type Migration struct {
	Name string // the file name, e.g. "0001_medusa_customer.sql"
	SQL  string
}

// Migrations returns the embedded migrations in the order Migrate applies
// them, for hosts that run migrations with their own tool.
func Migrations() []Migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations") // sorted by name
	if err != nil {
		panic(err) // the directory is embedded
	}
	out := make([]Migration, 0, len(entries))
	for _, e := range entries {
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			panic(err)
		}
		out = append(out, Migration{Name: e.Name(), SQL: string(b)})
	}
	return out
}

// Migrate brings the database's schema up to date: it applies, in one
// transaction, the embedded migrations not yet recorded in the table
// clientele_migrations (which it creates). Migrate is idempotent and safe
// to call from several processes at once: a transaction-scoped advisory
// lock makes concurrent calls run one after another.
//
// On an empty database it creates Medusa 2.21's customer and auth tables,
// indexes and foreign keys; on a database Medusa has already migrated those
// statements change nothing. It then adds clientele's own indexes and its
// OAuth state table (see the package documentation); the trigram indexes
// need the pg_trgm extension: Migrate creates it when it is missing, which
// takes a role allowed to do so. Migrate runs without statement_timeout;
// ctx bounds it.
func Migrate(ctx context.Context, db *bun.DB) error {
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// tx.Tx bypasses bun's placeholder formatting: migrations are
		// plain SQL. The connection's statement_timeout (see Open) does
		// not apply: building an index on a large Medusa table, or
		// waiting for another process's migration, may take longer; ctx
		// bounds the migration instead.
		if _, err := tx.Tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return fmt.Errorf("statement_timeout: %w", err)
		}
		if _, err := tx.Tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS clientele_migrations (
			name text PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create clientele_migrations: %w", err)
		}
		var applied []string
		if err := tx.NewRaw("SELECT name FROM clientele_migrations").Scan(ctx, &applied); err != nil {
			return fmt.Errorf("read clientele_migrations: %w", err)
		}
		for _, m := range Migrations() {
			if slices.Contains(applied, m.Name) {
				continue
			}
			if _, err := tx.Tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.Tx.ExecContext(ctx, "INSERT INTO clientele_migrations (name) VALUES ($1)", m.Name); err != nil {
				return fmt.Errorf("record %s: %w", m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return translate(ctx, "migrate", err)
	}
	return nil
}

// Migrate applies the embedded migrations to the Store's database; see the
// function Migrate.
func (s *Store) Migrate(ctx context.Context) error { return Migrate(ctx, s.db) }
