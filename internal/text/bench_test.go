package text_test

import (
	"testing"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/text"
)

// BenchmarkFields measures the check a customer create pays: a customer
// with metadata and one address.
func BenchmarkFields(b *testing.B) {
	p := customer.CreateParams{
		FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Phone: "+44 20 7946 0000",
		Metadata:  map[string]any{"tier": "gold", "tags": []any{"a", "b"}, "n": 1.0},
		Addresses: []address.CreateParams{{Address1: "12 Analytical Row", City: "London", CountryCode: "gb", PostalCode: "SW1A 1AA"}},
	}
	for b.Loop() {
		if err := text.Fields("", &p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	for b.Loop() {
		if err := (text.Search{}).Check("q", "ada lovelace london"); err != nil {
			b.Fatal(err)
		}
	}
}
