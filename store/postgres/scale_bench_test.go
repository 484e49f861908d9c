package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// BenchmarkScale measures the reads a shop makes most on the dataset of
// the page benchmarks (CLIENTELE_BENCH_CUSTOMERS customers, default
// 10,000), with, added once per dataset, one group holding every tenth
// customer and an emailpass identity for every customer:
//
//		CLIENTELE_BENCH_CUSTOMERS=1000000 go test -run '^$' -bench Scale -benchmem ./store/postgres/
//
//	  - ListAndCount/{all,has_account,group}/{exact,estimated,capped1000}:
//	    the first page of 20 with its count, as GET /admin/customers reads
//	    it;
//	  - Search: q for a term of 6 characters that about 0.01% of the
//	    customers match (an email prefix), page and exact count;
//	  - Retrieve: a customer by id;
//	  - Login: an emailpass login among all the identities (cheap scrypt, so
//	    that the lookup shows).
func BenchmarkScale(b *testing.B) {
	st, n := pageSeeded(b)
	ctx := context.Background()
	svc := newCustomers(b, st)
	groupID := scaleExtras(b, n)

	yes := true
	for _, f := range []struct {
		name string
		f    customer.Filter
	}{
		{"all", customer.Filter{}},
		{"has_account", customer.Filter{HasAccount: &yes}},
		{"group", customer.Filter{GroupIDs: []string{groupID}}},
	} {
		for _, m := range []struct {
			name string
			opts store.ListOptions
		}{
			{"exact", store.ListOptions{}},
			{"estimated", store.ListOptions{Count: store.CountEstimated}},
			{"capped1000", store.ListOptions{Count: store.CountCapped, CountCap: 1000}},
		} {
			b.Run("ListAndCount/"+f.name+"/"+m.name, func(b *testing.B) {
				opts := m.opts
				opts.Take = pageRows
				var p *store.Page[customer.Customer]
				for b.Loop() {
					var err error
					if p, err = svc.ListPage(ctx, f.f, opts); err != nil {
						b.Fatal(err)
					}
				}
				if len(p.Items) != pageRows {
					b.Fatalf("%d rows", len(p.Items))
				}
				b.ReportMetric(float64(p.Count.N), "count")
			})
		}
	}

	b.Run("Search", func(b *testing.B) {
		// c4242 is the start of the emails of customers 4242, 42420–42429,
		// 424200–424299 (and so on, as far as n goes).
		term := "c4242@"
		if n >= 42420 {
			term = "c4242"
		}
		var list []*customer.Customer
		var count int
		for b.Loop() {
			var err error
			if list, count, err = svc.ListAndCount(ctx, customer.Filter{Q: term}, store.ListOptions{Take: pageRows}); err != nil {
				b.Fatal(err)
			}
		}
		if len(list) == 0 || count*100 >= n {
			b.Fatalf("q=%s: %d rows, count %d of %d: want some, under 1%%", term, len(list), count, n)
		}
		b.ReportMetric(float64(count), "count")
	})

	b.Run("Retrieve", func(b *testing.B) {
		id := fmt.Sprintf("cus_series%016x", n/2)
		for b.Loop() {
			if _, err := svc.Retrieve(ctx, id, store.FindOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Login", func(b *testing.B) {
		tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("benchmark-secret-benchmark-secret")})
		if err != nil {
			b.Fatal(err)
		}
		authSvc, err := auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(cheapScrypt))))
		if err != nil {
			b.Fatal(err)
		}
		email := fmt.Sprintf("c%d@example.com", n/2)
		creds := emailpass.Credentials(email, "correct horse").ForActor(auth.ActorCustomer)
		for b.Loop() {
			if _, err := authSvc.Login(ctx, auth.ActorCustomer, emailpass.ID, creds); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// scaleExtras adds, once for a dataset of n customers (seedSeries), a
// group with every tenth customer and an emailpass identity, with the
// password "correct horse" hashed with cheapScrypt, for every customer
// (c<g>@example.com), and returns the group's id.
func scaleExtras(b *testing.B, n int) string {
	b.Helper()
	ctx := context.Background()
	db := pageSet.st.DB().DB
	const groupID = "cusgroup_series"
	var have int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM customer_group WHERE id = $1", groupID).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have == 1 {
		return groupID
	}
	hash, err := cheapScrypt.Hash([]byte("correct horse"))
	if err != nil {
		b.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	stmts := []string{
		"SET statement_timeout = 0",
		"INSERT INTO customer_group (id, name) VALUES ('" + groupID + "', 'Series')",
		`INSERT INTO customer_group_customer (id, customer_id, customer_group_id)
		 SELECT 'cusgc_series' || lpad(to_hex(g), 16, '0'), 'cus_series' || lpad(to_hex(g), 16, '0'), '` + groupID + `'
		 FROM generate_series(10, ` + strconv.Itoa(n) + `, 10) AS g`,
		`INSERT INTO auth_identity (id, app_metadata)
		 SELECT 'authid_series' || lpad(to_hex(g), 16, '0'),
		        jsonb_build_object('customer_id', 'cus_series' || lpad(to_hex(g), 16, '0'))
		 FROM generate_series(1, ` + strconv.Itoa(n) + `) AS g`,
		`INSERT INTO provider_identity (id, entity_id, provider, auth_identity_id, provider_metadata)
		 SELECT 'series' || lpad(to_hex(g), 16, '0'), 'c' || g || '@example.com', 'emailpass',
		        'authid_series' || lpad(to_hex(g), 16, '0'), jsonb_build_object('password', $1::text)
		 FROM generate_series(1, ` + strconv.Itoa(n) + `) AS g`,
		"VACUUM ANALYZE customer_group_customer",
		"VACUUM ANALYZE auth_identity",
		"VACUUM ANALYZE provider_identity",
		"RESET statement_timeout",
	}
	for _, s := range stmts {
		var args []any
		if strings.Contains(s, "$1") {
			args = []any{hash}
		}
		if _, err := conn.ExecContext(ctx, s, args...); err != nil {
			b.Fatalf("%s: %v", s, err)
		}
	}
	return groupID
}
