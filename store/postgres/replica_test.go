package postgres_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

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
		// Without a bound the read goes to the replica; a pool the host
		// closed is the host's error, which no fallback hides (a replica
		// that refuses connections falls back: TestReplicaFallbackUnreachable).
		unbounded := postgres.NewWithReplica(st.DB(), down.DB(), postgres.WithMaxLag(0))
		if _, err := unbounded.ListCustomers(t.Context(), customer.Filter{}, store.ListOptions{}); err == nil {
			t.Error("without a lag bound, a read of a closed replica pool succeeded: it did not go to the replica")
		}
	})
}

// closedPort returns the address of a TCP port on 127.0.0.1 that nothing
// listens on: connecting to it is refused.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// bunDB opens a *bun.DB on cfg (pgx's database/sql driver), closed when t
// ends.
func bunDB(t *testing.T, cfg *pgx.ConnConfig) *bun.DB {
	t.Helper()
	db := bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New())
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestReplicaFallbackUnreachable checks that the reads of a replica that
// refuses connections succeed on the primary: under a lag bound, the first
// read the replica was vouched for tries it once, and the reads after it
// go to the primary without trying; without a bound, each read tries the
// replica and falls back.
func TestReplicaFallbackUnreachable(t *testing.T) {
	down, primary := downReplica(t), pgtest.NewStore(t).DB()

	t.Run("Bounded", func(t *testing.T) {
		st := postgres.NewWithReplica(primary, down)
		seedCustomer(t, t.Context(), st)
		st.VouchForReplica() // as if it had been caught up until it went down
		if n := customerCount(t, t.Context(), st); n != 1 {
			t.Errorf("a read found %d customers, want the primary's 1", n)
		}
		if got, want := st.ReplicaStats(), (postgres.ReplicaStats{Unavailable: 1}); got != want {
			t.Errorf("after the first read, ReplicaStats() = %+v, want %+v: the replica should be out of service after one failure", got, want)
		}
		for range 3 {
			if n := customerCount(t, t.Context(), st); n != 1 {
				t.Errorf("a read found %d customers, want the primary's 1", n)
			}
		}
		if got, want := st.ReplicaStats(), (postgres.ReplicaStats{Unavailable: 1}); got != want {
			t.Errorf("ReplicaStats() = %+v, want %+v: reads after the failure tried the replica again", got, want)
		}
	})

	t.Run("Unbounded", func(t *testing.T) {
		st := postgres.NewWithReplica(primary, down, postgres.WithMaxLag(0))
		const reads = 3
		for range reads {
			if n := customerCount(t, t.Context(), st); n != 1 {
				t.Errorf("a read found %d customers, want the primary's 1", n)
			}
		}
		// customerCount lists and counts: two reads each time.
		if got, want := st.ReplicaStats(), (postgres.ReplicaStats{Unavailable: 2 * reads}); got != want {
			t.Errorf("ReplicaStats() = %+v, want %+v", got, want)
		}
	})

	t.Run("CallersErrorsAreNotRetried", func(t *testing.T) {
		st := postgres.NewWithReplica(primary, down, postgres.WithMaxLag(0))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("a read with a cancelled context returned %v, want context.Canceled", err)
		}
		if got := st.ReplicaStats(); got != (postgres.ReplicaStats{}) {
			t.Errorf("a cancelled read fell back: ReplicaStats() = %+v", got)
		}
	})
}

// conflictingStandby makes, in the database of dsn, a schema "standby"
// whose customer view and live count raise the error of a recovery
// conflict (SQLSTATE 40001) when they reach the customer cus_b, after
// the rows that come before it, and returns a *bun.DB on dsn that reads
// them in place of the tables (search_path), as a hot standby that
// cancels a read mid-way would. Until it fails, the view marks the
// metadata of its rows with "standby": true.
func conflictingStandby(t *testing.T, ctx context.Context, dsn string) *bun.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	setup := bunDB(t, cfg.Copy())
	for _, stmt := range []string{
		`CREATE SCHEMA standby`,
		`CREATE FUNCTION standby.replay(id text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	IF id = 'cus_b' THEN
		RAISE EXCEPTION 'canceling statement due to conflict with recovery' USING ERRCODE = '40001',
			DETAIL = 'User query might have needed to see row versions that must be removed.';
	END IF;
	RETURN true;
END $$`,
		`CREATE VIEW standby.customer AS
SELECT id, company_name, first_name, last_name, email, phone, has_account,
	coalesce(metadata, '{}') || '{"standby": true}' AS metadata, created_by, created_at, updated_at, deleted_at
FROM public.customer WHERE standby.replay(id)`,
		`CREATE VIEW standby.clientele_customer_count AS
SELECT live FROM public.clientele_customer_count WHERE standby.replay('cus_b')`,
	} {
		if _, err := setup.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	cfg.RuntimeParams["search_path"] = "standby, public"
	// Rows in the primary key's order, as they are read: no sort to
	// finish before the first row leaves.
	cfg.RuntimeParams["enable_sort"] = "off"
	return bunDB(t, cfg)
}

