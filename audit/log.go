package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/clientele/clientele/internal/id"
)

// Option configures a Log.
type Option func(*Log) error

// WithIPPrefix truncates client addresses before they are written: an
// IPv4 address to its first v4 bits, an IPv6 address to its first v6
// bits, written as a prefix ("203.0.113.0/24"). 32 and 128 keep whole
// addresses (the default). WithIPPrefix(24, 48) is the usual choice of a
// host that must not keep whole addresses.
func WithIPPrefix(v4, v6 int) Option {
	return func(l *Log) error {
		if v4 < 0 || v4 > 32 {
			return fmt.Errorf("audit: IPv4 prefix %d is outside 0..32", v4)
		}
		if v6 < 0 || v6 > 128 {
			return fmt.Errorf("audit: IPv6 prefix %d is outside 0..128", v6)
		}
		l.v4, l.v6 = v4, v6
		return nil
	}
}

// WithoutIP writes no client address at all.
func WithoutIP() Option {
	return func(l *Log) error { l.noIP = true; return nil }
}

// DefaultUserAgentLength is how many bytes of a user agent are kept by
// default.
const DefaultUserAgentLength = 256

// WithUserAgentLength keeps at most n bytes of a user agent (0: none;
// the default is DefaultUserAgentLength; at most MaxFieldLength).
func WithUserAgentLength(n int) Option {
	return func(l *Log) error {
		if n < 0 || n > MaxFieldLength {
			return fmt.Errorf("audit: user agent length %d is outside 0..%d", n, MaxFieldLength)
		}
		l.uaLen = n
		return nil
	}
}

// WithRetention sets how long entries are kept: Purge deletes older ones,
// and a Janitor calls Purge. Zero (the default) keeps them for ever.
func WithRetention(d time.Duration) Option {
	return func(l *Log) error {
		if d < 0 {
			return fmt.Errorf("audit: negative retention %s", d)
		}
		l.retention = d
		return nil
	}
}

// WithClock sets the clock of the entries' times (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(l *Log) error {
		if now == nil {
			return errors.New("audit: nil clock")
		}
		l.now = now
		return nil
	}
}

// WithLogger sets the logger of entries that could not be written on
// their own (RecordDetached). The default is slog.Default().
func WithLogger(lg *slog.Logger) Option {
	return func(l *Log) error { l.logger = lg; return nil }
}

// Log records audit entries in a Store. Make it with New. It is safe for
// concurrent use; every method of a nil *Log does nothing and returns
// nothing, so a service without an audit log pays nothing.
type Log struct {
	st        Store
	v4, v6    int
	noIP      bool
	uaLen     int
	retention time.Duration
	now       func() time.Time
	logger    *slog.Logger
}

