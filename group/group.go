package group

import (
	"context"
	"time"

	"github.com/clientele/clientele/internal/filtercheck"
	"github.com/clientele/clientele/store"
)

// Group is a customer group (Medusa's CustomerGroup, table customer_group).
type Group struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Metadata  map[string]any `json:"metadata"`
	CreatedBy string         `json:"created_by"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	DeletedAt *time.Time     `json:"deleted_at"`
}

// Membership is one row of the pivot between customers and groups (table
// customer_group_customer).
type Membership struct {
	ID         string         `json:"id"`
	CustomerID string         `json:"customer_id"`
	GroupID    string         `json:"customer_group_id"`
	Metadata   map[string]any `json:"metadata"`
	CreatedBy  string         `json:"created_by"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	DeletedAt  *time.Time     `json:"deleted_at"`
}

// Pair names a customer and a group.
type Pair struct {
	CustomerID string
	GroupID    string
}

// CreateParams is the input of [Service.Create].
type CreateParams struct {
	Name      string // required; unique among live groups (case-sensitive, as in Medusa)
	Metadata  map[string]any
	CreatedBy string
}

// UpdateParams is the input of [Service.Update]. Metadata is merged key by
// key; a key set to "" is removed.
type UpdateParams struct {
	Name     *string
	Metadata map[string]any
	// ClearMetadata sets the metadata to null (Medusa's "metadata": null)
	// before Metadata, if any, is merged into it.
	ClearMetadata bool
}

// Filter selects groups. Zero fields do not filter; a nil slice does not
// filter, an empty non-nil slice matches nothing. Every field that is set
// must hold.
type Filter struct {
	// Q matches groups whose name contains every word, case-insensitively.
	// Only the top level of a filter may search: a sub-filter (And, Or)
	// with a Q is refused.
	Q     string
	IDs   []string
	Names []string
	// Name filters the name with operators ($eq, $ne, $in, $nin, $like,
	// $ilike, $gt, $gte, $lt, $lte); Names and Name both apply.
	Name store.StringFilter
	// CustomerIDs keeps the groups that one of these customers belongs to.
	CustomerIDs []string
	// Customers, when set, keeps the groups with a live membership of a
	// customer that matches it (Medusa's customers[...] filter).
	Customers *CustomerFilter
	CreatedBy store.StringFilter
	CreatedAt store.TimeFilter
	UpdatedAt store.TimeFilter
	// DeletedAt filters the time of the soft deletion. Set, it makes the
	// list include soft-deleted groups, as store.ListOptions.WithDeleted
	// does (as in Medusa, wherever it occurs in the filter); see
	// Filter.WithDeleted.
	DeletedAt store.TimeFilter
	// And keeps the groups matching every sub-filter, Or those matching at
	// least one (an empty non-nil Or matches nothing). Sub-filters nest at
	// most store.MaxFilterDepth deep, store.MaxFilterTerms in all.
	And, Or []Filter
}

// CustomerFilter selects groups by their members: a group matches when
// one of its live memberships is of a customer for which every set field
// holds. Only live customers match, unless DeletedAt is set.
type CustomerFilter struct {
	ID store.StringFilter
	// Email compares case-insensitively, as customer.Filter.Email does.
	Email       store.StringFilter
	CompanyName store.StringFilter
	FirstName   store.StringFilter
	LastName    store.StringFilter
	CreatedBy   store.StringFilter
	CreatedAt   store.TimeFilter
	UpdatedAt   store.TimeFilter
	DeletedAt   store.TimeFilter
}

// WithDeleted reports whether f, or one of its sub-filters, filters on
// DeletedAt, which makes a list include soft-deleted groups.
func (f Filter) WithDeleted() bool {
	return !f.DeletedAt.IsZero() || filtercheck.AnySub(f.And, f.Or, Filter.WithDeleted)
}

// Check validates f: the bounds of its string and time filters (see
// store.StringFilter.Check), the nesting of And and Or, and no Q in a
// sub-filter. Both backends and the Service call it; errors are
// *store.ValidationErrors naming the field ("or[0].name").
func (f Filter) Check() error { return filtercheck.Check(f, Filter.level) }

