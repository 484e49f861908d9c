// Package address manages customers' addresses: the CustomerAddress part of
// Medusa v2's ICustomerModuleService.
//
// A [Service] creates addresses (one or a batch, all or nothing), retrieves,
// lists and counts them ([Filter]: customer, q over the address fields,
// country code, default flags, the text columns with the operators of
// store.StringFilter, deleted_at, and sub-filters ANDed or ORed), updates
// them by id, ids or filter, deletes them for good by ids or filter
// ([Service.DeleteWhere]), and soft-deletes and restores them
// ([Service.SoftDelete], [Service.Restore]). An address read with its
// customer is customer.Service.RetrieveAddress and ListAddresses (this
// package does not depend on package customer).
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
// A soft-deleted address is no default: [Service.SoftDelete] clears its
// flags, so the customer has no default of that kind until another
// address becomes one, and [Service.Restore] brings it back as a plain
// address. An address that is soft-deleted with its flags (with its
// customer, whose restore brings them back; or by Medusa) keeps them when
// restored, unless the customer has a live default of that kind by then.
// A customer never has two defaults of one kind.
//
// # Complete addresses
//
// [Service.Complete] tells whether an address can be shipped to: it has a
// first_name, last_name, address_1, city and a valid country_code, and a
// postal_code in the country's format where the country has postal codes
// ([HasPostalCodes]). A checkout calls it on the address it is given; the
// *ValidationError names every missing field. [WithRequireComplete] makes
// the service refuse incomplete addresses on create and update (off by
// default, as Medusa requires none of these fields).
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
// default that stopped being one), customer_address.deleted (hard and
// soft) and customer_address.restored, each with data {"id": …,
// "customer_id": …}, after the change commits.
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
//   - An address cannot be added to a soft-deleted customer, nor restored
//     on its own while its customer is soft-deleted.
//   - A soft delete clears the address's default flags (Medusa keeps them,
//     and its unique indexes, which count soft-deleted rows, then refuse
//     the customer any new default).
//   - [WithRequireComplete] and [Service.Complete] are clientele's.
package address
