// Package event is how clientele services tell the host what changed.
//
// A service built with a [Sink] (each domain package has a WithEventSink
// option) calls it once per changed record, synchronously, after the unit of
// work that made the change has committed; nothing is emitted for a change
// that failed. A sink's error is logged and never undoes the change: event
// delivery is best-effort until a transactional outbox exists.
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
	Name string         `json:"name"`
	Data map[string]any `json:"data"`
}

// Sink receives events.
type Sink interface {
	Emit(ctx context.Context, e Event) error
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
