// Command quickstart shows clientele on the in-memory store: groups,
// customers with addresses, a change of default address, a search, a
// group's members; then a shopper who registers with an email and a
// password, logs in, opens a customer account, and resets a forgotten
// password; and the events the services emit.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
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
	addresses, err := address.NewService(st, address.WithEventSink(events))
	if err != nil {
		return err
	}
	customers, err := customer.NewService(st, addresses, customer.WithEventSink(events))
	if err != nil {
		return err
	}
	groups, err := group.NewService(st, group.WithEventSink(events))
	if err != nil {
		return err
	}
	out := os.Stdout

	fmt.Fprintln(out, "== groups")
	vip, err := groups.Create(ctx, group.CreateParams{Name: "VIP", Metadata: map[string]any{"discount": 10}})
	if err != nil {
		return err
	}
	wholesale, created, err := groups.GetOrCreate(ctx, "Wholesale")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s and %s (new: %v)\n", vip.Name, wholesale.Name, created)

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
	isVIP, err := groups.IsMember(ctx, linus.ID, group.Match{Names: []string{"VIP"}})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Linus is a VIP:", isVIP)
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

	if err := authFlow(ctx, st, customers, events); err != nil {
		return err
	}

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

// authFlow registers, logs in, opens a customer account and resets a
// password.
func authFlow(ctx context.Context, st *memory.Store, customers *customer.Service, events *event.Recorder) error {
	out := os.Stdout
	// In production: a long random secret from configuration, shared with a
	// Medusa backend if one runs beside this service.
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("quickstart-secret-change-me-0123456789")})
	if err != nil {
		return err
	}
	authSvc, err := auth.NewService(st, tokens,
		auth.WithProvider(emailpass.New()), // Medusa's scrypt format, 8+ character passwords
		auth.WithEventSink(events))
	if err != nil {
		return err
	}
	accounts, err := account.NewService(st, authSvc, customers)
	if err != nil {
		return err
	}
	creds := func(password string) provider.Input {
		return emailpass.Credentials("Margaret@Example.com", password)
	}

	fmt.Fprintln(out, "\n== sign up in one call: identity, customer account, link, token")
	signedUp, err := accounts.SignUp(ctx, emailpass.ID, creds("apollo-11-guidance"),
		customer.CreateParams{FirstName: "Margaret", LastName: "Hamilton"})
	if err != nil {
		return err
	}
	margaret := signedUp.Customer
	claims, err := authSvc.Verify(ctx, signedUp.Token)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "signed up %s (has_account=%v); token actor_id is the customer: %v\n", margaret.Email, margaret.HasAccount, claims.ActorID == margaret.ID)

	fmt.Fprintln(out, "\n== log in")
	if _, err := authSvc.Login(ctx, auth.ActorCustomer, emailpass.ID, creds("wrong password")); err != nil {
		fmt.Fprintln(out, "wrong password refused:", err)
	}
	l, err := authSvc.Login(ctx, auth.ActorCustomer, emailpass.ID, creds("apollo-11-guidance"))
	if err != nil {
		return err
	}
	claims, _ = authSvc.Verify(ctx, l.Token)
	fmt.Fprintf(out, "logged in as customer %v\n", claims.ActorID == margaret.ID)

	fmt.Fprintln(out, "\n== forgotten password")
	if err := authSvc.RequestPasswordReset(ctx, auth.ActorCustomer, emailpass.ID, "margaret@example.com", nil); err != nil {
		return err
	}
	if err := authSvc.Flush(ctx); err != nil { // the event is delivered after the call returns
		return err
	}
	var resetToken string
	for _, e := range events.Events() {
		if e.Name == auth.EventPasswordReset {
			resetToken = e.Data["token"].(string) // a host e-mails this link
		}
	}
	fmt.Fprintln(out, "reset token received through the event sink:", resetToken != "")
	if _, err := authSvc.ResetPassword(ctx, auth.ActorCustomer, emailpass.ID, resetToken, map[string]any{"password": "lunar-module-rescue"}); err != nil {
		return err
	}
	_, err = authSvc.ResetPassword(ctx, auth.ActorCustomer, emailpass.ID, resetToken, map[string]any{"password": "second-try-password"})
	fmt.Fprintln(out, "the token works once; again:", err)
	if _, err := authSvc.Login(ctx, auth.ActorCustomer, emailpass.ID, creds("lunar-module-rescue")); err != nil {
		return err
	}
	fmt.Fprintln(out, "logged in with the new password")
	return nil
}
