package audit

import (
	"context"
	"log/slog"
	"time"
)

// Janitor purges a Log's expired entries periodically. The host runs it:
//
//	go (&audit.Janitor{Log: lg, Every: time.Hour}).Run(ctx)
type Janitor struct {
	Log *Log
	// Every is the time between purges (default one hour).
	Every time.Duration
	// Logger logs failed purges (default slog.Default()).
	Logger *slog.Logger
}

// Run purges at once and then every j.Every, until ctx is done. A failed
// purge is logged and tried again at the next tick.
func (j *Janitor) Run(ctx context.Context) {
	if j.Log == nil || j.Log.retention <= 0 {
		return
	}
	every := j.Every
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := j.Log.Purge(ctx); err != nil && ctx.Err() == nil {
			lg := j.Logger
			if lg == nil {
				lg = slog.Default()
			}
			lg.ErrorContext(ctx, "clientele: audit purge failed", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
