package httpapi_test

import (
	"net/http"
	"testing"
)

// A number JSON cannot hold as a finite float64 (it would become ±Inf,
// which neither the store nor the answer can encode) is refused with a 400,
// wherever it is in the body; a tiny one reads as 0.
func TestBodyNumberOutOfRange(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	for _, body := range []string{
		`{"name":"VIP","metadata":{"tier":1e400}}`,
		`{"name":"VIP","metadata":{"l":[1,{"x":-1e999}]}}`,
	} {
		e.do("POST", "/admin/customer-groups", body, admin).want(t, http.StatusBadRequest, "invalid_data",
			"Invalid request: Field 'metadata' has a number out of range")
	}
	tok, _ := e.customer("inf@example.com")
	e.do("POST", "/store/customers/me", `{"metadata":{"a":1e309}}`, tok).want(t, http.StatusBadRequest, "invalid_data",
		"Invalid request: Field 'metadata' has a number out of range")
	r := e.do("POST", "/admin/customer-groups", `{"name":"VIP","metadata":{"tiny":1e-400}}`, admin)
	if r.status != http.StatusOK {
		t.Fatalf("tiny number: status %d, %v", r.status, r.body)
	}
}
