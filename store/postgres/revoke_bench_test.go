package postgres_test

import (
	"testing"

	"github.com/clientele/clientele/internal/servicetest"
	"github.com/clientele/clientele/store/postgres"
)

// BenchmarkCustomerMe: GET /store/customers/me through httpapi on
// PostgreSQL, with and without the revocation check.
func BenchmarkCustomerMe(b *testing.B) {
	servicetest.BenchmarkCustomerMe(b, func(b *testing.B) servicetest.Store { return emptied(b) })
}

// BenchmarkAdminList: GET /admin/customers?limit=20 through httpapi over
// 10,000 customers on PostgreSQL.
func BenchmarkAdminList(b *testing.B) {
	servicetest.BenchmarkAdminList(b, func(b *testing.B) servicetest.Store { return emptied(b) }, func(b *testing.B, st servicetest.Store) {
		if _, err := st.(*postgres.Store).DB().ExecContext(b.Context(), "VACUUM ANALYZE customer, customer_address"); err != nil {
			b.Fatal(err)
		}
	})
}
