package servicetest

import (
	"errors"
	"fmt"
	"sync"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// crowd is the number of callers that register one email at once in the
// load tests: enough to queue on every lock and index the backends take.
const crowd = 200

// Answers of a registration that lost the race for an email.
const (
	msgIdentityExists = "Identity with email already exists"
	msgHasAccount     = "Customer with this email already has an account"
)

// rows counts every auth identity, provider identity and customer
// (soft-deleted ones too) the store holds.
func (e *env) rows() (identities, providers, customers int) {
	e.t.Helper()
	ai, err := e.st.ListAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
	e.must(err)
	pi, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{})
	e.must(err)
	cs, err := e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{WithDeleted: true})
	e.must(err)
	return len(ai), len(pi), len(cs)
}

// wantRows fails unless the store holds exactly these rows.
func (e *env) wantRows(identities, providers, customers int) {
	e.t.Helper()
	ai, pi, cs := e.rows()
	if ai != identities || pi != providers || cs != customers {
		e.t.Fatalf("rows: %d auth identities, %d provider identities, %d customers; want %d, %d, %d",
			ai, pi, cs, identities, providers, customers)
	}
}

// loser checks that err is the answer of a registration that lost the
// race: one of msgs, with the conflict kind (never a database's error).
func (e *env) loser(err error, msgs ...string) {
	e.t.Helper()
	if !errors.Is(err, store.ErrConflict) {
		e.t.Fatalf("a losing registration answered %v (%T), want a conflict", err, err)
	}
	for _, m := range msgs {
		if err.Error() == m {
			return
		}
	}
	e.t.Fatalf("a losing registration answered %q, want one of %q", err, msgs)
}

// winner checks that exactly one of errs is nil and every other one is a
// losing registration's answer (one of msgs), and returns the winner's
// index.
func (e *env) winner(errs []error, msgs ...string) int {
	e.t.Helper()
	won := -1
	for i, err := range errs {
		if err != nil {
			e.loser(err, msgs...)
			continue
		}
		if won >= 0 {
			e.t.Fatalf("calls %d and %d both won the race for one email", won, i)
		}
		won = i
	}
	if won < 0 {
		e.t.Fatalf("none of %d calls won the race for one email", len(errs))
	}
	return won
}

// race runs f(0) … f(crowd-1) at once and returns their errors.
func race(f func(i int) error) []error { return raceN(crowd, f) }

// raceN runs f(0) … f(n-1) at once, released together, and returns their
// errors.
func raceN(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

var loadTests = []test{
	{"Load/RegisterOneEmail", func(e *env) {
		// Every caller has its own password: one creates the identity,
		// the others are told the email is taken. Half of them write the
		// email in another case: it is the same email.
		ids := make([]string, crowd)
		errs := race(func(i int) error {
			addr := "race@example.com"
			if i%2 == 1 {
				addr = "  Race@Example.COM "
			}
			res, err := e.auth.Register(e.ctx, emailpass.ID, creds(addr, fmt.Sprintf("password %d", i)))
			if err == nil {
				ids[i] = res.AuthIdentity.ID
			}
			return err
		})
		winner := e.winner(errs, msgIdentityExists)
		for _, err := range errs {
			if err != nil {
				e.wantErr(err, auth.ErrConflict)
			}
		}
		e.wantRows(1, 1, 0)
		a, err := e.auth.RetrieveAuthIdentity(e.ctx, ids[winner], store.FindOptions{})
		e.must(err)
		e.same("race@example.com", a.Provider(emailpass.ID).EntityID)
	}},
	{"Load/RegisterOneEmailSamePassword", func(e *env) {
		// With one password, a registration of an email that has no
		// actor yet is a login (Medusa 2.21): all succeed, with one
		// identity.
		ids := make([]string, crowd)
		errs := race(func(i int) error {
			res, err := e.auth.Register(e.ctx, emailpass.ID, creds("race@example.com", "same password"))
			if err == nil {
				ids[i] = res.AuthIdentity.ID
			}
			return err
		})
		for _, err := range errs {
			e.must(err)
		}
		for _, id := range ids {
			e.same(ids[0], id)
		}
		e.wantRows(1, 1, 0)
	}},
	{"Load/SignUpOneEmail", func(e *env) {
		// Sign-up registers, creates the customer and links it in one
		// unit: one caller gets the account, the others one of the two
		// documented refusals, whether they share its password or not.
		won := make([]*account.SignedUp, crowd)
		errs := race(func(i int) error {
			pw := "same password"
			if i%2 == 1 {
				pw = fmt.Sprintf("password %d", i)
			}
			out, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds("race@example.com", pw), customer.CreateParams{FirstName: "Ada"})
			won[i] = out
			return err
		})
		w := won[e.winner(errs, msgIdentityExists, msgHasAccount)]
		e.wantRows(1, 1, 1)
		e.same(w.Customer.ID, w.Identity.ActorID(auth.ActorCustomer))
		c, err := e.customers.Retrieve(e.ctx, w.Customer.ID, store.FindOptions{})
		e.must(err)
		e.same(true, c.HasAccount)
		e.same("race@example.com", c.Email)
	}},
	{"Load/RegisterThenCreateCustomer", func(e *env) {
		// Medusa's path in two steps, raced: every caller registers with
		// the same password (so each gets the identity while no customer
		// is linked) and then asks for the customer account. Exactly one
		// account is opened; a caller that comes after it is refused at
		// either step.
		won := make([]*customer.Customer, crowd)
		errs := race(func(i int) error {
			res, err := e.auth.Register(e.ctx, emailpass.ID, creds("race@example.com", "same password"))
			if err != nil {
				return err
			}
			won[i], err = e.accounts.CreateCustomer(e.ctx, res.AuthIdentity.ID, customer.CreateParams{Email: "race@example.com"})
			return err
		})
		w := won[e.winner(errs, msgIdentityExists, msgHasAccount)]
		e.wantRows(1, 1, 1)
		ai, err := e.auth.ListAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
		e.must(err)
		e.same(w.ID, ai[0].ActorID(auth.ActorCustomer))
	}},
}
