package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// rawCount runs a count query on the database, below the store.
func rawCount(t testing.TB, st *postgres.Store, query string) int {
	t.Helper()
	var n int
	if err := st.DB().DB.QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportCopies checks that an import writes with COPY, and that the
// rows COPY writes read back as an INSERT's do.
func TestImportCopies(t *testing.T) {
	st := pgtest.NewStore(t)
	svc := newCustomers(t, st)
	ctx := t.Context()
	before := postgres.CopyStatements()
	rep, err := svc.Import(ctx, bulk.Records([]customer.CreateParams{
		{Email: "a@x.com", FirstName: "A", Metadata: map[string]any{"n": 1.5, "tags": []any{"x"}}, HasAccount: true,
			Addresses: []address.CreateParams{{Address1: "1 Main", CountryCode: "FR", PostalCode: "75001", IsDefaultBilling: true}, {}}},
		{},
	}), customer.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 2 {
		t.Fatalf("report %+v", rep)
	}
	if n := postgres.CopyStatements() - before; n != 2 {
		t.Fatalf("%d COPY statements, want 2 (customers, addresses)", n)
	}
	// NULLs where the domain has empty values; jsonb metadata.
	for query, want := range map[string]int{
		"SELECT count(*) FROM customer WHERE email IS NULL AND first_name IS NULL AND metadata IS NULL AND NOT has_account":       1,
		`SELECT count(*) FROM customer WHERE email = 'a@x.com' AND metadata = '{"n": 1.5, "tags": ["x"]}'::jsonb AND has_account`: 1,
		"SELECT count(*) FROM customer_address WHERE country_code = 'fr' AND is_default_billing AND NOT is_default_shipping":      1,
		"SELECT count(*) FROM customer_address WHERE address_1 IS NULL AND country_code IS NULL AND metadata IS NULL":             1,
		"SELECT count(*) FROM customer c JOIN customer_address a ON a.customer_id = c.id WHERE a.created_at = c.created_at":       2,
		"SELECT count(*) FROM customer WHERE deleted_at IS NULL AND created_at = updated_at":                                      2,
	} {
		if got := rawCount(t, st, query); got != want {
			t.Errorf("%s = %d, want %d", query, got, want)
		}
	}
}

// TestImportRefusedBatchWritesNothing checks the tables themselves after
// a refused batch and after a COPY that fails half-way.
func TestImportRefusedBatchWritesNothing(t *testing.T) {
	st := pgtest.NewStore(t)
	svc := newCustomers(t, st)
	ctx := t.Context()
	ps := make([]customer.CreateParams, 50)
	for i := range ps {
		ps[i] = customer.CreateParams{Email: fmt.Sprintf("c%d@x.com", i), Addresses: []address.CreateParams{{City: "Paris"}}}
	}
	ps[49].Addresses[0].CountryCode = "zz"
	_, err := svc.Import(ctx, bulk.Records(ps), customer.ImportOptions{})
	if !errors.Is(err, bulk.ErrRejected) {
		t.Fatalf("error %v", err)
	}
	if n := rawCount(t, st, "SELECT (SELECT count(*) FROM customer) + (SELECT count(*) FROM customer_address)"); n != 0 {
		t.Fatalf("%d rows written by a refused batch", n)
	}

	// The store's COPY of addresses fails (a customer that does not
	// exist) after the customers' COPY: the unit writes neither.
	now := time.Now().UTC().Truncate(time.Microsecond)
	c := &customer.Customer{ID: "cus_copy1", Email: "copy@x.com", CreatedAt: now, UpdatedAt: now}
	a := &address.Address{ID: "cuaddr_copy1", CustomerID: "cus_missing", CreatedAt: now, UpdatedAt: now}
	err = st.InTx(ctx, func(ctx context.Context) error {
		return st.ImportCustomers(ctx, []*customer.Customer{c}, []*address.Address{a})
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("error %v, want the foreign key's not found", err)
	}
	if n := rawCount(t, st, "SELECT (SELECT count(*) FROM customer) + (SELECT count(*) FROM customer_address)"); n != 0 {
		t.Fatalf("%d rows written by a failed unit", n)
	}

	// A COPY that meets Medusa's unique index (a writer that took the
	// email between the check and the write) fails with Medusa's conflict.
	if err := st.InTx(ctx, func(ctx context.Context) error { return st.InsertCustomers(ctx, []*customer.Customer{c}) }); err != nil {
		t.Fatal(err)
	}
	dup := *c
	dup.ID = "cus_copy2"
	err = st.InTx(ctx, func(ctx context.Context) error { return st.ImportCustomers(ctx, []*customer.Customer{&dup}, nil) })
	if ce, ok := errors.AsType[*store.ConflictError](err); !ok || ce.Error() != "Customer with email: copy@x.com, has_account: false, already exists." {
		t.Fatalf("error %v, want Medusa's conflict", err)
	}
}

// BenchmarkImportWrite compares the two ways a batch of 5,000 customers
// and 7,500 addresses reaches the tables, inside one transaction: the COPY
// of customer.Importer and the INSERTs from arrays of InsertCustomers and
// InsertAddresses. The tables grow as it runs; values vary as real ones
// do (the trigram indexes see many different keys).
func BenchmarkImportWrite(b *testing.B) {
	ctx := context.Background()
	st := emptied(b)
	const n = 5000
	round := 0
	batch := func() ([]*customer.Customer, []*address.Address) {
		round++
		now := time.Now().UTC().Truncate(time.Microsecond)
		cs := make([]*customer.Customer, n)
		var as []*address.Address
		for i := range cs {
			k := round*n + i
			cs[i] = &customer.Customer{ID: id.New(id.Customer), Email: fmt.Sprintf("w%d@example.com", k), FirstName: fmt.Sprintf("First%d", k%997),
				LastName: fmt.Sprintf("Last%d", k%991), Phone: fmt.Sprintf("+33 1 %08d", k), CreatedAt: now, UpdatedAt: now}
			for j := range 1 + i%2 {
				as = append(as, &address.Address{ID: id.New(id.Address), CustomerID: cs[i].ID, IsDefaultShipping: j == 0,
					Address1: fmt.Sprintf("%d Rue %d", k%200, k%89), City: fmt.Sprintf("City%d", k%503), CountryCode: "fr",
					PostalCode: fmt.Sprintf("%05d", k%99999), CreatedAt: now, UpdatedAt: now})
			}
		}
		return cs, as
	}
	run := func(b *testing.B, write func(ctx context.Context, cs []*customer.Customer, as []*address.Address) error) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			cs, as := batch()
			b.StartTimer()
			if err := st.InTx(ctx, func(ctx context.Context) error { return write(ctx, cs, as) }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "customers/s")
	}
	b.Run("copy", func(b *testing.B) { run(b, st.ImportCustomers) })
	b.Run("insert", func(b *testing.B) {
		run(b, func(ctx context.Context, cs []*customer.Customer, as []*address.Address) error {
			if err := st.InsertCustomers(ctx, cs); err != nil {
				return err
			}
			return st.InsertAddresses(ctx, as)
		})
	})
}

// TestImportKeepsStatistics checks that an import that grows a table
// past a few thousand rows has it analysed, so that the email check of
// the next batches is planned on the lower(email) index.
func TestImportKeepsStatistics(t *testing.T) {
	st := pgtest.NewStore(t)
	svc := newCustomers(t, st)
	ctx := t.Context()
	tuples := func() float64 {
		var n float64
		if err := st.DB().DB.QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE oid = 'customer'::regclass").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The statistics of the empty table, its file emptied too (the
	// tests before deleted their rows): no row, no page.
	if _, err := st.DB().DB.ExecContext(ctx, "TRUNCATE customer CASCADE; ANALYZE customer"); err != nil {
		t.Fatal(err)
	}
	if n := tuples(); n > 0 {
		t.Fatalf("%.0f rows estimated in an empty table", n)
	}
	ps := make([]customer.CreateParams, 20_000)
	for i := range ps {
		ps[i] = customer.CreateParams{Email: fmt.Sprintf("s%d@x.com", i)}
	}
	if _, err := svc.Import(ctx, bulk.Records(ps), customer.ImportOptions{NoEvents: true}); err != nil {
		t.Fatal(err)
	}
	// Analysed before a later batch (the table is some 128 pages from
	// about 10,000 rows on), and not after the last one.
	if n := tuples(); n < 10_000 || n >= 20_000 || n != float64(int(n)/5000*5000) {
		t.Fatalf("%.0f rows estimated after the import, want those of the batches before a later one", n)
	}
}
