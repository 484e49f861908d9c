package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/faultdb"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/store/postgres"
)

// The outbox's delivery under faults: a dispatcher purges, claims,
// delivers, records the deliveries (done) and a failed one (retry), and
// gives back its leases (release); the database fails at each of these
// statements in turn. Then another dispatcher, after the lease, delivers
// what is left. Every committed event must be delivered; an event is
// delivered twice only when the fault hit the statement that records its
// delivery, and both deliveries carry the same Event.ID and data.

// deliveryCall is one call of the dispatcher's store: the statements it
// issued are from..to (numbered since Arm; to < from when it issued none).
type deliveryCall struct {
	method, id string
	from, to   int
}

// deliveryStore is the outbox store of the dispatcher under faults: it
// records which call issued which statement.
type deliveryStore struct {
	outbox.Store
	fc *faultdb.Connector

	mu    sync.Mutex
	calls []deliveryCall
}

func (s *deliveryStore) note(method, id string, f func() error) error {
	from := s.fc.Count() + 1
	err := f()
	s.mu.Lock()
	s.calls = append(s.calls, deliveryCall{method: method, id: id, from: from, to: s.fc.Count()})
	s.mu.Unlock()
	return err
}

// at returns the call that issued statement i.
func (s *deliveryStore) at(i int) (deliveryCall, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		if c.from <= i && i <= c.to {
			return c, true
		}
	}
	return deliveryCall{}, false
}

func (s *deliveryStore) OutboxClaim(ctx context.Context, claimer string, now time.Time, lease time.Duration, limit int) (recs []*outbox.Record, err error) {
	err = s.note("claim", "", func() error {
		recs, err = s.Store.OutboxClaim(ctx, claimer, now, lease, limit)
		return err
	})
	return recs, err
}

func (s *deliveryStore) OutboxDone(ctx context.Context, id string, now time.Time) error {
	return s.note("done", id, func() error { return s.Store.OutboxDone(ctx, id, now) })
}

func (s *deliveryStore) OutboxRetry(ctx context.Context, id, claimer string, at time.Time, lastError string) error {
	return s.note("retry", id, func() error { return s.Store.OutboxRetry(ctx, id, claimer, at, lastError) })
}

func (s *deliveryStore) OutboxRelease(ctx context.Context, claimer string) (n int, err error) {
	err = s.note("release", "", func() error {
		n, err = s.Store.OutboxRelease(ctx, claimer)
		return err
	})
	return n, err
}

func (s *deliveryStore) OutboxPurge(ctx context.Context, before time.Time, limit int) (n int, err error) {
	err = s.note("purge", "", func() error {
		n, err = s.Store.OutboxPurge(ctx, before, limit)
		return err
	})
	return n, err
}

// deliverySink records the events it accepts; it refuses the first
// attempt of each event named refuse.
type deliverySink struct {
	refuse string

	mu      sync.Mutex
	got     []event.Event
	refused map[string]bool
}

func (s *deliverySink) Emit(_ context.Context, e event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Name == s.refuse && !s.refused[e.ID] {
		if s.refused == nil {
			s.refused = map[string]bool{}
		}
		s.refused[e.ID] = true
		return errors.New("sink unavailable")
	}
	s.got = append(s.got, e)
	return nil
}

func (s *deliverySink) events() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// deliveryCase is the data of one run: a delivered row to purge and
// three pending rows, of three entities, the last refused once by the
// sink.
type deliveryCase struct {
	w       *faultWorld
	purged  string   // the delivered row the purge deletes
	pending []string // the undelivered rows, in order
	now     time.Time
}

func newDeliveryCase(t *testing.T, st *postgres.Store) *deliveryCase {
	w := newFaultWorld(t, st, false)
	ivy, err := w.customers.Create(w.ctx, customer.CreateParams{Email: "ivy@example.com"})
	w.must(err)
	delivered := w.deliver()
	if len(delivered) != 1 {
		t.Fatalf("setup: %d events delivered, want 1", len(delivered))
	}
	w.begin()
	_, err = w.customers.Create(w.ctx, customer.CreateParams{Email: "jon@example.com", Addresses: twoAddresses()[:1]})
	w.must(err)
	_, err = w.customers.Update(w.ctx, ivy.ID, customer.UpdateParams{FirstName: new("Ivy")})
	w.must(err)
	var pending []string
	w.must(w.raw.NewRaw("SELECT id FROM clientele_outbox WHERE seq > ? ORDER BY seq", w.mark).Scan(context.Background(), &pending))
	if len(pending) != 3 {
		t.Fatalf("setup: %d pending rows, want 3", len(pending))
	}
	// The dispatchers' clock: after every row was written.
	return &deliveryCase{w: w, purged: delivered[0].ID, pending: pending, now: time.Now().Add(time.Second)}
}

// dispatch runs one dispatcher named name until it has delivered what it
// can: stopped before it runs, Run claims until a round delivers nothing,
// then releases its leases.
func (c *deliveryCase) dispatch(st outbox.Store, name string, sink event.Sink, now time.Time, opts ...outbox.DispatcherOption) {
	c.w.t.Helper()
	ob, err := outbox.New(st, outbox.WithKeys(faultKey), outbox.WithClock(func() time.Time { return now }))
	c.w.must(err)
	opts = append([]outbox.DispatcherOption{
		outbox.WithDispatcherID(name), outbox.WithBatch(1), outbox.WithBackoff(time.Minute, time.Minute),
		outbox.WithLogger(slog.New(slog.DiscardHandler)),
	}, opts...)
	d, err := outbox.NewDispatcher(ob, sink, opts...)
	c.w.must(err)
	c.w.must(d.Shutdown(c.w.ctx))
	c.w.must(d.Run(c.w.ctx))
}

