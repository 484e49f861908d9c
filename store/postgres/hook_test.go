package postgres_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/faultdb"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/postgres"
	"github.com/clientele/clientele/throttle"
)

// hookRecorder is a bun.QueryHook that keeps every event it sees.
type hookRecorder struct {
	mu     sync.Mutex
	before int
	events []bun.QueryEvent
}

func (r *hookRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	r.mu.Lock()
	r.before++
	r.mu.Unlock()
	return ctx
}

func (r *hookRecorder) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	r.mu.Lock()
	r.events = append(r.events, *ev)
	r.mu.Unlock()
}

func (r *hookRecorder) reset() {
	r.mu.Lock()
	r.before, r.events = 0, nil
	r.mu.Unlock()
}

// take returns the events seen since reset and how many BeforeQuery calls
// there were.
func (r *hookRecorder) take() ([]bun.QueryEvent, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events), r.before
}

// TestQueryHookSeesEveryStatement runs every operation of the fault
// injection table on a Store with a query hook, over a driver that counts
// the statements that reach the database, and checks that the hook saw
// each of them (BEGIN and COMMIT included), with its text and without
// argument values.
func TestQueryHookSeesEveryStatement(t *testing.T) {
	rec := &hookRecorder{}
	fc, st := faultStore(t, postgres.WithQueryHook(rec))
	ops := append(slices.Clone(faultOps), faultOp{
		// The throttle's statements run outside any unit of work.
		name: "ThrottledLogins",
		setup: func(w *faultWorld) {
			lim, err := throttle.New(st, throttle.Config{})
			w.must(err)
			w.auth, err = auth.NewService(st, w.auth.Tokens(),
				auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))), auth.WithThrottle(lim))
			w.must(err)
			_, err = w.auth.Register(w.ctx, emailpass.ID, emailpass.Credentials("tom@example.com", "right-password").ForActor(auth.ActorCustomer))
			w.must(err)
		},
		run: func(w *faultWorld) error {
			for _, pw := range []string{"wrong", "right-password"} {
				if _, err := w.auth.Login(w.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("tom@example.com", pw)); err != nil && pw != "wrong" {
					return err
				}
			}
			return nil
		},
	})
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			w := newFaultWorld(t, st, false)
			op.setup(w)
			// What setup left running after its answers ends first.
			if err := w.auth.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			fc.Record(true)
			fc.Reset()
			rec.reset()
			if err := op.run(w); err != nil {
				t.Fatalf("run: %v", err)
			}
			if err := w.auth.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			sent := fc.Statements()
			fc.Record(false)
			events, before := rec.take()
			if before != len(events) {
				t.Errorf("%d BeforeQuery calls, %d AfterQuery", before, len(events))
			}
			var seen []string
			for _, ev := range events {
				if ev.QueryArgs != nil {
					t.Errorf("%q: the hook got argument values %v", ev.Query, ev.QueryArgs)
				}
				if strings.Contains(ev.Query, "example.com") || ev.Query != ev.QueryTemplate {
					t.Errorf("the hook got a statement with its values: %q (template %q)", ev.Query, ev.QueryTemplate)
				}
				if ev.StartTime.IsZero() || ev.DB == nil {
					t.Errorf("%q: event without its start time or database", ev.Query)
				}
				if w := strings.Fields(ev.Query); len(w) > 0 && w[0] != "ROLLBACK" {
					seen = append(seen, strings.ToUpper(w[0]))
				}
			}
			if len(sent) == 0 {
				t.Fatal("the operation ran no statement")
			}
			// Work after an answer (the throttle's report of a success)
			// runs beside the next call: compare the statements, not
			// their order.
			slices.Sort(seen)
			slices.Sort(sent)
			if !slices.Equal(seen, sent) {
				t.Errorf("the hook saw %v,\nthe database got %v", seen, sent)
			}
		})
	}
}

// faultStore returns a Store with opts on the package database through a
// faultdb.Connector, and the Connector.
func faultStore(t *testing.T, opts ...postgres.Option) (*faultdb.Connector, *postgres.Store) {
	t.Helper()
	cfg, err := pgx.ParseConfig(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	fc := faultdb.New(stdlib.GetConnector(*cfg))
	sqldb := sql.OpenDB(fc)
	t.Cleanup(func() { _ = sqldb.Close() })
	return fc, postgres.New(bun.NewDB(sqldb, pgdialect.New()), opts...)
}

// TestQueryHookNone checks that a Store without hooks uses the *bun.DB it
// was given, and that one with hooks leaves the caller's as it was.
func TestQueryHookNone(t *testing.T) {
	db := pgtest.NewStore(t).DB()
	if got := postgres.New(db).DB(); got != db {
		t.Error("New without hooks does not use the caller's *bun.DB")
	}
	rec := &hookRecorder{}
	hooked := postgres.New(db, postgres.WithQueryHook(rec), postgres.WithQueryHook(nil))
	if hooked.DB() == db {
		t.Error("New with a hook changed the caller's *bun.DB")
	}
	if _, err := db.ExecContext(t.Context(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if events, _ := rec.take(); len(events) != 0 {
		t.Errorf("the caller's *bun.DB runs the Store's hook: %v", events)
	}
	if err := hooked.InTx(t.Context(), func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	events, _ := rec.take()
	var got []string
	for _, ev := range events {
		got = append(got, ev.Query)
	}
	if want := []string{"BEGIN", "COMMIT"}; !slices.Equal(got, want) {
		t.Errorf("an empty unit of work: the hook saw %q, want %q", got, want)
	}
}