// level returns what filtercheck.Check checks of f.
func (f Filter) level() (string, []filtercheck.Field, []Filter, []Filter) {
	fields := []filtercheck.Field{
		filtercheck.S("name", f.Name), filtercheck.S("created_by", f.CreatedBy),
		filtercheck.T("created_at", f.CreatedAt), filtercheck.T("updated_at", f.UpdatedAt),
		filtercheck.T("deleted_at", f.DeletedAt),
	}
	if c := f.Customers; c != nil {
		fields = append(fields,
			filtercheck.S("customers.id", c.ID), filtercheck.S("customers.email", c.Email),
			filtercheck.S("customers.company_name", c.CompanyName), filtercheck.S("customers.first_name", c.FirstName),
			filtercheck.S("customers.last_name", c.LastName), filtercheck.S("customers.created_by", c.CreatedBy),
			filtercheck.T("customers.created_at", c.CreatedAt), filtercheck.T("customers.updated_at", c.UpdatedAt),
			filtercheck.T("customers.deleted_at", c.DeletedAt))
	}
	return f.Q, fields, f.And, f.Or
}

// Match selects groups for a membership test ([Service.IsMember]): a
// group matches when its id is in IDs or its name is in Names (exact,
// case-sensitive match, as names are unique). Soft-deleted groups never
// match.
type Match struct {
	IDs   []string
	Names []string
}

// Sortable declares the columns a group list may be ordered by, and the
// field of Group each one holds. Both backends sort by it.
var Sortable = store.NewColumns(
	store.Text("id", func(g *Group) string { return g.ID }),
	store.Text("name", func(g *Group) string { return g.Name }),
	store.Text("created_by", func(g *Group) string { return g.CreatedBy }),
	store.Time("created_at", func(g *Group) time.Time { return g.CreatedAt }),
	store.Time("updated_at", func(g *Group) time.Time { return g.UpdatedAt }),
	store.NullTime("deleted_at", func(g *Group) *time.Time { return g.DeletedAt }),
)

// Store is the storage a group Service needs; see package store for the
// rules every method follows.
type Store interface {
	store.Transactor
	// LockCustomers: see address.Store.
	LockCustomers(ctx context.Context, ids []string) ([]string, error)
	// InsertGroups fails with ErrConflict when a name is taken by a live
	// group (exact match).
	InsertGroups(ctx context.Context, groups []*Group) error
	ListGroups(ctx context.Context, f Filter, opts store.ListOptions) ([]*Group, error)
	CountGroups(ctx context.Context, f Filter, opts store.ListOptions) (int, error)
	// UpdateGroups writes name, metadata, updated_at and deleted_at by id.
	UpdateGroups(ctx context.Context, groups []*Group) error
	// DeleteGroups deletes groups and their memberships for good.
	DeleteGroups(ctx context.Context, ids []string) error
	// InsertMemberships inserts pivot rows as given.
	InsertMemberships(ctx context.Context, ms []*Membership) error
	// ListMemberships returns the live pivot rows whose customer is in
	// customerIDs and whose group is in groupIDs (a nil list does not
	// filter), in id order, duplicates included.
	ListMemberships(ctx context.Context, customerIDs, groupIDs []string) ([]*Membership, error)
	// HasMembership reports whether the customer customerID, live, has a
	// live membership of a live group whose id is in m.IDs or whose name
	// is in m.Names. An empty list matches nothing; an unknown customer is
	// no member. Duplicate memberships count once.
	HasMembership(ctx context.Context, customerID string, m Match) (bool, error)
	// DeleteMemberships deletes for good every pivot row of each pair,
	// duplicates included.
	DeleteMemberships(ctx context.Context, pairs []Pair) error
	// FindMemberships returns the pivot rows matching f, duplicates
	// included, whatever their customer's and group's state; soft-deleted
	// rows only with opts.WithDeleted. Ordered by MembershipSortable.
	FindMemberships(ctx context.Context, f MembershipFilter, opts store.ListOptions) ([]*Membership, error)
	// CountMemberships counts the pivot rows matching f, ignoring paging.
	CountMemberships(ctx context.Context, f MembershipFilter, opts store.ListOptions) (int, error)
}
