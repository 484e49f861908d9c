package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// Transactor runs several store calls as one unit of work. Every domain
// store embeds it.
//
// InTx calls fn with a context that carries the unit; store calls made with
// that context join it. If fn returns an error (or panics) nothing it wrote
// is kept and the error is returned; otherwise the unit commits and the
// functions registered with [AfterCommit] run. A nested InTx joins the
// outer unit, which decides alone whether everything commits.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Unit is the bookkeeping of one unit of work, carried in a context.
// Backends create it with [BeginUnit]; services never touch it directly.
type Unit struct {
	// Owner identifies the backend value that opened the unit, so that a
	// second backend does not mistake another's unit for its own.
	Owner any
	// Tx is the backend's own transaction handle.
	Tx any

	mu    sync.Mutex
	after []func()
	ended atomic.Bool
}

type unitKey struct{}

// BeginUnit returns a context carrying a new unit of work owned by owner.
func BeginUnit(ctx context.Context, owner, tx any) (context.Context, *Unit) {
	u := &Unit{Owner: owner, Tx: tx}
	return context.WithValue(ctx, unitKey{}, u), u
}

// UnitFrom returns the unit of work carried by ctx, or nil when there is
// none or it has ended (a context kept past its unit runs on its own).
func UnitFrom(ctx context.Context) *Unit {
	u, _ := ctx.Value(unitKey{}).(*Unit)
	if u == nil || u.ended.Load() {
		return nil
	}
	return u
}

// WithoutUnit returns ctx without its unit of work, for work that runs
// after the unit (event delivery) and must use the stores on its own.
func WithoutUnit(ctx context.Context) context.Context {
	return context.WithValue(ctx, unitKey{}, (*Unit)(nil))
}

// End marks the unit as over: contexts that carry it no longer join it.
// The backend that began the unit calls End when it rolls back; Committed
// calls it too.
func (u *Unit) End() { u.ended.Store(true) }

// Committed ends the unit and runs, in order, the functions registered
// with AfterCommit. The backend that began the unit calls it once, after a
// successful commit.
func (u *Unit) Committed() {
	u.End()
	u.mu.Lock()
	fns := u.after
	u.after = nil
	u.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// AfterCommit registers f to run after the unit of work carried by ctx has
// committed. Without a unit of work, f runs at once.
func AfterCommit(ctx context.Context, f func()) {
	u := UnitFrom(ctx)
	if u == nil {
		f()
		return
	}
	u.mu.Lock()
	u.after = append(u.after, f)
	u.mu.Unlock()
}
