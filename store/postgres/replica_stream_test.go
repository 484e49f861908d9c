package postgres_test

import (
	"context"
	"errors"
	"flag"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/internal/servicetest"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
	"github.com/clientele/clientele/store/storetest"
)

// The tests of this file run on a real streaming replica
// (TEST_REPLICA_URL; .ci/replica.sh makes one). They pause its WAL replay
// to make its lag as long as a test needs.

// TestStreamingReplicaReads shows, with replay paused, that reads outside
// a unit come from the replica (they miss a committed write) while the
// reads of a unit and those after a write in a read-your-writes context
// come from the primary.
func TestStreamingReplicaReads(t *testing.T) {
	r := pgtest.NewReplica(t)
	// A bound no pause of this test reaches: the replica serves its reads.
	st := pgtest.NewReplicatedStore(t, r, postgres.WithMaxLag(time.Hour))
	r.Pause(t)

	seedCustomer(t, t.Context(), st)
	before := r.Reads()
	if n := customerCount(t, t.Context(), st); n != 0 {
		t.Errorf("with replay paused, a read outside a unit found %d customers: it did not go to the replica", n)
	}
	if r.Reads() == before {
		t.Error("the replica ran no statement for a read outside a unit")
	}

	ctx := store.ReadYourWrites(t.Context())
	if n := customerCount(t, ctx, st); n != 0 {
		t.Errorf("a read-your-writes context that wrote nothing found %d customers: it did not read the replica", n)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := st.InsertCustomers(ctx, []*customer.Customer{{ID: "cus_ryw", CreatedAt: now, UpdatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	before = r.Reads()
	if n := customerCount(t, ctx, st); n != 2 {
		t.Errorf("after its write, a read-your-writes context found %d customers, want 2", n)
	}
	if n := unitCustomerCount(t, st); n != 2 {
		t.Errorf("a read in a unit found %d customers, want 2", n)
	}
	if r.Reads() != before {
		t.Errorf("the replica ran %d statements for reads that belong to the primary", r.Reads()-before)
	}

	r.Resume(t)
	r.CatchUp(t)
	if n := customerCount(t, t.Context(), st); n != 2 {
		t.Errorf("once replay resumed, the replica shows %d customers, want 2", n)
	}
}

// TestStreamingReplicaMaxLag shows that a replica whose replay lags past
// the bound serves no read: with replay paused, once more than half the
// bound has passed since the last replayed commit, reads see the primary.
func TestStreamingReplicaMaxLag(t *testing.T) {
	const bound = 200 * time.Millisecond
	r := pgtest.NewReplica(t)
	st := pgtest.NewReplicatedStore(t, r, postgres.WithMaxLag(bound))
	r.Pause(t)
	seedCustomer(t, t.Context(), st)
	r.Received(t) // by the replica, which does not replay it
	// Let the lag grow past the bound; the guard measures it anew at most
	// every bound/2.
	time.Sleep(bound)
	if n := customerCount(t, t.Context(), st); n != 1 {
		t.Errorf("a replica lagging past the bound served a read (%d customers, want the primary's 1)", n)
	}
}

// TestStreamingReplicaSecurity shows that, however far the replica lags
// (replay paused), a revocation and a password change take effect at once,
// on every instance: the reads they depend on never come from the replica.
func TestStreamingReplicaSecurity(t *testing.T) {
	r := pgtest.NewReplica(t)
	st := pgtest.NewReplicatedStore(t, r)
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("replica-test-secret-replica-test")})
	if err != nil {
		t.Fatal(err)
	}
	instance := func() *auth.Service {
		svc, err := auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(cheapScrypt))))
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	ctx := t.Context()
	a := instance()
	creds := func(password string) provider.Input {
		return emailpass.Credentials("ada@example.com", password)
	}
	if _, err := a.Register(ctx, emailpass.ID, creds("old password").ForActor(auth.ActorCustomer)); err != nil {
		t.Fatal(err)
	}
	login, err := a.Login(ctx, auth.ActorCustomer, emailpass.ID, creds("old password"))
	if err != nil {
		t.Fatal(err)
	}
	r.Pause(t)

	if err := a.RevokeAll(ctx, login.Identity.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := instance().Verify(ctx, login.Token); !errors.Is(err, auth.ErrTokenRevoked) && !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("another instance verified a revoked token (err %v) while the replica lagged", err)
	}

	if _, err := a.UpdateProvider(ctx, emailpass.ID, map[string]any{"entity_id": "ada@example.com", "password": "new password"}); err != nil {
		t.Fatal(err)
	}
	b := instance()
	if _, err := b.Authenticate(ctx, emailpass.ID, creds("old password").ForActor(auth.ActorCustomer)); err == nil {
		t.Error("another instance accepted the old password while the replica lagged")
	}
	if _, err := b.Authenticate(ctx, emailpass.ID, creds("new password").ForActor(auth.ActorCustomer)); err != nil {
		t.Errorf("another instance refused the new password while the replica lagged: %v", err)
	}
}

// TestBehaviourWithReplica runs the services' behaviour suite on a Store
// with a streaming replica. Each statement sent to the replica first waits
// until the replica has replayed what the primary had written, so the
// suite's expectations hold (the suite does not mark its contexts for
// read-your-writes) while every read the Store routes to the replica is
// still answered by the hot standby.
func TestBehaviourWithReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("the behaviour suite on a replica is long; skipped with -short")
	}
	r := pgtest.NewReplica(t)
	r.CatchUpEachRead(true)
	servicetest.Run(t, func(t *testing.T) storetest.Store { return pgtest.NewReplicatedStore(t, r) })
	// The whole suite reads customers outside units; a -run that picks a
	// few subtests may not.
	if r.Reads() == 0 && flag.Lookup("test.run").Value.String() == "" {
		t.Error("the suite sent no read to the replica")
	}
	t.Logf("the replica served %d statements", r.Reads())
}

// BenchmarkReplicaRetrieveByID retrieves customers by id through the
// customer service on the primary alone, then on a Store with a streaming
// replica (under the default lag bound), from a plain context (served by
// the replica) and from one that wrote (served by the primary).
func BenchmarkReplicaRetrieveByID(b *testing.B) {
	st, ds := seeded(b)
	r := pgtest.NewReplica(b)
	replicated := postgres.NewWithReplica(st.DB(), r.DB())
	ids := ds.withAddrs
	run := func(st *postgres.Store, ctx context.Context) func(b *testing.B) {
		return func(b *testing.B) {
			svc := newCustomers(b, st)
			i := 0
			for b.Loop() {
				if _, err := svc.Retrieve(ctx, ids[i%len(ids)], store.FindOptions{}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		}
	}
	wrote := store.ReadYourWrites(context.Background())
	store.MarkWritten(wrote)
	b.Run("primary", run(st, context.Background()))
	b.Run("replica", func(b *testing.B) {
		before := r.Reads()
		run(replicated, context.Background())(b)
		if r.Reads() == before {
			b.Fatal("the replica served no read")
		}
	})
	b.Run("replica/after-write", run(replicated, wrote))
}
