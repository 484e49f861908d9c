package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

var errBoom = errors.New("boom")

func newCustomer(id, email string) *customer.Customer {
	t := now()
	return &customer.Customer{ID: id, Email: email, CreatedAt: t, UpdatedAt: t}
}

func newAddress(id, customerID string) *address.Address {
	t := now()
	return &address.Address{ID: id, CustomerID: customerID, CreatedAt: t, UpdatedAt: t}
}

func newGroup(id, name string) *group.Group {
	t := now()
	return &group.Group{ID: id, Name: name, CreatedAt: t, UpdatedAt: t}
}

func newMembership(id, customerID, groupID string) *group.Membership {
	t := now()
	return &group.Membership{ID: id, CustomerID: customerID, GroupID: groupID, CreatedAt: t, UpdatedAt: t}
}

func newIdentity(id string, pis ...*auth.ProviderIdentity) *auth.AuthIdentity {
	t := now()
	for _, p := range pis {
		p.AuthIdentityID = id
	}
	return &auth.AuthIdentity{ID: id, ProviderIdentities: pis, CreatedAt: t, UpdatedAt: t}
}

func newProvider(id, provider, entityID string) *auth.ProviderIdentity {
	t := now()
	return &auth.ProviderIdentity{ID: id, Provider: provider, EntityID: entityID, CreatedAt: t, UpdatedAt: t}
}

