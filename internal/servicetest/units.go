package servicetest

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

var errBoom = errors.New("boom")

var unitTests = []test{
	{"Store/CancelledContext", func(e *env) {
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		_, err := e.st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{})
		e.wantErr(err, context.Canceled)
		t := now()
		err = e.st.InsertCustomers(ctx, []*customer.Customer{{ID: "cus_x", CreatedAt: t, UpdatedAt: t}})
		e.wantErr(err, context.Canceled)
		_, err = e.customers.Create(ctx, customer.CreateParams{})
		e.wantErr(err, context.Canceled)
		e.unchanged(snapshot{})
	}},
	{"Store/UnitRollsBack", func(e *env) {
		keep := e.customer(customer.CreateParams{Email: "keep@example.com"})
		before := e.snapshot()
		var committed atomic.Bool
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			store.AfterCommit(ctx, func() { committed.Store(true) })
			if _, err := e.customers.Create(ctx, customer.CreateParams{Email: "new@example.com", Addresses: []address.CreateParams{{Address1: "x"}}}); err != nil {
				return err
			}
			if _, err := e.customers.Update(ctx, keep.ID, customer.UpdateParams{FirstName: ptr("Changed")}); err != nil {
				return err
			}
			if _, err := e.groups.Create(ctx, group.CreateParams{Name: "G"}); err != nil {
				return err
			}
			// Inside the unit, its own writes are visible.
			got, err := e.customers.List(ctx, customer.Filter{Emails: []string{"new@example.com"}}, store.ListOptions{Relations: []string{"addresses"}})
			if err != nil || len(got) != 1 || len(got[0].Addresses) != 1 {
				return errors.New("own write not visible inside the unit")
			}
			return errBoom
		})
		e.wantErr(err, errBoom)
		e.unchanged(before)
		if committed.Load() {
			e.t.Fatal("AfterCommit ran for a failed unit")
		}
		if n := len(e.events.Events()); n != 1 { // the customer.created of keep
			e.t.Fatalf("events of a failed unit were delivered: %v", eventNames(e.events.Events()))
		}
	}},
	{"Store/UnitCommitsAcrossDomains", func(e *env) {
		var order []string
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			c, err := e.customers.Create(ctx, customer.CreateParams{Email: "u@example.com"})
			if err != nil {
				return err
			}
			g, err := e.groups.Create(ctx, group.CreateParams{Name: "G"})
			if err != nil {
				return err
			}
			// A nested unit joins the outer one.
			err = e.st.InTx(ctx, func(ctx context.Context) error {
				_, err := e.groups.Add(ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID})
				return err
			})
			store.AfterCommit(ctx, func() { order = append(order, "after-commit") })
			if n := len(e.events.Events()); n != 0 {
				order = append(order, "early-event")
			}
			return err
		})
		e.must(err)
		e.same([]string{"after-commit"}, order)
		e.same([]string{"customer.created", "customer_group.created", "customer_group.customers_added"}, eventNames(e.events.Events()))
		got, err := e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{Relations: []string{"groups"}})
		e.must(err)
		e.same(1, len(got[0].Groups))
	}},
	{"Store/UnitRollsBackOnPanic", func(e *env) {
		func() {
			defer func() { _ = recover() }()
			_ = e.st.InTx(e.ctx, func(ctx context.Context) error {
				if _, err := e.customers.Create(ctx, customer.CreateParams{Email: "p@example.com"}); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		e.unchanged(snapshot{})
		// The store is still usable.
		e.customer(customer.CreateParams{Email: "p@example.com"})
	}},
}
