// Package snapshot reads everything a store holds, for tests that prove a
// failed operation left nothing behind. The contract suite and the
// services' behaviour suite both use it.
package snapshot

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// Store is what a snapshot reads.
type Store interface {
	customer.Store
	auth.Store
}

// Snapshot is everything a store holds, soft-deleted rows included.
type Snapshot struct {
	Customers []*customer.Customer
	Addresses []*address.Address
	Groups    []*group.Group
	Members   []*group.Membership
	Auth      []*auth.AuthIdentity
	// Verifications, when the store is an auth.VerificationStore.
	Verifications []*auth.Verification
}

// Take reads st, failing tb on an error.
func Take(tb testing.TB, ctx context.Context, st Store) Snapshot {
	tb.Helper()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("snapshot: %v", err)
		}
	}
	all := store.ListOptions{WithDeleted: true}
	var s Snapshot
	var err error
	s.Customers, err = st.ListCustomers(ctx, customer.Filter{}, all)
	must(err)
	s.Addresses, err = st.ListAddresses(ctx, address.Filter{}, all)
	must(err)
	s.Groups, err = st.ListGroups(ctx, group.Filter{}, all)
	must(err)
	s.Members, err = st.ListMemberships(ctx, nil, nil)
	must(err)
	s.Auth, err = st.ListAuthIdentities(ctx, auth.IdentityFilter{}, all)
	must(err)
	if vs, ok := st.(auth.VerificationStore); ok {
		s.Verifications, err = vs.ListVerifications(ctx, auth.VerificationFilter{})
		must(err)
	}
	return s
}

// Unchanged fails tb when st holds other than before.
func Unchanged(tb testing.TB, ctx context.Context, st Store, before Snapshot) {
	tb.Helper()
	if diff := cmp.Diff(before, Take(tb, ctx, st), cmpopts.EquateEmpty()); diff != "" {
		tb.Fatalf("store changed by a failed operation (-before +after):\n%s", diff)
	}
}
