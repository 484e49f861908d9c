package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/id"
)

// Defaults of a Dispatcher.
const (
	DefaultLease        = 30 * time.Second
	DefaultBatch        = 32
	DefaultPollInterval = 500 * time.Millisecond
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = 5 * time.Minute
	DefaultRetention    = 24 * time.Hour
	DefaultPurgeEvery   = 10 * time.Minute
	// PurgeBatch is how many delivered rows one purge statement deletes.
	PurgeBatch = 1000
	// storeTimeout bounds the store calls that settle a delivery or
	// release the leases once the dispatcher's context has ended.
	storeTimeout = 5 * time.Second
	// maxLastError bounds the error text kept in a row.
	maxLastError = 500
)

// Dispatcher delivers the outbox's rows to a sink. Make it with
// [NewDispatcher], start it with Run and stop it with Shutdown. Several
// dispatchers may share one store; each has an id of its own (its lease
// holder name).
type Dispatcher struct {
	ob   *Outbox
	sink event.Sink
	id   string
	log  *slog.Logger

	lease, poll, minBackoff, maxBackoff time.Duration
	retention, purgeEvery               time.Duration
	batch                               int

	mu       sync.Mutex
	started  bool
	stop     chan struct{}
	drainCtx context.Context
	done     chan struct{}
}

// A DispatcherOption configures a Dispatcher.
type DispatcherOption func(*Dispatcher) error

func positive(what string, d time.Duration, set func(time.Duration)) DispatcherOption {
	return func(*Dispatcher) error {
		if d <= 0 {
			return fmt.Errorf("outbox: %s must be positive, got %v", what, d)
		}
		set(d)
		return nil
	}
}

// WithLease sets how long a claim lasts (default DefaultLease). A sink call
// is cut off at four fifths of it, so that the lease outlives it.
func WithLease(d time.Duration) DispatcherOption {
	return func(x *Dispatcher) error { return positive("lease", d, func(d time.Duration) { x.lease = d })(x) }
}

// WithPollInterval sets how often the store is asked for rows when this
// process committed none (default DefaultPollInterval): it bounds the
// delivery latency of events written by other instances, and of retries.
func WithPollInterval(d time.Duration) DispatcherOption {
	return func(x *Dispatcher) error {
		return positive("poll interval", d, func(d time.Duration) { x.poll = d })(x)
	}
}

// WithBackoff sets the wait after a failed delivery: min doubled after each
// failure of the event, up to max, of which a random part (up to half) is
// taken off (defaults DefaultMinBackoff and DefaultMaxBackoff).
func WithBackoff(min, max time.Duration) DispatcherOption {
	return func(x *Dispatcher) error {
		if min <= 0 || max < min {
			return fmt.Errorf("outbox: back-off needs 0 < min <= max, got %v and %v", min, max)
		}
		x.minBackoff, x.maxBackoff = min, max
		return nil
	}
}

// WithBatch sets how many rows one claim takes (default DefaultBatch);
// the rows of one claim, each of another entity, are delivered
// concurrently.
func WithBatch(n int) DispatcherOption {
	return func(x *Dispatcher) error {
		if n < 1 {
			return fmt.Errorf("outbox: batch must be positive, got %d", n)
		}
		x.batch = n
		return nil
	}
}

// WithRetention sets how long delivered rows are kept (default
// DefaultRetention) and how often they are purged (default
// DefaultPurgeEvery), in batches of PurgeBatch rows.
func WithRetention(keep, every time.Duration) DispatcherOption {
	return func(x *Dispatcher) error {
		if keep < 0 || every <= 0 {
			return fmt.Errorf("outbox: retention needs keep >= 0 and every > 0, got %v and %v", keep, every)
		}
		x.retention, x.purgeEvery = keep, every
		return nil
	}
}

// WithDispatcherID sets the name the dispatcher claims rows under
// (default: "dispatcher_" and a ULID). Two running dispatchers must not
// share one.
func WithDispatcherID(name string) DispatcherOption {
	return func(x *Dispatcher) error {
		if name == "" {
			return errors.New("outbox: dispatcher id is empty")
		}
		x.id = name
		return nil
	}
}

// WithLogger sets the logger of failed deliveries and store errors
// (default slog.Default()). Lines name the event and its id, never its
// data.
func WithLogger(l *slog.Logger) DispatcherOption {
	return func(x *Dispatcher) error {
		if l != nil {
			x.log = l
		}
		return nil
	}
}

// NewDispatcher returns a Dispatcher of ob's rows to sink.
func NewDispatcher(ob *Outbox, sink event.Sink, opts ...DispatcherOption) (*Dispatcher, error) {
	if ob == nil || sink == nil {
		return nil, errors.New("outbox: NewDispatcher needs an outbox and a sink")
	}
	if _, ok := sink.(event.TxSink); ok {
		return nil, errors.New("outbox: the sink of a dispatcher cannot be a transactional sink")
	}
	d := &Dispatcher{
		ob: ob, sink: sink, id: id.New("dispatcher"), log: slog.Default(),
		lease: DefaultLease, poll: DefaultPollInterval, minBackoff: DefaultMinBackoff, maxBackoff: DefaultMaxBackoff,
		retention: DefaultRetention, purgeEvery: DefaultPurgeEvery, batch: DefaultBatch,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	for _, opt := range opts {
		if err := opt(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// ID returns the name the dispatcher claims rows under.
func (d *Dispatcher) ID() string { return d.id }

// ErrStarted is returned by a second call of Run.
var ErrStarted = errors.New("outbox: dispatcher already started")

// Run delivers rows until Shutdown is called (then it drains, see
// Shutdown, and returns nil) or ctx ends (then it releases its leases and
// returns ctx's error). A Dispatcher runs once.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.started {
		d.mu.Unlock()
		return ErrStarted
	}
	d.started = true
	d.mu.Unlock()
	defer close(d.done)
	defer d.release(ctx)

	purge := time.NewTicker(d.purgeEvery)
	defer purge.Stop()
	d.purge(ctx)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.stop:
			d.drain()
			return nil
		case <-purge.C:
			d.purge(ctx)
			continue
		case <-d.ob.wake:
		case <-timer.C:
		}
		// Claim until a claim comes back short: then wait for a commit
		// or the poll.
		for ctx.Err() == nil && !d.stopping() {
			if claimed, _ := d.round(ctx); claimed < d.batch {
				break
			}
		}
		timer.Reset(d.poll)
	}
}

