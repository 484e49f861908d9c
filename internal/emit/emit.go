// Package emit delivers a service's events to the host's sink after the
// unit of work that made the change has committed.
package emit

import (
	"context"
	"log/slog"

	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/store"
)

// Emitter delivers a service's events. The zero value discards them.
type Emitter struct {
	Sink   event.Sink
	Logger *slog.Logger
}

// Emit arranges for events to reach the sink after the unit of work in ctx
// commits (at once when there is none). A sink's error is logged and never
// undoes the change.
func (em Emitter) Emit(ctx context.Context, events ...event.Event) {
	if em.Sink == nil || len(events) == 0 {
		return
	}
	store.AfterCommit(ctx, func() {
		// The unit is over: delivery must not be cut short by the
		// caller's cancellation racing with it, and a sink that uses the
		// stores runs outside the finished unit.
		dctx := store.WithoutUnit(context.WithoutCancel(ctx))
		for _, e := range events {
			if err := em.Sink.Emit(dctx, e); err != nil {
				logger := em.Logger
				if logger == nil {
					logger = slog.Default()
				}
				logger.ErrorContext(dctx, "clientele: event sink failed", "event", e.Name, "error", err)
			}
		}
	})
}
