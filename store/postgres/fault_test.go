package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/faultdb"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/postgres"
)

// The fault injection harness fails the database at every statement of
// the operations below, one statement per run, and checks that each
// operation fails cleanly (or absorbs the failure and completes), that
// nothing is half-written in the raw tables, that events match the
// outcome, and that the operation then succeeds when retried.
//
// The services' sink is a transactional outbox (package outbox): a failed
// operation leaves no row in clientele_outbox, a successful one exactly
// its events, each delivered once by a dispatcher. One operation also runs
// with a plain sink (events after the commit). The outbox's own delivery
// is under faults too (fault_outbox_test.go).
//
// Adding an operation is one entry in faultOps.

// faultOp is one operation under fault injection.
type faultOp struct {
	name string
	// setup makes the operation's data on a fresh database; it runs with
	// injection off.
	setup func(w *faultWorld)
	// run is the operation.
	run func(w *faultWorld) error
	// events are the names of the events one success emits, in order.
	events []string
	// oneStatement marks an operation that writes in one statement, not
	// in a unit of work: it has no COMMIT to fail.
	oneStatement bool
	// check checks the raw tables: done says whether the operation took
	// effect (it succeeded), else everything must be as setup left it.
	check func(w *faultWorld, done bool)
}

var faultOps = []faultOp{
	{
		name: "AccountCreation",
		setup: func(w *faultWorld) {
			w.identityID = w.register("ann@example.com", "s3cret-pass").ID
		},
		run: func(w *faultWorld) error {
			c, err := w.accounts.CreateCustomer(w.ctx, w.identityID, customer.CreateParams{
				Email: "ann@example.com", FirstName: "Ann", Addresses: twoAddresses(),
			})
			if err == nil {
				w.customerID = c.ID
			}
			return err
		},
		events: []string{customer.EventCreated, address.EventCreated, address.EventCreated, account.EventCreated},
		check: func(w *faultWorld, done bool) {
			w.wantAccounts(map[bool]int{false: 0, true: 1}[done])
			w.wantRows(map[bool]int{false: 0, true: 2}[done], "SELECT count(*) FROM customer_address")
			if done {
				w.wantRows(1, "SELECT count(*) FROM auth_identity WHERE id = ? AND app_metadata->>'customer_id' = ?", w.identityID, w.customerID)
				w.wantDefaults(w.customerID, 1, 1)
			} else {
				w.wantRows(1, "SELECT count(*) FROM auth_identity WHERE id = ? AND NOT coalesce(app_metadata, '{}') ? 'customer_id'", w.identityID)
			}
		},
	},
	{
		name:  "Import",
		setup: func(*faultWorld) {},
		run: func(w *faultWorld) error {
			_, err := w.customers.Import(w.ctx, bulk.Records([]customer.CreateParams{
				{Email: "imp1@example.com", Addresses: twoAddresses()},
				{Email: "imp2@example.com"},
			}), customer.ImportOptions{Options: bulk.Options{Written: w.keepWritten}})
			return err
		},
		events: []string{customer.EventCreated, customer.EventCreated, address.EventCreated, address.EventCreated},
		check: func(w *faultWorld, done bool) {
			n := map[bool]int{false: 0, true: 2}[done]
			w.wantRows(n, "SELECT count(*) FROM customer WHERE email LIKE 'imp%'")
			w.wantRows(n, "SELECT count(*) FROM customer_address")
			w.wantWritten(done, "customer", "imp1@example.com", "imp2@example.com")
		},
	},
	{
		name:  "ImportPasswordIdentities",
		setup: func(*faultWorld) {},
		run: func(w *faultWorld) error {
			hash, err := emailpass.Scrypt{LogN: 4, R: 8, P: 1}.Hash([]byte("s3cret-pass"))
			if err != nil {
				return err
			}
			_, err = w.auth.ImportPasswordIdentities(w.ctx, bulk.Records([]auth.PasswordIdentity{
				{Email: "dan@example.com", PasswordHash: hash}, {Email: "eve@example.com", PasswordHash: hash},
			}), auth.PasswordImportOptions{Options: bulk.Options{Written: w.keepWritten}})
			return err
		},
		check: func(w *faultWorld, done bool) {
			n := map[bool]int{false: 0, true: 2}[done]
			w.wantRows(n, "SELECT count(*) FROM auth_identity")
			w.wantRows(n, "SELECT count(*) FROM provider_identity WHERE entity_id IN ('dan@example.com', 'eve@example.com')")
			w.wantWritten(done, "auth_identity", "dan@example.com", "eve@example.com")
			if done {
				w.wantLogin("eve@example.com", "s3cret-pass", true)
			}
		},
	},
	{
		name:         "Register",
		oneStatement: true, // the identity and its provider identity in one INSERT
		setup:        func(*faultWorld) {},
		run: func(w *faultWorld) error {
			_, err := w.auth.Register(w.ctx, emailpass.ID, faultCreds("bob@example.com", "s3cret-pass"))
			return err
		},
		check: func(w *faultWorld, done bool) {
			n := map[bool]int{false: 0, true: 1}[done]
			w.wantRows(n, "SELECT count(*) FROM auth_identity")
			w.wantRows(n, "SELECT count(*) FROM provider_identity WHERE entity_id = 'bob@example.com'")
			if done {
				w.wantLogin("bob@example.com", "s3cret-pass", true)
			}
		},
	},
	{
		name:  "SignUp",
		setup: func(*faultWorld) {},
		run: func(w *faultWorld) error {
			_, err := w.accounts.SignUp(w.ctx, emailpass.ID, faultCreds("cat@example.com", "s3cret-pass"), customer.CreateParams{
				FirstName: "Cat", Addresses: twoAddresses(),
			})
			return err
		},
		events: []string{customer.EventCreated, address.EventCreated, address.EventCreated, account.EventCreated},
		check: func(w *faultWorld, done bool) {
			n := map[bool]int{false: 0, true: 1}[done]
			w.wantRows(n, "SELECT count(*) FROM auth_identity")
			w.wantRows(n, "SELECT count(*) FROM provider_identity")
			w.wantAccounts(n)
			w.wantRows(2*n, "SELECT count(*) FROM customer_address")
			if done {
				w.wantLogin("cat@example.com", "s3cret-pass", true)
			}
		},
	},
	{
		name: "PasswordResetRequest",
		setup: func(w *faultWorld) {
			w.identityID = w.register("dan@example.com", "old-password").ID
		},
		run: func(w *faultWorld) error {
			err := w.auth.RequestPasswordReset(w.ctx, auth.ActorCustomer, emailpass.ID, "dan@example.com", nil)
			w.flush()
			return err
		},
		events: []string{auth.EventPasswordReset},
		check: func(w *faultWorld, done bool) {
			w.wantRows(map[bool]int{false: 0, true: 1}[done], "SELECT count(*) FROM auth_password_reset_token WHERE auth_identity_id = ?", w.identityID)
			w.wantLogin("dan@example.com", "old-password", true)
		},
	},
	{
		name: "PasswordResetCompletion",
		setup: func(w *faultWorld) {
			w.identityID = w.register("eve@example.com", "old-password").ID
			w.token = w.resetToken("eve@example.com")
		},
		run: func(w *faultWorld) error {
			_, err := w.auth.ResetPassword(w.ctx, auth.ActorCustomer, emailpass.ID, w.token, map[string]any{"password": "new-password"})
			return err
		},
		events: []string{auth.EventPasswordChanged},
		check: func(w *faultWorld, done bool) {
			// The token is spent exactly when the password changed.
			w.wantRows(map[bool]int{false: 1, true: 0}[done], "SELECT count(*) FROM auth_password_reset_token WHERE auth_identity_id = ?", w.identityID)
			w.wantLogin("eve@example.com", "new-password", done)
			w.wantLogin("eve@example.com", "old-password", !done)
			w.wantRevoked(done)
		},
	},
	{
		name: "DefaultAddressChange",
		setup: func(w *faultWorld) {
			c, err := w.customers.Create(w.ctx, customer.CreateParams{Email: "fay@example.com", Addresses: twoAddresses()})
			w.must(err)
			w.customerID = c.ID
			for _, a := range c.Addresses {
				if a.IsDefaultShipping {
					w.addrA = a.ID
				} else {
					w.addrB = a.ID
				}
			}
		},
		run: func(w *faultWorld) error {
			_, err := w.addresses.Update(w.ctx, w.addrB, address.UpdateParams{IsDefaultShipping: new(true), IsDefaultBilling: new(true)})
			return err
		},
		events: []string{address.EventUpdated, address.EventUpdated},
		check: func(w *faultWorld, done bool) {
			w.wantDefaults(w.customerID, 1, 1)
			def := map[bool]string{false: w.addrA, true: w.addrB}[done]
			w.wantRows(1, "SELECT count(*) FROM customer_address WHERE id = ? AND is_default_shipping AND is_default_billing", def)
		},
	},
	{
		name: "GroupAdd",
		setup: func(w *faultWorld) {
			w.groupSetup()
		},
		run: func(w *faultWorld) error {
			_, err := w.groups.Add(w.ctx, group.Pair{CustomerID: w.members[0], GroupID: w.groupID},
				group.Pair{CustomerID: w.members[1], GroupID: w.groupID}, group.Pair{CustomerID: w.members[2], GroupID: w.groupID})
			return err
		},
		events: []string{group.EventCustomersAdded},
		check: func(w *faultWorld, done bool) {
			w.wantRows(map[bool]int{false: 1, true: 3}[done], "SELECT count(*) FROM customer_group_customer WHERE customer_group_id = ?", w.groupID)
		},
	},
	{
		name: "GroupRemove",
		setup: func(w *faultWorld) {
			w.groupSetup()
		},
		run: func(w *faultWorld) error {
			return w.groups.Remove(w.ctx, group.Pair{CustomerID: w.members[0], GroupID: w.groupID}, group.Pair{CustomerID: w.members[1], GroupID: w.groupID})
		},
		events: []string{group.EventCustomersRemoved},
		check: func(w *faultWorld, done bool) {
			w.wantRows(map[bool]int{false: 1, true: 0}[done], "SELECT count(*) FROM customer_group_customer WHERE customer_group_id = ?", w.groupID)
		},
	},
	{
		name: "ProviderLink",
		setup: func(w *faultWorld) {
			w.signUp("gus@example.com")
		},
		run: func(w *faultWorld) error {
			_, err := w.auth.Link(w.ctx, w.identityID, linkProviderID, provider.Input{
				Body: map[string]any{"subject": "gus-123", "email": "gus@example.com"}, ActorType: auth.ActorCustomer,
			})
			return err
		},
		check: func(w *faultWorld, done bool) {
			w.wantRows(map[bool]int{false: 1, true: 2}[done], "SELECT count(*) FROM provider_identity WHERE auth_identity_id = ?", w.identityID)
			w.wantRows(map[bool]int{false: 0, true: 1}[done], "SELECT count(*) FROM provider_identity WHERE provider = ? AND entity_id = 'gus-123'", linkProviderID)
			// The identity's app_metadata is whole: still its customer's.
			w.wantRows(1, "SELECT count(*) FROM auth_identity WHERE id = ? AND app_metadata = jsonb_build_object('customer_id', ?::text)", w.identityID, w.customerID)
		},
		events: []string{auth.EventProviderLinked},
	},
	{
		name: "Erase",
		setup: func(w *faultWorld) {
			w.signUp("hal@example.com")
			w.resetToken("hal@example.com")
			g, err := w.groups.Create(w.ctx, group.CreateParams{Name: "vip"})
			w.must(err)
			_, err = w.groups.Add(w.ctx, group.Pair{CustomerID: w.customerID, GroupID: g.ID})
			w.must(err)
		},
		run: func(w *faultWorld) error {
			return w.accounts.Erase(w.ctx, w.customerID)
		},
		events: []string{account.EventErased},
		check: func(w *faultWorld, done bool) {
			if done {
				w.wantRows(1, "SELECT count(*) FROM customer WHERE id = ? AND coalesce(email, '') = '' AND coalesce(first_name, '') = '' AND metadata IS NULL", w.customerID)
				w.wantRows(2, "SELECT count(*) FROM customer_address WHERE customer_id = ? AND coalesce(address_1, '') = '' AND coalesce(city, '') = '' AND coalesce(postal_code, '') = ''", w.customerID)
				w.wantRows(0, "SELECT count(*) FROM auth_identity")
				w.wantRows(0, "SELECT count(*) FROM provider_identity")
				w.wantRows(0, "SELECT count(*) FROM auth_password_reset_token")
			} else {
				w.wantRows(1, "SELECT count(*) FROM customer WHERE id = ? AND email = 'hal@example.com' AND first_name = 'Hal'", w.customerID)
				w.wantRows(2, "SELECT count(*) FROM customer_address WHERE customer_id = ? AND address_1 <> '' AND city <> ''", w.customerID)
				w.wantRows(1, "SELECT count(*) FROM auth_identity WHERE id = ?", w.identityID)
				w.wantRows(1, "SELECT count(*) FROM provider_identity WHERE auth_identity_id = ?", w.identityID)
				w.wantRows(1, "SELECT count(*) FROM auth_password_reset_token WHERE auth_identity_id = ?", w.identityID)
				w.wantLogin("hal@example.com", "s3cret-pass", true)
			}
			// Erasure keeps the ids and references a shop needs.
			w.wantRows(1, "SELECT count(*) FROM customer_group_customer WHERE customer_id = ?", w.customerID)
		},
	},
	{
		name: "PasswordChange",
		setup: func(w *faultWorld) {
			w.identityID = w.register("fin@example.com", "old-password").ID
		},
		run: func(w *faultWorld) error {
			_, err := w.auth.ChangePassword(w.ctx, w.identityID, emailpass.ID, "old-password", "new-password")
			return err
		},
		events: []string{auth.EventPasswordChanged},
		check: func(w *faultWorld, done bool) {
			w.wantLogin("fin@example.com", "new-password", done)
			w.wantLogin("fin@example.com", "old-password", !done)
			// A change revokes the identity's tokens in a unit of its own
			// before the unit of the new password (fail-closed, see
			// Revocation/AFailedChangeStillRevokes): a failure may leave
			// them revoked, a success never leaves them valid.
			if done {
				w.wantRevoked(true)
			}
		},
	},
	{
		// Sign-up with the credentials of an identity that has no customer
		// yet: RegisterThen finds the identity and links it in a unit of
		// its own.
		name: "SignUpExistingIdentity",
		setup: func(w *faultWorld) {
			w.identityID = w.register("gil@example.com", "s3cret-pass").ID
		},
		run: func(w *faultWorld) error {
			_, err := w.accounts.SignUp(w.ctx, emailpass.ID, faultCreds("gil@example.com", "s3cret-pass"), customer.CreateParams{
				FirstName: "Gil", Addresses: twoAddresses(),
			})
			return err
		},
		events: []string{customer.EventCreated, address.EventCreated, address.EventCreated, account.EventCreated},
		check: func(w *faultWorld, done bool) {
			n := map[bool]int{false: 0, true: 1}[done]
			w.wantRows(1, "SELECT count(*) FROM auth_identity")
			w.wantRows(1, "SELECT count(*) FROM provider_identity WHERE entity_id = 'gil@example.com'")
			w.wantAccounts(n)
			w.wantRows(2*n, "SELECT count(*) FROM customer_address")
			w.wantRows(n, "SELECT count(*) FROM auth_identity WHERE id = ? AND coalesce(app_metadata->>'customer_id', '') <> ''", w.identityID)
			w.wantLogin("gil@example.com", "s3cret-pass", true)
		},
	},
	// Outbox delivery has no operation error to check: it has its own
	// runner, runDeliveryFaults (fault_outbox_test.go).
}

