package storetest

import (
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// filterWorld is the data the operator tests filter: customers, groups,
// memberships and addresses with known values and times.
type filterWorld struct {
	t0 time.Time
}

func (e *env) filterWorld() filterWorld {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	deleted := h(4)
	cs := []*customer.Customer{
		{ID: "cus_1", Email: "ann@example.com", FirstName: "Ann", LastName: "Lee", CompanyName: "Acme", Phone: "+4511",
			CreatedBy: "admin_1", CreatedAt: h(0), UpdatedAt: h(5)},
		// A legacy row of Medusa's, its email in mixed case.
		{ID: "cus_2", Email: "Bob@Example.COM", FirstName: "bob", CreatedAt: h(1), UpdatedAt: h(1)},
		{ID: "cus_3", Email: "carl@shop.org", FirstName: "Carl_%", LastName: "Lee", CompanyName: "Acme, Inc.",
			CreatedAt: h(2), UpdatedAt: h(2)},
		{ID: "cus_4", FirstName: "Ännchen", LastName: "Müller", CreatedAt: h(3), UpdatedAt: h(3), DeletedAt: &deleted},
	}
	e.must(e.st.InsertCustomers(e.ctx, cs))
	gone := h(1)
	gs := []*group.Group{
		{ID: "cusgroup_1", Name: "VIP", CreatedAt: h(0), UpdatedAt: h(0)},
		{ID: "cusgroup_2", Name: "Gold", CreatedAt: h(0), UpdatedAt: h(0), DeletedAt: &gone},
		{ID: "cusgroup_3", Name: "vip-2", CreatedAt: h(2), UpdatedAt: h(2)},
	}
	e.must(e.st.InsertGroups(e.ctx, gs))
	ms := []*group.Membership{
		newMembership("cusgc_1", "cus_1", "cusgroup_1"),
		newMembership("cusgc_2", "cus_2", "cusgroup_2"), // a live membership of a deleted group
		newMembership("cusgc_3", "cus_3", "cusgroup_3"),
		newMembership("cusgc_4", "cus_4", "cusgroup_3"), // a deleted customer's
	}
	ms[2].DeletedAt = &gone // a deleted membership
	e.must(e.st.InsertMemberships(e.ctx, ms))
	as := []*address.Address{
		{ID: "cuaddr_1", CustomerID: "cus_1", FirstName: "Ann", LastName: "Lee", Address1: "1 Main St", Address2: "Apt 2",
			Phone: "+4511", City: "Paris", CreatedAt: h(0), UpdatedAt: h(0)},
		{ID: "cuaddr_2", CustomerID: "cus_1", FirstName: "Bo", Address1: "2 High St", Phone: "+33 1", City: "Lyon",
			CreatedAt: h(1), UpdatedAt: h(1)},
		{ID: "cuaddr_3", CustomerID: "cus_1", FirstName: "Old", Address1: "3 Low Rd", CreatedAt: h(1), UpdatedAt: h(1), DeletedAt: &deleted},
	}
	e.must(e.st.InsertAddresses(e.ctx, as))
	return filterWorld{t0: t0}
}

func (w filterWorld) h(n int) time.Time { return w.t0.Add(time.Duration(n) * time.Hour) }

func sp(s string) *string { return &s }

var filterTests = []test{
	{"Filter/CustomerOperators", func(e *env) {
		w := e.filterWorld()
		all := store.ListOptions{WithDeleted: true}
		cases := []struct {
			name string
			f    customer.Filter
			opts store.ListOptions
			want []string
		}{
			{"id in", customer.Filter{ID: store.Eq("cus_1", "cus_3", "cus_9")}, store.ListOptions{}, []string{"cus_1", "cus_3"}},
			{"id not in", customer.Filter{ID: store.Ne("cus_1")}, store.ListOptions{}, []string{"cus_2", "cus_3"}},
			{"id like: _ is any one character", customer.Filter{ID: store.Like("cus_1")}, store.ListOptions{}, []string{"cus_1"}},
			{"id like prefix", customer.Filter{ID: store.Like("cus%")}, store.ListOptions{}, []string{"cus_1", "cus_2", "cus_3"}},
			{"id ilike", customer.Filter{ID: store.ILike("CUS_3")}, store.ListOptions{}, []string{"cus_3"}},
			{"id gt", customer.Filter{ID: store.StringFilter{Gt: sp("cus_1")}}, store.ListOptions{}, []string{"cus_2", "cus_3"}},
			{"id gte lte", customer.Filter{ID: store.StringFilter{Gte: sp("cus_2"), Lte: sp("cus_2")}}, store.ListOptions{}, []string{"cus_2"}},
			{"id lt", customer.Filter{ID: store.StringFilter{Lt: sp("cus_2")}}, store.ListOptions{}, []string{"cus_1"}},
			{"ids and id both apply", customer.Filter{IDs: []string{"cus_1", "cus_2"}, ID: store.Ne("cus_1")}, store.ListOptions{}, []string{"cus_2"}},
			{"email in folds case", customer.Filter{Email: store.Eq("BOB@example.com")}, store.ListOptions{}, []string{"cus_2"}},
			{"email not in", customer.Filter{Email: store.Ne("ANN@example.com")}, store.ListOptions{}, []string{"cus_2", "cus_3"}},
			{"email like folds case", customer.Filter{Email: store.Like("%@EXAMPLE.com")}, store.ListOptions{}, []string{"cus_1", "cus_2"}},
			{"email ilike", customer.Filter{Email: store.ILike("%shop%")}, store.ListOptions{}, []string{"cus_3"}},
			{"email gt folds case", customer.Filter{Email: store.StringFilter{Gt: sp("B")}}, store.ListOptions{}, []string{"cus_2", "cus_3"}},
			{"email null", customer.Filter{Email: store.IsNull()}, all, []string{"cus_4"}},
			{"first name like escapes", customer.Filter{FirstName: store.Like(`Carl\_\%`)}, store.ListOptions{}, []string{"cus_3"}},
			{"first name like escaped underscore is literal", customer.Filter{FirstName: store.Like(`Car\_%`)}, store.ListOptions{}, nil},
			{"first name like is case-sensitive", customer.Filter{FirstName: store.Like("carl%")}, store.ListOptions{}, nil},
			{"first name ilike", customer.Filter{FirstName: store.ILike("CARL%")}, store.ListOptions{}, []string{"cus_3"}},
			{"first name like one character", customer.Filter{FirstName: store.Like("_ob")}, store.ListOptions{}, []string{"cus_2"}},
			{"first name ilike folds non-ASCII", customer.Filter{FirstName: store.ILike("änn%")}, all, []string{"cus_4"}},
			{"first name like whole value", customer.Filter{FirstName: store.Like("Ann")}, store.ListOptions{}, []string{"cus_1"}},
			{"first name like and ilike", customer.Filter{FirstName: store.StringFilter{Like: sp("%n"), ILike: sp("a%")}}, store.ListOptions{}, []string{"cus_1"}},
			{"last name ne never matches null", customer.Filter{LastName: store.Ne("Lee")}, store.ListOptions{}, nil},
			{"last name ne with deleted", customer.Filter{LastName: store.Ne("Lee")}, all, []string{"cus_4"}},
			{"last name ne empty is not empty", customer.Filter{LastName: store.Ne("")}, store.ListOptions{}, []string{"cus_1", "cus_3"}},
			{"last name null", customer.Filter{LastName: store.IsNull()}, store.ListOptions{}, []string{"cus_2"}},
			{"last name null and ne match nothing", customer.Filter{LastName: store.StringFilter{Null: true, NotIn: []string{"x"}}}, store.ListOptions{}, nil},
			{"last name in and ne", customer.Filter{LastName: store.StringFilter{In: []string{"Lee", "Müller"}, NotIn: []string{"Müller"}}}, all, []string{"cus_1", "cus_3"}},
			{"last name lt never matches null", customer.Filter{LastName: store.StringFilter{Lt: sp("M")}}, store.ListOptions{}, []string{"cus_1", "cus_3"}},
			{"bounds in byte order", customer.Filter{LastName: store.StringFilter{Gt: sp("Lz")}}, all, []string{"cus_4"}},
			{"company with a comma", customer.Filter{CompanyName: store.Eq("Acme, Inc.")}, store.ListOptions{}, []string{"cus_3"}},
			{"phone like", customer.Filter{Phone: store.Like("+45%")}, store.ListOptions{}, []string{"cus_1"}},
			{"created by", customer.Filter{CreatedBy: store.Eq("admin_1")}, store.ListOptions{}, []string{"cus_1"}},
			{"created at in", customer.Filter{CreatedAt: store.TimeFilter{In: []time.Time{w.h(1), w.h(9)}}}, store.ListOptions{}, []string{"cus_2"}},
			{"created at in, microseconds", customer.Filter{CreatedAt: store.TimeFilter{In: []time.Time{w.h(1).Add(500)}}}, store.ListOptions{}, []string{"cus_2"}},
			{"created at in empty", customer.Filter{CreatedAt: store.TimeFilter{In: []time.Time{}}}, store.ListOptions{}, nil},
			{"created at not in", customer.Filter{CreatedAt: store.TimeFilter{NotIn: []time.Time{w.h(0), w.h(2)}}}, store.ListOptions{}, []string{"cus_2"}},
			{"created at range", customer.Filter{CreatedAt: store.TimeFilter{Gte: w.h(1), Lt: w.h(2)}}, store.ListOptions{}, []string{"cus_2"}},
			{"created at gt lte", customer.Filter{CreatedAt: store.TimeFilter{Gt: w.h(0), Lte: w.h(2)}}, store.ListOptions{}, []string{"cus_2", "cus_3"}},
			{"pattern and time lists", customer.Filter{FirstName: store.Like("%"), CreatedAt: store.TimeFilter{In: []time.Time{w.h(1), w.h(2)}, NotIn: []time.Time{w.h(2)}}},
				store.ListOptions{}, []string{"cus_2"}},
			{"updated at", customer.Filter{UpdatedAt: store.TimeFilter{Gte: w.h(5)}}, store.ListOptions{}, []string{"cus_1"}},
			{"deleted at lists deleted customers", customer.Filter{DeletedAt: store.TimeFilter{Gt: w.t0}}, store.ListOptions{}, []string{"cus_4"}},
			{"deleted at in", customer.Filter{DeletedAt: store.TimeFilter{In: []time.Time{w.h(4)}}}, store.ListOptions{}, []string{"cus_4"}},
			{"deleted at never matches live ones", customer.Filter{DeletedAt: store.TimeFilter{NotIn: []time.Time{w.h(4)}}}, store.ListOptions{}, nil},
			{"deleted at in or", customer.Filter{Or: []customer.Filter{{DeletedAt: store.TimeFilter{Lt: w.h(9)}}, {FirstName: store.Eq("Ann")}}},
				store.ListOptions{}, []string{"cus_1", "cus_4"}},
			{"group name", customer.Filter{Groups: &customer.GroupFilter{Name: store.Eq("VIP")}}, store.ListOptions{}, []string{"cus_1"}},
			{"group name ilike: deleted memberships do not count", customer.Filter{Groups: &customer.GroupFilter{Name: store.ILike("vip%")}}, all, []string{"cus_1", "cus_4"}},
			{"group id", customer.Filter{Groups: &customer.GroupFilter{ID: store.Eq("cusgroup_3")}}, all, []string{"cus_4"}},
			{"deleted groups do not match", customer.Filter{Groups: &customer.GroupFilter{Name: store.Eq("Gold")}}, store.ListOptions{}, nil},
			{"unless deleted_at filters them", customer.Filter{Groups: &customer.GroupFilter{Name: store.Eq("Gold"), DeletedAt: store.TimeFilter{Gt: w.t0}}},
				store.ListOptions{}, []string{"cus_2"}},
			{"group created at", customer.Filter{Groups: &customer.GroupFilter{CreatedAt: store.TimeFilter{Gte: w.h(1)}}}, all, []string{"cus_4"}},
			{"any live group", customer.Filter{Groups: &customer.GroupFilter{}}, all, []string{"cus_1", "cus_4"}},
			{"group ids count deleted groups", customer.Filter{GroupIDs: []string{"cusgroup_2"}}, store.ListOptions{}, []string{"cus_2"}},
			{"or", customer.Filter{Or: []customer.Filter{{FirstName: store.Eq("Ann")}, {Email: store.Eq("carl@shop.org")}}}, store.ListOptions{}, []string{"cus_1", "cus_3"}},
			{"or empty matches nothing", customer.Filter{Or: []customer.Filter{}}, store.ListOptions{}, nil},
			{"or of empty filter matches all", customer.Filter{Or: []customer.Filter{{}}}, store.ListOptions{}, []string{"cus_1", "cus_2", "cus_3"}},
			{"and", customer.Filter{And: []customer.Filter{{LastName: store.Eq("Lee")}, {ID: store.Ne("cus_1")}}}, store.ListOptions{}, []string{"cus_3"}},
			{"nested", customer.Filter{And: []customer.Filter{
				{Or: []customer.Filter{{ID: store.Eq("cus_1")}, {ID: store.Eq("cus_2")}}},
				{Or: []customer.Filter{{ID: store.Eq("cus_2")}, {Groups: &customer.GroupFilter{Name: store.Eq("VIP")}}}},
			}}, store.ListOptions{}, []string{"cus_1", "cus_2"}},
			{"or with q", customer.Filter{Q: "lee", Or: []customer.Filter{{FirstName: store.Eq("Ann")}, {FirstName: store.Eq("bob")}}}, store.ListOptions{}, []string{"cus_1"}},
			{"and with top level", customer.Filter{HasAccount: ptr(false), And: []customer.Filter{{Email: store.ILike("%example%")}}}, store.ListOptions{}, []string{"cus_1", "cus_2"}},
		}
		for _, tc := range cases {
			got, err := e.st.ListCustomers(e.ctx, tc.f, tc.opts)
			e.must(err)
			if diff := diffStrings(tc.want, ids(got, customerID)); diff != "" {
				e.t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
			}
			n, err := e.st.CountCustomers(e.ctx, tc.f, tc.opts)
			e.must(err)
			if n != len(tc.want) {
				e.t.Errorf("%s: count %d, want %d", tc.name, n, len(tc.want))
			}
			if lc, ok := e.st.(customer.ListCounter); ok {
				page, n, err := lc.ListAndCountCustomers(e.ctx, tc.f, store.ListOptions{WithDeleted: tc.opts.WithDeleted, Take: 1})
				e.must(err)
				if n != len(tc.want) || len(page) != min(1, len(tc.want)) {
					e.t.Errorf("%s: ListAndCount %d rows, count %d, want count %d", tc.name, len(page), n, len(tc.want))
				}
			}
		}
	}},
	{"Filter/GroupOperators", func(e *env) {
		w := e.filterWorld()
		all := store.ListOptions{WithDeleted: true}
		cases := []struct {
			name string
			f    group.Filter
			opts store.ListOptions
			want []string
		}{
			{"name ilike", group.Filter{Name: store.ILike("vip%")}, store.ListOptions{}, []string{"cusgroup_1", "cusgroup_3"}},
			{"name like", group.Filter{Name: store.Like("VIP")}, store.ListOptions{}, []string{"cusgroup_1"}},
			{"names and name", group.Filter{Names: []string{"VIP"}, Name: store.Ne("VIP")}, store.ListOptions{}, nil},
			{"name lt", group.Filter{Name: store.StringFilter{Lt: sp("a")}}, all, []string{"cusgroup_1", "cusgroup_2"}},
			{"member email", group.Filter{Customers: &group.CustomerFilter{Email: store.ILike("%EXAMPLE%")}}, store.ListOptions{}, []string{"cusgroup_1"}},
			{"member email, with deleted groups", group.Filter{Customers: &group.CustomerFilter{Email: store.Like("%example%")}}, all, []string{"cusgroup_1", "cusgroup_2"}},
			{"member email in folds case", group.Filter{Customers: &group.CustomerFilter{Email: store.Eq("bob@example.com")}}, all, []string{"cusgroup_2"}},
			{"deleted memberships do not count", group.Filter{Customers: &group.CustomerFilter{FirstName: store.Eq("Carl_%")}}, store.ListOptions{}, nil},
			{"deleted members do not count", group.Filter{Customers: &group.CustomerFilter{ID: store.Eq("cus_4")}}, store.ListOptions{}, nil},
			{"unless deleted_at filters them", group.Filter{Customers: &group.CustomerFilter{DeletedAt: store.TimeFilter{Gt: w.t0}}}, store.ListOptions{}, []string{"cusgroup_3"}},
			{"member names and times", group.Filter{Customers: &group.CustomerFilter{LastName: store.Eq("Lee"), CompanyName: store.Like("Acme%"),
				CreatedBy: store.Eq("admin_1"), CreatedAt: store.TimeFilter{Lt: w.h(1)}, UpdatedAt: store.TimeFilter{Gte: w.h(5)}}}, store.ListOptions{}, []string{"cusgroup_1"}},
			{"deleted at", group.Filter{DeletedAt: store.TimeFilter{Gt: w.t0}}, store.ListOptions{}, []string{"cusgroup_2"}},
			{"created at in", group.Filter{CreatedAt: store.TimeFilter{In: []time.Time{w.h(2)}}}, store.ListOptions{}, []string{"cusgroup_3"}},
			{"or", group.Filter{Or: []group.Filter{{Name: store.Eq("VIP")}, {Name: store.Eq("vip-2")}}}, store.ListOptions{}, []string{"cusgroup_1", "cusgroup_3"}},
			{"and", group.Filter{And: []group.Filter{{Name: store.ILike("%vip%")}, {CreatedAt: store.TimeFilter{Gt: w.t0}}}}, store.ListOptions{}, []string{"cusgroup_3"}},
			{"or empty", group.Filter{Or: []group.Filter{}}, store.ListOptions{}, nil},
		}
		for _, tc := range cases {
			got, err := e.st.ListGroups(e.ctx, tc.f, tc.opts)
			e.must(err)
			if diff := diffStrings(tc.want, ids(got, groupID)); diff != "" {
				e.t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
			}
			n, err := e.st.CountGroups(e.ctx, tc.f, tc.opts)
			e.must(err)
			if n != len(tc.want) {
				e.t.Errorf("%s: count %d, want %d", tc.name, n, len(tc.want))
			}
		}
	}},
	{"Filter/AddressOperators", func(e *env) {
		w := e.filterWorld()
		cases := []struct {
			name string
			f    address.Filter
			want []string
		}{
			{"first name", address.Filter{FirstName: store.Eq("Ann")}, []string{"cuaddr_1"}},
			{"last name null", address.Filter{LastName: store.IsNull()}, []string{"cuaddr_2"}},
			{"last name ilike", address.Filter{LastName: store.ILike("l%")}, []string{"cuaddr_1"}},
			{"address 1 like", address.Filter{Address1: store.Like("%Main%")}, []string{"cuaddr_1"}},
			{"address 1 ilike", address.Filter{Address1: store.ILike("%st")}, []string{"cuaddr_1", "cuaddr_2"}},
			{"address 2 ne never matches null", address.Filter{Address2: store.Ne("Apt 2")}, nil},
			{"address 2 in", address.Filter{Address2: store.Eq("Apt 2")}, []string{"cuaddr_1"}},
			{"phone like", address.Filter{Phone: store.Like("+45%")}, []string{"cuaddr_1"}},
			{"phone gte", address.Filter{Phone: store.StringFilter{Gte: sp("+4")}}, []string{"cuaddr_1"}},
			{"city ne", address.Filter{City: store.Ne("Paris")}, []string{"cuaddr_2"}},
			{"deleted at", address.Filter{DeletedAt: store.TimeFilter{Gt: w.t0}}, []string{"cuaddr_3"}},
			{"or", address.Filter{Or: []address.Filter{{City: store.Eq("Lyon")}, {Address2: store.Eq("Apt 2")}}}, []string{"cuaddr_1", "cuaddr_2"}},
			{"and", address.Filter{And: []address.Filter{{Address1: store.Like("%St")}, {FirstName: store.Ne("Bo")}}}, []string{"cuaddr_1"}},
			{"with customer ids", address.Filter{CustomerIDs: []string{"cus_1"}, Or: []address.Filter{{Phone: store.IsNull()}, {Phone: store.Like("+33%")}}}, []string{"cuaddr_2"}},
		}
		for _, tc := range cases {
			got, err := e.st.ListAddresses(e.ctx, tc.f, store.ListOptions{})
			e.must(err)
			if diff := diffStrings(tc.want, ids(got, addressID)); diff != "" {
				e.t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
			}
			n, err := e.st.CountAddresses(e.ctx, tc.f, store.ListOptions{})
			e.must(err)
			if n != len(tc.want) {
				e.t.Errorf("%s: count %d, want %d", tc.name, n, len(tc.want))
			}
		}
	}},
}

// diffStrings compares id lists, nil and empty alike.
func diffStrings(want, got []string) string {
	if len(want) == 0 && len(got) == 0 {
		return ""
	}
	return cmp.Diff(want, got)
}
