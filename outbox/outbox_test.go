package outbox_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/store/memory"
)

var (
	key1 = outbox.Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, outbox.KeySize)}
	key2 = outbox.Key{ID: "k2", Secret: bytes.Repeat([]byte{2}, outbox.KeySize)}
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newOutbox(t *testing.T, st outbox.Store, opts ...outbox.Option) *outbox.Outbox {
	t.Helper()
	ob, err := outbox.New(st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

func TestNewRefusesMissingOrBadKeys(t *testing.T) {
	st := memory.New()
	if _, err := outbox.New(st); !errors.Is(err, outbox.ErrNoKey) {
		t.Fatalf("New without a key: %v, want ErrNoKey", err)
	}
	for name, k := range map[string]outbox.Key{
		"short secret": {ID: "k", Secret: make([]byte, 16)},
		"long secret":  {ID: "k", Secret: make([]byte, 33)},
		"empty id":     {ID: "", Secret: make([]byte, 32)},
		"id with ':'":  {ID: "a:b", Secret: make([]byte, 32)},
		"long id":      {ID: strings.Repeat("a", 33), Secret: make([]byte, 32)},
	} {
		_, err := outbox.New(st, outbox.WithKeys(k))
		if !errors.Is(err, outbox.ErrKey) {
			t.Errorf("%s: %v, want ErrKey", name, err)
		}
		if err != nil && len(k.Secret) > 0 && strings.Contains(err.Error(), string(k.Secret)) {
			t.Errorf("%s: the error shows the secret", name)
		}
	}
	if _, err := outbox.New(st, outbox.WithKeys(key1, key1)); !errors.Is(err, outbox.ErrKey) {
		t.Errorf("duplicate id: %v, want ErrKey", err)
	}
	if _, err := outbox.New(nil, outbox.WithKeys(key1)); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := outbox.New(st, outbox.WithKeys(key1), outbox.WithEntityKey(nil)); err == nil {
		t.Error("WithEntityKey(nil) accepted")
	}
	if _, err := outbox.New(st, outbox.WithKeys(key1), outbox.WithClock(nil)); err == nil {
		t.Error("WithClock(nil) accepted")
	}
}

func TestParseKeys(t *testing.T) {
	b64 := func(k outbox.Key) string { return k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret) }
	keys, err := outbox.ParseKeys(b64(key2) + ", " + b64(key1))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != "k2" || !bytes.Equal(keys[1].Secret, key1.Secret) {
		t.Fatalf("ParseKeys: %+v", keys)
	}
	for _, bad := range []string{"", "k1", "k1:not base64!", "k1:" + base64.StdEncoding.EncodeToString([]byte("x")) + ",k2"} {
		if _, err := outbox.ParseKeys(bad); !errors.Is(err, outbox.ErrKey) {
			t.Errorf("ParseKeys(%q): %v, want ErrKey", bad, err)
		}
	}
	if _, err := outbox.ParseKeys("secretname:c2VjcmV0LWJ1dC1ub3QtYmFzZTY0!!"); err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
		t.Error("the error shows the secret")
	}
}

func TestDispatcherOptionsAreChecked(t *testing.T) {
	ob := newOutbox(t, memory.New(), outbox.WithKeys(key1))
	sink := &event.Recorder{}
	for name, opt := range map[string]outbox.DispatcherOption{
		"lease":     outbox.WithLease(0),
		"poll":      outbox.WithPollInterval(-time.Second),
		"backoff":   outbox.WithBackoff(time.Second, time.Millisecond),
		"backoff0":  outbox.WithBackoff(0, time.Second),
		"batch":     outbox.WithBatch(0),
		"retention": outbox.WithRetention(-time.Hour, time.Minute),
		"every":     outbox.WithRetention(time.Hour, 0),
		"id":        outbox.WithDispatcherID(""),
	} {
		if _, err := outbox.NewDispatcher(ob, sink, opt); err == nil {
			t.Errorf("%s: a bad value was accepted", name)
		}
	}
	if _, err := outbox.NewDispatcher(ob, ob); err == nil {
		t.Error("an outbox was accepted as the sink of its own dispatcher")
	}
	if _, err := outbox.NewDispatcher(nil, sink); err == nil {
		t.Error("a nil outbox was accepted")
	}
}