// TestFaultInjection runs every operation of faultOps once cleanly to
// count its statements N (BEGIN and COMMIT included), then, for each
// kind of fault and each i in 1..N, on fresh data, fails statement i and
// checks the outcome, then retries without injection.
func TestFaultInjection(t *testing.T) {
	fc, st := faultStore(t)
	for _, op := range faultOps {
		t.Run(op.name, func(t *testing.T) { runFaultOp(t, fc, st, op, false) })
	}
	// One operation with a plain sink: its events are delivered after
	// the commit, none for a failure.
	for _, op := range faultOps {
		if op.name == "SignUp" {
			t.Run(op.name+"/PlainSink", func(t *testing.T) { runFaultOp(t, fc, st, op, true) })
		}
	}
	t.Run("OutboxDelivery", func(t *testing.T) { runDeliveryFaults(t, fc, st) })
}

// runFaultOp runs op under faults; the services' sink is the outbox, or a
// plain sink when plain is set.
func runFaultOp(t *testing.T, fc *faultdb.Connector, st *postgres.Store, op faultOp, plain bool) {
	w := newFaultWorld(t, st, plain)
	w.delivers = true
	op.setup(w)
	fc.Record(true)
	fc.Arm(0, faultdb.Plain)
	w.begin()
	if err := op.run(w); err != nil {
		t.Fatalf("clean run: %v", err)
	}
	n, stmts := fc.Count(), fc.Statements()
	fc.Record(false)
	fc.Reset()
	if n == 0 {
		t.Fatal("the operation ran no statement")
	}
	// An operation that writes in a unit of work has its COMMIT among
	// the points: a failing COMMIT must roll back and fail the operation.
	if !op.oneStatement && !slices.Contains(stmts, "COMMIT") {
		t.Errorf("no COMMIT among the statements %v", stmts)
	}
	w.checkAll(op, true)
	t.Logf("%s: %d statements: %s", op.name, n, strings.Join(stmts, " "))

	for _, kind := range []faultdb.Kind{faultdb.Plain, faultdb.Broken} {
		exercised, absorbed := 0, 0
		for i := 1; i <= n; i++ {
			w := newFaultWorld(t, st, plain)
			op.setup(w)
			w.begin()
			fc.Arm(i, kind)
			err := w.runSafely(op)
			fired := fc.Fired()
			fc.Reset()
			where := fmt.Sprintf("%s fault at statement %d of %d", kind, i, n)
			if fired == nil || fired.Statement != i {
				t.Errorf("%s: not injected (the operation ran %d statements)", where, fc.Count())
				continue
			}
			exercised++
			done := err == nil
			if !done && !errors.Is(err, faultdb.ErrInjected) {
				// A database failure must not pass for something else (an
				// invalid token, a taken email).
				t.Errorf("%s: error %v does not match the injected fault", where, err)
			}
			w.where = where
			w.checkAll(op, done)
			if done {
				absorbed++ // the operation absorbed the failure and completed
				continue
			}
			w.begin()
			if err := w.runSafely(op); err != nil {
				t.Errorf("%s: the retry failed: %v", where, err)
				continue
			}
			w.where = where + ", after the retry"
			w.checkAll(op, true)
		}
		if exercised != n {
			t.Errorf("%s faults: %d of %d injection points exercised", kind, exercised, n)
		}
		t.Logf("%s faults: %d of %d points exercised, %d absorbed", kind, exercised, n, absorbed)
	}
}

