package servicetest

import (
	"fmt"
	"slices"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// walkPages follows Next from the first page of list, then Prev from the
// last one, and checks that each way visits want once, in order, with the
// count of every page.
func walkPages[T any](e *env, name string, want []string, take int, opts store.ListOptions,
	list func(store.ListOptions) (*store.Page[T], error), id func(*T) string) {
	e.t.Helper()
	opts.Take = take
	var got []string
	var last *store.Page[T]
	for step := 0; step <= len(want)+1; step++ {
		p, err := list(opts)
		if err != nil {
			e.t.Fatalf("%s: %v", name, err)
		}
		if p.Count != (store.Count{N: len(want)}) {
			e.t.Errorf("%s: count %+v, want %d", name, p.Count, len(want))
		}
		if (p.Prev == "") != (step == 0) {
			e.t.Errorf("%s, page %d: prev %q", name, step, p.Prev)
		}
		for _, it := range p.Items {
			got = append(got, id(it))
		}
		last = p
		if p.Next == "" {
			break
		}
		opts.After = p.Next
	}
	if !slices.Equal(want, got) {
		e.t.Fatalf("%s, forward:\n got %v\nwant %v", name, got, want)
	}
	// Back from the last page: the rows before it, then its own.
	opts.After = ""
	back := idsOf(last.Items, id)
	for prev := last.Prev; prev != ""; {
		opts.Before = prev
		p, err := list(opts)
		if err != nil {
			e.t.Fatalf("%s: %v", name, err)
		}
		if len(p.Items) == 0 || p.Next == "" {
			e.t.Fatalf("%s: a page before has %d rows and next %q", name, len(p.Items), p.Next)
		}
		back = append(idsOf(p.Items, id), back...)
		prev = p.Prev
	}
	if !slices.Equal(want, back) {
		e.t.Errorf("%s, backward:\n got %v\nwant %v", name, back, want)
	}
}

func idsOf[T any](items []*T, id func(*T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

var pageBehaviour = []test{
	{"Page/Customers", func(e *env) {
		// Ties and NULLs in every sort key.
		var cs []*customer.Customer
		for i := range 7 {
			p := customer.CreateParams{LastName: []string{"Alpha", "", "Beta"}[i%3], HasAccount: i%2 == 0}
			if i%4 != 0 {
				p.Email = fmt.Sprintf("p%d@example.com", 7-i)
			}
			cs = append(cs, e.customer(p))
		}
		orders := [][]store.Order{
			nil,
			{store.Asc("email")},
			{store.Desc("email")},
			{store.Desc("last_name"), store.Asc("has_account")},
			{store.Asc("last_name"), store.Desc("created_at")},
			{store.Desc("id")},
		}
		for _, svc := range []*customer.Service{e.customers, newCustomers(e.t, plainStore{e.st})} {
			for _, order := range orders {
				all, err := svc.List(e.ctx, customer.Filter{}, store.ListOptions{Order: order})
				e.must(err)
				want := customerIDs(all)
				for take := 1; take <= 3; take++ {
					walkPages(e, fmt.Sprintf("order %v, take %d", order, take), want, take,
						store.ListOptions{Order: order, Relations: []string{customer.RelGroups}}, func(o store.ListOptions) (*store.Page[customer.Customer], error) {
							p, err := svc.ListPage(e.ctx, customer.Filter{}, o)
							if err == nil && len(p.Items) > 0 && p.Items[0].Groups == nil {
								e.t.Errorf("ListPage did not load the groups")
							}
							return p, err
						}, func(c *customer.Customer) string { return c.ID })
				}
			}
		}
		// A filter's pages, and a page that holds every row.
		p, err := e.customers.ListPage(e.ctx, customer.Filter{LastName: store.Eq("Alpha")}, store.ListOptions{Take: 10})
		e.must(err)
		e.same([]string{cs[0].ID, cs[3].ID, cs[6].ID}, customerIDs(p.Items))
		e.same(store.Count{N: 3}, p.Count)
		e.same("", p.Next+p.Prev)
		// Capped: the count stops at the cap and says so.
		p, err = e.customers.ListPage(e.ctx, customer.Filter{}, store.ListOptions{Take: 2, Count: store.CountCapped, CountCap: 4})
		e.must(err)
		e.same(store.Count{N: 4, Kind: store.CountCapped}, p.Count)
		e.same(customerIDs(cs[:2]), customerIDs(p.Items))
	}},
	{"Page/BadCursor", func(e *env) {
		a := e.customer(customer.CreateParams{Email: "a@example.com"})
		e.customer(customer.CreateParams{Email: "b@example.com"})
		p, err := e.customers.ListPage(e.ctx, customer.Filter{}, store.ListOptions{Take: 1, Order: []store.Order{store.Asc("email")}})
		e.must(err)
		e.same(customerIDs([]*customer.Customer{a}), customerIDs(p.Items))
		_, err = e.customers.ListPage(e.ctx, customer.Filter{}, store.ListOptions{Take: 1, After: p.Next})
		e.wantInvalid(err, "after", customer.ErrInvalid)
		e.wantMessage(err, "invalid after: the cursor was made for another order")
		_, _, err = e.customers.ListAndCount(e.ctx, customer.Filter{}, store.ListOptions{Before: "%%%"})
		e.wantInvalid(err, "before", customer.ErrInvalid)
		_, err = e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{Skip: 1, After: p.Next, Order: []store.Order{store.Asc("email")}})
		e.wantInvalid(err, "skip", customer.ErrInvalid)
		_, err = e.groups.ListPage(e.ctx, group.Filter{}, store.ListOptions{After: p.Next})
		e.wantInvalid(err, "after", group.ErrInvalid)
		_, err = e.addresses.ListPage(e.ctx, address.Filter{}, store.ListOptions{After: "x"})
		e.wantInvalid(err, "after", address.ErrInvalid)
	}},
	{"Page/GroupsAndAddresses", func(e *env) {
		var gs []string
		for _, name := range []string{"b", "a", "c", "a2", "b2"} {
			gs = append(gs, e.group(name).ID)
		}
		all, err := e.groups.List(e.ctx, group.Filter{}, store.ListOptions{Order: []store.Order{store.Desc("name")}})
		e.must(err)
		want := make([]string, len(all))
		for i, g := range all {
			want[i] = g.ID
		}
		walkPages(e, "groups by name desc", want, 2, store.ListOptions{Order: []store.Order{store.Desc("name")}},
			func(o store.ListOptions) (*store.Page[group.Group], error) {
				return e.groups.ListPage(e.ctx, group.Filter{}, o)
			},
			func(g *group.Group) string { return g.ID })
		walkPages(e, "groups by id", gs, 3, store.ListOptions{},
			func(o store.ListOptions) (*store.Page[group.Group], error) {
				return e.groups.ListPage(e.ctx, group.Filter{}, o)
			},
			func(g *group.Group) string { return g.ID })

		c := e.customer(customer.CreateParams{})
		var as []string
		for _, city := range []string{"Oslo", "", "Bergen", "Oslo"} {
			a, err := e.addresses.Create(e.ctx, address.CreateParams{CustomerID: c.ID, City: city})
			e.must(err)
			as = append(as, a.ID)
		}
		walkPages(e, "addresses by city", []string{as[2], as[0], as[3], as[1]}, 1, store.ListOptions{Order: []store.Order{store.Asc("city")}},
			func(o store.ListOptions) (*store.Page[address.Address], error) {
				return e.addresses.ListPage(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, o)
			},
			func(a *address.Address) string { return a.ID })

		var pairs []group.Pair
		for _, g := range gs {
			pairs = append(pairs, group.Pair{CustomerID: c.ID, GroupID: g})
		}
		ms, err := e.groups.Add(e.ctx, pairs...)
		e.must(err)
		slices.Sort(ms)
		walkPages(e, "memberships", ms, 2, store.ListOptions{},
			func(o store.ListOptions) (*store.Page[group.Membership], error) {
				return e.groups.ListPageMemberships(e.ctx, group.MembershipFilter{CustomerIDs: []string{c.ID}}, o)
			},
			func(m *group.Membership) string { return m.ID })

		// ListAndCount counts every match, whatever the cursor.
		first := group.Sortable.Cursor(nil, func(g *group.Group) string { return g.ID }, &group.Group{ID: gs[0]})
		for _, opts := range []store.ListOptions{{After: first}, {After: first, Take: 10}, {Before: first}} {
			list, n, err := e.groups.ListAndCount(e.ctx, group.Filter{}, opts)
			e.must(err)
			e.same(len(gs), n)
			if opts.Before == "" {
				e.same(gs[1:], groupIDs(list))
			}
			_, n, err = e.addresses.ListAndCount(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, store.ListOptions{After: address.Sortable.Cursor(nil, func(a *address.Address) string { return a.ID }, &address.Address{ID: as[0]})})
			e.must(err)
			e.same(len(as), n)
			_, n, err = e.groups.ListAndCountMemberships(e.ctx, group.MembershipFilter{CustomerIDs: []string{c.ID}}, store.ListOptions{After: group.MembershipSortable.Cursor(nil, func(m *group.Membership) string { return m.ID }, &group.Membership{ID: ms[0]})})
			e.must(err)
			e.same(len(ms), n)
		}
		for _, svc := range []*customer.Service{e.customers, newCustomers(e.t, plainStore{e.st})} {
			_, n, err := svc.ListAndCount(e.ctx, customer.Filter{}, store.ListOptions{After: customer.Sortable.Cursor(nil, func(c *customer.Customer) string { return c.ID }, c)})
			e.must(err)
			e.same(1, n)
		}
	}},
}
