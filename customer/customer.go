package customer

import (
	"context"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/filtercheck"
	"github.com/clientele/clientele/store"
)

// Customer is a shop's customer (Medusa's Customer, table customer): a
// guest (HasAccount false) or a registered customer linked to an auth
// identity (HasAccount true). Empty strings are NULL in the database.
type Customer struct {
	ID          string         `json:"id"`
	CompanyName string         `json:"company_name"`
	FirstName   string         `json:"first_name"`
	LastName    string         `json:"last_name"`
	Email       string         `json:"email"`
	Phone       string         `json:"phone"`
	HasAccount  bool           `json:"has_account"`
	Metadata    map[string]any `json:"metadata"`
	CreatedBy   string         `json:"created_by"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	DeletedAt   *time.Time     `json:"deleted_at"`

	// Addresses and Groups are loaded only when the relations "addresses"
	// and "groups" are asked for; otherwise they are nil. In JSON a loaded
	// relation is an array ([] when empty) and one not loaded is absent.
	Addresses []*address.Address `json:"addresses,omitzero"`
	Groups    []*group.Group     `json:"groups,omitzero"`
}

// Relation names for store.FindOptions and store.ListOptions.
const (
	RelAddresses = "addresses"
	RelGroups    = "groups"
)

// CreateParams is the input of [Service.Create]. Nothing is required. Its
// JSON names are Medusa's, the names of the import format (see
// [DecodeNDJSON]).
type CreateParams struct {
	CompanyName string `json:"company_name,omitempty"`
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	// Email is trimmed and lower-cased. It is unique per HasAccount among
	// live customers, compared case-insensitively.
	Email      string         `json:"email,omitempty"`
	Phone      string         `json:"phone,omitempty"`
	HasAccount bool           `json:"has_account,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	CreatedBy  string         `json:"created_by,omitempty"`
	// Addresses are created with the customer, in the same unit of work;
	// their CustomerID is ignored.
	Addresses []address.CreateParams `json:"addresses,omitempty"`
}

// UpdateParams is the input of [Service.Update]: nil fields are left as
// they are, a pointer to "" clears a field. Metadata is merged key by key
// and a key set to "" is removed.
type UpdateParams struct {
	CompanyName *string
	FirstName   *string
	LastName    *string
	Email       *string
	Phone       *string
	Metadata    map[string]any
	// ClearMetadata sets the metadata to null (Medusa's "metadata": null)
	// before Metadata, if any, is merged into it.
	ClearMetadata bool
}

// Filter selects customers. Zero fields do not filter; a nil slice does
// not filter, an empty non-nil slice matches nothing. Every field that is
// set must hold.
type Filter struct {
	// Q matches when every word occurs, case-insensitively, in one of
	// company_name, first_name, last_name, email or phone. Only the top
	// level of a filter may search: a sub-filter (And, Or) with a Q is
	// refused.
	Q   string
	IDs []string
	// ID filters the id with operators ($eq, $ne, $in, $nin, $like,
	// $ilike, $gt, $gte, $lt, $lte); IDs and ID both apply. On PostgreSQL
	// the bounds compare in the column's collation, which the primary key
	// serves and which orders Medusa's ids as byte order does.
	ID store.StringFilter
	// Emails matches any of the emails, case-insensitively.
	Emails []string
	// Email filters the email with operators, case-insensitively (emails
	// are case-insensitive in clientele): In and NotIn compare lower-cased
	// emails, and Like matches as ILike.
	Email      store.StringFilter
	HasAccount *bool
	// GroupIDs keeps the members of any of these groups (a live
	// membership, whatever the group's own state, as in Medusa).
	GroupIDs []string
	// Groups, when set, keeps the customers with a live membership of a
	// group that matches it (Medusa's groups[...] filter).
	Groups      *GroupFilter
	CompanyName store.StringFilter
	FirstName   store.StringFilter
	LastName    store.StringFilter
	Phone       store.StringFilter
	CreatedBy   store.StringFilter
	CreatedAt   store.TimeFilter
	UpdatedAt   store.TimeFilter
	// DeletedAt filters the time of the soft deletion. Set, it makes the
	// list include soft-deleted customers, as store.ListOptions.WithDeleted
	// does (as in Medusa, wherever it occurs in the filter); see
	// Filter.WithDeleted.
	DeletedAt store.TimeFilter
	// And keeps the customers matching every sub-filter, Or those matching
	// at least one (an empty non-nil Or matches nothing). Sub-filters nest
	// at most store.MaxFilterDepth deep, store.MaxFilterTerms in all.
	And, Or []Filter
}

// GroupFilter selects customers by the groups they belong to: a customer
// matches when one of its live memberships is of a group for which every
// set field holds. Only live groups match, unless DeletedAt is set.
type GroupFilter struct {
	ID        store.StringFilter
	Name      store.StringFilter
	CreatedAt store.TimeFilter
	UpdatedAt store.TimeFilter
	DeletedAt store.TimeFilter
}

