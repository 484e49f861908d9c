package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// emptyReplica returns a Store whose "replica" is another, empty database
// with the same schema, which no write ever reaches: a read the Store
// sends to it finds nothing, so which database served a read shows in its
// answer, whatever the replication lag. That database is no standby, so
// the Store must not measure its lag (opts, default WithMaxLag(0)).
func emptyReplica(t *testing.T, opts ...postgres.ReplicaOption) *postgres.Store {
	t.Helper()
	if opts == nil {
		opts = []postgres.ReplicaOption{postgres.WithMaxLag(0)}
	}
	ctx := t.Context()
	other, err := postgres.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	if err := other.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return postgres.NewWithReplica(pgtest.NewStore(t).DB(), other.DB(), opts...)
}

// seedCustomer inserts a customer in its group through st.
func seedCustomer(t *testing.T, ctx context.Context, st *postgres.Store) (*customer.Customer, *group.Group) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	c := &customer.Customer{ID: "cus_replica", Email: "r@example.com", CreatedAt: now, UpdatedAt: now}
	g := &group.Group{ID: "cusgroup_replica", Name: "vip", CreatedAt: now, UpdatedAt: now}
	m := &group.Membership{ID: "cusgc_replica", CustomerID: c.ID, GroupID: g.ID, CreatedAt: now, UpdatedAt: now}
	a := &address.Address{ID: "cuaddr_replica", CustomerID: c.ID, CountryCode: "fr", CreatedAt: now, UpdatedAt: now}
	err := st.InsertCustomers(ctx, []*customer.Customer{c})
	if err == nil {
		err = st.InsertAddresses(ctx, []*address.Address{a})
	}
	if err == nil {
		err = st.InsertGroups(ctx, []*group.Group{g})
	}
	if err == nil {
		err = st.InsertMemberships(ctx, []*group.Membership{m})
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, g
}

