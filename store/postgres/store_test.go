package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// withParam adds a setting to a connection string, a URL or keyword/value.
func withParam(dsn, key, value string) string {
	if !strings.Contains(dsn, "://") {
		return dsn + " " + key + "=" + value
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&" + key + "=" + value
	}
	return dsn + "?" + key + "=" + value
}

// TestExecModes round-trips every kind of value and runs every kind of
// statement the Store sends in each of pgx's query exec modes: the Store
// must work in whichever a host chooses.
func TestExecModes(t *testing.T) {
	for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			pgtest.NewStore(t) // empties the database
			st, err := postgres.Open(t.Context(), withParam(pgtest.DSN(t), "default_query_exec_mode", mode))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			roundTrip(t, st)
			authRoundTrip(t, st)
		})
	}
}

func roundTrip(t *testing.T, st *postgres.Store) {
	ctx := t.Context()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)
	deleted := t0.Add(time.Hour)
	cs := []*customer.Customer{
		{ID: "cus_1", CompanyName: "Acme, \"Inc\"", FirstName: "Zoë", LastName: "O'Neil", Email: "zoe@example.com",
			Phone: "+1 555", HasAccount: true, Metadata: map[string]any{"n": 1.5, "nested": map[string]any{"a": []any{"x", true, nil}}},
			CreatedBy: "user_1", CreatedAt: t0, UpdatedAt: t0},
		{ID: "cus_2", Email: "Mixed@Example.com", Metadata: map[string]any{}, CreatedAt: t0.Add(time.Second), UpdatedAt: t0.Add(time.Second)},
		{ID: "cus_3", LastName: "Gone", CreatedAt: t0.Add(2 * time.Second), UpdatedAt: t0.Add(2 * time.Second), DeletedAt: &deleted},
	}
	must(t, st.InsertCustomers(ctx, cs))
	all := func(f customer.Filter, opts store.ListOptions) []*customer.Customer {
		t.Helper()
		got, err := st.ListCustomers(ctx, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff(cs, all(customer.Filter{}, store.ListOptions{WithDeleted: true})); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	ids := func(f customer.Filter, opts store.ListOptions) []string {
		t.Helper()
		return customerIDs(all(f, opts))
	}
	yes := true
	for name, tc := range map[string]struct {
		f    customer.Filter
		opts store.ListOptions
		want []string
	}{
		"live":            {customer.Filter{}, store.ListOptions{}, []string{"cus_1", "cus_2"}},
		"one id":          {customer.Filter{IDs: []string{"cus_2"}}, store.ListOptions{}, []string{"cus_2"}},
		"ids":             {customer.Filter{IDs: []string{"cus_3", "cus_1"}}, store.ListOptions{WithDeleted: true}, []string{"cus_1", "cus_3"}},
		"no ids":          {customer.Filter{IDs: []string{}}, store.ListOptions{}, []string{}},
		"emails":          {customer.Filter{Emails: []string{"MIXED@example.com", "zoe@EXAMPLE.com"}}, store.ListOptions{}, []string{"cus_1", "cus_2"}},
		"has_account":     {customer.Filter{HasAccount: &yes}, store.ListOptions{}, []string{"cus_1"}},
		"null company":    {customer.Filter{CompanyName: store.IsNull()}, store.ListOptions{}, []string{"cus_2"}},
		"company or null": {customer.Filter{CompanyName: store.StringFilter{In: []string{"Acme, \"Inc\""}, Null: true}}, store.ListOptions{}, []string{"cus_1", "cus_2"}},
		"created range":   {customer.Filter{CreatedAt: store.TimeFilter{Gt: t0, Lte: t0.Add(2 * time.Second)}}, store.ListOptions{WithDeleted: true}, []string{"cus_2", "cus_3"}},
		"q":               {customer.Filter{Q: "zoË o'n"}, store.ListOptions{}, []string{"cus_1"}},
		"order":           {customer.Filter{}, store.ListOptions{Order: []store.Order{store.Desc("last_name")}, WithDeleted: true}, []string{"cus_2", "cus_1", "cus_3"}},
		"page":            {customer.Filter{}, store.ListOptions{Skip: 1, Take: 1, WithDeleted: true}, []string{"cus_2"}},
		"q page":          {customer.Filter{Q: "example"}, store.ListOptions{Take: 1, Order: []store.Order{store.Desc("id")}}, []string{"cus_2"}},
	} {
		if diff := cmp.Diff(tc.want, ids(tc.f, tc.opts)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		n, err := st.CountCustomers(ctx, tc.f, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if tc.opts.Take == 0 && tc.opts.Skip == 0 && n != len(tc.want) {
			t.Errorf("%s: count %d, want %d", name, n, len(tc.want))
		}
	}

	// Update one, then several; created_at is not written.
	cs[0].Metadata, cs[0].CompanyName, cs[0].UpdatedAt = nil, "", t0.Add(time.Minute)
	c0 := *cs[0]
	c0.CreatedAt = time.Time{}
	must(t, st.UpdateCustomers(ctx, []*customer.Customer{&c0}))
	cs[1].DeletedAt, cs[2].DeletedAt = &deleted, nil
	must(t, st.UpdateCustomers(ctx, cs[1:]))
	if diff := cmp.Diff(cs, all(customer.Filter{}, store.ListOptions{WithDeleted: true})); diff != "" {
		t.Fatalf("after updates (-want +got):\n%s", diff)
	}

	err := st.InTx(ctx, func(ctx context.Context) error {
		live, err := st.LockCustomers(ctx, []string{"cus_3", "cus_2", "cus_1", "cus_x"})
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"cus_1", "cus_3"}, live); diff != "" {
			t.Errorf("locked (-want +got):\n%s", diff)
		}
		_, err = st.ListCustomers(ctx, customer.Filter{Q: "gone"}, store.ListOptions{Lock: true})
		return err
	})
	must(t, err)

	as := []*address.Address{
		{ID: "cuaddr_1", CustomerID: "cus_1", AddressName: "Home", IsDefaultShipping: true, Address1: "1 Main St",
			City: "Springfield", CountryCode: "us", PostalCode: "12345", Metadata: map[string]any{"door": "blue"}, CreatedAt: t0, UpdatedAt: t0},
		{ID: "cuaddr_2", CustomerID: "cus_1", IsDefaultBilling: true, CountryCode: "de", CreatedAt: t0, UpdatedAt: t0},
	}
	must(t, st.InsertAddresses(ctx, as))
	as[0].IsDefaultShipping, as[1].IsDefaultShipping = false, true
	must(t, st.UpdateAddresses(ctx, as[:1]))
	must(t, st.UpdateAddresses(ctx, as[1:]))
	gotAddrs, err := st.ListAddresses(ctx, address.Filter{CustomerIDs: []string{"cus_1"}, CountryCodes: []string{"us", "de"}}, store.ListOptions{})
	must(t, err)
	if diff := cmp.Diff(as, gotAddrs); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	no := false
	n, err := st.CountAddresses(ctx, address.Filter{Q: "springfield", IsDefaultShipping: &no}, store.ListOptions{})
	if err != nil || n != 1 {
		t.Errorf("count addresses: %d, %v", n, err)
	}

	gs := []*group.Group{
		{ID: "cusgroup_1", Name: "VIP", Metadata: map[string]any{"k": "v"}, CreatedBy: "user_1", CreatedAt: t0, UpdatedAt: t0},
		{ID: "cusgroup_2", Name: "Wholesale", CreatedAt: t0, UpdatedAt: t0},
	}
	must(t, st.InsertGroups(ctx, gs))
	gs[1].DeletedAt, gs[1].UpdatedAt = &deleted, deleted
	must(t, st.UpdateGroups(ctx, gs))
	ms := []*group.Membership{
		{ID: "cusgc_1", CustomerID: "cus_1", GroupID: "cusgroup_1", CreatedAt: t0, UpdatedAt: t0},
		{ID: "cusgc_2", CustomerID: "cus_1", GroupID: "cusgroup_1", CreatedAt: t0, UpdatedAt: t0},
		{ID: "cusgc_3", CustomerID: "cus_3", GroupID: "cusgroup_2", Metadata: map[string]any{}, CreatedBy: "x", CreatedAt: t0, UpdatedAt: t0},
	}
	must(t, st.InsertMemberships(ctx, ms))
	gotMs, err := st.ListMemberships(ctx, []string{"cus_1", "cus_3"}, nil)
	must(t, err)
	if diff := cmp.Diff(ms, gotMs); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
	gotGroups, err := st.ListGroups(ctx, group.Filter{CustomerIDs: []string{"cus_1", "cus_3"}}, store.ListOptions{WithDeleted: true})
	must(t, err)
	if diff := cmp.Diff(gs, gotGroups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if n, err := st.CountGroups(ctx, group.Filter{Q: "hole"}, store.ListOptions{WithDeleted: true}); err != nil || n != 1 {
		t.Errorf("count groups: %d, %v", n, err)
	}
	if got := ids(customer.Filter{GroupIDs: []string{"cusgroup_2"}}, store.ListOptions{}); !cmp.Equal(got, []string{"cus_3"}) {
		t.Errorf("members of a deleted group: %v", got)
	}

	must(t, st.DeleteMemberships(ctx, []group.Pair{{CustomerID: "cus_1", GroupID: "cusgroup_1"}}))
	must(t, st.DeleteGroups(ctx, []string{"cusgroup_2"}))
	must(t, st.DeleteAddresses(ctx, []string{"cuaddr_2"}))
	must(t, st.DeleteCustomers(ctx, []string{"cus_1"}))
	left, err := st.ListMemberships(ctx, nil, nil)
	must(t, err)
	addrs, err := st.ListAddresses(ctx, address.Filter{}, store.ListOptions{WithDeleted: true})
	must(t, err)
	if len(left) != 0 || len(addrs) != 0 {
		t.Errorf("left %d memberships and %d addresses", len(left), len(addrs))
	}
	if got := ids(customer.Filter{}, store.ListOptions{WithDeleted: true}); !cmp.Equal(got, []string{"cus_2", "cus_3"}) {
		t.Errorf("customers left: %v", got)
	}
}
