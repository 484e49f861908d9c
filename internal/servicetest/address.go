package servicetest

import (
	"strings"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

func addressIDs(as []*address.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// defaults returns the ids of the customer's default shipping and billing
// addresses, soft-deleted ones included.
func (e *env) defaults(customerID string) (ship, bill []string) {
	e.t.Helper()
	all, err := e.st.ListAddresses(e.ctx, address.Filter{CustomerIDs: []string{customerID}}, store.ListOptions{WithDeleted: true})
	e.must(err)
	for _, a := range all {
		if a.IsDefaultShipping {
			ship = append(ship, a.ID)
		}
		if a.IsDefaultBilling {
			bill = append(bill, a.ID)
		}
	}
	return ship, bill
}

var addressTests = []test{
	{"Address/CreateAndRetrieve", func(e *env) {
		c := e.customer(customer.CreateParams{})
		a := e.address(address.CreateParams{
			CustomerID: c.ID, AddressName: "Home", Company: "Acme", FirstName: "John", LastName: "Doe",
			Address1: "Testvej 1", Address2: "2. tv", City: "København", CountryCode: "DK", Province: "Hovedstaden",
			PostalCode: " 2100 ", Phone: "+45 1234", Metadata: map[string]any{"door": "red"},
		})
		if !strings.HasPrefix(a.ID, "cuaddr_") {
			e.t.Fatalf("id %q", a.ID)
		}
		e.same("dk", a.CountryCode)
		e.same("2100", a.PostalCode)
		got, err := e.addresses.Retrieve(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		e.same(a, got)
		_, err = e.addresses.Retrieve(e.ctx, "cuaddr_missing", store.FindOptions{})
		e.wantNotFound(err, address.ErrNotFound, "cuaddr_missing")
		e.wantMessage(err, "CustomerAddress with id: cuaddr_missing was not found")
		withAddr, err := e.customers.List(e.ctx, customer.Filter{IDs: []string{c.ID}}, store.ListOptions{Relations: []string{customer.RelAddresses}})
		e.must(err)
		e.same([]*address.Address{a}, withAddr[0].Addresses)
	}},
	{"Address/CreateMany", func(e *env) {
		c := e.customer(customer.CreateParams{})
		as, err := e.addresses.CreateMany(e.ctx, []address.CreateParams{{CustomerID: c.ID, Address1: "a"}, {CustomerID: c.ID, Address1: "b"}})
		e.must(err)
		got, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{Relations: []string{"addresses"}})
		e.must(err)
		e.same(addressIDs(as), addressIDs(got.Addresses))
	}},
	{"Address/BadInput", func(e *env) {
		c := e.customer(customer.CreateParams{})
		before := e.snapshot()
		cases := []struct {
			p     address.CreateParams
			field string
		}{
			{address.CreateParams{}, "customer_id"},
			{address.CreateParams{CustomerID: c.ID, CountryCode: "usa"}, "country_code"},
			{address.CreateParams{CustomerID: c.ID, CountryCode: "zz"}, "country_code"},
			{address.CreateParams{CustomerID: c.ID, CountryCode: "UK"}, "country_code"},
			{address.CreateParams{CustomerID: c.ID, CountryCode: "us", PostalCode: "1234"}, "postal_code"},
			{address.CreateParams{CustomerID: c.ID, CountryCode: "de", PostalCode: "ABCDE"}, "postal_code"},
			{address.CreateParams{CustomerID: c.ID, CountryCode: "gb", PostalCode: "12345"}, "postal_code"},
			{address.CreateParams{CustomerID: c.ID, Metadata: map[string]any{"x": make(chan int)}}, "metadata"},
		}
		for _, tc := range cases {
			_, err := e.addresses.Create(e.ctx, tc.p)
			e.wantInvalid(err, tc.field, address.ErrInvalid)
		}
		_, err := e.addresses.CreateMany(e.ctx, []address.CreateParams{{CustomerID: c.ID}, {CustomerID: c.ID, CountryCode: "xx"}})
		e.wantInvalid(err, "[1].country_code", address.ErrInvalid)
		_, err = e.addresses.Create(e.ctx, address.CreateParams{CustomerID: "cus_missing"})
		e.wantNotFound(err, address.ErrNotFound, "cus_missing")
		_, err = e.addresses.CreateMany(e.ctx, []address.CreateParams{{CustomerID: c.ID}, {CustomerID: "cus_missing"}})
		e.wantNotFound(err, address.ErrNotFound, "cus_missing")
		e.unchanged(before)
		// Good postal codes, and the check turned off.
		for _, p := range []address.CreateParams{
			{CustomerID: c.ID, CountryCode: "US", PostalCode: "12345-6789"},
			{CustomerID: c.ID, CountryCode: "gb", PostalCode: "SW1A 1AA"},
			{CustomerID: c.ID, CountryCode: "ca", PostalCode: "K1A 0B1"},
			{CustomerID: c.ID, CountryCode: "nl", PostalCode: "1234 AB"},
			{CustomerID: c.ID, PostalCode: "anything without a country"},
		} {
			e.address(p)
		}
		lax := newAddresses(e.t, e.st, address.WithPostalCodeCheck(false))
		_, err = lax.Create(e.ctx, address.CreateParams{CustomerID: c.ID, CountryCode: "us", PostalCode: "1234"})
		e.must(err)
		_, err = lax.Create(e.ctx, address.CreateParams{CustomerID: c.ID, CountryCode: "zz"})
		e.wantInvalid(err, "country_code", address.ErrInvalid)
	}},
	{"Address/NewDefaultReplacesOld", func(e *env) {
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{Address1: "Test street 1", IsDefaultShipping: true, IsDefaultBilling: true}, {Address1: "Other"}}})
		first := c.Addresses[0]
		second := e.address(address.CreateParams{CustomerID: c.ID, Address1: "Test street 2", IsDefaultShipping: true})
		ship, bill := e.defaults(c.ID)
		e.same([]string{second.ID}, ship)
		e.same([]string{first.ID}, bill)
		third := e.address(address.CreateParams{CustomerID: c.ID, Address1: "Test street 3", IsDefaultBilling: true, IsDefaultShipping: true})
		ship, bill = e.defaults(c.ID)
		e.same([]string{third.ID}, ship)
		e.same([]string{third.ID}, bill)
		// Other customers' defaults are untouched.
		d := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{IsDefaultShipping: true}}})
		ship, _ = e.defaults(d.ID)
		e.same([]string{d.Addresses[0].ID}, ship)
		ship, _ = e.defaults(c.ID)
		e.same([]string{third.ID}, ship)
	}},
	{"Address/UpdateToDefault", func(e *env) {
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{
			{FirstName: "John", Address1: "Test street 1", IsDefaultShipping: true},
			{FirstName: "John", LastName: "Doe", Address1: "Test street 2", IsDefaultBilling: true},
		}})
		a1, a2 := c.Addresses[0], c.Addresses[1]
		got, err := e.addresses.Update(e.ctx, a2.ID, address.UpdateParams{FirstName: ptr("jane"), IsDefaultShipping: ptr(true)})
		e.must(err)
		e.same("jane", got.FirstName)
		e.same("Doe", got.LastName)
		e.same("Test street 2", got.Address1)
		ship, bill := e.defaults(c.ID)
		e.same([]string{a2.ID}, ship)
		e.same([]string{a2.ID}, bill)
		_, err = e.addresses.Update(e.ctx, a1.ID, address.UpdateParams{IsDefaultBilling: ptr(true)})
		e.must(err)
		ship, bill = e.defaults(c.ID)
		e.same([]string{a2.ID}, ship)
		e.same([]string{a1.ID}, bill)
		// Setting a flag false does nothing else; setting the current
		// default again keeps it.
		_, err = e.addresses.Update(e.ctx, a2.ID, address.UpdateParams{IsDefaultShipping: ptr(true)})
		e.must(err)
		_, err = e.addresses.Update(e.ctx, a2.ID, address.UpdateParams{IsDefaultShipping: ptr(false)})
		e.must(err)
		ship, _ = e.defaults(c.ID)
		e.same(0, len(ship))
	}},
	{"Address/TwoDefaultsInOneCall", func(e *env) {
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{Address1: "old", IsDefaultShipping: true}, {Address1: "b"}}})
		before := e.snapshot()
		_, err := e.addresses.CreateMany(e.ctx, []address.CreateParams{{CustomerID: c.ID, IsDefaultShipping: true}, {CustomerID: c.ID, IsDefaultShipping: true}})
		e.wantInvalid(err, "[1].is_default_shipping", address.ErrInvalid)
		_, err = e.addresses.UpdateWhere(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, address.UpdateParams{IsDefaultShipping: ptr(true)})
		e.wantErr(err, address.ErrInvalid)
		e.unchanged(before)
		// One default each for two customers in one call is fine.
		d := e.customer(customer.CreateParams{})
		_, err = e.addresses.CreateMany(e.ctx, []address.CreateParams{{CustomerID: c.ID, IsDefaultShipping: true}, {CustomerID: d.ID, IsDefaultShipping: true}, {CustomerID: d.ID, IsDefaultBilling: true}})
		e.must(err)
	}},
	{"Address/UpdateManyAndWhere", func(e *env) {
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{AddressName: "a", Address1: "1"}, {AddressName: "b", Address1: "2"}}})
		other := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{AddressName: "x"}}})
		got, err := e.addresses.UpdateWhere(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, address.UpdateParams{AddressName: ptr("Under Construction")})
		e.must(err)
		e.same(2, len(got))
		got, err = e.addresses.UpdateMany(e.ctx, addressIDs(c.Addresses), address.UpdateParams{Address1: ptr("456 Main St"), CountryCode: ptr("US"), PostalCode: ptr("10001")})
		e.must(err)
		all, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, store.ListOptions{})
		e.must(err)
		e.same(got, all)
		for _, a := range all {
			if a.AddressName != "Under Construction" || a.Address1 != "456 Main St" || a.CountryCode != "us" {
				e.t.Fatalf("not updated: %+v", a)
			}
		}
		before := e.snapshot()
		_, err = e.addresses.UpdateMany(e.ctx, []string{c.Addresses[0].ID, "cuaddr_nope"}, address.UpdateParams{City: ptr("x")})
		e.wantNotFound(err, address.ErrNotFound, "cuaddr_nope")
		_, err = e.addresses.Update(e.ctx, c.Addresses[0].ID, address.UpdateParams{PostalCode: ptr("ABC")})
		e.wantInvalid(err, "postal_code", address.ErrInvalid)
		_, err = e.addresses.Update(e.ctx, c.Addresses[0].ID, address.UpdateParams{CountryCode: ptr("xx")})
		e.wantInvalid(err, "country_code", address.ErrInvalid)
		e.unchanged(before)
		x, err := e.addresses.Retrieve(e.ctx, other.Addresses[0].ID, store.FindOptions{})
		e.must(err)
		e.same("x", x.AddressName)
		one, err := e.addresses.Update(e.ctx, c.Addresses[0].ID, address.UpdateParams{Metadata: map[string]any{"k": "v"}})
		e.must(err)
		e.same(map[string]any{"k": "v"}, one.Metadata)
	}},
	{"Address/ListAndSearch", func(e *env) {
		a := e.customer(customer.CreateParams{})
		b := e.customer(customer.CreateParams{})
		as, err := e.addresses.CreateMany(e.ctx, []address.CreateParams{
			{CustomerID: a.ID, Address1: "Huntingdon 123", City: "Copenhagen", CountryCode: "dk"},
			{CustomerID: a.ID, Address1: "Horseshoe 555", CountryCode: "us"},
			{CustomerID: a.ID, Address1: "Hawkins 12", AddressName: "Summer House", CountryCode: "US"},
			{CustomerID: b.ID, Address1: "Elsewhere 12", PostalCode: "9999"},
		})
		e.must(err)
		cases := []struct {
			name string
			f    address.Filter
			want []*address.Address
		}{
			{"customer", address.Filter{CustomerIDs: []string{a.ID}}, as[:3]},
			{"customer twice", address.Filter{CustomerIDs: []string{a.ID, a.ID}}, as[:3]},
			{"q", address.Filter{CustomerIDs: []string{a.ID}, Q: "12"}, []*address.Address{as[0], as[2]}},
			{"q words", address.Filter{Q: "summer hawk"}, as[2:3]},
			{"q city", address.Filter{Q: "COPEN"}, as[:1]},
			{"q postal", address.Filter{Q: "999"}, as[3:]},
			{"country any case", address.Filter{CountryCodes: []string{"US"}}, as[1:3]},
			{"ids", address.Filter{IDs: []string{as[3].ID, as[0].ID}}, []*address.Address{as[0], as[3]}},
			{"city", address.Filter{City: store.Eq("Copenhagen")}, as[:1]},
			{"city is null", address.Filter{City: store.IsNull(), CustomerIDs: []string{a.ID}}, as[1:3]},
			{"postal code", address.Filter{PostalCode: store.Eq("9999", "0000")}, as[3:]},
			{"company and province match nothing", address.Filter{Company: store.Eq("x"), Province: store.Eq("y")}, nil},
		}
		for _, tc := range cases {
			got, n, err := e.addresses.ListAndCount(e.ctx, tc.f, store.ListOptions{})
			e.must(err)
			if strings.Join(addressIDs(tc.want), ",") != strings.Join(addressIDs(got), ",") || n != len(tc.want) {
				e.t.Errorf("%s: got %d %v, want %v", tc.name, n, addressIDs(got), addressIDs(tc.want))
			}
		}
		page, n, err := e.addresses.ListAndCount(e.ctx, address.Filter{}, store.ListOptions{Order: []store.Order{store.Desc("address_1")}, Take: 2, Skip: 1})
		e.must(err)
		e.same(4, n)
		e.same([]string{as[1].ID, as[2].ID}, addressIDs(page))
		_, err = e.addresses.List(e.ctx, address.Filter{}, store.ListOptions{Order: []store.Order{store.Asc("nope")}})
		e.wantInvalid(err, "order", address.ErrInvalid)
	}},
	{"Address/Delete", func(e *env) {
		c := e.customer(customer.CreateParams{Addresses: []address.CreateParams{{Address1: "a"}, {Address1: "b"}}})
		e.must(e.addresses.Delete(e.ctx, c.Addresses[0].ID, "cuaddr_unknown"))
		left, err := e.addresses.List(e.ctx, address.Filter{CustomerIDs: []string{c.ID}}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same([]string{c.Addresses[1].ID}, addressIDs(left))
		e.must(e.addresses.Delete(e.ctx))
	}},
}
