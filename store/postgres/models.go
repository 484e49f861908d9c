package postgres

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
)

// The row types map Medusa's tables. Nullable text columns are nullzero
// (the empty string is NULL), metadata is jsonb (a nil map is NULL), and
// times are timestamptz. They are separate from the domain types so that
// every value read or written is a copy.

type customerRow struct {
	bun.BaseModel `bun:"table:customer,alias:c"`

	ID          string         `bun:"id,pk,type:text"`
	CompanyName string         `bun:"company_name,nullzero,type:text"`
	FirstName   string         `bun:"first_name,nullzero,type:text"`
	LastName    string         `bun:"last_name,nullzero,type:text"`
	Email       string         `bun:"email,nullzero,type:text"`
	Phone       string         `bun:"phone,nullzero,type:text"`
	HasAccount  bool           `bun:"has_account,notnull,type:boolean"`
	Metadata    map[string]any `bun:"metadata,nullzero,type:jsonb"`
	CreatedBy   string         `bun:"created_by,nullzero,type:text"`
	CreatedAt   time.Time      `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt   time.Time      `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt   *time.Time     `bun:"deleted_at,type:timestamptz"`
}

type addressRow struct {
	bun.BaseModel `bun:"table:customer_address,alias:a"`

	ID                string         `bun:"id,pk,type:text"`
	CustomerID        string         `bun:"customer_id,notnull,type:text"`
	AddressName       string         `bun:"address_name,nullzero,type:text"`
	IsDefaultShipping bool           `bun:"is_default_shipping,notnull,type:boolean"`
	IsDefaultBilling  bool           `bun:"is_default_billing,notnull,type:boolean"`
	Company           string         `bun:"company,nullzero,type:text"`
	FirstName         string         `bun:"first_name,nullzero,type:text"`
	LastName          string         `bun:"last_name,nullzero,type:text"`
	Address1          string         `bun:"address_1,nullzero,type:text"`
	Address2          string         `bun:"address_2,nullzero,type:text"`
	City              string         `bun:"city,nullzero,type:text"`
	CountryCode       string         `bun:"country_code,nullzero,type:text"`
	Province          string         `bun:"province,nullzero,type:text"`
	PostalCode        string         `bun:"postal_code,nullzero,type:text"`
	Phone             string         `bun:"phone,nullzero,type:text"`
	Metadata          map[string]any `bun:"metadata,nullzero,type:jsonb"`
	CreatedAt         time.Time      `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt         time.Time      `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt         *time.Time     `bun:"deleted_at,type:timestamptz"`
}

type groupRow struct {
	bun.BaseModel `bun:"table:customer_group,alias:g"`

	ID        string         `bun:"id,pk,type:text"`
	Name      string         `bun:"name,notnull,type:text"`
	Metadata  map[string]any `bun:"metadata,nullzero,type:jsonb"`
	CreatedBy string         `bun:"created_by,nullzero,type:text"`
	CreatedAt time.Time      `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt time.Time      `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt *time.Time     `bun:"deleted_at,type:timestamptz"`
}