// faultWorld is one case: a fresh database, services on the faulty store,
// and the ids setup made.
type faultWorld struct {
	t     *testing.T
	ctx   context.Context
	raw   *bun.DB         // the database without faults, for checks
	clean *postgres.Store // the store without faults, for deliveries
	where string          // the case, for messages
	rec   *event.Recorder // the plain sink, and what deliver delivered
	// ob is the services' sink, nil when it is rec; mark is the last
	// outbox row before the operation (begin).
	ob   *outbox.Outbox
	mark int64
	// delivers makes checkAll deliver the rows of a success (the clean
	// run: the rows of every run are checked, their delivery once).
	delivers bool

	customers *customer.Service
	addresses *address.Service
	groups    *group.Service
	auth      *auth.Service
	accounts  *account.Service

	// written is what the imports of the case reported written
	// (keepWritten), over its runs.
	written []bulk.Written

	identityID, customerID string
	addrA, addrB           string
	groupID                string
	members                []string
	token                  string
}

// linkProviderID is the provider of faultLinkProvider.
const linkProviderID = "faultlink"

// faultLinkProvider is a provider as a host writes one: a login with
// {"subject", "email"} reaches the identity of that subject, created on
// first use.
type faultLinkProvider struct{}

func (faultLinkProvider) ID() string { return linkProviderID }

