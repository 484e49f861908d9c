package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// mfaStore returns the store as an auth.MFAStore; a backend without one
// (it is optional) skips these tests, saying so.
func (e *env) mfaStore() auth.MFAStore {
	e.t.Helper()
	ms, ok := e.st.(auth.MFAStore)
	if !ok {
		e.t.Skip("the backend implements no auth.MFAStore (optional)")
	}
	return ms
}

// identities inserts bare auth identities.
func (e *env) identities(ids ...string) {
	e.t.Helper()
	for _, id := range ids {
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{newIdentity(id)}))
	}
}

func newFactor(id, identity, status string) *auth.MFAFactor {
	t := now()
	return &auth.MFAFactor{
		ID: id, AuthIdentityID: identity, Provider: "totp", Status: status,
		ProviderMetadata: map[string]any{"secret": "v1:a:b:c", "issuer": "Medusa"},
		Metadata:         map[string]any{"label": "phone", "n": 1.5}, CreatedAt: t, UpdatedAt: t,
	}
}

func newChallenge(id, identity string, expires time.Time) *auth.MFAChallenge {
	return &auth.MFAChallenge{
		ID: id, AuthIdentityID: identity, AuthProvider: "emailpass", Methods: []string{"totp", "recovery_code"},
		ExpiresAt: expires, MaxAttempts: 5, CreatedAt: now(),
	}
}

func (e *env) factors(ms auth.MFAStore, f auth.MFAFactorFilter) []*auth.MFAFactor {
	e.t.Helper()
	out, err := ms.ListMFAFactors(e.ctx, f, store.ListOptions{})
	e.must(err)
	return out
}

// parallel runs f(0) … f(n-1) at once and fails on any error.
func (e *env) parallel(n int, f func(i int) error) {
	e.t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	e.must(errors.Join(errs...))
}

// noChallenge checks that the challenge id is gone.
func (e *env) noChallenge(ms auth.MFAStore, id string) {
	e.t.Helper()
	_, err := ms.GetMFAChallenge(e.ctx, id, false)
	e.wantErr(err, store.ErrNotFound)
}

// noCodes checks that the identity has no recovery codes.
func (e *env) noCodes(ms auth.MFAStore, identity string) {
	e.t.Helper()
	codes, err := ms.ListRecoveryCodes(e.ctx, identity)
	e.must(err)
	e.same(0, len(codes))
}

func factorIDs(fs []*auth.MFAFactor) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

