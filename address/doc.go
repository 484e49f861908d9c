// Package address manages customers' addresses: the CustomerAddress part of
// Medusa v2's ICustomerModuleService.
//
// A [Service] creates addresses (one or a batch, all or nothing), retrieves,
// lists and counts them ([Filter]: customer, q over the address fields,
// country code, default flags, the text columns with the operators of
// store.StringFilter, deleted_at, and sub-filters ANDed or ORed), updates
// them by id, ids or filter, and deletes them.
//
// # Default addresses
//
// A customer has at most one default shipping and one default billing
// address among its addresses. Creating or updating an address as the new
// default makes the old default a plain address in the same unit of work.
// Two new defaults of one kind for one customer in one call are a
// validation error. One address may be both defaults. Deleting a default
// promotes nothing.
//
// # Validation
//
// country_code must be an ISO 3166-1 alpha-2 code, in any case; it is
// stored lower-case. The list of codes comes from CLDR through
// golang.org/x/text/language. A postal code must fit its country's format
// where one is known (formats from Google's address metadata, the data
// behind Chrome's and Android's address forms); [WithPostalCodeCheck]
// turns that check off.
//
// # Events
//
// customer_address.created, customer_address.updated (also for an old
// default that stopped being one) and customer_address.deleted, each with
// data {"id": …, "customer_id": …}, after the change commits.
//
// # Errors
//
// Errors match [ErrNotFound] (address or customer; the error names the
// ids), [ErrConflict] (a concurrent default change won; retrying may
// succeed) or [ErrInvalid] (a *store.ValidationError naming the field).
// A failed call changes nothing.
//
// # Concurrency
//
// A Service is safe for concurrent use. Changes to one customer's default
// addresses are serialised by locking the customer, so concurrent calls
// that each make a different address the default all succeed, one after
// another, and the customer ends with exactly one default.
//
// # Differences from Medusa
//
//   - A new default replaces the old one inside the service; Medusa's
//     module fails with a unique-index error and only its HTTP workflows
//     unset the old default first.
//   - country_code and postal_code are validated; Medusa stores anything.
//   - An address cannot be added to a soft-deleted customer.
package address
