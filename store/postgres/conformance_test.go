package postgres_test

import (
	"testing"

	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store/postgres"
	"github.com/clientele/clientele/store/storetest"
)

// *postgres.Store implements every store the suite drives.
var _ storetest.Store = (*postgres.Store)(nil)

// TestConformance runs the backend-independent suite against PostgreSQL.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return pgtest.NewStore(t) })
}