// collect is a sink that sends each event it accepts on a channel.
type collect struct {
	mu     sync.Mutex
	events []event.Event
	fail   func(event.Event) error
}

func (c *collect) Emit(_ context.Context, e event.Event) error {
	if c.fail != nil {
		if err := c.fail(e); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
	return nil
}

func (c *collect) got() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.events...)
}

// drain runs a dispatcher until want events reached sink, then shuts it
// down.
func drain(t *testing.T, ob *outbox.Outbox, sink *collect, want int, opts ...outbox.DispatcherOption) {
	t.Helper()
	opts = append([]outbox.DispatcherOption{outbox.WithPollInterval(5 * time.Millisecond), outbox.WithBackoff(time.Millisecond, 5*time.Millisecond), outbox.WithLogger(quiet())}, opts...)
	d, err := outbox.NewDispatcher(ob, sink, opts...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(sink.got()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("got %d events, want %d", len(sink.got()), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := d.Run(context.Background()); !errors.Is(err, outbox.ErrStarted) {
		t.Fatalf("second Run: %v, want ErrStarted", err)
	}
}

func TestKeyRotation(t *testing.T) {
	st := memory.New()
	old := newOutbox(t, st, outbox.WithKeys(key1))
	secret := event.Event{Name: "auth.password_reset", Secret: true, Data: map[string]any{"entity_id": "a@example.com", "token": "t-1"}}
	if err := old.Emit(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	// After the rotation k2 seals, k1 still opens the rows it sealed.
	rotated := newOutbox(t, st, outbox.WithKeys(key2, key1))
	secret.Data = map[string]any{"entity_id": "b@example.com", "token": "t-2"}
	if err := rotated.Emit(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	sink := &collect{}
	drain(t, rotated, sink, 2)
	got := sink.got()
	if got[0].Data["token"] == "t-2" { // two entities: either may go first
		got[0], got[1] = got[1], got[0]
	}
	if got[0].Data["token"] != "t-1" || got[1].Data["token"] != "t-2" || !got[0].Secret {
		t.Fatalf("delivered %+v", got)
	}
	r1, err := st.OutboxGet(t.Context(), got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := st.OutboxGet(t.Context(), got[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r1.KeyID != "k1" || r2.KeyID != "k2" {
		t.Fatalf("rows sealed with %q and %q, want k1 and k2", r1.KeyID, r2.KeyID)
	}
}

func TestUnopenableRowIsRetriedNotDropped(t *testing.T) {
	st := memory.New()
	old := newOutbox(t, st, outbox.WithKeys(key1))
	if err := old.Emit(t.Context(), event.Event{Name: "auth.password_reset", Secret: true, Data: map[string]any{"token": "t"}}); err != nil {
		t.Fatal(err)
	}
	// Without k1 the row cannot be opened: it stays undelivered, counted.
	withoutOld := newOutbox(t, st, outbox.WithKeys(key2))
	sink := &collect{}
	d, err := outbox.NewDispatcher(withoutOld, sink, outbox.WithPollInterval(2*time.Millisecond), outbox.WithBackoff(time.Millisecond, 2*time.Millisecond), outbox.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = d.Run(t.Context()) }()
	time.Sleep(50 * time.Millisecond)
	if err := d.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.got()); n != 0 {
		t.Fatalf("%d events delivered without their key", n)
	}
	// With the key back, it goes.
	drain(t, old, sink, 1)
}

func TestSinkPanicIsAFailedDelivery(t *testing.T) {
	ob := newOutbox(t, memory.New(), outbox.WithKeys(key1))
	if err := ob.Emit(t.Context(), event.Event{Name: "customer.created", Data: map[string]any{"id": "cus_1"}}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	sink := &collect{fail: func(event.Event) error {
		calls++
		if calls == 1 {
			panic("sink bug")
		}
		return nil
	}}
	drain(t, ob, sink, 1)
	if calls != 2 {
		t.Fatalf("%d calls, want 2 (a panic, then a delivery)", calls)
	}
}

func TestRetentionPurgesDeliveredRows(t *testing.T) {
	st := memory.New()
	ob := newOutbox(t, st, outbox.WithKeys(key1))
	if err := ob.Emit(t.Context(), event.Event{Name: "customer.created", Data: map[string]any{"id": "cus_1"}}); err != nil {
		t.Fatal(err)
	}
	sink := &collect{}
	drain(t, ob, sink, 1)
	id := sink.got()[0].ID
	if _, err := st.OutboxGet(t.Context(), id); err != nil {
		t.Fatalf("delivered row gone before its retention: %v", err)
	}
	// A dispatcher with no retention purges it when it starts.
	if err := ob.Emit(t.Context(), event.Event{Name: "customer.created", Data: map[string]any{"id": "cus_2"}}); err != nil {
		t.Fatal(err)
	}
	drain(t, ob, sink, 2, outbox.WithRetention(0, time.Hour))
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := st.OutboxGet(t.Context(), id)
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("delivered row not purged")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestShutdownBeforeRun(t *testing.T) {
	ob := newOutbox(t, memory.New(), outbox.WithKeys(key1))
	d, err := outbox.NewDispatcher(ob, &collect{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(t.Context()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run after Shutdown did not return")
	}
}

func TestDefaultEntityKey(t *testing.T) {
	for _, tc := range []struct {
		data map[string]any
		want string
	}{
		{map[string]any{"id": "cus_1", "auth_identity_id": "authid_1"}, "cus_1"},
		{map[string]any{"auth_identity_id": "authid_1", "count": 3}, "authid_1"},
		{map[string]any{"customer_id": "cus_2"}, "cus_2"},
		{map[string]any{"entity_id": "a@example.com"}, "entity_id:a@example.com"},
		{map[string]any{"id": 7}, "x.y"},
		{nil, "x.y"},
	} {
		if got := outbox.DefaultEntityKey(event.Event{Name: "x.y", Data: tc.data}); got != tc.want {
			t.Errorf("DefaultEntityKey(%v) = %q, want %q", tc.data, got, tc.want)
		}
	}
}

func TestEmitTxRefusesBadEvents(t *testing.T) {
	st := memory.New()
	ob := newOutbox(t, st, outbox.WithKeys(key1))
	for name, ev := range map[string]event.Event{
		"no name":        {Data: map[string]any{"id": "x"}},
		"not encodable":  {Name: "x.y", Data: map[string]any{"id": "x", "f": func() {}}},
		"bad float data": {Name: "x.y", Data: map[string]any{"id": "x", "n": nanValue()}},
	} {
		if err := ob.Emit(t.Context(), ev); err == nil {
			t.Errorf("%s: written", name)
		}
	}
}

func nanValue() float64 {
	z := 0.0
	return z / z
}

// TestShutdownWithAFailingSinkEnds: the drain stops when nothing goes
// through, even with a context without deadline, and the row stays.
func TestShutdownWithAFailingSinkEnds(t *testing.T) {
	st := memory.New()
	ob := newOutbox(t, st, outbox.WithKeys(key1))
	if err := ob.Emit(t.Context(), event.Event{Name: "customer.created", Data: map[string]any{"id": "cus_1"}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	sink := &collect{fail: func(event.Event) error {
		mu.Lock()
		calls++
		mu.Unlock()
		return errors.New("down")
	}}
	d, err := outbox.NewDispatcher(ob, sink, outbox.WithPollInterval(time.Millisecond), outbox.WithBackoff(time.Nanosecond, time.Nanosecond), outbox.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	for {
		mu.Lock()
		n := calls
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- d.Shutdown(context.Background()) }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not end with a sink that always fails")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rs, err := st.OutboxClaim(t.Context(), "after", time.Now().Add(time.Second), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Attempts == 0 {
		t.Fatalf("after shutdown: %+v, want the row, undelivered, with its attempts", rs)
	}
}
