package address

import (
	"context"
	"time"

	"github.com/clientele/clientele/internal/filtercheck"
	"github.com/clientele/clientele/store"
)

// Address is a customer's address (Medusa's CustomerAddress, table
// customer_address). Empty strings are NULL in the database.
type Address struct {
	ID                string         `json:"id"`
	CustomerID        string         `json:"customer_id"`
	AddressName       string         `json:"address_name"`
	IsDefaultShipping bool           `json:"is_default_shipping"`
	IsDefaultBilling  bool           `json:"is_default_billing"`
	Company           string         `json:"company"`
	FirstName         string         `json:"first_name"`
	LastName          string         `json:"last_name"`
	Address1          string         `json:"address_1"`
	Address2          string         `json:"address_2"`
	City              string         `json:"city"`
	CountryCode       string         `json:"country_code"`
	Province          string         `json:"province"`
	PostalCode        string         `json:"postal_code"`
	Phone             string         `json:"phone"`
	Metadata          map[string]any `json:"metadata"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
	DeletedAt         *time.Time     `json:"deleted_at"`
}

// CreateParams is the input of [Service.Create]. CustomerID is required;
// everything else is optional. Its JSON names are Medusa's.
type CreateParams struct {
	CustomerID        string         `json:"customer_id,omitempty"`
	AddressName       string         `json:"address_name,omitempty"`
	IsDefaultShipping bool           `json:"is_default_shipping,omitempty"`
	IsDefaultBilling  bool           `json:"is_default_billing,omitempty"`
	Company           string         `json:"company,omitempty"`
	FirstName         string         `json:"first_name,omitempty"`
	LastName          string         `json:"last_name,omitempty"`
	Address1          string         `json:"address_1,omitempty"`
	Address2          string         `json:"address_2,omitempty"`
	City              string         `json:"city,omitempty"`
	CountryCode       string         `json:"country_code,omitempty"` // ISO 3166-1 alpha-2, any case; stored lower-case
	Province          string         `json:"province,omitempty"`
	PostalCode        string         `json:"postal_code,omitempty"` // checked against the country's format
	Phone             string         `json:"phone,omitempty"`
	Metadata          map[string]any `json:"metadata,omitempty"`
}

// UpdateParams is the input of [Service.Update]: nil fields are left as
// they are, a pointer to "" clears a field. Metadata is merged key by key
// and a key set to "" is removed.
type UpdateParams struct {
	AddressName       *string
	IsDefaultShipping *bool
	IsDefaultBilling  *bool
	Company           *string
	FirstName         *string
	LastName          *string
	Address1          *string
	Address2          *string
	City              *string
	CountryCode       *string
	Province          *string
	PostalCode        *string
	Phone             *string
	Metadata          map[string]any
	// ClearMetadata sets the metadata to null (Medusa's "metadata": null)
	// before Metadata, if any, is merged into it.
	ClearMetadata bool
}

// Filter selects addresses. Zero fields do not filter; a nil slice does
// not filter, an empty non-nil slice matches nothing. Every field that is
// set must hold.
type Filter struct {
	// Q matches when every word occurs, case-insensitively, in one of
	// address_name, company, first_name, last_name, address_1, address_2,
	// city, province or postal_code. Only the top level of a filter may
	// search: a sub-filter (And, Or) with a Q is refused.
	Q                 string
	IDs               []string
	CustomerIDs       []string
	CountryCodes      []string // any case
	IsDefaultShipping *bool
	IsDefaultBilling  *bool
	// Text columns, with the operators of store.StringFilter
	// (store.IsNull matches empty ones).
	Company    store.StringFilter
	FirstName  store.StringFilter
	LastName   store.StringFilter
	Address1   store.StringFilter
	Address2   store.StringFilter
	City       store.StringFilter
	Province   store.StringFilter
	PostalCode store.StringFilter
	Phone      store.StringFilter
	// DeletedAt filters the time of the soft deletion. Set, it makes the
	// list include soft-deleted addresses, as store.ListOptions.WithDeleted
	// does; see Filter.WithDeleted.
	DeletedAt store.TimeFilter
	// And keeps the addresses matching every sub-filter, Or those matching
	// at least one (an empty non-nil Or matches nothing). Sub-filters nest
	// at most store.MaxFilterDepth deep, store.MaxFilterTerms in all.
	And, Or []Filter
}

// WithDeleted reports whether f, or one of its sub-filters, filters on
// DeletedAt, which makes a list include soft-deleted addresses.
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
	return f.Q, []filtercheck.Field{
		filtercheck.S("company", f.Company), filtercheck.S("first_name", f.FirstName),
		filtercheck.S("last_name", f.LastName), filtercheck.S("address_1", f.Address1),
		filtercheck.S("address_2", f.Address2), filtercheck.S("city", f.City),
		filtercheck.S("province", f.Province), filtercheck.S("postal_code", f.PostalCode),
		filtercheck.S("phone", f.Phone), filtercheck.T("deleted_at", f.DeletedAt),
	}, f.And, f.Or
}

// Sortable declares the columns an address list may be ordered by, and the
// field of Address each one holds. Both backends sort by it.
var Sortable = store.NewColumns(
	store.Text("id", func(a *Address) string { return a.ID }),
	store.Text("customer_id", func(a *Address) string { return a.CustomerID }),
	store.Text("address_name", func(a *Address) string { return a.AddressName }),
	store.Bool("is_default_shipping", func(a *Address) bool { return a.IsDefaultShipping }),
	store.Bool("is_default_billing", func(a *Address) bool { return a.IsDefaultBilling }),
	store.Text("company", func(a *Address) string { return a.Company }),
	store.Text("first_name", func(a *Address) string { return a.FirstName }),
	store.Text("last_name", func(a *Address) string { return a.LastName }),
	store.Text("address_1", func(a *Address) string { return a.Address1 }),
	store.Text("address_2", func(a *Address) string { return a.Address2 }),
	store.Text("city", func(a *Address) string { return a.City }),
	store.Text("country_code", func(a *Address) string { return a.CountryCode }),
	store.Text("province", func(a *Address) string { return a.Province }),
	store.Text("postal_code", func(a *Address) string { return a.PostalCode }),
	store.Text("phone", func(a *Address) string { return a.Phone }),
	store.Time("created_at", func(a *Address) time.Time { return a.CreatedAt }),
	store.Time("updated_at", func(a *Address) time.Time { return a.UpdatedAt }),
	store.NullTime("deleted_at", func(a *Address) *time.Time { return a.DeletedAt }),
)

// Store is the storage an address Service needs. A backend implements it
// together with the other domain stores; see package store for the rules
// every method follows.
type Store interface {
	store.Transactor
	// LockCustomers returns the ids among ids of live customers, and locks
	// those customer rows until the unit of work ends, so that concurrent
	// changes of one customer's default addresses run one after another.
	LockCustomers(ctx context.Context, ids []string) ([]string, error)
	// InsertAddresses inserts addresses whose ids, timestamps and values the
	// service has set. It fails with ErrConflict when a customer would get
	// two default shipping or two default billing addresses (Medusa's unique
	// indexes, which count soft-deleted rows too).
	InsertAddresses(ctx context.Context, addrs []*Address) error
	// ListAddresses returns the addresses matching f.
	ListAddresses(ctx context.Context, f Filter, opts store.ListOptions) ([]*Address, error)
	// CountAddresses counts the addresses matching f, ignoring paging.
	CountAddresses(ctx context.Context, f Filter, opts store.ListOptions) (int, error)
	// UpdateAddresses writes every column but id and created_at of each
	// address, by id. Same conflicts as InsertAddresses.
	UpdateAddresses(ctx context.Context, addrs []*Address) error
	// DeleteAddresses deletes addresses for good; unknown ids are ignored.
	DeleteAddresses(ctx context.Context, ids []string) error
}
