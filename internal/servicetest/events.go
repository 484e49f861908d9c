package servicetest

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var eventTests = []test{
	{"Events/SinkUsesTheStores", func(e *env) {
		// A sink that reads what the event names runs outside the unit
		// that made the change: on its own, with the change committed.
		var mu sync.Mutex
		var seen []string
		var svc *customer.Service
		sink := event.SinkFunc(func(ctx context.Context, ev event.Event) error {
			if ev.Name != customer.EventCreated {
				return nil
			}
			c, err := svc.Retrieve(ctx, ev.Data["id"].(string), store.FindOptions{Relations: []string{"addresses"}})
			if err != nil {
				return err
			}
			mu.Lock()
			seen = append(seen, c.Email)
			mu.Unlock()
			return nil
		})
		svc = newCustomers(e.t, e.st, customer.WithEventSink(sink), customer.WithLogger(discard()))
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := svc.Create(e.ctx, customer.CreateParams{Email: "sink" + string(rune('a'+i)) + "@example.com", Addresses: []address.CreateParams{{Address1: "x"}}})
				if err != nil {
					e.t.Error(err)
				}
			})
		}
		wg.Wait()
		e.same(8, len(seen))
	}},
	{"Events/Customer", func(e *env) {
		c := e.customer(customer.CreateParams{Email: "e@example.com", Addresses: []address.CreateParams{{Address1: "x"}}})
		_, err := e.customers.Update(e.ctx, c.ID, customer.UpdateParams{FirstName: ptr("E")})
		e.must(err)
		_, err = e.customers.SoftDelete(e.ctx, c.ID)
		e.must(err)
		_, err = e.customers.Restore(e.ctx, c.ID)
		e.must(err)
		e.must(e.customers.Delete(e.ctx, c.ID))
		e.same([]event.Event{
			{Name: "customer.created", Data: map[string]any{"id": c.ID}},
			{Name: "customer_address.created", Data: map[string]any{"id": c.Addresses[0].ID, "customer_id": c.ID}},
			{Name: "customer.updated", Data: map[string]any{"id": c.ID}},
			{Name: "customer.deleted", Data: map[string]any{"id": c.ID}},
			{Name: "customer.restored", Data: map[string]any{"id": c.ID}},
			{Name: "customer.deleted", Data: map[string]any{"id": c.ID}},
		}, e.events.Events())
	}},
	{"Events/AddressAndGroup", func(e *env) {
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{IsDefaultShipping: true}}})
		e.events.Reset()
		a := e.address(address.CreateParams{CustomerID: c.ID, IsDefaultShipping: true})
		_, err := e.addresses.Update(e.ctx, a.ID, address.UpdateParams{City: ptr("x")})
		e.must(err)
		e.must(e.addresses.Delete(e.ctx, a.ID))
		g := e.group("G")
		_, err = e.groups.Update(e.ctx, g.ID, group.UpdateParams{Name: ptr("H")})
		e.must(err)
		_, err = e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID})
		e.must(err)
		_, err = e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID}) // no change, no event
		e.must(err)
		e.must(e.groups.Remove(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID}))
		_, err = e.groups.SoftDelete(e.ctx, g.ID)
		e.must(err)
		e.must(e.groups.Delete(e.ctx, g.ID))
		e.same([]string{
			"customer_address.updated", // the old default stops being one
			"customer_address.created",
			"customer_address.updated",
			"customer_address.deleted",
			"customer_group.created",
			"customer_group.updated",
			"customer_group.customers_added",
			"customer_group.customers_removed",
			"customer_group.deleted",
			"customer_group.deleted",
		}, eventNames(e.events.Events()))
		e.same(map[string]any{"id": g.ID, "customer_ids": []string{c.ID}}, e.events.Events()[6].Data)
	}},
	{"Events/NoneOnFailure", func(e *env) {
		e.customer(customer.CreateParams{Email: "dup@example.com"})
		e.events.Reset()
		_, err := e.customers.CreateMany(e.ctx, []customer.CreateParams{{Email: "ok@example.com"}, {Email: "dup@example.com"}})
		e.wantErr(err, customer.ErrConflict)
		_, err = e.customers.Update(e.ctx, "cus_missing", customer.UpdateParams{})
		e.wantErr(err, customer.ErrNotFound)
		e.same(0, len(e.events.Events()))
	}},
	{"Events/SinkErrorKeepsChange", func(e *env) {
		var logs logBuffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		var delivered []string
		failing := event.SinkFunc(func(ctx context.Context, ev event.Event) error {
			delivered = append(delivered, ev.Name)
			return errors.New("mail server down")
		})
		svc := newCustomers(e.t, e.st, customer.WithEventSink(failing), customer.WithLogger(logger))
		c, err := svc.Create(e.ctx, customer.CreateParams{Email: "kept@example.com"})
		e.must(err)
		_, err = svc.Retrieve(e.ctx, c.ID, store.FindOptions{})
		e.must(err)
		e.same([]string{"customer.created"}, delivered)
		if !strings.Contains(logs.String(), "mail server down") || !strings.Contains(logs.String(), "customer.created") {
			e.t.Fatalf("sink error not logged: %q", logs.String())
		}
	}},
}
