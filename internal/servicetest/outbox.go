package servicetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// TestOutboxKey is the outbox key of the suite (never use it elsewhere).
var TestOutboxKey = outbox.Key{ID: "test1", Secret: bytes.Repeat([]byte{7}, outbox.KeySize)}

// outboxStore returns the store as an outbox.Store, or skips.
func (e *env) outboxStore() outbox.Store {
	e.t.Helper()
	os, ok := e.st.(outbox.Store)
	if !ok {
		e.t.Skip("the backend implements no outbox.Store (optional)")
	}
	return os
}

// useOutbox makes an Outbox on the env's store and rebuilds the env's
// services on it.
func (e *env) useOutbox(opts ...outbox.Option) *outbox.Outbox {
	e.t.Helper()
	ob := must(outbox.New(e.outboxStore(), append([]outbox.Option{outbox.WithKeys(TestOutboxKey)}, opts...)...))(e.t)
	e.useTxSink(ob)
	return ob
}

// useRecordedOutbox is useOutbox with the events also recorded in the
// env's recorder once their unit commits, for flows that read codes from
// the events.
func (e *env) useRecordedOutbox(opts ...outbox.Option) *outbox.Outbox {
	e.t.Helper()
	ob := must(outbox.New(e.outboxStore(), append([]outbox.Option{outbox.WithKeys(TestOutboxKey)}, opts...)...))(e.t)
	e.useTxSink(teeTxSink{ob, unitSink{e.events}})
	return ob
}

// teeTxSink hands events to two transactional sinks.
type teeTxSink struct{ a, b event.TxSink }

// Emit hands e to both sinks.
func (t teeTxSink) Emit(ctx context.Context, e event.Event) error {
	return errors.Join(t.a.Emit(ctx, e), t.b.Emit(ctx, e))
}

// EmitTx hands events to both sinks in the unit of ctx.
func (t teeTxSink) EmitTx(ctx context.Context, events []event.Event) error {
	if err := t.a.EmitTx(ctx, events); err != nil {
		return err
	}
	return t.b.EmitTx(ctx, events)
}

// useTxSink rebuilds the env's services on the transactional sink ob.
func (e *env) useTxSink(ob event.TxSink) {
	e.t.Helper()
	e.txSink = ob
	e.addresses = newAddresses(e.t, e.st, address.WithEventSink(ob))
	e.customers = must(customer.NewService(e.st, e.addresses, customer.WithEventSink(ob)))(e.t)
	e.groups = newGroups(e.t, e.st, group.WithEventSink(ob))
	e.auth = e.newAuth()
	e.accounts = must(account.NewService(e.st, e.auth, e.customers, account.WithEventSink(ob)))(e.t)
}

// fastDispatch is the dispatcher configuration of the suite: short polls
// and back-off, a lease long enough that only a lost release would show.
func fastDispatch(extra ...outbox.DispatcherOption) []outbox.DispatcherOption {
	return append([]outbox.DispatcherOption{
		outbox.WithPollInterval(10 * time.Millisecond), outbox.WithBackoff(time.Millisecond, 10*time.Millisecond),
		outbox.WithLease(time.Minute), outbox.WithLogger(discard()),
	}, extra...)
}

// dispatch runs a dispatcher of ob to sink until the subtest ends; stop
// shuts it down (with ctx) and waits for Run to return.
func (e *env) dispatch(ob *outbox.Outbox, sink event.Sink, opts ...outbox.DispatcherOption) (d *outbox.Dispatcher, stop func(ctx context.Context) error) {
	e.t.Helper()
	d = must(outbox.NewDispatcher(ob, sink, fastDispatch(opts...)...))(e.t)
	ran := make(chan error, 1)
	go func() { ran <- d.Run(context.WithoutCancel(e.ctx)) }()
	var once sync.Once
	stop = func(ctx context.Context) error {
		var err error
		once.Do(func() {
			err = d.Shutdown(ctx)
			if rerr := <-ran; rerr != nil {
				e.t.Errorf("Run: %v", rerr)
			}
		})
		return err
	}
	e.t.Cleanup(func() { _ = stop(context.Background()) })
	return d, stop
}

// countingSink records every call, and fails those fail says to fail.
type countingSink struct {
	mu        sync.Mutex
	calls     []event.Event
	delivered []event.Event
	fail      func(e event.Event, attempt int) error
	delay     time.Duration
}

