package postgres_test

import (
	"testing"

	"github.com/clientele/clientele/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
