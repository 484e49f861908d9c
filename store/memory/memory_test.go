package memory_test

import (
	"testing"

	"github.com/clientele/clientele/internal/servicetest"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/store/storetest"
)

func newStore(*testing.T) storetest.Store { return memory.New() }

// TestContract runs the store contract suite.
func TestContract(t *testing.T) { storetest.RunContract(t, newStore) }

// TestBehaviour runs the services' behaviour suite on the memory backend.
func TestBehaviour(t *testing.T) { servicetest.Run(t, newStore) }

func BenchmarkCustomers(b *testing.B) {
	servicetest.Benchmarks(b, func(b *testing.B) storetest.Store { return memory.New() })
}
