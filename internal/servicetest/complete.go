package servicetest

import (
	"errors"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// wantIncomplete checks that err is the validation error of an incomplete
// address: Field the first field at fault, the message naming them all.
func (e *env) wantIncomplete(err error, field, msg string) {
	e.t.Helper()
	e.wantInvalid(err, field, address.ErrInvalid)
	var ve *store.ValidationError
	errors.As(err, &ve)
	e.same(msg, ve.PublicMessage())
}

// shippable is a complete address in Denmark.
func shippable(customerID string) address.CreateParams {
	return address.CreateParams{CustomerID: customerID, FirstName: "Ada", LastName: "Lovelace", Address1: "Testvej 1",
		City: "København", CountryCode: "DK", PostalCode: "2100"}
}

var completeTests = []test{
	{"Address/Complete", func(e *env) {
		e.same(true, address.HasPostalCodes("US"))
		e.same(true, address.HasPostalCodes(" dk "))
		e.same(false, address.HasPostalCodes("ae")) // no postal codes
		e.same(false, address.HasPostalCodes("zz"))
		e.same(false, address.HasPostalCodes(""))
		ok := &address.Address{FirstName: "Ada", LastName: "Lovelace", Address1: "1 Main St", City: "Springfield", CountryCode: "us", PostalCode: "12345"}
		e.must(e.addresses.Complete(ok))
		for _, tc := range []struct {
			name  string
			edit  func(a *address.Address)
			field string
			msg   string
		}{
			{"nothing", func(a *address.Address) { *a = address.Address{} }, "first_name",
				"Invalid request: Field 'first_name' is required; Field 'last_name' is required; Field 'address_1' is required; Field 'city' is required; Field 'country_code' is required"},
			{"blank city", func(a *address.Address) { a.City = "  " }, "city", "Invalid request: Field 'city' is required"},
			{"no postal code", func(a *address.Address) { a.PostalCode = "" }, "postal_code", "Invalid request: Field 'postal_code' is required"},
			{"bad postal code", func(a *address.Address) { a.PostalCode = "1234" }, "postal_code", "Invalid request: Field 'postal_code' is not a valid postal code for US"},
			{"bad country", func(a *address.Address) { a.CountryCode = "UK"; a.PostalCode = "" }, "country_code",
				"Invalid request: Field 'country_code' must be an ISO 3166-1 alpha-2 country code"},
			{"two missing", func(a *address.Address) { a.LastName, a.PostalCode = "", "" }, "last_name",
				"Invalid request: Field 'last_name' is required; Field 'postal_code' is required"},
		} {
			a := *ok
			tc.edit(&a)
			err := e.addresses.Complete(&a)
			if err == nil {
				e.t.Fatalf("%s: complete", tc.name)
			}
			e.wantIncomplete(err, tc.field, tc.msg)
		}
		// No postal code where the country has none; any case, stored or not.
		e.must(e.addresses.Complete(&address.Address{FirstName: "A", LastName: "B", Address1: "C", City: "Dubai", CountryCode: "AE"}))
		// Without the format check, any postal code will do.
		lax := newAddresses(e.t, e.st, address.WithPostalCodeCheck(false))
		bad := *ok
		bad.PostalCode = "1234"
		e.must(lax.Complete(&bad))
		e.wantErr(lax.Complete(nil), address.ErrInvalid)
		// A stored address is checked as it is.
		c := e.customer(customer.CreateParams{})
		stored := e.address(address.CreateParams{CustomerID: c.ID, City: "Paris"})
		e.wantIncomplete(e.addresses.Complete(stored), "first_name",
			"Invalid request: Field 'first_name' is required; Field 'last_name' is required; Field 'address_1' is required; Field 'country_code' is required")
		e.must(e.addresses.Complete(e.address(shippable(c.ID))))
	}},
	{"Address/RequireComplete", func(e *env) {
		strict := newAddresses(e.t, e.st, address.WithRequireComplete(true))
		customers := must(customer.NewService(e.st, strict))(e.t)
		c := e.customer(customer.CreateParams{})
		before := e.snapshot()
		_, err := strict.Create(e.ctx, address.CreateParams{CustomerID: c.ID, FirstName: "Ada", City: "Paris", CountryCode: "fr"})
		e.wantIncomplete(err, "last_name", "Invalid request: Field 'last_name' is required; Field 'address_1' is required; Field 'postal_code' is required")
		p := shippable(c.ID)
		p.PostalCode = ""
		_, err = strict.CreateMany(e.ctx, []address.CreateParams{shippable(c.ID), p})
		e.wantIncomplete(err, "[1].postal_code", "Invalid request: Field '[1].postal_code' is required")
		_, err = customers.Create(e.ctx, customer.CreateParams{Email: "x@example.com", Addresses: []address.CreateParams{shippable(""), {City: "Paris"}}})
		e.wantInvalid(err, "addresses[1].first_name", customer.ErrInvalid)
		e.unchanged(before)

		a, err := strict.Create(e.ctx, shippable(c.ID))
		e.must(err)
		_, err = customers.Create(e.ctx, customer.CreateParams{Addresses: []address.CreateParams{shippable("")}})
		e.must(err)
		// An update must leave the address complete.
		_, err = strict.Update(e.ctx, a.ID, address.UpdateParams{City: ptr("")})
		e.wantIncomplete(err, "city", "Invalid request: Field 'city' is required")
		_, err = strict.Update(e.ctx, a.ID, address.UpdateParams{CountryCode: ptr("us")})
		e.wantInvalid(err, "postal_code", address.ErrInvalid) // the format check's own error
		moved, err := strict.Update(e.ctx, a.ID, address.UpdateParams{CountryCode: ptr("us"), PostalCode: ptr("94103"), City: ptr("San Francisco")})
		e.must(err)
		e.same("us", moved.CountryCode)
		// An incomplete address stored before is completed by the update
		// that changes it.
		old := e.address(address.CreateParams{CustomerID: c.ID, City: "Paris"})
		_, err = strict.Update(e.ctx, old.ID, address.UpdateParams{Phone: ptr("+33 1")})
		e.wantIncomplete(err, "first_name", "Invalid request: Field 'first_name' is required; Field 'last_name' is required; Field 'address_1' is required; Field 'country_code' is required")
		_, err = strict.Update(e.ctx, old.ID, address.UpdateParams{FirstName: ptr("Ada"), LastName: ptr("L"), Address1: ptr("1 rue"), CountryCode: ptr("fr"), PostalCode: ptr("75001")})
		e.must(err)
		// Making it the default needs no more.
		_, err = strict.Update(e.ctx, old.ID, address.UpdateParams{IsDefaultShipping: ptr(true)})
		e.must(err)
		// The lenient default accepts anything, as Medusa does.
		e.address(address.CreateParams{CustomerID: c.ID})
	}},
}