// TestReplicaFallbackConflict checks that a list or count the standby
// cancels for a recovery conflict, mid-way through its rows, runs again
// on the primary, whose rows alone the caller gets, and that the replica
// then serves nothing until the lag guard measures it again.
func TestReplicaFallbackConflict(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	primary, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Close() })
	if err := primary.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var seed []*customer.Customer
	for _, id := range []string{"cus_a", "cus_b", "cus_c"} {
		seed = append(seed, &customer.Customer{ID: id, Email: id + "@example.com", HasAccount: true,
			Metadata: map[string]any{"k": "v"}, CreatedAt: now, UpdatedAt: now})
	}
	if err := primary.InsertCustomers(ctx, seed); err != nil {
		t.Fatal(err)
	}
	standby := conflictingStandby(t, ctx, dsn)

	// The standby fails the list's statement after its first row.
	rows, err := standby.QueryContext(ctx, "SELECT c.id, c.metadata FROM customer AS c WHERE c.deleted_at IS NULL ORDER BY c.id ASC")
	if err != nil {
		t.Fatal(err)
	}
	var before int
	for rows.Next() {
		before++
	}
	var pe *pgconn.PgError
	if err := rows.Err(); !errors.As(err, &pe) || pe.Code != "40001" || before != 1 {
		t.Fatalf("the standby gave %d rows then %v, want 1 row then SQLSTATE 40001", before, err)
	}

	t.Run("Unbounded", func(t *testing.T) {
		st := postgres.NewWithReplica(primary.DB(), standby, postgres.WithMaxLag(0))
		list, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{})
		if err != nil {
			t.Fatalf("ListCustomers: %v", err)
		}
		var ids []string
		for _, c := range list {
			ids = append(ids, c.ID)
			if !cmp.Equal(c.Metadata, map[string]any{"k": "v"}) {
				t.Errorf("customer %s has metadata %v, want the primary's only: rows of the failed read were kept", c.ID, c.Metadata)
			}
		}
		if want := []string{"cus_a", "cus_b", "cus_c"}; !cmp.Equal(ids, want) {
			t.Errorf("ListCustomers = %v, want %v", ids, want)
		}
		if n, err := st.CountCustomers(ctx, customer.Filter{}, store.ListOptions{}); err != nil || n != 3 {
			t.Errorf("CountCustomers (live count) = %d, %v, want 3", n, err)
		}
		yes := true
		if n, err := st.CountCustomers(ctx, customer.Filter{HasAccount: &yes}, store.ListOptions{}); err != nil || n != 3 {
			t.Errorf("CountCustomers (filtered) = %d, %v, want 3", n, err)
		}
		if got, want := st.ReplicaStats(), (postgres.ReplicaStats{Conflicts: 3}); got != want {
			t.Errorf("ReplicaStats() = %+v, want %+v", got, want)
		}
	})

	t.Run("Bounded", func(t *testing.T) {
		st := postgres.NewWithReplica(primary.DB(), standby, postgres.WithMaxLag(time.Hour))
		st.VouchForReplica()
		for range 3 {
			if n := customerCount(t, ctx, st); n != 3 {
				t.Errorf("a read found %d customers, want 3", n)
			}
		}
		if got, want := st.ReplicaStats(), (postgres.ReplicaStats{Conflicts: 1}); got != want {
			t.Errorf("ReplicaStats() = %+v, want %+v: reads after the conflict tried the replica again", got, want)
		}
	})

	t.Run("InAUnitNothingFallsBack", func(t *testing.T) {
		// A unit reads the primary: the standby's conflict cannot reach it.
		st := postgres.NewWithReplica(primary.DB(), standby, postgres.WithMaxLag(0))
		if n := unitCustomerCount(t, st); n != 3 {
			t.Errorf("a read in a unit found %d customers, want 3", n)
		}
		if got := st.ReplicaStats(); got != (postgres.ReplicaStats{}) {
			t.Errorf("ReplicaStats() = %+v, want none", got)
		}
	})
}

// downReplica returns a replica database whose server is down: nothing
// listens on its port.
func downReplica(t *testing.T) *bun.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig("postgres://postgres@" + closedPort(t) + "/none?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	return bunDB(t, cfg)
}

// TestWithReplicaDB: New with WithReplicaDB has a replica as
// NewWithReplica's Store does, and New's other options apply to it too:
// a query hook sees the replica's statements. Open refuses it.
func TestWithReplicaDB(t *testing.T) {
	down, primary := downReplica(t), pgtest.NewStore(t).DB()
	rec := &hookRecorder{}
	st := postgres.New(primary, postgres.WithReplicaDB(down, postgres.WithMaxLag(0)), postgres.WithQueryHook(rec))
	if st.Replica() != down {
		t.Fatal("no replica")
	}
	seedCustomer(t, t.Context(), st)
	rec.reset()
	if n := customerCount(t, t.Context(), st); n != 1 {
		t.Fatalf("%d customers, want the primary's 1", n)
	}
	// The list and the count each tried the replica (and failed to
	// connect), then ran on the primary: the hook saw all four.
	if got, want := st.ReplicaStats(), (postgres.ReplicaStats{Unavailable: 2}); got != want {
		t.Fatalf("ReplicaStats() = %+v, want %+v", got, want)
	}
	events, before := rec.take()
	failed := 0
	for _, ev := range events {
		if ev.Err != nil {
			failed++
		}
	}
	if len(events) != 4 || before != 4 || failed != 2 {
		t.Fatalf("the hook saw %d statements (%d begun), %d failed; want 4, 4 and the replica's 2", len(events), before, failed)
	}
	// A nil replica configures none.
	if postgres.New(primary, postgres.WithReplicaDB(nil)).Replica() != nil {
		t.Fatal("a nil replica was configured")
	}
	if _, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.WithReplicaDB(down)); err == nil || !strings.Contains(err.Error(), "WithReplicaDB") {
		t.Fatalf("Open with WithReplicaDB: %v", err)
	}
}
