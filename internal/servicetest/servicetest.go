// Package servicetest is the behaviour suite of clientele's services: it
// drives the customer, address, group, auth and account services (with the
// emailpass provider and a provider written as a host would write one) on
// a backend, and checks what a user sees (Medusa 2.21's customer and auth
// modules, with clientele's documented differences): round trips, filters,
// ordering and paging, unique rules and their errors, cascades, soft delete
// and restore, atomicity of batches and units of work, events, tokens,
// password resets, account flows, and concurrent callers.
//
// store/memory and store/postgres run it beside the contract suite of
// store/storetest, which a host's own backend passes without any of this:
//
//	func TestBehaviour(t *testing.T) {
//		servicetest.Run(t, func(t *testing.T) storetest.Store { return newEmptyStore(t) })
//	}
//
// Subtests are named Area/Case (e.g. "Customer/DuplicateGuest"), so
// `go test -run 'Behaviour/Customer/Duplicate'` runs one. newStore is called
// once per subtest and must return an empty store; subtests run one after
// another.
package servicetest

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	snap "github.com/clientele/clientele/internal/snapshot"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/storetest"
)

// Store is what a backend must implement: every domain store.
type Store = storetest.Store

type test struct {
	name string
	run  func(e *env)
}

// Run runs the behaviour suite against the stores newStore makes.
func Run(t *testing.T, newStore storetest.NewStore) {
	var all []test
	all = append(all, unitTests...)
	all = append(all, customerTests...)
	all = append(all, pageBehaviour...)
	all = append(all, addressTests...)
	all = append(all, groupTests...)
	all = append(all, clearMetadataTests...)
	all = append(all, eventTests...)
	all = append(all, authTests...)
	all = append(all, importedHashTests...)
	all = append(all, accountTests...)
	all = append(all, groupMemberTests...)
	all = append(all, hostKitTests...)
	all = append(all, concurrencyTests...)
	all = append(all, loadTests...)
	all = append(all, loginLoadTests...)
	all = append(all, staleWriteTests...)
	all = append(all, revocationBehaviour...)
	all = append(all, throttleServiceTests...)
	all = append(all, boundsTests...)
	all = append(all, lifecycleTests...)
	all = append(all, completeTests...)
	all = append(all, filterTests...)
	all = append(all, verificationBehaviour...)
	all = append(all, accountVerificationTests...)
	all = append(all, mfaBehaviour...)
	all = append(all, emailLoginBehaviour...)
	all = append(all, gdprTests...)
	all = append(all, faultTests...)
	all = append(all, outboxBehaviour...)
	all = append(all, auditBehaviour...)
	all = append(all, observeBehaviour...)
	all = append(all, importTests...)
	all = append(all, identityImportTests...)
	all = append(all, importWrittenTests...)
	all = append(all, passkeyTests...)
	all = append(all, unlinkTests...)
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, newStore(t))
			tc.run(e)
			// Every flow of the suite runs with the audit log on: none
			// may leave a secret in it.
			e.auditHoldsNoSecret()
		})
	}
}

// env is one subtest's world: a store and the services on it.
type env struct {
	t         *testing.T
	ctx       context.Context
	st        Store
	events    *event.Recorder
	customers *customer.Service
	addresses *address.Service
	groups    *group.Service
	auth      *auth.Service
	accounts  *account.Service
	clock     *testClock
	// txSink, when set, is the sink of the services instead of the
	// recorder (useOutbox).
	txSink event.TxSink
	// audit is the audit log every auth service of the env records in
	// (nil when the backend keeps none); secrets collects the secrets the
	// env's flows used, which no entry may hold (audit.go).
	audit   *audit.Log
	secrets *secrets
}

func newEnv(t *testing.T, st Store) *env {
	rec := &event.Recorder{}
	e := &env{t: t, ctx: t.Context(), st: st, events: rec, clock: &testClock{}, secrets: &secrets{}}
	if as, ok := st.(audit.Store); ok {
		e.audit = must(audit.New(as, audit.WithClock(e.clock.now)))(t)
	}
	sink := e.sink()
	e.addresses = newAddresses(t, st, address.WithEventSink(sink))
	e.customers = must(customer.NewService(st, e.addresses, customer.WithEventSink(sink)))(t)
	e.groups = newGroups(t, st, group.WithEventSink(sink))
	e.auth = e.newAuth()
	e.accounts = must(account.NewService(st, e.auth, e.customers, account.WithEventSink(sink)))(t)
	return e
}