func (faultLinkProvider) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	subject, _ := in.Body["subject"].(string)
	a, err := ids.Retrieve(ctx, subject)
	if provider.IsNotFound(err) {
		email, _ := in.Body["email"].(string)
		a, err = ids.Create(ctx, provider.NewIdentity{EntityID: subject, UserMetadata: map[string]any{"email": email}, Email: email})
	}
	if err != nil {
		return nil, err
	}
	return &provider.Result{AuthIdentity: a}, nil
}

// faultKey seals the outbox rows of events that carry secrets.
var faultKey = outbox.Key{ID: "fault", Secret: []byte(strings.Repeat("s", outbox.KeySize))}

// newFaultWorld makes a case on an emptied database: services on st whose
// sink is an outbox on st, or a Recorder when plain is set.
func newFaultWorld(t *testing.T, st *postgres.Store, plain bool) *faultWorld {
	t.Helper()
	clean := pgtest.NewStore(t) // empties the database
	rec := &event.Recorder{}
	w := &faultWorld{t: t, ctx: t.Context(), raw: clean.DB(), clean: clean, rec: rec, where: "clean run"}
	var sink event.Sink = rec
	if !plain {
		ob, err := outbox.New(st, outbox.WithKeys(faultKey))
		w.must(err)
		w.ob, sink = ob, ob
	}
	var err error
	w.addresses, err = address.NewService(st, address.WithEventSink(sink))
	w.must(err)
	w.customers, err = customer.NewService(st, w.addresses, customer.WithEventSink(sink))
	w.must(err)
	w.groups, err = group.NewService(st, group.WithEventSink(sink))
	w.must(err)
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(strings.Repeat("k", 32))})
	w.must(err)
	w.auth, err = auth.NewService(st, tokens,
		auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))),
		auth.WithProvider(faultLinkProvider{}), auth.WithEventSink(sink))
	w.must(err)
	w.accounts, err = account.NewService(st, w.auth, w.customers, account.WithEventSink(sink))
	w.must(err)
	return w
}

