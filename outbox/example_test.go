package outbox_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/store/memory"
)

// The services write their events to the outbox in the unit of work of
// each change; a dispatcher delivers them to the host's sink.
func Example() {
	ctx := context.Background()
	st := memory.New()
	key := outbox.Key{ID: "k1", Secret: make([]byte, outbox.KeySize)}
	_, _ = rand.Read(key.Secret) // in production: from a secret store, e.g. outbox.ParseKeys(os.Getenv("OUTBOX_KEY"))
	ob, err := outbox.New(st, outbox.WithKeys(key))
	if err != nil {
		fmt.Println(err)
		return
	}
	addresses, _ := address.NewService(st, address.WithEventSink(ob))
	customers, _ := customer.NewService(st, addresses, customer.WithEventSink(ob))

	got := make(chan event.Event, 1)
	d, _ := outbox.NewDispatcher(ob, event.SinkFunc(func(ctx context.Context, e event.Event) error {
		got <- e // a real sink de-duplicates on e.ID
		return nil
	}))
	go func() { _ = d.Run(ctx) }()
	defer func() { _ = d.Shutdown(ctx) }()

	c, _ := customers.Create(ctx, customer.CreateParams{Email: "ada@example.com"})
	e := <-got
	fmt.Println(e.Name, e.Data["id"] == c.ID, strings.HasPrefix(e.ID, "evt_"))
	// Output: customer.created true true
}