// New returns a Log on st.
func New(st Store, opts ...Option) (*Log, error) {
	if st == nil {
		return nil, errors.New("audit: New needs a store")
	}
	l := &Log{st: st, v4: 32, v6: 128, uaLen: DefaultUserAgentLength, now: time.Now}
	for _, o := range opts {
		if err := o(l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Retention returns the retention of WithRetention (0: for ever).
func (l *Log) Retention() time.Duration {
	if l == nil {
		return 0
	}
	return l.retention
}

// Enabled reports whether l records anything (l is not nil).
func (l *Log) Enabled() bool { return l != nil }

// Record writes e, in the unit of work ctx carries when there is one: it
// is kept only if that unit commits, and its error should fail the unit.
// Record sets e's ID and CreatedAt when they are empty (a caller that
// writes an entry later stamps it when the event happens, with Stamp),
// and its IP and UserAgent from the
// client in ctx (WithClient), truncated as l is configured; it drops the
// entry's invalid UTF-8 and control characters. An entry the store
// refuses is returned as a *store.ValidationError.
func (l *Log) Record(ctx context.Context, e Entry) error {
	if l == nil {
		return nil
	}
	l.prepare(ctx, &e)
	// The store checks the entry (CheckEntry is its contract).
	return l.st.AppendAuditEntries(ctx, []*Entry{&e})
}

// RecordDetached writes e on its own, outside any unit of work ctx
// carries, for attempts that change nothing (a failed login): the entry
// is kept whatever becomes of the caller's unit. A failure is logged, not
// returned: the caller's answer stays what the attempt was.
func (l *Log) RecordDetached(ctx context.Context, e Entry) {
	if l == nil {
		return
	}
	if err := l.Record(withoutUnit(ctx), e); err != nil {
		lg := l.logger
		if lg == nil {
			lg = slog.Default()
		}
		lg.ErrorContext(ctx, "clientele: audit entry not written", "action", string(e.Action), "err", err.Error())
	}
}

// Stamp returns e with its ID and CreatedAt set to now, for an entry
// written later (RecordDetached from a goroutine) that must keep the
// time, and the order, of the event it records.
func (l *Log) Stamp(e Entry) Entry {
	if l == nil {
		return e
	}
	e.ID = id.New(id.Audit)
	e.CreatedAt = l.now().UTC().Truncate(time.Microsecond)
	return e
}

// prepare fills the id, time and client of e and bounds its text.
func (l *Log) prepare(ctx context.Context, e *Entry) {
	if e.ID == "" {
		e.ID = id.New(id.Audit)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = l.now()
	}
	e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Microsecond)
	c := ClientFrom(ctx)
	e.IP = l.ip(c.IP)
	e.UserAgent = bound(c.UserAgent, l.uaLen)
	e.AuthIdentityID = bound(e.AuthIdentityID, MaxFieldLength)
	e.ActorType = bound(e.ActorType, MaxFieldLength)
	e.ActorID = bound(e.ActorID, MaxFieldLength)
	e.Provider = bound(e.Provider, MaxFieldLength)
	if len(e.Details) > 0 {
		d := make(map[string]string, len(e.Details))
		for k, v := range e.Details {
			d[bound(k, MaxFieldLength)] = bound(v, MaxFieldLength)
		}
		e.Details = d
	}
}

// ip returns the address as it is written: "" when unknown or with
// WithoutIP, whole, or as a prefix.
func (l *Log) ip(a netip.Addr) string {
	if l.noIP || !a.IsValid() {
		return ""
	}
	a = a.Unmap().WithZone("")
	bits := l.v6
	if a.Is4() {
		bits = l.v4
	}
	if bits == a.BitLen() {
		return a.String()
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// List returns the entries matching f, newest first, paged by p.
func (l *Log) List(ctx context.Context, f Filter, p Page) ([]*Entry, error) {
	if l == nil {
		return nil, nil
	}
	if _, err := CheckPage(p); err != nil {
		return nil, err
	}
	return l.st.ListAuditEntries(ctx, f, p)
}

// PurgeBatch is how many entries Purge deletes per store call.
const PurgeBatch = 1000

// Purge deletes the entries older than the retention (WithRetention), in
// batches of PurgeBatch, each its own statement, and returns how many it
// deleted. Without a retention it deletes nothing.
func (l *Log) Purge(ctx context.Context) (int, error) {
	if l == nil || l.retention <= 0 {
		return 0, nil
	}
	return l.PurgeBefore(ctx, l.now().Add(-l.retention))
}

// PurgeBefore deletes the entries created before t, in batches of
// PurgeBatch, and returns how many it deleted.
func (l *Log) PurgeBefore(ctx context.Context, t time.Time) (int, error) {
	if l == nil {
		return 0, nil
	}
	total := 0
	for {
		n, err := l.st.PurgeAuditEntries(ctx, t.UTC(), PurgeBatch)
		total += n
		if err != nil || n < PurgeBatch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// Anonymise empties the client address and user agent of the entries
// matching f, in the unit of work ctx carries (account.Service.Erase
// calls it for an erased customer's identities and customer id). An
// empty filter is refused: it would anonymise the whole log.
func (l *Log) Anonymise(ctx context.Context, f Filter) (int, error) {
	if l == nil {
		return 0, nil
	}
	if len(f.AuthIdentityIDs) == 0 && len(f.ActorIDs) == 0 {
		return 0, errors.New("audit: Anonymise needs identities or actors")
	}
	return l.st.AnonymiseAuditEntries(ctx, f)
}
