package postgres_test

import (
	"testing"

	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/internal/servicetest"
	"github.com/clientele/clientele/store/postgres"
	"github.com/clientele/clientele/store/storetest"
)

// *postgres.Store implements every store the suites drive.
var _ storetest.Store = (*postgres.Store)(nil)

func newStore(t *testing.T) storetest.Store { return pgtest.NewStore(t) }

// TestContract runs the store contract suite against PostgreSQL.
func TestContract(t *testing.T) { storetest.RunContract(t, newStore) }

// TestBehaviour runs the services' behaviour suite against PostgreSQL.
func TestBehaviour(t *testing.T) { servicetest.Run(t, newStore) }
