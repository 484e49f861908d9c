package servicetest

import (
	"log/slog"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

var accountTests = []test{
	{"Account/CreateCustomer", func(e *env) {
		guest := e.customer(customer.CreateParams{Email: "ada@example.com"})
		a := e.register("ada@example.com", "correct horse")
		before := e.snapshot()
		_, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{FirstName: "Ada"})
		e.wantErr(err, account.ErrEmailRequired, store.ErrInvalid)
		e.wantMessage(err, "Email is required to create a customer")
		_, err = e.accounts.CreateCustomer(e.ctx, "authid_nope", customer.CreateParams{Email: "ada@example.com"})
		e.wantErr(err, auth.ErrNotFound)
		_, err = e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com", Metadata: map[string]any{"f": func() {}}})
		e.wantErr(err, customer.ErrInvalid)
		e.unchanged(before)

		c, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "Ada@Example.com", FirstName: "Ada", Metadata: map[string]any{"loyalty_level": "gold", "preferences": map[string]any{"newsletter": true}}})
		e.must(err)
		if !c.HasAccount || c.ID == guest.ID {
			e.t.Fatalf("account customer %+v", c)
		}
		got, err := e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		e.same(c.ID, got.ActorID("customer"))
		both, err := e.customers.List(e.ctx, customer.Filter{Emails: []string{"ada@example.com"}}, store.ListOptions{})
		e.must(err)
		e.same(2, len(both))

		other := e.register("other@example.com", "other horse")
		before = e.snapshot()
		// An identity that already has its customer: Medusa's answer to a
		// second account for the email.
		_, err = e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com"})
		e.wantErr(err, account.ErrHasAccount, store.ErrConflict)
		e.wantMessage(err, "Customer with this email already has an account")
		// A registration opens an account only for an email it proved.
		_, err = e.accounts.CreateCustomer(e.ctx, other.ID, customer.CreateParams{Email: "ADA@example.com"})
		e.wantErr(err, account.ErrEmailMismatch, store.ErrInvalid)
		e.wantMessage(err, "The customer's email must be an email this login has proved")
		e.unchanged(before)
		// An identity that proved the email (the host verified it) still
		// meets the account that has it.
		_, err = e.auth.MarkEmailVerified(e.ctx, other.ID, "ada@example.com")
		e.must(err)
		before = e.snapshot()
		_, err = e.accounts.CreateCustomer(e.ctx, other.ID, customer.CreateParams{Email: "ADA@example.com"})
		e.wantErr(err, account.ErrHasAccount, store.ErrConflict)
		e.wantMessage(err, "Customer with this email already has an account")
		e.unchanged(before)
	}},
	{"Account/DeleteAndRegisterAgain", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		c, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com"})
		e.must(err)
		token, err := e.auth.Token(&auth.AuthIdentity{ID: a.ID, AppMetadata: map[string]any{"customer_id": c.ID}}, "customer", emailpass.ID)
		e.must(err)
		e.must(e.accounts.DeleteCustomer(e.ctx, c.ID))
		_, err = e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{})
		e.wantErr(err, customer.ErrNotFound)
		gone, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{WithDeleted: true})
		e.must(err)
		if gone.DeletedAt == nil {
			e.t.Fatal("customer not soft-deleted")
		}
		// The deletion revoked the identity's tokens.
		_, err = e.auth.Refresh(e.ctx, token)
		e.wantErr(err, auth.ErrTokenRevoked)
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.wantErr(err, auth.ErrUnauthorized)
		again := e.register("ada@example.com", "a new password")
		c2, err := e.accounts.CreateCustomer(e.ctx, again.ID, customer.CreateParams{Email: "ada@example.com"})
		e.must(err)
		if c2.ID == c.ID {
			e.t.Fatal("same customer")
		}
		e.must(e.accounts.DeleteCustomer(e.ctx, "cus_unknown"))
	}},
	{"Account/DeleteKeepsOtherActors", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		c, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com"})
		e.must(err)
		_, err = e.auth.SetActor(e.ctx, a.ID, "user", "user_01")
		e.must(err)
		e.must(e.accounts.DeleteCustomer(e.ctx, c.ID))
		got, err := e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		e.same(map[string]any{"user_id": "user_01"}, got.AppMetadata)
		// The identity may open a new customer account.
		_, err = e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com"})
		e.must(err)
	}},
	{"Account/GuestDeleteLeavesIdentities", func(e *env) {
		guest := e.customer(customer.CreateParams{Email: "ada@example.com"})
		a := e.register("ada@example.com", "correct horse")
		e.must(e.accounts.DeleteCustomer(e.ctx, guest.ID))
		_, err := e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
	}},
}