// runSafely runs op, turning a panic into a test failure.
func (w *faultWorld) runSafely(op faultOp) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.t.Fatalf("%s: the operation panicked: %v", w.where, p)
		}
	}()
	return op.run(w)
}

// begin marks the start of an operation: the events after it are the
// operation's.
func (w *faultWorld) begin() {
	w.t.Helper()
	w.rec.Reset()
	if w.ob != nil {
		w.mark = int64(w.count("SELECT coalesce(max(seq), 0) FROM clientele_outbox"))
	}
}

// checkAll checks op's state, the invariants of every table, and the
// events: one set for a success, none for a failure. With the outbox, the
// events are the rows written since begin, in order; after the clean run
// a dispatcher then delivers each of them once.
func (w *faultWorld) checkAll(op faultOp, done bool) {
	w.t.Helper()
	op.check(w, done)
	w.wantInvariants()
	want := op.events
	if !done {
		want = nil
	}
	if w.ob == nil {
		var got []string
		for _, e := range w.rec.Events() {
			got = append(got, e.Name)
		}
		if !slices.Equal(got, want) {
			w.t.Errorf("%s: events %v, want %v", w.where, got, want)
		}
		return
	}
	var rows []struct {
		ID, Name string
	}
	w.must(w.raw.NewRaw("SELECT id, name FROM clientele_outbox WHERE seq > ? ORDER BY seq", w.mark).Scan(context.Background(), &rows))
	var got []string
	written := map[string]string{}
	for _, r := range rows {
		got = append(got, r.Name)
		written[r.ID] = r.Name
	}
	if !slices.Equal(got, want) {
		w.t.Errorf("%s: outbox rows %v, want %v", w.where, got, want)
		return
	}
	if len(rows) == 0 || !w.delivers {
		return
	}
	seen := map[string]int{}
	for _, e := range w.deliver() {
		if name, ok := written[e.ID]; ok {
			seen[e.ID]++
			if e.Name != name {
				w.t.Errorf("%s: event %s delivered as %s, written as %s", w.where, e.ID, e.Name, name)
			}
		}
	}
	for id, name := range written {
		if seen[id] != 1 {
			w.t.Errorf("%s: event %s (%s) delivered %d times, want once", w.where, id, name, seen[id])
		}
	}
}

