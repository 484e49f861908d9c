package storetest

import (
	"context"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// The optional importer interfaces write what the Insert methods write,
// with the same conflicts; a failed call inside a unit of work leaves
// nothing of its unit.
var importerTests = []test{
	{"Import/Customers", func(e *env) {
		im, ok := e.st.(customer.Importer)
		if !ok {
			e.t.Skip("the store implements no customer.Importer (optional)")
		}
		t := now()
		in := func(ctx context.Context, cs []*customer.Customer, as []*address.Address) error {
			return e.st.InTx(ctx, func(ctx context.Context) error { return im.ImportCustomers(ctx, cs, as) })
		}
		cs := []*customer.Customer{
			{ID: "cus_1", Email: "a@x.com", FirstName: "Ann", HasAccount: true, Metadata: map[string]any{"n": 1.5, "tags": []any{"x"}},
				CreatedBy: "import", CreatedAt: t, UpdatedAt: t},
			{ID: "cus_2", CreatedAt: t, UpdatedAt: t},
		}
		as := []*address.Address{
			{ID: "cuaddr_1", CustomerID: "cus_1", IsDefaultShipping: true, City: "Paris", CountryCode: "fr", CreatedAt: t, UpdatedAt: t},
			{ID: "cuaddr_2", CustomerID: "cus_1", IsDefaultBilling: true, Metadata: map[string]any{"k": "v"}, CreatedAt: t, UpdatedAt: t},
		}
		e.must(in(e.ctx, cs, as))
		got, err := e.st.ListCustomers(e.ctx, customer.Filter{}, store.ListOptions{Order: []store.Order{store.Asc("id")}})
		e.must(err)
		e.same(cs, got)
		gotAddrs, err := e.st.ListAddresses(e.ctx, address.Filter{}, store.ListOptions{Order: []store.Order{store.Asc("id")}})
		e.must(err)
		e.same(as, gotAddrs)

		// A taken email, a second default, an address of no customer: the
		// call fails as the Insert methods do, and its unit writes nothing.
		c3 := &customer.Customer{ID: "cus_3", Email: "b@x.com", CreatedAt: t, UpdatedAt: t}
		err = in(e.ctx, []*customer.Customer{c3, {ID: "cus_4", Email: "a@x.com", HasAccount: true, CreatedAt: t, UpdatedAt: t}}, nil)
		e.wantErr(err, store.ErrConflict)
		err = in(e.ctx, []*customer.Customer{c3}, []*address.Address{{ID: "cuaddr_3", CustomerID: "cus_1", IsDefaultShipping: true, CreatedAt: t, UpdatedAt: t}})
		e.wantErr(err, store.ErrConflict)
		err = in(e.ctx, []*customer.Customer{c3}, []*address.Address{{ID: "cuaddr_4", CustomerID: "cus_nobody", CreatedAt: t, UpdatedAt: t}})
		e.wantNotFound(err, "cus_nobody")
		n, err := e.st.CountCustomers(e.ctx, customer.Filter{}, store.ListOptions{})
		e.must(err)
		e.same(2, n)
		n, err = e.st.CountAddresses(e.ctx, address.Filter{}, store.ListOptions{})
		e.must(err)
		e.same(2, n)
	}},
	{"Import/AuthIdentities", func(e *env) {
		im, ok := e.st.(auth.IdentityImporter)
		if !ok {
			e.t.Skip("the store implements no auth.IdentityImporter (optional)")
		}
		in := func(ids ...*auth.AuthIdentity) error {
			return e.st.InTx(e.ctx, func(ctx context.Context) error { return im.ImportAuthIdentities(ctx, ids) })
		}
		a := newIdentity("authid_a", newProvider("01A", "emailpass", "a@x.com"))
		a.AppMetadata = map[string]any{"customer_id": "cus_1"}
		a.ProviderIdentities[0].ProviderMetadata = map[string]any{"password": "hash"}
		b := newIdentity("authid_b", newProvider("01B", "emailpass", "b@x.com"))
		e.must(in(a, b))
		got, err := e.st.ListAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{Order: []store.Order{store.Asc("id")}})
		e.must(err)
		e.same([]*auth.AuthIdentity{a, b}, got)

		err = in(newIdentity("authid_c", newProvider("01C", "emailpass", "c@x.com")), newIdentity("authid_d", newProvider("01D", "emailpass", "a@x.com")))
		e.wantErr(err, store.ErrConflict)
		n, err := e.st.CountAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
		e.must(err)
		e.same(2, n)
		n, err = e.st.CountProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{})
		e.must(err)
		e.same(2, n)
	}},
}
