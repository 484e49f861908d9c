package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
)

// TestCustomerJSONMatchesRenderCustomer: customerJSON and customersJSON
// write what encoding renderCustomer's maps writes, for every shape of
// selection, through appendJSON and through encoding/json.
func TestCustomerJSONMatchesRenderCustomer(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	deleted := now.Add(time.Hour)
	bare := &customer.Customer{ID: "cus_bare", CreatedAt: now, UpdatedAt: now}
	full := benchCustomer(2)
	full.CompanyName, full.LastName, full.Phone, full.CreatedBy = "Acme <&>", "Lovelace", "+44 20", "user_1"
	full.Metadata = map[string]any{"tier": "gold", "n": 3.0, "nested": map[string]any{"a": []any{true, nil}}}
	full.DeletedAt = &deleted
	full.Groups = []*group.Group{{ID: "cusgroup_1", Name: "VIP", CreatedAt: now, UpdatedAt: now}}
	noRels := &customer.Customer{ID: "cus_norels", Email: "zoë@example.com", CreatedAt: now, UpdatedAt: now}
	list := []*customer.Customer{bare, full, noRels}

	adminRels := []string{customer.RelAddresses, customer.RelGroups}
	sels := map[string]selection{}
	for _, raw := range []string{"", "id", "email,first_name", "+metadata", "-email,-phone", "*addresses", "*groups,*addresses",
		"addresses.city,addresses.id", "groups.name", "*addresses,addresses.city", "email,email,id,unknown,addresses",
		"+*addresses,-addresses.city", "groups.*,+groups.name", "deleted_at,created_by,*groups"} {
		sels["admin "+raw] = parseFields(raw, adminCustomerFields, nil, adminRels)
		sels["store "+raw] = parseFields(raw, storeCustomerFields, []string{customer.RelAddresses}, []string{customer.RelAddresses}).only(storeCustomerFields)
	}
	// A selection parseFields does not make: a relation named twice.
	sels["doubled relation"] = selection{keys: []string{"id", "email"}, rels: []relSel{{name: customer.RelAddresses, all: true}, {name: customer.RelAddresses, keys: []string{"city"}}}}
	for name, sel := range sels {
		t.Run(name, func(t *testing.T) {
			var maps []any
			for _, c := range list {
				maps = append(maps, renderCustomer(c, sel))
				want, err := appendJSON(nil, renderCustomer(c, sel))
				if err != nil {
					t.Fatal(err)
				}
				got, err := appendJSON(nil, customerJSON{c, sel})
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s:\ncustomerJSON:   %s (%v)\nrenderCustomer: %s", c.ID, got, err, want)
				}
			}
			want, err := json.Marshal(map[string]any{"customers": maps})
			if err != nil {
				t.Fatal(err)
			}
			v := map[string]any{"customers": customersJSON{list, sel}}
			got, err := appendJSON(nil, v)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("customersJSON:  %s (%v)\nrenderCustomer: %s", got, err, want)
			}
			if got, err := json.Marshal(v); err != nil || !bytes.Equal(got, want) {
				t.Errorf("encoding/json of customersJSON: %s (%v)\nrenderCustomer:                 %s", got, err, want)
			}
		})
	}
	if got, err := appendJSON(nil, customersJSON{nil, sels["admin "]}); err != nil || string(got) != "[]" {
		t.Errorf("no customers: %s (%v), want []", got, err)
	}
}
