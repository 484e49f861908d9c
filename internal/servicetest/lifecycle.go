package servicetest

import (
	"strings"
	"sync"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// lifecycleTests cover soft deletes and restores of addresses and of auth
// and provider identities, deletes by filter, addresses with their
// customer, membership lists, caller-chosen ids and provider identity
// counts.
var lifecycleTests = []test{
	{"Address/SoftDeleteAndRestore", func(e *env) {
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{
			{Address1: "Home", IsDefaultShipping: true, IsDefaultBilling: true}, {Address1: "Work"},
		}})
		home, work := c.Addresses[0], c.Addresses[1]
		e.events.Reset()
		gone, err := e.addresses.SoftDelete(e.ctx, home.ID, "cuaddr_unknown", home.ID)
		e.must(err)
		e.same([]string{home.ID}, gone)
		e.same([]event.Event{{Name: address.EventDeleted, Data: map[string]any{"id": home.ID, "customer_id": c.ID}}}, e.events.Events())
		// Out of lists and retrieves, and no default any more.
		list, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, store.ListOptions{})
		e.must(err)
		e.same([]string{work.ID}, addressIDs(list))
		_, err = e.addresses.Retrieve(e.ctx, home.ID, store.FindOptions{})
		e.wantNotFound(err, address.ErrNotFound, home.ID)
		withAddr, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{Relations: []string{customer.RelAddresses}})
		e.must(err)
		e.same([]string{work.ID}, addressIDs(withAddr.Addresses))
		got, err := e.addresses.Retrieve(e.ctx, home.ID, store.FindOptions{WithDeleted: true})
		e.must(err)
		if got.DeletedAt == nil || got.IsDefaultShipping || got.IsDefaultBilling {
			e.t.Fatalf("soft-deleted address %+v", got)
		}
		n, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(2, len(n))
		ship, bill := e.defaults(c.ID)
		e.same([]string(nil), ship)
		e.same([]string(nil), bill)
		// A second soft delete changes nothing.
		again, err := e.addresses.SoftDelete(e.ctx, home.ID)
		e.must(err)
		e.same([]string{}, again)
		// A new default meanwhile; the restored address comes back plain.
		office := e.address(address.CreateParams{CustomerID: c.ID, Address1: "Office", IsDefaultShipping: true})
		e.events.Reset()
		back, err := e.addresses.Restore(e.ctx, home.ID, "cuaddr_unknown", work.ID)
		e.must(err)
		e.same([]string{home.ID}, back)
		e.same([]event.Event{{Name: address.EventRestored, Data: map[string]any{"id": home.ID, "customer_id": c.ID}}}, e.events.Events())
		got, err = e.addresses.Retrieve(e.ctx, home.ID, store.FindOptions{})
		e.must(err)
		if got.DeletedAt != nil || got.IsDefaultShipping || got.IsDefaultBilling || got.Address1 != "Home" {
			e.t.Fatalf("restored address %+v", got)
		}
		ship, bill = e.defaults(c.ID)
		e.same([]string{office.ID}, ship)
		e.same([]string(nil), bill)
		again, err = e.addresses.Restore(e.ctx, home.ID)
		e.must(err)
		e.same([]string{}, again)
		// Nothing to do, bad ids.
		none, err := e.addresses.SoftDelete(e.ctx)
		e.must(err)
		e.same([]string{}, none)
		_, err = e.addresses.SoftDelete(e.ctx, "cuaddr_\x00")
		e.wantInvalid(err, "ids[0]", address.ErrInvalid)
		_, err = e.addresses.Restore(e.ctx, "cuaddr_\xff")
		e.wantInvalid(err, "ids[0]", address.ErrInvalid)
	}},
	{"Address/RestoreKeepsAFlagNobodyTook", func(e *env) {
		// An address soft-deleted with its flags (by Medusa, or an older
		// clientele) gets them back when no live address holds them.
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{Address1: "Home", IsDefaultShipping: true, IsDefaultBilling: true}}})
		a := c.Addresses[0]
		gone := *a
		gone.DeletedAt = ptr(a.CreatedAt)
		e.must(e.st.UpdateAddresses(e.ctx, []*address.Address{&gone}))
		back, err := e.addresses.Restore(e.ctx, a.ID)
		e.must(err)
		e.same([]string{a.ID}, back)
		ship, bill := e.defaults(c.ID)
		e.same([]string{a.ID}, ship)
		e.same([]string{a.ID}, bill)
	}},
	{"Address/CustomerRestoreKeepsDefaults", func(e *env) {
		// A customer's soft delete takes its addresses along with their
		// flags, and its restore brings both back.
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{Address1: "Home", IsDefaultShipping: true}, {Address1: "Work"}}})
		_, err := e.customers.SoftDelete(e.ctx, c.ID)
		e.must(err)
		// Not one by one, while the customer is deleted.
		before := e.snapshot()
		_, err = e.addresses.Restore(e.ctx, c.Addresses[1].ID)
		e.wantNotFound(err, address.ErrNotFound, c.ID)
		e.unchanged(before)
		_, err = e.customers.Restore(e.ctx, c.ID)
		e.must(err)
		ship, _ := e.defaults(c.ID)
		e.same([]string{c.Addresses[0].ID}, ship)
	}},
	{"Address/DeleteWhere", func(e *env) {
		a := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{Address1: "a1", City: "Paris"}, {Address1: "a2", City: "Lyon"}}})
		b := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{Address1: "b1", City: "Paris"}}})
		_, err := e.addresses.SoftDelete(e.ctx, a.Addresses[1].ID)
		e.must(err)
		e.events.Reset()
		// Nothing matching is no error.
		e.must(e.addresses.DeleteWhere(e.ctx, address.Filter{City: store.Eq("Nowhere")}))
		e.same(0, len(e.events.Events()))
		// Soft-deleted addresses match too.
		e.must(e.addresses.DeleteWhere(e.ctx, address.Filter{CustomerIDs: []string{a.ID}}))
		left, err := e.addresses.List(e.ctx, address.Filter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same([]string{b.Addresses[0].ID}, addressIDs(left))
		e.same([]string{address.EventDeleted, address.EventDeleted}, eventNames(e.events.Events()))
		e.must(e.addresses.DeleteWhere(e.ctx, address.Filter{City: store.Eq("Paris"), Q: "b1"}))
		left, err = e.addresses.List(e.ctx, address.Filter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(0, len(left))
		err = e.addresses.DeleteWhere(e.ctx, address.Filter{City: store.Eq("a\x00")})
		e.wantInvalid(err, "city[0]", address.ErrInvalid)
	}},
	{"Address/WithCustomer", func(e *env) {
		ada := e.customer(customer.CreateParams{Email: "ada@example.com", Addresses: []address.CreateParams{{Address1: "a1"}, {Address1: "a2"}}})
		bob := e.customer(customer.CreateParams{Email: "bob@example.com", Addresses: []address.CreateParams{{Address1: "b1"}}})
		got, err := e.customers.RetrieveAddress(e.ctx, ada.Addresses[1].ID, store.FindOptions{Relations: []string{customer.RelCustomer}})
		e.must(err)
		e.same(ada.Addresses[1], got.Address)
		e.same("ada@example.com", got.Customer.Email)
		e.same([]*address.Address(nil), got.Customer.Addresses)
		list, err := e.customers.ListAddresses(e.ctx, address.Filter{}, store.ListOptions{})
		e.must(err)
		var owners []string
		for _, a := range list {
			owners = append(owners, a.Customer.ID)
		}
		e.same([]string{ada.ID, ada.ID, bob.ID}, owners)
		// Each address has a copy of its own.
		list[0].Customer.Metadata = map[string]any{"changed": true}
		if list[1].Customer.Metadata != nil {
			e.t.Fatal("two addresses share one customer value")
		}
		page, n, err := e.customers.ListAndCountAddresses(e.ctx, address.Filter{}, store.ListOptions{Take: 1, Order: []store.Order{store.Desc("address_1")}})
		e.must(err)
		e.same(3, n)
		e.same("b1", page[0].Address1)
		e.same(bob.ID, page[0].Customer.ID)
		// A soft-deleted customer's address: only with deleted rows, and
		// its customer with them.
		_, err = e.customers.SoftDelete(e.ctx, bob.ID)
		e.must(err)
		_, err = e.customers.RetrieveAddress(e.ctx, bob.Addresses[0].ID, store.FindOptions{})
		e.wantNotFound(err, address.ErrNotFound, bob.Addresses[0].ID)
		got, err = e.customers.RetrieveAddress(e.ctx, bob.Addresses[0].ID, store.FindOptions{WithDeleted: true})
		e.must(err)
		if got.Customer == nil || got.Customer.DeletedAt == nil {
			e.t.Fatalf("customer of a soft-deleted customer's address: %+v", got.Customer)
		}
		_, err = e.customers.RetrieveAddress(e.ctx, ada.Addresses[0].ID, store.FindOptions{Relations: []string{"groups"}})
		e.wantInvalid(err, "relations", customer.ErrInvalid)
		_, err = e.customers.ListAddresses(e.ctx, address.Filter{}, store.ListOptions{Relations: []string{"addresses"}})
		e.wantInvalid(err, "relations", customer.ErrInvalid)
		_, err = e.customers.ListAddresses(e.ctx, address.Filter{}, store.ListOptions{Order: []store.Order{store.Asc("customer")}})
		e.wantInvalid(err, "order", address.ErrInvalid)
	}},
	{"Concurrency/SoftDeleteAndNewDefaults", func(e *env) {
		// Soft deletes and new defaults of one customer's addresses, all
		// at once: in the end the customer has at most one default of each
		// kind, and it is a live address.
		c := e.customer(customer.CreateParams{})
		var as []*address.Address
		for i := range 8 {
			as = append(as, e.address(address.CreateParams{CustomerID: c.ID, Address1: "street " + string(rune('a'+i))}))
		}
		var wg sync.WaitGroup
		for i, a := range as {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					_, err = e.addresses.Update(e.ctx, a.ID, address.UpdateParams{IsDefaultShipping: ptr(true), IsDefaultBilling: ptr(true)})
				} else {
					_, err = e.addresses.SoftDelete(e.ctx, as[i-1].ID, a.ID)
				}
				if err != nil && !strings.Contains(err.Error(), "was not found") {
					e.t.Error(err)
				}
			})
		}
		wg.Wait()
		all, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, store.ListOptions{WithDeleted: true})
		e.must(err)
		ship, bill := 0, 0
		for _, a := range all {
			if a.DeletedAt != nil && (a.IsDefaultShipping || a.IsDefaultBilling) {
				e.t.Fatalf("a soft-deleted default: %+v", a)
			}
			if a.IsDefaultShipping {
				ship++
			}
			if a.IsDefaultBilling {
				bill++
			}
		}
		if ship > 1 || bill > 1 {
			e.t.Fatalf("%d default shipping and %d default billing addresses", ship, bill)
		}
	}},
	{"Group/ListMemberships", func(e *env) {
		ada := e.customer(customer.CreateParams{Email: "ada@example.com"})
		bob := e.customer(customer.CreateParams{Email: "bob@example.com"})
		vip, gold := e.group("VIP"), e.group("Gold")
		mids, err := e.groups.Add(e.ctx, group.Pair{CustomerID: ada.ID, GroupID: vip.ID}, group.Pair{CustomerID: bob.ID, GroupID: vip.ID},
			group.Pair{CustomerID: ada.ID, GroupID: gold.ID})
		e.must(err)
		list, err := e.groups.ListMemberships(e.ctx, group.MembershipFilter{CustomerIDs: []string{ada.ID}}, store.ListOptions{})
		e.must(err)
		e.same(2, len(list))
		for _, m := range list {
			if m.CustomerID != ada.ID {
				e.t.Fatalf("membership %+v", m)
			}
		}
		list, n, err := e.groups.ListAndCountMemberships(e.ctx, group.MembershipFilter{GroupIDs: []string{vip.ID}}, store.ListOptions{Take: 1})
		e.must(err)
		e.same(2, n)
		e.same(1, len(list))
		// The memberships of a soft-deleted customer stay, as in Medusa.
		_, err = e.customers.SoftDelete(e.ctx, bob.ID)
		e.must(err)
		list, n, err = e.groups.ListAndCountMemberships(e.ctx, group.MembershipFilter{CustomerIDs: []string{bob.ID}}, store.ListOptions{})
		e.must(err)
		e.same(1, n)
		e.same(mids[1], list[0].ID)
		m, err := e.groups.RetrieveMembership(e.ctx, mids[2], store.FindOptions{})
		e.must(err)
		e.same(group.Pair{CustomerID: ada.ID, GroupID: gold.ID}, group.Pair{CustomerID: m.CustomerID, GroupID: m.GroupID})
		_, err = e.groups.RetrieveMembership(e.ctx, "cusgc_missing", store.FindOptions{})
		e.wantNotFound(err, group.ErrNotFound, "cusgc_missing")
		e.wantMessage(err, "CustomerGroupCustomer with id: cusgc_missing was not found")
		_, err = e.groups.RetrieveMembership(e.ctx, "", store.FindOptions{})
		e.wantInvalid(err, "id", group.ErrInvalid)
		e.must(e.groups.Remove(e.ctx, group.Pair{CustomerID: ada.ID, GroupID: gold.ID}))
		_, err = e.groups.RetrieveMembership(e.ctx, mids[2], store.FindOptions{WithDeleted: true})
		e.wantNotFound(err, group.ErrNotFound, mids[2])
		_, err = e.groups.ListMemberships(e.ctx, group.MembershipFilter{}, store.ListOptions{Order: []store.Order{store.Asc("name")}})
		e.wantInvalid(err, "order", group.ErrInvalid)
		_, err = e.groups.ListMemberships(e.ctx, group.MembershipFilter{GroupIDs: []string{"x\x00"}}, store.ListOptions{})
		e.wantInvalid(err, "group_ids[0]", group.ErrInvalid)
		_, err = e.groups.ListMemberships(e.ctx, group.MembershipFilter{}, store.ListOptions{Relations: []string{"customer"}})
		e.wantInvalid(err, "relations", group.ErrInvalid)
	}},
	{"Auth/SoftDeleteAndRestoreIdentity", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		pi := a.ProviderIdentities[0]
		tok := e.login("ada@example.com", "correct horse")
		// A second way in: a magic link to the same email.
		magic, err := e.auth.CreateProviderIdentity(e.ctx, a.ID, auth.NewProviderIdentity{Provider: "magic", EntityID: "ada@example.com"})
		e.must(err)
		_, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": e.magicCode("ada@example.com")}})
		e.must(err)
		e.events.Reset()
		res, err := e.auth.SoftDeleteAuthIdentities(e.ctx, a.ID, "authid_unknown", a.ID)
		e.must(err)
		e.same(auth.Deleted{AuthIdentityIDs: []string{a.ID}, ProviderIdentityIDs: []string{pi.ID, magic.ID}}, res)
		e.same([]event.Event{
			{Name: auth.EventIdentityDeleted, Data: map[string]any{"id": a.ID}},
			{Name: auth.EventProviderIdentityDeleted, Data: map[string]any{"id": pi.ID, "auth_identity_id": a.ID, "provider": emailpass.ID}},
			{Name: auth.EventProviderIdentityDeleted, Data: map[string]any{"id": magic.ID, "auth_identity_id": a.ID, "provider": "magic"}},
		}, e.events.Events())
		// Neither way in works, and no new identity is made for the email.
		_, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": e.magicCode("ada@example.com")}})
		e.wantErr(err, auth.ErrConflict)
		// No login, no token, no identity, except with deleted rows.
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.wantProviderError(err, auth.ErrUnauthorized, "Invalid email or password")
		e.verifies(e.auth, tok, false)
		_, err = e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.wantNotFound(err, auth.ErrNotFound, a.ID)
		got, err := e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{WithDeleted: true})
		e.must(err)
		if got.DeletedAt == nil || len(got.ProviderIdentities) != 2 || got.ProviderIdentities[0].DeletedAt == nil {
			e.t.Fatalf("soft-deleted identity %+v", got)
		}
		noPassword(e, got)
		pis, err := e.auth.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{AuthIdentityIDs: []string{a.ID}}, store.ListOptions{})
		e.must(err)
		e.same(0, len(pis))
		// The email stays taken (Medusa's unique index counts deleted rows).
		_, err = e.auth.Register(e.ctx, emailpass.ID, creds("ada@example.com", "another one"))
		e.wantErr(err, auth.ErrConflict)
		again, err := e.auth.SoftDeleteAuthIdentities(e.ctx, a.ID)
		e.must(err)
		e.same(auth.Deleted{AuthIdentityIDs: []string{}, ProviderIdentityIDs: []string{}}, again)
		// Restore brings both back; tokens issued before stay revoked.
		e.events.Reset()
		res, err = e.auth.RestoreAuthIdentities(e.ctx, a.ID)
		e.must(err)
		e.same(auth.Deleted{AuthIdentityIDs: []string{a.ID}, ProviderIdentityIDs: []string{pi.ID, magic.ID}}, res)
		e.same([]string{auth.EventIdentityRestored, auth.EventProviderIdentityRestored, auth.EventProviderIdentityRestored}, eventNames(e.events.Events()))
		fresh := e.login("ada@example.com", "correct horse")
		e.verifies(e.auth, fresh, true)
		e.verifies(e.auth, tok, false)
		got, err = e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		e.same(pi.ID, got.ProviderIdentities[0].ID)
		_, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": e.magicCode("ada@example.com")}})
		e.must(err)
		again, err = e.auth.RestoreAuthIdentities(e.ctx, a.ID)
		e.must(err)
		e.same(auth.Deleted{AuthIdentityIDs: []string{}, ProviderIdentityIDs: []string{}}, again)
		_, err = e.auth.SoftDeleteAuthIdentities(e.ctx, "authid_\x00")
		e.wantInvalid(err, "ids[0]", auth.ErrInvalid)
	}},
	{"Auth/SoftDeleteProviderIdentity", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		magic, err := e.auth.CreateProviderIdentity(e.ctx, a.ID, auth.NewProviderIdentity{Provider: "magic", EntityID: "ada@example.com"})
		e.must(err)
		pass := a.ProviderIdentities[0]
		tok := e.login("ada@example.com", "correct horse")
		e.events.Reset()
		gone, err := e.auth.SoftDeleteProviderIdentities(e.ctx, pass.ID, "01UNKNOWN")
		e.must(err)
		e.same([]string{pass.ID}, gone)
		e.same([]event.Event{{Name: auth.EventProviderIdentityDeleted, Data: map[string]any{"id": pass.ID, "auth_identity_id": a.ID, "provider": emailpass.ID}}}, e.events.Events())
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.wantErr(err, auth.ErrUnauthorized)
		// The identity keeps its other login and its tokens.
		got, err := e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		e.same([]string{magic.ID}, []string{got.ProviderIdentities[0].ID})
		e.same(1, len(got.ProviderIdentities))
		e.verifies(e.auth, tok, true)
		back, err := e.auth.RestoreProviderIdentities(e.ctx, pass.ID, magic.ID)
		e.must(err)
		e.same([]string{pass.ID}, back)
		e.login("ada@example.com", "correct horse")
		// A provider identity of a soft-deleted identity comes back only
		// with it; an identity's restore brings back the provider
		// identities soft-deleted on their own before, as in Medusa.
		_, err = e.auth.SoftDeleteProviderIdentities(e.ctx, magic.ID)
		e.must(err)
		_, err = e.auth.SoftDeleteAuthIdentities(e.ctx, a.ID)
		e.must(err)
		before := e.snapshot()
		_, err = e.auth.RestoreProviderIdentities(e.ctx, pass.ID)
		e.wantNotFound(err, auth.ErrNotFound, a.ID)
		e.unchanged(before)
		res, err := e.auth.RestoreAuthIdentities(e.ctx, a.ID)
		e.must(err)
		e.same([]string{pass.ID, magic.ID}, sortedIDs(res.ProviderIdentityIDs, pass.ID, magic.ID))
	}},
	{"Auth/CallerChosenIDs", func(e *env) {
		a, err := e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{
			ID:                 "legacy-user-42",
			ProviderIdentities: []auth.NewProviderIdentity{{ID: "legacy-login-42", Provider: "manual", EntityID: "u42"}, {Provider: "other", EntityID: "u42"}},
		})
		e.must(err)
		e.same("legacy-user-42", a.ID)
		e.same("legacy-login-42", a.ProviderIdentities[0].ID)
		if len(a.ProviderIdentities[1].ID) != 26 {
			e.t.Fatalf("generated provider identity id %q", a.ProviderIdentities[1].ID)
		}
		got, err := e.auth.RetrieveAuthIdentity(e.ctx, "legacy-user-42", store.FindOptions{})
		e.must(err)
		e.same(a.ID, got.ID)
		pi, err := e.auth.CreateProviderIdentity(e.ctx, a.ID, auth.NewProviderIdentity{ID: "gh-7", Provider: "github", EntityID: "7"})
		e.must(err)
		e.same("gh-7", pi.ID)
		before := e.snapshot()
		_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ID: "legacy-user-42"})
		e.wantErr(err, auth.ErrConflict, store.ErrConflict)
		e.wantMessage(err, "Auth identity with id: legacy-user-42, already exists.")
		_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{{ID: "gh-7", Provider: "x", EntityID: "y"}}})
		e.wantErr(err, auth.ErrConflict)
		_, err = e.auth.CreateProviderIdentity(e.ctx, a.ID, auth.NewProviderIdentity{ID: "legacy-login-42", Provider: "y", EntityID: "z"})
		e.wantErr(err, auth.ErrConflict)
		e.wantMessage(err, "Provider identity with id: legacy-login-42, already exists.")
		for _, bad := range []string{" ", "\t", "a\x00b", "a\xffb", " lead", "trail ", "new\nline", "bell\a", strings.Repeat("x", auth.MaxIDLength+1)} {
			_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ID: bad})
			e.wantInvalid(err, "id", auth.ErrInvalid)
			_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{{ID: bad, Provider: "p", EntityID: "e"}}})
			e.wantInvalid(err, "provider_identities[0].id", auth.ErrInvalid)
			_, err = e.auth.CreateProviderIdentity(e.ctx, a.ID, auth.NewProviderIdentity{ID: bad, Provider: "p", EntityID: "e"})
			e.wantInvalid(err, "id", auth.ErrInvalid)
		}
		e.unchanged(before)
		// The longest id accepted, in any script.
		long := strings.Repeat("é", auth.MaxIDLength/2)
		_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ID: long})
		e.must(err)
	}},
	{"Auth/ListAndCountProviderIdentities", func(e *env) {
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			e.register(email, "correct horse")
		}
		page, n, err := e.auth.ListAndCountProviderIdentities(e.ctx, auth.ProviderIdentityFilter{Providers: []string{emailpass.ID}},
			store.ListOptions{Take: 2, Skip: 1, Order: []store.Order{store.Desc("created_at")}})
		e.must(err)
		e.same(3, n)
		e.same(2, len(page))
		for _, p := range page {
			if _, has := p.ProviderMetadata["password"]; has {
				e.t.Fatal("a password hash left the service")
			}
		}
		all, n, err := e.auth.ListAndCountProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{"b@example.com"}}, store.ListOptions{})
		e.must(err)
		e.same(1, n)
		e.same("b@example.com", all[0].EntityID)
		_, err = e.auth.SoftDeleteProviderIdentities(e.ctx, all[0].ID)
		e.must(err)
		_, n, err = e.auth.ListAndCountProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{Take: 1})
		e.must(err)
		e.same(2, n)
		_, n, err = e.auth.ListAndCountProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{Take: 1, WithDeleted: true})
		e.must(err)
		e.same(3, n)
		_, _, err = e.auth.ListAndCountProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{Order: []store.Order{store.Asc("entity_id")}})
		e.wantErr(err, auth.ErrInvalid)
		_, _, err = e.auth.ListAndCountProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{"\x00"}}, store.ListOptions{})
		e.wantInvalid(err, "entity_ids[0]", auth.ErrInvalid)
	}},
}

// sortedIDs returns got in the order of want when it holds the same ids.
func sortedIDs(got []string, want ...string) []string {
	if len(got) != len(want) {
		return got
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return got
		}
	}
	return want
}
