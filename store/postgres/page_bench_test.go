package postgres_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// The page benchmarks measure the counts of ListPage and keyset against
// offset paging on a table of CLIENTELE_BENCH_CUSTOMERS customers (default
// 10,000), seeded on the server in one statement, so that the same
// benchmarks run at a million:
//
//	CLIENTELE_BENCH_CUSTOMERS=1000000 CLIENTELE_BENCH_PAGE=40000 \
//	  go test -run '^$' -bench 'Page' -benchmem ./store/postgres/
//
// CLIENTELE_BENCH_PAGE is the page (of 20 rows) the depth benchmarks read;
// the default is the last page, at most page 500.

const pageRows = 20

// pageSet is the dataset of the page benchmarks: n customers, seeded once
// and checked before each benchmark (another benchmark may have emptied
// the database).
var pageSet struct {
	st *postgres.Store
	n  int
}

func benchEnvInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// pageSeeded returns a store holding exactly n customers seeded by
// seedSeries.
func pageSeeded(b *testing.B) (*postgres.Store, int) {
	b.Helper()
	n := benchEnvInt(b, "CLIENTELE_BENCH_CUSTOMERS", 10_000)
	ctx := context.Background()
	if pageSet.st != nil && pageSet.n == n {
		var have int
		if err := pageSet.st.DB().QueryRowContext(ctx, "SELECT count(*) FROM customer WHERE id LIKE 'cus_series%'").Scan(&have); err != nil {
			b.Fatal(err)
		}
		if have == n {
			return pageSet.st, n
		}
	}
	benchSet.st = nil // the shared dataset goes
	st := pgtest.NewStore(b)
	seedSeries(b, st, n)
	pageSet.st, pageSet.n = st, n
	return st, n
}

// seedSeries inserts n customers in one INSERT … SELECT generate_series on
// the server, ids ascending with g (cus_series + 16 hex digits, a fixed
// width as Medusa's ULIDs), and analyzes the table: a million take about
// ten seconds. One customer in three has no company (NULL), one in two an
// account; created_at descends as the ids ascend.
func seedSeries(b *testing.B, st *postgres.Store, n int) {
	b.Helper()
	ctx := context.Background()
	// One connection without the store's statement_timeout: a million
	// rows take longer than it allows.
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET statement_timeout = 0"); err != nil {
		b.Fatal(err)
	}
	defer conn.ExecContext(ctx, "RESET statement_timeout")
	_, err = conn.ExecContext(ctx, `
INSERT INTO customer (id, company_name, first_name, last_name, email, phone, has_account, created_at, updated_at)
SELECT 'cus_series' || lpad(to_hex(g), 16, '0'),
       CASE WHEN g % 3 = 0 THEN NULL ELSE (ARRAY['Acme','Globex','Initech','Umbrella','Hooli'])[1 + g % 5] || ' GmbH' END,
       (ARRAY['Anna','Ben','Clara','David','Emma','Felix','Greta'])[1 + g % 7],
       (ARRAY['Müller','Schmidt','Schneider','Fischer','Weber','Meyer','Wagner','Becker','Schulz','Quistorp'])[1 + g % 10],
       'c' || g || '@example.com',
       '+49 30 ' || lpad(g::text, 7, '0'),
       g % 2 = 0,
       timestamptz '2026-01-01' - g * interval '1 second',
       timestamptz '2026-01-01' - g * interval '1 second'
FROM generate_series(1, `+strconv.Itoa(n)+`) AS g`)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "VACUUM ANALYZE customer"); err != nil {
		b.Fatal(err)
	}
}

// twoStatements hides PageCustomers and ListAndCountCustomers: the service
// then lists the page and counts in two statements, as it does on a store
// without them.
type twoStatements struct{ customer.Store }

// BenchmarkPageCount lists the first page of 20 customers with its count,
// in each count mode, unfiltered, filtered (has_account, half the table)
// and searched (q, a tenth of the table). "two-statements" is the exact
// count through separate list and count statements.
func BenchmarkPageCount(b *testing.B) {
	st, n := pageSeeded(b)
	ctx := context.Background()
	svc := newCustomers(b, st)
	two := newCustomers(b, twoStatements{st})
	yes := true
	filters := []struct {
		name string
		f    customer.Filter
	}{
		{"all", customer.Filter{}},
		{"has_account", customer.Filter{HasAccount: &yes}},
		{"q", customer.Filter{Q: "quistorp"}},
	}
	modes := []struct {
		name string
		svc  *customer.Service
		opts store.ListOptions
	}{
		{"exact", svc, store.ListOptions{}},
		{"two-statements", two, store.ListOptions{}},
		{"estimated", svc, store.ListOptions{Count: store.CountEstimated}},
		{"capped1000", svc, store.ListOptions{Count: store.CountCapped, CountCap: 1000}},
	}
	for _, f := range filters {
		for _, m := range modes {
			b.Run(f.name+"/"+m.name, func(b *testing.B) {
				opts := m.opts
				opts.Take = pageRows
				var p *store.Page[customer.Customer]
				for b.Loop() {
					var err error
					if p, err = m.svc.ListPage(ctx, f.f, opts); err != nil {
						b.Fatal(err)
					}
				}
				if len(p.Items) != pageRows {
					b.Fatalf("%d rows", len(p.Items))
				}
				b.ReportMetric(float64(p.Count.N)/float64(n), "count/customers")
			})
		}
	}
}

// BenchmarkPageDepth reads page CLIENTELE_BENCH_PAGE (of 20 rows) by
// offset and by keyset (the cursor of the last row of the page before),
// in id order (the primary key) and by created_at descending and
// ascending (IDX_clientele_customer_created_at), with no count.
func BenchmarkPageDepth(b *testing.B) {
	st, n := pageSeeded(b)
	ctx := context.Background()
	page := benchEnvInt(b, "CLIENTELE_BENCH_PAGE", min(500, n/pageRows))
	skip := (page - 1) * pageRows
	if skip+pageRows > n {
		b.Fatalf("page %d is past the %d customers", page, n)
	}
	for _, order := range []struct {
		name  string
		order []store.Order
	}{
		{"id", nil},
		{"created_at_desc", []store.Order{store.Desc("created_at")}},
		{"created_at_asc", []store.Order{store.Asc("created_at")}},
	} {
		// The row before the page, whose cursor the keyset read starts after.
		before, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{Order: order.order, Skip: skip - 1, Take: 1})
		if err != nil || len(before) != 1 {
			b.Fatal(len(before), err)
		}
		want, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{Order: order.order, Skip: skip, Take: pageRows})
		if err != nil {
			b.Fatal(err)
		}
		after := customer.Sortable.Cursor(order.order, func(c *customer.Customer) string { return c.ID }, before[0])
		for _, way := range []struct {
			name string
			opts store.ListOptions
		}{
			{"offset", store.ListOptions{Order: order.order, Skip: skip, Take: pageRows}},
			{"keyset", store.ListOptions{Order: order.order, After: after, Take: pageRows}},
		} {
			b.Run(order.name+"/"+way.name, func(b *testing.B) {
				var got []*customer.Customer
				for b.Loop() {
					if got, err = st.ListCustomers(ctx, customer.Filter{}, way.opts); err != nil {
						b.Fatal(err)
					}
				}
				if len(got) != pageRows || got[0].ID != want[0].ID || got[pageRows-1].ID != want[pageRows-1].ID {
					b.Fatalf("page %d by %s is not the offset page", page, way.name)
				}
			})
		}
	}
}
