// Package group manages customer groups and their members: the
// CustomerGroup part of Medusa v2's ICustomerModuleService.
//
// A [Service] creates groups (name required, unique among live groups),
// retrieves, lists and counts them ([Filter]: q on name, names, the name
// with the operators of store.StringFilter, members by id or by a
// [CustomerFilter], times, deleted_at, and sub-filters ANDed or ORed),
// updates them, deletes them for good (memberships go with them), soft
// deletes and restores them, and adds customers to groups and removes them
// ([Service.Add], [Service.Remove]). The memberships themselves, the rows
// of the pivot (Medusa's CustomerGroupCustomer), are read with
// [Service.RetrieveMembership], [Service.ListMemberships] and
// [Service.ListAndCountMemberships] ([MembershipFilter]: ids, customers,
// groups, created_by, times).
//
// A customer's groups are List(ctx, Filter{CustomerIDs: …}); a group's
// customers are a customer list filtered by group (customer.Filter.GroupIDs),
// so this package does not depend on package customer.
//
// # Helpers for host applications
//
// [Service.IsMember] answers whether a customer belongs to at least one
// group that a [Match] names, by id or by name, for gating a route or a
// price on membership. Soft-deleted groups and memberships do not count,
// nor does a soft-deleted customer (whose memberships stay only so that a
// restore brings them back); an unknown customer is no member. On
// PostgreSQL the answer is one indexed query ([Store.HasMembership]).
//
// [Service.GetOrCreate] returns the live group with a name, creating it
// when there is none, e.g. to file customers under a segment on first use.
// A soft-deleted group with the name does not count: a new group is
// created beside it, as Medusa's unique index on the names of live groups
// allows.
//
// # Events
//
// customer_group.created, .updated, .deleted (hard and soft) and .restored
// with data {"id": …}; customer_group.customers_added and
// .customers_removed with data {"id": group id, "customer_ids": [...]},
// after the change commits.
//
// # Errors
//
// Errors match [ErrNotFound] (the error names the missing groups or
// customers), [ErrConflict] (the name is taken, with Medusa's message
// "Customer group with name: VIP, already exists.") or [ErrInvalid]. A
// failed call changes nothing.
//
// # Concurrency
//
// A Service is safe for concurrent use. Adds to one group are serialised
// by locking the group, so concurrent adds of one membership leave exactly
// one. Concurrent GetOrCreate calls for one name create one group and all
// return it: a call that loses the race reads the winner's group. Inside a
// caller's unit of work on PostgreSQL, a call that loses the race at the
// unique index fails with ErrConflict instead (the failed insert aborts the
// transaction), and running the unit again returns the group.
//
// # Differences from Medusa
//
//   - Membership is idempotent: adding a customer twice leaves one
//     membership and returns its id (Medusa inserts a duplicate row).
//     Duplicate rows already in a Medusa database are read as one, and
//     Remove deletes them all.
//   - Adding a member fails, naming the ids, when the customer or group is
//     missing or soft-deleted (Medusa checks only that the rows exist).
//   - Restoring a group whose name a live group took meanwhile fails with
//     ErrConflict.
//   - Group names are trimmed and must not be empty.
//   - A [CustomerFilter] (Medusa's customers[...] filter) matches live
//     customers only, unless it filters on their DeletedAt, and compares
//     emails case-insensitively.
package group
