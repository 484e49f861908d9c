package servicetest

import (
	"strings"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

func groupIDs(gs []*group.Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}

var groupTests = []test{
	{"Group/CreateAndRetrieve", func(e *env) {
		g, err := e.groups.Create(e.ctx, group.CreateParams{Name: "VIP", Metadata: map[string]any{"tier": 1}, CreatedBy: "admin"})
		e.must(err)
		if !strings.HasPrefix(g.ID, "cusgroup_") {
			e.t.Fatalf("id %q", g.ID)
		}
		got, err := e.groups.Retrieve(e.ctx, g.ID, store.FindOptions{})
		e.must(err)
		e.same(g, got)
		e.same(map[string]any{"tier": 1.0}, got.Metadata)
		gs, err := e.groups.CreateMany(e.ctx, []group.CreateParams{{Name: "A"}, {Name: "B"}})
		e.must(err)
		e.same([]string{"A", "B"}, names(gs))
		_, err = e.groups.Retrieve(e.ctx, "cusgroup_missing", store.FindOptions{})
		e.wantNotFound(err, group.ErrNotFound, "cusgroup_missing")
		e.wantMessage(err, "CustomerGroup with id: cusgroup_missing was not found")
	}},
	{"Group/BadInput", func(e *env) {
		e.group("vip-customers")
		before := e.snapshot()
		_, err := e.groups.Create(e.ctx, group.CreateParams{Name: "vip-customers"})
		e.wantErr(err, group.ErrConflict, store.ErrConflict)
		e.wantMessage(err, "Customer group with name: vip-customers, already exists.")
		_, err = e.groups.Create(e.ctx, group.CreateParams{Name: "  "})
		e.wantInvalid(err, "name", group.ErrInvalid)
		_, err = e.groups.CreateMany(e.ctx, []group.CreateParams{{Name: "new"}, {Name: "new"}})
		e.wantErr(err, group.ErrConflict)
		_, err = e.groups.CreateMany(e.ctx, []group.CreateParams{{Name: "new"}, {Name: "vip-customers"}})
		e.wantErr(err, group.ErrConflict)
		_, err = e.groups.CreateMany(e.ctx, []group.CreateParams{{Name: "new"}, {Name: "x", Metadata: map[string]any{"f": func() {}}}})
		e.wantInvalid(err, "[1].metadata", group.ErrInvalid)
		e.unchanged(before)
		// Names are case-sensitive, as in Medusa.
		e.group("VIP-customers")
	}},
	{"Group/Update", func(e *env) {
		g, err := e.groups.Create(e.ctx, group.CreateParams{Name: "vip-customers", Metadata: map[string]any{"data1": "value1"}})
		e.must(err)
		other := e.group("regular")
		got, err := e.groups.Update(e.ctx, g.ID, group.UpdateParams{Name: ptr("vip-customers-v2"), Metadata: map[string]any{"metaKey1": "metaValue1"}})
		e.must(err)
		e.same("vip-customers-v2", got.Name)
		e.same(map[string]any{"data1": "value1", "metaKey1": "metaValue1"}, got.Metadata)
		got, err = e.groups.Update(e.ctx, g.ID, group.UpdateParams{Metadata: map[string]any{"data1": nil, "metaKey1": "", "data2": "val2"}})
		e.must(err)
		e.same(map[string]any{"data1": nil, "data2": "val2"}, got.Metadata)
		before := e.snapshot()
		_, err = e.groups.Update(e.ctx, g.ID, group.UpdateParams{Name: ptr("regular")})
		e.wantErr(err, group.ErrConflict)
		_, err = e.groups.UpdateMany(e.ctx, []string{g.ID, other.ID}, group.UpdateParams{Name: ptr("same")})
		e.wantErr(err, group.ErrConflict)
		_, err = e.groups.Update(e.ctx, g.ID, group.UpdateParams{Name: ptr("")})
		e.wantInvalid(err, "name", group.ErrInvalid)
		_, err = e.groups.UpdateMany(e.ctx, []string{g.ID, "cusgroup_x"}, group.UpdateParams{Metadata: map[string]any{"a": "b"}})
		e.wantNotFound(err, group.ErrNotFound, "cusgroup_x")
		e.unchanged(before)
		// Renaming a group to its own name is not a conflict.
		_, err = e.groups.Update(e.ctx, g.ID, group.UpdateParams{Name: ptr("vip-customers-v2")})
		e.must(err)
		gs, err := e.groups.UpdateWhere(e.ctx, group.Filter{Names: []string{"regular"}}, group.UpdateParams{Metadata: map[string]any{"x": "y"}})
		e.must(err)
		e.same([]string{other.ID}, groupIDs(gs))
	}},
	{"Group/ListAndSearch", func(e *env) {
		first, second, third := e.group("First group"), e.group("Second group"), e.group("VIP")
		c := e.customer(customer.CreateParams{})
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: third.ID}, group.Pair{CustomerID: c.ID, GroupID: first.ID})
		e.must(err)
		cases := []struct {
			name string
			f    group.Filter
			want []*group.Group
		}{
			{"all", group.Filter{}, []*group.Group{first, second, third}},
			{"q", group.Filter{Q: "fir"}, []*group.Group{first}},
			{"q words", group.Filter{Q: "GROUP sec"}, []*group.Group{second}},
			{"names", group.Filter{Names: []string{"VIP", "Second group"}}, []*group.Group{second, third}},
			{"customer's groups", group.Filter{CustomerIDs: []string{c.ID}}, []*group.Group{first, third}},
			{"ids", group.Filter{IDs: []string{third.ID}}, []*group.Group{third}},
		}
		for _, tc := range cases {
			got, n, err := e.groups.ListAndCount(e.ctx, tc.f, store.ListOptions{})
			e.must(err)
			if strings.Join(groupIDs(got), ",") != strings.Join(groupIDs(tc.want), ",") || n != len(tc.want) {
				e.t.Errorf("%s: got %v, want %v", tc.name, names(got), names(tc.want))
			}
		}
		got, n, err := e.groups.ListAndCount(e.ctx, group.Filter{}, store.ListOptions{Order: []store.Order{store.Desc("name")}, Take: 2})
		e.must(err)
		e.same(3, n)
		e.same([]string{"VIP", "Second group"}, names(got))
		_, err = e.groups.List(e.ctx, group.Filter{}, store.ListOptions{Order: []store.Order{store.Asc("customers")}})
		e.wantInvalid(err, "order", group.ErrInvalid)
	}},
	{"Group/Membership", func(e *env) {
		john := e.customer(customer.CreateParams{FirstName: "John"})
		jane := e.customer(customer.CreateParams{FirstName: "Jane"})
		vip, reg := e.group("VIP"), e.group("Regular")
		ids, err := e.groups.Add(e.ctx, group.Pair{CustomerID: john.ID, GroupID: vip.ID})
		e.must(err)
		if len(ids) != 1 || !strings.HasPrefix(ids[0], "cusgc_") {
			e.t.Fatalf("membership ids %v", ids)
		}
		again, err := e.groups.Add(e.ctx, group.Pair{CustomerID: john.ID, GroupID: vip.ID}, group.Pair{CustomerID: jane.ID, GroupID: reg.ID}, group.Pair{CustomerID: jane.ID, GroupID: reg.ID})
		e.must(err)
		e.same(ids[0], again[0])
		e.same(again[1], again[2])
		ms, err := e.st.ListMemberships(e.ctx, nil, nil)
		e.must(err)
		e.same(2, len(ms))
		members, err := e.customers.List(e.ctx, customer.Filter{GroupIDs: []string{vip.ID}}, store.ListOptions{})
		e.must(err)
		e.same([]string{john.ID}, customerIDs(members))
		got, err := e.customers.Retrieve(e.ctx, john.ID, store.FindOptions{Relations: []string{"groups"}})
		e.must(err)
		e.same([]string{vip.ID}, groupIDs(got.Groups))

		before := e.snapshot()
		_, err = e.groups.Add(e.ctx, group.Pair{CustomerID: jane.ID, GroupID: vip.ID}, group.Pair{CustomerID: john.ID, GroupID: "does-not-exist"})
		e.wantNotFound(err, group.ErrNotFound, "does-not-exist")
		_, err = e.groups.Add(e.ctx, group.Pair{CustomerID: "cus_nobody", GroupID: vip.ID})
		e.wantNotFound(err, group.ErrNotFound, "cus_nobody")
		_, err = e.groups.Add(e.ctx, group.Pair{CustomerID: "", GroupID: vip.ID})
		e.wantErr(err, group.ErrInvalid)
		e.unchanged(before)

		e.must(e.groups.Remove(e.ctx, group.Pair{CustomerID: john.ID, GroupID: vip.ID}, group.Pair{CustomerID: john.ID, GroupID: reg.ID}))
		got, err = e.customers.Retrieve(e.ctx, john.ID, store.FindOptions{Relations: []string{"groups"}})
		e.must(err)
		e.same(0, len(got.Groups))
		e.must(e.groups.Remove(e.ctx, group.Pair{CustomerID: john.ID, GroupID: vip.ID}))
		theirs, err := e.groups.List(e.ctx, group.Filter{CustomerIDs: []string{jane.ID}}, store.ListOptions{})
		e.must(err)
		e.same([]string{reg.ID}, groupIDs(theirs))
	}},
	{"Group/LegacyDuplicateMemberships", func(e *env) {
		c := e.customer(customer.CreateParams{})
		g := e.group("VIP")
		// A Medusa database may hold the same membership twice.
		t := now()
		e.must(e.st.InsertMemberships(e.ctx, []*group.Membership{
			{ID: "cusgc_01", CustomerID: c.ID, GroupID: g.ID, CreatedAt: t, UpdatedAt: t},
			{ID: "cusgc_02", CustomerID: c.ID, GroupID: g.ID, CreatedAt: t, UpdatedAt: t},
		}))
		got, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{Relations: []string{"groups"}})
		e.must(err)
		e.same([]string{g.ID}, groupIDs(got.Groups))
		members, n, err := e.customers.ListAndCount(e.ctx, customer.Filter{GroupIDs: []string{g.ID}}, store.ListOptions{Take: 10})
		e.must(err)
		e.same(1, n)
		e.same([]string{c.ID}, customerIDs(members))
		ids, err := e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID})
		e.must(err)
		e.same([]string{"cusgc_01"}, ids)
		e.must(e.groups.Remove(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID}))
		ms, err := e.st.ListMemberships(e.ctx, nil, nil)
		e.must(err)
		e.same(0, len(ms))
	}},
	{"Group/DeleteCascadesMemberships", func(e *env) {
		c := e.customer(customer.CreateParams{})
		vip, regular, keep := e.group("VIP"), e.group("Regular"), e.group("Keep")
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: vip.ID}, group.Pair{CustomerID: c.ID, GroupID: keep.ID})
		e.must(err)
		e.must(e.groups.Delete(e.ctx, vip.ID, "cusgroup_unknown"))
		_, err = e.groups.Retrieve(e.ctx, vip.ID, store.FindOptions{WithDeleted: true})
		e.wantNotFound(err, group.ErrNotFound, vip.ID)
		ms, err := e.st.ListMemberships(e.ctx, []string{c.ID}, []string{vip.ID})
		e.must(err)
		e.same(0, len(ms))
		e.must(e.groups.DeleteWhere(e.ctx, group.Filter{Names: []string{"Regular"}}))
		left, err := e.groups.List(e.ctx, group.Filter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same([]string{keep.ID}, groupIDs(left))
		_ = regular
		got, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{Relations: []string{"groups"}})
		e.must(err)
		e.same([]string{keep.ID}, groupIDs(got.Groups))
	}},
	{"Group/SoftDeleteAndRestore", func(e *env) {
		c := e.customer(customer.CreateParams{})
		g, h := e.group("VIP"), e.group("Other")
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID})
		e.must(err)
		changed, err := e.groups.SoftDelete(e.ctx, g.ID, h.ID, "cusgroup_unknown")
		e.must(err)
		e.same([]string{g.ID, h.ID}, changed)
		list, err := e.groups.List(e.ctx, group.Filter{}, store.ListOptions{})
		e.must(err)
		e.same(0, len(list))
		got, err := e.groups.Retrieve(e.ctx, g.ID, store.FindOptions{WithDeleted: true})
		e.must(err)
		if got.DeletedAt == nil {
			e.t.Fatal("deleted_at not set")
		}
		withGroups, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{Relations: []string{"groups"}})
		e.must(err)
		e.same(0, len(withGroups.Groups))
		// As in Medusa, a soft-deleted group still filters customers.
		members, err := e.customers.List(e.ctx, customer.Filter{GroupIDs: []string{g.ID}}, store.ListOptions{})
		e.must(err)
		e.same(1, len(members))
		// Its name is free again.
		reused := e.group("VIP")
		before := e.snapshot()
		_, err = e.groups.Restore(e.ctx, g.ID)
		e.wantErr(err, group.ErrConflict)
		e.unchanged(before)
		e.must(e.groups.Delete(e.ctx, reused.ID))
		changed, err = e.groups.Restore(e.ctx, g.ID, h.ID)
		e.must(err)
		e.same([]string{g.ID, h.ID}, changed)
		withGroups, err = e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{Relations: []string{"groups"}})
		e.must(err)
		e.same([]string{g.ID}, groupIDs(withGroups.Groups))
		changed, err = e.groups.Restore(e.ctx, g.ID)
		e.must(err)
		e.same(0, len(changed))
	}},
}
