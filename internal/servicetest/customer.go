package servicetest

import (
	"errors"
	"math"
	"strings"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

var customerTests = []test{
	{"Customer/CreateRoundTrip", func(e *env) {
		c := e.customer(customer.CreateParams{
			CompanyName: "Acme", FirstName: "John", LastName: "Doe", Email: "john.doe@acmecorp.com",
			Phone: "123456789", CreatedBy: "admin", Metadata: map[string]any{"membership": "gold", "n": 1},
		})
		if !strings.HasPrefix(c.ID, "cus_") || len(c.ID) != len("cus_")+26 {
			e.t.Fatalf("id %q is not cus_ + ULID", c.ID)
		}
		if c.CreatedAt.IsZero() || !c.CreatedAt.Equal(c.UpdatedAt) || c.DeletedAt != nil {
			e.t.Fatalf("timestamps: %v %v %v", c.CreatedAt, c.UpdatedAt, c.DeletedAt)
		}
		got, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{})
		e.must(err)
		c.Addresses = nil
		e.same(c, got)
		e.same(map[string]any{"membership": "gold", "n": float64(1)}, got.Metadata)
		if got.HasAccount {
			e.t.Fatal("has_account defaults to false")
		}
	}},
	{"Customer/CreateEmpty", func(e *env) {
		c := e.customer(customer.CreateParams{})
		got, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{})
		e.must(err)
		if got.Email != "" || got.Metadata != nil || got.FirstName != "" {
			e.t.Fatalf("empty customer read back as %+v", got)
		}
	}},
	{"Customer/EmailNormalised", func(e *env) {
		c := e.customer(customer.CreateParams{Email: "  Alice@Example.COM "})
		e.same("alice@example.com", c.Email)
		got, err := e.customers.List(e.ctx, customer.Filter{Emails: []string{"ALICE@example.com"}}, store.ListOptions{})
		e.must(err)
		e.same([]string{c.ID}, customerIDs(got))
	}},
	{"Customer/InvalidEmail", func(e *env) {
		before := e.snapshot()
		for _, bad := range []string{"not-an-email", "a@b", "John <john@x.com>", "a b@x.com", "@x.com", "a@@x.com"} {
			_, err := e.customers.Create(e.ctx, customer.CreateParams{Email: bad})
			e.wantInvalid(err, "email", customer.ErrInvalid)
		}
		e.unchanged(before)
	}},
	{"Customer/GuestAndRegisteredShareEmail", func(e *env) {
		cs, err := e.customers.CreateMany(e.ctx, []customer.CreateParams{
			{Email: "john.doe@acmecorp.com"},
			{Email: "john.doe@acmecorp.com", HasAccount: true},
		})
		e.must(err)
		if cs[0].HasAccount || !cs[1].HasAccount {
			e.t.Fatalf("has_account: %v %v", cs[0].HasAccount, cs[1].HasAccount)
		}
	}},
	{"Customer/DuplicateGuest", func(e *env) {
		e.customer(customer.CreateParams{Email: "john.doe@acmecorp.com"})
		before := e.snapshot()
		_, err := e.customers.Create(e.ctx, customer.CreateParams{Email: "john.doe@acmecorp.com", FirstName: "Two"})
		e.wantErr(err, customer.ErrConflict, store.ErrConflict)
		e.wantMessage(err, "Customer with email: john.doe@acmecorp.com, has_account: false, already exists.")
		var ce *store.ConflictError
		if !errors.As(err, &ce) {
			e.t.Fatalf("%T is not a *store.ConflictError", err)
		}
		e.unchanged(before)
	}},
	{"Customer/DuplicateRegistered", func(e *env) {
		_, err := e.customers.CreateMany(e.ctx, []customer.CreateParams{
			{Email: "john.doe@acmecorp.com", HasAccount: true},
			{Email: "john.doe@acmecorp.com", HasAccount: true},
		})
		e.wantErr(err, customer.ErrConflict)
		e.wantMessage(err, "Customer with email: john.doe@acmecorp.com, has_account: true, already exists.")
		e.unchanged(snapshot{})
	}},
	{"Customer/DuplicateEmailIgnoresCase", func(e *env) {
		e.customer(customer.CreateParams{Email: "Bob@Example.com"})
		_, err := e.customers.Create(e.ctx, customer.CreateParams{Email: "bob@example.COM"})
		e.wantErr(err, customer.ErrConflict)
	}},
	{"Customer/DuplicateAgainstLegacyMixedCaseRow", func(e *env) {
		// A row written by Medusa keeps the case it was given.
		legacy := &customer.Customer{ID: "cus_legacy", Email: "Carol@Example.com", CreatedAt: now(), UpdatedAt: now()}
		e.must(e.st.InsertCustomers(e.ctx, []*customer.Customer{legacy}))
		_, err := e.customers.Create(e.ctx, customer.CreateParams{Email: "carol@example.com"})
		e.wantErr(err, customer.ErrConflict)
		e.wantMessage(err, "Customer with email: Carol@Example.com, has_account: false, already exists.")
		got, err := e.customers.List(e.ctx, customer.Filter{Emails: []string{"CAROL@example.com"}}, store.ListOptions{})
		e.must(err)
		e.same([]string{"cus_legacy"}, customerIDs(got))
	}},
	{"Customer/NoEmailsNeverCollide", func(e *env) {
		_, err := e.customers.CreateMany(e.ctx, []customer.CreateParams{{FirstName: "A"}, {FirstName: "B"}, {FirstName: "C", HasAccount: true}, {FirstName: "D", HasAccount: true}})
		e.must(err)
	}},
	{"Customer/BatchAllOrNothing", func(e *env) {
		e.customer(customer.CreateParams{Email: "taken@example.com"})
		before := e.snapshot()
		_, err := e.customers.CreateMany(e.ctx, []customer.CreateParams{
			{Email: "fresh@example.com", Addresses: []address.CreateParams{{Address1: "1 Road"}}},
			{Email: "taken@example.com"},
		})
		e.wantErr(err, customer.ErrConflict)
		e.unchanged(before)
		_, err = e.customers.CreateMany(e.ctx, []customer.CreateParams{
			{Email: "fresh@example.com"},
			{Email: "dup@example.com"},
			{Email: "DUP@example.com"},
		})
		e.wantErr(err, customer.ErrConflict)
		e.unchanged(before)
		_, err = e.customers.CreateMany(e.ctx, []customer.CreateParams{
			{Email: "fresh@example.com"},
			{Email: "x@example.com", Addresses: []address.CreateParams{{CountryCode: "us"}, {CountryCode: "zz"}}},
		})
		e.wantInvalid(err, "[1].addresses[1].country_code", customer.ErrInvalid)
		e.wantErr(err, address.ErrInvalid)
		e.unchanged(before)
	}},
	{"Customer/BadMetadata", func(e *env) {
		before := e.snapshot()
		_, err := e.customers.Create(e.ctx, customer.CreateParams{Metadata: map[string]any{"f": func() {}}})
		e.wantInvalid(err, "metadata", customer.ErrInvalid)
		_, err = e.customers.Create(e.ctx, customer.CreateParams{Metadata: map[string]any{"nan": math.NaN()}})
		e.wantInvalid(err, "metadata", customer.ErrInvalid)
		_, err = e.customers.Create(e.ctx, customer.CreateParams{Metadata: map[string]any{"big": strings.Repeat("x", 64<<10)}})
		e.wantInvalid(err, "metadata", customer.ErrInvalid)
		e.unchanged(before)
		c := e.customer(customer.CreateParams{Metadata: map[string]any{"ok": strings.Repeat("x", 60<<10)}})
		_, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{Metadata: map[string]any{"more": strings.Repeat("y", 8<<10)}})
		e.wantInvalid(err, "metadata", customer.ErrInvalid)
	}},
	{"Customer/NestedAddresses", func(e *env) {
		c := e.customer(customer.CreateParams{Email: "n@example.com", Addresses: []address.CreateParams{
			{AddressName: "home", IsDefaultShipping: true, Address1: "1 Main St", City: "Springfield", CountryCode: "US", PostalCode: "12345", Metadata: map[string]any{"a": "b"}},
			{AddressName: "work", IsDefaultBilling: true, CountryCode: "dk", PostalCode: "2100"},
		}})
		if len(c.Addresses) != 2 || c.Addresses[0].CustomerID != c.ID {
			e.t.Fatalf("created addresses: %+v", c.Addresses)
		}
		got, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, store.ListOptions{})
		e.must(err)
		e.same(c.Addresses, got)
		e.same("us", got[0].CountryCode)
		if !got[0].IsDefaultShipping || !got[1].IsDefaultBilling {
			e.t.Fatalf("defaults lost: %+v", got)
		}
	}},
	{"Customer/NestedTwoDefaults", func(e *env) {
		_, err := e.customers.Create(e.ctx, customer.CreateParams{Addresses: []address.CreateParams{
			{IsDefaultShipping: true}, {IsDefaultShipping: true},
		}})
		e.wantInvalid(err, "addresses[1].is_default_shipping", customer.ErrInvalid)
		e.unchanged(snapshot{})
	}},
	{"Customer/RetrieveNotFound", func(e *env) {
		_, err := e.customers.Retrieve(e.ctx, "cus_doesnotexist", store.FindOptions{})
		e.wantNotFound(err, customer.ErrNotFound, "cus_doesnotexist")
		e.wantMessage(err, "Customer with id: cus_doesnotexist was not found")
		_, err = e.customers.Retrieve(e.ctx, "", store.FindOptions{})
		e.wantInvalid(err, "id", customer.ErrInvalid)
		_, err = e.customers.Retrieve(e.ctx, "x", store.FindOptions{Relations: []string{"orders"}})
		e.wantInvalid(err, "relations", customer.ErrInvalid)
	}},
	{"Customer/RetrieveRelations", func(e *env) {
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{Address1: "A"}, {Address1: "B"}}})
		vip, other := e.group("VIP"), e.group("Other")
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: vip.ID}, group.Pair{CustomerID: c.ID, GroupID: other.ID})
		e.must(err)
		got, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{Relations: []string{customer.RelAddresses, customer.RelGroups}})
		e.must(err)
		e.same(c.Addresses, got.Addresses)
		e.same([]string{"VIP", "Other"}, names(got.Groups))
		plain, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{})
		e.must(err)
		if plain.Addresses != nil || plain.Groups != nil {
			e.t.Fatal("relations loaded without being asked for")
		}
		bare := e.customer(customer.CreateParams{})
		got, err = e.customers.Retrieve(e.ctx, bare.ID, store.FindOptions{Relations: []string{"addresses", "groups"}})
		e.must(err)
		if got.Addresses == nil || len(got.Addresses) != 0 || got.Groups == nil || len(got.Groups) != 0 {
			e.t.Fatalf("empty relations should be empty lists: %#v %#v", got.Addresses, got.Groups)
		}
	}},
	{"Customer/ListFilters", func(e *env) {
		jane := e.customer(customer.CreateParams{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", CompanyName: "Acme", HasAccount: true})
		john := e.customer(customer.CreateParams{FirstName: "John", LastName: "Doe", Email: "john@example.com", Phone: "+4512345678"})
		lebron := e.customer(customer.CreateParams{FirstName: "LeBron", LastName: "James", Email: "lebron@nba.com"})
		silver := e.customer(customer.CreateParams{FirstName: "John", LastName: "Silver", Email: "silver@example.org", CompanyName: "Pirates"})
		vip := e.group("VIP")
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: john.ID, GroupID: vip.ID}, group.Pair{CustomerID: jane.ID, GroupID: vip.ID})
		e.must(err)
		cases := []struct {
			name string
			f    customer.Filter
			want []*customer.Customer
		}{
			{"none", customer.Filter{}, []*customer.Customer{jane, john, lebron, silver}},
			{"ids", customer.Filter{IDs: []string{silver.ID, jane.ID}}, []*customer.Customer{jane, silver}},
			{"empty ids", customer.Filter{IDs: []string{}}, nil},
			{"email", customer.Filter{Emails: []string{"lebron@nba.com"}}, []*customer.Customer{lebron}},
			{"emails", customer.Filter{Emails: []string{"LEBRON@nba.com", "john@example.com", "nobody@x.com"}}, []*customer.Customer{john, lebron}},
			{"one email twice", customer.Filter{Emails: []string{"john@example.com", "JOHN@example.com"}}, []*customer.Customer{john}},
			{"one id twice", customer.Filter{IDs: []string{john.ID, john.ID}}, []*customer.Customer{john}},
			{"has_account", customer.Filter{HasAccount: ptr(true)}, []*customer.Customer{jane}},
			{"guests", customer.Filter{HasAccount: ptr(false)}, []*customer.Customer{john, lebron, silver}},
			{"groups", customer.Filter{GroupIDs: []string{vip.ID}}, []*customer.Customer{jane, john}},
			{"last_name", customer.Filter{LastName: store.Eq("Doe")}, []*customer.Customer{jane, john}},
			{"first_name in", customer.Filter{FirstName: store.Eq("John", "LeBron")}, []*customer.Customer{john, lebron, silver}},
			{"company null", customer.Filter{CompanyName: store.IsNull()}, []*customer.Customer{john, lebron}},
			{"company null or Acme", customer.Filter{CompanyName: store.StringFilter{In: []string{"Acme"}, Null: true}}, []*customer.Customer{jane, john, lebron}},
			{"q substring", customer.Filter{Q: "do"}, []*customer.Customer{jane, john}},
			{"q email", customer.Filter{Q: "est2@"}, nil},
			{"q case", customer.Filter{Q: "LEBRON"}, []*customer.Customer{lebron}},
			{"q every word", customer.Filter{Q: "john doe"}, []*customer.Customer{john}},
			{"q words across columns", customer.Filter{Q: "john pirates"}, []*customer.Customer{silver}},
			{"q phone", customer.Filter{Q: "12345"}, []*customer.Customer{john}},
			{"q company", customer.Filter{Q: "acm"}, []*customer.Customer{jane}},
			{"q domain", customer.Filter{Q: ".org"}, []*customer.Customer{silver}},
			{"q blank", customer.Filter{Q: "   "}, []*customer.Customer{jane, john, lebron, silver}},
			{"q percent is literal", customer.Filter{Q: "%"}, nil},
			{"q underscore is literal", customer.Filter{Q: "j_hn"}, nil},
			{"combined", customer.Filter{LastName: store.Eq("Doe"), HasAccount: ptr(false), Q: "example"}, []*customer.Customer{john}},
		}
		for _, tc := range cases {
			got, err := e.customers.List(e.ctx, tc.f, store.ListOptions{})
			e.must(err)
			if diff := diffIDs(tc.want, got); diff != "" {
				e.t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
			}
		}
	}},
	{"Customer/ListTimeRanges", func(e *env) {
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var clock time.Time
		svc := newCustomers(e.t, e.st, customer.WithClock(func() time.Time { return clock }))
		var cs []*customer.Customer
		for i := range 4 {
			clock = t0.Add(time.Duration(i) * time.Hour)
			c, err := svc.Create(e.ctx, customer.CreateParams{FirstName: "c"})
			e.must(err)
			cs = append(cs, c)
		}
		clock = t0.Add(10 * time.Hour)
		_, err := svc.Update(e.ctx, cs[0].ID, customer.UpdateParams{FirstName: ptr("x")})
		e.must(err)
		cases := []struct {
			name string
			f    customer.Filter
			want []*customer.Customer
		}{
			{"gte", customer.Filter{CreatedAt: store.TimeFilter{Gte: t0.Add(time.Hour)}}, cs[1:]},
			{"gt", customer.Filter{CreatedAt: store.TimeFilter{Gt: t0.Add(time.Hour)}}, cs[2:]},
			{"lt", customer.Filter{CreatedAt: store.TimeFilter{Lt: t0.Add(time.Hour)}}, cs[:1]},
			{"lte", customer.Filter{CreatedAt: store.TimeFilter{Lte: t0.Add(time.Hour)}}, cs[:2]},
			{"between", customer.Filter{CreatedAt: store.TimeFilter{Gt: t0, Lt: t0.Add(3 * time.Hour)}}, cs[1:3]},
			{"updated", customer.Filter{UpdatedAt: store.TimeFilter{Gte: t0.Add(5 * time.Hour)}}, cs[:1]},
		}
		for _, tc := range cases {
			got, err := e.customers.List(e.ctx, tc.f, store.ListOptions{})
			e.must(err)
			if diff := diffIDs(tc.want, got); diff != "" {
				e.t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
			}
		}
		got, err := e.customers.Retrieve(e.ctx, cs[2].ID, store.FindOptions{})
		e.must(err)
		if !got.CreatedAt.Equal(t0.Add(2 * time.Hour)) {
			e.t.Fatalf("created_at %v", got.CreatedAt)
		}
	}},
	{"Customer/OrderAndPaging", func(e *env) {
		a := e.customer(customer.CreateParams{Email: "b@example.com", FirstName: "Zed", LastName: "Alpha"})
		b := e.customer(customer.CreateParams{Email: "a@example.com", FirstName: "amy", LastName: "Beta", HasAccount: true})
		c := e.customer(customer.CreateParams{Email: "c@example.com", FirstName: "Amy", LastName: "Alpha"})
		d := e.customer(customer.CreateParams{LastName: "Gamma"})
		cases := []struct {
			name string
			opts store.ListOptions
			want []*customer.Customer
		}{
			{"default is id ascending", store.ListOptions{}, []*customer.Customer{a, b, c, d}},
			{"email asc, null last", store.ListOptions{Order: []store.Order{store.Asc("email")}}, []*customer.Customer{b, a, c, d}},
			{"email desc, null first", store.ListOptions{Order: []store.Order{store.Desc("email")}}, []*customer.Customer{d, c, a, b}},
			{"first name byte order", store.ListOptions{Order: []store.Order{store.Asc("first_name")}}, []*customer.Customer{c, a, b, d}},
			{"last name then id", store.ListOptions{Order: []store.Order{store.Asc("last_name")}}, []*customer.Customer{a, c, b, d}},
			{"last name, first name desc", store.ListOptions{Order: []store.Order{store.Asc("last_name"), store.Desc("first_name")}}, []*customer.Customer{a, c, b, d}},
			{"has_account desc", store.ListOptions{Order: []store.Order{store.Desc("has_account")}}, []*customer.Customer{b, a, c, d}},
			{"id desc", store.ListOptions{Order: []store.Order{store.Desc("id")}}, []*customer.Customer{d, c, b, a}},
			{"created_at desc", store.ListOptions{Order: []store.Order{store.Desc("created_at"), store.Desc("id")}}, []*customer.Customer{d, c, b, a}},
			{"take", store.ListOptions{Take: 2}, []*customer.Customer{a, b}},
			{"skip", store.ListOptions{Skip: 3}, []*customer.Customer{d}},
			{"skip take", store.ListOptions{Skip: 1, Take: 2}, []*customer.Customer{b, c}},
			{"skip past end", store.ListOptions{Skip: 10}, nil},
		}
		// Once through the store's one-pass ListAndCountCustomers, if it
		// has one, and once through separate list and count calls.
		for _, svc := range []*customer.Service{e.customers, newCustomers(e.t, plainStore{e.st})} {
			for _, tc := range cases {
				got, n, err := svc.ListAndCount(e.ctx, customer.Filter{}, tc.opts)
				e.must(err)
				if diff := diffIDs(tc.want, got); diff != "" {
					e.t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
				}
				if n != 4 {
					e.t.Errorf("%s: count %d, want 4 (count ignores paging)", tc.name, n)
				}
			}
			for _, opts := range []store.ListOptions{{Take: 1}, {Take: 5, Skip: 1}, {Take: 2}, {Skip: 5}} {
				_, n, err := svc.ListAndCount(e.ctx, customer.Filter{LastName: store.Eq("Alpha")}, opts)
				e.must(err)
				e.same(2, n)
			}
			page, n, err := svc.ListAndCount(e.ctx, customer.Filter{Q: "alpha"}, store.ListOptions{Take: 1})
			e.must(err)
			e.same(2, n)
			e.same([]string{a.ID}, customerIDs(page))
		}
	}},
	{"Customer/BadListOptions", func(e *env) {
		_, err := e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{Order: []store.Order{store.Asc("foo")}})
		e.wantInvalid(err, "order", customer.ErrInvalid)
		e.wantMessage(err, "invalid order: Order field foo is not valid")
		_, err = e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{Order: []store.Order{store.Asc("metadata")}})
		e.wantInvalid(err, "order", customer.ErrInvalid)
		_, _, err = e.customers.ListAndCount(e.ctx, customer.Filter{}, store.ListOptions{Skip: -1})
		e.wantInvalid(err, "skip", customer.ErrInvalid)
		_, err = e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{Take: -5})
		e.wantInvalid(err, "take", customer.ErrInvalid)
		_, err = e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{Relations: []string{"carts"}})
		e.wantInvalid(err, "relations", customer.ErrInvalid)
	}},
	{"Customer/UpdateByID", func(e *env) {
		c := e.customer(customer.CreateParams{FirstName: "John", LastName: "Doe", Email: "john@example.com"})
		got, err := e.customers.Update(e.ctx, c.ID, customer.UpdateParams{FirstName: ptr("Jonathan"), Phone: ptr("555")})
		e.must(err)
		e.same("Jonathan", got.FirstName)
		e.same("Doe", got.LastName)
		e.same("555", got.Phone)
		if got.UpdatedAt.Before(c.UpdatedAt) || !got.CreatedAt.Equal(c.CreatedAt) {
			e.t.Fatalf("timestamps after update: %v %v", got.CreatedAt, got.UpdatedAt)
		}
		again, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{})
		e.must(err)
		e.same(got, again)
		got, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{Phone: ptr(""), Email: ptr(" JOHN2@Example.com")})
		e.must(err)
		e.same("", got.Phone)
		e.same("john2@example.com", got.Email)
	}},
	{"Customer/UpdateManyAndWhere", func(e *env) {
		a := e.customer(customer.CreateParams{LastName: "Doe"})
		b := e.customer(customer.CreateParams{LastName: "Doe"})
		c := e.customer(customer.CreateParams{LastName: "Other"})
		got, err := e.customers.UpdateMany(e.ctx, []string{a.ID, b.ID}, customer.UpdateParams{LastName: ptr("Updated")})
		e.must(err)
		for _, x := range got {
			e.same("Updated", x.LastName)
		}
		got, err = e.customers.UpdateWhere(e.ctx, customer.Filter{LastName: store.Eq("Updated")}, customer.UpdateParams{FirstName: ptr("Twin")})
		e.must(err)
		e.same([]string{a.ID, b.ID}, customerIDs(got))
		got, err = e.customers.UpdateWhere(e.ctx, customer.Filter{LastName: store.Eq("Nobody")}, customer.UpdateParams{FirstName: ptr("x")})
		e.must(err)
		if len(got) != 0 {
			e.t.Fatalf("selector matching nothing updated %d", len(got))
		}
		before := e.snapshot()
		_, err = e.customers.UpdateMany(e.ctx, []string{a.ID, "cus_missing1", c.ID, "cus_missing2"}, customer.UpdateParams{FirstName: ptr("Nope")})
		e.wantNotFound(err, customer.ErrNotFound, "cus_missing1", "cus_missing2")
		e.wantMessage(err, `Customer with id "cus_missing1, cus_missing2" not found`)
		_, err = e.customers.Update(e.ctx, "cus_missing", customer.UpdateParams{FirstName: ptr("Nope")})
		e.wantNotFound(err, customer.ErrNotFound, "cus_missing")
		e.unchanged(before)
	}},
	{"Customer/UpdateMetadataMerge", func(e *env) {
		c := e.customer(customer.CreateParams{Metadata: map[string]any{"foo": "bar", "bar": "bar", "baz": "baz", "nested": map[string]any{"a": 1.0}}})
		got, err := e.customers.Update(e.ctx, c.ID, customer.UpdateParams{Metadata: map[string]any{"foo": "", "bar": "bar2", "baz2": "baz2", "nested": map[string]any{"b": 2.0}, "gone": ""}})
		e.must(err)
		e.same(map[string]any{"bar": "bar2", "baz": "baz", "baz2": "baz2", "nested": map[string]any{"b": 2.0}}, got.Metadata)
		got, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{Metadata: map[string]any{"bar": nil}})
		e.must(err)
		e.same(map[string]any{"bar": nil, "baz": "baz", "baz2": "baz2", "nested": map[string]any{"b": 2.0}}, got.Metadata)
		got, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{Metadata: map[string]any{}})
		e.must(err)
		e.same(4, len(got.Metadata))
		read, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{})
		e.must(err)
		e.same(got.Metadata, read.Metadata)
		plain := e.customer(customer.CreateParams{})
		got, err = e.customers.Update(e.ctx, plain.ID, customer.UpdateParams{Metadata: map[string]any{"a": "b", "c": ""}})
		e.must(err)
		e.same(map[string]any{"a": "b"}, got.Metadata)
	}},
	{"Customer/UpdateEmailConflict", func(e *env) {
		e.customer(customer.CreateParams{Email: "alice@example.com"})
		bob := e.customer(customer.CreateParams{Email: "bob@example.com"})
		reg := e.customer(customer.CreateParams{Email: "reg@example.com", HasAccount: true})
		before := e.snapshot()
		_, err := e.customers.Update(e.ctx, bob.ID, customer.UpdateParams{Email: ptr("ALICE@example.com")})
		e.wantErr(err, customer.ErrConflict)
		e.wantMessage(err, "Customer with email: alice@example.com, has_account: false, already exists.")
		_, err = e.customers.Update(e.ctx, bob.ID, customer.UpdateParams{Email: ptr("nope")})
		e.wantInvalid(err, "email", customer.ErrInvalid)
		e.unchanged(before)
		_, err = e.customers.Update(e.ctx, reg.ID, customer.UpdateParams{Email: ptr("alice@example.com")})
		e.must(err)
		_, err = e.customers.Update(e.ctx, bob.ID, customer.UpdateParams{Email: ptr("bob@example.com"), FirstName: ptr("Bob")})
		e.must(err)
	}},
	{"Customer/Delete", func(e *env) {
		a := e.customer(customer.CreateParams{LastName: "Doe", Addresses: []address.CreateParams{{Address1: "x", IsDefaultShipping: true}}})
		b := e.customer(customer.CreateParams{LastName: "Doe"})
		c := e.customer(customer.CreateParams{LastName: "Keep", Addresses: []address.CreateParams{{Address1: "y"}}})
		g := e.group("G")
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: a.ID, GroupID: g.ID}, group.Pair{CustomerID: c.ID, GroupID: g.ID})
		e.must(err)
		e.must(e.customers.Delete(e.ctx, a.ID))
		_, err = e.customers.Retrieve(e.ctx, a.ID, store.FindOptions{WithDeleted: true})
		e.wantNotFound(err, customer.ErrNotFound, a.ID)
		addrs, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{a.ID}}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(0, len(addrs))
		ms, err := e.st.ListMemberships(e.ctx, []string{a.ID}, nil)
		e.must(err)
		e.same(0, len(ms))
		e.must(e.customers.Delete(e.ctx, "cus_unknown"))
		e.must(e.customers.DeleteWhere(e.ctx, customer.Filter{LastName: store.Eq("Doe")}))
		left, err := e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same([]string{c.ID}, customerIDs(left))
		_ = b
		ms, err = e.st.ListMemberships(e.ctx, nil, nil)
		e.must(err)
		e.same(1, len(ms))
	}},
	{"Customer/SoftDeleteAndRestore", func(e *env) {
		a := e.customer(customer.CreateParams{Email: "a@example.com", Addresses: []address.CreateParams{{Address1: "1", IsDefaultShipping: true}, {Address1: "2"}}})
		b := e.customer(customer.CreateParams{Email: "b@example.com"})
		g := e.group("G")
		_, err := e.groups.Add(e.ctx, group.Pair{CustomerID: a.ID, GroupID: g.ID})
		e.must(err)
		res, err := e.customers.SoftDelete(e.ctx, a.ID, b.ID, "cus_unknown")
		e.must(err)
		e.same([]string{a.ID, b.ID}, res.CustomerIDs)
		e.same([]string{a.Addresses[0].ID, a.Addresses[1].ID}, res.AddressIDs)
		list, err := e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{})
		e.must(err)
		e.same(0, len(list))
		list, err = e.customers.List(e.ctx, customer.Filter{IDs: []string{a.ID, b.ID}}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(2, len(list))
		_, err = e.customers.Retrieve(e.ctx, a.ID, store.FindOptions{})
		e.wantNotFound(err, customer.ErrNotFound, a.ID)
		got, err := e.customers.Retrieve(e.ctx, a.ID, store.FindOptions{WithDeleted: true, Relations: []string{"addresses"}})
		e.must(err)
		if got.DeletedAt == nil || len(got.Addresses) != 2 || got.Addresses[0].DeletedAt == nil {
			e.t.Fatalf("soft delete did not reach customer and addresses: %+v", got)
		}
		addrs, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{a.ID}}, store.ListOptions{})
		e.must(err)
		e.same(0, len(addrs))
		members, err := e.customers.List(e.ctx, customer.Filter{GroupIDs: []string{g.ID}}, store.ListOptions{})
		e.must(err)
		e.same(0, len(members))
		_, err = e.customers.Update(e.ctx, a.ID, customer.UpdateParams{FirstName: ptr("x")})
		e.wantNotFound(err, customer.ErrNotFound, a.ID)
		_, err = e.addresses.Create(e.ctx, address.CreateParams{CustomerID: a.ID})
		e.wantNotFound(err, address.ErrNotFound, a.ID)
		res, err = e.customers.SoftDelete(e.ctx, a.ID)
		e.must(err)
		e.same(0, len(res.CustomerIDs))

		res, err = e.customers.Restore(e.ctx, a.ID)
		e.must(err)
		e.same([]string{a.ID}, res.CustomerIDs)
		e.same(2, len(res.AddressIDs))
		got, err = e.customers.Retrieve(e.ctx, a.ID, store.FindOptions{Relations: []string{"addresses", "groups"}})
		e.must(err)
		if got.DeletedAt != nil || len(got.Addresses) != 2 || got.Addresses[0].DeletedAt != nil || !got.Addresses[0].IsDefaultShipping {
			e.t.Fatalf("restore did not bring back customer and addresses: %+v", got)
		}
		e.same([]string{"G"}, names(got.Groups))
	}},
	{"Customer/RestoreConflict", func(e *env) {
		old := e.customer(customer.CreateParams{Email: "bob@example.com", Addresses: []address.CreateParams{{Address1: "x"}}})
		_, err := e.customers.SoftDelete(e.ctx, old.ID)
		e.must(err)
		e.customer(customer.CreateParams{Email: "BOB@example.com", FirstName: "Bob2"})
		before := e.snapshot()
		_, err = e.customers.Restore(e.ctx, old.ID)
		e.wantErr(err, customer.ErrConflict, store.ErrConflict)
		e.wantMessage(err, "Customer with email: bob@example.com, has_account: false, already exists.")
		e.unchanged(before)
		reg := e.customer(customer.CreateParams{Email: "bob@example.com", HasAccount: true})
		_, err = e.customers.SoftDelete(e.ctx, reg.ID)
		e.must(err)
		_, err = e.customers.Restore(e.ctx, reg.ID)
		e.must(err)
	}},
}

func diffIDs(want, got []*customer.Customer) string {
	w, g := customerIDs(want), customerIDs(got)
	if len(w) == 0 && len(g) == 0 {
		return ""
	}
	if strings.Join(w, ",") == strings.Join(g, ",") {
		return ""
	}
	return "want " + strings.Join(emailsOrIDs(want), ", ") + "\ngot  " + strings.Join(emailsOrIDs(got), ", ")
}

func emailsOrIDs(cs []*customer.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID + "(" + c.Email + c.FirstName + " " + c.LastName + ")"
	}
	return out
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// plainStore hides the optional interfaces of a store (such as
// customer.ListCounter), so the services' fallbacks are tested too.
type plainStore struct{ Store }
