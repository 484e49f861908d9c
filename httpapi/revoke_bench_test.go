package httpapi_test

import (
	"testing"

	"github.com/clientele/clientele/internal/servicetest"
	"github.com/clientele/clientele/store/memory"
)

// BenchmarkCustomerMe: GET /store/customers/me on the memory store, with
// and without the revocation check (store/postgres runs it on
// PostgreSQL).
func BenchmarkCustomerMe(b *testing.B) {
	servicetest.BenchmarkCustomerMe(b, func(*testing.B) servicetest.Store { return memory.New() })
}

// BenchmarkAdminList: GET /admin/customers?limit=20 over 10,000 customers
// on the memory store (store/postgres runs it on PostgreSQL).
func BenchmarkAdminList(b *testing.B) {
	servicetest.BenchmarkAdminList(b, func(*testing.B) servicetest.Store { return memory.New() }, nil)
}
