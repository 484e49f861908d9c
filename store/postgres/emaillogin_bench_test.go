package postgres_test

import (
	"testing"

	"github.com/clientele/clientele/internal/servicetest"
)

func BenchmarkEmailLoginRequest(b *testing.B) {
	servicetest.BenchmarkEmailLoginRequest(b, func(b *testing.B) servicetest.Store { return emptied(b) })
}
