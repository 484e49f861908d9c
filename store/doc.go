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
//   - Lists sort as [ListOptions] says (id always the last key; text in byte
//     order with NULL, the empty string, last ascending and first
//     descending) and honour its cursors: a list given
//     [ListOptions.After] (or Before) and the cursor of one of its rows
//     ([Columns.Cursor]) keeps exactly the rows that come after (or
//     before) that row in that order, ties and NULLs included, so that
//     walking a list by cursors visits every row once.
//   - Times round-trip at microsecond precision.
//   - Empty strings and SQL NULL are the same value: a string field that is
//     empty is stored as NULL and NULL is read back as "".
//
// # Paging
//
// A list pages by offset (Skip and Take, as Medusa) or by keyset: a
// cursor of the last row of a page ([Page.Next]) gives the page after it,
// at the same cost at any depth, without repeating or missing a row when
// rows are inserted or deleted meanwhile. Cursors are opaque base64url
// values that name their order; they are not secret (they hold the row's
// sort keys) and not signed. The services' ListPage methods return a
// [Page]: the rows, the cursors of the pages around them and the count,
// which [ListOptions.Count] may ask to be estimated or capped so that it
// stays cheap on large tables ([CountMode]).
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
