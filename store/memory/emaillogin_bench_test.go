package memory_test

import (
	"testing"

	"github.com/clientele/clientele/internal/servicetest"
	"github.com/clientele/clientele/store/memory"
)

func BenchmarkEmailLoginRequest(b *testing.B) {
	servicetest.BenchmarkEmailLoginRequest(b, func(*testing.B) servicetest.Store { return memory.New() })
}
