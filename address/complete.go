package address

import (
	"fmt"
	"strings"
)

// WithRequireComplete makes Create, CreateMany, Update and the addresses
// nested in new customers accept only complete addresses (see
// [Service.Complete]): with first_name, last_name, address_1, city and
// country_code, and postal_code where the country has postal codes. An
// update must leave the address complete, so an incomplete address
// stored before is completed by the update that changes it. Off by
// default: Medusa requires none of these fields, and neither do its
// clients.
func WithRequireComplete(on bool) Option { return func(c *config) { c.requireComplete = on } }

// requiredFields are the fields a complete address has, in the order
// errors name them; postal_code only where the country has postal codes.
var requiredFields = []struct {
	name  string
	value func(*Address) string
}{
	{"first_name", func(a *Address) string { return a.FirstName }},
	{"last_name", func(a *Address) string { return a.LastName }},
	{"address_1", func(a *Address) string { return a.Address1 }},
	{"city", func(a *Address) string { return a.City }},
	{"country_code", func(a *Address) string { return a.CountryCode }},
	{"postal_code", func(a *Address) string { return a.PostalCode }},
}

// HasPostalCodes reports whether the country (an ISO 3166-1 alpha-2 code,
// any case) uses postal codes: whether Google's address metadata, the
// source of the postal-code formats, gives it one. A storefront can show
// or hide its postal-code field by it.
func HasPostalCodes(countryCode string) bool {
	cc, ok := normalizeCountry(countryCode)
	if !ok {
		return false
	}
	_, has := postalFormats()[cc]
	return has
}

// Complete reports whether a is complete enough to ship to, for a checkout
// to call on any address (one read from the store, or one built by hand):
// nil, or a *ValidationError (matching ErrInvalid) whose Field is the
// first field at fault and whose Message names every one, e.g.
// "Invalid request: Field 'city' is required; Field 'postal_code' is
// required".
//
// A complete address has a first_name, last_name, address_1, city and a
// valid country_code, and a postal_code when the country has postal codes
// ([HasPostalCodes]) that fits the country's format (unless the service
// was built with WithPostalCodeCheck(false)). Fields of white space only
// are missing.
func (s *Service) Complete(a *Address) error {
	if a == nil {
		return dom.Public("address", "Invalid request: An address is required")
	}
	return s.complete(a, "")
}

// complete is Complete with prefix before the field names (nested
// addresses: "addresses[0].").
func (s *Service) complete(a *Address, prefix string) error {
	var faults []string
	first := ""
	fault := func(field, reason string) {
		if first == "" {
			first = prefix + field
		}
		faults = append(faults, fmt.Sprintf("Field '%s%s' %s", prefix, field, reason))
	}
	cc, validCountry := normalizeCountry(a.CountryCode)
	for _, f := range requiredFields {
		v := strings.TrimSpace(f.value(a))
		switch {
		case f.name == "postal_code" && (!validCountry || !HasPostalCodes(cc)):
			// Needed only where the country has postal codes.
		case v == "":
			fault(f.name, "is required")
		case f.name == "country_code" && !validCountry:
			fault(f.name, "must be an ISO 3166-1 alpha-2 country code")
		case f.name == "postal_code" && s.checkPostal && !postalCodeFits(cc, v):
			fault(f.name, "is not a valid postal code for "+strings.ToUpper(cc))
		}
	}
	if len(faults) == 0 {
		return nil
	}
	msg := "Invalid request: " + strings.Join(faults, "; ")
	return &ValidationError{Field: first, Reason: strings.Join(faults, "; "), Message: msg, Err: ErrInvalid}
}
