package store

import (
	"context"
	"sync/atomic"
)

// Read-your-writes: a backend that serves some reads from a read replica
// (store/postgres with a replica) must not let a request miss what it wrote
// itself, since the replica applies the primary's changes with a lag. A
// request, or any other piece of work that must see its own writes, starts
// with a context from [ReadYourWrites]; the backend calls [MarkWritten]
// when it writes through that context, and once [Written] reports true it
// reads from the primary for the rest of the work. Backends without a
// replica ignore the marker.

// written is the marker ReadYourWrites installs. It is shared by every
// context derived from the one that carries it, units of work included, so
// a write inside a unit is seen by the reads after it.
type written struct{ set atomic.Bool }

type writtenKey struct{}

// ReadYourWrites returns a context that records the writes made through it
// (or through a context derived from it), so that a backend reading from a
// replica sends the reads that follow a write to the primary. Install it
// once per request (httpapi's handler does) or per job. When ctx already
// carries a marker, ctx is returned: a nested call does not forget a write.
func ReadYourWrites(ctx context.Context) context.Context {
	if _, ok := ctx.Value(writtenKey{}).(*written); ok {
		return ctx
	}
	return context.WithValue(ctx, writtenKey{}, &written{})
}

// MarkWritten records in ctx's marker that the work wrote; without a
// marker (no [ReadYourWrites] upstream) it does nothing. Backends call it;
// a host that writes to the database by other means may too.
func MarkWritten(ctx context.Context) {
	if w, ok := ctx.Value(writtenKey{}).(*written); ok && !w.set.Load() {
		w.set.Store(true)
	}
}

// Written reports whether a write was recorded in ctx's marker. It is
// false without a marker.
func Written(ctx context.Context) bool {
	w, ok := ctx.Value(writtenKey{}).(*written)
	return ok && w.set.Load()
}
