// Package emit delivers a service's events to the host's sink after the
// unit of work that made the change has committed, or hands them to a
// transactional sink (event.TxSink) inside that unit.
package emit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/store"
)

// DetachedTimeout bounds a delivery started by EmitDetached: the sink's
// context is cancelled after it.
const DetachedTimeout = time.Minute

// Emitter delivers a service's events. Make it with New; the zero value
// discards them.
type Emitter struct {
	Sink   event.Sink
	Logger *slog.Logger
	// detached counts the deliveries EmitDetached started that have not
	// ended.
	detached *sync.WaitGroup
}

// New returns an Emitter for sink (nil: events are discarded) that logs
// to logger (nil: slog.Default()).
func New(sink event.Sink, logger *slog.Logger) Emitter {
	return Emitter{Sink: sink, Logger: logger, detached: new(sync.WaitGroup)}
}

// Transactional reports whether the sink writes events inside the unit of
// work that raises them (an event.TxSink): raising one is then a write of
// that unit.
func (em Emitter) Transactional() bool {
	_, ok := em.Sink.(event.TxSink)
	return ok
}

// ErrNoUnit is returned by Emit and EmitDetached when the sink is an
// event.TxSink and ctx carries no unit of work: the event could not be
// kept with its change.
var ErrNoUnit = errors.New("emit: an event for a transactional sink was raised outside a unit of work")

// Emit arranges for events to reach the sink after the unit of work in ctx
// commits (at once when there is none), in the caller's goroutine. A
// sink's error is logged and never undoes the change.
//
// When the sink is an event.TxSink, Emit hands it the events at once, in
// the unit of work in ctx (which must exist: else ErrNoUnit), and returns
// its error, which the caller returns so that the unit fails.
func (em Emitter) Emit(ctx context.Context, events ...event.Event) error {
	if em.Sink == nil || len(events) == 0 {
		return nil
	}
	if ts, ok := em.Sink.(event.TxSink); ok {
		return emitTx(ctx, ts, events)
	}
	store.AfterCommit(ctx, func() { em.deliver(detach(ctx), events) })
	return nil
}

func emitTx(ctx context.Context, ts event.TxSink, events []event.Event) error {
	if store.UnitFrom(ctx) == nil {
		return ErrNoUnit
	}
	return ts.EmitTx(ctx, events)
}

// EmitDetached is Emit with the delivery in a goroutine of its own: the
// caller returns without waiting for the sink. Events that carry secrets
// (a reset token the host mails) go this way, so that a slow sink cannot
// make the answer to a known account slower than to an unknown one.
// Wait waits for these deliveries.
//
// With an event.TxSink, EmitDetached is Emit: the sink writes the events
// in the unit, and its delivery is asynchronous already.
func (em Emitter) EmitDetached(ctx context.Context, events ...event.Event) error {
	if em.Sink == nil || len(events) == 0 {
		return nil
	}
	if _, ok := em.Sink.(event.TxSink); ok {
		return em.Emit(ctx, events...)
	}
	store.AfterCommit(ctx, func() {
		if em.detached == nil {
			em.deliver(detach(ctx), events)
			return
		}
		em.detached.Go(func() {
			// A sink that hangs must not keep goroutines forever: its
			// context ends after DetachedTimeout.
			dctx, cancel := context.WithTimeout(detach(ctx), DetachedTimeout)
			defer cancel()
			em.deliver(dctx, events)
		})
	})
	return nil
}

// Go runs fn after the caller returns, in the group Wait waits for, with a
// context that outlives the caller's (values kept, no cancellation) and
// ends after DetachedTimeout: work the caller's answer must not wait for.
// Without a group (an Emitter not made by New) fn runs at once.
func (em Emitter) Go(ctx context.Context, fn func(ctx context.Context)) {
	if em.detached == nil {
		fn(detach(ctx))
		return
	}
	em.detached.Go(func() {
		dctx, cancel := context.WithTimeout(detach(ctx), DetachedTimeout)
		defer cancel()
		fn(dctx)
	})
}

// Wait blocks until every delivery EmitDetached started has ended, or ctx
// is done (then it returns ctx's error).
func (em Emitter) Wait(ctx context.Context) error {
	if em.detached == nil {
		return nil
	}
	done := make(chan struct{})
	go func() {
		em.detached.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// detach returns the context deliveries run with: the unit is over, so
// delivery must not be cut short by the caller's cancellation racing with
// it, and a sink that uses the stores runs outside the finished unit.
func detach(ctx context.Context) context.Context {
	return store.WithoutUnit(context.WithoutCancel(ctx))
}

func (em Emitter) deliver(ctx context.Context, events []event.Event) {
	for _, e := range events {
		if err := em.Sink.Emit(ctx, e); err != nil {
			logger := em.Logger
			if logger == nil {
				logger = slog.Default()
			}
			logger.ErrorContext(ctx, "clientele: event sink failed", "event", e.Name, "error", err)
		}
	}
}
