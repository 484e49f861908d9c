package servicetest

import (
	"context"
	"errors"
	"sync"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

const writers = 50

// wins runs f(0) … f(n-1) at once and returns how many succeeded. A call
// that fails must fail with an error matching every one of losers (the
// answer of a call that lost the race); any other error fails the test.
func (e *env) wins(n int, f func(i int) error, losers ...error) int {
	e.t.Helper()
	ok := 0
	for _, err := range raceN(n, f) {
		if err == nil {
			ok++
			continue
		}
		for _, l := range losers {
			if !errors.Is(err, l) {
				e.t.Fatalf("unexpected error: %v", err)
			}
		}
	}
	return ok
}

var concurrencyTests = []test{
	{"Concurrency/SameEmail", func(e *env) {
		for _, acct := range []bool{false, true} {
			ok := e.wins(writers, func(int) error {
				_, err := e.customers.Create(e.ctx, customer.CreateParams{Email: "race@example.com", HasAccount: acct})
				return err
			}, customer.ErrConflict, store.ErrConflict)
			if ok != 1 {
				e.t.Fatalf("has_account=%v: %d creates succeeded, want exactly 1", acct, ok)
			}
		}
		got, err := e.customers.List(e.ctx, customer.Filter{Emails: []string{"race@example.com"}}, store.ListOptions{})
		e.must(err)
		e.same(2, len(got))
	}},
	{"Concurrency/DefaultAddress", func(e *env) {
		// address/doc.go: concurrent calls that each make a different
		// address the default all succeed, one after another, and the
		// customer ends with exactly one default: the one written last.
		ps := make([]address.CreateParams, writers)
		for i := range ps {
			ps[i] = address.CreateParams{Address1: "street"}
		}
		c := e.customer(customer.CreateParams{Addresses: ps})
		rec := &defaultWrites{Store: e.st}
		svc := newAddresses(e.t, rec)
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				_, errs[i] = svc.Update(e.ctx, c.Addresses[i].ID, address.UpdateParams{IsDefaultShipping: ptr(true)})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				e.t.Fatalf("update %d of %d concurrent default changes failed: %v", i, writers, err)
			}
		}
		ship, bill := e.defaults(c.ID)
		order := rec.order()
		if len(order) != writers {
			e.t.Fatalf("%d default writes, want %d", len(order), writers)
		}
		if len(ship) != 1 || ship[0] != order[len(order)-1] || len(bill) != 0 {
			e.t.Fatalf("defaults after the race: shipping %v billing %v, want shipping [%s] (written last)", ship, bill, order[len(order)-1])
		}

		// New default addresses created concurrently obey the same rule.
		rec.reset()
		errs = make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				_, errs[i] = svc.Create(e.ctx, address.CreateParams{CustomerID: c.ID, IsDefaultShipping: true, IsDefaultBilling: true})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				e.t.Fatalf("create %d of %d concurrent defaults failed: %v", i, writers, err)
			}
		}
		ship, bill = e.defaults(c.ID)
		order = rec.order()
		if len(order) != writers {
			e.t.Fatalf("%d default writes, want %d", len(order), writers)
		}
		last := order[len(order)-1]
		if len(ship) != 1 || len(bill) != 1 || ship[0] != last || bill[0] != last {
			e.t.Fatalf("defaults after concurrent creates: shipping %v billing %v, want [%s] (written last)", ship, bill, last)
		}
		all, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, store.ListOptions{})
		e.must(err)
		e.same(2*writers, len(all))
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

// defaultWrites records, in the order the store receives them, the
// addresses written as a customer's default shipping address. The service
// writes them while it holds the customer's lock, so the order is the
// serial order of the calls.
type defaultWrites struct {
	Store
	mu  sync.Mutex
	ids []string
}

func (d *defaultWrites) note(addrs []*address.Address) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range addrs {
		if a.IsDefaultShipping {
			d.ids = append(d.ids, a.ID)
		}
	}
}

func (d *defaultWrites) InsertAddresses(ctx context.Context, addrs []*address.Address) error {
	err := d.Store.InsertAddresses(ctx, addrs)
	if err == nil {
		d.note(addrs)
	}
	return err
}

func (d *defaultWrites) UpdateAddresses(ctx context.Context, addrs []*address.Address) error {
	err := d.Store.UpdateAddresses(ctx, addrs)
	if err == nil {
		d.note(addrs)
	}
	return err
}

func (d *defaultWrites) order() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ids...)
}

func (d *defaultWrites) reset() {
	d.mu.Lock()
	d.ids = nil
	d.mu.Unlock()
}
