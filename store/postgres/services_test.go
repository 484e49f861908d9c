package postgres_test

import (
	"testing"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
)

// newCustomers returns a customer service on st with a default address
// service.
func newCustomers(tb testing.TB, st customer.Store) *customer.Service {
	tb.Helper()
	addresses, err := address.NewService(st)
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := customer.NewService(st, addresses)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// newGroups returns a group service on st.
func newGroups(tb testing.TB, st group.Store) *group.Service {
	tb.Helper()
	svc, err := group.NewService(st)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}