// Shutdown stops the dispatcher: it delivers what it can claim until none
// is left or ctx ends, then releases its leases, so that rows it did not
// deliver are taken by other dispatchers (or by the next start) at once.
// Nothing undelivered is lost. It returns ctx's error if ctx ended before
// Run returned. After a Shutdown before Run, Run drains and returns.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	if d.drainCtx == nil {
		d.drainCtx = ctx
		close(d.stop)
	}
	started := d.started
	d.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Dispatcher) stopping() bool {
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

func (d *Dispatcher) drain() {
	d.mu.Lock()
	ctx := d.drainCtx
	d.mu.Unlock()
	// Until nothing is left to claim, or nothing claimed goes through (a
	// failing sink must not keep the shutdown going until ctx ends).
	for ctx.Err() == nil {
		if _, delivered := d.round(ctx); delivered == 0 {
			return
		}
	}
}

// release gives back the leases the dispatcher holds, with a context that
// outlives ctx's end.
func (d *Dispatcher) release(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if _, err := d.ob.st.OutboxRelease(rctx, d.id); err != nil {
		d.log.ErrorContext(rctx, "clientele: outbox: release leases failed; they end with their lease", "dispatcher", d.id, "error", err)
	}
}

func (d *Dispatcher) purge(ctx context.Context) {
	before := d.ob.now().Add(-d.retention)
	for ctx.Err() == nil {
		n, err := d.ob.st.OutboxPurge(ctx, before, PurgeBatch)
		if err != nil {
			if ctx.Err() == nil {
				d.log.ErrorContext(ctx, "clientele: outbox: purge failed", "error", err)
			}
			return
		}
		if n < PurgeBatch {
			return
		}
	}
}

// round claims a batch and delivers it; it returns how many rows it
// claimed and how many the sink accepted.
//
// The claim itself runs to its end even when ctx ends meanwhile: a claim
// cut off by a cancelled context can still commit in the database after
// the dispatcher has released its leases, and its rows would then wait for
// the lease to end. Claimed rows that ctx's end keeps from being delivered
// are given back by the release that follows.
func (d *Dispatcher) round(ctx context.Context) (claimed, delivered int) {
	if ctx.Err() != nil {
		return 0, 0
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	recs, err := d.ob.st.OutboxClaim(cctx, d.id, d.ob.now(), d.lease, d.batch)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			d.log.ErrorContext(ctx, "clientele: outbox: claim failed", "dispatcher", d.id, "error", err)
		}
		return 0, 0
	}
	var wg sync.WaitGroup
	var ok atomic.Int64
	for _, r := range recs {
		wg.Go(func() {
			if d.deliver(ctx, r) {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	return len(recs), int(ok.Load())
}

// deliver hands r to the sink and records the outcome; it reports
// whether the sink accepted the event.
func (d *Dispatcher) deliver(ctx context.Context, r *Record) bool {
	err := d.emit(ctx, r)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err == nil {
		if derr := d.ob.st.OutboxDone(sctx, r.ID, d.ob.now()); derr != nil {
			// Delivered, not recorded: the lease ends and the event is
			// delivered again (at least once).
			d.log.ErrorContext(sctx, "clientele: outbox: recording a delivery failed", "event", r.Name, "id", r.ID, "error", derr)
		}
		return true
	}
	if ctx.Err() != nil {
		// Stopped mid-delivery: not the sink's failure; the release
		// gives the row back without counting an attempt.
		return false
	}
	msg := err.Error()
	if r.KeyID != "" {
		msg = "sink failed (the error of an event that carries a secret is not kept)"
	}
	if len(msg) > maxLastError {
		msg = msg[:maxLastError]
	}
	at := d.ob.now().Add(d.backoff(r.Attempts + 1))
	d.log.WarnContext(ctx, "clientele: outbox: delivery failed; will retry", "event", r.Name, "id", r.ID, "attempt", r.Attempts+1, "retry_at", at, "error", msg)
	if rerr := d.ob.st.OutboxRetry(sctx, r.ID, d.id, at, msg); rerr != nil {
		d.log.ErrorContext(sctx, "clientele: outbox: recording a failed delivery failed; it is retried when its lease ends", "event", r.Name, "id", r.ID, "error", rerr)
	}
	return false
}

// emit calls the sink, turning a panic into an error and cutting the
// call off before the lease ends.
func (d *Dispatcher) emit(ctx context.Context, r *Record) (err error) {
	e, err := d.ob.event(r)
	if err != nil {
		return err
	}
	ectx, cancel := context.WithTimeout(ctx, d.lease*4/5)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("outbox: sink panicked: %v", p)
		}
	}()
	return d.sink.Emit(ectx, e)
}

// backoff returns the wait before attempt n+1 after n failures: the
// minimum doubled n-1 times, capped, less a random part of up to half.
func (d *Dispatcher) backoff(n int) time.Duration {
	b := d.minBackoff
	for i := 1; i < n && b < d.maxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.maxBackoff)
	half := b / 2
	return b - half + rand.N(half+1)
}
