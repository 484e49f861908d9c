package storetest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// verificationStore returns the store as an auth.VerificationStore; a
// backend without one (it is optional) skips these tests, saying so.
func (e *env) verificationStore() auth.VerificationStore {
	e.t.Helper()
	vs, ok := e.st.(auth.VerificationStore)
	if !ok {
		e.t.Skip("the backend implements no auth.VerificationStore (optional)")
	}
	return vs
}

func newVerification(id, identity, entity, hash string, t time.Time) *auth.Verification {
	return &auth.Verification{
		ID: id, AuthIdentityID: identity, EntityID: entity, EntityType: "email", CodeProvider: "token",
		RequestedAt: t, CodeHash: hash, ProviderMetadata: map[string]any{}, Metadata: map[string]any{"source": "test"},
		CreatedAt: t, UpdatedAt: t,
	}
}

// renew calls RenewVerification and checks whether it renewed.
func (e *env) renew(vs auth.VerificationStore, v *auth.Verification, replace, wantRenewed bool) *auth.Verification {
	e.t.Helper()
	out, renewed, err := vs.RenewVerification(e.ctx, v, replace)
	e.must(err)
	if renewed != wantRenewed {
		e.t.Fatalf("renewed %v, want %v", renewed, wantRenewed)
	}
	return out
}

func (e *env) verificationsOf(vs auth.VerificationStore, f auth.VerificationFilter) []*auth.Verification {
	e.t.Helper()
	got, err := vs.ListVerifications(e.ctx, f)
	e.must(err)
	return got
}

func verificationID(v *auth.Verification) string { return v.ID }

