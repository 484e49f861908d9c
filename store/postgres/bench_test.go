package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/internal/servicetest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
	"github.com/clientele/clientele/store/storetest"
)

// The benchmarks measure the library (customer.Service on a postgres.Store
// opened with Open, as a host would) next to a hand-written pgx baseline
// running the same queries, in one run, so that the library's overhead is
// a ratio. Sub-benchmarks named "pgx/…" are the baselines.
//
//	go test -run '^$' -bench . -benchmem ./store/postgres/

// benchSet is the shared 10,000-customer dataset of the read benchmarks,
// seeded once and kept until a benchmark empties the database.
var benchSet struct {
	st *postgres.Store
	ds dataset
}

func seeded(b *testing.B) (*postgres.Store, dataset) {
	b.Helper()
	if benchSet.st == nil {
		st := pgtest.NewStore(b)
		benchSet.ds = seed(b, st, 10_000)
		benchSet.st = st
	}
	return benchSet.st, benchSet.ds
}

// emptied returns an empty store, which forgets the seeded dataset.
func emptied(b *testing.B) *postgres.Store {
	b.Helper()
	benchSet.st = nil
	return pgtest.NewStore(b)
}

// pgxPool returns a pgx pool on the package database in pgx's default
// mode: statements are prepared and cached per connection.
func pgxPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// execStore returns a Store whose pgx connections run in
// QueryExecModeExec (no statement is prepared: every query is parsed and
// planned each time), for comparison with pgx's default that Open keeps.
func execStore(b *testing.B) *postgres.Store {
	b.Helper()
	dsn := pgtest.DSN(b)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	st, err := postgres.Open(context.Background(), dsn+sep+"default_query_exec_mode=exec")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

const customerCols = "id, company_name, first_name, last_name, email, phone, has_account, metadata, created_by, created_at, updated_at, deleted_at"

// scanCustomer is the hand-written scan of the baseline.
func scanCustomer(row pgx.Row) (*customer.Customer, error) {
	var c customer.Customer
	var company, first, last, email, phone, createdBy pgtype.Text
	err := row.Scan(&c.ID, &company, &first, &last, &email, &phone, &c.HasAccount, &c.Metadata,
		&createdBy, &c.CreatedAt, &c.UpdatedAt, &c.DeletedAt)
	c.CompanyName, c.FirstName, c.LastName = company.String, first.String, last.String
	c.Email, c.Phone, c.CreatedBy = email.String, phone.String, createdBy.String
	return &c, err
}

func scanCustomers(rows pgx.Rows) ([]*customer.Customer, error) {
	defer rows.Close()
	var out []*customer.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func scanAddresses(rows pgx.Rows) ([]*address.Address, error) {
	defer rows.Close()
	var out []*address.Address
	for rows.Next() {
		var a address.Address
		var name, company, first, last, a1, a2, city, cc, province, postal, phone pgtype.Text
		if err := rows.Scan(&a.ID, &a.CustomerID, &name, &a.IsDefaultShipping, &a.IsDefaultBilling,
			&company, &first, &last, &a1, &a2, &city, &cc, &province, &postal, &phone, &a.Metadata,
			&a.CreatedAt, &a.UpdatedAt, &a.DeletedAt); err != nil {
			return nil, err
		}
		a.AddressName, a.Company, a.FirstName, a.LastName = name.String, company.String, first.String, last.String
		a.Address1, a.Address2, a.City, a.CountryCode = a1.String, a2.String, city.String, cc.String
		a.Province, a.PostalCode, a.Phone = province.String, postal.String, phone.String
		out = append(out, &a)
	}
	return out, rows.Err()
}

// BenchmarkCreate1000Customers creates 1,000 customers per iteration into
// an empty table (TRUNCATE between iterations, outside the timer).
func BenchmarkCreate1000Customers(b *testing.B) {
	ctx := context.Background()
	st := emptied(b)
	svc := newCustomers(b, st)
	pool := pgxPool(b)
	const n = 1000

	params := func(iter int) []customer.CreateParams {
		ps := make([]customer.CreateParams, n)
		for i := range ps {
			first, last := firstNames[i%len(firstNames)], lastNames[(i/7)%len(lastNames)]
			ps[i] = customer.CreateParams{
				FirstName: first, LastName: last,
				Email:      fmt.Sprintf("%s.%s.%d.%d@example.com", strings.ToLower(first), strings.ToLower(last), iter, i),
				Phone:      fmt.Sprintf("+49 30 %07d", iter*n+i),
				HasAccount: i%2 == 0,
			}
			if i%3 == 0 {
				ps[i].CompanyName = companies[i%len(companies)] + " GmbH"
			}
		}
		return ps
	}
	customers := func(iter int) []*customer.Customer {
		now := time.Now().UTC().Truncate(time.Microsecond)
		cs := make([]*customer.Customer, n)
		for i, p := range params(iter) {
			cs[i] = &customer.Customer{ID: id.New(id.Customer), CompanyName: p.CompanyName, FirstName: p.FirstName,
				LastName: p.LastName, Email: p.Email, Phone: p.Phone, HasAccount: p.HasAccount, CreatedAt: now, UpdatedAt: now}
		}
		return cs
	}
	bench := func(table string, create func(iter int) error) func(b *testing.B) {
		return func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := create(i); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if _, err := pool.Exec(ctx, "TRUNCATE "+table+" CASCADE"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "customers/s")
		}
	}
	// The baselines take their input ready-made, as the library's
	// store-level run does; the service builds it (ids, validation).
	var cs []*customer.Customer
	prepared := func(iter int, run func() error) error {
		b.StopTimer()
		cs = customers(iter)
		b.StartTimer()
		return run()
	}
	insertSQL := func(table string) string {
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (" + customerCols + ") VALUES ")
		for i := range n {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				12*i+1, 12*i+2, 12*i+3, 12*i+4, 12*i+5, 12*i+6, 12*i+7, 12*i+8, 12*i+9, 12*i+10, 12*i+11, 12*i+12)
		}
		return sb.String()
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	pgxInsert := func(table string) func(iter int) error {
		query := insertSQL(table)
		return func(iter int) error {
			return prepared(iter, func() error {
				args := make([]any, 0, 12*n)
				for _, c := range cs {
					args = append(args, c.ID, nullable(c.CompanyName), nullable(c.FirstName), nullable(c.LastName),
						nullable(c.Email), nullable(c.Phone), c.HasAccount, nil, nil, c.CreatedAt, c.UpdatedAt, nil)
				}
				_, err := pool.Exec(ctx, query, args...)
				return err
			})
		}
	}

	b.Run("library/service", bench("customer", func(iter int) error {
		_, err := svc.CreateMany(ctx, params(iter))
		return err
	}))
	b.Run("library/store", bench("customer", func(iter int) error {
		return prepared(iter, func() error { return st.InsertCustomers(ctx, cs) })
	}))
	b.Run("pgx/insert", bench("customer", pgxInsert("customer")))
	b.Run("pgx/insert-unnest", bench("customer", func(iter int) error {
		return prepared(iter, func() error {
			ids, companies, firsts, lasts, emails, phones := make([]string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
			accounts, created, updated := make([]bool, n), make([]time.Time, n), make([]time.Time, n)
			str := func(s string) *string {
				if s == "" {
					return nil
				}
				return &s
			}
			for i, c := range cs {
				ids[i], companies[i], firsts[i], lasts[i], emails[i], phones[i] = c.ID, str(c.CompanyName), str(c.FirstName), str(c.LastName), str(c.Email), str(c.Phone)
				accounts[i], created[i], updated[i] = c.HasAccount, c.CreatedAt, c.UpdatedAt
			}
			_, err := pool.Exec(ctx, `INSERT INTO customer (id, company_name, first_name, last_name, email, phone, has_account, created_at, updated_at)
				SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::timestamptz[], $9::timestamptz[])`,
				ids, companies, firsts, lasts, emails, phones, accounts, created, updated)
			return err
		})
	}))
	b.Run("pgx/copy", bench("customer", func(iter int) error {
		return prepared(iter, func() error {
			_, err := pool.CopyFrom(ctx, pgx.Identifier{"customer"}, strings.Split(customerCols, ", "),
				pgx.CopyFromSlice(len(cs), func(i int) ([]any, error) {
					c := cs[i]
					return []any{c.ID, nullable(c.CompanyName), nullable(c.FirstName), nullable(c.LastName),
						nullable(c.Email), nullable(c.Phone), c.HasAccount, nil, nil, c.CreatedAt, c.UpdatedAt, nil}, nil
				}))
			return err
		})
	}))
	// The same INSERT on a table with Medusa's indexes only, without
	// clientele's trigram and lower(email) indexes: what those cost.
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_medusa_customer;
		CREATE TABLE bench_medusa_customer (LIKE customer INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (id));
		CREATE UNIQUE INDEX ON bench_medusa_customer (email, has_account) WHERE deleted_at IS NULL;
		CREATE INDEX ON bench_medusa_customer (deleted_at) WHERE deleted_at IS NULL`); err != nil {
		b.Fatal(err)
	}
	b.Run("pgx/insert-medusa-indexes-only", bench("bench_medusa_customer", pgxInsert("bench_medusa_customer")))
	if _, err := pool.Exec(ctx, "DROP TABLE bench_medusa_customer"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListAndCountHasAccount lists the first 20 registered customers
// (about half of 10,000) and counts them all.
func BenchmarkListAndCountHasAccount(b *testing.B) {
	benchListAndCount(b, customer.Filter{HasAccount: ptr(true)},
		"has_account = $1 AND deleted_at IS NULL", []any{true})
}

// BenchmarkListAndCountQ is BenchmarkListAndCountHasAccount with a q search
// for a term that 0.5% of the customers match.
func BenchmarkListAndCountQ(b *testing.B) {
	q := strings.ToLower(rareName)
	pattern := "%" + q + "%"
	benchListAndCount(b, customer.Filter{HasAccount: ptr(true), Q: q},
		"has_account = $1 AND deleted_at IS NULL AND (company_name ILIKE $2 OR first_name ILIKE $2 OR last_name ILIKE $2 OR email ILIKE $2 OR phone ILIKE $2)",
		[]any{true, pattern})
}

// BenchmarkListAndCountEmailILike is a list filtered by an email[$ilike]
// pattern that 0.5% of the customers match, as an operator filter.
func BenchmarkListAndCountEmailILike(b *testing.B) {
	pattern := "%" + strings.ToLower(rareName) + "%"
	benchListAndCount(b, customer.Filter{Email: store.ILike(pattern)},
		"email <> '' AND email ILIKE $1 AND deleted_at IS NULL", []any{pattern})
}

func benchListAndCount(b *testing.B, f customer.Filter, where string, args []any) {
	ctx := context.Background()
	st, _ := seeded(b)
	pool := pgxPool(b)
	opts := store.ListOptions{Take: 20}
	check := func(list []*customer.Customer, n int) {
		if len(list) != 20 || n < 20 {
			b.Fatalf("got %d customers of %d", len(list), n)
		}
	}
	service := func(svc *customer.Service) func(b *testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				list, n, err := svc.ListAndCount(ctx, f, opts)
				if err != nil {
					b.Fatal(err)
				}
				check(list, n)
			}
		}
	}
	b.Run("library/service", service(newCustomers(b, st)))
	b.Run("library/service-exec", service(newCustomers(b, execStore(b))))

	listSQL := "SELECT " + customerCols + " FROM customer WHERE " + where + " ORDER BY id LIMIT 20"
	countSQL := "SELECT count(*) FROM customer WHERE " + where
	twoQueries := func(mode pgx.QueryExecMode) func(b *testing.B) {
		return func(b *testing.B) {
			margs := append([]any{mode}, args...)
			for b.Loop() {
				rows, err := pool.Query(ctx, listSQL, margs...)
				if err != nil {
					b.Fatal(err)
				}
				list, err := scanCustomers(rows)
				if err != nil {
					b.Fatal(err)
				}
				var n int
				if err := pool.QueryRow(ctx, countSQL, margs...).Scan(&n); err != nil {
					b.Fatal(err)
				}
				check(list, n)
			}
		}
	}
	b.Run("pgx/two-queries-exec", twoQueries(pgx.QueryExecModeExec))
	b.Run("pgx/two-queries-cache_statement", twoQueries(pgx.QueryExecModeCacheStatement))
	windowSQL := "SELECT " + customerCols + ", count(*) OVER () FROM customer WHERE " + where + " ORDER BY id LIMIT 20"
	b.Run("pgx/window-count-exec", func(b *testing.B) {
		margs := append([]any{pgx.QueryExecModeExec}, args...)
		for b.Loop() {
			rows, err := pool.Query(ctx, windowSQL, margs...)
			if err != nil {
				b.Fatal(err)
			}
			var list []*customer.Customer
			var n int
			for rows.Next() {
				var c customer.Customer
				var company, first, last, email, phone, createdBy pgtype.Text
				if err := rows.Scan(&c.ID, &company, &first, &last, &email, &phone, &c.HasAccount, &c.Metadata,
					&createdBy, &c.CreatedAt, &c.UpdatedAt, &c.DeletedAt, &n); err != nil {
					b.Fatal(err)
				}
				c.CompanyName, c.FirstName, c.LastName = company.String, first.String, last.String
				c.Email, c.Phone, c.CreatedBy = email.String, phone.String, createdBy.String
				list = append(list, &c)
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			check(list, n)
		}
	})
}

// BenchmarkRetrieveByID retrieves customers by id, cycling through the
// dataset, with and without their addresses.
func BenchmarkRetrieveByID(b *testing.B) {
	ctx := context.Background()
	st, ds := seeded(b)
	pool := pgxPool(b)
	ids := ds.withAddrs
	for _, withAddrs := range []bool{false, true} {
		suffix, opts := "", store.FindOptions{}
		if withAddrs {
			suffix, opts = "+addresses", store.FindOptions{Relations: []string{customer.RelAddresses}}
		}
		service := func(svc *customer.Service) func(b *testing.B) {
			return func(b *testing.B) {
				i := 0
				for b.Loop() {
					c, err := svc.Retrieve(ctx, ids[i%len(ids)], opts)
					if err != nil {
						b.Fatal(err)
					}
					if withAddrs && len(c.Addresses) != 2 {
						b.Fatalf("%d addresses", len(c.Addresses))
					}
					i++
				}
			}
		}
		b.Run("library/service"+suffix, service(newCustomers(b, st)))
		b.Run("library/service-exec"+suffix, service(newCustomers(b, execStore(b))))
		b.Run("pgx/cache_statement"+suffix, func(b *testing.B) {
			i := 0
			for b.Loop() {
				id := ids[i%len(ids)]
				c, err := scanCustomer(pool.QueryRow(ctx, "SELECT "+customerCols+" FROM customer WHERE id = $1 AND deleted_at IS NULL", id))
				if err != nil {
					b.Fatal(err)
				}
				if withAddrs {
					rows, err := pool.Query(ctx, `SELECT id, customer_id, address_name, is_default_shipping, is_default_billing,
						company, first_name, last_name, address_1, address_2, city, country_code, province, postal_code, phone,
						metadata, created_at, updated_at, deleted_at
						FROM customer_address WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY id`, id)
					if err != nil {
						b.Fatal(err)
					}
					if c.Addresses, err = scanAddresses(rows); err != nil {
						b.Fatal(err)
					}
					if len(c.Addresses) != 2 {
						b.Fatalf("%d addresses", len(c.Addresses))
					}
				}
				i++
			}
		})
	}
}

// BenchmarkStoretest runs the benchmarks shared by every backend
// (servicetest.Benchmarks).
func BenchmarkStoretest(b *testing.B) {
	servicetest.Benchmarks(b, func(b *testing.B) storetest.Store { return emptied(b) })
}

func ptr[T any](v T) *T { return &v }
