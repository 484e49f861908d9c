package httpapi

import (
	"net/http"

	"github.com/clientele/clientele/customer"
)

// GET /admin/customers/{id}/export: the customer's personal data as one
// JSON document (account.Export), without secrets. An unknown id is a
// 404; an erased or deleted customer is exported as it is stored.
func (a *API) adminExportCustomer(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	x, err := a.cfg.Accounts.Export(r.Context(), id)
	if err != nil {
		return routeNotFound(err, customer.ErrNotFound, "Customer with id: %s not found", id)
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

// POST /admin/customers/{id}/erase: erases the customer's personal data
// (account.Service.Erase) and answers {"id", "object": "customer",
// "erased": true}; erasing again answers the same. An unknown id is a 404.
func (a *API) adminEraseCustomer(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := a.cfg.Accounts.Erase(r.Context(), id); err != nil {
		return routeNotFound(err, customer.ErrNotFound, "Customer with id: %s not found", id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "customer", "erased": true})
	return nil
}
