// Package outbox is clientele's transactional outbox: the services' events
// are written in the same unit of work as the change they report, and a
// [Dispatcher] delivers them to the host's event.Sink afterwards, at least
// once, in order per entity, with retries.
//
// An [Outbox] is an event.TxSink: pass it to each service's WithEventSink
// option, and run a Dispatcher (one or more per process, on every
// instance) with the host's own sink:
//
//	ob, err := outbox.New(st, outbox.WithKeys(keys...))
//	...
//	customers, err := customer.NewService(st, addresses, customer.WithEventSink(ob))
//	d, err := outbox.NewDispatcher(ob, mailer)
//	go d.Run(ctx)
//	defer d.Shutdown(shutdownCtx)
//
// # Guarantees
//
// A committed change has its events in the outbox table (the row is
// written in the change's transaction on PostgreSQL, in the change's unit
// on the memory store); a change that fails writes none, and a failed
// write of the outbox row fails the change. The Dispatcher hands each
// event to the sink until the sink returns nil, waiting between attempts
// with a bounded exponential back-off with jitter. Event.ID is the row's
// id, the same on every attempt: a sink de-duplicates on it, because a
// crash (or a failed write) after a successful delivery delivers again.
//
// Events of one entity (see [DefaultEntityKey]) are delivered one at a time
// in the order of their rows: an event that keeps failing holds back the
// later events of its entity, and only those. The order is the order in
// which the changes wrote their rows, which for changes that lock the
// entity's row is the order of their commits.
//
// Several dispatchers, in one process or on many instances sharing one
// database, take rows with a lease: a row is claimed (on PostgreSQL with
// FOR UPDATE SKIP LOCKED) by one dispatcher until its lease ends, so in
// normal operation each event is delivered once; a dispatcher that dies
// leaves its claims to be taken again after the lease.
//
// A delivered event's Data is what JSON decodes its data to: numbers are
// float64, times RFC 3339 strings, lists []any.
//
// Leases and retry times are read on each dispatcher's clock: the clocks
// of the instances must agree within a small part of the lease (default
// 30 seconds).
//
// # Secrets
//
// Events that carry a secret (event.Event.Secret: a password reset token,
// a verification code) are sealed with AES-256-GCM under the first of the
// host's keys before they are written, and the sealed data is removed from
// the row once delivered. [New] refuses to build an Outbox without a key,
// so that no secret is ever stored in clear. Older keys stay listed, after
// the first, to open rows sealed before a rotation.
//
// # Latency
//
// A Dispatcher is woken at once by events committed through the same
// Outbox value (the same process); rows written by other instances are
// found by polling, every [WithPollInterval] (default 500ms).
package outbox

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/store"
)

// IDPrefix is the prefix of the outbox's row ids (event ids).
const IDPrefix = "evt"

// Record is one row of the outbox.
type Record struct {
	// ID is the event's idempotency key, "evt_" and a ULID.
	ID string
	// Seq orders the rows; the store assigns it on append, increasing.
	Seq int64
	// Name is the event's name.
	Name string
	// EntityKey names the entity whose events are delivered in order.
	EntityKey string
	// Data is the JSON of the event's data, nil when it is sealed (a
	// backend may give back an equivalent JSON text, e.g. respaced).
	Data []byte
	// Sealed is the event's data sealed with the key KeyID (events that
	// carry a secret); the store drops it when the row is delivered.
	Sealed []byte
	KeyID  string
	// CreatedAt is when the event was written; AvailableAt when it may
	// be claimed next.
	CreatedAt   time.Time
	AvailableAt time.Time
	// Attempts counts the failed deliveries; LastError is the last one's
	// error.
	Attempts  int
	LastError string
	// ClaimedBy and ClaimedUntil are the lease of the dispatcher that
	// claimed the row.
	ClaimedBy    string
	ClaimedUntil *time.Time
	// DeliveredAt is when the sink accepted the event.
	DeliveredAt *time.Time
}

