package group

import (
	"context"
	"time"

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

// Filter selects groups. Zero fields do not filter.
type Filter struct {
	// Q matches groups whose name contains every word, case-insensitively.
	Q     string
	IDs   []string
	Names []string
	// CustomerIDs keeps the groups that one of these customers belongs to.
	CustomerIDs []string
	CreatedBy   store.StringFilter
	CreatedAt   store.TimeRange
	UpdatedAt   store.TimeRange
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
}
