package httpapi

import (
	"net/http"

	"github.com/clientele/clientele/audit"
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

// GET /admin/customers/{id}/audit: the audit entries about the customer
// and its auth identities (account.Service.AuditEntries), newest first:
// {"audit_entries", "offset", "limit"}; ?limit (default 50, at most
// 1000), ?offset, and ?action (repeatable) filter them. An unknown id is
// a 404.
func (a *API) adminCustomerAudit(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	q := newQuery(r.URL)
	p, err := q.paging(noSort{})
	if err != nil {
		return err
	}
	if p.limit > audit.MaxLimit {
		return invalidData("Invalid request: Number must be less than or equal to %d for field 'limit'", audit.MaxLimit)
	}
	if p.limit == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"audit_entries": []*audit.Entry{}, "offset": p.offset, "limit": 0})
		return nil
	}
	var actions []audit.Action
	for _, v := range q.q["action"] {
		actions = append(actions, audit.Action(v))
	}
	list, err := a.cfg.Accounts.AuditEntries(r.Context(), id, actions, audit.Page{Limit: p.limit, Offset: p.offset})
	if err != nil {
		return routeNotFound(err, customer.ErrNotFound, "Customer with id: %s not found", id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit_entries": list, "offset": p.offset, "limit": p.limit})
	return nil
}

// noSort allows no order field.
type noSort struct{}

// Has reports false: the audit list has one order.
func (noSort) Has(string) bool { return false }

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
