package servicetest

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

// hostKitTests cover the calls a host application builds on: sign-up and
// login in one call, token rules, and services wired from the host's own.
var hostKitTests = []test{
	{"Account/SignUp", func(e *env) {
		e.events.Reset()
		out, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds(" Ada@Example.com ", "correct horse"),
			customer.CreateParams{FirstName: "Ada", Metadata: map[string]any{"source": "web"}})
		e.must(err)
		c := out.Customer
		if !c.HasAccount || c.Email != "ada@example.com" || c.FirstName != "Ada" {
			e.t.Fatalf("customer %+v", c)
		}
		e.same(c.ID, out.Identity.ActorID(account.ActorType))
		stored, err := e.auth.RetrieveAuthIdentity(e.ctx, out.Identity.ID, store.FindOptions{})
		e.must(err)
		e.same(c.ID, stored.ActorID(account.ActorType))
		claims, err := e.auth.Verify(e.ctx, out.Token)
		e.must(err)
		e.same([]string{c.ID, auth.ActorCustomer, out.Identity.ID, emailpass.ID},
			[]string{claims.ActorID, claims.ActorType, claims.AuthIdentityID, claims.AuthProvider})
		if pi := out.Identity.Provider(emailpass.ID); pi == nil || pi.ProviderMetadata["password"] != nil {
			e.t.Fatalf("identity returned with a password hash or without its provider identity: %+v", pi)
		}
		names := eventNames(e.events.Events())
		for _, want := range []string{customer.EventCreated, account.EventCreated} {
			if !slices.Contains(names, want) {
				e.t.Fatalf("events %v lack %s", names, want)
			}
		}

		// The same credentials cannot open a second account.
		before := e.snapshot()
		_, err = e.accounts.SignUp(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"), customer.CreateParams{})
		e.wantErr(err, store.ErrConflict)
		e.unchanged(before)
	}},
	{"Account/SignUpAllOrNothing", func(e *env) {
		taken, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds("taken@example.com", "correct horse"), customer.CreateParams{})
		e.must(err)
		// A customer account with the email exists under another
		// identity (made before emails were folded, or by the admin).
		e.customer(customer.CreateParams{Email: "guest@example.com"})
		before := e.snapshot()
		e.events.Reset()
		cases := []struct {
			name string
			in   provider.Input
			p    customer.CreateParams
			want []error
		}{
			{"email of another account", creds("x@example.com", "correct horse"), customer.CreateParams{Email: taken.Customer.Email}, []error{account.ErrEmailMismatch, store.ErrInvalid}},
			{"customer email differs", creds("y@example.com", "correct horse"), customer.CreateParams{Email: "z@example.com"}, []error{account.ErrEmailMismatch}},
			{"bad customer metadata", creds("y@example.com", "correct horse"), customer.CreateParams{Metadata: map[string]any{"f": func() {}}}, []error{customer.ErrInvalid}},
			{"bad nested address", creds("y@example.com", "correct horse"), customer.CreateParams{Addresses: []address.CreateParams{{CountryCode: "zz"}}}, []error{customer.ErrInvalid}},
			{"bad credentials", creds("not-an-email", "correct horse"), customer.CreateParams{}, []error{store.ErrInvalid}},
			{"unknown provider", creds("y@example.com", "correct horse"), customer.CreateParams{}, []error{auth.ErrUnknownProvider}},
		}
		for _, tc := range cases {
			pid := emailpass.ID
			if tc.name == "unknown provider" {
				pid = "nope"
			}
			_, err := e.accounts.SignUp(e.ctx, pid, tc.in, tc.p)
			if err == nil {
				e.t.Fatalf("%s: no error", tc.name)
			}
			e.wantErr(err, tc.want...)
			e.unchanged(before)
		}
		if n := len(e.events.Events()); n != 0 {
			e.t.Fatalf("failed sign-ups emitted %v", eventNames(e.events.Events()))
		}
		// A registered customer with the email, found by the account
		// check inside the unit: the identity goes too.
		e.must(e.st.InTx(e.ctx, func(ctx context.Context) error {
			_, err := e.customers.Create(ctx, customer.CreateParams{Email: "late@example.com", HasAccount: true})
			return err
		}))
		before = e.snapshot()
		_, err = e.accounts.SignUp(e.ctx, emailpass.ID, creds("late@example.com", "correct horse"), customer.CreateParams{})
		e.wantErr(err, account.ErrHasAccount)
		e.wantMessage(err, "Customer with this email already has an account")
		e.unchanged(before)
	}},
	{"Account/SignUpExistingRegistration", func(e *env) {
		// Registered earlier without a customer (Medusa's two-step flow):
		// the same password finishes the sign-up on that identity.
		a := e.register("two@example.com", "correct horse")
		out, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds("two@example.com", "correct horse"), customer.CreateParams{LastName: "Step"})
		e.must(err)
		e.same(a.ID, out.Identity.ID)
		e.same(out.Customer.ID, out.Identity.ActorID(account.ActorType))
		// Another password is not the owner's.
		b := e.register("three@example.com", "correct horse")
		before := e.snapshot()
		_, err = e.accounts.SignUp(e.ctx, emailpass.ID, creds("three@example.com", "wrong horse!"), customer.CreateParams{})
		e.wantErr(err, store.ErrConflict)
		e.unchanged(before)
		_ = b
	}},
	{"Account/SignUpConcurrent", func(e *env) {
		const n = 8
		ok := e.wins(n, func(int) error {
			_, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds("race@example.com", "correct horse"), customer.CreateParams{})
			return err
		}, store.ErrConflict)
		if ok != 1 {
			e.t.Fatalf("%d sign-ups succeeded, want 1", ok)
		}
		yes := true
		cs, err := e.customers.List(e.ctx, customer.Filter{Emails: []string{"race@example.com"}, HasAccount: &yes}, store.ListOptions{})
		e.must(err)
		ids, err := e.st.ListAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
		e.must(err)
		if len(cs) != 1 || len(ids) != 1 || ids[0].ActorID(account.ActorType) != cs[0].ID {
			e.t.Fatalf("%d customers, %d identities after the race", len(cs), len(ids))
		}
	}},
	{"Account/DeleteEndsSessionsInUnit", func(e *env) {
		out, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds("gone@example.com", "correct horse"), customer.CreateParams{})
		e.must(err)
		failing := revokerFunc(func(context.Context, string, []string) error { return errors.New("session store down") })
		accts := must(account.NewService(e.st, e.auth, e.customers, account.WithSessions(failing)))(e.t)
		before := e.snapshot()
		if err := accts.DeleteCustomer(e.ctx, out.Customer.ID); err == nil {
			e.t.Fatal("deletion kept although its sessions could not be ended")
		}
		e.unchanged(before)
		var revoked []string
		rec := revokerFunc(func(ctx context.Context, id string, actorTypes []string) error {
			if store.UnitFrom(ctx) == nil {
				return errors.New("sessions ended outside the deletion's unit of work")
			}
			revoked = append(revoked, id)
			return nil
		})
		accts = must(account.NewService(e.st, e.auth, e.customers, account.WithSessions(rec)))(e.t)
		e.must(accts.DeleteCustomer(e.ctx, out.Customer.ID))
		e.same([]string{out.Identity.ID}, revoked)
		_, err = e.customers.Retrieve(e.ctx, out.Customer.ID, store.FindOptions{})
		e.wantErr(err, customer.ErrNotFound)
	}},
	{"Account/DeleteKeepsOtherActorsSessions", func(e *env) {
		ss, ok := e.st.(session.Store)
		if !ok {
			e.t.Skip("the backend implements no session.Store (optional)")
		}
		accts := must(account.NewService(e.st, e.auth, e.customers, account.WithSessions(ss)))(e.t)
		put := func(id, identity, actor string) {
			e.must(ss.PutSession(e.ctx, &session.Session{ID: id, AuthIdentityID: identity, ActorType: actor, ExpiresAt: time.Now().Add(time.Hour)}))
		}
		live := func(id string) bool {
			_, err := ss.GetSession(e.ctx, id, time.Now())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				e.t.Fatal(err)
			}
			return err == nil
		}
		// A staff member who is also a customer: deleting the customer
		// ends the customer sessions only.
		staff, err := accts.SignUp(e.ctx, emailpass.ID, creds("staff@example.com", "correct horse"), customer.CreateParams{})
		e.must(err)
		_, err = e.auth.SetActor(e.ctx, staff.Identity.ID, auth.ActorUser, "user_1")
		e.must(err)
		put("staff-customer", staff.Identity.ID, auth.ActorCustomer)
		put("staff-user", staff.Identity.ID, auth.ActorUser)
		// A customer only: the identity goes, and every session with it.
		only, err := accts.SignUp(e.ctx, emailpass.ID, creds("only@example.com", "correct horse"), customer.CreateParams{})
		e.must(err)
		put("only-customer", only.Identity.ID, auth.ActorCustomer)
		put("only-pending", only.Identity.ID, auth.ActorUser)

		e.must(accts.DeleteCustomer(e.ctx, staff.Customer.ID))
		e.must(accts.DeleteCustomer(e.ctx, only.Customer.ID))
		e.same([]bool{false, true, false, false}, []bool{live("staff-customer"), live("staff-user"), live("only-customer"), live("only-pending")})
	}},
	{"Auth/Login", func(e *env) {
		out, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds("login@example.com", "correct horse"), customer.CreateParams{})
		e.must(err)
		l, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, creds("LOGIN@example.com", "correct horse"))
		e.must(err)
		claims, err := e.auth.Verify(e.ctx, l.Token)
		e.must(err)
		e.same(out.Customer.ID, claims.ActorID)
		e.same(out.Identity.ID, l.Identity.ID)
		if pi := l.Identity.Provider(emailpass.ID); pi == nil || pi.ProviderMetadata["password"] != nil {
			e.t.Fatalf("login returned a password hash or no provider identity: %+v", pi)
		}
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, creds("login@example.com", "wrong horse"))
		e.wantErr(err, auth.ErrUnauthorized)
		_, err = e.auth.Login(e.ctx, "", emailpass.ID, creds("login@example.com", "correct horse"))
		e.wantInvalid(err, "actor_type", auth.ErrInvalid)
		_, err = e.auth.Login(e.ctx, "robot", emailpass.ID, creds("login@example.com", "correct horse"))
		e.wantErr(err, auth.ErrNotAllowed)
		// A redirect provider's first step answers where to go.
		l, err = e.auth.Login(e.ctx, auth.ActorCustomer, "magic", provider.Input{Body: map[string]any{"email": "login@example.com"}})
		e.must(err)
		if l.Location == "" || l.Token != "" || l.Identity != nil {
			e.t.Fatalf("redirect login %+v", l)
		}
	}},
	{"Account/BindingToProvenEmails", func(e *env) {
		// A social login's identity proves the email its provider
		// verified, and only that one.
		social := func(email string, verified any) *auth.AuthIdentity {
			a, err := e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{{
				Provider: "magic", EntityID: "sub-" + email,
				UserMetadata: map[string]any{"email": email, "email_verified": verified},
			}}})
			e.must(err)
			return a
		}
		verified := social("Jane@Example.com", true)
		// Only a provider that vouches for its email_verified (a
		// provider.EmailVerifier, or one the host names) proves an email.
		e.same([]string(nil), e.auth.ProvenEmails(verified))
		e.auth = e.newAuth(auth.WithVerifiedEmailLinking("magic"))
		e.accounts = must(account.NewService(e.st, e.auth, e.customers, account.WithEventSink(e.sink())))(e.t)
		e.same([]string{"jane@example.com"}, e.auth.ProvenEmails(verified))
		unverified := social("joe@example.com", false)
		e.same([]string(nil), e.auth.ProvenEmails(unverified))
		claimed := social("kim@example.com", "true")
		before := e.snapshot()
		for _, tc := range []struct {
			id    string
			email string
		}{{verified.ID, "someone@example.com"}, {unverified.ID, "joe@example.com"}, {claimed.ID, "kim@example.com"}} {
			_, err := e.accounts.CreateCustomer(e.ctx, tc.id, customer.CreateParams{Email: tc.email})
			e.wantErr(err, account.ErrEmailMismatch, store.ErrInvalid)
		}
		e.unchanged(before)
		c, err := e.accounts.CreateCustomer(e.ctx, verified.ID, customer.CreateParams{Email: " JANE@example.com "})
		e.must(err)
		e.same("jane@example.com", c.Email)
		// The host's own verification counts too.
		_, err = e.auth.MarkEmailVerified(e.ctx, unverified.ID, "joe@example.com")
		e.must(err)
		_, err = e.accounts.CreateCustomer(e.ctx, unverified.ID, customer.CreateParams{Email: "joe@example.com"})
		e.must(err)
		// emailpass proves its own email, trimmed and in any case.
		a := e.register("pat@example.com", "correct horse")
		_, err = e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "other@example.com"})
		e.wantErr(err, account.ErrEmailMismatch)
		_, err = e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "PAT@example.com"})
		e.must(err)
	}},
	{"Auth/RegisterThenNeedsAFunction", func(e *env) {
		before := e.snapshot()
		_, err := e.auth.RegisterThen(e.ctx, emailpass.ID, creds("nil@example.com", "correct horse"), nil)
		if err == nil {
			e.t.Fatal("RegisterThen ran without a function")
		}
		e.unchanged(before)
	}},
	{"Auth/TokenActorRules", func(e *env) {
		svc := e.newAuth(auth.WithActorProviders(auth.ActorUser, "admin-sso"))
		res, err := svc.Register(e.ctx, emailpass.ID, creds("staff@example.com", "correct horse"))
		e.must(err)
		id := res.AuthIdentity
		_, err = svc.Token(id, auth.ActorUser, emailpass.ID)
		e.wantErr(err, auth.ErrNotAllowed)
		_, err = svc.Token(id, "", emailpass.ID)
		e.wantInvalid(err, "actor_type", auth.ErrInvalid)
		_, err = svc.Token(id, auth.ActorCustomer, "admin-sso")
		e.wantErr(err, auth.ErrUnknownProvider)
		_, err = svc.Token(nil, auth.ActorCustomer, emailpass.ID)
		e.wantErr(err, auth.ErrInvalid)
		_, err = svc.Token(id, "robot", emailpass.ID)
		e.wantErr(err, auth.ErrNotAllowed)
		tok, err := svc.Token(id, auth.ActorCustomer, emailpass.ID)
		e.must(err)
		claims, err := svc.Verify(e.ctx, tok)
		e.must(err)
		e.same("", claims.ActorID)
	}},
	{"Customer/HostAddressService", func(e *env) {
		rec := &event.Recorder{}
		lax := must(address.NewService(e.st, address.WithPostalCodeCheck(false), address.WithEventSink(rec)))(e.t)
		svc := must(customer.NewService(e.st, lax))(e.t)
		c, err := svc.Create(e.ctx, customer.CreateParams{Addresses: []address.CreateParams{{CountryCode: "us", PostalCode: "ABC"}}})
		e.must(err)
		e.same("ABC", c.Addresses[0].PostalCode)
		e.same([]string{address.EventCreated}, eventNames(rec.Events()))
		// The strict service of the suite refuses it, nested or not.
		_, err = e.customers.Create(e.ctx, customer.CreateParams{Addresses: []address.CreateParams{{CountryCode: "us", PostalCode: "ABC"}}})
		e.wantInvalid(err, "addresses[0].postal_code", customer.ErrInvalid)
		_, err = customer.NewService(e.st, nil)
		if err == nil {
			e.t.Fatal("customer.NewService accepted no address service")
		}
	}},
}

type revokerFunc func(ctx context.Context, authIdentityID string, actorTypes []string) error

func (f revokerFunc) DeleteSessionsOf(ctx context.Context, id string, actorTypes ...string) error {
	return f(ctx, id, actorTypes)
}
