package servicetest

import (
	"context"
	"sync"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// faultTests fail one store call in the middle of an operation and check
// that the operation leaves nothing half-done: store/postgres fails every
// statement of these operations (fault_test.go); these tests hold the
// services to the same promise on every backend.
var faultTests = []test{
	{"Fault/ResetTokenKeptWhenPasswordWriteFails", func(e *env) {
		f, fs := e.faulty()
		e.register("ada@example.com", "old password")
		token := f.requestReset("ada@example.com")
		before := e.snapshot()
		fs.failOn("UpdateProviderIdentities")
		_, err := f.auth.ResetPassword(f.ctx, auth.ActorCustomer, emailpass.ID, token, map[string]any{"password": "new password"})
		f.wantErr(err, errBoom)
		// Neither spent nor changed: the same token works again.
		e.unchanged(before)
		fs.failOn()
		_, err = f.auth.Authenticate(f.ctx, emailpass.ID, creds("ada@example.com", "old password"))
		f.must(err)
		_, err = f.auth.ResetPassword(f.ctx, auth.ActorCustomer, emailpass.ID, token, map[string]any{"password": "new password"})
		f.must(err)
		_, err = f.auth.Authenticate(f.ctx, emailpass.ID, creds("ada@example.com", "new password"))
		f.must(err)
		_, err = f.auth.ResetPassword(f.ctx, auth.ActorCustomer, emailpass.ID, token, map[string]any{"password": "third password"})
		f.wantErr(err, auth.ErrInvalidToken)
	}},
	{"Fault/LinkUndoneWhenReadBackFails", func(e *env) {
		f, fs := e.faulty()
		a := f.register("ada@example.com", "correct horse")
		code := f.magicCode("ada.l@example.org")
		before := e.snapshot()
		// The provider identity is inserted, then reading the identity
		// back fails: the link must not stay behind an error.
		fs.failAfter("InsertProviderIdentities", "ListAuthIdentities")
		_, err := f.auth.Link(f.ctx, a.ID, "magic", provider.Input{Body: map[string]any{"code": code}})
		f.wantErr(err, errBoom)
		e.unchanged(before)
		fs.failOn()
		res, err := f.auth.Link(f.ctx, a.ID, "magic", provider.Input{Body: map[string]any{"code": f.magicCode("ada.l@example.org")}})
		f.must(err)
		f.same(2, len(res.AuthIdentity.ProviderIdentities))
	}},
	{"Fault/PasswordChangeUndoneWhenEventFails", func(e *env) {
		a := e.register("ada@example.com", "old password")
		// A sink that refuses auth.password_changed: the event is written
		// after the new password, and its failure must undo the change.
		e.txSink = refusingSink{unitSink{e.events}, auth.EventPasswordChanged}
		svc := e.newAuth()
		e.txSink = nil
		before := e.snapshot()
		_, err := svc.ChangePassword(e.ctx, a.ID, emailpass.ID, "old password", "new password")
		e.wantErr(err, errBoom)
		e.unchanged(before)
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "old password"))
		e.must(err)
		if _, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "new password")); err == nil {
			e.t.Fatal("the new password works after a failed change")
		}
		_, err = e.auth.ChangePassword(e.ctx, a.ID, emailpass.ID, "old password", "new password")
		e.must(err)
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "new password"))
		e.must(err)
	}},
	{"Fault/SignUpUndoneWhenTokenFails", func(e *env) {
		f, fs := e.faulty()
		if _, ok := e.st.(auth.MFAStore); !ok {
			e.t.Skip("the store keeps no MFA factors: issuing the token reads nothing")
		}
		before := e.snapshot()
		// Issuing the token reads the identity's MFA factors, after the
		// customer is written.
		fs.failAfter("InsertCustomers", "ListMFAFactors")
		_, err := f.accounts.SignUp(f.ctx, emailpass.ID, creds("ada@example.com", "correct horse"), customer.CreateParams{FirstName: "Ada"})
		f.wantErr(err, errBoom)
		e.unchanged(before)
		if got := f.events.Events(); len(got) != 0 {
			f.t.Fatalf("events of a failed sign-up: %v", eventNames(got))
		}
		fs.failOn()
		out, err := f.accounts.SignUp(f.ctx, emailpass.ID, creds("ada@example.com", "correct horse"), customer.CreateParams{FirstName: "Ada"})
		f.must(err)
		if out.Token == "" || out.Customer == nil {
			f.t.Fatalf("sign-up after the failure: %+v", out)
		}
	}},
}

