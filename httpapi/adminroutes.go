package httpapi

import (
	"errors"
	"net/http"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

var groupFields = []string{"id", "name", "created_by", "created_at", "updated_at", "deleted_at", "metadata"}

func errorsIsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func adminCustomerSel(r *http.Request) selection {
	return parseFields(r.URL.Query().Get("fields"), adminCustomerFields, nil, customerRelations)
}

func (a *API) respondAdminCustomer(w http.ResponseWriter, r *http.Request, id string) error {
	v, err := a.customerView(r, id, adminCustomerSel(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": v})
	return nil
}

// GET /admin/customers
func (a *API) adminListCustomers(w http.ResponseWriter, r *http.Request) error {
	f, err := readFilter(r.URL.RawQuery, customerFilterSchema, pagingParams...)
	if err != nil {
		return err
	}
	p, err := a.listParams(r, customer.Sortable)
	if err != nil {
		return err
	}
	sel := parseFields(p.fields, adminCustomerFields, nil, customerRelations)
	pg, err := a.cfg.Customers.ListPage(r.Context(), f, p.options(sel.relNames()...))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, answer(p, "customers", customersJSON{page(p, pg.Items), sel}, pg))
	return nil
}

// POST /admin/customers
func (a *API) adminCreateCustomer(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	b, err := a.decode(w, r, adminCustomerBody...)
	if err != nil {
		return err
	}
	p := customerCreateParams(b)
	p.CreatedBy = ac.claims.ActorID
	c, err := a.cfg.Customers.Create(r.Context(), p)
	if err != nil {
		return err
	}
	return a.respondAdminCustomer(w, r, c.ID)
}

// GET /admin/customers/{id}: an unknown or deleted id is the route's 404
// "Customer with id: <id> not found", as in Medusa.
func (a *API) adminGetCustomer(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return routeNotFound(a.respondAdminCustomer(w, r, id), customer.ErrNotFound, "Customer with id: %s not found", id)
}

// routeNotFound replaces err, when it is kind, with a route's own 404
// message (Medusa's routes word their 404s apart from its modules).
func routeNotFound(err, kind error, format, id string) error {
	if errors.Is(err, kind) {
		return notFoundErr(format, id)
	}
	return err
}

// POST /admin/customers/{id}: an unknown or deleted id is the route's 404
// "Customer with id "<id>" not found".
func (a *API) adminUpdateCustomer(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, adminCustomerBody...)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.cfg.Customers.Update(r.Context(), id, customerUpdateParams(b)); err != nil {
		return routeNotFound(err, customer.ErrNotFound, `Customer with id "%s" not found`, id)
	}
	return a.respondAdminCustomer(w, r, id)
}

// DELETE /admin/customers/{id}: the account goes (customer soft-deleted,
// identity deleted or unlinked); an unknown id answers 200 as in Medusa.
func (a *API) adminDeleteCustomer(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := a.cfg.Accounts.DeleteCustomer(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "customer", "deleted": true})
	return nil
}

// liveCustomer checks that the customer of the path exists.
func (a *API) liveCustomer(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if _, err := a.cfg.Customers.Retrieve(r.Context(), id, store.FindOptions{}); err != nil {
		return "", err
	}
	return id, nil
}

// GET /admin/customers/{id}/addresses
func (a *API) adminListAddresses(w http.ResponseWriter, r *http.Request) error {
	return a.listAddresses(w, r, r.PathValue("id"), adminAddressFields, false)
}

// POST /admin/customers/{id}/addresses answers the customer.
func (a *API) adminCreateAddress(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, adminAddressBody...)
	if err != nil {
		return err
	}
	id, err := a.liveCustomer(r)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Addresses.Create(r.Context(), addressCreateParams(id, b)); err != nil {
		return err
	}
	return a.respondAdminCustomer(w, r, id)
}

// GET /admin/customers/{id}/addresses/{address_id} (404 when the address
// is missing or another customer's; Medusa answers {}).
func (a *API) adminGetAddress(w http.ResponseWriter, r *http.Request) error {
	ad, err := a.ownAddress(r, r.PathValue("id"), r.PathValue("address_id"))
	if err != nil {
		return err
	}
	sel := parseFields(r.URL.Query().Get("fields"), adminAddressFields, nil, nil)
	writeJSON(w, http.StatusOK, map[string]any{"address": pick(ad, sel.keys, addressField)})
	return nil
}

// POST /admin/customers/{id}/addresses/{address_id} answers the customer.
func (a *API) adminUpdateAddress(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, adminAddressBody...)
	if err != nil {
		return err
	}
	if _, err := a.ownAddress(r, r.PathValue("id"), r.PathValue("address_id")); err != nil {
		return err
	}
	if _, err := a.cfg.Addresses.Update(r.Context(), r.PathValue("address_id"), addressUpdateParams(b)); err != nil {
		return err
	}
	return a.respondAdminCustomer(w, r, r.PathValue("id"))
}