// WithDeleted reports whether f, or one of its sub-filters, filters on
// DeletedAt, which makes a list include soft-deleted customers.
func (f Filter) WithDeleted() bool {
	return !f.DeletedAt.IsZero() || filtercheck.AnySub(f.And, f.Or, Filter.WithDeleted)
}

// Check validates f: the bounds of its string and time filters (see
// store.StringFilter.Check), the nesting of And and Or, and no Q in a
// sub-filter. Both backends and the Service call it; errors are
// *store.ValidationErrors naming the field ("or[0].first_name").
func (f Filter) Check() error { return filtercheck.Check(f, Filter.level) }

// level returns what filtercheck.Check checks of f.
func (f Filter) level() (string, []filtercheck.Field, []Filter, []Filter) {
	fields := []filtercheck.Field{
		filtercheck.S("id", f.ID), filtercheck.S("email", f.Email),
		filtercheck.S("company_name", f.CompanyName), filtercheck.S("first_name", f.FirstName),
		filtercheck.S("last_name", f.LastName), filtercheck.S("phone", f.Phone),
		filtercheck.S("created_by", f.CreatedBy),
		filtercheck.T("created_at", f.CreatedAt), filtercheck.T("updated_at", f.UpdatedAt),
		filtercheck.T("deleted_at", f.DeletedAt),
	}
	if g := f.Groups; g != nil {
		fields = append(fields,
			filtercheck.S("groups.id", g.ID), filtercheck.S("groups.name", g.Name),
			filtercheck.T("groups.created_at", g.CreatedAt), filtercheck.T("groups.updated_at", g.UpdatedAt),
			filtercheck.T("groups.deleted_at", g.DeletedAt))
	}
	return f.Q, fields, f.And, f.Or
}

// Sortable declares the columns a customer list may be ordered by, and the
// field of Customer each one holds. Both backends sort by it.
var Sortable = store.NewColumns(
	store.Text("id", func(c *Customer) string { return c.ID }),
	store.Text("company_name", func(c *Customer) string { return c.CompanyName }),
	store.Text("first_name", func(c *Customer) string { return c.FirstName }),
	store.Text("last_name", func(c *Customer) string { return c.LastName }),
	store.Text("email", func(c *Customer) string { return c.Email }),
	store.Text("phone", func(c *Customer) string { return c.Phone }),
	store.Bool("has_account", func(c *Customer) bool { return c.HasAccount }),
	store.Text("created_by", func(c *Customer) string { return c.CreatedBy }),
	store.Time("created_at", func(c *Customer) time.Time { return c.CreatedAt }),
	store.Time("updated_at", func(c *Customer) time.Time { return c.UpdatedAt }),
	store.NullTime("deleted_at", func(c *Customer) *time.Time { return c.DeletedAt }),
)

// Store is the storage a customer Service needs: its own methods plus the
// address and group stores it loads relations from. See package store for
// the rules every method follows.
type Store interface {
	address.Store
	group.Store
	// InsertCustomers inserts customers whose ids, timestamps and values the
	// service has set. It fails with ErrConflict when two live customers
	// would share (email, has_account) exactly (Medusa's unique index).
	InsertCustomers(ctx context.Context, cs []*Customer) error
	// ListCustomers returns the customers matching f; Relations in opts are
	// ignored (the service loads them).
	ListCustomers(ctx context.Context, f Filter, opts store.ListOptions) ([]*Customer, error)
	// CountCustomers counts the customers matching f, ignoring paging.
	CountCustomers(ctx context.Context, f Filter, opts store.ListOptions) (int, error)
	// UpdateCustomers writes every column but id and created_at of each
	// customer, by id. Same conflicts as InsertCustomers.
	UpdateCustomers(ctx context.Context, cs []*Customer) error
	// DeleteCustomers deletes customers for good, with their addresses and
	// group memberships.
	DeleteCustomers(ctx context.Context, ids []string) error
}

// ListCounter is an optional interface of a Store that lists a page of
// customers and counts every match in one pass (one query with a window
// count, one scan in memory). [Service.ListAndCount] uses it when the store
// has it.
type ListCounter interface {
	ListAndCountCustomers(ctx context.Context, f Filter, opts store.ListOptions) ([]*Customer, int, error)
}

// Pager is an optional interface of a Store that lists a page of customers
// and counts the matches as opts.Count asks (exactly, estimated or up to a
// cap), in one pass. [Service.ListPage] uses it when the store has it;
// without it, ListPage counts exactly.
type Pager interface {
	PageCustomers(ctx context.Context, f Filter, opts store.ListOptions) ([]*Customer, store.Count, error)
}
