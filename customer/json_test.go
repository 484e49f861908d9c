package customer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
)

// A relation that was loaded is an array in JSON, [] when empty; one that
// was not loaded is absent.
func TestRelationsInJSON(t *testing.T) {
	for _, tc := range []struct {
		c            customer.Customer
		want, absent string
	}{
		{customer.Customer{}, "", `"addresses"`},
		{customer.Customer{Addresses: []*address.Address{}, Groups: []*group.Group{}}, `"addresses":[],"groups":[]`, `"addresses":null`},
		{customer.Customer{Groups: []*group.Group{{ID: "cusgroup_1"}}}, `"groups":[{"id":"cusgroup_1"`, `"addresses"`},
	} {
		b, err := json.Marshal(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.want) || strings.Contains(string(b), tc.absent) {
			t.Errorf("%s: want %s, not %s", b, tc.want, tc.absent)
		}
	}
}
