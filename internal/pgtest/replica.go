package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/clientele/clientele/store/postgres"
)

// Read replicas. TEST_REPLICA_URL names a streaming replica of the test
// server (.ci/replica.sh start makes one on 127.0.0.1:5433); its database
// part is ignored: a [Replica] reads the replica's copy of the package
// database, which reaches the replica by streaming replication like every
// other change. When TEST_REPLICA_URL is unset, tests that ask for a
// replica are skipped, unless CI=true, where they fail.

// ReplicaURL returns TEST_REPLICA_URL, or "" when it is unset.
func ReplicaURL() string { return os.Getenv("TEST_REPLICA_URL") }

// replayTimeout bounds every wait for the replica to replay the primary's
// WAL.
const replayTimeout = time.Minute

// Replica is the replica's copy of the package database, for a Store made
// with postgres.NewWithReplica.
type Replica struct {
	db      *bun.DB // what the Store reads from, traced
	control *sql.DB // the replica's postgres database: replay position, pause
	primary *sql.DB // the package database on the primary

	reads   atomic.Int64 // statements db ran
	catchUp atomic.Bool  // wait for replay before each statement of db

	mu  sync.Mutex
	err error // the first failed wait of the tracer
}

// NewReplica returns the package database on the replica that
// TEST_REPLICA_URL names, once the replica has replayed the primary's WAL
// up to now. Its pools are closed when t ends.
func NewReplica(t testing.TB) *Replica {
	t.Helper()
	require(t)
	base := ReplicaURL()
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("pgtest: TEST_REPLICA_URL is unset (CI=true): start a replica with .ci/replica.sh start and export its URL")
		}
		t.Skip("pgtest: TEST_REPLICA_URL is unset, skipping (start a replica with .ci/replica.sh start and export its URL)")
	}
	r := &Replica{primary: pkg.st.DB().DB}
	controlDSN, err := withDatabase(base, "postgres")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if r.control, err = sql.Open("pgx", controlDSN); err != nil {
		t.Fatalf("pgtest: open the replica: %v", err)
	}
	t.Cleanup(func() { _ = r.control.Close() })
	var standby bool
	if err := r.control.QueryRowContext(context.Background(), "SELECT pg_is_in_recovery()").Scan(&standby); err != nil {
		t.Fatalf("pgtest: connect to the replica %s: %v", redact(controlDSN), err)
	}
	if !standby {
		t.Fatalf("pgtest: TEST_REPLICA_URL (%s) is not a standby server", redact(controlDSN))
	}
	// The package database must have reached the replica.
	r.CatchUp(t)
	dsn, err := withDatabase(base, pkg.name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg.Tracer = replicaTracer{r}
	r.db = bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New())
	t.Cleanup(func() {
		_ = r.db.Close()
		if err := r.failure(); err != nil {
			t.Errorf("pgtest: waiting for the replica: %v", err)
		}
	})
	return r
}

// DB returns the replica's pool, for postgres.NewWithReplica.
func (r *Replica) DB() *bun.DB { return r.db }

// Reads returns how many statements the replica's pool has run.
func (r *Replica) Reads() int64 { return r.reads.Load() }

// CatchUpEachRead sets whether every statement of the replica's pool
// first waits until the replica has replayed everything the primary wrote
// before it, so that the replica answers as the primary would: the way to
// run a suite written for one database on a Store with a replica, with
// every read the Store sends to the replica still served by it.
func (r *Replica) CatchUpEachRead(on bool) { r.catchUp.Store(on) }

// CatchUp waits until the replica has replayed the primary's WAL up to
// the primary's position now.
func (r *Replica) CatchUp(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replayTimeout)
	defer cancel()
	if err := r.waitReplay(ctx); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Received waits until the replica has received (not necessarily
// replayed) the primary's WAL up to the primary's position now, as it
// does while its replay is paused.
func (r *Replica) Received(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replayTimeout)
	defer cancel()
	if err := r.wait(ctx, "pg_last_wal_receive_lsn()"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// waitReplay polls the replica until it has replayed the primary's WAL up
// to the primary's current position.
func (r *Replica) waitReplay(ctx context.Context) error {
	return r.wait(ctx, "pg_last_wal_replay_lsn()")
}

// wait polls the replica until position (a function of the replica's WAL
// position) reaches the primary's current position.
func (r *Replica) wait(ctx context.Context, position string) error {
	var lsn string
	if err := r.primary.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		return fmt.Errorf("read the primary's WAL position: %w", err)
	}
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		var done bool
		err := r.control.QueryRowContext(ctx, "SELECT coalesce("+position+" >= $1::pg_lsn, false)", lsn).Scan(&done)
		if err != nil {
			return fmt.Errorf("read the replica's %s: %w", position, err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the replica's %s did not reach the primary's %s: %w", position, lsn, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// Pause pauses the replica's WAL replay (pg_wal_replay_pause) until
// [Replica.Resume] or the end of t: the replica keeps answering, with the
// data it had. The replica is shared by every test binary, so tests that
// pause it run in one package only (store/postgres).
func (r *Replica) Pause(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replayTimeout)
	defer cancel()
	r.CatchUp(t)
	if _, err := r.control.ExecContext(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatalf("pgtest: pause the replica's replay: %v", err)
	}
	t.Cleanup(func() { r.Resume(t) })
	for {
		var state string
		if err := r.control.QueryRowContext(ctx, "SELECT pg_get_wal_replay_pause_state()").Scan(&state); err != nil {
			t.Fatalf("pgtest: read the replica's replay state: %v", err)
		}
		if state == "paused" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pgtest: the replica's replay did not pause: %v", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// Resume resumes the replica's WAL replay.
func (r *Replica) Resume(t testing.TB) {
	t.Helper()
	if _, err := r.control.ExecContext(context.Background(), "SELECT pg_wal_replay_resume()"); err != nil {
		t.Errorf("pgtest: resume the replica's replay: %v", err)
	}
}

// NewReplicatedStore returns a Store on the package database (emptied, as
// [NewStore] does) that reads from r as postgres.NewWithReplica documents.
func NewReplicatedStore(t testing.TB, r *Replica, opts ...postgres.ReplicaOption) *postgres.Store {
	t.Helper()
	return postgres.NewWithReplica(NewStore(t).DB(), r.db, opts...)
}

func (r *Replica) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// replicaTracer counts the statements of the replica's pool and, with
// CatchUpEachRead, waits for replay before each.
type replicaTracer struct{ r *Replica }

// TraceQueryStart implements pgx.QueryTracer.
func (tr replicaTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	tr.r.reads.Add(1)
	if !tr.r.catchUp.Load() {
		return ctx
	}
	wctx, cancel := context.WithTimeout(ctx, replayTimeout)
	defer cancel()
	if err := tr.r.waitReplay(wctx); err != nil && ctx.Err() == nil {
		tr.r.mu.Lock()
		if tr.r.err == nil {
			tr.r.err = err
		}
		tr.r.mu.Unlock()
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (replicaTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