func (s *countingSink) Emit(ctx context.Context, e event.Event) error {
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	attempt := 1
	for _, c := range s.calls {
		if c.ID == e.ID {
			attempt++
		}
	}
	s.calls = append(s.calls, e)
	if s.fail != nil {
		if err := s.fail(e, attempt); err != nil {
			return err
		}
	}
	s.delivered = append(s.delivered, e)
	return nil
}

func (s *countingSink) snapshot() (calls, delivered []event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Event(nil), s.calls...), append([]event.Event(nil), s.delivered...)
}

// waitFor polls cond until it holds, failing the test after 20 seconds.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func deliveredNames(s *countingSink, name string) []event.Event {
	_, d := s.snapshot()
	var out []event.Event
	for _, e := range d {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

var outboxBehaviour = append([]test{resetWithHungSink}, outboxTests...)

var outboxTests = []test{
	{"Outbox/DeliversWithIDs", func(e *env) {
		ob := e.useOutbox()
		sink := &countingSink{}
		e.dispatch(ob, sink)
		c := e.customer(customer.CreateParams{Email: "ob@example.com"})
		_, err := e.customers.Update(e.ctx, c.ID, customer.UpdateParams{FirstName: ptr("O")})
		e.must(err)
		e.waitFor("two events", func() bool { _, d := sink.snapshot(); return len(d) == 2 })
		_, d := sink.snapshot()
		e.same([]string{customer.EventCreated, customer.EventUpdated}, eventNames(d))
		e.same(map[string]any{"id": c.ID}, d[0].Data)
		if d[0].ID == "" || d[0].ID == d[1].ID {
			e.t.Fatalf("event ids %q and %q: want two distinct ids", d[0].ID, d[1].ID)
		}
		r, err := ob.Store().OutboxGet(e.ctx, d[0].ID)
		e.must(err)
		if r.DeliveredAt == nil {
			e.t.Fatal("delivered row not marked delivered")
		}
	}},
	{"Outbox/FailedChangeWritesNoEvent", func(e *env) {
		ob := e.useOutbox()
		e.customer(customer.CreateParams{Email: "dup@example.com"})
		_, err := e.customers.CreateMany(e.ctx, []customer.CreateParams{{Email: "ok@example.com"}, {Email: "dup@example.com"}})
		e.wantErr(err, customer.ErrConflict)
		sink := &countingSink{}
		_, stop := e.dispatch(ob, sink)
		e.waitFor("the first create", func() bool { _, d := sink.snapshot(); return len(d) == 1 })
		e.must(stop(e.ctx))
		_, d := sink.snapshot()
		e.same(1, len(d))
	}},
	{"Outbox/FailedWriteFailsTheChange", func(e *env) {
		// An event the outbox cannot write (no entity key) fails the
		// change that raised it: nothing is committed.
		e.useOutbox(outbox.WithEntityKey(func(ev event.Event) string {
			if ev.Name == group.EventCreated {
				return ""
			}
			return outbox.DefaultEntityKey(ev)
		}))
		_, err := e.groups.Create(e.ctx, group.CreateParams{Name: "G"})
		if err == nil {
			e.t.Fatal("group created although its event could not be written")
		}
		gs, err := e.groups.List(e.ctx, group.Filter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(0, len(gs))
	}},
	{"Outbox/RetriesUntilTheSinkAccepts", func(e *env) {
		ob := e.useOutbox()
		const n = 3
		sink := &countingSink{fail: func(ev event.Event, attempt int) error {
			if attempt <= n {
				return fmt.Errorf("sink down (attempt %d)", attempt)
			}
			return nil
		}}
		e.dispatch(ob, sink)
		c := e.customer(customer.CreateParams{Email: "retry@example.com"})
		e.waitFor("the delivery", func() bool { _, d := sink.snapshot(); return len(d) == 1 })
		// Long enough for an unwanted retry to show (back-off <= 10ms).
		time.Sleep(100 * time.Millisecond)
		calls, d := sink.snapshot()
		e.same(n+1, len(calls))
		for _, call := range calls {
			e.same(d[0].ID, call.ID)
			e.same(map[string]any{"id": c.ID}, call.Data)
		}
		r, err := ob.Store().OutboxGet(e.ctx, d[0].ID)
		e.must(err)
		e.same(n, r.Attempts)
	}},
	{"Outbox/OrderPerEntityUnderRetries", func(e *env) {
		ob := e.useOutbox()
		a := e.customer(customer.CreateParams{Email: "a@example.com"})
		b := e.customer(customer.CreateParams{Email: "b@example.com"})
		var release sync.WaitGroup
		release.Add(1)
		open := make(chan struct{})
		go func() { release.Wait(); close(open) }()
		sink := &countingSink{fail: func(ev event.Event, attempt int) error {
			// a's first update fails until released; the rest pass.
			if ev.Name == customer.EventUpdated && ev.Data["id"] == a.ID && ev.Data["n"] == nil {
				select {
				case <-open:
				default:
					return errors.New("not yet")
				}
			}
			return nil
		}}
		for i := range 3 {
			_, err := e.customers.Update(e.ctx, a.ID, customer.UpdateParams{LastName: ptr(fmt.Sprint(i))})
			e.must(err)
			_, err = e.customers.Update(e.ctx, b.ID, customer.UpdateParams{LastName: ptr(fmt.Sprint(i))})
			e.must(err)
		}
		e.dispatch(ob, sink)
		// b's events all pass while a's are held back by a's first update.
		e.waitFor("b's events", func() bool {
			n := 0
			for _, ev := range deliveredNames(sink, customer.EventUpdated) {
				if ev.Data["id"] == b.ID {
					n++
				}
			}
			return n == 3
		})
		for _, ev := range deliveredNames(sink, customer.EventUpdated) {
			if ev.Data["id"] == a.ID {
				e.t.Fatalf("an update of a was delivered while a's first update fails: %v", ev)
			}
		}
		release.Done()
		e.waitFor("a's events", func() bool { return len(deliveredNames(sink, customer.EventUpdated)) == 6 })
		// Per entity, the rows' order: created, then the three updates.
		_, d := sink.snapshot()
		seq := map[string][]int64{}
		for _, ev := range d {
			r, err := ob.Store().OutboxGet(e.ctx, ev.ID)
			e.must(err)
			id := ev.Data["id"].(string)
			if s := seq[id]; len(s) > 0 && s[len(s)-1] > r.Seq {
				e.t.Fatalf("entity %s: row %d delivered after row %d", id, r.Seq, s[len(s)-1])
			}
			seq[id] = append(seq[id], r.Seq)
		}
		e.same(4, len(seq[a.ID]))
		e.same(4, len(seq[b.ID]))
	}},
	{"Outbox/ShutdownLosesNothing", func(e *env) {
		ob := e.useOutbox()
		const n = 20
		for i := range n {
			e.customer(customer.CreateParams{Email: fmt.Sprintf("s%d@example.com", i)})
		}
		slow := &countingSink{delay: 20 * time.Millisecond}
		_, stop := e.dispatch(ob, slow, outbox.WithBatch(2))
		e.waitFor("a first delivery", func() bool { _, d := slow.snapshot(); return len(d) > 0 })
		ctx, cancel := context.WithTimeout(e.ctx, 30*time.Millisecond)
		defer cancel()
		_ = stop(ctx) // may end before the drain does
		_, first := slow.snapshot()
		if len(first) == n {
			e.t.Skip("the first dispatcher delivered everything before its shutdown ended")
		}
		// A second dispatcher, started later, delivers the rest at once:
		// the leases (a minute) were released.
		rest := &countingSink{}
		e.dispatch(ob, rest)
		e.waitFor("the rest", func() bool {
			_, d := rest.snapshot()
			_, f := slow.snapshot()
			return len(d)+len(f) >= n
		})
		_, second := rest.snapshot()
		_, first = slow.snapshot()
		seen := map[string]int{}
		for _, ev := range append(first, second...) {
			seen[ev.ID]++
		}
		e.same(n, len(seen))
	}},
	{"Outbox/TwoDispatchersDeliverOnce", func(e *env) {
		// Two instances: two Outbox values on one store, each with its
		// dispatcher; the changes go through the first.
		ob := e.useOutbox()
		other := must(outbox.New(e.outboxStore(), outbox.WithKeys(TestOutboxKey)))(e.t)
		s1, s2 := &countingSink{}, &countingSink{}
		e.dispatch(ob, s1, outbox.WithBatch(4))
		e.dispatch(other, s2, outbox.WithBatch(4))
		const n = 40
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if _, err := e.customers.Create(e.ctx, customer.CreateParams{Email: fmt.Sprintf("two%d@example.com", i)}); err != nil {
					e.t.Error(err)
				}
			})
		}
		wg.Wait()
		e.waitFor("every event", func() bool {
			_, d1 := s1.snapshot()
			_, d2 := s2.snapshot()
			return len(d1)+len(d2) >= n
		})
		time.Sleep(50 * time.Millisecond)
		c1, _ := s1.snapshot()
		c2, _ := s2.snapshot()
		seen := map[string]int{}
		for _, ev := range append(c1, c2...) {
			seen[ev.ID]++
		}
		e.same(n, len(seen))
		for id, k := range seen {
			if k != 1 {
				e.t.Fatalf("event %s delivered %d times", id, k)
			}
		}
	}},
	{"Outbox/SecretsSealedAtRest", func(e *env) {
		ob := e.useOutbox()
		e.register("sealed@example.com", "secret-password")
		e.must(e.auth.RequestPasswordReset(e.ctx, auth.ActorCustomer, emailpass.ID, "sealed@example.com", nil))
		sink := &countingSink{}
		// The row before delivery: sealed, no data in clear.
		rows := e.pendingRows(ob)
		e.same(1, len(rows))
		r := rows[0]
		if r.Data != nil || len(r.Sealed) == 0 || r.KeyID != TestOutboxKey.ID {
			e.t.Fatalf("reset event row not sealed: data %q, %d sealed bytes, key %q", r.Data, len(r.Sealed), r.KeyID)
		}
		e.dispatch(ob, sink)
		e.waitFor("the reset event", func() bool { return len(deliveredNames(sink, auth.EventPasswordReset)) == 1 })
		ev := deliveredNames(sink, auth.EventPasswordReset)[0]
		token, _ := ev.Data["token"].(string)
		if token == "" || !ev.Secret {
			e.t.Fatalf("delivered reset event %+v: want a token, marked Secret", ev)
		}
		if bytes.Contains(r.Sealed, []byte(token)) {
			e.t.Fatal("the sealed row holds the token in clear")
		}
		// Delivered: the sealed data is gone.
		e.waitFor("the delivery record", func() bool {
			got, err := ob.Store().OutboxGet(e.ctx, r.ID)
			e.must(err)
			return got.DeliveredAt != nil
		})
		got, err := ob.Store().OutboxGet(e.ctx, r.ID)
		e.must(err)
		e.same([]byte(nil), got.Sealed)
		e.same([]byte(nil), got.Data)
	}},
}

