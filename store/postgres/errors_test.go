package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

var now = time.Now().UTC().Truncate(time.Microsecond)

func newCustomer(id, email string, hasAccount bool) *customer.Customer {
	return &customer.Customer{ID: id, Email: email, HasAccount: hasAccount, CreatedAt: now, UpdatedAt: now}
}

func wantConflict(t *testing.T, err error, msg string, entity string, fields [][2]string) {
	t.Helper()
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("error %v (%T) is not a conflict", err, err)
	}
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *store.ConflictError", err, err)
	}
	if err.Error() != msg {
		t.Errorf("message %q, want %q", err.Error(), msg)
	}
	if ce.Entity != entity || ce.Err != nil {
		t.Errorf("entity %q, err %v; want %q, nil", ce.Entity, ce.Err, entity)
	}
	if diff := cmp.Diff(fields, ce.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func wantNotFound(t *testing.T, err error, entity string, ids ...string) {
	t.Helper()
	var nf *store.NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("error %v (%T) is not a *store.NotFoundError", err, err)
	}
	if nf.Entity != entity || nf.Err != nil {
		t.Errorf("entity %q, err %v; want %q, nil", nf.Entity, nf.Err, entity)
	}
	if diff := cmp.Diff(ids, nf.IDs); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

// TestUniqueViolations checks that each unique index of Medusa's schema
// is reported as Medusa reports it.
func TestUniqueViolations(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	must(t, st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_1", "a@example.com", false)}))

	err := st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_2", "a@example.com", false)})
	wantConflict(t, err, "Customer with email: a@example.com, has_account: false, already exists.",
		"Customer", [][2]string{{"email", "a@example.com"}, {"has_account", "false"}})

	// One guest and one registered customer may share an email.
	must(t, st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_2", "a@example.com", true)}))
	err = st.UpdateCustomers(ctx, []*customer.Customer{newCustomer("cus_1", "a@example.com", true)})
	wantConflict(t, err, "Customer with email: a@example.com, has_account: true, already exists.",
		"Customer", [][2]string{{"email", "a@example.com"}, {"has_account", "true"}})

	// Within one multi-row statement too.
	err = st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_3", "b@example.com", false), newCustomer("cus_4", "b@example.com", false)})
	wantConflict(t, err, "Customer with email: b@example.com, has_account: false, already exists.",
		"Customer", [][2]string{{"email", "b@example.com"}, {"has_account", "false"}})

	err = st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_1", "c@example.com", false)})
	wantConflict(t, err, "Customer with id: cus_1, already exists.", "Customer", [][2]string{{"id", "cus_1"}})

	g := func(id, name string) *group.Group {
		return &group.Group{ID: id, Name: name, CreatedAt: now, UpdatedAt: now}
	}
	must(t, st.InsertGroups(ctx, []*group.Group{g("cusgroup_1", "Friends, family")}))
	err = st.InsertGroups(ctx, []*group.Group{g("cusgroup_2", "Friends, family")})
	wantConflict(t, err, "Customer group with name: Friends, family, already exists.",
		"Customer group", [][2]string{{"name", "Friends, family"}})

	a := func(id string, shipping, billing bool) *address.Address {
		return &address.Address{ID: id, CustomerID: "cus_1", IsDefaultShipping: shipping, IsDefaultBilling: billing, CreatedAt: now, UpdatedAt: now}
	}
	must(t, st.InsertAddresses(ctx, []*address.Address{a("cuaddr_1", true, true)}))
	for _, second := range []*address.Address{a("cuaddr_2", true, false), a("cuaddr_2", false, true)} {
		err = st.InsertAddresses(ctx, []*address.Address{second})
		wantConflict(t, err, "Customer address with customer_id: cus_1, already exists.",
			"Customer address", [][2]string{{"customer_id", "cus_1"}})
	}
}

// TestForeignKeyViolations checks that a reference to a missing customer
// or group is reported as a *store.NotFoundError naming it.
func TestForeignKeyViolations(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	must(t, st.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_1", "", false)}))
	must(t, st.InsertGroups(ctx, []*group.Group{{ID: "cusgroup_1", Name: "VIP", CreatedAt: now, UpdatedAt: now}}))

	err := st.InsertAddresses(ctx, []*address.Address{{ID: "cuaddr_1", CustomerID: "cus_missing", CreatedAt: now, UpdatedAt: now}})
	wantNotFound(t, err, "Customer", "cus_missing")

	m := func(customerID, groupID string) []*group.Membership {
		return []*group.Membership{{ID: "cusgc_1", CustomerID: customerID, GroupID: groupID, CreatedAt: now, UpdatedAt: now}}
	}
	wantNotFound(t, st.InsertMemberships(ctx, m("cus_missing", "cusgroup_1")), "Customer", "cus_missing")
	wantNotFound(t, st.InsertMemberships(ctx, m("cus_1", "cusgroup_missing")), "CustomerGroup", "cusgroup_missing")
}

// TestServiceConflictMessage checks the message a duplicate email gets
// through the customer service, whichever of the service's check and the
// unique index catches it.
func TestServiceConflictMessage(t *testing.T) {
	ctx := t.Context()
	svc := newCustomers(t, pgtest.NewStore(t))
	if _, err := svc.Create(ctx, customer.CreateParams{Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Create(ctx, customer.CreateParams{Email: " A@example.com"})
	if !errors.Is(err, customer.ErrConflict) || err.Error() != "Customer with email: a@example.com, has_account: false, already exists." {
		t.Errorf("got %v", err)
	}

	// Racing creators pass the service's check together; the index stops
	// all but one, with the same error.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = svc.Create(ctx, customer.CreateParams{Email: "race@example.com", HasAccount: true})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, customer.ErrConflict) && err.Error() == "Customer with email: race@example.com, has_account: true, already exists.":
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded, want 1", ok)
	}
}

// TestContextErrors checks that a cancelled context or one that expires
// while a statement waits surfaces as the context's error.
func TestContextErrors(t *testing.T) {
	st := pgtest.NewStore(t)
	must(t, st.InsertCustomers(t.Context(), []*customer.Customer{newCustomer("cus_1", "", false)}))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("list with a cancelled context: %v", err)
	}
	if err := st.InTx(ctx, func(context.Context) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("InTx with a cancelled context: %v", err)
	}

	// Hold the customer's lock; a second locker times out waiting for it.
	locked := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- st.InTx(t.Context(), func(ctx context.Context) error {
			if _, err := st.LockCustomers(ctx, []string{"cus_1"}); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := st.InTx(ctx, func(ctx context.Context) error {
		_, err := st.LockCustomers(ctx, []string{"cus_1"})
		return err
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past the deadline: %v", err)
	}
}

// TestDeadlockIsConflict makes two units of work update two customers in
// opposite orders: PostgreSQL aborts one, which reports ErrConflict (a
// retry may succeed).
func TestDeadlockIsConflict(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	a, b := newCustomer("cus_a", "", false), newCustomer("cus_b", "", false)
	must(t, st.InsertCustomers(ctx, []*customer.Customer{a, b}))

	var first sync.WaitGroup
	first.Add(2)
	update := func(x, y *customer.Customer) error {
		return st.InTx(ctx, func(ctx context.Context) error {
			if err := st.UpdateCustomers(ctx, []*customer.Customer{x}); err != nil {
				return err
			}
			first.Done()
			first.Wait()
			return st.UpdateCustomers(ctx, []*customer.Customer{y})
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- update(a, b) }()
	go func() { errs <- update(b, a) }()
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("want exactly one failure, got %v and %v", e1, e2)
	}
	if err := errors.Join(e1, e2); !errors.Is(err, store.ErrConflict) {
		t.Errorf("deadlock reported as %v", err)
	}
}

// TestUnitsBelongToTheirStore checks that a Store joins only the units of
// work it opened: another Store on the same database runs on its own.
func TestUnitsBelongToTheirStore(t *testing.T) {
	ctx := t.Context()
	one := pgtest.NewStore(t)
	other := postgres.New(one.DB())
	failed := errors.New("fail")
	err := one.InTx(ctx, func(ctx context.Context) error {
		must(t, one.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_rolled_back", "", false)}))
		must(t, other.InsertCustomers(ctx, []*customer.Customer{newCustomer("cus_kept", "", false)}))
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatal(err)
	}
	got, err := one.ListCustomers(ctx, customer.Filter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "cus_kept" {
		t.Errorf("got %v, want only cus_kept", customerIDs(got))
	}
}

// TestSearchEscapes checks that q matches LIKE's special characters and
// quotes literally.
func TestSearchEscapes(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	names := map[string]string{"cus_1": "100% Bio", "cus_2": "a_b", "cus_3": `back\slash`, "cus_4": "O'Brien", "cus_5": "1000 Bio", "cus_6": "axb"}
	for id, name := range names {
		c := newCustomer(id, "", false)
		c.CompanyName = name
		must(t, st.InsertCustomers(ctx, []*customer.Customer{c}))
	}
	for q, want := range map[string][]string{
		"0%":       {"cus_1"},
		"a_b":      {"cus_2"},
		`k\s`:      {"cus_3"},
		"o'b":      {"cus_4"},
		"bio 100":  {"cus_1", "cus_5"},
		"%":        {"cus_1"},
		"_":        {"cus_2"},
		"\x00":     {},
		"\xff":     {},
		"missing":  {},
		"  bio  ":  {"cus_1", "cus_5"},
		`\`:        {"cus_3"},
		"''":       {},
		"O'BRIEN ": {"cus_4"},
	} {
		got, err := st.ListCustomers(ctx, customer.Filter{Q: q}, store.ListOptions{})
		if err != nil {
			t.Fatalf("q %q: %v", q, err)
		}
		if diff := cmp.Diff(want, customerIDs(got)); diff != "" {
			t.Errorf("q %q (-want +got):\n%s", q, diff)
		}
		n, err := st.CountCustomers(ctx, customer.Filter{Q: q}, store.ListOptions{})
		if err != nil || n != len(want) {
			t.Errorf("count q %q: %d, %v", q, n, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