// runDeliveryFaults fails each statement of a dispatcher's work, with
// both kinds of fault, and checks that nothing is lost or delivered twice
// beyond at-least-once.
func runDeliveryFaults(t *testing.T, fc *faultdb.Connector, st *postgres.Store) {
	// The dispatcher under faults purges every delivered row (retention
	// 0) and claims one row at a time, so that its statements come in one
	// order: purge, then claim and done for each of the first two rows,
	// claim and retry for the third (the sink refuses it), release.
	faulty := func(c *deliveryCase, ds *deliveryStore) *deliverySink {
		sink := &deliverySink{refuse: customer.EventUpdated}
		c.dispatch(ds, "faulty", sink, c.now, outbox.WithRetention(0, time.Hour))
		return sink
	}

	c := newDeliveryCase(t, st)
	ds := &deliveryStore{Store: st, fc: fc}
	fc.Arm(0, faultdb.Plain)
	sink := faulty(c, ds)
	n := fc.Count()
	fc.Reset()
	perMethod := map[string]int{}
	covered := 0
	var seq []string
	for _, call := range ds.calls {
		perMethod[call.method] += call.to - call.from + 1
		covered += call.to - call.from + 1
		seq = append(seq, call.method)
	}
	if covered != n {
		t.Fatalf("the dispatcher's calls issued %d statements, the connector counted %d", covered, n)
	}
	want := []string{"purge", "claim", "done", "claim", "done", "claim", "retry", "release"}
	if !slices.Equal(seq, want) {
		t.Fatalf("the dispatcher's calls %v, want %v", seq, want)
	}
	if got := ids(sink.events()); !slices.Equal(got, c.pending[:2]) {
		t.Fatalf("clean run delivered %v, want %v", got, c.pending[:2])
	}
	c.w.wantRows(1, "SELECT count(*) FROM clientele_outbox WHERE id = ? AND attempts = 1 AND last_error <> '' AND claimed_by IS NULL AND delivered_at IS NULL", c.pending[2])
	c.w.wantRows(0, "SELECT count(*) FROM clientele_outbox WHERE id = ?", c.purged)
	var counts []string
	for _, m := range []string{"purge", "claim", "done", "retry", "release"} {
		counts = append(counts, fmt.Sprintf("%s %d", m, perMethod[m]))
	}
	t.Logf("OutboxDelivery: %d statements: %s", n, strings.Join(counts, ", "))

	for _, kind := range []faultdb.Kind{faultdb.Plain, faultdb.Broken} {
		exercised, dups := 0, 0
		for i := 1; i <= n; i++ {
			c := newDeliveryCase(t, st)
			ds := &deliveryStore{Store: st, fc: fc}
			fc.Arm(i, kind)
			sink := faulty(c, ds)
			fired := fc.Fired()
			fc.Reset()
			where := fmt.Sprintf("%s fault at statement %d of %d", kind, i, n)
			c.w.where = where
			if fired == nil || fired.Statement != i {
				t.Errorf("%s: not injected (the dispatcher ran %d statements)", where, fc.Count())
				continue
			}
			exercised++
			hit, ok := ds.at(i)
			if !ok {
				t.Errorf("%s: no call of the dispatcher issued it", where)
				continue
			}
			where += " (" + hit.method + ")"
			c.w.where = where
			// A dispatcher that stops gives its leases back, unless that is
			// the statement that failed.
			if hit.method != "release" {
				c.w.wantRows(0, "SELECT count(*) FROM clientele_outbox WHERE claimed_by = 'faulty'")
			}
			// Another dispatcher, after the lease and the back-off.
			rescue := &deliverySink{}
			c.dispatch(st, "rescuer", rescue, c.now.Add(time.Hour))
			c.w.wantRows(0, "SELECT count(*) FROM clientele_outbox WHERE delivered_at IS NULL OR claimed_by IS NOT NULL OR sealed IS NOT NULL")
			c.w.wantRows(map[bool]int{false: 0, true: 1}[hit.method == "purge"], "SELECT count(*) FROM clientele_outbox WHERE id = ?", c.purged)
			byID := map[string][]event.Event{}
			for _, e := range append(sink.events(), rescue.events()...) {
				byID[e.ID] = append(byID[e.ID], e)
			}
			for id, got := range byID {
				if !slices.Contains(c.pending, id) {
					t.Errorf("%s: event %s (%s) delivered, not a pending one", where, id, got[0].Name)
					continue
				}
				want := 1
				if hit.method == "done" && hit.id == id {
					want = 2 // delivered, not recorded: delivered again
					dups++
				}
				if len(got) != want {
					t.Errorf("%s: event %s (%s) delivered %d times, want %d", where, id, got[0].Name, len(got), want)
				}
				for _, e := range got[1:] {
					if e.Name != got[0].Name || !reflect.DeepEqual(e.Data, got[0].Data) {
						t.Errorf("%s: event %s delivered as %v, then as %v", where, id, got[0], e)
					}
				}
			}
			for _, id := range c.pending {
				if len(byID[id]) == 0 {
					t.Errorf("%s: event %s lost", where, id)
				}
			}
		}
		if exercised != n {
			t.Errorf("%s faults: %d of %d injection points exercised", kind, exercised, n)
		}
		t.Logf("%s faults: %d of %d points exercised, %d events delivered twice (done failed)", kind, exercised, n, dups)
	}
}

// ids returns the events' ids.
func ids(events []event.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}