// unitSink is the event.TxSink of the suite's services: it records the
// events of a unit of work once the unit commits. A service refuses to
// hand a TxSink an event outside a unit, so every test of the suite also
// checks that each event is raised in the unit that makes its change, as
// an outbox needs.
type unitSink struct{ rec *event.Recorder }

// Emit records e.
func (u unitSink) Emit(ctx context.Context, e event.Event) error { return u.rec.Emit(ctx, e) }

// sink returns the sink of the env's services.
func (e *env) sink() event.Sink {
	if e.txSink != nil {
		return e.txSink
	}
	return unitSink{e.events}
}

// EmitTx records events after the unit in ctx commits.
func (u unitSink) EmitTx(ctx context.Context, events []event.Event) error {
	store.AfterCommit(ctx, func() {
		for _, e := range events {
			_ = u.rec.Emit(ctx, e)
		}
	})
	return nil
}

// must returns a function that gives v, or fails tb when err is set.
func must[T any](v T, err error) func(tb testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// The suite builds its other customer, address and group services with
// these.

// newCustomers returns a customer service on st with an address service
// of default options.
func newCustomers(tb testing.TB, st customer.Store, opts ...customer.Option) *customer.Service {
	tb.Helper()
	return must(customer.NewService(st, newAddresses(tb, st), opts...))(tb)
}

func newAddresses(tb testing.TB, st address.Store, opts ...address.Option) *address.Service {
	tb.Helper()
	return must(address.NewService(st, opts...))(tb)
}

func newGroups(tb testing.TB, st group.Store, opts ...group.Option) *group.Service {
	tb.Helper()
	return must(group.NewService(st, opts...))(tb)
}

// ---- helpers ----

func ptr[T any](v T) *T { return &v }

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("unexpected error: %v", err)
	}
}

func (e *env) customer(p customer.CreateParams) *customer.Customer {
	e.t.Helper()
	c, err := e.customers.Create(e.ctx, p)
	e.must(err)
	return c
}

func (e *env) address(p address.CreateParams) *address.Address {
	e.t.Helper()
	a, err := e.addresses.Create(e.ctx, p)
	e.must(err)
	return a
}

func (e *env) group(name string) *group.Group {
	e.t.Helper()
	g, err := e.groups.Create(e.ctx, group.CreateParams{Name: name})
	e.must(err)
	return g
}

// wantErr checks that err matches every target with errors.Is.
func (e *env) wantErr(err error, targets ...error) {
	e.t.Helper()
	if err == nil {
		e.t.Fatalf("got no error, want %v", targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			e.t.Fatalf("error %q (%T) does not match %v", err, err, target)
		}
	}
}

// wantInvalid checks that err is a *store.ValidationError on field.
func (e *env) wantInvalid(err error, field string, kind error) {
	e.t.Helper()
	e.wantErr(err, store.ErrInvalid, kind)
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		e.t.Fatalf("error %q is not a *store.ValidationError", err)
	}
	if ve.Field != field {
		e.t.Fatalf("validation error on field %q (%v), want field %q", ve.Field, err, field)
	}
}

// wantNotFound checks that err is a *store.NotFoundError naming ids.
func (e *env) wantNotFound(err error, kind error, ids ...string) {
	e.t.Helper()
	e.wantErr(err, store.ErrNotFound, kind)
	var nf *store.NotFoundError
	if !errors.As(err, &nf) {
		e.t.Fatalf("error %q is not a *store.NotFoundError", err)
	}
	got := append([]string(nil), nf.IDs...)
	sort.Strings(got)
	want := append([]string(nil), ids...)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		e.t.Fatalf("not-found ids (-want +got):\n%s", diff)
	}
}

func (e *env) wantMessage(err error, msg string) {
	e.t.Helper()
	if err == nil || err.Error() != msg {
		e.t.Fatalf("error %v, want message %q", err, msg)
	}
}

type snapshot = snap.Snapshot

func (e *env) snapshot() snapshot {
	e.t.Helper()
	return snap.Take(e.t, e.ctx, e.st)
}

// unchanged fails when the store differs from before.
func (e *env) unchanged(before snapshot) {
	e.t.Helper()
	snap.Unchanged(e.t, e.ctx, e.st, before)
}

func (e *env) same(want, got any) {
	e.t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		e.t.Fatalf("(-want +got):\n%s", diff)
	}
}

func customerIDs(cs []*customer.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func names(gs []*group.Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Name
	}
	return out
}

func eventNames(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Name
	}
	return out
}