// Store is the storage of the outbox. store/memory and store/postgres
// implement it; store/storetest checks a backend against this contract.
type Store interface {
	store.Transactor
	// OutboxAppend writes recs (ID, Name, EntityKey, Data or Sealed and
	// KeyID, CreatedAt, AvailableAt set) in the unit of work in ctx,
	// assigning each its Seq in order. Rows appended in a unit that rolls
	// back are never seen. A taken id is a store.ErrConflict.
	OutboxAppend(ctx context.Context, recs []*Record) error
	// OutboxClaim leases to claimer up to limit undelivered rows whose
	// AvailableAt is not after now, that no live lease holds (a lease
	// held until after now), and that have no undelivered row of the same
	// EntityKey with a smaller Seq; it returns them in Seq order with
	// ClaimedBy = claimer and ClaimedUntil = now + lease. Concurrent
	// claims never return the same row while its lease lives.
	OutboxClaim(ctx context.Context, claimer string, now time.Time, lease time.Duration, limit int) ([]*Record, error)
	// OutboxDone marks the row delivered at now, drops its Sealed data
	// and its lease. A row delivered already, or gone, is left as it is.
	OutboxDone(ctx context.Context, id string, now time.Time) error
	// OutboxRetry records a failed delivery of a row claimer holds:
	// Attempts+1, LastError, the lease released, AvailableAt = at. A row
	// claimer no longer holds is left as it is.
	OutboxRetry(ctx context.Context, id, claimer string, at time.Time, lastError string) error
	// OutboxRelease releases every lease claimer holds on undelivered
	// rows, without counting an attempt, and returns how many.
	OutboxRelease(ctx context.Context, claimer string) (int, error)
	// OutboxPurge deletes up to limit delivered rows delivered before
	// before, oldest first, and returns how many.
	OutboxPurge(ctx context.Context, before time.Time, limit int) (int, error)
	// OutboxGet returns the row id; store.ErrNotFound when there is none.
	OutboxGet(ctx context.Context, id string) (*Record, error)
	// OutboxForget deletes, in the unit of work in ctx, every row,
	// delivered or not, that names one of values (compared
	// case-insensitively) as its EntityKey (the whole key, or what follows
	// its first ':', as in DefaultEntityKey's "entity_id:…") or as the
	// entity_id, email or previous_email of its data, and every sealed row
	// whose EntityKey is
	// one of ids; it returns how many. The erasure of a customer uses it
	// with the customer's emails and identities' entity ids as values and
	// its customer and identity ids as ids: the rows that carry only ids
	// (a customer.updated) stay, to be delivered.
	OutboxForget(ctx context.Context, values, ids []string) (int, error)
}

// CheckRecord validates a row before a store appends it: the checks
// OutboxAppend makes, shared by the backends. A row has an id, a name and
// an entity key, and either clear Data or Sealed data with the KeyID that
// sealed it, never both.
func CheckRecord(r *Record) error {
	switch {
	case r == nil || r.ID == "" || r.Name == "" || r.EntityKey == "":
		return store.Invalid("outbox", "an outbox row needs an id, a name and an entity key")
	case r.Data != nil && r.Sealed != nil:
		return store.Invalid("outbox", "an outbox row holds clear data or sealed data, not both")
	case r.Sealed != nil && r.KeyID == "":
		return store.Invalid("outbox", "sealed data needs the id of the key that sealed it")
	}
	return nil
}

// ForgetValues returns the values of OutboxForget as the stores compare
// them: lower-cased, without empty strings.
func ForgetValues(values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			out = append(out, strings.ToLower(v))
		}
	}
	return out
}

// Mentions reports whether a row names one of values (lower-cased) as
// OutboxForget compares them: as its entity key (whole, or after its
// first ':'), or as the entity_id,
// email or previous_email of its JSON data. Backends that cannot query
// JSON use it.
func Mentions(r *Record, values []string) bool {
	key := strings.ToLower(r.EntityKey)
	_, named, _ := strings.Cut(key, ":")
	if slices.Contains(values, key) || slices.Contains(values, named) {
		return true
	}
	if len(r.Data) == 0 {
		return false
	}
	var d map[string]any
	if json.Unmarshal(r.Data, &d) != nil {
		return false
	}
	for _, k := range []string{"entity_id", "email", "previous_email"} {
		if v, ok := d[k].(string); ok && slices.Contains(values, strings.ToLower(v)) {
			return true
		}
	}
	return false
}

