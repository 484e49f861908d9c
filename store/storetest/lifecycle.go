package storetest

import (
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// lifecycleTests cover the store methods behind soft deletes and restores,
// membership lists and provider identity counts.
var lifecycleTests = []test{
	{"Group/FindAndCountMemberships", func(e *env) {
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{newCustomer("cus_1", ""), newCustomer("cus_2", "")}))
		e.must(e.st.InsertGroups(e.ctx, []*group.Group{newGroup("cusgroup_1", "A"), newGroup("cusgroup_2", "B")}))
		day := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		mk := func(id, c, g, by string, at time.Time) *group.Membership {
			m := newMembership(id, c, g)
			m.CreatedBy, m.CreatedAt, m.UpdatedAt = by, at, at
			return m
		}
		gone := mk("cusgc_5", "cus_2", "cusgroup_2", "", day.Add(4*time.Hour))
		gone.DeletedAt = ptr(day.Add(5 * time.Hour))
		e.must(e.st.InsertMemberships(e.ctx, []*group.Membership{
			mk("cusgc_3", "cus_1", "cusgroup_1", "user_1", day.Add(2*time.Hour)),
			// A duplicate of cusgc_3, as a Medusa database may hold.
			mk("cusgc_1", "cus_1", "cusgroup_1", "", day),
			mk("cusgc_2", "cus_2", "cusgroup_1", "user_2", day.Add(time.Hour)),
			mk("cusgc_4", "cus_1", "cusgroup_2", "user_1", day.Add(3*time.Hour)),
			gone,
		}))
		for _, tc := range []struct {
			name string
			f    group.MembershipFilter
			opts store.ListOptions
			want []string
		}{
			{"all live", group.MembershipFilter{}, store.ListOptions{}, []string{"cusgc_1", "cusgc_2", "cusgc_3", "cusgc_4"}},
			{"with deleted", group.MembershipFilter{}, store.ListOptions{WithDeleted: true}, []string{"cusgc_1", "cusgc_2", "cusgc_3", "cusgc_4", "cusgc_5"}},
			{"ids", group.MembershipFilter{IDs: []string{"cusgc_4", "cusgc_5", "cusgc_9"}}, store.ListOptions{}, []string{"cusgc_4"}},
			{"no ids", group.MembershipFilter{IDs: []string{}}, store.ListOptions{}, nil},
			{"customer", group.MembershipFilter{CustomerIDs: []string{"cus_1"}}, store.ListOptions{}, []string{"cusgc_1", "cusgc_3", "cusgc_4"}},
			{"group", group.MembershipFilter{GroupIDs: []string{"cusgroup_2"}}, store.ListOptions{WithDeleted: true}, []string{"cusgc_4", "cusgc_5"}},
			{"pair", group.MembershipFilter{CustomerIDs: []string{"cus_1"}, GroupIDs: []string{"cusgroup_1"}}, store.ListOptions{}, []string{"cusgc_1", "cusgc_3"}},
			{"no groups", group.MembershipFilter{GroupIDs: []string{}}, store.ListOptions{}, nil},
			{"created by", group.MembershipFilter{CreatedBy: store.Eq("user_1")}, store.ListOptions{}, []string{"cusgc_3", "cusgc_4"}},
			{"created by nobody", group.MembershipFilter{CreatedBy: store.IsNull()}, store.ListOptions{}, []string{"cusgc_1"}},
			{"created at", group.MembershipFilter{CreatedAt: store.TimeFilter{Gte: day.Add(time.Hour), Lt: day.Add(3 * time.Hour)}}, store.ListOptions{}, []string{"cusgc_2", "cusgc_3"}},
			{"updated at", group.MembershipFilter{UpdatedAt: store.TimeFilter{Gt: day.Add(2 * time.Hour)}}, store.ListOptions{WithDeleted: true}, []string{"cusgc_4", "cusgc_5"}},
			{"newest first, paged", group.MembershipFilter{}, store.ListOptions{Order: []store.Order{store.Desc("created_at")}, Skip: 1, Take: 2}, []string{"cusgc_3", "cusgc_2"}},
			{"by customer then id", group.MembershipFilter{}, store.ListOptions{Order: []store.Order{store.Desc("customer_id")}}, []string{"cusgc_2", "cusgc_1", "cusgc_3", "cusgc_4"}},
		} {
			got, err := e.st.FindMemberships(e.ctx, tc.f, tc.opts)
			e.must(err)
			if g := ids(got, membershipID); !equalIDs(tc.want, g) {
				e.t.Errorf("%s: got %v, want %v", tc.name, g, tc.want)
			}
			n, err := e.st.CountMemberships(e.ctx, tc.f, store.ListOptions{WithDeleted: tc.opts.WithDeleted, Skip: 1, Take: 1})
			e.must(err)
			if tc.opts.Take == 0 && n != len(tc.want) {
				e.t.Errorf("%s: count %d, want %d", tc.name, n, len(tc.want))
			}
		}
		got, err := e.st.FindMemberships(e.ctx, group.MembershipFilter{IDs: []string{"cusgc_3"}}, store.ListOptions{})
		e.must(err)
		want := mk("cusgc_3", "cus_1", "cusgroup_1", "user_1", day.Add(2*time.Hour))
		e.same([]*group.Membership{want}, got)
		_, err = e.st.FindMemberships(e.ctx, group.MembershipFilter{}, store.ListOptions{Order: []store.Order{store.Asc("metadata")}})
		e.wantInvalid(err, "order")
	}},
	{"Auth/CountProviderIdentities", func(e *env) {
		a := newIdentity("authid_a", newProvider("01A", "emailpass", "ada@example.com"), newProvider("01B", "github", "ada"))
		b := newIdentity("authid_b", newProvider("01C", "emailpass", "bob@example.com"))
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{a, b}))
		gone := newProvider("01B", "github", "ada")
		gone.AuthIdentityID, gone.DeletedAt = "authid_a", ptr(now())
		e.must(e.st.UpdateProviderIdentities(e.ctx, []*auth.ProviderIdentity{gone}))
		for _, tc := range []struct {
			f           auth.ProviderIdentityFilter
			withDeleted bool
			want        int
		}{
			{auth.ProviderIdentityFilter{}, false, 2},
			{auth.ProviderIdentityFilter{}, true, 3},
			{auth.ProviderIdentityFilter{AuthIdentityIDs: []string{"authid_a"}}, false, 1},
			{auth.ProviderIdentityFilter{AuthIdentityIDs: []string{"authid_a"}}, true, 2},
			{auth.ProviderIdentityFilter{Providers: []string{"emailpass"}}, false, 2},
			{auth.ProviderIdentityFilter{EntityIDs: []string{"bob@example.com", "nobody"}}, false, 1},
			{auth.ProviderIdentityFilter{EntityIDsFold: []string{"ada@example.com"}}, false, 1},
			{auth.ProviderIdentityFilter{IDs: []string{}}, true, 0},
		} {
			// Paging does not change a count.
			n, err := e.st.CountProviderIdentities(e.ctx, tc.f, store.ListOptions{WithDeleted: tc.withDeleted, Skip: 1, Take: 1})
			e.must(err)
			if n != tc.want {
				e.t.Errorf("count %+v (with deleted %v): %d, want %d", tc.f, tc.withDeleted, n, tc.want)
			}
		}
	}},
	{"Auth/IdentitiesWithDeletedProviders", func(e *env) {
		// A soft-deleted identity listed with deleted rows comes with its
		// soft-deleted provider identities; a live one without them.
		a := newIdentity("authid_a", newProvider("01A", "emailpass", "ada@example.com"), newProvider("01B", "github", "ada"))
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{a}))
		gone := newProvider("01B", "github", "ada")
		gone.AuthIdentityID, gone.DeletedAt = "authid_a", ptr(now())
		e.must(e.st.UpdateProviderIdentities(e.ctx, []*auth.ProviderIdentity{gone}))
		got, err := e.st.ListAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
		e.must(err)
		e.same([]string{"01A"}, ids(got[0].ProviderIdentities, providerID))
		got, err = e.st.ListAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same([]string{"01A", "01B"}, ids(got[0].ProviderIdentities, providerID))
		e.same(gone.DeletedAt, got[0].ProviderIdentities[1].DeletedAt)
	}},
	{"Auth/TakenIDs", func(e *env) {
		// Ids chosen by a caller collide as primary keys do, in one call
		// or across calls, and nothing of the failed call is kept.
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("my-id", newProvider("my-pid", "emailpass", "ada@example.com"))}))
		before := e.snapshot()
		e.wantErr(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("my-id")}), store.ErrConflict)
		e.wantErr(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("other", newProvider("my-pid", "emailpass", "bob@example.com"))}), store.ErrConflict)
		e.wantErr(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("other",
			newProvider("p1", "emailpass", "bob@example.com"), newProvider("p1", "github", "bob"))}), store.ErrConflict)
		extra := newProvider("my-pid", "github", "ada")
		extra.AuthIdentityID = "my-id"
		e.wantErr(e.st.InsertProviderIdentities(e.ctx, []*auth.ProviderIdentity{extra}), store.ErrConflict)
		e.unchanged(before)
	}},
	{"Order/Membership", func(e *env) {
		sortEntity[group.Membership]{
			declared: group.MembershipSortable,
			columns: []sortColumn[group.Membership]{
				idColumn[group.Membership](),
				textColumn("customer_id", "cus_", ranksText, func(m *group.Membership) *string { return &m.CustomerID }),
				textColumn("customer_group_id", "cusgroup_", ranksUnique, func(m *group.Membership) *string { return &m.GroupID }),
				textColumn("created_by", "user_", ranksNullText, func(m *group.Membership) *string { return &m.CreatedBy }),
				timeColumn("created_at", func(m *group.Membership) *time.Time { return &m.CreatedAt }),
				timeColumn("updated_at", func(m *group.Membership) *time.Time { return &m.UpdatedAt }),
				nullTimeColumn("deleted_at", func(m *group.Membership) **time.Time { return &m.DeletedAt }),
			},
			newRow: func(i int) *group.Membership { return &group.Membership{ID: "cusgc_sort" + string(rune('0'+i))} },
			id:     membershipID,
			insert: func(e *env, rows []*group.Membership) {
				t := now()
				cs := make([]*customer.Customer, sortRows)
				gs := make([]*group.Group, sortRows)
				for i := range cs {
					cs[i] = &customer.Customer{ID: "cus_" + sortText[i], CreatedAt: t, UpdatedAt: t}
					gs[i] = &group.Group{ID: "cusgroup_" + sortText[i], Name: sortText[i], CreatedAt: t, UpdatedAt: t}
				}
				e.must(e.st.InsertCustomers(e.ctx, cs))
				e.must(e.st.InsertGroups(e.ctx, gs))
				e.must(e.st.InsertMemberships(e.ctx, rows))
			},
			list: func(e *env, opts store.ListOptions) ([]*group.Membership, error) {
				return e.st.FindMemberships(e.ctx, group.MembershipFilter{}, opts)
			},
			count: func(e *env) (int, error) {
				return e.st.CountMemberships(e.ctx, group.MembershipFilter{}, store.ListOptions{WithDeleted: true})
			},
		}.run(e)
	}},
}

func equalIDs(want, got []string) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] != got[i] {
			return false
		}
	}
	return true
}
