package httpapi

import (
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
)

// benchCustomer is a customer with n addresses, half their fields unset.
func benchCustomer(n int) *customer.Customer {
	now := time.Now()
	c := &customer.Customer{ID: "cus_01", Email: "ada@example.com", FirstName: "Ada", HasAccount: true,
		Metadata: map[string]any{"tier": "gold"}, CreatedAt: now, UpdatedAt: now, Addresses: []*address.Address{}}
	for i := range n {
		c.Addresses = append(c.Addresses, &address.Address{ID: fmt.Sprint("cuaddr_", i), CustomerID: c.ID,
			Address1: "1 Rue", City: "Paris", CountryCode: "fr", PostalCode: "75001", CreatedAt: now, UpdatedAt: now})
	}
	return c
}

// BenchmarkRenderCustomer measures rendering GET /store/customers/me's
// customer (defaults, every address field).
func BenchmarkRenderCustomer(b *testing.B) {
	for _, n := range []int{0, 5} {
		c := benchCustomer(n)
		sel := parseFields("", storeCustomerFields, []string{customer.RelAddresses}, []string{customer.RelAddresses})
		b.Run(fmt.Sprint(n, "-addresses"), func(b *testing.B) {
			for b.Loop() {
				renderCustomer(c, sel)
			}
		})
	}
}
