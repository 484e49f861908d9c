package servicetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/webauthntest"
	"github.com/clientele/clientele/provider/passkey"
	"github.com/clientele/clientele/store"
)

// Removing a way to log in (auth.Service.UnlinkProvider): only the
// owner's own, never the last one, never the passkey a passkey factor
// needs, and never two at once past the last.

// providerIdentityOf returns the id of identity's provider identity of
// providerID whose entity id is entityID ("" for any).
func (e *env) providerIdentityOf(authIdentityID, providerID, entityID string) string {
	e.t.Helper()
	pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{AuthIdentityIDs: []string{authIdentityID}, Providers: []string{providerID}}, store.ListOptions{})
	e.must(err)
	for _, pi := range pis {
		if entityID == "" || pi.EntityID == entityID {
			return pi.ID
		}
	}
	e.t.Fatalf("identity %s has no %s identity %q", authIdentityID, providerID, entityID)
	return ""
}

// wantUnlinkRefused checks a refusal of UnlinkProvider with msg.
func (e *env) wantUnlinkRefused(err error, msg string) {
	e.t.Helper()
	e.wantErr(err, auth.ErrInvalid)
	if got, _ := store.PublicMessage(err); got != msg {
		e.t.Fatalf("message %q, want %q", got, msg)
	}
}