// deliver delivers the undelivered rows of the outbox with a dispatcher on
// the store without faults, and returns the events delivered.
func (w *faultWorld) deliver() []event.Event {
	w.t.Helper()
	ob, err := outbox.New(w.clean, outbox.WithKeys(faultKey))
	w.must(err)
	rec := &event.Recorder{}
	d, err := outbox.NewDispatcher(ob, rec, outbox.WithLogger(slog.New(slog.DiscardHandler)))
	w.must(err)
	// Stopped before it runs, Run delivers what it can claim and returns.
	w.must(d.Shutdown(w.ctx))
	w.must(d.Run(w.ctx))
	return rec.Events()
}

func (w *faultWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v", w.where, err)
	}
}

// keepWritten is the Written option of the imports: it keeps what they
// report.
func (w *faultWorld) keepWritten(ws []bulk.Written) { w.written = append(w.written, ws...) }

// wantWritten checks what the imports of the case reported written: the
// records of emails, with ids of table's rows, when the import took
// effect, else nothing (a batch whose COMMIT failed reports nothing).
func (w *faultWorld) wantWritten(done bool, table string, emails ...string) {
	w.t.Helper()
	var keys, ids []string
	for _, x := range w.written {
		keys, ids = append(keys, x.Key), append(ids, x.ID)
	}
	if !done {
		emails = nil
	}
	if !slices.Equal(keys, emails) {
		w.t.Errorf("%s: reported written %v, want %v", w.where, keys, emails)
		return
	}
	w.wantRows(len(ids), "SELECT count(*) FROM "+table+" WHERE id IN (?)", bun.List(ids))
}

