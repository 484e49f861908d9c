package servicetest

import (
	"context"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
)

// login logs in with emailpass as a customer and returns the token.
func (e *env) login(email, password string) string {
	e.t.Helper()
	l, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(email, password))
	e.must(err)
	e.must(e.auth.Flush(e.ctx)) // the throttle hears of a success after the answer
	return l.Token
}

// verifies checks that tok verifies (ok) or is refused as revoked.
func (e *env) verifies(svc *auth.Service, tok string, ok bool) {
	e.t.Helper()
	_, err := svc.Verify(e.ctx, tok)
	if ok {
		e.must(err)
		return
	}
	e.wantErr(err, auth.ErrTokenRevoked, auth.ErrInvalidToken, auth.ErrUnauthorized)
}

// medusaToken signs claims as a Medusa server does: no login_at, no iat_ms.
func (e *env) medusaToken(identityID string) string {
	e.t.Helper()
	tok, err := e.auth.Tokens().Issue(auth.Claims{ActorType: "customer", AuthIdentityID: identityID, AuthProvider: emailpass.ID})
	e.must(err)
	return tok
}

var revocationBehaviour = []test{
	{"Revocation/ResetRevokesEarlierTokens", func(e *env) {
		e.register("ada@example.com", "old password")
		old := e.login("ada@example.com", "old password")
		other := e.register("bob@example.com", "password")
		bobTok, err := e.auth.Token(other, "customer", emailpass.ID)
		e.must(err)
		reset := e.requestReset("ada@example.com")
		_, err = e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, reset, map[string]any{"password": "new password"})
		e.must(err)
		e.verifies(e.auth, old, false)
		_, err = e.auth.Refresh(e.ctx, old)
		e.wantErr(err, auth.ErrTokenRevoked)
		// A login right after the reset works, and so do other identities.
		fresh := e.login("ada@example.com", "new password")
		e.verifies(e.auth, fresh, true)
		_, err = e.auth.Refresh(e.ctx, fresh)
		e.must(err)
		e.verifies(e.auth, bobTok, true)
	}},
	{"Revocation/ChangePasswordRevokes", func(e *env) {
		a := e.register("ada@example.com", "old password")
		old := e.login("ada@example.com", "old password")
		_, err := e.auth.ChangePassword(e.ctx, a.ID, emailpass.ID, "wrong", "new password")
		e.wantErr(err, auth.ErrUnauthorized)
		e.verifies(e.auth, old, true) // a failed change revokes nothing
		_, err = e.auth.ChangePassword(e.ctx, a.ID, emailpass.ID, "old password", "new password")
		e.must(err)
		e.verifies(e.auth, old, false)
		e.verifies(e.auth, e.login("ada@example.com", "new password"), true)
	}},
	{"Revocation/AFailedChangeStillRevokes", func(e *env) {
		// The store fails to write the new password. A reset revokes
		// earlier tokens in the unit of the new password: the failure
		// undoes both, so the old password and its tokens stay valid, on
		// every instance alike (no new password ever leaves them valid).
		// A change revokes before it writes too, in a unit of its own:
		// its failure still ends the earlier tokens.
		a := e.register("ada@example.com", "old password")
		old := e.login("ada@example.com", "old password")
		boom := errors.New("disk full")
		rs, ok := e.st.(auth.RevocationStore)
		if !ok {
			e.t.Skip("the backend implements no auth.RevocationStore")
		}
		e.st = &failingPasswordWrites{Store: e.st, err: boom}
		svc := e.newAuth(auth.WithRevocationStore(rs))
		reset := e.requestReset("ada@example.com")
		_, err := svc.ResetPassword(e.ctx, "customer", emailpass.ID, reset, map[string]any{"password": "new password"})
		e.wantErr(err, boom)
		e.verifies(svc, old, true)                       // nothing changed, here as elsewhere
		old = e.login("ada@example.com", "old password") // the password is unchanged
		_, err = svc.ChangePassword(e.ctx, a.ID, emailpass.ID, "old password", "new password")
		e.wantErr(err, boom)
		e.verifies(svc, old, false)
		e.verifies(svc, e.login("ada@example.com", "old password"), true)
	}},
	{"Revocation/SameMillisecondAndSecond", func(e *env) {
		a := e.register("ada@example.com", "password")
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 500_250_000, time.UTC) // x.500250 s
		e.clock.set(t0)
		before := e.login("ada@example.com", "password")
		medusaBefore := e.medusaToken(a.ID)
		e.must(e.auth.RevokeAll(e.ctx, a.ID))
		// Issued in the same millisecond (and second) as the revocation,
		// before it: refused.
		e.verifies(e.auth, before, false)
		e.verifies(e.auth, medusaBefore, false)
		// The next millisecond: a clientele token is accepted; a Medusa
		// token (whole seconds only) is refused until the next second.
		e.clock.set(t0.Add(time.Millisecond))
		e.verifies(e.auth, e.login("ada@example.com", "password"), true)
		e.verifies(e.auth, e.medusaToken(a.ID), false)
		e.clock.set(t0.Add(500 * time.Millisecond)) // x+1.000250 s
		e.verifies(e.auth, e.medusaToken(a.ID), true)
	}},
	{"Revocation/RevokeAllAndBadInput", func(e *env) {
		a := e.register("ada@example.com", "password")
		b := e.register("bob@example.com", "password")
		ta, tb := e.login("ada@example.com", "password"), e.login("bob@example.com", "password")
		e.must(e.auth.RevokeAll(e.ctx, a.ID))
		e.verifies(e.auth, ta, false)
		e.verifies(e.auth, tb, true)
		e.verifies(e.auth, e.login("ada@example.com", "password"), true)
		e.must(e.auth.RevokeAll(e.ctx, b.ID))
		e.verifies(e.auth, tb, false)
		e.wantInvalid(e.auth.RevokeAll(e.ctx, ""), "auth_identity_id", auth.ErrInvalid)
		// Claims verified elsewhere (a session's) follow the same rule.
		c, err := e.auth.Tokens().Verify(ta)
		e.must(err)
		e.wantErr(e.auth.VerifyClaims(e.ctx, c), auth.ErrTokenRevoked)
		e.wantErr(e.auth.VerifyClaims(e.ctx, nil), auth.ErrInvalidToken)
		if !e.auth.RevocationEnabled() {
			e.t.Fatal("revocation is off on a backend that implements it")
		}
	}},
	{"Revocation/OtherInstanceWithinTTL", func(e *env) {
		a := e.register("ada@example.com", "password")
		tok := e.login("ada@example.com", "password")
		stale := e.newAuth(auth.WithRevocationCacheTTL(time.Hour))
		quick := e.newAuth(auth.WithRevocationCacheTTL(20 * time.Millisecond))
		e.verifies(e.auth, tok, true) // all three read and cache "no revocation"
		e.verifies(stale, tok, true)
		e.verifies(quick, tok, true)
		e.must(e.auth.RevokeAll(e.ctx, a.ID))
		e.verifies(e.auth, tok, false) // at once where it was revoked
		// Elsewhere the cache answers until its TTL: an hour here (the
		// bound is the TTL, 1 s by default)…
		e.verifies(stale, tok, true)
		// …20 ms there.
		time.Sleep(30 * time.Millisecond)
		e.verifies(quick, tok, false)

		// A stale instance never refreshes the revoked token into a new
		// one: minting reads the store.
		_, err := stale.Refresh(e.ctx, tok)
		e.wantErr(err, auth.ErrTokenRevoked)
	}},
	{"Revocation/RefreshedTokensOfAnEarlierLogin", func(e *env) {
		// A token refreshed from a login made before a revocation is
		// refused with it, although it was issued later.
		a := e.register("ada@example.com", "password")
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		e.clock.set(t0)
		tok := e.login("ada@example.com", "password")
		e.clock.set(t0.Add(10 * time.Second))
		refreshed, err := e.auth.Refresh(e.ctx, tok)
		e.must(err)
		e.clock.set(t0.Add(5 * time.Second))
		e.must(e.auth.RevokeAll(e.ctx, a.ID))
		e.clock.set(t0.Add(20 * time.Second))
		e.verifies(e.auth, refreshed, false)
	}},
	{"Revocation/MaxLoginAge", func(e *env) {
		a := e.register("ada@example.com", "password")
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		e.clock.set(t0)
		tok := e.login("ada@example.com", "password")
		// Refresh every 20 hours: the chain ends 30 days after the login.
		var last string
		for at := t0.Add(20 * time.Hour); at.Before(t0.Add(auth.DefaultMaxLoginAge)); at = at.Add(20 * time.Hour) {
			e.clock.set(at)
			next, err := e.auth.Refresh(e.ctx, tok)
			e.must(err)
			c, err := e.auth.Verify(e.ctx, next)
			e.must(err)
			if !c.LoginAt.Equal(t0) || c.ExpiresAt.After(t0.Add(auth.DefaultMaxLoginAge)) {
				e.t.Fatalf("at %v: login_at %v, exp %v", at, c.LoginAt, c.ExpiresAt)
			}
			tok, last = next, next
		}
		// The last token expires with the login, so at the end of the 30
		// days nothing is left to refresh; a token that outlives it (a
		// Medusa server's, say) is refused as too old.
		e.clock.set(t0.Add(auth.DefaultMaxLoginAge))
		_, err := e.auth.Refresh(e.ctx, last)
		e.wantErr(err, auth.ErrTokenExpired)
		_, err = e.auth.Refresh(e.ctx, e.medusaTokenAt(a.ID, t0, t0.Add(auth.DefaultMaxLoginAge+time.Hour)))
		e.wantErr(err, auth.ErrLoginTooOld, auth.ErrInvalidToken)
		// A new login starts a new chain.
		_, err = e.auth.Refresh(e.ctx, e.login("ada@example.com", "password"))
		e.must(err)

		short := e.newAuth(auth.WithMaxLoginAge(time.Hour))
		e.clock.set(t0)
		tok = e.login("ada@example.com", "password")
		e.clock.set(t0.Add(59 * time.Minute))
		next, err := short.Refresh(e.ctx, tok)
		e.must(err)
		c, err := short.Verify(e.ctx, next)
		e.must(err)
		e.same(t0.Add(time.Hour).Unix(), c.ExpiresAt.Unix()) // capped at the login's end
		e.clock.set(t0.Add(time.Hour - 500*time.Millisecond))
		_, err = short.Refresh(e.ctx, next)
		e.wantErr(err, auth.ErrLoginTooOld) // under a second to live
	}},
	{"Revocation/MedusaTokenWorksUntilRevoked", func(e *env) {
		a := e.register("ada@example.com", "password")
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		e.clock.set(t0)
		medusa := e.medusaToken(a.ID)
		e.verifies(e.auth, medusa, true)
		e.clock.set(t0.Add(time.Hour))
		refreshed, err := e.auth.Refresh(e.ctx, medusa)
		e.must(err)
		c, err := e.auth.Verify(e.ctx, refreshed)
		e.must(err)
		if !c.LoginAt.Equal(t0) { // its iat stands for the login
			e.t.Fatalf("login_at %v, want %v", c.LoginAt, t0)
		}
		e.clock.set(t0.Add(auth.DefaultMaxLoginAge))
		_, err = e.auth.Refresh(e.ctx, e.medusaTokenAt(a.ID, t0, t0.Add(auth.DefaultMaxLoginAge+time.Hour)))
		e.wantErr(err, auth.ErrLoginTooOld)
		e.clock.set(t0.Add(2 * time.Hour))
		e.must(e.auth.RevokeAll(e.ctx, a.ID))
		e.clock.set(t0.Add(3 * time.Hour))
		e.verifies(e.auth, medusa, false)
		e.verifies(e.auth, refreshed, false)
	}},
	{"Revocation/DeleteCustomerRevokesOtherActorsToo", func(e *env) {
		a := e.register("ada@example.com", "password")
		c, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com"})
		e.must(err)
		_, err = e.auth.SetActor(e.ctx, a.ID, "user", "user_1")
		e.must(err)
		asUser, err := e.auth.Token(&auth.AuthIdentity{ID: a.ID, AppMetadata: map[string]any{"user_id": "user_1"}}, "user", emailpass.ID)
		e.must(err)
		asCustomer := e.login("ada@example.com", "password")
		e.must(e.accounts.DeleteCustomer(e.ctx, c.ID))
		e.verifies(e.auth, asCustomer, false)
		e.verifies(e.auth, asUser, false)
		l, err := e.auth.Login(e.ctx, "user", emailpass.ID, emailpass.Credentials("ada@example.com", "password"))
		e.must(err)
		e.verifies(e.auth, l.Token, true)
	}},
	{"Rotation/RotateAndReuse", func(e *env) {
		svc := e.newAuth(auth.WithRefreshRotation(nil))
		e.register("ada@example.com", "password")
		l, err := svc.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "password"))
		e.must(err)
		c, err := svc.Verify(e.ctx, l.Token)
		e.must(err)
		rt1, err := svc.IssueRefreshToken(e.ctx, c)
		e.must(err)
		r2, err := svc.Rotate(e.ctx, rt1)
		e.must(err)
		if r2.RefreshToken == rt1 || r2.AccessToken == "" {
			e.t.Fatalf("rotation: %+v", r2)
		}
		c2, err := svc.Verify(e.ctx, r2.AccessToken)
		e.must(err)
		if c2.AuthIdentityID != c.AuthIdentityID || !c2.LoginAt.Equal(c.LoginAt.Time) {
			e.t.Fatalf("rotated claims %+v, want the login's %+v", c2, c)
		}
		r3, err := svc.Rotate(e.ctx, r2.RefreshToken)
		e.must(err)
		// rt1 again: theft. The family and the identity's tokens go.
		_, err = svc.Rotate(e.ctx, rt1)
		e.wantErr(err, auth.ErrRefreshTokenReused, auth.ErrInvalidToken)
		_, err = svc.Rotate(e.ctx, r3.RefreshToken)
		e.wantErr(err, auth.ErrTokenRevoked)
		e.verifies(svc, r3.AccessToken, false)
		e.verifies(svc, l.Token, false)
		// A new login gets a new family.
		l, err = svc.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "password"))
		e.must(err)
		c, err = svc.Verify(e.ctx, l.Token)
		e.must(err)
		rt, err := svc.IssueRefreshToken(e.ctx, c)
		e.must(err)
		_, err = svc.Rotate(e.ctx, rt)
		e.must(err)
	}},
	{"Rotation/ResetAndAgeEndFamilies", func(e *env) {
		svc := e.newAuth(auth.WithRefreshRotation(nil), auth.WithMaxLoginAge(time.Hour))
		a := e.register("ada@example.com", "password")
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		e.clock.set(t0)
		l, err := svc.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "password"))
		e.must(err)
		c, err := svc.Verify(e.ctx, l.Token)
		e.must(err)
		rt, err := svc.IssueRefreshToken(e.ctx, c)
		e.must(err)
		e.clock.set(t0.Add(time.Hour))
		_, err = svc.Rotate(e.ctx, rt)
		e.wantErr(err, auth.ErrLoginTooOld)

		e.clock.set(t0.Add(2 * time.Hour))
		l, err = svc.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "password"))
		e.must(err)
		c, err = svc.Verify(e.ctx, l.Token)
		e.must(err)
		rt, err = svc.IssueRefreshToken(e.ctx, c)
		e.must(err)
		e.must(svc.RevokeAll(e.ctx, a.ID))
		e.clock.set(t0.Add(2*time.Hour + time.Second))
		_, err = svc.Rotate(e.ctx, rt)
		e.wantErr(err, auth.ErrTokenRevoked)
		for _, bad := range []string{"", "crt_unknown", "not-a-token", l.Token} {
			_, err = svc.Rotate(e.ctx, bad)
			e.wantErr(err, auth.ErrInvalidToken)
		}
	}},
	{"Rotation/OffByDefaultAndOptions", func(e *env) {
		e.register("ada@example.com", "password")
		c, err := e.auth.Verify(e.ctx, e.login("ada@example.com", "password"))
		e.must(err)
		_, err = e.auth.IssueRefreshToken(e.ctx, c)
		if !errors.Is(err, auth.ErrRevocationDisabled) {
			e.t.Fatalf("IssueRefreshToken without rotation: %v", err)
		}
		_, err = e.auth.Rotate(e.ctx, "crt_x")
		if !errors.Is(err, auth.ErrRevocationDisabled) || e.auth.RotationEnabled() {
			e.t.Fatalf("Rotate without rotation: %v", err)
		}
		tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testSecret})
		e.must(err)
		for _, o := range []auth.Option{auth.WithMaxLoginAge(0), auth.WithRevocationCacheTTL(-time.Second), auth.WithRevocationStore(nil)} {
			if _, err := auth.NewService(e.st, tokens, o); err == nil {
				e.t.Fatal("a bad revocation option was accepted")
			}
		}
	}},
}

// medusaTokenAt signs a Medusa-style token issued at iat expiring at exp.
func (e *env) medusaTokenAt(identityID string, iat, exp time.Time) string {
	e.t.Helper()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testSecret, Now: func() time.Time { return iat }})
	e.must(err)
	tok, err := tokens.Issue(auth.Claims{ActorType: "customer", AuthIdentityID: identityID, AuthProvider: emailpass.ID,
		RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(exp)}})
	e.must(err)
	return tok
}

// failingPasswordWrites is a Store whose provider-identity writes fail.
type failingPasswordWrites struct {
	Store
	err error
}

func (f *failingPasswordWrites) UpdateProviderIdentities(context.Context, []*auth.ProviderIdentity) error {
	return f.err
}