// DELETE /admin/customers/{id}/addresses/{address_id}
func (a *API) adminDeleteAddress(w http.ResponseWriter, r *http.Request) error {
	id, addrID := r.PathValue("id"), r.PathValue("address_id")
	if _, err := a.ownAddress(r, id, addrID); err != nil {
		return err
	}
	if err := a.cfg.Addresses.Delete(r.Context(), addrID); err != nil {
		return err
	}
	parent, err := a.customerView(r, id, adminCustomerSel(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": addrID, "object": "customer_address", "deleted": true, "parent": parent})
	return nil
}

// link applies {add, remove} of customer–group pairs.
func (a *API) link(r *http.Request, b body, pair func(other string) group.Pair) error {
	var add, remove []group.Pair
	for _, id := range b.strings("add") {
		add = append(add, pair(id))
	}
	for _, id := range b.strings("remove") {
		remove = append(remove, pair(id))
	}
	if len(add) > 0 {
		if _, err := a.cfg.Groups.Add(r.Context(), add...); err != nil {
			var nf *store.NotFoundError
			if errors.As(err, &nf) && nf.Entity != "Customer" && len(nf.IDs) > 0 {
				return notFoundErr("You tried to set relationship customer_group_id: %s, but such entity does not exist", nf.IDs[0])
			}
			if errors.As(err, &nf) && len(nf.IDs) > 0 {
				return notFoundErr("You tried to set relationship customer_id: %s, but such entity does not exist", nf.IDs[0])
			}
			return err
		}
	}
	if len(remove) > 0 {
		if err := a.cfg.Groups.Remove(r.Context(), remove...); err != nil {
			return err
		}
	}
	return nil
}

// POST /admin/customers/{id}/customer-groups {add, remove}
func (a *API) adminCustomerGroups(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, linkBody...)
	if err != nil {
		return err
	}
	id, err := a.liveCustomer(r)
	if err != nil {
		return err
	}
	if err := a.link(r, b, func(g string) group.Pair { return group.Pair{CustomerID: id, GroupID: g} }); err != nil {
		return err
	}
	return a.respondAdminCustomer(w, r, id)
}

func groupSel(r *http.Request, raw string) selection {
	return parseFields(raw, groupFields, nil, []string{groupRelCustomers})
}

func (a *API) respondGroup(w http.ResponseWriter, r *http.Request, id string) error {
	g, err := a.cfg.Groups.Retrieve(r.Context(), id, store.FindOptions{})
	if err != nil {
		return err
	}
	v, err := a.renderGroup(r, g, groupSel(r, r.URL.Query().Get("fields")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer_group": v})
	return nil
}

// GET /admin/customer-groups
func (a *API) adminListGroups(w http.ResponseWriter, r *http.Request) error {
	f, err := readFilter(r.URL.RawQuery, groupFilterSchema, pagingParams...)
	if err != nil {
		return err
	}
	p, err := a.listParams(r, group.Sortable)
	if err != nil {
		return err
	}
	pg, err := a.cfg.Groups.ListPage(r.Context(), f, p.options())
	if err != nil {
		return err
	}
	sel := groupSel(r, p.fields)
	out := make([]any, 0, len(pg.Items))
	for _, g := range page(p, pg.Items) {
		v, err := a.renderGroup(r, g, sel)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, answer(p, "customer_groups", out, pg))
	return nil
}

// POST /admin/customer-groups
func (a *API) adminCreateGroup(w http.ResponseWriter, r *http.Request) error {
	ac := authOf(r)
	b, err := a.decode(w, r, field{name: "name", kind: kString, required: true}, field{name: "metadata", kind: kRecord})
	if err != nil {
		return err
	}
	if !b.has("name") || b["name"] == nil {
		return invalidData("Invalid request: Field 'name' is required")
	}
	g, err := a.cfg.Groups.Create(r.Context(), group.CreateParams{Name: b.str("name"), Metadata: b.record("metadata"), CreatedBy: ac.claims.ActorID})
	if err != nil {
		return err
	}
	return a.respondGroup(w, r, g.ID)
}

// GET /admin/customer-groups/{id}: an unknown or deleted id is the route's
// 404 "Customer group with id: <id> not found".
func (a *API) adminGetGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return routeNotFound(a.respondGroup(w, r, id), group.ErrNotFound, "Customer group with id: %s not found", id)
}

// POST /admin/customer-groups/{id}: an unknown or deleted id is the
// route's 404 "Customer group with id "<id>" not found".
func (a *API) adminUpdateGroup(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, field{name: "name", kind: kString, notNull: true}, field{name: "metadata", kind: kRecord})
	if err != nil {
		return err
	}
	up := group.UpdateParams{Name: b.strPtr("name"), Metadata: b.record("metadata"), ClearMetadata: b.null("metadata")}
	id := r.PathValue("id")
	if _, err := a.cfg.Groups.Update(r.Context(), id, up); err != nil {
		return routeNotFound(err, group.ErrNotFound, `Customer group with id "%s" not found`, id)
	}
	return a.respondGroup(w, r, id)
}

// DELETE /admin/customer-groups/{id}: a soft delete.
func (a *API) adminDeleteGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := a.cfg.Groups.SoftDelete(r.Context(), id); err != nil && !errorsIsNotFound(err) {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "customer_group", "deleted": true})
	return nil
}

// POST /admin/customer-groups/{id}/customers {add, remove}
func (a *API) adminGroupCustomers(w http.ResponseWriter, r *http.Request) error {
	b, err := a.decode(w, r, linkBody...)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.cfg.Groups.Retrieve(r.Context(), id, store.FindOptions{}); err != nil {
		if errorsIsNotFound(err) {
			return notFoundErr("You tried to set relationship customer_group_id: %s, but such entity does not exist", id)
		}
		return err
	}
	if err := a.link(r, b, func(c string) group.Pair { return group.Pair{CustomerID: c, GroupID: id} }); err != nil {
		return err
	}
	return a.respondGroup(w, r, id)
}