// resetWithHungSink is shared by the reset test: the answer to a reset
// request for a known email never waits for the sink, which the
// dispatcher calls on its own.
var resetWithHungSink = test{"Outbox/ResetDoesNotWaitForTheSink", func(e *env) {
	ob := e.useOutbox()
	e.register("hung@example.com", "secret-password")
	release := make(chan struct{})
	called := make(chan struct{}, 1)
	hung := event.SinkFunc(func(ctx context.Context, ev event.Event) error {
		select {
		case called <- struct{}{}:
		default:
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	e.dispatch(ob, hung)
	defer close(release)
	answered := make(chan error, 1)
	go func() {
		answered <- e.auth.RequestPasswordReset(e.ctx, auth.ActorCustomer, emailpass.ID, "hung@example.com", nil)
	}()
	select {
	case err := <-answered:
		e.must(err)
	case <-time.After(10 * time.Second):
		e.t.Fatal("the reset request waits for the sink")
	}
	<-called // the event was handed over, and the sink still holds it
}}

// pendingRows returns the undelivered rows, claimed and released at once.
func (e *env) pendingRows(ob *outbox.Outbox) []*outbox.Record {
	e.t.Helper()
	st := ob.Store()
	rs, err := st.OutboxClaim(e.ctx, "peek", time.Now(), time.Minute, 100)
	e.must(err)
	_, err = st.OutboxRelease(e.ctx, "peek")
	e.must(err)
	return rs
}

// pendingOutbox counts the entities that have an undelivered event no
// live lease holds, by a claim far in the future that it releases at
// once.
func (e *env) pendingOutbox() int {
	e.t.Helper()
	os := e.outboxStore()
	rs, err := os.OutboxClaim(e.ctx, "pending-probe", time.Now().AddDate(10, 0, 0), time.Second, 10000)
	e.must(err)
	_, err = os.OutboxRelease(e.ctx, "pending-probe")
	e.must(err)
	return len(rs)
}
