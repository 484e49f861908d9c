package httpapi

import (
	"fmt"
	"strings"
	"testing"
)

// fieldsBomb is a fields parameter of n distinct names.
func fieldsBomb(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("+f%d", i)
	}
	return strings.Join(names, ",")
}

func BenchmarkParseFields(b *testing.B) {
	for _, n := range []int{10, 100, 40000} {
		raw := fieldsBomb(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				parseFields(raw, adminCustomerFields, nil, customerRelations)
			}
		})
	}
}
