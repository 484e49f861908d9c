// Package event is how clientele services tell the host what changed.
//
// A service built with a [Sink] (each domain package has a WithEventSink
// option) calls it once per changed record, synchronously, after the unit of
// work that made the change has committed; nothing is emitted for a change
// that failed. A sink's error is logged and never undoes the change: with a
// plain Sink, delivery is best-effort (a crash between the commit and the
// sink loses the event).
//
// # Guaranteed delivery
//
// A [TxSink] takes the events inside the unit of work that makes the
// change instead, before it commits, and its error fails the unit: the
// change and its events are kept together or not at all. Package outbox
// is such a sink: it writes each event to an outbox table in the change's
// transaction, and its Dispatcher delivers the rows to the host's Sink at
// least once, in order per entity, with each event's ID as the key a sink
// de-duplicates on.
//
// # Concurrency
//
// Services call a Sink from whichever goroutine made the change; a Sink must
// be safe for concurrent use.
package event

import (
	"context"
	"sync"
)

// Event is one change: its name (e.g. "customer.created") and a small data
// object holding ids.
type Event struct {
	// ID identifies one event for de-duplication: an outbox sets it to
	// its row's id, the same on every delivery attempt. It is empty for
	// events delivered without an outbox.
	ID   string         `json:"id,omitempty"`
	Name string         `json:"name"`
	Data map[string]any `json:"data"`
	// Secret reports that Data carries a secret (a password reset token,
	// a verification code): a sink must not log it, and an outbox keeps
	// it encrypted at rest.
	Secret bool `json:"-"`
}

// Sink receives events.
type Sink interface {
	Emit(ctx context.Context, e Event) error
}

// A TxSink is a Sink that takes events inside the unit of work that makes
// the change (a transactional outbox). Services call EmitTx with the
// unit's context before it commits, once per change, and an error fails
// the unit, so that nothing is committed without its events. Services
// built with a TxSink never call its Emit.
type TxSink interface {
	Sink
	EmitTx(ctx context.Context, events []Event) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, e Event) error

// Emit calls f.
func (f SinkFunc) Emit(ctx context.Context, e Event) error { return f(ctx, e) }

// Recorder is a Sink that keeps every event in memory, for tests and
// examples.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Emit records e.
func (r *Recorder) Emit(_ context.Context, e Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	return nil
}

// Events returns the recorded events in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Reset forgets the recorded events.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// Each returns one event named name per id, with data {"id": id}.
func Each(name string, ids ...string) []Event {
	out := make([]Event, len(ids))
	for i, id := range ids {
		out[i] = Event{Name: name, Data: map[string]any{"id": id}}
	}
	return out
}
