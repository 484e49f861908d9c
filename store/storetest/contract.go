package storetest

import (
	"errors"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

var contractTests = []test{
	{"Auth/StateAtStoreLevel", func(e *env) {
		now := time.Now()
		e.must(e.st.PutState(e.ctx, "k", []byte("v"), now.Add(time.Minute)))
		v, err := e.st.TakeState(e.ctx, "k", now)
		e.must(err)
		e.same("v", string(v))
		_, err = e.st.TakeState(e.ctx, "k", now)
		e.wantErr(err, store.ErrNotFound)
		e.must(e.st.PutState(e.ctx, "old", []byte("v"), now.Add(time.Second)))
		_, err = e.st.TakeState(e.ctx, "old", now.Add(time.Second))
		e.wantErr(err, store.ErrNotFound)
	}},

	{"Store/CopyInCopyOut", func(e *env) {
		t := now()
		in := &customer.Customer{ID: "cus_copy", FirstName: "Ann", Metadata: map[string]any{"k": "v"}, CreatedAt: t, UpdatedAt: t}
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{in}))
		in.FirstName = "changed by caller"
		in.Metadata["k"] = "changed by caller"
		got, err := e.st.ListCustomers(e.ctx, customer.Filter{IDs: []string{"cus_copy"}}, store.ListOptions{})
		e.must(err)
		e.same("Ann", got[0].FirstName)
		e.same("v", got[0].Metadata["k"])
		got[0].Metadata["k"] = "changed again"
		got[0].FirstName = "changed again"
		again, err := e.st.ListCustomers(e.ctx, customer.Filter{IDs: []string{"cus_copy"}}, store.ListOptions{})
		e.must(err)
		e.same("Ann", again[0].FirstName)
		e.same("v", again[0].Metadata["k"])
	}},
	{"Store/RoundTripMicroseconds", func(e *env) {
		t := now()
		del := t.Add(1500 * 1000) // 1.5 ms
		c := &customer.Customer{ID: "cus_time", CreatedAt: t, UpdatedAt: t.Add(1000), DeletedAt: &del}
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{c}))
		got, err := e.st.ListCustomers(e.ctx, customer.Filter{IDs: []string{"cus_time"}}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(c, got[0])
	}},
	{"Store/UniqueRulesAtStoreLevel", func(e *env) {
		t := now()
		mk := func(id, email string, acct bool) *customer.Customer {
			return &customer.Customer{ID: id, Email: email, HasAccount: acct, CreatedAt: t, UpdatedAt: t}
		}
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{mk("cus_1", "a@x.com", false), mk("cus_2", "a@x.com", true)}))
		err := e.st.InsertCustomers(e.ctx, []*customer.Customer{mk("cus_3", "b@x.com", false), mk("cus_4", "a@x.com", false)})
		e.wantErr(err, store.ErrConflict)
		var ce *store.ConflictError
		if !errors.As(err, &ce) || ce.Error() != "Customer with email: a@x.com, has_account: false, already exists." {
			e.t.Fatalf("conflict error %v", err)
		}
		got, err := e.st.ListCustomers(e.ctx, customer.Filter{}, store.ListOptions{})
		e.must(err)
		e.same([]string{"cus_1", "cus_2"}, ids(got, customerID))
		g := &group.Group{ID: "cusgroup_1", Name: "G", CreatedAt: t, UpdatedAt: t}
		e.must(e.st.InsertGroups(e.ctx, []*group.Group{g}))
		err = e.st.InsertGroups(e.ctx, []*group.Group{{ID: "cusgroup_2", Name: "G", CreatedAt: t, UpdatedAt: t}})
		e.wantErr(err, store.ErrConflict)
		a := &address.Address{ID: "cuaddr_1", CustomerID: "cus_1", IsDefaultShipping: true, CreatedAt: t, UpdatedAt: t}
		e.must(e.st.InsertAddresses(e.ctx, []*address.Address{a}))
		err = e.st.InsertAddresses(e.ctx, []*address.Address{{ID: "cuaddr_2", CustomerID: "cus_1", IsDefaultShipping: true, CreatedAt: t, UpdatedAt: t}})
		e.wantErr(err, store.ErrConflict)
		err = e.st.InsertAddresses(e.ctx, []*address.Address{{ID: "cuaddr_3", CustomerID: "cus_nobody", CreatedAt: t, UpdatedAt: t}})
		e.wantErr(err, store.ErrNotFound)
		live, err := e.st.LockCustomers(e.ctx, []string{"cus_2", "cus_nobody", "cus_1"})
		e.must(err)
		if len(live) != 2 {
			e.t.Fatalf("LockCustomers: %v", live)
		}
	}},
}
