package httpapi

import (
	"net/http"
	"slices"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

var (
	storeCustomerFields = []string{"id", "email", "company_name", "first_name", "last_name", "phone", "metadata", "has_account", "deleted_at", "created_at", "updated_at"}
	adminCustomerFields = []string{"id", "company_name", "first_name", "last_name", "email", "phone", "metadata", "has_account", "created_by", "created_at", "updated_at", "deleted_at"}
	customerRelations   = []string{customer.RelAddresses, customer.RelGroups}

	// storeAddressFields are the default fields of the store's address
	// routes, and all that a customer may ask for of an address there.
	storeAddressFields = []string{"id", "address_name", "company", "customer_id", "first_name", "last_name", "address_1", "address_2", "city", "province", "postal_code", "country_code", "phone", "metadata", "is_default_shipping", "is_default_billing", "created_at", "updated_at"}
	adminAddressFields = []string{"id", "address_name", "company", "customer_id", "first_name", "last_name", "address_1", "address_2", "city", "province", "postal_code", "country_code", "phone", "metadata", "created_at", "updated_at"}
)

// Body schemas.
var (
	customerBase = []field{
		{name: "company_name", kind: kString}, {name: "first_name", kind: kString},
		{name: "last_name", kind: kString}, {name: "phone", kind: kString},
		{name: "metadata", kind: kRecord},
	}
	storeCreateCustomerBody = append([]field{{name: "email", kind: kString, email: true}}, customerBase...)
	storeUpdateCustomerBody = customerBase
	adminCustomerBody       = append([]field{{name: "email", kind: kString, email: true}, {name: "additional_data", kind: kRecord}}, customerBase...)

	storeAddressBody = []field{
		{name: "address_name", kind: kString}, {name: "company", kind: kString},
		{name: "first_name", kind: kString}, {name: "last_name", kind: kString},
		{name: "address_1", kind: kString}, {name: "address_2", kind: kString},
		{name: "city", kind: kString}, {name: "country_code", kind: kString},
		{name: "province", kind: kString}, {name: "postal_code", kind: kString},
		{name: "phone", kind: kString},
		{name: "is_default_shipping", kind: kBool}, {name: "is_default_billing", kind: kBool},
		{name: "metadata", kind: kRecord},
	}
	adminAddressBody = append([]field{{name: "additional_data", kind: kRecord}}, storeAddressBody...)

	linkBody = []field{{name: "add", kind: kStrings}, {name: "remove", kind: kStrings}}
)

func addressCreateParams(customerID string, b body) address.CreateParams {
	p := address.CreateParams{
		CustomerID: customerID, AddressName: b.str("address_name"), Company: b.str("company"),
		FirstName: b.str("first_name"), LastName: b.str("last_name"),
		Address1: b.str("address_1"), Address2: b.str("address_2"), City: b.str("city"),
		CountryCode: b.str("country_code"), Province: b.str("province"),
		PostalCode: b.str("postal_code"), Phone: b.str("phone"), Metadata: b.record("metadata"),
	}
	if v := b.boolPtr("is_default_shipping"); v != nil {
		p.IsDefaultShipping = *v
	}
	if v := b.boolPtr("is_default_billing"); v != nil {
		p.IsDefaultBilling = *v
	}
	return p
}

func addressUpdateParams(b body) address.UpdateParams {
	return address.UpdateParams{
		AddressName: b.strPtr("address_name"), Company: b.strPtr("company"),
		FirstName: b.strPtr("first_name"), LastName: b.strPtr("last_name"),
		Address1: b.strPtr("address_1"), Address2: b.strPtr("address_2"), City: b.strPtr("city"),
		CountryCode: b.strPtr("country_code"), Province: b.strPtr("province"),
		PostalCode: b.strPtr("postal_code"), Phone: b.strPtr("phone"),
		IsDefaultShipping: b.boolPtr("is_default_shipping"), IsDefaultBilling: b.boolPtr("is_default_billing"),
		Metadata: b.record("metadata"), ClearMetadata: b.null("metadata"),
	}
}

func customerCreateParams(b body) customer.CreateParams {
	return customer.CreateParams{
		Email: b.str("email"), CompanyName: b.str("company_name"), FirstName: b.str("first_name"),
		LastName: b.str("last_name"), Phone: b.str("phone"), Metadata: b.record("metadata"),
	}
}

func customerUpdateParams(b body) customer.UpdateParams {
	return customer.UpdateParams{
		Email: b.strPtr("email"), CompanyName: b.strPtr("company_name"), FirstName: b.strPtr("first_name"),
		LastName: b.strPtr("last_name"), Phone: b.strPtr("phone"), Metadata: b.record("metadata"),
		ClearMetadata: b.null("metadata"),
	}
}

func storeCustomerSel(r *http.Request) selection {
	// A customer sees its own fields and addresses, not the groups admins
	// put it in.
	rels := []string{customer.RelAddresses}
	return parseFields(r.URL.Query().Get("fields"), storeCustomerFields, rels, rels).only(storeCustomerFields)
}

func (a *API) respondStoreCustomer(w http.ResponseWriter, r *http.Request, id string) error {
	v, err := a.customerView(r, id, storeCustomerSel(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": v})
	return nil
}

// POST /store/customers: a registration token becomes a customer account.
func (a *API) storeCreateCustomer(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	if ac.claims.ActorID != "" {
		return account.ErrAlreadyLinked
	}
	b, err := a.decode(w, r, storeCreateCustomerBody...)
	if err != nil {
		return err
	}
	c, err := a.cfg.Accounts.CreateCustomer(r.Context(), ac.claims.AuthIdentityID, customerCreateParams(b))
	if err != nil {
		return err
	}
	return a.respondStoreCustomer(w, r, c.ID)
}

// GET /store/customers/me
func (a *API) storeMe(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	return a.respondStoreCustomer(w, r, ac.claims.ActorID)
}

// POST /store/customers/me (no email: Medusa's store schema has none)
func (a *API) storeUpdateMe(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	b, err := a.decode(w, r, storeUpdateCustomerBody...)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Customers.Update(r.Context(), ac.claims.ActorID, customerUpdateParams(b)); err != nil {
		return err
	}
	return a.respondStoreCustomer(w, r, ac.claims.ActorID)
}

// listAddresses answers {addresses, count, offset, limit} for a customer;
// for the store (store true) only the store's address fields and no
// deleted addresses.
func (a *API) listAddresses(w http.ResponseWriter, r *http.Request, customerID string, defaults []string, forStore bool) error {
	extra := pagingParams
	if forStore {
		// Medusa's store schema takes with_deleted too; a customer never
		// sees its deleted addresses.
		extra = slices.DeleteFunc(slices.Clone(extra), func(k string) bool { return k == "with_deleted" })
	}
	f, err := readFilter(r.URL.RawQuery, addressFilterSchema(forStore), extra...)
	if err != nil {
		return err
	}
	f.CustomerIDs = []string{customerID}
	p, err := a.listParams(r, address.Sortable)
	if err != nil {
		return err
	}
	pg, err := a.cfg.Addresses.ListPage(r.Context(), f, p.options())
	if err != nil {
		return err
	}
	sel := parseFields(p.fields, defaults, nil, nil)
	if forStore {
		sel = sel.only(storeAddressFields)
	}
	out := pickEach(page(p, pg.Items), sel.keys, addressField)
	writeJSON(w, http.StatusOK, answer(p, "addresses", out, pg))
	return nil
}

// GET /store/customers/me/addresses
func (a *API) storeListAddresses(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	return a.listAddresses(w, r, ac.claims.ActorID, storeAddressFields, true)
}

// POST /store/customers/me/addresses answers the customer.
func (a *API) storeCreateAddress(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	b, err := a.decode(w, r, storeAddressBody...)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Addresses.Create(r.Context(), addressCreateParams(ac.claims.ActorID, b)); err != nil {
		return err
	}
	return a.respondStoreCustomer(w, r, ac.claims.ActorID)
}

// ownAddress returns the customer's address id, or Medusa's 404 when it is
// missing or another customer's.
func (a *API) ownAddress(r *http.Request, customerID, addressID string) (*address.Address, error) {
	ad, err := a.cfg.Addresses.Retrieve(r.Context(), addressID, store.FindOptions{})
	if err != nil || ad.CustomerID != customerID {
		if err == nil || errorsIsNotFound(err) {
			return nil, notFoundErr("Address with id: %s was not found", addressID)
		}
		return nil, err
	}
	return ad, nil
}

// GET /store/customers/me/addresses/{address_id}
func (a *API) storeGetAddress(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	ad, err := a.ownAddress(r, ac.claims.ActorID, r.PathValue("address_id"))
	if err != nil {
		return err
	}
	sel := parseFields(r.URL.Query().Get("fields"), storeAddressFields, nil, nil).only(storeAddressFields)
	writeJSON(w, http.StatusOK, map[string]any{"address": pick(ad, sel.keys, addressField)})
	return nil
}

// POST /store/customers/me/addresses/{address_id} answers the customer.
func (a *API) storeUpdateAddress(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	if _, err := a.ownAddress(r, ac.claims.ActorID, r.PathValue("address_id")); err != nil {
		return err
	}
	b, err := a.decode(w, r, storeAddressBody...)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Addresses.Update(r.Context(), r.PathValue("address_id"), addressUpdateParams(b)); err != nil {
		return err
	}
	return a.respondStoreCustomer(w, r, ac.claims.ActorID)
}

// DELETE /store/customers/me/addresses/{address_id} answers
// {id: <customer id>, object: "address", deleted: true, parent}.
func (a *API) storeDeleteAddress(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	if _, err := a.ownAddress(r, ac.claims.ActorID, r.PathValue("address_id")); err != nil {
		return err
	}
	if err := a.cfg.Addresses.Delete(r.Context(), r.PathValue("address_id")); err != nil {
		return err
	}
	parent, err := a.customerView(r, ac.claims.ActorID, storeCustomerSel(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": ac.claims.ActorID, "object": "address", "deleted": true, "parent": parent})
	return nil
}