var unlinkTests = []test{
	{"Unlink/RemovesOneWayIn", func(e *env) {
		e.withPasskeys()
		ada := e.register("ada@example.org", "correct horse")
		a := webauthntest.New(passkeyOrigin)
		e.linkPasskey(ada.ID, a)
		key := e.providerIdentityOf(ada.ID, passkey.ID, "")
		// A login through the passkey, and one through the password.
		pl, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.must(err)
		pw := e.login("ada@example.org", "correct horse")
		e.advance(time.Millisecond)
		e.events.Reset()
		left, err := e.auth.UnlinkProvider(e.ctx, ada.ID, key)
		e.must(err)
		e.same(ada.ID, left.ID)
		e.same(1, len(left.ProviderIdentities))
		e.same("emailpass", left.ProviderIdentities[0].Provider)
		if _, has := left.ProviderIdentities[0].ProviderMetadata["password"]; has {
			e.t.Fatal("the identity came back with its password hash")
		}
		evs := e.events.Events()
		if len(evs) != 1 || evs[0].Name != auth.EventProviderUnlinked || evs[0].Secret {
			e.t.Fatalf("events %+v", evs)
		}
		e.same(map[string]any{"auth_identity_id": ada.ID, "provider": passkey.ID, "provider_identity_id": key}, evs[0].Data)
		// Every earlier login is over, the passkey's first of all; the
		// passkey logs in no more; the password does.
		e.verifies(e.auth, pl.Token, false)
		_, err = e.auth.Refresh(e.ctx, pl.Token)
		e.wantErr(err, auth.ErrTokenRevoked)
		e.verifies(e.auth, pw, false)
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.wantErr(err, auth.ErrUnauthorized)
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, "emailpass", creds("ada@example.org", "correct horse"))
		e.must(err)
		// The last way in stays, and nothing changes.
		before := e.snapshot()
		_, err = e.auth.UnlinkProvider(e.ctx, ada.ID, left.ProviderIdentities[0].ID)
		e.wantUnlinkRefused(err, "This is the only way to log in to this account: add another before you remove it")
		e.unchanged(before)
	}},
	{"Unlink/OnlyTheOwnersOwn", func(e *env) {
		e.withPasskeys()
		ada := e.register("ada@example.org", "correct horse")
		e.linkPasskey(ada.ID, webauthntest.New(passkeyOrigin))
		bob := e.register("bob@example.org", "battery staple")
		e.linkPasskey(bob.ID, webauthntest.New(passkeyOrigin))
		before := e.snapshot()
		// Bob's passkey is not Ada's to remove, whatever she sends.
		_, err := e.auth.UnlinkProvider(e.ctx, ada.ID, e.providerIdentityOf(bob.ID, passkey.ID, ""))
		e.wantErr(err, auth.ErrNotFound)
		_, err = e.auth.UnlinkProvider(e.ctx, ada.ID, "authprov_nope")
		e.wantErr(err, auth.ErrNotFound)
		_, err = e.auth.UnlinkProvider(e.ctx, "authid_nope", e.providerIdentityOf(bob.ID, passkey.ID, ""))
		e.wantErr(err, auth.ErrNotFound)
		_, err = e.auth.UnlinkProvider(e.ctx, ada.ID, "")
		e.wantErr(err, auth.ErrInvalid)
		_, err = e.auth.UnlinkProvider(e.ctx, "", "authprov_nope")
		e.wantErr(err, auth.ErrInvalid)
		e.unchanged(before)
	}},
	{"Unlink/PasskeyFactorKeepsAPasskey", func(e *env) {
		ada, a, _ := e.passkeyFactor()
		first := e.providerIdentityOf(ada.ID, passkey.ID, a.EntityID())
		before := e.snapshot()
		_, err := e.auth.UnlinkProvider(e.ctx, ada.ID, first)
		e.wantUnlinkRefused(err, "Two-step verification uses this passkey: turn it off, or add another passkey, before you remove it")
		e.unchanged(before)
		// With a second passkey, either may go; the last one stays.
		b := webauthntest.New(passkeyOrigin)
		e.linkPasskey(ada.ID, b)
		_, err = e.auth.UnlinkProvider(e.ctx, ada.ID, first)
		e.must(err)
		_, err = e.auth.UnlinkProvider(e.ctx, ada.ID, e.providerIdentityOf(ada.ID, passkey.ID, b.EntityID()))
		e.wantUnlinkRefused(err, "Two-step verification uses this passkey: turn it off, or add another passkey, before you remove it")
		// The password is the last way in that is not a passkey: without
		// recovery codes, a passkey that does not verify its user would
		// then log in nowhere, so it stays; with them it may go.
		pw := e.providerIdentityOf(ada.ID, "emailpass", "")
		before = e.snapshot()
		_, err = e.auth.UnlinkProvider(e.ctx, ada.ID, pw)
		e.wantUnlinkRefused(err, "Your passkey is your second step: keep another way to log in, or make recovery codes, before you remove this")
		e.unchanged(before)
		_, err = e.auth.GenerateMFARecoveryCodes(e.ctx, ada.ID, 0)
		e.must(err)
		_, err = e.auth.UnlinkProvider(e.ctx, ada.ID, pw)
		e.must(err)
	}},
	{"Unlink/TOTPFactorLetsThePasswordGo", func(e *env) {
		// With a TOTP factor beside the passkey one, a passkey login
		// without user verification still has a second factor to offer:
		// the password may go, recovery codes or not.
		ada, _, _ := e.passkeyFactor()
		en, err := e.auth.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: ada.ID, Provider: auth.MFAMethodTOTP, Label: "phone"})
		e.must(err)
		_, err = e.auth.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, AuthIdentityID: ada.ID, Code: e.code(en.Secret, 0)})
		e.must(err)
		_, err = e.auth.UnlinkProvider(e.ctx, ada.ID, e.providerIdentityOf(ada.ID, "emailpass", ""))
		e.must(err)
	}},
	{"Unlink/RacesEnablingThePasskeyFactor", func(e *env) {
		// Removing the only passkey while a passkey factor is turned on:
		// one of the two loses, never both win (a factor without a
		// passkey would challenge logins nobody can answer).
		e.withPasskeyMFA()
		for i := range 8 {
			ada := e.register(fmt.Sprintf("ada%d@example.org", i), "correct horse")
			e.linkPasskey(ada.ID, webauthntest.New(passkeyOrigin))
			key := e.providerIdentityOf(ada.ID, passkey.ID, "")
			var unlinkErr, enableErr error
			var wg sync.WaitGroup
			wg.Go(func() { _, unlinkErr = e.auth.UnlinkProvider(e.ctx, ada.ID, key) })
			wg.Go(func() { _, enableErr = e.auth.EnablePasskeyMFA(e.ctx, ada.ID) })
			wg.Wait()
			switch {
			case unlinkErr == nil && enableErr == nil:
				e.t.Fatalf("round %d: the passkey was removed and a passkey factor turned on", i)
			case unlinkErr == nil:
				e.wantErr(enableErr, auth.ErrInvalid)
			case enableErr == nil:
				e.wantUnlinkRefused(unlinkErr, "Two-step verification uses this passkey: turn it off, or add another passkey, before you remove it")
			default:
				e.t.Fatalf("round %d: both failed: %v; %v", i, unlinkErr, enableErr)
			}
		}
	}},
	{"Unlink/ConcurrentRemovalsKeepOne", func(e *env) {
		// Three ways in, all removed at once: the identity keeps one.
		e.withPasskeys()
		ada := e.register("ada@example.org", "correct horse")
		for range 2 {
			e.linkPasskey(ada.ID, webauthntest.New(passkeyOrigin))
		}
		pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{AuthIdentityIDs: []string{ada.ID}}, store.ListOptions{})
		e.must(err)
		e.same(3, len(pis))
		errs := make([]error, len(pis))
		var wg sync.WaitGroup
		for i, pi := range pis {
			wg.Go(func() { _, errs[i] = e.auth.UnlinkProvider(e.ctx, ada.ID, pi.ID) })
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			if err != nil {
				e.wantUnlinkRefused(err, "This is the only way to log in to this account: add another before you remove it")
				refused++
			}
		}
		e.same(1, refused)
		left, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{AuthIdentityIDs: []string{ada.ID}}, store.ListOptions{})
		e.must(err)
		e.same(1, len(left))
	}},
}
