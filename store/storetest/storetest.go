// Package storetest is the contract suite of clientele's storage: it drives
// the store interfaces that the domain packages declare (customer.Store,
// with address.Store and group.Store inside it, and auth.Store) directly,
// with no service, provider or business rule in between, so that a host's
// own backend can check itself against what the services rely on. A
// backend passes when
//
//	func TestContract(t *testing.T) {
//		storetest.RunContract(t, func(t *testing.T) storetest.Store { return newEmptyStore(t) })
//	}
//
// passes under -race. store/memory and store/postgres both run it (and, on
// top of it, the behaviour suite of the services, internal/servicetest).
//
// The suite checks the rules of package store's contract and of each store
// interface's documentation: round trips (times at microsecond precision,
// empty strings as NULL), copy semantics, filters, ordering by every
// column the entity's Sortable declaration names (text in byte order, NULL
// last ascending, ties by id) and paging, by offset and by cursor (every
// order walked forward and back; foreign and malformed cursors refused),
// counts (exact, capped, estimated), unique rules and their
// errors, cascading deletes, row locks, units of work (rollback, nested
// units, AfterCommit, panics), cancellation, single-use states and reset
// tokens under concurrent takes, and the optional interfaces
// (customer.ListCounter, session.Store, throttle.Store,
// auth.RevocationStore, auth.VerificationStore, auth.MFAStore, outbox.Store,
// audit.Store, customer.Importer, auth.IdentityImporter) when the backend
// has them.
//
// Subtests are named Area/Case (e.g. "Order/Customer"), so
// `go test -run 'Contract/Order'` runs some. newStore is called once per
// subtest and must return an empty store; subtests run one after another.
package storetest

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	snap "github.com/clientele/clientele/internal/snapshot"
	"github.com/clientele/clientele/store"
)

// Store is what a backend must implement: every domain store.
type Store interface {
	customer.Store
	auth.Store
}

// NewStore returns an empty, isolated store for one subtest.
type NewStore func(t *testing.T) Store

type test struct {
	name string
	run  func(e *env)
}

// RunContract runs the contract suite against the stores newStore makes.
func RunContract(t *testing.T, newStore NewStore) {
	var all []test
	all = append(all, contractTests...)
	all = append(all, orderTests...)
	all = append(all, pageTests...)
	all = append(all, storeTests...)
	all = append(all, filterTests...)
	all = append(all, sessionTests...)
	all = append(all, sessionListTests...)
	all = append(all, revocationTests...)
	all = append(all, refreshDeleteTests...)
	all = append(all, throttleTests...)
	all = append(all, lifecycleTests...)
	all = append(all, verificationTests...)
	all = append(all, mfaTests...)
	all = append(all, outboxTests...)
	all = append(all, auditTests...)
	all = append(all, importerTests...)
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(&env{t: t, ctx: t.Context(), st: newStore(t)})
		})
	}
}

// env is one subtest's world: a store.
type env struct {
	t   *testing.T
	ctx context.Context
	st  Store
}

// ---- helpers ----

func ptr[T any](v T) *T { return &v }

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("unexpected error: %v", err)
	}
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
func (e *env) wantInvalid(err error, field string) {
	e.t.Helper()
	e.wantErr(err, store.ErrInvalid)
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		e.t.Fatalf("error %q is not a *store.ValidationError", err)
	}
	if ve.Field != field {
		e.t.Fatalf("validation error on field %q (%v), want field %q", ve.Field, err, field)
	}
}

// wantNotFound checks that err is a *store.NotFoundError naming ids.
func (e *env) wantNotFound(err error, ids ...string) {
	e.t.Helper()
	e.wantErr(err, store.ErrNotFound)
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

func (e *env) same(want, got any) {
	e.t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		e.t.Fatalf("(-want +got):\n%s", diff)
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

func ids[T any](rows []*T, id func(*T) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

func customerID(c *customer.Customer) string     { return c.ID }
func addressID(a *address.Address) string        { return a.ID }
func groupID(g *group.Group) string              { return g.ID }
func identityID(a *auth.AuthIdentity) string     { return a.ID }
func providerID(p *auth.ProviderIdentity) string { return p.ID }
func membershipID(m *group.Membership) string    { return m.ID }