// KeySize is the size of a key's Secret: AES-256.
const KeySize = 32

// Key is a key that seals the data of events that carry secrets. ID names
// it in the rows it sealed (up to 32 letters, digits, '-', '_' or '.'),
// so that keys can rotate.
type Key struct {
	ID     string
	Secret []byte
}

// ErrNoKey is returned by [New] when no key is configured: events that
// carry secrets would have to be written in clear.
var ErrNoKey = errors.New("outbox: no key configured: events carrying secrets (reset tokens, verification codes) cannot be stored in clear; configure one with WithKeys")

// ErrKey is matched by the errors of a malformed key.
var ErrKey = errors.New("outbox: invalid key")

// ParseKeys parses keys written as "id:base64" separated by commas (the
// standard base64 of a 32-byte secret), the first being the one that
// seals, e.g. "k2:…,k1:…".
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		kid, b64, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("%w: want id:base64", ErrKey)
		}
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("%w %q: secret is not standard base64", ErrKey, kid)
		}
		keys = append(keys, Key{ID: kid, Secret: secret})
	}
	return keys, nil
}

func checkKeyID(kid string) error {
	if kid == "" || len(kid) > 32 {
		return fmt.Errorf("%w: an id needs 1 to 32 characters", ErrKey)
	}
	for _, r := range kid {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%w: id %q has a character other than letters, digits, '-', '_' and '.'", ErrKey, kid)
		}
	}
	return nil
}

// Option configures an Outbox.
type Option func(*Outbox) error

// WithKeys sets the keys: the first seals, every one opens the rows
// sealed with it. Each Secret is KeySize bytes; ids are distinct.
func WithKeys(keys ...Key) Option {
	return func(o *Outbox) error {
		for _, k := range keys {
			if err := checkKeyID(k.ID); err != nil {
				return err
			}
			if len(k.Secret) != KeySize {
				return fmt.Errorf("%w %q: the secret has %d bytes, want %d", ErrKey, k.ID, len(k.Secret), KeySize)
			}
			if _, dup := o.aeads[k.ID]; dup {
				return fmt.Errorf("%w: id %q is listed twice", ErrKey, k.ID)
			}
			block, err := aes.NewCipher(k.Secret)
			if err != nil {
				return fmt.Errorf("%w %q: %v", ErrKey, k.ID, err)
			}
			aead, err := cipher.NewGCM(block)
			if err != nil {
				return fmt.Errorf("%w %q: %v", ErrKey, k.ID, err)
			}
			o.aeads[k.ID] = aead
			if o.sealWith == "" {
				o.sealWith = k.ID
			}
		}
		return nil
	}
}

// WithEntityKey sets how an event's entity is found (default
// [DefaultEntityKey]). f must not return "" for an event.
func WithEntityKey(f func(event.Event) string) Option {
	return func(o *Outbox) error {
		if f == nil {
			return errors.New("outbox: WithEntityKey needs a function")
		}
		o.entityKey = f
		return nil
	}
}

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *Outbox) error {
		if now == nil {
			return errors.New("outbox: WithClock needs a function")
		}
		o.now = now
		return nil
	}
}

// DefaultEntityKey is the entity of an event: the first string among its
// data's "id", "auth_identity_id", "customer_id" and "entity_id" (prefixed
// with the name of the field for the last, which is an email or a phone),
// else the event's name.
func DefaultEntityKey(e event.Event) string {
	for _, k := range []string{"id", "auth_identity_id", "customer_id"} {
		if v, ok := e.Data[k].(string); ok && v != "" {
			return v
		}
	}
	if v, ok := e.Data["entity_id"].(string); ok && v != "" {
		return "entity_id:" + v
	}
	return e.Name
}

// Outbox writes events to a Store inside the units of work that make the
// changes. It is an event.TxSink, safe for concurrent use.
type Outbox struct {
	st        Store
	aeads     map[string]cipher.AEAD
	sealWith  string
	entityKey func(event.Event) string
	now       func() time.Time
	// wake tells this process's dispatchers that rows were committed.
	wake chan struct{}
}

