package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

func openStore(t *testing.T, dsn string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// showTimeout reads statement_timeout on one connection of st, outside and
// inside a transaction.
func showTimeout(t *testing.T, st *postgres.Store) (out, in string) {
	t.Helper()
	ctx := t.Context()
	if err := st.DB().DB.QueryRowContext(ctx, "SHOW statement_timeout").Scan(&out); err != nil {
		t.Fatal(err)
	}
	tx, err := st.DB().DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := tx.QueryRowContext(ctx, "SHOW statement_timeout").Scan(&in); err != nil {
		t.Fatal(err)
	}
	return out, in
}

func TestStatementTimeoutSetting(t *testing.T) {
	pgtest.NewStore(t)
	dsn := pgtest.DSN(t)
	for _, tc := range []struct {
		name string
		dsn  string
		opts []postgres.Option
		want string
	}{
		{"default", dsn, nil, "5s"},
		{"option", dsn, []postgres.Option{postgres.WithStatementTimeout(1500 * time.Millisecond)}, "1500ms"},
		{"off", dsn, []postgres.Option{postgres.WithStatementTimeout(0)}, "0"},
		{"dsn", withParam(dsn, "statement_timeout", "1234"), nil, "1234ms"},
		{"option over dsn", withParam(dsn, "statement_timeout", "1234"), []postgres.Option{postgres.WithStatementTimeout(2 * time.Second)}, "2s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, in := showTimeout(t, openStore(t, tc.dsn, tc.opts...))
			if out != tc.want || in != tc.want {
				t.Fatalf("statement_timeout %q outside a transaction, %q inside, want %q", out, in, tc.want)
			}
		})
	}
}

// lockCustomer makes a customer and holds its row lock until the test
// ends, so that a locking read of it waits: a slow statement on demand.
func lockCustomer(t *testing.T, st *postgres.Store) string {
	t.Helper()
	ctx := t.Context()
	c := &customer.Customer{ID: "cus_slow", Email: "slow@example.com", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.InsertCustomers(ctx, []*customer.Customer{c}); err != nil {
		t.Fatal(err)
	}
	tx, err := st.DB().DB.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.ExecContext(ctx, "SELECT id FROM customer WHERE id = $1 FOR UPDATE", c.ID); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestStatementTimeoutCancels(t *testing.T) {
	pgtest.NewStore(t)
	st := openStore(t, pgtest.DSN(t), postgres.WithStatementTimeout(200*time.Millisecond))
	id := lockCustomer(t, st)
	check := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, postgres.ErrStatementTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want ErrStatementTimeout", err)
		}
		if _, ok := store.PublicMessage(err); ok {
			t.Fatalf("a timeout has a public message: %v", err)
		}
		for _, leak := range []string{"canceling", "SQLSTATE", "57014", "SELECT"} {
			if strings.Contains(err.Error(), leak) {
				t.Fatalf("error %q holds database text %q", err, leak)
			}
		}
	}
	t.Run("outside a transaction", func(t *testing.T) {
		_, err := st.ListCustomers(t.Context(), customer.Filter{IDs: []string{id}}, store.ListOptions{Lock: true})
		check(t, err)
	})
	t.Run("inside a transaction", func(t *testing.T) {
		err := st.InTx(t.Context(), func(ctx context.Context) error {
			_, err := st.ListCustomers(ctx, customer.Filter{IDs: []string{id}}, store.ListOptions{Lock: true})
			return err
		})
		check(t, err)
	})
}

func TestCancelledContextStopsStatement(t *testing.T) {
	pgtest.NewStore(t)
	// A timeout long enough that only the cancellation can end the wait
	// within the test's deadline.
	st := openStore(t, pgtest.DSN(t), postgres.WithStatementTimeout(time.Minute))
	id := lockCustomer(t, st)
	for _, tc := range []struct {
		name string
		want error
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"cancel", context.Canceled, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}},
		{"deadline", context.DeadlineExceeded, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 100*time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			_, err := st.ListCustomers(ctx, customer.Filter{IDs: []string{id}}, store.ListOptions{Lock: true})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			err = st.InTx(ctx, func(ctx context.Context) error { return nil })
			if !errors.Is(err, tc.want) {
				t.Fatalf("a unit after the cancellation: %v", err)
			}
		})
	}
	// The pool is fine afterwards.
	if _, err := st.ListCustomers(t.Context(), customer.Filter{IDs: []string{id}}, store.ListOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateIgnoresStatementTimeout: migrations (index builds on large
// tables, waits for another migrator) are bounded by their context, not by
// the connections' statement_timeout.
func TestMigrateIgnoresStatementTimeout(t *testing.T) {
	st := openStore(t, pgtest.NewDatabase(t), postgres.WithStatementTimeout(time.Millisecond))
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate under a 1 ms statement_timeout: %v", err)
	}
	// The timeout is back for the Store's own statements.
	if out, _ := showTimeout(t, st); out != "1ms" {
		t.Fatalf("statement_timeout %q after Migrate", out)
	}
}
