package servicetest

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/webauthntest"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/passkey"
	"github.com/clientele/clientele/store"
)

// Passkey behaviour: registration and login ceremonies of provider/passkey
// answered by a software authenticator, with challenges kept in the store
// (single use, expiring, bound to the browser) and credentials kept in
// passkey provider identities.

const (
	passkeyOrigin  = "https://shop.example.com"
	passkeyBrowser = "browser-binding-of-the-passkey-tests"
)

// withPasskeyMFA gives e an auth service with MFA and the passkey
// provider.
func (e *env) withPasskeyMFA() {
	e.t.Helper()
	e.withMFA(auth.MFAConfig{})
	p, err := passkey.New(passkey.Config{RPID: "shop.example.com", RPDisplayName: "Shop", Origins: []string{passkeyOrigin}})
	e.must(err)
	e.auth = e.newAuth(auth.WithMFA(auth.MFAConfig{EncryptionKey: mfaKey, RecoveryCodeHasher: e.secrets.hasher(cheap)}), auth.WithProvider(p))
}

// linkPasskey adds a's passkey to the identity.
func (e *env) linkPasskey(identityID string, a *webauthntest.Authenticator) {
	e.t.Helper()
	body, err := a.Create(e.passkeyBegin(passkey.CeremonyRegister))
	e.must(err)
	_, err = e.auth.Link(e.ctx, identityID, passkey.ID, passkeyIn(body))
	e.must(err)
}

// passkeyFactor gives e an auth service with passkeys and MFA, and
// registers ada with a passkey turned on as her second factor.
func (e *env) passkeyFactor() (*auth.AuthIdentity, *webauthntest.Authenticator, *auth.MFAFactor) {
	e.t.Helper()
	e.withPasskeyMFA()
	ada := e.register("ada@example.org", "correct horse")
	a := webauthntest.New(passkeyOrigin)
	e.linkPasskey(ada.ID, a)
	f, err := e.auth.EnablePasskeyMFA(e.ctx, ada.ID)
	e.must(err)
	return ada, a, f
}

// withPasskeys gives e an auth service with the passkey provider (relying
// party shop.example.com) and returns the provider.
func (e *env) withPasskeys() *passkey.Provider {
	e.t.Helper()
	p, err := passkey.New(passkey.Config{RPID: "shop.example.com", RPDisplayName: "Shop", Origins: []string{passkeyOrigin}})
	e.must(err)
	e.auth = e.newAuth(auth.WithProvider(p))
	return p
}

// passkeyIn is a request body from the passkey tests' browser.
func passkeyIn(body map[string]any) provider.Input {
	return provider.Input{Body: body, Binding: passkeyBrowser, ActorType: auth.ActorCustomer}
}

// passkeyBegin begins a ceremony in the tests' browser.
func (e *env) passkeyBegin(ceremony string) []byte {
	e.t.Helper()
	opts, err := e.auth.Begin(e.ctx, passkey.ID, passkeyIn(map[string]any{"ceremony": ceremony, "name": "ada@example.org"}))
	e.must(err)
	return opts
}

// passkeyRegister registers a's passkey and returns the new identity.
func (e *env) passkeyRegister(a *webauthntest.Authenticator) *auth.AuthIdentity {
	e.t.Helper()
	body, err := a.Create(e.passkeyBegin(passkey.CeremonyRegister))
	e.must(err)
	res, err := e.auth.Register(e.ctx, passkey.ID, passkeyIn(body))
	e.must(err)
	return res.AuthIdentity
}

// passkeyAssert answers a login ceremony begun now with a.
func (e *env) passkeyAssert(a *webauthntest.Authenticator) map[string]any {
	e.t.Helper()
	body, err := a.Get(e.passkeyBegin(passkey.CeremonyLogin))
	e.must(err)
	return body
}

// storedPasskey reads the passkey that the store keeps for a.
func (e *env) storedPasskey(a *webauthntest.Authenticator) passkey.Credential {
	e.t.Helper()
	pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{a.EntityID()}, Providers: []string{passkey.ID}}, store.ListOptions{})
	e.must(err)
	if len(pis) != 1 {
		e.t.Fatalf("%d passkey identities for the credential, want 1", len(pis))
	}
	c, ok := passkey.CredentialOf(pis[0])
	if !ok {
		e.t.Fatalf("provider_metadata %v is not a passkey", pis[0].ProviderMetadata)
	}
	return c
}