type membershipRow struct {
	bun.BaseModel `bun:"table:customer_group_customer,alias:m"`

	ID         string         `bun:"id,pk,type:text"`
	CustomerID string         `bun:"customer_id,notnull,type:text"`
	GroupID    string         `bun:"customer_group_id,notnull,type:text"`
	Metadata   map[string]any `bun:"metadata,nullzero,type:jsonb"`
	CreatedAt  time.Time      `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt  time.Time      `bun:"updated_at,notnull,type:timestamptz"`
	CreatedBy  string         `bun:"created_by,nullzero,type:text"`
	DeletedAt  *time.Time     `bun:"deleted_at,type:timestamptz"`
}

type authIdentityRow struct {
	bun.BaseModel `bun:"table:auth_identity,alias:ai"`

	ID          string         `bun:"id,pk,type:text"`
	AppMetadata map[string]any `bun:"app_metadata,nullzero,type:jsonb"`
	CreatedAt   time.Time      `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt   time.Time      `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt   *time.Time     `bun:"deleted_at,type:timestamptz"`
}

type providerIdentityRow struct {
	bun.BaseModel `bun:"table:provider_identity,alias:pi"`

	ID               string         `bun:"id,pk,type:text"`
	EntityID         string         `bun:"entity_id,notnull,type:text"`
	Provider         string         `bun:"provider,notnull,type:text"`
	AuthIdentityID   string         `bun:"auth_identity_id,notnull,type:text"`
	UserMetadata     map[string]any `bun:"user_metadata,nullzero,type:jsonb"`
	ProviderMetadata map[string]any `bun:"provider_metadata,nullzero,type:jsonb"`
	CreatedAt        time.Time      `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt        time.Time      `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt        *time.Time     `bun:"deleted_at,type:timestamptz"`
}

// resetTokenRow maps auth_password_reset_token. clientele never
// soft-deletes a token (a used or replaced one is deleted), so DeletedAt
// is written as NULL; rows Medusa soft-deleted are never read.
type resetTokenRow struct {
	bun.BaseModel `bun:"table:auth_password_reset_token,alias:prt"`

	ID                 string     `bun:"id,pk,type:text"`
	AuthIdentityID     string     `bun:"auth_identity_id,notnull,type:text"`
	ProviderIdentityID string     `bun:"provider_identity_id,notnull,type:text"`
	EntityID           string     `bun:"entity_id,notnull,type:text"`
	TokenHash          string     `bun:"token_hash,notnull,type:text"`
	ExpiresAt          time.Time  `bun:"expires_at,notnull,type:timestamptz"`
	CreatedAt          time.Time  `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt          time.Time  `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt          *time.Time `bun:"deleted_at,type:timestamptz"`
}

// utc returns t in UTC; the driver returns times in the local zone.
func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func toCustomerRow(c *customer.Customer) customerRow {
	return customerRow{
		ID: c.ID, CompanyName: c.CompanyName, FirstName: c.FirstName, LastName: c.LastName,
		Email: c.Email, Phone: c.Phone, HasAccount: c.HasAccount, Metadata: c.Metadata,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, DeletedAt: c.DeletedAt,
	}
}

func (r *customerRow) customer() *customer.Customer {
	return &customer.Customer{
		ID: r.ID, CompanyName: r.CompanyName, FirstName: r.FirstName, LastName: r.LastName,
		Email: r.Email, Phone: r.Phone, HasAccount: r.HasAccount, Metadata: r.Metadata,
		CreatedBy: r.CreatedBy, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
		DeletedAt: utcPtr(r.DeletedAt),
	}
}

func toAddressRow(a *address.Address) addressRow {
	return addressRow{
		ID: a.ID, CustomerID: a.CustomerID, AddressName: a.AddressName,
		IsDefaultShipping: a.IsDefaultShipping, IsDefaultBilling: a.IsDefaultBilling,
		Company: a.Company, FirstName: a.FirstName, LastName: a.LastName,
		Address1: a.Address1, Address2: a.Address2, City: a.City, CountryCode: a.CountryCode,
		Province: a.Province, PostalCode: a.PostalCode, Phone: a.Phone, Metadata: a.Metadata,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, DeletedAt: a.DeletedAt,
	}
}

func (r *addressRow) address() *address.Address {
	return &address.Address{
		ID: r.ID, CustomerID: r.CustomerID, AddressName: r.AddressName,
		IsDefaultShipping: r.IsDefaultShipping, IsDefaultBilling: r.IsDefaultBilling,
		Company: r.Company, FirstName: r.FirstName, LastName: r.LastName,
		Address1: r.Address1, Address2: r.Address2, City: r.City, CountryCode: r.CountryCode,
		Province: r.Province, PostalCode: r.PostalCode, Phone: r.Phone, Metadata: r.Metadata,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), DeletedAt: utcPtr(r.DeletedAt),
	}
}

func toGroupRow(g *group.Group) groupRow {
	return groupRow{
		ID: g.ID, Name: g.Name, Metadata: g.Metadata, CreatedBy: g.CreatedBy,
		CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt, DeletedAt: g.DeletedAt,
	}
}

func (r *groupRow) group() *group.Group {
	return &group.Group{
		ID: r.ID, Name: r.Name, Metadata: r.Metadata, CreatedBy: r.CreatedBy,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), DeletedAt: utcPtr(r.DeletedAt),
	}
}

func toMembershipRow(m *group.Membership) membershipRow {
	return membershipRow{
		ID: m.ID, CustomerID: m.CustomerID, GroupID: m.GroupID, Metadata: m.Metadata,
		CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, DeletedAt: m.DeletedAt,
	}
}

func (r *membershipRow) membership() *group.Membership {
	return &group.Membership{
		ID: r.ID, CustomerID: r.CustomerID, GroupID: r.GroupID, Metadata: r.Metadata,
		CreatedBy: r.CreatedBy, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
		DeletedAt: utcPtr(r.DeletedAt),
	}
}

// rowsOf converts domain values to rows.
func rowsOf[T, R any](xs []*T, conv func(*T) R) []R {
	rows := make([]R, len(xs))
	for i, x := range xs {
		rows[i] = conv(x)
	}
	return rows
}

// valuesOf converts rows read from the database to domain values.
func valuesOf[R, T any](rows []R, conv func(*R) *T) []*T {
	out := make([]*T, len(rows))
	for i := range rows {
		out[i] = conv(&rows[i])
	}
	return out
}

// toAuthIdentityRow converts an identity, without its provider
// identities.
func toAuthIdentityRow(a *auth.AuthIdentity) authIdentityRow {
	return authIdentityRow{ID: a.ID, AppMetadata: a.AppMetadata, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, DeletedAt: a.DeletedAt}
}

// authIdentity converts a row; the provider identities are left to the
// caller.
func (r *authIdentityRow) authIdentity() *auth.AuthIdentity {
	return &auth.AuthIdentity{
		ID: r.ID, AppMetadata: r.AppMetadata, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
		DeletedAt: utcPtr(r.DeletedAt), ProviderIdentities: []*auth.ProviderIdentity{},
	}
}

func toProviderIdentityRow(p *auth.ProviderIdentity) providerIdentityRow {
	return providerIdentityRow{
		ID: p.ID, EntityID: p.EntityID, Provider: p.Provider, AuthIdentityID: p.AuthIdentityID,
		UserMetadata: p.UserMetadata, ProviderMetadata: p.ProviderMetadata,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, DeletedAt: p.DeletedAt,
	}
}

func (r *providerIdentityRow) providerIdentity() *auth.ProviderIdentity {
	return &auth.ProviderIdentity{
		ID: r.ID, EntityID: r.EntityID, Provider: r.Provider, AuthIdentityID: r.AuthIdentityID,
		UserMetadata: r.UserMetadata, ProviderMetadata: r.ProviderMetadata,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), DeletedAt: utcPtr(r.DeletedAt),
	}
}

func toResetTokenRow(t *auth.ResetToken) resetTokenRow {
	return resetTokenRow{
		ID: t.ID, AuthIdentityID: t.AuthIdentityID, ProviderIdentityID: t.ProviderIdentityID, EntityID: t.EntityID,
		TokenHash: t.TokenHash, ExpiresAt: t.ExpiresAt, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

func (r *resetTokenRow) resetToken() *auth.ResetToken {
	return &auth.ResetToken{
		ID: r.ID, AuthIdentityID: r.AuthIdentityID, ProviderIdentityID: r.ProviderIdentityID, EntityID: r.EntityID,
		TokenHash: r.TokenHash, ExpiresAt: utc(r.ExpiresAt), CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
}
