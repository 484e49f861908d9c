// Package customer manages a shop's customers: what Medusa v2's
// ICustomerModuleService does for customers, as a Go service.
//
// A [Service] creates customers (one or a batch, all or nothing, with nested
// addresses), retrieves them with their addresses and groups on request,
// lists and counts them with typed filters ([Filter]), updates them by id,
// by ids or by filter, and deletes them for good, softly, or restores them.
// Addresses are managed by package address and groups by package group; a
// group's customers are a customer list filtered by [Filter.GroupIDs].
//
// # Filters
//
// A [Filter] carries Medusa's filters as typed Go values: lists of ids and
// emails, text columns as store.StringFilter (the operators of Medusa's
// operator maps: $eq/$in, $ne/$nin, $like, $ilike, $gt, $gte, $lt, $lte),
// timestamps as store.TimeFilter, the groups a customer belongs to
// ([GroupFilter]), and sub-filters ANDed or ORed ([Filter.And],
// [Filter.Or], Medusa's $and and $or). A DeletedAt filter lists
// soft-deleted customers, as in Medusa. [Filter.Check] bounds a filter
// (store.MaxFilterValues, store.MaxPatternBytes, store.MaxFilterDepth,
// store.MaxFilterTerms); the service refuses what it refuses. The
// service creates nested addresses with the host's *address.Service given
// to [NewService], so its options (postal-code check, complete addresses,
// event sink) hold for nested addresses too. [Service.RetrieveAddress],
// [Service.ListAddresses] and [Service.ListAndCountAddresses] read
// addresses with their customer (Medusa's relation "customer" of an
// address).
//
// A customer is a guest (HasAccount false) or registered (HasAccount
// true). An email is unique per has_account among live customers, so one
// guest and one registered customer may share it.
//
// # Bulk import
//
// [Service.Import] creates customers with their addresses from a stream of
// records ([DecodeNDJSON] reads them from NDJSON, one customer per line
// with Medusa's field names), one batch at a time: each batch is validated
// in full, as Create validates (emails unique in the batch and among the
// stored customers included), and written in one unit of work, or refused
// whole, with every bad line reported by number (package bulk). A store
// that implements [Importer] writes the batches its own faster way
// (store/postgres: COPY).
//
// # Storage
//
// The service works on a [Store], which a backend implements
// (store/memory, store/postgres, or your own checked with store/storetest).
// On PostgreSQL the tables are Medusa 2.21's own.
//
// # Events
//
// With [WithEventSink] the service reports customer.created,
// customer.updated, customer.deleted (hard and soft) and customer.restored,
// one event per customer with data {"id": …}, after the change commits
// (with a transactional sink such as package outbox: written in the unit
// of the change, delivered by its dispatcher).
//
// # Errors
//
// Errors match [ErrNotFound], [ErrConflict] or [ErrInvalid] (and the kinds
// in package store) with errors.Is. Details are in a *store.NotFoundError
// (the ids), *store.ConflictError (Medusa's message, e.g. "Customer with
// email: a@b.c, has_account: false, already exists.") or
// *store.ValidationError (the field), found with errors.As. A failed call
// changes nothing.
//
// # Concurrency
//
// A Service is safe for concurrent use. Of many concurrent creates of one
// (email, has_account), exactly one succeeds; the others get ErrConflict.
//
// # Differences from Medusa
//
//   - Emails are trimmed and lower-cased when written, and compared
//     case-insensitively: "A@x.com" and "a@x.com" are one customer (Medusa
//     treats them as two). Rows Medusa wrote with upper-case letters are
//     found case-insensitively and still block a duplicate.
//   - Emails are checked for syntax in the service, not only over HTTP.
//   - Creating a customer with two default addresses of one kind is a
//     validation error naming the field, not a unique-index error.
//   - Restoring a customer checks the email case-insensitively too.
//   - Empty strings and NULL are the same value: a field set to "" is
//     stored as NULL.
//   - Lists sort text by byte order (COLLATE "C") and always by id last,
//     so paging is stable. [Service.ListPage] also pages by keyset (a
//     cursor of the last row of the page before) and can count
//     approximately, which Medusa's list cannot.
//   - Metadata must be a JSON object of at most 64 KiB.
//   - Filters on the email compare case-insensitively, LIKE patterns
//     included (Medusa's $like is case-sensitive).
//   - As in SQL, no filter operator but In and Null matches an empty
//     (NULL) value; a GroupFilter matches live groups only, unless it
//     filters on the group's DeletedAt.
//   - A q inside And or Or is refused (Medusa's module searches only at
//     the top level).
package customer
