package servicetest

import (
	"strings"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// Strings no backend may receive: a NUL byte (PostgreSQL refuses it in
// text and jsonb) and invalid UTF-8.
var badStrings = []struct{ name, s string }{
	{"NUL", "ada\x00@example.com"},
	{"InvalidUTF8", "ada\xff\xfe"},
}

var boundsTests = []test{
	{"Bounds/CustomerStrings", func(e *env) {
		c := e.customer(customer.CreateParams{Email: "ada@example.com", FirstName: "Ada"})
		before := e.snapshot()
		for _, bad := range badStrings {
			_, err := e.customers.Create(e.ctx, customer.CreateParams{Email: bad.s})
			e.wantInvalid(err, "email", customer.ErrInvalid)
			_, err = e.customers.Create(e.ctx, customer.CreateParams{FirstName: bad.s})
			e.wantInvalid(err, "first_name", customer.ErrInvalid)
			_, err = e.customers.CreateMany(e.ctx, []customer.CreateParams{{}, {Metadata: map[string]any{"k": bad.s}}})
			e.wantInvalid(err, "[1].metadata.k", customer.ErrInvalid)
			_, err = e.customers.Create(e.ctx, customer.CreateParams{Metadata: map[string]any{bad.s: "v"}})
			e.wantInvalid(err, "metadata", customer.ErrInvalid)
			_, err = e.customers.Create(e.ctx, customer.CreateParams{Metadata: map[string]any{"k": []any{"ok", map[string]any{"n": bad.s}}}})
			e.wantInvalid(err, "metadata.k[1].n", customer.ErrInvalid)
			_, err = e.customers.Create(e.ctx, customer.CreateParams{Addresses: []address.CreateParams{{City: "Paris"}, {Address1: bad.s}}})
			e.wantInvalid(err, "addresses[1].address_1", customer.ErrInvalid)
			_, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{LastName: ptr(bad.s)})
			e.wantInvalid(err, "last_name", customer.ErrInvalid)
			_, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{Email: ptr(bad.s)})
			e.wantInvalid(err, "email", customer.ErrInvalid)
			_, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{Metadata: map[string]any{"k": bad.s}})
			e.wantInvalid(err, "metadata.k", customer.ErrInvalid)
			_, err = e.customers.Update(e.ctx, bad.s, customer.UpdateParams{FirstName: ptr("x")})
			e.wantInvalid(err, "ids[0]", customer.ErrInvalid)
			_, err = e.customers.Retrieve(e.ctx, bad.s, store.FindOptions{})
			e.wantInvalid(err, "id", customer.ErrInvalid)
			_, err = e.customers.SoftDelete(e.ctx, bad.s)
			e.wantInvalid(err, "ids[0]", customer.ErrInvalid)
			e.wantInvalid(e.customers.Delete(e.ctx, bad.s), "ids[0]", customer.ErrInvalid)
			// Filters.
			for _, f := range []struct {
				field string
				f     customer.Filter
			}{
				{"q", customer.Filter{Q: bad.s}},
				{"emails[0]", customer.Filter{Emails: []string{bad.s}}},
				{"ids[1]", customer.Filter{IDs: []string{c.ID, bad.s}}},
				{"first_name[0]", customer.Filter{FirstName: store.Eq(bad.s)}},
				{"group_ids[0]", customer.Filter{GroupIDs: []string{bad.s}}},
			} {
				_, err = e.customers.List(e.ctx, f.f, store.ListOptions{})
				e.wantInvalid(err, f.field, customer.ErrInvalid)
				_, _, err = e.customers.ListAndCount(e.ctx, f.f, store.ListOptions{})
				e.wantInvalid(err, f.field, customer.ErrInvalid)
				_, err = e.customers.UpdateWhere(e.ctx, f.f, customer.UpdateParams{FirstName: ptr("x")})
				e.wantInvalid(err, f.field, customer.ErrInvalid)
				e.wantInvalid(e.customers.DeleteWhere(e.ctx, f.f), f.field, customer.ErrInvalid)
			}
		}
		e.unchanged(before)
		// Other control characters and any valid UTF-8 are fine.
		got := e.customer(customer.CreateParams{FirstName: "Zoë\t\u200b😀", Metadata: map[string]any{"ключ": "値"}})
		e.same("Zoë\t\u200b😀", got.FirstName)
	}},
	{"Bounds/AddressAndGroupStrings", func(e *env) {
		c := e.customer(customer.CreateParams{Email: "ada@example.com"})
		a := e.address(address.CreateParams{CustomerID: c.ID, City: "Paris"})
		g := e.group("vip")
		before := e.snapshot()
		for _, bad := range badStrings {
			_, err := e.addresses.Create(e.ctx, address.CreateParams{CustomerID: c.ID, City: bad.s})
			e.wantInvalid(err, "city", address.ErrInvalid)
			_, err = e.addresses.Create(e.ctx, address.CreateParams{CustomerID: bad.s})
			e.wantInvalid(err, "customer_id", address.ErrInvalid)
			_, err = e.addresses.Update(e.ctx, a.ID, address.UpdateParams{PostalCode: ptr(bad.s)})
			e.wantInvalid(err, "postal_code", address.ErrInvalid)
			_, err = e.addresses.Update(e.ctx, a.ID, address.UpdateParams{Metadata: map[string]any{bad.s: 1}})
			e.wantInvalid(err, "metadata", address.ErrInvalid)
			_, err = e.addresses.Retrieve(e.ctx, bad.s, store.FindOptions{})
			e.wantInvalid(err, "id", address.ErrInvalid)
			e.wantInvalid(e.addresses.Delete(e.ctx, bad.s), "ids[0]", address.ErrInvalid)
			_, err = e.addresses.List(e.ctx, address.Filter{City: store.Eq(bad.s)}, store.ListOptions{})
			e.wantInvalid(err, "city[0]", address.ErrInvalid)
			_, err = e.addresses.List(e.ctx, address.Filter{CountryCodes: []string{bad.s}}, store.ListOptions{})
			e.wantInvalid(err, "country_codes[0]", address.ErrInvalid)
			_, _, err = e.addresses.ListAndCount(e.ctx, address.Filter{Q: bad.s}, store.ListOptions{})
			e.wantInvalid(err, "q", address.ErrInvalid)

			_, err = e.groups.Create(e.ctx, group.CreateParams{Name: bad.s})
			e.wantInvalid(err, "name", group.ErrInvalid)
			_, err = e.groups.CreateMany(e.ctx, []group.CreateParams{{Name: "a"}, {Name: "b", CreatedBy: bad.s}})
			e.wantInvalid(err, "[1].created_by", group.ErrInvalid)
			_, err = e.groups.Update(e.ctx, g.ID, group.UpdateParams{Name: ptr(bad.s)})
			e.wantInvalid(err, "name", group.ErrInvalid)
			_, err = e.groups.Retrieve(e.ctx, bad.s, store.FindOptions{})
			e.wantInvalid(err, "id", group.ErrInvalid)
			_, err = e.groups.List(e.ctx, group.Filter{Names: []string{bad.s}}, store.ListOptions{})
			e.wantInvalid(err, "names[0]", group.ErrInvalid)
			_, err = e.groups.SoftDelete(e.ctx, bad.s)
			e.wantInvalid(err, "ids[0]", group.ErrInvalid)
			_, err = e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: bad.s})
			e.wantInvalid(err, "[0].group_id", group.ErrInvalid)
			e.wantInvalid(e.groups.Remove(e.ctx, group.Pair{CustomerID: bad.s, GroupID: g.ID}), "[0].customer_id", group.ErrInvalid)
		}
		e.unchanged(before)
	}},
	{"Bounds/SearchLimits", func(e *env) {
		c := e.customer(customer.CreateParams{Email: "ada@example.com", FirstName: "Ada"})
		e.address(address.CreateParams{CustomerID: c.ID, City: "Paris"})
		e.group("vip")
		words := func(n int) string { return strings.TrimSpace(strings.Repeat("a ", n)) }
		// At the bounds: answered.
		got, err := e.customers.List(e.ctx, customer.Filter{Q: words(8)}, store.ListOptions{})
		e.must(err)
		e.same(1, len(got))
		for _, q := range []string{words(8), strings.Repeat("a", 256)} {
			_, err := e.customers.List(e.ctx, customer.Filter{Q: q}, store.ListOptions{})
			e.must(err)
			_, err = e.addresses.List(e.ctx, address.Filter{Q: q}, store.ListOptions{})
			e.must(err)
			_, err = e.groups.List(e.ctx, group.Filter{Q: q}, store.ListOptions{})
			e.must(err)
		}
		// Over them: refused before the store plans anything.
		for _, q := range []string{words(9), words(1000), strings.Repeat("a", 257)} {
			_, err := e.customers.List(e.ctx, customer.Filter{Q: q}, store.ListOptions{})
			e.wantInvalid(err, "q", customer.ErrInvalid)
			_, _, err = e.customers.ListAndCount(e.ctx, customer.Filter{Q: q}, store.ListOptions{})
			e.wantInvalid(err, "q", customer.ErrInvalid)
			e.wantInvalid(e.customers.DeleteWhere(e.ctx, customer.Filter{Q: q}), "q", customer.ErrInvalid)
			_, _, err = e.addresses.ListAndCount(e.ctx, address.Filter{Q: q}, store.ListOptions{})
			e.wantInvalid(err, "q", address.ErrInvalid)
			_, err = e.groups.List(e.ctx, group.Filter{Q: q}, store.ListOptions{})
			e.wantInvalid(err, "q", group.ErrInvalid)
		}
		_, err = e.customers.List(e.ctx, customer.Filter{Q: words(9)}, store.ListOptions{})
		e.wantMessage(err, "invalid q: must have at most 8 words, got 9")
		// Configurable: tighter, and lifted.
		tight := newCustomers(e.t, e.st, customer.WithSearchLimits(2, 10))
		_, err = tight.List(e.ctx, customer.Filter{Q: "a d a"}, store.ListOptions{})
		e.wantInvalid(err, "q", customer.ErrInvalid)
		_, err = tight.List(e.ctx, customer.Filter{Q: "adaaaaaaaaa"}, store.ListOptions{})
		e.wantInvalid(err, "q", customer.ErrInvalid)
		loose := newCustomers(e.t, e.st, customer.WithSearchLimits(-1, -1))
		got, err = loose.List(e.ctx, customer.Filter{Q: words(20)}, store.ListOptions{})
		e.must(err)
		e.same(1, len(got))
		addrs := newAddresses(e.t, e.st, address.WithSearchLimits(1, 0))
		_, err = addrs.List(e.ctx, address.Filter{Q: "pa ris"}, store.ListOptions{})
		e.wantInvalid(err, "q", address.ErrInvalid)
		groups := newGroups(e.t, e.st, group.WithSearchLimits(1, 0))
		_, err = groups.List(e.ctx, group.Filter{Q: "v ip"}, store.ListOptions{})
		e.wantInvalid(err, "q", group.ErrInvalid)
	}},
	{"Bounds/Credentials", func(e *env) {
		e.register("ada@example.com", "correct horse")
		before := e.snapshot()
		for _, tc := range []struct{ email, password, field string }{
			{"ada\x00@example.com", "correct horse", "email"},
			{"ada@example.com\x00", "correct horse", "email"},
			{"ada\xff@example.com", "correct horse", "email"},
			{"ada@example.com", "correct horse\x00", "password"},
			{"ada@example.com", "correct \xffhorse", "password"},
		} {
			for what, call := range map[string]func() error{
				"login": func() error {
					_, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds(tc.email, tc.password))
					return err
				},
				"register": func() error {
					_, err := e.auth.Register(e.ctx, emailpass.ID, creds(tc.email, tc.password))
					return err
				},
			} {
				err := call()
				e.wantErr(err, store.ErrInvalid)
				if msg, ok := store.PublicMessage(err); !ok || !strings.HasPrefix(msg, "invalid "+tc.field+": ") {
					e.t.Fatalf("%s with a bad %s: public message %q, want one naming the field", what, tc.field, msg)
				}
			}
		}
		// A reset request and a provider lookup with such an id.
		err := e.auth.RequestPasswordReset(e.ctx, auth.ActorCustomer, emailpass.ID, "ada\x00@example.com", nil)
		e.wantErr(err, store.ErrInvalid)
		_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{AppMetadata: map[string]any{"k": "\x00"}})
		e.wantInvalid(err, "app_metadata.k", auth.ErrInvalid)
		_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{{Provider: "p", EntityID: "x\x00"}}})
		e.wantInvalid(err, "provider_identities[0].entity_id", auth.ErrInvalid)
		// Updates of a provider identity: by the host, and by a provider
		// whose identity provider sends a NUL in a returning login.
		pis, err := e.auth.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{"ada@example.com"}}, store.ListOptions{})
		e.must(err)
		_, err = e.auth.UpdateProviderIdentity(e.ctx, pis[0].ID, auth.ProviderIdentityUpdate{UserMetadata: map[string]any{"name": "A\x00"}})
		e.wantInvalid(err, "user_metadata.name", auth.ErrInvalid)
		bad := "x\x00"
		_, err = e.auth.UpdateProviderIdentity(e.ctx, pis[0].ID, auth.ProviderIdentityUpdate{EntityID: &bad})
		e.wantInvalid(err, "entity_id", auth.ErrInvalid)
		e.unchanged(before)
		// The account still logs in.
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.must(err)
	}},
}