// faulty returns an env on the same store seen through a faultyStore,
// with services of its own, and the faultyStore.
func (e *env) faulty() (*env, *faultyStore) {
	e.t.Helper()
	fs := &faultyStore{Store: e.st, failing: map[string]bool{}}
	if ms, ok := e.st.(auth.MFAStore); ok {
		return newEnv(e.t, faultyMFAStore{fs, ms}), fs
	}
	return newEnv(e.t, fs), fs
}

// faultyStore is a Store whose chosen methods fail with errBoom.
type faultyStore struct {
	Store

	mu      sync.Mutex
	failing map[string]bool
	after   map[string]string // a call of key makes value fail
}

// failOn makes the methods named fail, and no others.
func (f *faultyStore) failOn(methods ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing, f.after = map[string]bool{}, nil
	for _, m := range methods {
		f.failing[m] = true
	}
}

// failAfter makes method fail once trigger has been called.
func (f *faultyStore) failAfter(trigger, method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing, f.after = map[string]bool{}, map[string]string{trigger: method}
}

// call records a call of method and returns errBoom if it must fail.
func (f *faultyStore) call(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.after[method]; ok {
		f.failing[m] = true
	}
	if f.failing[method] {
		return errBoom
	}
	return nil
}

// InTx runs fn in the store's unit of work; while "Commit" fails, the
// unit fails after fn has succeeded, as a failed COMMIT does: nothing fn
// wrote is kept.
func (f *faultyStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return f.Store.InTx(ctx, func(ctx context.Context) error {
		if err := fn(ctx); err != nil {
			return err
		}
		return f.call("Commit")
	})
}

func (f *faultyStore) UpdateProviderIdentities(ctx context.Context, pis []*auth.ProviderIdentity) error {
	if err := f.call("UpdateProviderIdentities"); err != nil {
		return err
	}
	return f.Store.UpdateProviderIdentities(ctx, pis)
}

func (f *faultyStore) InsertProviderIdentities(ctx context.Context, pis []*auth.ProviderIdentity) error {
	if err := f.call("InsertProviderIdentities"); err != nil {
		return err
	}
	return f.Store.InsertProviderIdentities(ctx, pis)
}

func (f *faultyStore) ListAuthIdentities(ctx context.Context, flt auth.IdentityFilter, opts store.ListOptions) ([]*auth.AuthIdentity, error) {
	if err := f.call("ListAuthIdentities"); err != nil {
		return nil, err
	}
	return f.Store.ListAuthIdentities(ctx, flt, opts)
}

func (f *faultyStore) InsertCustomers(ctx context.Context, cs []*customer.Customer) error {
	if err := f.call("InsertCustomers"); err != nil {
		return err
	}
	return f.Store.InsertCustomers(ctx, cs)
}

// faultyMFAStore is a faultyStore that keeps its store's MFA factors.
type faultyMFAStore struct {
	*faultyStore
	auth.MFAStore
}

// InTx resolves the ambiguity of the two embedded stores.
func (f faultyMFAStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return f.faultyStore.InTx(ctx, fn)
}

func (f faultyMFAStore) ListMFAFactors(ctx context.Context, flt auth.MFAFactorFilter, opts store.ListOptions) ([]*auth.MFAFactor, error) {
	if err := f.call("ListMFAFactors"); err != nil {
		return nil, err
	}
	return f.MFAStore.ListMFAFactors(ctx, flt, opts)
}

// refusingSink is a unitSink whose EmitTx fails with errBoom when it is
// handed an event named name.
type refusingSink struct {
	unitSink
	name string
}

// EmitTx fails on an event named r.name, else records the events.
func (r refusingSink) EmitTx(ctx context.Context, events []event.Event) error {
	for _, ev := range events {
		if ev.Name == r.name {
			return errBoom
		}
	}
	return r.unitSink.EmitTx(ctx, events)
}
