package servicetest

import (
	"errors"
	"sync"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

const writers = 50

var concurrencyTests = []test{
	{"Concurrency/SameEmail", func(e *env) {
		for _, acct := range []bool{false, true} {
			var wg sync.WaitGroup
			errs := make([]error, writers)
			for i := range writers {
				wg.Go(func() {
					_, errs[i] = e.customers.Create(e.ctx, customer.CreateParams{Email: "race@example.com", HasAccount: acct})
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, customer.ErrConflict) && errors.Is(err, store.ErrConflict):
				default:
					e.t.Fatalf("unexpected error: %v", err)
				}
			}
			if ok != 1 {
				e.t.Fatalf("has_account=%v: %d creates succeeded, want exactly 1", acct, ok)
			}
		}
		got, err := e.customers.List(e.ctx, customer.Filter{Emails: []string{"race@example.com"}}, store.ListOptions{})
		e.must(err)
		e.same(2, len(got))
	}},
	{"Concurrency/DefaultAddress", func(e *env) {
		ps := make([]address.CreateParams, writers)
		for i := range ps {
			ps[i] = address.CreateParams{Address1: "street"}
		}
		c := e.customer(customer.CreateParams{Addresses: ps})
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				_, errs[i] = e.addresses.Update(e.ctx, c.Addresses[i].ID, address.UpdateParams{IsDefaultShipping: ptr(true)})
			})
		}
		wg.Wait()
		winners := map[string]bool{}
		for i, err := range errs {
			switch {
			case err == nil:
				winners[c.Addresses[i].ID] = true
			case errors.Is(err, address.ErrConflict):
			default:
				e.t.Fatalf("unexpected error: %v", err)
			}
		}
		ship, _ := e.defaults(c.ID)
		if len(ship) != 1 || !winners[ship[0]] {
			e.t.Fatalf("defaults after the race: %v (successful calls: %d)", ship, len(winners))
		}
		// New default addresses created concurrently obey the same rule.
		errs = make([]error, writers)
		created := make([]string, writers)
		for i := range writers {
			wg.Go(func() {
				a, err := e.addresses.Create(e.ctx, address.CreateParams{CustomerID: c.ID, IsDefaultShipping: true, IsDefaultBilling: true})
				errs[i] = err
				if err == nil {
					created[i] = a.ID
				}
			})
		}
		wg.Wait()
		winners = map[string]bool{}
		for i, err := range errs {
			if err == nil {
				winners[created[i]] = true
			} else if !errors.Is(err, address.ErrConflict) {
				e.t.Fatalf("unexpected error: %v", err)
			}
		}
		ship, bill := e.defaults(c.ID)
		if len(ship) != 1 || len(bill) != 1 || !winners[ship[0]] || ship[0] != bill[0] {
			e.t.Fatalf("defaults after concurrent creates: ship %v bill %v", ship, bill)
		}
	}},
	{"Concurrency/AddToGroup", func(e *env) {
		c := e.customer(customer.CreateParams{})
		g := e.group("G")
		var wg sync.WaitGroup
		ids := make([]string, writers)
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				got, err := e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID})
				errs[i] = err
				if err == nil {
					ids[i] = got[0]
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			e.must(err)
		}
		ms, err := e.st.ListMemberships(e.ctx, nil, nil)
		e.must(err)
		if len(ms) != 1 {
			e.t.Fatalf("%d memberships after concurrent adds, want 1", len(ms))
		}
		for _, id := range ids {
			e.same(ms[0].ID, id)
		}
	}},
}
