// Package store defines the storage contract shared by every clientele
// backend: the error kinds, the unit-of-work contract and the list options
// used by every domain. The per-domain store interfaces live with their
// consumers ([github.com/clientele/clientele/customer.Store],
// [github.com/clientele/clientele/address.Store],
// [github.com/clientele/clientele/group.Store]); the conformance suite that
// checks a backend against this contract lives in store/storetest, and the
// two shipped backends in store/memory and store/postgres.
//
// # Contract
//
// Every backend follows these rules, and storetest checks each of them:
//
//   - Every method is safe for concurrent use and honours ctx cancellation.
//   - Copy in, copy out: a backend never retains memory the caller passed in,
//     and callers may change the values a backend returns.
//   - A missing record is reported with an error that wraps [ErrNotFound]; a
//     write that would break a unique rule (the unique indexes of Medusa's
//     schema) with one that wraps [ErrConflict].
//   - Every method is atomic on its own. [Transactor.InTx] groups several
//     calls, across domains, into one unit of work: on PostgreSQL a real
//     transaction, on the memory backend a serialised writer whose changes are
//     undone when the unit fails. Calls made with the context that InTx hands
//     to its function join the unit; nested InTx calls join the outer unit.
//     Nothing a failed unit wrote is ever visible to anyone.
//   - [ListOptions.Lock] asks a backend to lock the rows it returns until the
//     unit of work ends (SELECT … FOR UPDATE); a backend that serialises
//     writers may ignore it.
//   - Functions registered with [AfterCommit] run once the outermost unit of
//     work has committed, and never when it fails.
//   - A backend that reads from a replica reads what a context wrote
//     through it once that context carries a [ReadYourWrites] marker: it
//     calls [MarkWritten] on every write and sends the reads of a context
//     that [Written] reports to the primary. Backends without a replica
//     ignore the marker.
//   - Times round-trip at microsecond precision.
//   - Empty strings and SQL NULL are the same value: a string field that is
//     empty is stored as NULL and NULL is read back as "".
//
// # Errors
//
// Errors are classified by kind: [ErrNotFound], [ErrConflict] and
// [ErrInvalid]. Domain packages declare their own sentinels (for example
// customer.ErrNotFound) that wrap these kinds, so a transport can map any
// domain error to a status with errors.Is. [*ValidationError],
// [*NotFoundError] and [*ConflictError] carry the details and are found with
// errors.As.
package store
