package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// countsAgree reads, in one statement (one snapshot), the live customers
// as clientele_customer_count keeps them and as count(*) finds them.
func countsAgree(ctx context.Context, db *sql.DB) (kept, counted int, err error) {
	err = db.QueryRowContext(ctx, `SELECT (SELECT coalesce(sum(live), 0) FROM clientele_customer_count),
		(SELECT count(*) FROM customer WHERE deleted_at IS NULL)`).Scan(&kept, &counted)
	return kept, counted, err
}

// liveCount is CountCustomers without a filter, which reads the kept count.
func liveCount(t *testing.T, st *postgres.Store) int {
	t.Helper()
	n, err := st.CountCustomers(t.Context(), customer.Filter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// scanCount is count(*) of the live customers.
func scanCount(t *testing.T, st *postgres.Store) int {
	t.Helper()
	var n int
	if err := st.DB().DB.QueryRowContext(t.Context(), "SELECT count(*) FROM customer WHERE deleted_at IS NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkCount checks that CountCustomers without a filter is count(*),
// and returns it.
func checkCount(t *testing.T, st *postgres.Store, when string) int {
	t.Helper()
	got, want := liveCount(t, st), scanCount(t, st)
	if got != want {
		t.Errorf("%s: CountCustomers = %d, count(*) = %d", when, got, want)
	}
	return got
}

// TestCustomerCountConcurrentWriters writes customers from many
// connections at once, through the Store and with the statements another
// writer of Medusa's table would run (single and multi-row inserts, soft
// deletes, restores, hard deletes, updates that leave the liveness alone,
// rolled-back transactions, several changes in one transaction), while
// readers check in every snapshot they take that the kept count is
// count(*). At the end CountCustomers is exact and the table of the count
// is folded to a few rows.
func TestCustomerCountConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	db := st.DB().DB
	const writers, rounds = 6, 30
	var seq atomic.Int64
	newCustomer := func(deleted bool) *customer.Customer {
		now := time.Now().UTC().Truncate(time.Microsecond)
		c := &customer.Customer{ID: id.New(id.Customer), Email: fmt.Sprintf("count%d@example.com", seq.Add(1)), CreatedAt: now, UpdatedAt: now}
		if deleted {
			c.DeletedAt = &now
		}
		return c
	}
	insertSQL := "INSERT INTO customer (id, email, deleted_at) VALUES ($1, $2, $3), ($4, $5, NULL)"

	var done atomic.Bool
	errc := make(chan error, writers+2)
	var readers sync.WaitGroup
	var checks atomic.Int64
	for range 2 {
		readers.Go(func() {
			for !done.Load() {
				kept, counted, err := countsAgree(ctx, db)
				if err != nil {
					errc <- err
					return
				}
				if kept != counted {
					errc <- fmt.Errorf("in one snapshot the kept count is %d, count(*) %d", kept, counted)
					return
				}
				checks.Add(1)
			}
		})
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			var mine []string // live or soft-deleted customers of this writer
			step := func(i int) error {
				switch i % 8 {
				case 0: // the Store: three customers, one soft-deleted
					cs := []*customer.Customer{newCustomer(false), newCustomer(false), newCustomer(true)}
					if err := st.InsertCustomers(ctx, cs); err != nil {
						return err
					}
					for _, c := range cs {
						mine = append(mine, c.ID)
					}
				case 1: // a two-row INSERT, one row soft-deleted
					a, b := newCustomer(false), newCustomer(false)
					if _, err := db.ExecContext(ctx, insertSQL, a.ID, a.Email, time.Now(), b.ID, b.Email); err != nil {
						return err
					}
					mine = append(mine, a.ID, b.ID)
				case 2: // soft delete
					_, err := db.ExecContext(ctx, "UPDATE customer SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL", mine[len(mine)-1])
					return err
				case 3: // restore everything of this writer, in one statement
					_, err := db.ExecContext(ctx, "UPDATE customer SET deleted_at = NULL WHERE id = ANY($1)", mine)
					return err
				case 4: // an update that changes no liveness
					_, err := db.ExecContext(ctx, "UPDATE customer SET first_name = 'Ada' WHERE id = ANY($1)", mine)
					return err
				case 5: // hard delete, live or not
					_, err := db.ExecContext(ctx, "DELETE FROM customer WHERE id = $1", mine[0])
					mine = mine[1:]
					return err
				case 6: // a transaction rolled back
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					a, b := newCustomer(false), newCustomer(false)
					if _, err := tx.ExecContext(ctx, insertSQL, a.ID, a.Email, nil, b.ID, b.Email); err != nil {
						return errors.Join(err, tx.Rollback())
					}
					if _, err := tx.ExecContext(ctx, "UPDATE customer SET deleted_at = now() WHERE id = $1", mine[0]); err != nil {
						return errors.Join(err, tx.Rollback())
					}
					return tx.Rollback()
				case 7: // a unit of work: insert, soft delete, delete, insert again
					return st.InTx(ctx, func(ctx context.Context) error {
						c := newCustomer(false)
						if err := st.InsertCustomers(ctx, []*customer.Customer{c}); err != nil {
							return err
						}
						now := time.Now().UTC()
						c.DeletedAt = &now
						if err := st.UpdateCustomers(ctx, []*customer.Customer{c}); err != nil {
							return err
						}
						if err := st.DeleteCustomers(ctx, []string{c.ID}); err != nil {
							return err
						}
						d := newCustomer(false)
						mine = append(mine, d.ID)
						return st.InsertCustomers(ctx, []*customer.Customer{d})
					})
				}
				return nil
			}
			for i := range rounds * 8 {
				if err := step(i); err != nil {
					errc <- fmt.Errorf("writer %d, step %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if checks.Load() == 0 {
		t.Error("no reader compared the counts")
	}
	checkCount(t, st, "at the end")
	// Sequential writes fold the rows every 16th: at most 16 remain.
	for range 16 {
		if err := st.InsertCustomers(ctx, []*customer.Customer{newCustomer(false)}); err != nil {
			t.Fatal(err)
		}
	}
	var rows int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM clientele_customer_count").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows > 16 {
		t.Errorf("clientele_customer_count holds %d rows after 16 sequential writes, want at most 16", rows)
	}
	checkCount(t, st, "after folding")
}

// TestCustomerCountTruncate: TRUNCATE empties the count with the table,
// and a later insert in the same transaction counts.
func TestCustomerCountTruncate(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	db := st.DB().DB
	if _, err := db.ExecContext(ctx, "INSERT INTO customer (id, email) SELECT 'cus_t' || i, 't' || i || '@example.com' FROM generate_series(1, 40) i"); err != nil {
		t.Fatal(err)
	}
	if got := liveCount(t, st); got != 40 {
		t.Fatalf("CountCustomers = %d, want 40", got)
	}
	if _, err := db.ExecContext(ctx, "BEGIN; TRUNCATE customer CASCADE; INSERT INTO customer (id, email) VALUES ('cus_after', 'after@example.com'); COMMIT"); err != nil {
		t.Fatal(err)
	}
	if got := liveCount(t, st); got != 1 {
		t.Errorf("after TRUNCATE and one insert: CountCustomers = %d, want 1", got)
	}
}

// TestCustomerCountMigrateMedusaDatabase: on a database Medusa migrated
// and filled, the migration starts the count from the rows there.
func TestCustomerCountMigrateMedusaDatabase(t *testing.T) {
	ctx := t.Context()
	dsn := medusaDatabase(t)
	if _, err := connect(t, dsn).Exec(ctx, `INSERT INTO customer (id, email, deleted_at)
		SELECT 'cus_m' || i, 'm' || i || '@example.com', CASE WHEN i % 4 = 0 THEN now() END FROM generate_series(1, 100) i`); err != nil {
		t.Fatal(err)
	}
	st := open(t, dsn)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := liveCount(t, st); got != 75 {
		t.Errorf("CountCustomers = %d, want 75", got)
	}
	if _, err := st.DB().DB.ExecContext(ctx, "UPDATE customer SET deleted_at = NULL WHERE id = 'cus_m4'"); err != nil {
		t.Fatal(err)
	}
	if got := liveCount(t, st); got != 76 {
		t.Errorf("after a restore: CountCustomers = %d, want 76", got)
	}
}

// TestListAndCountLiveCustomers: a list of every live customer carries the
// kept count on each page, past the end too; other lists count as before.
func TestListAndCountLiveCustomers(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	if _, err := st.DB().DB.ExecContext(ctx, `INSERT INTO customer (id, email, has_account, deleted_at)
		SELECT 'cus_l' || lpad(i::text, 3, '0'), 'l' || i || '@example.com', i % 2 = 0, CASE WHEN i % 5 = 0 THEN now() END
		FROM generate_series(1, 50) i`); err != nil {
		t.Fatal(err)
	}
	yes := true
	tests := []struct {
		name      string
		f         customer.Filter
		opts      store.ListOptions
		wantLen   int
		wantCount int
		wantFirst string
	}{
		{"first page", customer.Filter{}, store.ListOptions{Take: 20}, 20, 40, "cus_l001"},
		{"last page", customer.Filter{}, store.ListOptions{Take: 20, Skip: 30}, 10, 40, "cus_l038"},
		{"past the end", customer.Filter{}, store.ListOptions{Take: 20, Skip: 40}, 0, 40, ""},
		{"all", customer.Filter{}, store.ListOptions{}, 40, 40, "cus_l001"},
		{"with deleted", customer.Filter{}, store.ListOptions{Take: 20, WithDeleted: true}, 20, 50, "cus_l001"},
		{"filtered", customer.Filter{HasAccount: &yes}, store.ListOptions{Take: 5}, 5, 20, "cus_l002"},
		{"ordered", customer.Filter{}, store.ListOptions{Take: 3, Order: []store.Order{{Field: "email", Desc: true}}}, 3, 40, "cus_l009"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, n, err := st.ListAndCountCustomers(ctx, tt.f, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != tt.wantLen || n != tt.wantCount {
				t.Fatalf("got %d customers of %d, want %d of %d", len(list), n, tt.wantLen, tt.wantCount)
			}
			if len(list) > 0 && list[0].ID != tt.wantFirst {
				t.Errorf("first %s, want %s", list[0].ID, tt.wantFirst)
			}
		})
	}
}

// TestCustomerCountRepeatableRead: a REPEATABLE READ or SERIALIZABLE
// writer whose snapshot predates rows other writers folded since does not
// fail on the count (it leaves the folding to READ COMMITTED writers), and
// the count stays exact.
func TestCustomerCountRepeatableRead(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	db := st.DB().DB
	for _, level := range []sql.IsolationLevel{sql.LevelRepeatableRead, sql.LevelSerializable} {
		t.Run(level.String(), func(t *testing.T) {
			tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: level})
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			var before int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM clientele_customer_count").Scan(&before); err != nil {
				t.Fatal(err)
			}
			// Others write, one statement each: the rows the snapshot saw
			// are folded and deleted.
			for i := range 40 {
				if _, err := db.ExecContext(ctx, "INSERT INTO customer (id, email) VALUES ($1, $2)",
					fmt.Sprintf("cus_rr_%s_%d", level, i), fmt.Sprintf("rr-%s-%d@example.com", level, i)); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 40 {
				if _, err := tx.ExecContext(ctx, "INSERT INTO customer (id, email) VALUES ($1, $2)",
					fmt.Sprintf("cus_rr_tx_%s_%d", level, i), fmt.Sprintf("rr-tx-%s-%d@example.com", level, i)); err != nil {
					t.Fatalf("insert %d in the %s transaction: %v", i, level, err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			checkCount(t, st, "after the commit")
		})
	}
}

// TestCustomerCountUpsertAndMerge: statements that insert and update (or
// delete) at once count both.
func TestCustomerCountUpsertAndMerge(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	db := st.DB().DB
	for _, stmt := range []string{
		"INSERT INTO customer (id, email) VALUES ('cus_u1', 'u1@example.com'), ('cus_u2', 'u2@example.com')",
		// one new row, one soft-deleted by the conflict's update
		"INSERT INTO customer (id, email) VALUES ('cus_u3', 'u3@example.com'), ('cus_u1', 'x') ON CONFLICT (id) DO UPDATE SET deleted_at = now()",
		// restores cus_u1, deletes cus_u2, inserts cus_u4
		`MERGE INTO customer c USING (VALUES ('cus_u1'), ('cus_u2'), ('cus_u4')) v(id) ON c.id = v.id
			WHEN MATCHED AND c.deleted_at IS NOT NULL THEN UPDATE SET deleted_at = NULL
			WHEN MATCHED THEN DELETE
			WHEN NOT MATCHED THEN INSERT (id, email) VALUES (v.id, v.id || '@example.com')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
		checkCount(t, st, "after "+stmt)
	}
	if got := liveCount(t, st); got != 3 {
		t.Errorf("CountCustomers = %d, want 3 (cus_u1, cus_u3, cus_u4)", got)
	}
}

// TestCustomerCountOtherSearchPath: a writer whose search_path does not
// hold the schema, and that names the table with it, writes and counts.
func TestCustomerCountOtherSearchPath(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	conn, err := st.DB().DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		"SET search_path = pg_catalog",
		"INSERT INTO " + schema + ".customer (id, email) VALUES ('cus_sp1', 'sp1@example.com'), ('cus_sp2', 'sp2@example.com')",
		"UPDATE " + schema + ".customer SET deleted_at = now() WHERE id = 'cus_sp1'",
		"DELETE FROM " + schema + ".customer WHERE id = 'cus_sp2'",
		"INSERT INTO " + schema + ".customer (id, email) VALUES ('cus_sp3', 'sp3@example.com')",
		"RESET search_path",
	}
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if got := checkCount(t, st, "at the end"); got != 1 {
		t.Errorf("CountCustomers = %d, want 1", got)
	}
}