var storeTests = []test{
	{"Store/CancelledContextAtStoreLevel", func(e *env) {
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		_, err := e.st.ListAddresses(ctx, address.Filter{}, store.ListOptions{})
		e.wantErr(err, context.Canceled)
		e.wantErr(e.st.InsertGroups(ctx, []*group.Group{newGroup("cusgroup_x", "G")}), context.Canceled)
		e.wantErr(e.st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{newIdentity("authid_x")}), context.Canceled)
		e.wantErr(e.st.InTx(ctx, func(context.Context) error { return nil }), context.Canceled)
		e.unchanged(snapshot{})
	}},
	{"Unit/RollsBackEveryDomain", func(e *env) {
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{newCustomer("cus_keep", "keep@example.com")}))
		before := e.snapshot()
		var committed atomic.Bool
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			store.AfterCommit(ctx, func() { committed.Store(true) })
			e.must(e.st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_new", "new@example.com")}))
			e.must(e.st.InsertAddresses(ctx, []*address.Address{newAddress("cuaddr_new", "cus_keep")}))
			keep := newCustomer("cus_keep", "changed@example.com")
			e.must(e.st.UpdateCustomers(ctx, []*customer.Customer{keep}))
			e.must(e.st.InsertGroups(ctx, []*group.Group{newGroup("cusgroup_new", "G")}))
			e.must(e.st.InsertMemberships(ctx, []*group.Membership{newMembership("cusgc_new", "cus_keep", "cusgroup_new")}))
			e.must(e.st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{newIdentity("authid_new", newProvider("01NEW", "manual", "x"))}))
			e.must(e.st.PutState(ctx, "state", []byte("v"), time.Now().Add(time.Hour)))
			// Inside the unit, its own writes are visible.
			got, err := e.st.ListCustomers(ctx, customer.Filter{IDs: []string{"cus_new", "cus_keep"}}, store.ListOptions{})
			e.must(err)
			e.same([]string{"cus_keep", "cus_new"}, ids(got, customerID))
			e.same("changed@example.com", got[0].Email)
			return errBoom
		})
		e.wantErr(err, errBoom)
		e.unchanged(before)
		_, err = e.st.TakeState(e.ctx, "state", time.Now())
		e.wantErr(err, store.ErrNotFound)
		if committed.Load() {
			e.t.Fatal("AfterCommit ran for a failed unit")
		}
	}},
	{"Unit/NestedUnitsJoinAndCommitOnce", func(e *env) {
		var order []string
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			e.must(e.st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_1", "")}))
			err := e.st.InTx(ctx, func(ctx context.Context) error {
				store.AfterCommit(ctx, func() { order = append(order, "inner") })
				return e.st.InsertGroups(ctx, []*group.Group{newGroup("cusgroup_1", "G")})
			})
			store.AfterCommit(ctx, func() { order = append(order, "outer") })
			order = append(order, "body")
			return err
		})
		e.must(err)
		e.same([]string{"body", "inner", "outer"}, order)
		// A failed inner unit fails the outer one with everything in it.
		before := e.snapshot()
		err = e.st.InTx(e.ctx, func(ctx context.Context) error {
			e.must(e.st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_2", "")}))
			return e.st.InTx(ctx, func(ctx context.Context) error {
				e.must(e.st.InsertGroups(ctx, []*group.Group{newGroup("cusgroup_2", "H")}))
				return errBoom
			})
		})
		e.wantErr(err, errBoom)
		e.unchanged(before)
		// Without a unit, AfterCommit runs at once.
		ran := false
		store.AfterCommit(e.ctx, func() { ran = true })
		e.same(true, ran)
	}},
	{"Unit/PanicRollsBack", func(e *env) {
		func() {
			defer func() { _ = recover() }()
			_ = e.st.InTx(e.ctx, func(ctx context.Context) error {
				e.must(e.st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_p", "p@example.com")}))
				panic("boom")
			})
		}()
		e.unchanged(snapshot{})
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{newCustomer("cus_p", "p@example.com")}))
	}},
	{"Customer/UpdateDeleteCascade", func(e *env) {
		first := newCustomer("cus_1", "a@example.com")
		first.CreatedAt = first.CreatedAt.Add(-time.Hour)
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{first, newCustomer("cus_2", "b@example.com")}))
		e.must(e.st.InsertAddresses(e.ctx, []*address.Address{newAddress("cuaddr_1", "cus_1"), newAddress("cuaddr_2", "cus_2")}))
		e.must(e.st.InsertGroups(e.ctx, []*group.Group{newGroup("cusgroup_1", "G")}))
		e.must(e.st.InsertMemberships(e.ctx, []*group.Membership{newMembership("cusgc_1", "cus_1", "cusgroup_1"), newMembership("cusgc_2", "cus_2", "cusgroup_1")}))
		up := newCustomer("cus_1", "")
		up.FirstName, up.Metadata, up.HasAccount = "Ann", map[string]any{"k": "v"}, true
		e.must(e.st.UpdateCustomers(e.ctx, []*customer.Customer{up}))
		got, err := e.st.ListCustomers(e.ctx, customer.Filter{IDs: []string{"cus_1"}}, store.ListOptions{})
		e.must(err)
		// Every column but id and created_at is written.
		want := *up
		want.CreatedAt = first.CreatedAt
		e.same(&want, got[0])
		// Count ignores paging; filters apply to both.
		n, err := e.st.CountCustomers(e.ctx, customer.Filter{}, store.ListOptions{Take: 1, Skip: 1})
		e.must(err)
		e.same(2, n)
		n, err = e.st.CountCustomers(e.ctx, customer.Filter{HasAccount: ptr(true)}, store.ListOptions{})
		e.must(err)
		e.same(1, n)
		e.must(e.st.DeleteCustomers(e.ctx, []string{"cus_1", "cus_unknown"}))
		left := e.snapshot()
		e.same([]string{"cus_2"}, ids(left.Customers, customerID))
		e.same([]string{"cuaddr_2"}, ids(left.Addresses, addressID))
		e.same([]string{"cusgc_2"}, ids(left.Members, membershipID))
	}},
	{"Customer/LockCustomers", func(e *env) {
		gone := newCustomer("cus_gone", "")
		gone.DeletedAt = ptr(now())
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{newCustomer("cus_b", ""), newCustomer("cus_a", ""), gone}))
		var live []string
		e.must(e.st.InTx(e.ctx, func(ctx context.Context) error {
			var err error
			live, err = e.st.LockCustomers(ctx, []string{"cus_b", "cus_gone", "cus_nobody", "cus_a"})
			return err
		}))
		if len(live) != 2 || !(live[0] == "cus_a" || live[1] == "cus_a") || !(live[0] == "cus_b" || live[1] == "cus_b") {
			e.t.Fatalf("LockCustomers: %v, want cus_a and cus_b", live)
		}
	}},
	{"Address/DefaultsCountSoftDeletedRows", func(e *env) {
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{newCustomer("cus_1", "")}))
		old := newAddress("cuaddr_old", "cus_1")
		old.IsDefaultBilling, old.DeletedAt = true, ptr(now())
		e.must(e.st.InsertAddresses(e.ctx, []*address.Address{old}))
		before := e.snapshot()
		second := newAddress("cuaddr_new", "cus_1")
		second.IsDefaultBilling = true
		e.wantErr(e.st.InsertAddresses(e.ctx, []*address.Address{second}), store.ErrConflict)
		e.unchanged(before)
		// Clearing the old flag and setting the new one in one unit works.
		e.must(e.st.InTx(e.ctx, func(ctx context.Context) error {
			old.IsDefaultBilling = false
			if err := e.st.UpdateAddresses(ctx, []*address.Address{old}); err != nil {
				return err
			}
			return e.st.InsertAddresses(ctx, []*address.Address{second})
		}))
		got, err := e.st.ListAddresses(e.ctx, address.Filter{IsDefaultBilling: ptr(true)}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same([]string{"cuaddr_new"}, ids(got, addressID))
		e.must(e.st.DeleteAddresses(e.ctx, []string{"cuaddr_new", "cuaddr_unknown"}))
		n, err := e.st.CountAddresses(e.ctx, address.Filter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(1, n)
	}},
	{"Group/MembershipsAndCascade", func(e *env) {
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{newCustomer("cus_1", ""), newCustomer("cus_2", "")}))
		e.must(e.st.InsertGroups(e.ctx, []*group.Group{newGroup("cusgroup_1", "A"), newGroup("cusgroup_2", "B")}))
		// Duplicates (as a Medusa database may hold) are listed, in id order.
		e.must(e.st.InsertMemberships(e.ctx, []*group.Membership{
			newMembership("cusgc_3", "cus_1", "cusgroup_1"), newMembership("cusgc_1", "cus_1", "cusgroup_1"),
			newMembership("cusgc_2", "cus_2", "cusgroup_1"), newMembership("cusgc_4", "cus_1", "cusgroup_2"),
		}))
		ms, err := e.st.ListMemberships(e.ctx, []string{"cus_1"}, nil)
		e.must(err)
		e.same([]string{"cusgc_1", "cusgc_3", "cusgc_4"}, ids(ms, membershipID))
		ms, err = e.st.ListMemberships(e.ctx, nil, []string{"cusgroup_1"})
		e.must(err)
		e.same([]string{"cusgc_1", "cusgc_2", "cusgc_3"}, ids(ms, membershipID))
		gs, err := e.st.ListGroups(e.ctx, group.Filter{CustomerIDs: []string{"cus_2"}}, store.ListOptions{})
		e.must(err)
		e.same([]string{"cusgroup_1"}, ids(gs, groupID))
		e.must(e.st.DeleteMemberships(e.ctx, []group.Pair{{CustomerID: "cus_1", GroupID: "cusgroup_1"}}))
		ms, err = e.st.ListMemberships(e.ctx, nil, nil)
		e.must(err)
		e.same([]string{"cusgc_2", "cusgc_4"}, ids(ms, membershipID))
		e.must(e.st.DeleteGroups(e.ctx, []string{"cusgroup_2"}))
		ms, err = e.st.ListMemberships(e.ctx, nil, nil)
		e.must(err)
		e.same([]string{"cusgc_2"}, ids(ms, membershipID))
		// A soft-deleted group's name is free again.
		g := newGroup("cusgroup_1", "A")
		g.DeletedAt = ptr(now())
		e.must(e.st.UpdateGroups(e.ctx, []*group.Group{g}))
		e.must(e.st.InsertGroups(e.ctx, []*group.Group{newGroup("cusgroup_3", "A")}))
		n, err := e.st.CountGroups(e.ctx, group.Filter{Names: []string{"A"}}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(2, n)
	}},
	{"Auth/IdentitiesAtStoreLevel", func(e *env) {
		a := newIdentity("authid_a", newProvider("01B", "emailpass", "ada@example.com"), newProvider("01A", "github", "ada"))
		a.AppMetadata = map[string]any{"customer_id": "cus_1"}
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{a, newIdentity("authid_b")}))
		got, err := e.st.ListAuthIdentities(e.ctx, auth.IdentityFilter{AppMetadata: map[string]any{"customer_id": "cus_1"}}, store.ListOptions{})
		e.must(err)
		if len(got) != 1 {
			e.t.Fatalf("identities: %v", ids(got, identityID))
		}
		e.same([]string{"01A", "01B"}, ids(got[0].ProviderIdentities, providerID))
		n, err := e.st.CountAuthIdentities(e.ctx, auth.IdentityFilter{Providers: []string{"github"}}, store.ListOptions{})
		e.must(err)
		e.same(1, n)
		// (entity_id, provider) is unique, soft-deleted rows included.
		gone := newProvider("01A", "github", "ada")
		gone.AuthIdentityID, gone.DeletedAt = "authid_a", ptr(now())
		e.must(e.st.UpdateProviderIdentities(e.ctx, []*auth.ProviderIdentity{gone}))
		dup := newProvider("01C", "github", "ada")
		dup.AuthIdentityID = "authid_b"
		e.wantErr(e.st.InsertProviderIdentities(e.ctx, []*auth.ProviderIdentity{dup}), store.ErrConflict)
		orphan := newProvider("01D", "manual", "x")
		orphan.AuthIdentityID = "authid_nobody"
		e.wantNotFound(e.st.InsertProviderIdentities(e.ctx, []*auth.ProviderIdentity{orphan}), "authid_nobody")
		// Deleting an identity deletes its provider identities and tokens.
		e.must(e.st.ReplaceResetToken(e.ctx, &auth.ResetToken{ID: "tok_1", AuthIdentityID: "authid_a", ProviderIdentityID: "01B",
			EntityID: "ada@example.com", TokenHash: "hash-1", ExpiresAt: now().Add(time.Hour), CreatedAt: now(), UpdatedAt: now()}))
		e.must(e.st.DeleteAuthIdentities(e.ctx, []string{"authid_a", "authid_unknown"}))
		pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(0, len(pis))
		_, err = e.st.TakeResetToken(e.ctx, "hash-1")
		e.wantErr(err, store.ErrNotFound)
	}},
	{"Auth/ResetTokenTakenOnce", func(e *env) {
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a", newProvider("01A", "emailpass", "ada@example.com"))}))
		tok := func(id, hash string) *auth.ResetToken {
			return &auth.ResetToken{ID: id, AuthIdentityID: "authid_a", ProviderIdentityID: "01A", EntityID: "ada@example.com",
				TokenHash: hash, ExpiresAt: now().Add(time.Hour), CreatedAt: now(), UpdatedAt: now()}
		}
		e.must(e.st.ReplaceResetToken(e.ctx, tok("tok_1", "hash-1")))
		e.must(e.st.ReplaceResetToken(e.ctx, tok("tok_2", "hash-2")))
		_, err := e.st.TakeResetToken(e.ctx, "hash-1")
		e.wantErr(err, store.ErrNotFound)
		var wg sync.WaitGroup
		var won atomic.Int32
		for range 20 {
			wg.Go(func() {
				got, err := e.st.TakeResetToken(e.ctx, "hash-2")
				switch {
				case err == nil:
					won.Add(1)
					if got.ID != "tok_2" || got.ProviderIdentityID != "01A" {
						e.t.Errorf("taken token %+v", got)
					}
				case !errors.Is(err, store.ErrNotFound):
					e.t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		e.same(int32(1), won.Load())
	}},
	{"Auth/StateTakenOnce", func(e *env) {
		e.must(e.st.PutState(e.ctx, "k", []byte("v"), time.Now().Add(time.Minute)))
		var wg sync.WaitGroup
		var won atomic.Int32
		for range 20 {
			wg.Go(func() {
				v, err := e.st.TakeState(e.ctx, "k", time.Now())
				switch {
				case err == nil:
					won.Add(1)
					if string(v) != "v" {
						e.t.Errorf("state %q", v)
					}
				case !errors.Is(err, store.ErrNotFound):
					e.t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		e.same(int32(1), won.Load())
	}},
}
