package servicetest

import (
	"slices"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// signUp signs up a customer with emailpass.
func (e *env) signUp(email, password string) *account.SignedUp {
	e.t.Helper()
	out, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds(email, password), customer.CreateParams{FirstName: "Ada"})
	e.must(err)
	return out
}

// loginWorks reports whether emailpass accepts the credentials.
func (e *env) loginWorks(email, password string) bool {
	e.t.Helper()
	_, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds(email, password))
	return err == nil
}

// changeCode requests a change of email and returns the code the event
// carried.
func (e *env) changeCode(identityID, addr string) string {
	e.t.Helper()
	e.events.Reset()
	out, err := e.accounts.RequestEmailChange(e.ctx, identityID, addr, nil)
	e.must(err)
	e.must(e.auth.Flush(e.ctx))
	evs := e.events.Events()
	if len(evs) != 1 || evs[0].Name != auth.EventVerificationRequested {
		e.t.Fatalf("events: %v", eventNames(evs))
	}
	e.same(map[string]any{"purpose": account.PurposeChangeEmail}, evs[0].Data["metadata"])
	e.same(addr, evs[0].Data["entity_id"])
	return out.Code
}

var accountVerificationTests = []test{
	{"EmailChange/OnlyAfterTheNewAddressProvesItself", func(e *env) {
		out := e.signUp("ada@example.com", "correct horse")
		code := e.changeCode(out.Identity.ID, "ada@new.example")
		// Until the code is confirmed, nothing changed: the old email
		// works, the new one does not.
		c, err := e.customers.Retrieve(e.ctx, out.Customer.ID, store.FindOptions{})
		e.must(err)
		e.same("ada@example.com", c.Email)
		if !e.loginWorks("ada@example.com", "correct horse") || e.loginWorks("ada@new.example", "correct horse") {
			e.t.Fatal("the login email changed before the confirmation")
		}
		e.events.Reset()
		c, err = e.accounts.ConfirmEmailChange(e.ctx, out.Identity.ID, code)
		e.must(err)
		e.same("ada@new.example", c.Email)
		if e.loginWorks("ada@example.com", "correct horse") || !e.loginWorks("ada@new.example", "correct horse") {
			e.t.Fatal("the login email did not follow the customer's")
		}
		id, err := e.auth.RetrieveAuthIdentity(e.ctx, out.Identity.ID, store.FindOptions{})
		e.must(err)
		e.same("ada@new.example", id.Provider(emailpass.ID).EntityID)
		e.same("ada@new.example", id.AppMetadata[auth.VerifiedEmailKey])
		var changed []event.Event
		for _, ev := range e.events.Events() {
			if ev.Name == account.EventEmailChanged {
				changed = append(changed, ev)
			}
		}
		e.same([]event.Event{{Name: account.EventEmailChanged, Data: map[string]any{
			"id": c.ID, "auth_identity_id": out.Identity.ID, "email": "ada@new.example", "previous_email": "ada@example.com",
		}}}, changed)
		// The code worked once.
		_, err = e.accounts.ConfirmEmailChange(e.ctx, out.Identity.ID, code)
		e.wantErr(err, auth.ErrVerificationCodeInvalid)
	}},
	{"EmailChange/Refusals", func(e *env) {
		ada := e.signUp("ada@example.com", "correct horse")
		e.signUp("bob@example.com", "correct horse")
		other := e.register("carol@example.com", "correct horse") // a login without a customer
		e.customer(customer.CreateParams{Email: "guest@example.com"})
		before := e.snapshot()
		for _, tc := range []struct {
			addr string
			want error
		}{
			{"ADA@example.com", account.ErrSameEmail},
			{"bob@example.com", account.ErrHasAccount},
			{"carol@example.com", account.ErrEmailTaken},
			{"not an email", store.ErrInvalid},
			{"", account.ErrEmailRequired},
		} {
			_, err := e.accounts.RequestEmailChange(e.ctx, ada.Identity.ID, tc.addr, nil)
			e.wantErr(err, tc.want)
		}
		_, err := e.accounts.RequestEmailChange(e.ctx, other.ID, "carol@new.example", nil)
		e.wantErr(err, customer.ErrNotFound) // no registered customer
		e.unchanged(before)
		// A guest with the address does not block it.
		_, err = e.accounts.RequestEmailChange(e.ctx, ada.Identity.ID, "guest@example.com", nil)
		e.must(err)
	}},
	{"EmailChange/OnlyItsOwnCode", func(e *env) {
		ada := e.signUp("ada@example.com", "correct horse")
		bob := e.signUp("bob@example.com", "correct horse")
		code := e.changeCode(ada.Identity.ID, "ada@new.example")
		plain := e.requestCode(ada.Identity.ID, "ada@example.com") // a verification, not a change
		now := e.clock.now().UTC().Truncate(time.Microsecond)
		_, _, err := e.st.(auth.VerificationStore).RenewVerification(e.ctx, &auth.Verification{
			ID: "authver_phone", AuthIdentityID: ada.Identity.ID, EntityID: "+15550100", EntityType: "phone",
			CodeProvider: "token", RequestedAt: now, CodeHash: sha256Hex("phone-code"), CreatedAt: now, UpdatedAt: now,
		}, false)
		e.must(err)
		before := e.snapshot()
		// Another identity's code, and a code of another entity type, are
		// unknown codes; nothing changes.
		_, err = e.accounts.ConfirmEmailChange(e.ctx, bob.Identity.ID, code)
		e.wantErr(err, auth.ErrVerificationCodeInvalid)
		_, err = e.accounts.ConfirmEmailChange(e.ctx, ada.Identity.ID, "phone-code")
		e.wantErr(err, auth.ErrVerificationCodeInvalid)
		e.unchanged(before)
		// The plain verification of the current email changes no email.
		c, err := e.accounts.ConfirmEmailChange(e.ctx, ada.Identity.ID, plain)
		e.must(err)
		e.same("ada@example.com", c.Email)
	}},
	{"EmailChange/NothingHalfWritten", func(e *env) {
		// The address is taken between the request and the confirmation:
		// nothing changes, and the code still works once it is free.
		ada := e.signUp("ada@example.com", "correct horse")
		code := e.changeCode(ada.Identity.ID, "ada@new.example")
		taken := e.signUp("ada@new.example", "another horse")
		before := e.snapshot()
		_, err := e.accounts.ConfirmEmailChange(e.ctx, ada.Identity.ID, code)
		e.wantErr(err, account.ErrHasAccount)
		e.unchanged(before)
		if !e.loginWorks("ada@example.com", "correct horse") {
			e.t.Fatal("the old email stopped working")
		}
		e.must(e.accounts.DeleteCustomer(e.ctx, taken.Customer.ID))
		c, err := e.accounts.ConfirmEmailChange(e.ctx, ada.Identity.ID, code)
		e.must(err)
		e.same("ada@new.example", c.Email)
	}},

	// ---- claiming guest records ----

	{"ClaimGuest/OnlyWithAProvedEmail", func(e *env) {
		ada := e.signUp("ada@example.com", "correct horse")
		guest := e.customer(customer.CreateParams{Email: "Ada@Example.com", FirstName: "Guest"})
		e.address(address.CreateParams{CustomerID: guest.ID, Address1: "1 Guest St", CountryCode: "dk"})
		before := e.snapshot()
		_, err := e.accounts.ClaimGuests(e.ctx, ada.Identity.ID)
		e.wantErr(err, account.ErrEmailNotVerified, auth.ErrNotAllowed)
		e.unchanged(before)
		// A verification of another address proves nothing here.
		e.confirmCode(e.requestCode(ada.Identity.ID, "elsewhere@example.com"))
		_, err = e.accounts.ClaimGuests(e.ctx, ada.Identity.ID)
		e.wantErr(err, account.ErrEmailNotVerified)
	}},
	{"ClaimGuest/MovesAddressesAndGroupsInOneUnit", func(e *env) {
		ada := e.signUp("ada@example.com", "correct horse")
		mine := e.address(address.CreateParams{CustomerID: ada.Customer.ID, Address1: "1 Home St", CountryCode: "dk", IsDefaultShipping: true})
		guest := e.customer(customer.CreateParams{Email: "ada@example.com", FirstName: "Guest"})
		gShip := e.address(address.CreateParams{CustomerID: guest.ID, Address1: "2 Guest St", CountryCode: "dk", IsDefaultShipping: true, IsDefaultBilling: true})
		gOther := e.address(address.CreateParams{CustomerID: guest.ID, Address1: "3 Guest St", CountryCode: "dk"})
		vip, both := e.group("VIP"), e.group("Newsletter")
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: guest.ID, GroupID: vip.ID}, group.Pair{CustomerID: guest.ID, GroupID: both.ID},
			group.Pair{CustomerID: ada.Customer.ID, GroupID: both.ID})
		e.must(err)
		bystander := e.customer(customer.CreateParams{Email: "other@example.com"})
		e.confirmCode(e.requestCode(ada.Identity.ID, "ada@example.com"))
		e.events.Reset()
		got, err := e.accounts.ClaimGuests(e.ctx, ada.Identity.ID)
		e.must(err)
		e.same([]string{guest.ID}, got.GuestIDs)
		e.same([]string{gShip.ID, gOther.ID}, got.AddressIDs)
		e.same([]string{vip.ID}, got.GroupIDs)
		e.same(ada.Customer.ID, got.Customer.ID)
		addrs, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{ada.Customer.ID}}, store.ListOptions{})
		e.must(err)
		e.same(3, len(addrs))
		ship, bill := e.defaults(ada.Customer.ID)
		e.same([]string{mine.ID}, ship)  // the customer's default stays
		e.same([]string{gShip.ID}, bill) // the guest's fills the gap
		ms, err := e.st.ListMemberships(e.ctx, []string{ada.Customer.ID, guest.ID}, nil)
		e.must(err)
		var groups []string
		for _, m := range ms {
			if m.CustomerID != ada.Customer.ID {
				e.t.Fatalf("the guest kept a membership: %+v", m)
			}
			groups = append(groups, m.GroupID)
		}
		slices.Sort(groups)
		want := []string{vip.ID, both.ID}
		slices.Sort(want)
		e.same(want, groups)
		_, err = e.customers.Retrieve(e.ctx, guest.ID, store.FindOptions{})
		e.wantErr(err, customer.ErrNotFound)
		if _, err := e.customers.Retrieve(e.ctx, bystander.ID, store.FindOptions{}); err != nil {
			e.t.Fatal("another guest was claimed")
		}
		var claimed []event.Event
		for _, ev := range e.events.Events() {
			if ev.Name == account.EventGuestClaimed {
				claimed = append(claimed, ev)
			}
		}
		e.same([]event.Event{{Name: account.EventGuestClaimed, Data: map[string]any{
			"id": ada.Customer.ID, "auth_identity_id": ada.Identity.ID, "guest_ids": []string{guest.ID},
			"address_ids": []string{gShip.ID, gOther.ID}, "group_ids": []string{vip.ID},
		}}}, claimed)
		// Nothing left to claim.
		again, err := e.accounts.ClaimGuests(e.ctx, ada.Identity.ID)
		e.must(err)
		e.same(0, len(again.GuestIDs))
	}},
	{"ClaimGuest/HostMarkCounts", func(e *env) {
		ada := e.signUp("ada@example.com", "correct horse")
		e.customer(customer.CreateParams{Email: "ada@example.com"})
		_, err := e.auth.MarkEmailVerified(e.ctx, ada.Identity.ID, "ada@example.com")
		e.must(err)
		got, err := e.accounts.ClaimGuests(e.ctx, ada.Identity.ID)
		e.must(err)
		e.same(1, len(got.GuestIDs))
	}},
}
