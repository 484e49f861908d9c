package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/postgres"
)

// authRoundTrip writes and reads every kind of auth value through st, in
// whatever exec mode its connections use (see TestExecModes).
func authRoundTrip(t *testing.T, st *postgres.Store) {
	ctx := t.Context()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)
	deleted := t0.Add(time.Hour)
	pi := func(id, entity, provider, authID string, at time.Time) *auth.ProviderIdentity {
		return &auth.ProviderIdentity{ID: id, EntityID: entity, Provider: provider, AuthIdentityID: authID, CreatedAt: at, UpdatedAt: at}
	}
	a1 := &auth.AuthIdentity{ID: "authid_1", AppMetadata: map[string]any{"customer_id": "cus_1", "n": 1.5, "tags": []any{"a", nil}},
		CreatedAt: t0, UpdatedAt: t0, ProviderIdentities: []*auth.ProviderIdentity{
			pi("01P2", "Ada@Example.com", "emailpass", "authid_1", t0.Add(time.Second)),
			pi("01P1", "ada-sub", "google", "authid_1", t0),
		}}
	a1.ProviderIdentities[0].ProviderMetadata = map[string]any{"password": "hash"}
	a1.ProviderIdentities[1].UserMetadata = map[string]any{"name": "Zoë O'Neil", "nested": map[string]any{"x": true}}
	a1.ProviderIdentities[1].ProviderMetadata = map[string]any{}
	a2 := &auth.AuthIdentity{ID: "authid_2", CreatedAt: t0.Add(time.Second), UpdatedAt: t0.Add(time.Second), DeletedAt: &deleted,
		ProviderIdentities: []*auth.ProviderIdentity{pi("01P3", "ada@example.com", "emailpass", "authid_2", t0.Add(2*time.Second))}}
	a3 := &auth.AuthIdentity{ID: "authid_3", AppMetadata: map[string]any{}, CreatedAt: t0.Add(2 * time.Second), UpdatedAt: t0.Add(2 * time.Second)}
	must(t, st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{a1, a2, a3}))

	// Reads return the provider identities in id order.
	a1.ProviderIdentities[0], a1.ProviderIdentities[1] = a1.ProviderIdentities[1], a1.ProviderIdentities[0]
	a3.ProviderIdentities = []*auth.ProviderIdentity{}
	list := func(f auth.IdentityFilter, opts store.ListOptions) []*auth.AuthIdentity {
		t.Helper()
		got, err := st.ListAuthIdentities(ctx, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff([]*auth.AuthIdentity{a1, a2, a3}, list(auth.IdentityFilter{}, store.ListOptions{WithDeleted: true})); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	ids := func(as []*auth.AuthIdentity) []string {
		out := []string{}
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		f    auth.IdentityFilter
		opts store.ListOptions
		want []string
	}{
		"live":                 {auth.IdentityFilter{}, store.ListOptions{}, []string{"authid_1", "authid_3"}},
		"ids":                  {auth.IdentityFilter{IDs: []string{"authid_2", "authid_3"}}, store.ListOptions{WithDeleted: true}, []string{"authid_2", "authid_3"}},
		"no ids":               {auth.IdentityFilter{IDs: []string{}}, store.ListOptions{}, []string{}},
		"entity":               {auth.IdentityFilter{EntityIDs: []string{"ada-sub"}}, store.ListOptions{}, []string{"authid_1"}},
		"entity is exact":      {auth.IdentityFilter{EntityIDs: []string{"ada@example.com"}}, store.ListOptions{WithDeleted: true}, []string{"authid_2"}},
		"provider":             {auth.IdentityFilter{Providers: []string{"emailpass"}}, store.ListOptions{WithDeleted: true}, []string{"authid_1", "authid_2"}},
		"entity and provider":  {auth.IdentityFilter{EntityIDs: []string{"ada-sub"}, Providers: []string{"emailpass"}}, store.ListOptions{}, []string{}},
		"no providers":         {auth.IdentityFilter{Providers: []string{}}, store.ListOptions{}, []string{}},
		"app_metadata":         {auth.IdentityFilter{AppMetadata: map[string]any{"customer_id": "cus_1", "n": 1.5}}, store.ListOptions{}, []string{"authid_1"}},
		"app_metadata other":   {auth.IdentityFilter{AppMetadata: map[string]any{"customer_id": "cus_2"}}, store.ListOptions{}, []string{}},
		"app_metadata missing": {auth.IdentityFilter{AppMetadata: map[string]any{"user_id": nil}}, store.ListOptions{}, []string{}},
		"app_metadata empty":   {auth.IdentityFilter{AppMetadata: map[string]any{}}, store.ListOptions{}, []string{"authid_1", "authid_3"}},
		"order":                {auth.IdentityFilter{}, store.ListOptions{Order: []store.Order{store.Desc("created_at")}}, []string{"authid_3", "authid_1"}},
		"page":                 {auth.IdentityFilter{}, store.ListOptions{Skip: 1, Take: 1, WithDeleted: true}, []string{"authid_2"}},
	} {
		if diff := cmp.Diff(tc.want, ids(list(tc.f, tc.opts))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		n, err := st.CountAuthIdentities(ctx, tc.f, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if tc.opts.Take == 0 && n != len(tc.want) {
			t.Errorf("%s: count %d, want %d", name, n, len(tc.want))
		}
	}
	if _, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{}, store.ListOptions{Order: []store.Order{store.Asc("app_metadata")}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("order by app_metadata: %v", err)
	}

	// Provider identities.
	pids := func(f auth.ProviderIdentityFilter, opts store.ListOptions) []string {
		t.Helper()
		got, err := st.ListProviderIdentities(ctx, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, p := range got {
			out = append(out, p.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		f    auth.ProviderIdentityFilter
		opts store.ListOptions
		want []string
	}{
		"all":         {auth.ProviderIdentityFilter{}, store.ListOptions{}, []string{"01P1", "01P2", "01P3"}},
		"exact":       {auth.ProviderIdentityFilter{EntityIDs: []string{"ada@example.com"}, Providers: []string{"emailpass"}}, store.ListOptions{}, []string{"01P3"}},
		"fold":        {auth.ProviderIdentityFilter{EntityIDsFold: []string{"ada@example.com"}, Providers: []string{"emailpass"}}, store.ListOptions{}, []string{"01P2", "01P3"}},
		"fold oldest": {auth.ProviderIdentityFilter{EntityIDsFold: []string{"ada@example.com"}}, store.ListOptions{Order: []store.Order{store.Asc("created_at")}, Take: 1}, []string{"01P2"}},
		"identities":  {auth.ProviderIdentityFilter{AuthIdentityIDs: []string{"authid_1", "authid_3"}}, store.ListOptions{}, []string{"01P1", "01P2"}},
		"ids":         {auth.ProviderIdentityFilter{IDs: []string{"01P3", "01P9"}}, store.ListOptions{}, []string{"01P3"}},
		"none":        {auth.ProviderIdentityFilter{EntityIDsFold: []string{}}, store.ListOptions{}, []string{}},
	} {
		if diff := cmp.Diff(tc.want, pids(tc.f, tc.opts)); diff != "" {
			t.Errorf("provider identities %s (-want +got):\n%s", name, diff)
		}
	}

	// Updates write their columns only.
	up := *a1
	up.AppMetadata, up.UpdatedAt, up.CreatedAt = nil, t0.Add(time.Minute), time.Time{}
	must(t, st.UpdateAuthIdentities(ctx, []*auth.AuthIdentity{&up}))
	a1.AppMetadata, a1.UpdatedAt = nil, up.UpdatedAt
	p := *a1.ProviderIdentities[1]
	p.EntityID, p.UserMetadata, p.ProviderMetadata, p.UpdatedAt = "ada@example.org", map[string]any{"k": "v"}, nil, t0.Add(time.Minute)
	p.Provider, p.AuthIdentityID = "ignored", "ignored"
	must(t, st.UpdateProviderIdentities(ctx, []*auth.ProviderIdentity{&p}))
	p.Provider, p.AuthIdentityID = "emailpass", "authid_1"
	a1.ProviderIdentities[1] = &p
	if diff := cmp.Diff([]*auth.AuthIdentity{a1}, list(auth.IdentityFilter{IDs: []string{"authid_1"}}, store.ListOptions{})); diff != "" {
		t.Errorf("after updates (-want +got):\n%s", diff)
	}
	// A soft-deleted provider identity leaves its identity's list.
	p.DeletedAt = &deleted
	must(t, st.UpdateProviderIdentities(ctx, []*auth.ProviderIdentity{&p}))
	got := list(auth.IdentityFilter{IDs: []string{"authid_1"}}, store.ListOptions{})
	if len(got) != 1 || len(got[0].ProviderIdentities) != 1 || got[0].ProviderIdentities[0].ID != "01P1" {
		t.Errorf("after a soft delete: %+v", got)
	}

	// Reset tokens: a new one replaces the older ones; a take works once.
	tok := func(id, hash string) *auth.ResetToken {
		return &auth.ResetToken{ID: id, AuthIdentityID: "authid_2", ProviderIdentityID: "01P3", EntityID: "ada@example.com",
			TokenHash: hash, ExpiresAt: t0.Add(15 * time.Minute), CreatedAt: t0, UpdatedAt: t0}
	}
	must(t, st.ReplaceResetToken(ctx, tok("authprt_1", "h1")))
	must(t, st.ReplaceResetToken(ctx, tok("authprt_2", "h2")))
	if _, err := st.TakeResetToken(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a replaced token was taken: %v", err)
	}
	rt, err := st.TakeResetToken(ctx, "h2")
	must(t, err)
	if diff := cmp.Diff(tok("authprt_2", "h2"), rt); diff != "" {
		t.Errorf("reset token (-want +got):\n%s", diff)
	}
	if _, err := st.TakeResetToken(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a token was taken twice: %v", err)
	}

	// OAuth state.
	now := time.Now()
	must(t, st.PutState(ctx, "k", []byte{0, 1, 0xff}, now.Add(time.Minute)))
	must(t, st.PutState(ctx, "k", []byte("v\x00w"), now.Add(time.Minute))) // replaces
	v, err := st.TakeState(ctx, "k", now)
	must(t, err)
	if string(v) != "v\x00w" {
		t.Errorf("state %q", v)
	}
	if _, err := st.TakeState(ctx, "k", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("state taken twice: %v", err)
	}
	must(t, st.PutState(ctx, "empty", nil, now.Add(time.Minute)))
	if v, err := st.TakeState(ctx, "empty", now); err != nil || len(v) != 0 {
		t.Errorf("empty state: %q, %v", v, err)
	}

	// Hard deletes cascade to provider identities and reset tokens.
	must(t, st.ReplaceResetToken(ctx, tok("authprt_3", "h3")))
	must(t, st.DeleteProviderIdentities(ctx, []string{"01P3"}))
	if _, err := st.TakeResetToken(ctx, "h3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the token of a deleted provider identity was taken: %v", err)
	}
	must(t, st.DeleteAuthIdentities(ctx, []string{"authid_1", "authid_2", "authid_3"}))
	if left := pids(auth.ProviderIdentityFilter{}, store.ListOptions{WithDeleted: true}); len(left) != 0 {
		t.Errorf("provider identities left: %v", left)
	}
}

// TestAuthErrors checks the errors of the auth store: Medusa's message for
// an (entity_id, provider) pair taken, soft-deleted rows included, and
// not-found errors for missing parents.
func TestAuthErrors(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	identity := func(id string, pis ...*auth.ProviderIdentity) *auth.AuthIdentity {
		return &auth.AuthIdentity{ID: id, CreatedAt: now, UpdatedAt: now, ProviderIdentities: pis}
	}
	pi := func(id, entity, authID string) *auth.ProviderIdentity {
		return &auth.ProviderIdentity{ID: id, EntityID: entity, Provider: "emailpass", AuthIdentityID: authID, CreatedAt: now, UpdatedAt: now}
	}
	must(t, st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{identity("authid_1", pi("01P1", "Doe, Jane", "authid_1"))}))
	const msg = "Provider identity with entity_id: Doe, Jane, provider: emailpass, already exists."
	fields := [][2]string{{"entity_id", "Doe, Jane"}, {"provider", "emailpass"}}

	err := st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{identity("authid_2", pi("01P2", "Doe, Jane", "authid_2"))})
	wantConflict(t, err, msg, "Provider identity", fields)
	err = st.InsertProviderIdentities(ctx, []*auth.ProviderIdentity{pi("01P2", "Doe, Jane", "authid_1")})
	wantConflict(t, err, msg, "Provider identity", fields)
	// Two new identities with one pair, in one statement.
	err = st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{
		identity("authid_2", pi("01P2", "x@example.com", "authid_2")), identity("authid_3", pi("01P3", "x@example.com", "authid_3")),
	})
	wantConflict(t, err, "Provider identity with entity_id: x@example.com, provider: emailpass, already exists.", "Provider identity",
		[][2]string{{"entity_id", "x@example.com"}, {"provider", "emailpass"}})
	err = st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{identity("authid_1")})
	wantConflict(t, err, "Auth identity with id: authid_1, already exists.", "Auth identity", [][2]string{{"id", "authid_1"}})
	// Nothing of a failed insert is left.
	if got, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{}, store.ListOptions{WithDeleted: true}); err != nil || len(got) != 1 {
		t.Fatalf("after failed inserts: %d identities, %v", len(got), err)
	}

	// The pair stays taken while its provider identity is soft-deleted, and
	// an update to a taken pair conflicts too.
	must(t, st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{identity("authid_2", pi("01P2", "y@example.com", "authid_2"))}))
	gone := pi("01P1", "Doe, Jane", "authid_1")
	gone.DeletedAt = &now
	must(t, st.UpdateProviderIdentities(ctx, []*auth.ProviderIdentity{gone}))
	err = st.UpdateProviderIdentities(ctx, []*auth.ProviderIdentity{pi("01P2", "Doe, Jane", "authid_2")})
	wantConflict(t, err, msg, "Provider identity", fields)

	wantNotFound(t, st.InsertProviderIdentities(ctx, []*auth.ProviderIdentity{pi("01P9", "z@example.com", "authid_nope")}), "AuthIdentity", "authid_nope")
	tok := &auth.ResetToken{ID: "authprt_1", AuthIdentityID: "authid_2", ProviderIdentityID: "01P_nope", EntityID: "y@example.com",
		TokenHash: "h", ExpiresAt: now.Add(time.Minute), CreatedAt: now, UpdatedAt: now}
	wantNotFound(t, st.ReplaceResetToken(ctx, tok), "ProviderIdentity", "01P_nope")
	tok.ProviderIdentityID, tok.AuthIdentityID = "01P2", "authid_nope"
	wantNotFound(t, st.ReplaceResetToken(ctx, tok), "AuthIdentity", "authid_nope")
	if _, err := st.TakeResetToken(ctx, "h"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("take a missing token: %v", err)
	}
	if _, err := st.TakeState(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("take a missing state: %v", err)
	}
	if _, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{AppMetadata: map[string]any{"f": func() {}}}, store.ListOptions{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("app_metadata that is not JSON: %v", err)
	}
}

