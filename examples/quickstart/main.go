// Command quickstart shows clientele's customer module on the in-memory
// store: groups, customers with addresses, a change of default address, a
// search, a group's members and the events the services emit.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	st := memory.New()
	events := &event.Recorder{}
	customers := customer.NewService(st, customer.WithEventSink(events))
	addresses := address.NewService(st, address.WithEventSink(events))
	groups := group.NewService(st, group.WithEventSink(events))
	out := os.Stdout

	fmt.Fprintln(out, "== groups")
	vip, err := groups.Create(ctx, group.CreateParams{Name: "VIP", Metadata: map[string]any{"discount": 10}})
	if err != nil {
		return err
	}
	wholesale, err := groups.Create(ctx, group.CreateParams{Name: "Wholesale"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s and %s\n", vip.Name, wholesale.Name)

	fmt.Fprintln(out, "\n== customers with addresses")
	batch, err := customers.CreateMany(ctx, []customer.CreateParams{
		{
			FirstName: "Ada", LastName: "Lovelace", Email: " Ada@Example.com ", Phone: "+44 20 7946 0000",
			Addresses: []address.CreateParams{
				{AddressName: "Home", Address1: "12 St James's Square", City: "London", CountryCode: "GB", PostalCode: "SW1Y 4JH", IsDefaultShipping: true, IsDefaultBilling: true},
				{AddressName: "Office", Address1: "1 Poultry", City: "London", CountryCode: "gb", PostalCode: "EC2R 8EJ"},
			},
		},
		{FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com", CompanyName: "Navy", HasAccount: true},
		{FirstName: "Linus", LastName: "Torvalds", Email: "linus@example.org"},
	})
	if err != nil {
		return err
	}
	for _, c := range batch {
		fmt.Fprintf(out, "%s %s <%s> has_account=%v addresses=%d\n", c.FirstName, c.LastName, c.Email, c.HasAccount, len(c.Addresses))
	}
	ada, grace, linus := batch[0], batch[1], batch[2]

	fmt.Fprintln(out, "\n== a guest and a registered customer may share an email, two guests may not")
	if _, err := customers.Create(ctx, customer.CreateParams{Email: "GRACE@example.com"}); err != nil {
		return err
	}
	fmt.Fprintln(out, "guest grace@example.com created next to the registered one")
	_, err = customers.Create(ctx, customer.CreateParams{Email: "ada@EXAMPLE.com"})
	if errors.Is(err, customer.ErrConflict) {
		fmt.Fprintln(out, "refused:", err)
	}

	fmt.Fprintln(out, "\n== a new default shipping address replaces the old one")
	office := ada.Addresses[1]
	if _, err := addresses.Update(ctx, office.ID, address.UpdateParams{IsDefaultShipping: ptr(true)}); err != nil {
		return err
	}
	list, err := addresses.List(ctx, address.Filter{CustomerIDs: []string{ada.ID}}, store.ListOptions{})
	if err != nil {
		return err
	}
	for _, a := range list {
		fmt.Fprintf(out, "%-6s shipping=%-5v billing=%v\n", a.AddressName, a.IsDefaultShipping, a.IsDefaultBilling)
	}
	_, err = addresses.Create(ctx, address.CreateParams{CustomerID: ada.ID, CountryCode: "us", PostalCode: "ABC"})
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		fmt.Fprintf(out, "refused: field %s: %s\n", ve.Field, ve.Reason)
	}

	fmt.Fprintln(out, "\n== group members")
	if _, err := groups.Add(ctx, group.Pair{CustomerID: ada.ID, GroupID: vip.ID}, group.Pair{CustomerID: grace.ID, GroupID: vip.ID}, group.Pair{CustomerID: linus.ID, GroupID: wholesale.ID}); err != nil {
		return err
	}
	if _, err := groups.Add(ctx, group.Pair{CustomerID: ada.ID, GroupID: vip.ID}); err != nil { // idempotent
		return err
	}
	members, n, err := customers.ListAndCount(ctx, customer.Filter{GroupIDs: []string{vip.ID}}, store.ListOptions{Take: 10})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d members of VIP:", n)
	for _, c := range members {
		fmt.Fprintf(out, " %s", c.FirstName)
	}
	fmt.Fprintln(out)
	withGroups, err := customers.Retrieve(ctx, ada.ID, store.FindOptions{Relations: []string{customer.RelGroups, customer.RelAddresses}})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Ada is in %d group(s) and has %d addresses\n", len(withGroups.Groups), len(withGroups.Addresses))

	fmt.Fprintln(out, "\n== search")
	for _, q := range []string{"example.com", "grace hopper", "LIN"} {
		found, err := customers.List(ctx, customer.Filter{Q: q}, store.ListOptions{Order: []store.Order{store.Asc("email"), store.Desc("has_account")}})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "q=%-13q →", q)
		for _, c := range found {
			fmt.Fprintf(out, " %s(account=%v)", c.Email, c.HasAccount)
		}
		fmt.Fprintln(out)
	}
	found, err := addresses.List(ctx, address.Filter{Q: "square"}, store.ListOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "addresses matching \"square\": %d\n", len(found))

	fmt.Fprintln(out, "\n== soft delete and restore")
	res, err := customers.SoftDelete(ctx, ada.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "soft-deleted %d customer and %d addresses\n", len(res.CustomerIDs), len(res.AddressIDs))
	if _, err := customers.Restore(ctx, ada.ID); err != nil {
		return err
	}
	fmt.Fprintln(out, "restored Ada with her addresses")

	fmt.Fprintln(out, "\n== events")
	counts := map[string]int{}
	var order []string
	for _, e := range events.Events() {
		if counts[e.Name] == 0 {
			order = append(order, e.Name)
		}
		counts[e.Name]++
	}
	for _, name := range order {
		fmt.Fprintf(out, "%-33s x%d\n", name, counts[name])
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
