package httpapi

import (
	"fmt"
	"net/http/httptest"
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
	// Relation sub-fields, added and removed: the same bound.
	for _, n := range []int{10, 100, 40000} {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("+addresses.f%d,-groups.f%d", i, i/2)
		}
		raw := strings.Join(names, ",")
		b.Run(fmt.Sprint("sub-", 2*n), func(b *testing.B) {
			for b.Loop() {
				parseFields(raw, adminCustomerFields, nil, customerRelations)
			}
		})
	}
}

// BenchmarkCheckInput measures the checks every request now pays before
// its route: path and query text, fields count, limit.
func BenchmarkCheckInput(b *testing.B) {
	a := &API{maxLimit: 1000}
	r := httptest.NewRequest("GET", "/admin/customers?q=ada+lovelace&limit=50&offset=0&order=-created_at&fields=%2Bmetadata,*groups", nil)
	for b.Loop() {
		if err := a.checkInput(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadJSON measures reading a customer update body.
func BenchmarkReadJSON(b *testing.B) {
	a := &API{maxBody: 1 << 20}
	body := `{"first_name":"Ada","last_name":"Lovelace","phone":"+44 20 7946 0000","metadata":{"tier":"gold","tags":["a","b"],"n":1}}`
	w := httptest.NewRecorder()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/store/customers/me", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if _, err := a.readJSON(w, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFilter measures reading the filters of a list query as the
// JS SDK sends them: 30 ids in an $in, a time range and an $or.
func BenchmarkReadFilter(b *testing.B) {
	var parts []string
	for i := range 30 {
		parts = append(parts, fmt.Sprintf("id%%5B%%24in%%5D%%5B%d%%5D=cus_01JABCDEFGHJKMNPQRSTVWXY%02d", i, i))
	}
	parts = append(parts, "created_at%5B%24gte%5D=2024-01-01T00%3A00%3A00.000Z", "created_at%5B%24lt%5D=2025-01-01",
		"%24or%5B0%5D%5Bfirst_name%5D=Ada", "%24or%5B1%5D%5Bgroups%5D%5Bname%5D%5B0%5D=VIP", "limit=20", "order=-created_at")
	raw := strings.Join(parts, "&")
	for b.Loop() {
		if _, err := readFilter(raw, customerFilterSchema, pagingParams...); err != nil {
			b.Fatal(err)
		}
	}
}