// TestAuthConcurrency races the auth store's single-use and replace
// operations: one taker wins a reset token or a state, and concurrent
// replacements leave exactly one reset token.
func TestAuthConcurrency(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	must(t, st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{{ID: "authid_1", CreatedAt: now, UpdatedAt: now,
		ProviderIdentities: []*auth.ProviderIdentity{{ID: "01P1", EntityID: "a@example.com", Provider: "emailpass", AuthIdentityID: "authid_1", CreatedAt: now, UpdatedAt: now}}}}))
	tok := func(i int) *auth.ResetToken {
		return &auth.ResetToken{ID: fmt.Sprintf("authprt_%02d", i), AuthIdentityID: "authid_1", ProviderIdentityID: "01P1",
			EntityID: "a@example.com", TokenHash: fmt.Sprintf("h%02d", i), ExpiresAt: now.Add(time.Minute), CreatedAt: now, UpdatedAt: now}
	}
	const n = 20
	race := func(f func(i int) error) []error {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = f(i) })
		}
		wg.Wait()
		return errs
	}
	winners := func(what string, errs []error) {
		t.Helper()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("%s: %v", what, err)
			}
		}
		if ok != 1 {
			t.Errorf("%s: %d winners, want 1", what, ok)
		}
	}

	errs := race(func(i int) error { return st.ReplaceResetToken(ctx, tok(i)) })
	for _, err := range errs {
		must(t, err)
	}
	var left int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM auth_password_reset_token").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 1 {
		t.Errorf("%d reset tokens after concurrent replacements, want 1", left)
	}

	must(t, st.ReplaceResetToken(ctx, tok(99)))
	winners("take reset token", race(func(int) error {
		_, err := st.TakeResetToken(ctx, "h99")
		return err
	}))

	must(t, st.PutState(ctx, "k", []byte("v"), time.Now().Add(time.Minute)))
	winners("take state", race(func(int) error {
		_, err := st.TakeState(ctx, "k", time.Now())
		return err
	}))

	// Concurrent puts purge expired states without waiting on each other.
	for i := range 50 {
		must(t, st.PutState(ctx, fmt.Sprintf("old%02d", i), []byte("v"), time.Now().Add(-time.Minute)))
	}
	for _, err := range race(func(i int) error {
		return st.PutState(ctx, fmt.Sprintf("new%02d", i), []byte("v"), time.Now().Add(time.Minute))
	}) {
		must(t, err)
	}
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM clientele_auth_state WHERE expires_at < now()").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d expired states left", left)
	}
}