// count runs a count query on the database without faults.
func (w *faultWorld) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.raw.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		w.t.Fatalf("%s: %s: %v", w.where, query, err)
	}
	return n
}

func (w *faultWorld) wantRows(want int, query string, args ...any) {
	w.t.Helper()
	if got := w.count(query, args...); got != want {
		w.t.Errorf("%s: %s %v = %d, want %d", w.where, query, args, got, want)
	}
}

// wantInvariants checks what must hold in every table whatever failed.
func (w *faultWorld) wantInvariants() {
	w.t.Helper()
	for _, inv := range []struct{ what, query string }{
		{"identities without a provider identity",
			`SELECT count(*) FROM auth_identity a WHERE NOT EXISTS (SELECT 1 FROM provider_identity p WHERE p.auth_identity_id = a.id)`},
		{"identities linked to no registered customer",
			`SELECT count(*) FROM auth_identity a WHERE coalesce(a.app_metadata->>'customer_id', '') <> ''
			AND NOT EXISTS (SELECT 1 FROM customer c WHERE c.id = a.app_metadata->>'customer_id' AND c.has_account)`},
		{"registered customers (not erased) without their identity",
			`SELECT count(*) FROM customer c WHERE c.has_account AND coalesce(c.email, '') <> ''
			AND NOT EXISTS (SELECT 1 FROM auth_identity a WHERE a.app_metadata->>'customer_id' = c.id)`},
		{"customers with two default shipping or billing addresses",
			`SELECT count(*) FROM (SELECT customer_id FROM customer_address WHERE deleted_at IS NULL
			GROUP BY customer_id HAVING count(*) FILTER (WHERE is_default_shipping) > 1 OR count(*) FILTER (WHERE is_default_billing) > 1) d`},
		{"duplicate memberships",
			`SELECT count(*) FROM (SELECT 1 FROM customer_group_customer WHERE deleted_at IS NULL
			GROUP BY customer_id, customer_group_id HAVING count(*) > 1) d`},
		{"half-erased customers",
			`SELECT count(*) FROM customer c WHERE coalesce(c.email, '') = '' AND (EXISTS (SELECT 1 FROM customer_address a WHERE a.customer_id = c.id AND coalesce(a.address_1, '') <> '')
			OR EXISTS (SELECT 1 FROM auth_identity a WHERE a.app_metadata->>'customer_id' = c.id))`},
	} {
		if n := w.count(inv.query); n != 0 {
			w.t.Errorf("%s: %d %s", w.where, n, inv.what)
		}
	}
}

// wantAccounts checks that there are n registered customers.
func (w *faultWorld) wantAccounts(n int) {
	w.t.Helper()
	w.wantRows(n, "SELECT count(*) FROM customer WHERE has_account")
}

