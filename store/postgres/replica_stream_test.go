package postgres_test

import (
	"context"
	"errors"
	"flag"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

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

// TestStreamingReplicaConflictFallback makes the hot standby cancel a
// list for a real conflict with recovery: while the list runs on the
// replica (slowed by a view that sleeps, read through search_path), the
// primary takes an ACCESS EXCLUSIVE lock on the customer table, whose
// replay the standby lets wait max_standby_streaming_delay (lowered to
// 100 ms for the test) before it cancels the list with SQLSTATE 40001. The
// list must then answer from the primary, and count one conflict.
func TestStreamingReplicaConflictFallback(t *testing.T) {
	r := pgtest.NewReplica(t)
	ctx := t.Context()
	primary := pgtest.NewStore(t)
	seedCustomer(t, ctx, primary)

	const schema = "standby_conflict"
	for _, stmt := range []string{
		`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`,
		`CREATE SCHEMA ` + schema,
		`CREATE FUNCTION ` + schema + `.slow() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	PERFORM pg_sleep(10);
	RETURN true;
END $$`,
		`CREATE VIEW ` + schema + `.customer AS SELECT * FROM public.customer WHERE ` + schema + `.slow()`,
	} {
		if _, err := primary.DB().ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = primary.DB().ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
	})
	r.CatchUp(t)

	replicaCfg, err := pgx.ParseConfig(pgtest.ReplicaURL())
	if err != nil {
		t.Fatal(err)
	}
	control := replicaCfg.Copy()
	control.Database = "postgres"
	controlDB := stdlib.OpenDB(*control)
	t.Cleanup(func() { _ = controlDB.Close() })
	setDelay := func(ctx context.Context, stmt string) error {
		if _, err := controlDB.ExecContext(ctx, stmt); err != nil {
			return err
		}
		_, err := controlDB.ExecContext(ctx, "SELECT pg_reload_conf()")
		return err
	}
	if err := setDelay(ctx, "ALTER SYSTEM SET max_standby_streaming_delay = '100ms'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := setDelay(context.WithoutCancel(ctx), "ALTER SYSTEM RESET max_standby_streaming_delay"); err != nil {
			t.Errorf("restoring max_standby_streaming_delay: %v", err)
		}
	})
	// The reload is asynchronous: wait until the new delay shows.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var delay string
		if err := controlDB.QueryRowContext(ctx, "SHOW max_standby_streaming_delay").Scan(&delay); err != nil {
			t.Fatal(err)
		}
		if delay == "100ms" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("max_standby_streaming_delay is %s, want 100ms", delay)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The replica's copy of the package database, reading the slow view.
	cfg, err := pgx.ParseConfig(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port, cfg.Fallbacks = replicaCfg.Host, replicaCfg.Port, nil
	cfg.RuntimeParams["search_path"] = schema + ", public"
	cfg.RuntimeParams["application_name"] = "clientele_conflict_test"
	slow := bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New())
	t.Cleanup(func() { _ = slow.Close() })
	st := postgres.NewWithReplica(primary.DB(), slow, postgres.WithMaxLag(time.Hour))
	st.VouchForReplica()

	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		list, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{})
		done <- result{len(list), err}
	}()
	// Wait until the list sleeps on the replica, holding its lock on the
	// customer table.
	for {
		var n int
		err := controlDB.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'clientele_conflict_test' AND wait_event = 'PgSleep'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case res := <-done:
			t.Fatalf("the list ended (%d, %v) before it slept on the replica", res.n, res.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	tx, err := primary.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE public.customer IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatalf("ListCustomers: %v", res.err)
	}
	if res.n != 1 {
		t.Errorf("ListCustomers found %d customers, want the primary's 1", res.n)
	}
	if elapsed := time.Since(start); elapsed >= 10*time.Second {
		t.Errorf("the list took %v: the standby did not cancel it", elapsed)
	}
	if got, want := st.ReplicaStats(), (postgres.ReplicaStats{Conflicts: 1}); got != want {
		t.Errorf("ReplicaStats() = %+v, want %+v", got, want)
	}
	r.CatchUp(t)
}
