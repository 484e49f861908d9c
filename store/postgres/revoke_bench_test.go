package postgres_test

import (
	"testing"

	"github.com/clientele/clientele/internal/servicetest"
)

// BenchmarkCustomerMe: GET /store/customers/me through httpapi on
// PostgreSQL, with and without the revocation check.
func BenchmarkCustomerMe(b *testing.B) {
	servicetest.BenchmarkCustomerMe(b, func(b *testing.B) servicetest.Store { return emptied(b) })
}
