package storetest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// revocationStore returns the store as an auth.RevocationStore; a backend
// without one (it is optional) skips these tests, saying so.
func (e *env) revocationStore() auth.RevocationStore {
	e.t.Helper()
	rs, ok := e.st.(auth.RevocationStore)
	if !ok {
		e.t.Skip("the backend implements no auth.RevocationStore (optional)")
	}
	return rs
}

func (e *env) refreshStore() auth.RefreshTokenStore {
	e.t.Helper()
	rs, ok := e.st.(auth.RefreshTokenStore)
	if !ok {
		e.t.Skip("the backend implements no auth.RefreshTokenStore (optional)")
	}
	return rs
}

func (e *env) validAfter(rs auth.RevocationStore, id string) time.Time {
	e.t.Helper()
	t, err := rs.TokensValidAfter(e.ctx, id)
	e.must(err)
	return t
}

func newRefresh(id, family, identity, hash string, t time.Time) *auth.RefreshToken {
	return &auth.RefreshToken{
		ID: id, FamilyID: family, AuthIdentityID: identity, ActorType: "customer", AuthProvider: "emailpass",
		TokenHash: hash, LoginAt: t.Add(-time.Hour), CreatedAt: t, ExpiresAt: t.Add(24 * time.Hour),
	}
}