var passkeyTests = []test{
	{"Passkey/RegisterThenLoginUsernameless", func(e *env) {
		e.withPasskeys()
		a := webauthntest.New(passkeyOrigin)
		a.BackupEligible = true
		registered := e.passkeyRegister(a)
		if registered == nil || registered.Provider(passkey.ID).EntityID != a.EntityID() {
			e.t.Fatalf("registered %+v, want a passkey identity for the credential", registered)
		}
		c := e.storedPasskey(a)
		if c.SignCount != 0 || !c.BackupEligible || c.BackupState || len(c.Transports) != 2 || string(c.AAGUID) != "clientele-test-a" || len(c.PublicKey) == 0 {
			e.t.Fatalf("stored passkey %+v", c)
		}
		// The passkey syncs (BS set) before the login: the flag follows.
		a.BackupState = true
		l, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.must(err)
		if l.Identity.ID != registered.ID || l.Token == "" {
			e.t.Fatalf("login reached %v (token %t), want %v", l.Identity.ID, l.Token != "", registered.ID)
		}
		if c := e.storedPasskey(a); c.SignCount != 1 || !c.BackupState {
			e.t.Fatalf("after the login the passkey holds %+v, want count 1 and the backup state", c)
		}
		// A second login moves the counter on.
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.must(err)
		if c := e.storedPasskey(a); c.SignCount != 2 {
			e.t.Fatalf("sign count %d, want 2", c.SignCount)
		}
	}},
	{"Passkey/WrongOrigin", func(e *env) {
		e.withPasskeys()
		evil := webauthntest.New("https://shop.example.com.evil.test")
		body, err := evil.Create(e.passkeyBegin(passkey.CeremonyRegister))
		e.must(err)
		_, err = e.auth.Register(e.ctx, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrUnauthorized)

		a := webauthntest.New(passkeyOrigin)
		e.passkeyRegister(a)
		a.Origin = "https://evil.test"
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.wantErr(err, auth.ErrUnauthorized)
		if c := e.storedPasskey(a); c.SignCount != 0 {
			e.t.Fatalf("a refused login moved the counter to %d", c.SignCount)
		}
	}},
	{"Passkey/WrongRPID", func(e *env) {
		e.withPasskeys()
		other := webauthntest.New(passkeyOrigin)
		other.RPID = "example.net"
		body, err := other.Create(e.passkeyBegin(passkey.CeremonyRegister))
		e.must(err)
		_, err = e.auth.Register(e.ctx, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrUnauthorized)

		a := webauthntest.New(passkeyOrigin)
		e.passkeyRegister(a)
		a.RPID = "example.net"
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.wantErr(err, auth.ErrUnauthorized)
	}},
	{"Passkey/ReplayedChallenge", func(e *env) {
		e.withPasskeys()
		a := webauthntest.New(passkeyOrigin)
		e.passkeyRegister(a)
		body := e.passkeyAssert(a)
		_, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(body))
		e.must(err)
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrUnauthorized)

		// A registration's challenge is spent too, and a login's
		// challenge does not finish a registration.
		reg, err := webauthntest.New(passkeyOrigin).Create(e.passkeyBegin(passkey.CeremonyLogin))
		e.must(err)
		_, err = e.auth.Register(e.ctx, passkey.ID, passkeyIn(reg))
		e.wantErr(err, auth.ErrUnauthorized)
	}},
	{"Passkey/ExpiredChallenge", func(e *env) {
		e.withPasskeys()
		a := webauthntest.New(passkeyOrigin)
		e.passkeyRegister(a)
		start := time.Now()
		e.clock.set(start)
		body := e.passkeyAssert(a)
		e.clock.set(start.Add(passkey.DefaultChallengeTTL + time.Second))
		_, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrUnauthorized)
	}},
	{"Passkey/OtherBrowser", func(e *env) {
		e.withPasskeys()
		a := webauthntest.New(passkeyOrigin)
		e.passkeyRegister(a)
		body := e.passkeyAssert(a)
		in := passkeyIn(body)
		in.Binding = "another-browser-binding"
		_, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, in)
		e.wantErr(err, auth.ErrUnauthorized)
		// The attempt spent the challenge: the right browser cannot
		// finish it afterwards either.
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrUnauthorized)
		// No binding at all finishes nothing and begins nothing.
		in.Binding = ""
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, in)
		e.wantErr(err, auth.ErrUnauthorized)
		_, err = e.auth.Begin(e.ctx, passkey.ID, provider.Input{Body: map[string]any{"ceremony": "login"}})
		e.wantErr(err, auth.ErrInvalid)
	}},
	{"Passkey/SignCountRegression", func(e *env) {
		e.withPasskeys()
		a := webauthntest.New(passkeyOrigin)
		e.passkeyRegister(a)
		a.SignCount = 41
		_, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.must(err)
		// A clone carries the counter where the copy was taken.
		a.SignCount = 10
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.wantErr(err, auth.ErrUnauthorized)
		a.SignCount = 41 // the same counter again
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.wantErr(err, auth.ErrUnauthorized)
		if c := e.storedPasskey(a); c.SignCount != 42 {
			e.t.Fatalf("sign count %d after refused logins, want 42", c.SignCount)
		}
	}},
	{"Passkey/UnknownCredential", func(e *env) {
		e.withPasskeys()
		e.passkeyRegister(webauthntest.New(passkeyOrigin))
		stranger := webauthntest.New(passkeyOrigin)
		body, err := stranger.Get(e.passkeyBegin(passkey.CeremonyLogin))
		e.must(err)
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrUnauthorized)
	}},
	{"Passkey/BadInput", func(e *env) {
		e.withPasskeys()
		for _, body := range []map[string]any{{}, {"ceremony": "logout"}, {"ceremony": 3}} {
			_, err := e.auth.Begin(e.ctx, passkey.ID, passkeyIn(body))
			e.wantErr(err, auth.ErrInvalid)
		}
		for _, name := range []string{string(make([]byte, 300)), "ada\x00", "\xff\xfe"} {
			_, err := e.auth.Begin(e.ctx, passkey.ID, passkeyIn(map[string]any{"ceremony": "register", "name": name}))
			e.wantErr(err, auth.ErrInvalid)
		}
		_, err := e.auth.Begin(e.ctx, passkey.ID, passkeyIn(map[string]any{"ceremony": "login", "email": "ada\x00@example.org"}))
		e.wantErr(err, auth.ErrInvalid)
		for _, body := range []map[string]any{{}, {"id": "x", "response": "nope"}, {"id": "x", "type": "public-key", "response": map[string]any{"clientDataJSON": "!!"}}} {
			_, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(body))
			e.wantErr(err, auth.ErrInvalid)
			_, err = e.auth.Register(e.ctx, passkey.ID, passkeyIn(body))
			e.wantErr(err, auth.ErrInvalid)
		}
		// A provider without a first step says so.
		_, err = e.auth.Begin(e.ctx, "emailpass", passkeyIn(map[string]any{"ceremony": "login"}))
		e.wantErr(err, auth.ErrNotSupported)
	}},
	{"Passkey/RegisteredTwice", func(e *env) {
		e.withPasskeys()
		a := webauthntest.New(passkeyOrigin)
		e.passkeyRegister(a)
		body, err := a.Create(e.passkeyBegin(passkey.CeremonyRegister))
		e.must(err)
		_, err = e.auth.Register(e.ctx, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrConflict)
	}},
	{"Passkey/LinkedToPasswordIdentity", func(e *env) {
		e.withPasskeys()
		owner := e.register("ada@example.org", "correct horse")
		a := webauthntest.New(passkeyOrigin)
		body, err := a.Create(e.passkeyBegin(passkey.CeremonyRegister))
		e.must(err)
		res, err := e.auth.Link(e.ctx, owner.ID, passkey.ID, passkeyIn(body))
		e.must(err)
		if res.AuthIdentity.ID != owner.ID || res.Link != provider.LinkExplicit {
			e.t.Fatalf("link reached %v (%q), want %v explicitly", res.AuthIdentity.ID, res.Link, owner.ID)
		}
		// A second passkey of the same account, then a login with each.
		b := webauthntest.New(passkeyOrigin)
		body, err = b.Create(e.passkeyBegin(passkey.CeremonyRegister))
		e.must(err)
		_, err = e.auth.Link(e.ctx, owner.ID, passkey.ID, passkeyIn(body))
		e.must(err)
		for _, auth := range []*webauthntest.Authenticator{a, b} {
			l, err := e.auth.Login(e.ctx, "customer", passkey.ID, passkeyIn(e.passkeyAssert(auth)))
			e.must(err)
			if l.Identity.ID != owner.ID {
				e.t.Fatalf("passkey login reached %v, want %v", l.Identity.ID, owner.ID)
			}
		}
		// A passkey of one identity is not linked to another.
		bob := e.register("bob@example.org", "battery staple")
		body, err = a.Create(e.passkeyBegin(passkey.CeremonyRegister))
		e.must(err)
		_, err = e.auth.Link(e.ctx, bob.ID, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrConflict)
	}},
	{"Passkey/SecondFactor", func(e *env) {
		ada, a, f := e.passkeyFactor()
		if f.Provider != auth.MFAMethodPasskey || f.Status != auth.MFAEnabled {
			e.t.Fatalf("factor %+v", f)
		}
		_, err := e.auth.EnablePasskeyMFA(e.ctx, ada.ID)
		e.wantErr(err, auth.ErrNotAllowed)

		// Another identity's passkey does not answer ada's challenge.
		bob := e.register("bob@example.org", "battery staple")
		b := webauthntest.New(passkeyOrigin)
		e.linkPasskey(bob.ID, b)

		l, err := e.auth.Login(e.ctx, auth.ActorCustomer, "emailpass", creds("ada@example.org", "correct horse"))
		e.must(err)
		if l.MFAChallenge == nil || !slices.Equal(l.MFAChallenge.Methods, []string{auth.MFAMethodPasskey}) {
			e.t.Fatalf("challenge %+v, want one offering the passkey", l.MFAChallenge)
		}
		claims := e.claims(l.Token)
		answer := func(a *webauthntest.Authenticator) string {
			opts, err := e.auth.BeginPasskeyMFA(e.ctx, claims, l.MFAChallenge.ID)
			e.must(err)
			body, err := a.Get(opts)
			e.must(err)
			b, err := json.Marshal(body)
			e.must(err)
			return string(b)
		}
		_, err = e.auth.CompleteMFALogin(e.ctx, claims, l.MFAChallenge.ID, auth.MFAMethodPasskey, answer(b))
		e.wantErr(err, auth.ErrMFACode)
		// An assertion of a ceremony begun outside the challenge (a
		// passkey login's) does not answer it either.
		outside, err := json.Marshal(e.passkeyAssert(a))
		e.must(err)
		_, err = e.auth.CompleteMFALogin(e.ctx, claims, l.MFAChallenge.ID, auth.MFAMethodPasskey, string(outside))
		e.wantErr(err, auth.ErrMFACode)
		_, err = e.auth.CompleteMFALogin(e.ctx, claims, l.MFAChallenge.ID, auth.MFAMethodPasskey, "not json")
		e.wantErr(err, auth.ErrMFACode)
		// Bob's token does not begin ada's ceremony.
		bl, err := e.auth.Login(e.ctx, auth.ActorCustomer, "emailpass", creds("bob@example.org", "battery staple"))
		e.must(err)
		_, err = e.auth.BeginPasskeyMFA(e.ctx, e.claims(bl.Token), l.MFAChallenge.ID)
		e.wantErr(err, auth.ErrNotFound)

		done, err := e.auth.CompleteMFALogin(e.ctx, claims, l.MFAChallenge.ID, auth.MFAMethodPasskey, answer(a))
		e.must(err)
		if full := e.claims(done.Token); !full.MFAEnabled || full.MFAChallengeCompletedAt == nil || full.AuthIdentityID != ada.ID {
			e.t.Fatalf("full token claims %+v", full)
		}
		// The challenge is spent.
		_, err = e.auth.BeginPasskeyMFA(e.ctx, claims, l.MFAChallenge.ID)
		e.wantErr(err, auth.ErrMFAChallengeClosed)
	}},
	{"Passkey/UserVerificationCompletesMFA", func(e *env) {
		// A passkey login whose authenticator verified the user is
		// multi-factor by itself: no challenge, MFA completed.
		ada, a, _ := e.passkeyFactor()
		l, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.must(err)
		if l.MFAChallenge != nil {
			e.t.Fatalf("a passkey login with user verification opened challenge %+v", l.MFAChallenge)
		}
		if c := e.claims(l.Token); !c.MFAEnabled || c.MFAChallengeCompletedAt == nil || c.AuthIdentityID != ada.ID {
			e.t.Fatalf("token claims %+v, want MFA completed", c)
		}
		// Without user verification the passkey is one factor, and the
		// only second factor is a passkey: one passkey cannot be both,
		// so the login is refused (with no token).
		a.NoUserVerification = true
		l, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.wantErr(err, auth.ErrPasskeyNotBothFactors)
		e.wantErr(err, auth.ErrUnauthorized)
		if l != nil {
			e.t.Fatalf("a refused login answered %+v", l)
		}
		_, err = e.auth.CreateMFAChallenge(e.ctx, auth.CreateMFAChallengeParams{AuthIdentityID: ada.ID, AuthProvider: passkey.ID})
		e.wantErr(err, auth.ErrPasskeyNotBothFactors)
		// A password login opens the challenge, which the passkey
		// completes.
		l, err = e.auth.Login(e.ctx, auth.ActorCustomer, "emailpass", creds("ada@example.org", "correct horse"))
		e.must(err)
		if l.MFAChallenge == nil || !slices.Equal(l.MFAChallenge.Methods, []string{auth.MFAMethodPasskey}) {
			e.t.Fatalf("challenge %+v, want one offering the passkey", l.MFAChallenge)
		}
	}},
	{"Passkey/OnePasskeyIsNotBothFactors", func(e *env) {
		// A security key without user verification logs in (one
		// factor); its challenge must not take the same key again, nor
		// any passkey: a recovery code (or TOTP) is the second factor.
		ada, a, _ := e.passkeyFactor()
		codes, err := e.auth.GenerateMFARecoveryCodes(e.ctx, ada.ID, 0)
		e.must(err)
		a.NoUserVerification = true
		l, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.must(err)
		if l.MFAChallenge == nil || !slices.Equal(l.MFAChallenge.Methods, []string{auth.MFAMethodRecoveryCode}) {
			e.t.Fatalf("challenge %+v, want one offering only recovery codes", l.MFAChallenge)
		}
		c := e.claims(l.Token)
		if c.ActorID != "" || c.MFAChallengeCompletedAt != nil {
			e.t.Fatalf("token claims %+v, want the pending challenge's", c)
		}
		// The passkey ceremony of the challenge is refused before it
		// begins.
		_, err = e.auth.BeginPasskeyMFA(e.ctx, c, l.MFAChallenge.ID)
		e.wantErr(err, auth.ErrInvalid)
		_, err = e.auth.CompleteMFALogin(e.ctx, c, l.MFAChallenge.ID, auth.MFAMethodPasskey, "{}")
		e.wantErr(err, auth.ErrInvalid)
		// A recovery code completes it.
		done, err := e.auth.CompleteMFALogin(e.ctx, c, l.MFAChallenge.ID, auth.MFAMethodRecoveryCode, codes[0])
		e.must(err)
		if dc := e.claims(done.Token); dc.MFAChallengeCompletedAt == nil || dc.AuthIdentityID != ada.ID {
			e.t.Fatalf("claims after the recovery code %+v", dc)
		}
		// A host's own flow (Medusa's createAuthMfaChallenge for a
		// passkey login) gets the same methods.
		ch, err := e.auth.CreateMFAChallenge(e.ctx, auth.CreateMFAChallengeParams{AuthIdentityID: ada.ID, AuthProvider: passkey.ID})
		e.must(err)
		e.same([]string{auth.MFAMethodRecoveryCode}, ch.Methods)
		ch, err = e.auth.CreateMFAChallenge(e.ctx, auth.CreateMFAChallengeParams{AuthIdentityID: ada.ID, AuthProvider: "emailpass"})
		e.must(err)
		e.same([]string{auth.MFAMethodPasskey, auth.MFAMethodRecoveryCode}, ch.Methods)
		// With user verification the same key is both factors.
		a.NoUserVerification = false
		l, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(e.passkeyAssert(a)))
		e.must(err)
		if l.MFAChallenge != nil || e.claims(l.Token).MFAChallengeCompletedAt == nil {
			e.t.Fatalf("a passkey login with user verification: %+v", l)
		}
	}},
	{"Passkey/SecondFactorNeedsAPasskey", func(e *env) {
		e.withPasskeyMFA()
		ada := e.register("ada@example.org", "correct horse")
		_, err := e.auth.EnablePasskeyMFA(e.ctx, ada.ID)
		e.wantErr(err, auth.ErrInvalid)
		// Without the provider, the factor cannot be turned on.
		e.withMFA(auth.MFAConfig{})
		_, err = e.auth.EnablePasskeyMFA(e.ctx, ada.ID)
		e.wantErr(err, auth.ErrMFANotConfigured)
	}},
	{"Passkey/LoginWithUsername", func(e *env) {
		e.withPasskeys()
		ada := e.register("ada@example.org", "correct horse")
		a := webauthntest.New(passkeyOrigin)
		e.linkPasskey(ada.ID, a)
		bob := e.register("bob@example.org", "battery staple")
		b := webauthntest.New(passkeyOrigin)
		e.linkPasskey(bob.ID, b)

		begin := func(email string) ([]byte, []string) {
			opts, err := e.auth.Begin(e.ctx, passkey.ID, passkeyIn(map[string]any{"ceremony": "login", "email": email}))
			e.must(err)
			var o struct {
				PublicKey struct {
					AllowCredentials []struct {
						ID string `json:"id"`
					} `json:"allowCredentials"`
				} `json:"publicKey"`
			}
			e.must(json.Unmarshal(opts, &o))
			var ids []string
			for _, c := range o.PublicKey.AllowCredentials {
				ids = append(ids, c.ID)
			}
			return opts, ids
		}
		opts, allowed := begin(" ADA@example.org ")
		if !slices.Equal(allowed, []string{a.EntityID()}) {
			e.t.Fatalf("allowed %v, want ada's passkey %s", allowed, a.EntityID())
		}
		body, err := a.Get(opts)
		e.must(err)
		l, err := e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(body))
		e.must(err)
		if l.Identity.ID != ada.ID {
			e.t.Fatalf("login reached %s, want ada %s", l.Identity.ID, ada.ID)
		}
		// Bob's passkey does not finish a login that named ada.
		opts, _ = begin("ada@example.org")
		body, err = b.Get(opts)
		e.must(err)
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(body))
		e.wantErr(err, auth.ErrUnauthorized)
		// An unknown email gets a usernameless login's options.
		if _, allowed := begin("nobody@example.org"); len(allowed) != 0 {
			e.t.Fatalf("an unknown email allowed %v", allowed)
		}
	}},
	{"Passkey/ConcurrentSameCounter", func(e *env) {
		e.withPasskeys()
		a := webauthntest.New(passkeyOrigin)
		e.passkeyRegister(a)
		// Two assertions with one counter value (a clone's and the
		// original's), finished at once: at most one logs in.
		const n = 2
		bodies := make([]map[string]any, n)
		for i := range bodies {
			a.SignCount = 5
			bodies[i] = e.passkeyAssert(a)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range bodies {
			wg.Go(func() {
				_, errs[i] = e.auth.Login(e.ctx, auth.ActorCustomer, passkey.ID, passkeyIn(bodies[i]))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, auth.ErrUnauthorized) {
				e.t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			e.t.Fatalf("%d of %d logins with one counter value passed (%v), want 1", ok, n, errs)
		}
		if c := e.storedPasskey(a); c.SignCount != 6 {
			e.t.Fatalf("sign count %d, want 6", c.SignCount)
		}
	}},
}
