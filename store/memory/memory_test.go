package memory_test

import (
	"testing"

	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return memory.New() })
}

func BenchmarkCustomers(b *testing.B) {
	storetest.Benchmarks(b, func(b *testing.B) storetest.Store { return memory.New() })
}
