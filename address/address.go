package address

import (
	"context"
	"time"

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
// everything else is optional.
type CreateParams struct {
	CustomerID        string
	AddressName       string
	IsDefaultShipping bool
	IsDefaultBilling  bool
	Company           string
	FirstName         string
	LastName          string
	Address1          string
	Address2          string
	City              string
	CountryCode       string // ISO 3166-1 alpha-2, any case; stored lower-case
	Province          string
	PostalCode        string // checked against the country's format
	Phone             string
	Metadata          map[string]any
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
}

// Filter selects addresses. Zero fields do not filter.
type Filter struct {
	// Q matches when every word occurs, case-insensitively, in one of
	// address_name, company, first_name, last_name, address_1, address_2,
	// city, province or postal_code.
	Q                 string
	IDs               []string
	CustomerIDs       []string
	CountryCodes      []string // any case
	IsDefaultShipping *bool
	IsDefaultBilling  *bool
	// Exact matches on text columns (store.IsNull matches empty ones).
	Company    store.StringFilter
	City       store.StringFilter
	Province   store.StringFilter
	PostalCode store.StringFilter
}

// Sortable lists the columns an address list may be ordered by.
var Sortable = map[string]bool{
	"id": true, "customer_id": true, "address_name": true, "is_default_shipping": true,
	"is_default_billing": true, "company": true, "first_name": true, "last_name": true,
	"address_1": true, "address_2": true, "city": true, "country_code": true,
	"province": true, "postal_code": true, "phone": true,
	"created_at": true, "updated_at": true, "deleted_at": true,
}

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