// customerCount counts the customers st's read sees with ctx: 0 from the
// empty replica, 1 from the primary.
func customerCount(t *testing.T, ctx context.Context, st *postgres.Store) int {
	t.Helper()
	list, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.CountCustomers(ctx, customer.Filter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(list) {
		t.Fatalf("ListCustomers found %d customers, CountCustomers %d: the two reads went to different databases", len(list), n)
	}
	return n
}

// unitCustomerCount is customerCount in a unit of work.
func unitCustomerCount(t *testing.T, st *postgres.Store) (n int) {
	t.Helper()
	err := st.InTx(t.Context(), func(ctx context.Context) error {
		n = customerCount(t, ctx, st)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplicaRouting checks where each read of a Store with a replica
// goes: customer-domain lists and counts to the replica, unless they run
// in a unit of work, lock, or follow a write in a read-your-writes
// context; everything else to the primary.
func TestReplicaRouting(t *testing.T) {
	st := emptyReplica(t)
	seedCustomer(t, t.Context(), st)

	t.Run("PlainReadsUseTheReplica", func(t *testing.T) {
		ctx := t.Context()
		if n := customerCount(t, ctx, st); n != 0 {
			t.Errorf("a read outside a unit found %d customers: it did not go to the replica", n)
		}
		for name, read := range map[string]func() (int, error){
			"addresses":   func() (int, error) { return st.CountAddresses(ctx, address.Filter{}, store.ListOptions{}) },
			"groups":      func() (int, error) { return st.CountGroups(ctx, group.Filter{}, store.ListOptions{}) },
			"memberships": func() (int, error) { return st.CountMemberships(ctx, group.MembershipFilter{}, store.ListOptions{}) },
			"find memberships": func() (int, error) {
				ms, err := st.FindMemberships(ctx, group.MembershipFilter{}, store.ListOptions{})
				return len(ms), err
			},
			"list groups": func() (int, error) {
				gs, err := st.ListGroups(ctx, group.Filter{}, store.ListOptions{})
				return len(gs), err
			},
			"list memberships": func() (int, error) {
				ms, err := st.ListMemberships(ctx, []string{"cus_replica"}, nil)
				return len(ms), err
			},
		} {
			n, err := read()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n != 0 {
				t.Errorf("%s outside a unit found %d rows: it did not go to the replica", name, n)
			}
		}
	})

	t.Run("UnitsReadThePrimary", func(t *testing.T) {
		if n := unitCustomerCount(t, st); n != 1 {
			t.Errorf("a read in a unit found %d customers, want the primary's 1", n)
		}
	})

	t.Run("ReadYourWrites", func(t *testing.T) {
		ctx := store.ReadYourWrites(t.Context())
		if n := customerCount(t, ctx, st); n != 0 {
			t.Errorf("before any write, a marked read found %d customers: it did not go to the replica", n)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if err := st.InsertCustomers(ctx, []*customer.Customer{{ID: "cus_ryw", CreatedAt: now, UpdatedAt: now}}); err != nil {
			t.Fatal(err)
		}
		if !store.Written(ctx) {
			t.Fatal("a write outside a unit did not mark the context")
		}
		if n := customerCount(t, ctx, st); n != 2 {
			t.Errorf("after a write, a read of the same context found %d customers, want the primary's 2", n)
		}
		if n := customerCount(t, t.Context(), st); n != 0 {
			t.Errorf("another context's read found %d customers: it did not go to the replica", n)
		}
	})

	t.Run("AUnitMarksItsContext", func(t *testing.T) {
		ctx := store.ReadYourWrites(t.Context())
		if err := st.InTx(ctx, func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if n := customerCount(t, ctx, st); n == 0 {
			t.Error("after a committed unit, a read of the same context went to the replica")
		}
		failed := store.ReadYourWrites(t.Context())
		boom := errors.New("boom")
		if err := st.InTx(failed, func(context.Context) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want %v", err, boom)
		}
		// It may have failed on a row the replica does not show yet (a
		// unique conflict): what follows must read the primary too.
		if !store.Written(failed) {
			t.Error("a unit that rolled back did not mark its context")
		}
	})

	t.Run("MembershipGatesReadThePrimary", func(t *testing.T) {
		ok, err := st.HasMembership(t.Context(), "cus_replica", group.Match{Names: []string{"vip"}})
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Error("HasMembership read the replica: a gate must see the primary")
		}
	})
}

// TestReplicaSecurityReads checks that the reads security depends on
// (identities and their credentials, sessions, revocation, OAuth state,
// reset tokens, MFA challenges, verification codes) always see the
// primary, in a plain context that wrote nothing.
func TestReplicaSecurityReads(t *testing.T) {
	st := emptyReplica(t)
	seed := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	ai := &auth.AuthIdentity{ID: "authid_replica", AppMetadata: map[string]any{"customer_id": "cus_replica"}, CreatedAt: now, UpdatedAt: now,
		ProviderIdentities: []*auth.ProviderIdentity{{ID: "pi_replica", EntityID: "r@example.com", Provider: "emailpass",
			AuthIdentityID: "authid_replica", ProviderMetadata: map[string]any{"password": "hash"}, CreatedAt: now, UpdatedAt: now}}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.InsertAuthIdentities(seed, []*auth.AuthIdentity{ai}))
	must(st.SetTokensValidAfter(seed, ai.ID, now))
	must(st.PutSession(seed, &session.Session{ID: "sess_replica", AuthIdentityID: ai.ID, ActorType: "customer", ActorID: "cus_replica",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	must(st.PutState(seed, "state_replica", []byte("v"), now.Add(time.Hour)))
	must(st.ReplaceResetToken(seed, &auth.ResetToken{ID: "rst_replica", AuthIdentityID: ai.ID, ProviderIdentityID: "pi_replica",
		EntityID: "r@example.com", TokenHash: "hash_replica", ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}))
	must(st.InsertMFAChallenge(seed, &auth.MFAChallenge{ID: "mfa_replica", AuthIdentityID: ai.ID, Methods: []string{"totp"},
		ExpiresAt: now.Add(time.Hour), MaxAttempts: 5, CreatedAt: now}, now))
	_, _, err := st.RenewVerification(seed, &auth.Verification{ID: "ver_replica", AuthIdentityID: ai.ID, EntityID: "r@example.com",
		EntityType: "email", CodeProvider: "email", RequestedAt: now, CodeHash: "code_replica"}, false)
	must(err)

	ctx := store.ReadYourWrites(t.Context()) // a request that wrote nothing
	for name, read := range map[string]func() (bool, error){
		"ListAuthIdentities": func() (bool, error) {
			l, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{IDs: []string{ai.ID}}, store.ListOptions{})
			return len(l) == 1 && len(l[0].ProviderIdentities) == 1, err
		},
		"CountAuthIdentities": func() (bool, error) {
			n, err := st.CountAuthIdentities(ctx, auth.IdentityFilter{}, store.ListOptions{})
			return n == 1, err
		},
		"ListProviderIdentities": func() (bool, error) {
			l, err := st.ListProviderIdentities(ctx, auth.ProviderIdentityFilter{EntityIDs: []string{"r@example.com"}}, store.ListOptions{})
			return len(l) == 1, err
		},
		"TokensValidAfter": func() (bool, error) {
			at, err := st.TokensValidAfter(ctx, ai.ID)
			return at.Equal(now), err
		},
		"GetSession": func() (bool, error) {
			s, err := st.GetSession(ctx, "sess_replica", now)
			return s != nil, err
		},
		"ListSessionsOf": func() (bool, error) {
			l, err := st.ListSessionsOf(ctx, ai.ID, now)
			return len(l) == 1, err
		},
		"GetMFAChallenge": func() (bool, error) {
			c, err := st.GetMFAChallenge(ctx, "mfa_replica", false)
			return c != nil, err
		},
		"ListVerifications": func() (bool, error) {
			l, err := st.ListVerifications(ctx, auth.VerificationFilter{CodeHashes: []string{"code_replica"}})
			return len(l) == 1, err
		},
		"TakeState": func() (bool, error) {
			v, err := st.TakeState(ctx, "state_replica", now)
			return string(v) == "v", err
		},
		"TakeResetToken": func() (bool, error) {
			r, err := st.TakeResetToken(ctx, "hash_replica")
			return r != nil, err
		},
	} {
		found, err := read()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !found {
			t.Errorf("%s did not see the primary's row: a security read went to the replica", name)
		}
	}
	// TakeState and TakeResetToken delete, but rows of tables whose reads
	// never leave the primary: the request's customer reads may still use
	// the replica.
	if store.Written(ctx) {
		t.Error("reads of tables the replica never serves marked the context as written")
	}
}

// TestReplicaLagGuard checks that, under the default lag bound, a replica
// that cannot vouch for its lag serves nothing: reads go to the primary
// and succeed.
func TestReplicaLagGuard(t *testing.T) {
	t.Run("NotAStandby", func(t *testing.T) {
		st := emptyReplica(t, postgres.WithMaxLag(postgres.DefaultReplicaMaxLag))
		seedCustomer(t, t.Context(), st)
		if n := customerCount(t, t.Context(), st); n != 1 {
			t.Errorf("a read found %d customers: a database that is not a standby served it", n)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		down, err := postgres.Open(t.Context(), pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		_ = down.Close() // a pool that can no longer connect
		st := postgres.NewWithReplica(pgtest.NewStore(t).DB(), down.DB())
		seedCustomer(t, t.Context(), st)
		for range 3 {
			if n := customerCount(t, t.Context(), st); n != 1 {
				t.Errorf("a read found %d customers, want the primary's 1", n)
			}
		}
		unbounded := postgres.NewWithReplica(st.DB(), down.DB(), postgres.WithMaxLag(0))
		if _, err := unbounded.ListCustomers(t.Context(), customer.Filter{}, store.ListOptions{}); err == nil {
			t.Error("without a lag bound, a read of an unreachable replica succeeded: it did not go to the replica")
		}
	})
}