var _ event.TxSink = (*Outbox)(nil)

// New returns an Outbox on st. It needs at least one key ([WithKeys]):
// without one it returns ErrNoKey.
func New(st Store, opts ...Option) (*Outbox, error) {
	if st == nil {
		return nil, errors.New("outbox: New needs a store")
	}
	o := &Outbox{st: st, aeads: map[string]cipher.AEAD{}, entityKey: DefaultEntityKey, now: time.Now, wake: make(chan struct{}, 1)}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.sealWith == "" {
		return nil, ErrNoKey
	}
	return o, nil
}

// Store returns the store the Outbox writes to.
func (o *Outbox) Store() Store { return o.st }

// EmitTx writes events to the outbox in the unit of work in ctx (or on
// their own when there is none); see event.TxSink. The data of an event
// marked Secret is sealed.
func (o *Outbox) EmitTx(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	now := o.now().UTC().Truncate(time.Microsecond)
	recs := make([]*Record, len(events))
	for i, e := range events {
		r, err := o.record(e, now)
		if err != nil {
			return err
		}
		recs[i] = r
	}
	if err := o.st.OutboxAppend(ctx, recs); err != nil {
		return fmt.Errorf("outbox: append: %w", err)
	}
	store.AfterCommit(ctx, o.notify)
	return nil
}

// Emit writes one event to the outbox in its own unit of work (or in the
// one in ctx), so that an Outbox is also an event.Sink.
func (o *Outbox) Emit(ctx context.Context, e event.Event) error {
	return o.st.InTx(ctx, func(ctx context.Context) error { return o.EmitTx(ctx, []event.Event{e}) })
}

func (o *Outbox) notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Outbox) record(e event.Event, now time.Time) (*Record, error) {
	if e.Name == "" {
		return nil, errors.New("outbox: an event needs a name")
	}
	key := o.entityKey(e)
	if key == "" {
		return nil, fmt.Errorf("outbox: event %s has no entity key", e.Name)
	}
	data := e.Data
	if data == nil {
		data = map[string]any{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		// The error names a type, never a value.
		return nil, fmt.Errorf("outbox: event %s: encode data: %w", e.Name, err)
	}
	r := &Record{ID: id.New(IDPrefix), Name: e.Name, EntityKey: key, CreatedAt: now, AvailableAt: now}
	if !e.Secret {
		r.Data = b
		return r, nil
	}
	aead := o.aeads[o.sealWith]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(b)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("outbox: nonce: %w", err)
	}
	r.Sealed = aead.Seal(nonce, nonce, b, additional(r))
	r.KeyID = o.sealWith
	return r, nil
}

// additional binds sealed data to its row: it cannot be moved to another.
func additional(r *Record) []byte { return []byte(r.ID + "\x00" + r.Name) }

// ErrOpen is matched by the error of a row whose sealed data cannot be
// opened: its key is not configured, or the data was altered.
var ErrOpen = errors.New("outbox: cannot open sealed event data")

// event rebuilds the event of r.
func (o *Outbox) event(r *Record) (event.Event, error) {
	e := event.Event{ID: r.ID, Name: r.Name}
	b := r.Data
	if r.Sealed != nil || r.KeyID != "" {
		aead, ok := o.aeads[r.KeyID]
		if !ok {
			return e, fmt.Errorf("%w: key %q is not configured", ErrOpen, r.KeyID)
		}
		ns := aead.NonceSize()
		if len(r.Sealed) < ns {
			return e, ErrOpen
		}
		var err error
		if b, err = aead.Open(nil, r.Sealed[:ns], r.Sealed[ns:], additional(r)); err != nil {
			return e, ErrOpen
		}
		e.Secret = true
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &e.Data); err != nil {
			return e, fmt.Errorf("outbox: event %s: decode data: %w", r.Name, err)
		}
	}
	if e.Data == nil {
		e.Data = map[string]any{}
	}
	return e, nil
}