// wantDefaults checks the customer's number of default shipping and
// billing addresses.
func (w *faultWorld) wantDefaults(customerID string, shipping, billing int) {
	w.t.Helper()
	w.wantRows(shipping, "SELECT count(*) FROM customer_address WHERE customer_id = ? AND is_default_shipping AND deleted_at IS NULL", customerID)
	w.wantRows(billing, "SELECT count(*) FROM customer_address WHERE customer_id = ? AND is_default_billing AND deleted_at IS NULL", customerID)
}

// wantRevoked checks whether the tokens of w.identityID were revoked.
func (w *faultWorld) wantRevoked(revoked bool) {
	w.t.Helper()
	w.wantRows(map[bool]int{false: 0, true: 1}[revoked], "SELECT count(*) FROM clientele_token_revocation WHERE auth_identity_id = ?", w.identityID)
}

// wantLogin checks whether email logs in with password.
func (w *faultWorld) wantLogin(email, password string, ok bool) {
	w.t.Helper()
	_, err := w.auth.Authenticate(w.ctx, emailpass.ID, faultCreds(email, password))
	if (err == nil) != ok {
		w.t.Errorf("%s: login of %s with %q: %v, want success %v", w.where, email, password, err, ok)
	}
}

func faultCreds(email, password string) provider.Input {
	return emailpass.Credentials(email, password).ForActor(auth.ActorCustomer)
}

func (w *faultWorld) register(email, password string) *auth.AuthIdentity {
	w.t.Helper()
	res, err := w.auth.Register(w.ctx, emailpass.ID, faultCreds(email, password))
	w.must(err)
	return res.AuthIdentity
}

// signUp opens an account with two addresses; the customer's first name
// is email's local part, capitalised.
func (w *faultWorld) signUp(email string) {
	w.t.Helper()
	local, _, _ := strings.Cut(email, "@")
	res, err := w.accounts.SignUp(w.ctx, emailpass.ID, faultCreds(email, "s3cret-pass"), customer.CreateParams{
		FirstName: strings.ToUpper(local[:1]) + local[1:], Addresses: twoAddresses(),
	})
	w.must(err)
	w.identityID, w.customerID = res.Identity.ID, res.Customer.ID
}

// resetToken requests a password reset for email and returns its token.
func (w *faultWorld) resetToken(email string) string {
	w.t.Helper()
	w.rec.Reset()
	w.must(w.auth.RequestPasswordReset(w.ctx, auth.ActorCustomer, emailpass.ID, email, nil))
	w.flush()
	events := w.rec.Events()
	if w.ob != nil {
		events = w.deliver()
	}
	for _, e := range events {
		if e.Name == auth.EventPasswordReset {
			token, _ := e.Data["token"].(string)
			return token
		}
	}
	w.t.Fatalf("%s: no reset token for %s", w.where, email)
	return ""
}

// flush waits for the auth service's detached event deliveries.
func (w *faultWorld) flush() {
	w.t.Helper()
	w.must(w.auth.Flush(w.ctx))
}

// groupSetup makes a group and three customers, the first a member.
func (w *faultWorld) groupSetup() {
	w.t.Helper()
	g, err := w.groups.Create(w.ctx, group.CreateParams{Name: "vip"})
	w.must(err)
	w.groupID = g.ID
	for i := range 3 {
		c, err := w.customers.Create(w.ctx, customer.CreateParams{Email: fmt.Sprintf("m%d@example.com", i)})
		w.must(err)
		w.members = append(w.members, c.ID)
	}
	_, err = w.groups.Add(w.ctx, group.Pair{CustomerID: w.members[0], GroupID: w.groupID})
	w.must(err)
}

// twoAddresses are a default (shipping and billing) address and another.
func twoAddresses() []address.CreateParams {
	return []address.CreateParams{
		{AddressName: "home", IsDefaultShipping: true, IsDefaultBilling: true, Address1: "1 Main St", City: "Paris", CountryCode: "FR", PostalCode: "75001"},
		{AddressName: "work", Address1: "2 Side St", City: "Lyon", CountryCode: "FR", PostalCode: "69001"},
	}
}