// TestAuthUnitOfWork checks that the auth store's writes join a unit of
// work and roll back with it.
func TestAuthUnitOfWork(t *testing.T) {
	ctx := t.Context()
	st := pgtest.NewStore(t)
	failed := errors.New("fail")
	err := st.InTx(ctx, func(ctx context.Context) error {
		must(t, st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{{ID: "authid_1", CreatedAt: now, UpdatedAt: now,
			ProviderIdentities: []*auth.ProviderIdentity{{ID: "01P1", EntityID: "a@example.com", Provider: "emailpass", AuthIdentityID: "authid_1", CreatedAt: now, UpdatedAt: now}}}}))
		must(t, st.ReplaceResetToken(ctx, &auth.ResetToken{ID: "authprt_1", AuthIdentityID: "authid_1", ProviderIdentityID: "01P1",
			EntityID: "a@example.com", TokenHash: "h", ExpiresAt: now.Add(time.Minute), CreatedAt: now, UpdatedAt: now}))
		must(t, st.PutState(ctx, "k", []byte("v"), now.Add(time.Minute)))
		got, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{EntityIDs: []string{"a@example.com"}}, store.ListOptions{Lock: true})
		if err != nil || len(got) != 1 || len(got[0].ProviderIdentities) != 1 {
			t.Errorf("inside the unit: %v, %v", got, err)
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatal(err)
	}
	var n int
	if err := st.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM auth_identity) + (SELECT count(*) FROM provider_identity)
		+ (SELECT count(*) FROM auth_password_reset_token) + (SELECT count(*) FROM clientele_auth_state)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows left by a unit that failed", n)
	}
}