var verificationTests = []test{
	{"Verification/RoundTrip", func(e *env) {
		vs := e.verificationStore()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a")}))
		t0 := now().Add(123 * time.Microsecond)
		v := newVerification("authver_1", "authid_a", "ada@example.com", "hash1", t0)
		v.ProviderMetadata = map[string]any{"channel": "mail"}
		got := e.renew(vs, v, false, true)
		e.same(v, got)
		list := e.verificationsOf(vs, auth.VerificationFilter{CodeHashes: []string{"hash1"}})
		e.same([]*auth.Verification{v}, list)
		if list[0].RequestedAt.Location() != time.UTC || !list[0].RequestedAt.Equal(t0) {
			e.t.Fatalf("requested_at %v, want %v in UTC", list[0].RequestedAt, t0)
		}
		// Copies: changing what was returned changes nothing stored.
		list[0].Metadata["source"] = "changed"
		list[0].EntityID = "x"
		got.ProviderMetadata["channel"] = "changed"
		e.same([]*auth.Verification{v}, e.verificationsOf(vs, auth.VerificationFilter{IDs: []string{"authver_1"}}))
		// Without metadata.
		w := newVerification("authver_2", "authid_a", "ada@example.com", "hash2", t0)
		w.EntityType, w.Metadata = "phone", nil
		e.same(w, e.renew(vs, w, false, true))
		e.same(w, e.verificationsOf(vs, auth.VerificationFilter{EntityTypes: []string{"phone"}})[0])
	}},
	{"Verification/Filters", func(e *env) {
		vs := e.verificationStore()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a"), newIdentity("authid_b")}))
		t0 := now()
		e.renew(vs, newVerification("authver_1", "authid_a", "a@example.com", "h1", t0), false, true)
		e.renew(vs, newVerification("authver_2", "authid_a", "b@example.com", "h2", t0), false, true)
		e.renew(vs, newVerification("authver_3", "authid_b", "a@example.com", "h3", t0), false, true)
		for _, tc := range []struct {
			name string
			f    auth.VerificationFilter
			want []string
		}{
			{"all", auth.VerificationFilter{}, []string{"authver_1", "authver_2", "authver_3"}},
			{"identity", auth.VerificationFilter{AuthIdentityIDs: []string{"authid_a"}}, []string{"authver_1", "authver_2"}},
			{"entity", auth.VerificationFilter{EntityIDs: []string{"a@example.com"}}, []string{"authver_1", "authver_3"}},
			{"entity is exact", auth.VerificationFilter{EntityIDs: []string{"A@example.com"}}, []string{}},
			{"identity and entity", auth.VerificationFilter{AuthIdentityIDs: []string{"authid_b"}, EntityIDs: []string{"a@example.com"}, EntityTypes: []string{"email"}}, []string{"authver_3"}},
			{"hashes", auth.VerificationFilter{CodeHashes: []string{"h2", "h3"}}, []string{"authver_2", "authver_3"}},
			{"type", auth.VerificationFilter{EntityTypes: []string{"phone"}}, []string{}},
			{"empty list matches nothing", auth.VerificationFilter{IDs: []string{}}, []string{}},
		} {
			got := ids(e.verificationsOf(vs, tc.f), verificationID)
			if len(got) == 0 {
				got = []string{}
			}
			if tc.want == nil {
				tc.want = []string{}
			}
			e.same(tc.want, got)
		}
	}},
	{"Verification/RenewReplacesTheCode", func(e *env) {
		vs := e.verificationStore()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a")}))
		t0 := now()
		first := e.renew(vs, newVerification("authver_1", "authid_a", "a@example.com", "old", t0), false, true)
		t1 := t0.Add(time.Minute)
		next := newVerification("authver_2", "authid_a", "a@example.com", "new", t1)
		next.Metadata = nil // kept
		got := e.renew(vs, next, false, true)
		want := *first
		want.CodeHash, want.RequestedAt, want.UpdatedAt = "new", t1, t1
		e.same(&want, got)
		e.same([]*auth.Verification{&want}, e.verificationsOf(vs, auth.VerificationFilter{}))
		if len(e.verificationsOf(vs, auth.VerificationFilter{CodeHashes: []string{"old"}})) != 0 {
			e.t.Fatal("the older code is still found")
		}
		ok, err := vs.MarkVerified(e.ctx, "authver_1", "old", t1)
		e.must(err)
		if ok {
			e.t.Fatal("the older code was marked verified")
		}
		// Metadata given replaces the row's.
		again := newVerification("authver_3", "authid_a", "a@example.com", "newer", t1)
		again.Metadata = map[string]any{"purpose": "change_email"}
		got = e.renew(vs, again, false, true)
		e.same(map[string]any{"purpose": "change_email"}, got.Metadata)
	}},
	{"Verification/VerifiedRowIsKept", func(e *env) {
		vs := e.verificationStore()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a")}))
		t0 := now()
		e.renew(vs, newVerification("authver_1", "authid_a", "a@example.com", "h1", t0), false, true)
		t1 := t0.Add(time.Second)
		ok, err := vs.MarkVerified(e.ctx, "authver_1", "h1", t1)
		e.must(err)
		if !ok {
			e.t.Fatal("not marked")
		}
		verified := e.verificationsOf(vs, auth.VerificationFilter{})[0]
		if verified.VerifiedAt == nil || !verified.VerifiedAt.Equal(t1) || !verified.UpdatedAt.Equal(t1) {
			e.t.Fatalf("verified_at %v updated_at %v, want %v", verified.VerifiedAt, verified.UpdatedAt, t1)
		}
		got := e.renew(vs, newVerification("authver_2", "authid_a", "a@example.com", "h2", t1.Add(time.Second)), false, false)
		e.same(verified, got)
		e.same([]*auth.Verification{verified}, e.verificationsOf(vs, auth.VerificationFilter{}))
		// replaceVerified: a new code, unverified again.
		t2 := t1.Add(time.Minute)
		got = e.renew(vs, newVerification("authver_3", "authid_a", "a@example.com", "h3", t2), true, true)
		if got.ID != "authver_1" || got.VerifiedAt != nil || got.CodeHash != "h3" || !got.RequestedAt.Equal(t2) {
			e.t.Fatalf("after a forced renewal: %+v", got)
		}
	}},
	{"Verification/MarkVerifiedOnce", func(e *env) {
		vs := e.verificationStore()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a")}))
		t0 := now()
		e.renew(vs, newVerification("authver_1", "authid_a", "a@example.com", "h1", t0), false, true)
		for _, tc := range []struct{ id, hash string }{{"authver_1", "wrong"}, {"authver_none", "h1"}} {
			ok, err := vs.MarkVerified(e.ctx, tc.id, tc.hash, t0)
			e.must(err)
			if ok {
				e.t.Fatalf("MarkVerified(%s, %s) marked", tc.id, tc.hash)
			}
		}
		const n = 8
		var wg sync.WaitGroup
		oks := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { oks[i], errs[i] = vs.MarkVerified(e.ctx, "authver_1", "h1", t0) })
		}
		wg.Wait()
		marked := 0
		for i := range n {
			e.must(errs[i])
			if oks[i] {
				marked++
			}
		}
		if marked != 1 {
			e.t.Fatalf("%d concurrent MarkVerified marked, want exactly 1", marked)
		}
	}},
	{"Verification/ConcurrentRenewalsLeaveOneRow", func(e *env) {
		vs := e.verificationStore()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a")}))
		t0 := now()
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				v := newVerification("authver_"+string(rune('a'+i)), "authid_a", "a@example.com", "h"+string(rune('a'+i)), t0)
				_, _, errs[i] = vs.RenewVerification(e.ctx, v, false)
			})
		}
		wg.Wait()
		for _, err := range errs {
			e.must(err)
		}
		if got := e.verificationsOf(vs, auth.VerificationFilter{}); len(got) != 1 {
			e.t.Fatalf("%d rows after concurrent renewals, want 1", len(got))
		}
	}},
	{"Verification/UnknownIdentityAndBadInput", func(e *env) {
		vs := e.verificationStore()
		_, _, err := vs.RenewVerification(e.ctx, newVerification("authver_1", "authid_none", "a@example.com", "h", now()), false)
		e.wantErr(err, store.ErrNotFound)
		for _, v := range []*auth.Verification{
			nil,
			newVerification("", "authid_a", "a@example.com", "h", now()),
			newVerification("authver_1", "", "a@example.com", "h", now()),
			newVerification("authver_1", "authid_a", "", "h", now()),
		} {
			_, _, err := vs.RenewVerification(e.ctx, v, false)
			e.wantErr(err, store.ErrInvalid)
		}
		e.same(0, len(e.verificationsOf(vs, auth.VerificationFilter{})))
	}},
	{"Verification/DeletedWithTheirIdentity", func(e *env) {
		vs := e.verificationStore()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a"), newIdentity("authid_b")}))
		e.renew(vs, newVerification("authver_1", "authid_a", "a@example.com", "h1", now()), false, true)
		e.renew(vs, newVerification("authver_2", "authid_b", "b@example.com", "h2", now()), false, true)
		e.must(e.st.DeleteAuthIdentities(e.ctx, []string{"authid_a"}))
		e.same([]string{"authver_2"}, ids(e.verificationsOf(vs, auth.VerificationFilter{}), verificationID))
	}},
	{"Verification/RolledBackWithTheUnit", func(e *env) {
		vs := e.verificationStore()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity("authid_a")}))
		e.renew(vs, newVerification("authver_1", "authid_a", "a@example.com", "h1", now()), false, true)
		boom := errors.New("boom")
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			if _, _, err := vs.RenewVerification(ctx, newVerification("authver_2", "authid_a", "b@example.com", "h2", now()), false); err != nil {
				return err
			}
			if ok, err := vs.MarkVerified(ctx, "authver_1", "h1", now()); err != nil || !ok {
				return errors.Join(err, errors.New("not marked"))
			}
			return boom
		})
		e.wantErr(err, boom)
		got := e.verificationsOf(vs, auth.VerificationFilter{})
		if len(got) != 1 || got[0].VerifiedAt != nil {
			e.t.Fatalf("after a rolled back unit: %d rows, first verified %v", len(got), got[0].VerifiedAt)
		}
	}},
}
