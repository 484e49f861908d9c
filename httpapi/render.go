package httpapi

import (
	"net/http"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// The answers of the routes are built key by key from the entities, as
// Medusa renders its records: a text column that is unset (NULL, which the
// domain types hold as "") is null, unset metadata and deleted_at are
// null, and a relation is an array when it was asked for (an empty one
// included) and absent when it was not.

// Every field of each entity, in Medusa's order: what "*rel" answers.
var (
	customerAllFields = []string{"id", "company_name", "first_name", "last_name", "email", "phone", "has_account", "metadata", "created_by", "created_at", "updated_at", "deleted_at"}
	addressAllFields  = []string{"id", "address_name", "is_default_shipping", "is_default_billing", "company", "first_name", "last_name", "address_1", "address_2", "city", "country_code", "province", "postal_code", "phone", "metadata", "customer_id", "created_at", "updated_at", "deleted_at"}
	groupAllFields    = []string{"id", "name", "metadata", "created_by", "created_at", "updated_at", "deleted_at"}
)

// nullable renders an optional text column: "" (NULL) is null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullTime renders an optional timestamp.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// nullMeta renders metadata: nil (NULL) is null.
func nullMeta(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

// customerField returns the value of key of c, and whether a customer has
// such a key. Relations are rendered apart.
func customerField(c *customer.Customer, key string) (any, bool) {
	switch key {
	case "id":
		return c.ID, true
	case "company_name":
		return nullable(c.CompanyName), true
	case "first_name":
		return nullable(c.FirstName), true
	case "last_name":
		return nullable(c.LastName), true
	case "email":
		return nullable(c.Email), true
	case "phone":
		return nullable(c.Phone), true
	case "has_account":
		return c.HasAccount, true
	case "metadata":
		return nullMeta(c.Metadata), true
	case "created_by":
		return nullable(c.CreatedBy), true
	case "created_at":
		return c.CreatedAt, true
	case "updated_at":
		return c.UpdatedAt, true
	case "deleted_at":
		return nullTime(c.DeletedAt), true
	}
	return nil, false
}

// addressField returns the value of key of a, and whether an address has
// such a key.
func addressField(a *address.Address, key string) (any, bool) {
	switch key {
	case "id":
		return a.ID, true
	case "customer_id":
		return a.CustomerID, true
	case "address_name":
		return nullable(a.AddressName), true
	case "is_default_shipping":
		return a.IsDefaultShipping, true
	case "is_default_billing":
		return a.IsDefaultBilling, true
	case "company":
		return nullable(a.Company), true
	case "first_name":
		return nullable(a.FirstName), true
	case "last_name":
		return nullable(a.LastName), true
	case "address_1":
		return nullable(a.Address1), true
	case "address_2":
		return nullable(a.Address2), true
	case "city":
		return nullable(a.City), true
	case "country_code":
		return nullable(a.CountryCode), true
	case "province":
		return nullable(a.Province), true
	case "postal_code":
		return nullable(a.PostalCode), true
	case "phone":
		return nullable(a.Phone), true
	case "metadata":
		return nullMeta(a.Metadata), true
	case "created_at":
		return a.CreatedAt, true
	case "updated_at":
		return a.UpdatedAt, true
	case "deleted_at":
		return nullTime(a.DeletedAt), true
	}
	return nil, false
}

// groupField returns the value of key of g, and whether a group has such
// a key. Its customers are rendered apart.
func groupField(g *group.Group, key string) (any, bool) {
	switch key {
	case "id":
		return g.ID, true
	case "name":
		return g.Name, true
	case "metadata":
		return nullMeta(g.Metadata), true
	case "created_by":
		return nullable(g.CreatedBy), true
	case "created_at":
		return g.CreatedAt, true
	case "updated_at":
		return g.UpdatedAt, true
	case "deleted_at":
		return nullTime(g.DeletedAt), true
	}
	return nil, false
}

// pick renders the keys of v that field knows; other names are ignored.
func pick[T any](v T, keys []string, field func(T, string) (any, bool)) map[string]any {
	out := make(map[string]any, len(keys)+2)
	for _, k := range keys {
		if val, ok := field(v, k); ok {
			out[k] = val
		}
	}
	return out
}

// pickEach renders each of vs with pick: always an array, [] for none.
func pickEach[T any](vs []T, keys []string, field func(T, string) (any, bool)) []any {
	out := make([]any, 0, len(vs))
	for _, v := range vs {
		out = append(out, pick(v, keys, field))
	}
	return out
}

// renderCustomer renders c with the keys and relations of sel (which c
// was loaded with).
func renderCustomer(c *customer.Customer, sel selection) map[string]any {
	out := pick(c, sel.keys, customerField)
	for _, r := range sel.rels {
		if v, ok := customerRel(c, r); ok {
			out[r.name] = v
		}
	}
	return out
}

// customerRel renders the relation r of c, and reports whether a customer
// has such a relation.
func customerRel(c *customer.Customer, r relSel) (any, bool) {
	switch r.name {
	case customer.RelAddresses:
		return pickEach(c.Addresses, r.fields(addressAllFields, false), addressField), true
	case customer.RelGroups:
		return pickEach(c.Groups, r.fields(groupAllFields, false), groupField), true
	}
	return nil, false
}

// customerView retrieves a customer with the relations of sel, to answer
// it as renderCustomer renders it.
func (a *API) customerView(r *http.Request, id string, sel selection) (any, error) {
	c, err := a.cfg.Customers.Retrieve(r.Context(), id, store.FindOptions{Relations: sel.relNames()})
	if err != nil {
		return nil, err
	}
	return customerJSON{c, sel}, nil
}

// groupRelCustomers is the relation of a group to its customers.
const groupRelCustomers = "customers"

// renderGroup renders a group, with its customers when sel asks for them.
func (a *API) renderGroup(r *http.Request, g *group.Group, sel selection) (map[string]any, error) {
	out := pick(g, sel.keys, groupField)
	if rel, ok := sel.rel(groupRelCustomers); ok {
		cs, err := a.cfg.Customers.List(r.Context(), customer.Filter{GroupIDs: []string{g.ID}}, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		out[groupRelCustomers] = pickEach(cs, rel.fields(customerAllFields, true), customerField)
	}
	return out, nil
}