var revocationTests = []test{
	{"Revocation/ValidAfterRoundTripAndNeverBack", func(e *env) {
		rs := e.revocationStore()
		if got := e.validAfter(rs, "authid_none"); !got.IsZero() {
			e.t.Fatalf("unknown identity: %v, want the zero time", got)
		}
		t1 := now().Add(123 * time.Microsecond)
		e.must(rs.SetTokensValidAfter(e.ctx, "authid_a", t1))
		got := e.validAfter(rs, "authid_a")
		if !got.Equal(t1) || got.Location() != time.UTC {
			e.t.Fatalf("valid after %v, want %v in UTC", got, t1)
		}
		e.must(rs.SetTokensValidAfter(e.ctx, "authid_a", t1.Add(-time.Hour)))
		if got := e.validAfter(rs, "authid_a"); !got.Equal(t1) {
			e.t.Fatalf("moved back to %v, want %v", got, t1)
		}
		t2 := t1.Add(time.Second)
		e.must(rs.SetTokensValidAfter(e.ctx, "authid_a", t2))
		if got := e.validAfter(rs, "authid_a"); !got.Equal(t2) {
			e.t.Fatalf("valid after %v, want %v", got, t2)
		}
		if got := e.validAfter(rs, "authid_b"); !got.IsZero() {
			e.t.Fatalf("other identity: %v", got)
		}
		e.wantInvalid(rs.SetTokensValidAfter(e.ctx, "", t2), "auth_identity_id")
	}},
	{"Revocation/ValidAfterJoinsUnit", func(e *env) {
		rs := e.revocationStore()
		boom := errors.New("boom")
		t1 := now()
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			if err := rs.SetTokensValidAfter(ctx, "authid_a", t1); err != nil {
				return err
			}
			got, err := rs.TokensValidAfter(ctx, "authid_a")
			if err != nil || !got.Equal(t1) {
				return errors.Join(err, errors.New("the unit does not see its own write"))
			}
			return boom
		})
		e.wantErr(err, boom)
		if got := e.validAfter(rs, "authid_a"); !got.IsZero() {
			e.t.Fatalf("rolled back write kept: %v", got)
		}
		e.must(e.st.InTx(e.ctx, func(ctx context.Context) error { return rs.SetTokensValidAfter(ctx, "authid_a", t1) }))
		if got := e.validAfter(rs, "authid_a"); !got.Equal(t1) {
			e.t.Fatalf("committed write: %v", got)
		}
	}},
	{"Revocation/ValidAfterOutlivesIdentity", func(e *env) {
		rs := e.revocationStore()
		t0 := now()
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{{ID: "authid_gone", CreatedAt: t0, UpdatedAt: t0}}))
		e.must(rs.SetTokensValidAfter(e.ctx, "authid_gone", t0))
		e.must(e.st.DeleteAuthIdentities(e.ctx, []string{"authid_gone"}))
		if got := e.validAfter(rs, "authid_gone"); !got.Equal(t0) {
			e.t.Fatalf("after deleting the identity: %v, want %v", got, t0)
		}
	}},
	{"Refresh/RoundTripAndUseOnce", func(e *env) {
		rs := e.refreshStore()
		t0 := now()
		in := newRefresh("clrt_1", "fam_1", "authid_a", "hash-1", t0)
		e.must(rs.InsertRefreshToken(e.ctx, in))
		e.wantErr(rs.InsertRefreshToken(e.ctx, newRefresh("clrt_2", "fam_1", "authid_a", "hash-1", t0)), store.ErrConflict)
		got, err := rs.UseRefreshToken(e.ctx, "hash-1", t0.Add(time.Minute))
		e.must(err)
		e.same(in, got)
		again, err := rs.UseRefreshToken(e.ctx, "hash-1", t0.Add(2*time.Minute))
		e.must(err)
		if again.UsedAt == nil || !again.UsedAt.Equal(t0.Add(time.Minute)) {
			e.t.Fatalf("second use: used_at %v, want the first use's time", again.UsedAt)
		}
		_, err = rs.UseRefreshToken(e.ctx, "hash-unknown", t0)
		e.wantErr(err, store.ErrNotFound)
		e.wantErr(rs.InsertRefreshToken(e.ctx, &auth.RefreshToken{ID: "clrt_3"}), store.ErrInvalid)
	}},
	{"Refresh/ConcurrentUseOnce", func(e *env) {
		rs := e.refreshStore()
		t0 := now()
		e.must(rs.InsertRefreshToken(e.ctx, newRefresh("clrt_1", "fam_1", "authid_a", "hash-1", t0)))
		const n = 8
		var wg sync.WaitGroup
		fresh := make(chan bool, n)
		for range n {
			wg.Go(func() {
				got, err := rs.UseRefreshToken(e.ctx, "hash-1", time.Now())
				fresh <- err == nil && got.UsedAt == nil
			})
		}
		wg.Wait()
		close(fresh)
		count := 0
		for f := range fresh {
			if f {
				count++
			}
		}
		e.same(1, count)
	}},
	{"Refresh/RevokeFamilyAndIdentity", func(e *env) {
		rs := e.refreshStore()
		t0 := now()
		for _, rt := range []*auth.RefreshToken{
			newRefresh("clrt_1", "fam_1", "authid_a", "h1", t0), newRefresh("clrt_2", "fam_1", "authid_a", "h2", t0),
			newRefresh("clrt_3", "fam_2", "authid_a", "h3", t0), newRefresh("clrt_4", "fam_3", "authid_b", "h4", t0),
		} {
			e.must(rs.InsertRefreshToken(e.ctx, rt))
		}
		revoked := func(hash string) bool {
			got, err := rs.UseRefreshToken(e.ctx, hash, t0)
			e.must(err)
			return got.RevokedAt != nil
		}
		t1 := t0.Add(time.Second)
		e.must(rs.RevokeRefreshFamily(e.ctx, "fam_1", t1))
		for h, want := range map[string]bool{"h1": true, "h2": true, "h3": false, "h4": false} {
			if got := revoked(h); got != want {
				e.t.Fatalf("%s revoked = %v, want %v", h, got, want)
			}
		}
		e.must(rs.RevokeRefreshTokensOf(e.ctx, "authid_a", t1.Add(time.Second)))
		got, err := rs.UseRefreshToken(e.ctx, "h1", t0)
		e.must(err)
		if !got.RevokedAt.Equal(t1) {
			e.t.Fatalf("revoked_at moved: %v, want %v", got.RevokedAt, t1)
		}
		if !revoked("h3") || revoked("h4") {
			e.t.Fatal("RevokeRefreshTokensOf revoked the wrong tokens")
		}
	}},
}