var mfaTests = []test{
	{"MFA/FactorRoundTripAndFilters", func(e *env) {
		ms := e.mfaStore()
		e.identities("authid_a", "authid_b")
		a := newFactor("authmfa_1", "authid_a", auth.MFAEnabled)
		a.CreatedAt = a.CreatedAt.Add(123 * time.Nanosecond) // below a microsecond: dropped
		e.must(ms.InsertMFAFactor(e.ctx, a))
		b := newFactor("authmfa_2", "authid_b", auth.MFAPending)
		b.Metadata, b.ProviderMetadata = nil, nil
		e.must(ms.InsertMFAFactor(e.ctx, b))
		c := newFactor("authmfa_3", "authid_a", auth.MFADisabled)
		c.Provider = "sms"
		e.must(ms.InsertMFAFactor(e.ctx, c))

		got := e.factors(ms, auth.MFAFactorFilter{IDs: []string{"authmfa_1"}})
		want := *a
		want.CreatedAt = want.CreatedAt.Truncate(time.Microsecond)
		e.same([]*auth.MFAFactor{&want}, got)
		// Copies: changing what came back changes nothing stored.
		got[0].Metadata["label"] = "changed"
		got[0].ProviderMetadata["secret"] = "changed"
		e.same([]*auth.MFAFactor{&want}, e.factors(ms, auth.MFAFactorFilter{IDs: []string{"authmfa_1"}}))
		a.Metadata["label"] = "after insert"
		e.same("phone", e.factors(ms, auth.MFAFactorFilter{IDs: []string{"authmfa_1"}})[0].Metadata["label"])

		nilMeta := e.factors(ms, auth.MFAFactorFilter{IDs: []string{"authmfa_2"}})[0]
		if nilMeta.Metadata != nil || nilMeta.ProviderMetadata != nil {
			e.t.Fatalf("nil metadata came back as %v, %v", nilMeta.Metadata, nilMeta.ProviderMetadata)
		}
		for _, tc := range []struct {
			f    auth.MFAFactorFilter
			want []string
		}{
			{auth.MFAFactorFilter{}, []string{"authmfa_1", "authmfa_2", "authmfa_3"}},
			{auth.MFAFactorFilter{AuthIdentityIDs: []string{"authid_a"}}, []string{"authmfa_1", "authmfa_3"}},
			{auth.MFAFactorFilter{Providers: []string{"totp"}}, []string{"authmfa_1", "authmfa_2"}},
			{auth.MFAFactorFilter{Statuses: []string{auth.MFAPending, auth.MFAEnabled}}, []string{"authmfa_1", "authmfa_2"}},
			{auth.MFAFactorFilter{AuthIdentityIDs: []string{"authid_a"}, Statuses: []string{auth.MFAEnabled}, Providers: []string{"totp"}}, []string{"authmfa_1"}},
			{auth.MFAFactorFilter{IDs: []string{}}, []string{}},
			{auth.MFAFactorFilter{AuthIdentityIDs: []string{"authid_none"}}, []string{}},
		} {
			e.same(tc.want, factorIDs(e.factors(ms, tc.f)))
		}
	}},
	{"MFA/OneActiveFactorPerProvider", func(e *env) {
		ms := e.mfaStore()
		e.identities("authid_a", "authid_b")
		e.must(ms.InsertMFAFactor(e.ctx, newFactor("authmfa_1", "authid_a", auth.MFAPending)))
		for _, status := range []string{auth.MFAPending, auth.MFAEnabled} {
			e.wantErr(ms.InsertMFAFactor(e.ctx, newFactor("authmfa_x", "authid_a", status)), store.ErrConflict)
		}
		// Disabled factors, other identities and other providers do not
		// count.
		e.must(ms.InsertMFAFactor(e.ctx, newFactor("authmfa_2", "authid_a", auth.MFADisabled)))
		e.must(ms.InsertMFAFactor(e.ctx, newFactor("authmfa_3", "authid_b", auth.MFAEnabled)))
		sms := newFactor("authmfa_4", "authid_a", auth.MFAEnabled)
		sms.Provider = "sms"
		e.must(ms.InsertMFAFactor(e.ctx, sms))
		// Re-enabling a disabled factor while another is active: refused.
		again := e.factors(ms, auth.MFAFactorFilter{IDs: []string{"authmfa_2"}})[0]
		again.Status = auth.MFAEnabled
		e.wantErr(ms.UpdateMFAFactor(e.ctx, again), store.ErrConflict)
		// An id used twice.
		e.wantErr(ms.InsertMFAFactor(e.ctx, newFactor("authmfa_1", "authid_b", auth.MFADisabled)), store.ErrConflict)
		e.same([]string{"authmfa_1", "authmfa_2", "authmfa_3", "authmfa_4"}, factorIDs(e.factors(ms, auth.MFAFactorFilter{})))
	}},
	{"MFA/FactorUnknownIdentityAndUpdate", func(e *env) {
		ms := e.mfaStore()
		e.wantErr(ms.InsertMFAFactor(e.ctx, newFactor("authmfa_1", "authid_none", auth.MFAPending)), store.ErrNotFound)
		e.identities("authid_a")
		f := newFactor("authmfa_1", "authid_a", auth.MFAPending)
		e.must(ms.InsertMFAFactor(e.ctx, f))
		f.Status = auth.MFAEnabled
		f.ProviderMetadata = map[string]any{"secret": "v1:x:y:z", "issuer": "Acme", "clientele_totp_step": 5.9e7}
		f.Metadata = map[string]any{"label": "new"}
		f.UpdatedAt = now().Add(time.Hour)
		created := f.CreatedAt
		f.CreatedAt = created.Add(time.Hour) // not written
		e.must(ms.UpdateMFAFactor(e.ctx, f))
		want := *f
		want.CreatedAt = created
		e.same([]*auth.MFAFactor{&want}, e.factors(ms, auth.MFAFactorFilter{IDs: []string{f.ID}}))
		e.wantErr(ms.UpdateMFAFactor(e.ctx, newFactor("authmfa_none", "authid_a", auth.MFADisabled)), store.ErrNotFound)
	}},
	{"MFA/FactorLockSerialisesUnits", func(e *env) {
		// Each unit reads the factor locked, then writes a counter one
		// higher: no increment is lost.
		ms := e.mfaStore()
		e.identities("authid_a")
		e.must(ms.InsertMFAFactor(e.ctx, newFactor("authmfa_1", "authid_a", auth.MFAEnabled)))
		const n = 8
		e.parallel(n, func(int) error {
			return e.st.InTx(e.ctx, func(ctx context.Context) error {
				found, err := ms.ListMFAFactors(ctx, auth.MFAFactorFilter{IDs: []string{"authmfa_1"}}, store.ListOptions{Lock: true})
				if err != nil {
					return err
				}
				f := found[0]
				count, _ := f.ProviderMetadata["count"].(float64)
				f.ProviderMetadata["count"] = count + 1
				return ms.UpdateMFAFactor(ctx, f)
			})
		})
		e.same(float64(n), e.factors(ms, auth.MFAFactorFilter{})[0].ProviderMetadata["count"])
	}},
	{"MFA/RecoveryCodes", func(e *env) {
		ms := e.mfaStore()
		e.identities("authid_a", "authid_b")
		t := now()
		codes := func(identity string, ids ...string) []*auth.RecoveryCode {
			out := []*auth.RecoveryCode{}
			for _, id := range ids {
				out = append(out, &auth.RecoveryCode{ID: id, AuthIdentityID: identity, CodeHash: "hash-" + id, CreatedAt: t, UpdatedAt: t})
			}
			return out
		}
		list := func(identity string) []*auth.RecoveryCode {
			got, err := ms.ListRecoveryCodes(e.ctx, identity)
			e.must(err)
			return got
		}
		e.same([]*auth.RecoveryCode{}, list("authid_a"))
		e.must(ms.ReplaceRecoveryCodes(e.ctx, "authid_a", codes("authid_a", "rc_2", "rc_1")))
		e.must(ms.ReplaceRecoveryCodes(e.ctx, "authid_b", codes("authid_b", "rc_9")))
		e.same(codes("authid_a", "rc_1", "rc_2"), list("authid_a"))
		// A replacement leaves only the new codes; the other identity's
		// stay.
		e.must(ms.ReplaceRecoveryCodes(e.ctx, "authid_a", codes("authid_a", "rc_3")))
		e.same(codes("authid_a", "rc_3"), list("authid_a"))
		e.same(codes("authid_b", "rc_9"), list("authid_b"))

		e.wantErr(ms.ReplaceRecoveryCodes(e.ctx, "authid_none", codes("authid_none", "rc_x")), store.ErrNotFound)
		e.wantInvalid(ms.ReplaceRecoveryCodes(e.ctx, "authid_a", codes("authid_b", "rc_x")), "auth_identity_id")
		e.same(codes("authid_a", "rc_3"), list("authid_a"))

		// Of concurrent deletes of one code, one finds it.
		const n = 8
		deleted := make([]bool, n)
		e.parallel(n, func(i int) (err error) {
			deleted[i], err = ms.DeleteRecoveryCode(e.ctx, "rc_3")
			return err
		})
		found := 0
		for _, d := range deleted {
			if d {
				found++
			}
		}
		if found != 1 {
			e.t.Fatalf("%d concurrent deletes found the code, want 1", found)
		}
		e.same([]*auth.RecoveryCode{}, list("authid_a"))
	}},
	{"MFA/ChallengeRoundTripAndAttempts", func(e *env) {
		ms := e.mfaStore()
		e.identities("authid_a")
		t := now()
		c := newChallenge("authmfachal_1", "authid_a", t.Add(5*time.Minute))
		e.must(ms.InsertMFAChallenge(e.ctx, c, t))
		got, err := ms.GetMFAChallenge(e.ctx, c.ID, false)
		e.must(err)
		e.same(c, got)
		got.Methods[0] = "changed"
		again, err := ms.GetMFAChallenge(e.ctx, c.ID, false)
		e.must(err)
		e.same(c, again)

		// Without a provider and with metadata.
		d := newChallenge("authmfachal_2", "authid_a", t.Add(time.Minute))
		d.AuthProvider, d.Methods, d.Metadata = "", []string{"totp"}, map[string]any{"ip": "192.0.2.1"}
		e.must(ms.InsertMFAChallenge(e.ctx, d, t))
		got, err = ms.GetMFAChallenge(e.ctx, d.ID, false)
		e.must(err)
		e.same(d, got)

		// Attempts and completion are written; nothing else is.
		done := t.Add(time.Second)
		c.Attempts, c.CompletedAt, c.MaxAttempts = 2, &done, 99
		e.must(ms.UpdateMFAChallenge(e.ctx, c))
		got, err = ms.GetMFAChallenge(e.ctx, c.ID, false)
		e.must(err)
		if got.Attempts != 2 || got.CompletedAt == nil || !got.CompletedAt.Equal(done) || got.MaxAttempts != 5 {
			e.t.Fatalf("after update: %+v", got)
		}

		e.noChallenge(ms, "authmfachal_none")
		e.wantErr(ms.UpdateMFAChallenge(e.ctx, newChallenge("authmfachal_none", "authid_a", t)), store.ErrNotFound)
		e.wantErr(ms.InsertMFAChallenge(e.ctx, newChallenge("authmfachal_3", "authid_none", t), t), store.ErrNotFound)
		e.wantErr(ms.InsertMFAChallenge(e.ctx, newChallenge("authmfachal_1", "authid_a", t), t), store.ErrConflict)

		// Concurrent attempts, each read locked and written one higher:
		// none is lost.
		const n = 8
		e.parallel(n, func(int) error {
			return e.st.InTx(e.ctx, func(ctx context.Context) error {
				c, err := ms.GetMFAChallenge(ctx, "authmfachal_2", true)
				if err != nil {
					return err
				}
				c.Attempts++
				return ms.UpdateMFAChallenge(ctx, c)
			})
		})
		got, err = ms.GetMFAChallenge(e.ctx, "authmfachal_2", false)
		e.must(err)
		e.same(n, got.Attempts)
	}},
	{"MFA/ExpiredChallengesArePurged", func(e *env) {
		ms := e.mfaStore()
		e.identities("authid_a")
		t := now()
		// Expired challenges stay readable (the service says "expired")
		// until later inserts purge them; live ones are never purged.
		for i := range 70 {
			e.must(ms.InsertMFAChallenge(e.ctx, newChallenge(fmt.Sprintf("authmfachal_old%02d", i), "authid_a", t.Add(-time.Minute)), t.Add(-2*time.Minute)))
		}
		live := newChallenge("authmfachal_live", "authid_a", t.Add(time.Hour))
		e.must(ms.InsertMFAChallenge(e.ctx, live, t.Add(-2*time.Minute)))
		_, err := ms.GetMFAChallenge(e.ctx, "authmfachal_old00", false)
		e.must(err)
		for i := range 70 {
			e.must(ms.InsertMFAChallenge(e.ctx, newChallenge(fmt.Sprintf("authmfachal_new%02d", i), "authid_a", t.Add(time.Hour)), t))
		}
		e.noChallenge(ms, "authmfachal_old00")
		_, err = ms.GetMFAChallenge(e.ctx, "authmfachal_live", false)
		e.must(err)
	}},
	{"MFA/IdentityDeletionCascades", func(e *env) {
		ms := e.mfaStore()
		e.identities("authid_a", "authid_b")
		t := now()
		for _, id := range []string{"authid_a", "authid_b"} {
			e.must(ms.InsertMFAFactor(e.ctx, newFactor("authmfa_"+id, id, auth.MFAEnabled)))
			e.must(ms.ReplaceRecoveryCodes(e.ctx, id, []*auth.RecoveryCode{{ID: "rc_" + id, AuthIdentityID: id, CodeHash: "h", CreatedAt: t, UpdatedAt: t}}))
			e.must(ms.InsertMFAChallenge(e.ctx, newChallenge("authmfachal_"+id, id, t.Add(time.Hour)), t))
		}
		e.must(e.st.DeleteAuthIdentities(e.ctx, []string{"authid_a"}))
		e.same([]string{"authmfa_authid_b"}, factorIDs(e.factors(ms, auth.MFAFactorFilter{})))
		e.noCodes(ms, "authid_a")
		e.noChallenge(ms, "authmfachal_authid_a")
		_, err := ms.GetMFAChallenge(e.ctx, "authmfachal_authid_b", false)
		e.must(err)
	}},
	{"MFA/FailedUnitLeavesNothing", func(e *env) {
		ms := e.mfaStore()
		e.identities("authid_a")
		t := now()
		boom := errors.New("boom")
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			e.must(ms.InsertMFAFactor(ctx, newFactor("authmfa_1", "authid_a", auth.MFAPending)))
			e.must(ms.ReplaceRecoveryCodes(ctx, "authid_a", []*auth.RecoveryCode{{ID: "rc_1", AuthIdentityID: "authid_a", CodeHash: "h", CreatedAt: t, UpdatedAt: t}}))
			e.must(ms.InsertMFAChallenge(ctx, newChallenge("authmfachal_1", "authid_a", t.Add(time.Hour)), t))
			return boom
		})
		e.wantErr(err, boom)
		e.same(0, len(e.factors(ms, auth.MFAFactorFilter{})))
		e.noCodes(ms, "authid_a")
		e.noChallenge(ms, "authmfachal_1")
	}},
}
