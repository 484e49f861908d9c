// Package svcopt holds the settings every clientele service shares: the
// event sink, the logger and the clock.
package svcopt

import (
	"log/slog"
	"time"

	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/emit"
)

// Common is the shared part of a service's configuration.
type Common struct {
	Sink   event.Sink
	Logger *slog.Logger
	Now    func() time.Time
}

// Emitter returns the emitter of the configured sink and logger.
func (c Common) Emitter() emit.Emitter { return emit.New(c.Sink, c.Logger) }

// Log returns the configured logger, or slog.Default().
func (c Common) Log() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

// Clock returns the configured clock, or time.Now.
func (c Common) Clock() func() time.Time {
	if c.Now == nil {
		return time.Now
	}
	return c.Now
}
