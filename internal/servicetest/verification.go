package servicetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/storetest"
	"github.com/clientele/clientele/throttle"
)

// Email verification (Medusa 2.21: auth module §2.7, the
// authVerificationsPerActor gate §4.3.3), the change of email and the
// claim of guest records.

// emailGate is Medusa's {customer: [{auth_provider: "emailpass",
// entity_type: "email"}]}.
var emailGate = auth.WithVerificationsPerActor(auth.ActorCustomer, auth.VerificationRequirement{AuthProvider: emailpass.ID, EntityType: auth.EntityTypeEmail})

// gated gives e an auth service (and account service) with opts, the email
// gate among them unless told otherwise.
func (e *env) gated(opts ...auth.Option) {
	e.t.Helper()
	e.auth = e.newAuth(append([]auth.Option{emailGate}, opts...)...)
	e.accounts = must(account.NewService(e.st, e.auth, e.customers, account.WithEventSink(e.sink())))(e.t)
}

// requestCode requests a verification of an email and returns the code the
// event carried, after checking the event.
func (e *env) requestCode(identityID, addr string) string {
	e.t.Helper()
	e.events.Reset()
	out, err := e.auth.RequestVerification(e.ctx, auth.RequestVerificationParams{
		AuthIdentityID: identityID, EntityID: addr, EntityType: "email", CodeProvider: "token",
	})
	e.must(err)
	e.must(e.auth.Flush(e.ctx))
	evs := e.events.Events()
	if len(evs) != 1 || evs[0].Name != auth.EventVerificationRequested {
		e.t.Fatalf("events after a verification request: %v", eventNames(evs))
	}
	code, _ := evs[0].Data["code"].(string)
	if code == "" || code != out.Code {
		e.t.Fatalf("event code %q, answer code %q", code, out.Code)
	}
	return code
}

func (e *env) confirmCode(code string) *auth.Verification {
	e.t.Helper()
	v, err := e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: code})
	e.must(err)
	return v
}

// claimsOf verifies tok and returns its claims.
func (e *env) claimsOf(tok string) *auth.Claims {
	e.t.Helper()
	c, err := e.auth.Verify(e.ctx, tok)
	e.must(err)
	return c
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// bareStore hides every optional interface of a store.
type bareStore struct{ storetest.Store }

var verificationBehaviour = []test{
	{"Verification/RequestMakesACodeStoredHashed", func(e *env) {
		// §2.7 requestAuthVerification: 32 random bytes base64url, only the
		// SHA-256 kept, expires_at = requested_at + 900 s; the event carries
		// Medusa's fields, after the answer.
		t0 := time.Now().UTC().Truncate(time.Second)
		e.clock.set(t0)
		a := e.register("ada@example.com", "correct horse")
		e.events.Reset()
		out, err := e.auth.RequestVerification(e.ctx, auth.RequestVerificationParams{
			AuthIdentityID: a.ID, EntityID: " Ada@Example.com ", EntityType: "email", CodeProvider: "token",
			Metadata: map[string]any{"source": "signup"},
		})
		e.must(err)
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(out.Code) {
			e.t.Fatalf("code %q is not 32 bytes of base64url", out.Code)
		}
		v := out.Verification
		if !strings.HasPrefix(v.ID, "authver_") || v.AuthIdentityID != a.ID || v.EntityID != "ada@example.com" ||
			v.EntityType != "email" || v.CodeProvider != "token" || v.VerifiedAt != nil || !v.RequestedAt.Equal(t0) {
			e.t.Fatalf("verification %+v", v)
		}
		e.same(sha256Hex(out.Code), v.CodeHash)
		e.same(t0.Add(15*time.Minute), out.ExpiresAt)
		// Neither the code nor its hash is ever serialised.
		b, err := json.Marshal(out)
		e.must(err)
		if strings.Contains(string(b), out.Code) || strings.Contains(string(b), v.CodeHash) || strings.Contains(string(b), "token_hash") {
			e.t.Fatalf("serialised request carries the code or its hash: %s", b)
		}
		stored := e.verifications(auth.VerificationFilter{})
		e.same(1, len(stored))
		e.same(sha256Hex(out.Code), stored[0].CodeHash)
		e.must(e.auth.Flush(e.ctx))
		e.same([]event.Event{{Name: auth.EventVerificationRequested, Secret: true, Data: map[string]any{
			"entity_id": "ada@example.com", "entity_type": "email", "code_provider": "token",
			"auth_identity_id": a.ID, "code": out.Code, "expires_at": t0.Add(15 * time.Minute),
			"metadata": map[string]any{"source": "signup"},
		}}}, e.events.Events())
	}},
	{"Verification/RequestErrors", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		before := e.snapshot()
		for _, tc := range []struct {
			p     auth.RequestVerificationParams
			field string
			msg   string
		}{
			{auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityID: "ada@example.com", EntityType: "email"}, "code_provider", "Verification provider is required"},
			{auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityID: "ada@example.com", EntityType: "email", CodeProvider: "sms"}, "code_provider", "Unable to retrieve the verification provider with id: sms"},
			{auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityType: "email", CodeProvider: "token"}, "entity_id", "Field 'entity_id' is required"},
			{auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityID: "ada@example.com", CodeProvider: "token"}, "entity_type", "Field 'entity_type' is required"},
			{auth.RequestVerificationParams{EntityID: "ada@example.com", EntityType: "email", CodeProvider: "token"}, "auth_identity_id", "Field 'auth_identity_id' is required"},
			{auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityID: "not an email", EntityType: "email", CodeProvider: "token"}, "entity_id", "Invalid email"},
			{auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityID: "ada\x00@example.com", EntityType: "email", CodeProvider: "token"}, "entity_id", ""},
			{auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityID: "x", EntityType: "phone", CodeProvider: "token", Metadata: map[string]any{"k": "\x00"}}, "metadata.k", ""},
		} {
			_, err := e.auth.RequestVerification(e.ctx, tc.p)
			e.wantInvalid(err, tc.field, auth.ErrInvalid)
			if msg, _ := store.PublicMessage(err); tc.msg != "" && msg != tc.msg {
				e.t.Fatalf("message %q, want %q", msg, tc.msg)
			}
		}
		_, err := e.auth.RequestVerification(e.ctx, auth.RequestVerificationParams{AuthIdentityID: "authid_none", EntityID: "x@example.com", EntityType: "email", CodeProvider: "token"})
		e.wantNotFound(err, auth.ErrNotFound, "authid_none")
		e.unchanged(before)
		e.must(e.auth.Flush(e.ctx))
		e.same(0, len(e.events.Events()))
	}},
	{"Verification/ConfirmWorksOnce", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		code := e.requestCode(a.ID, "ada@example.com")
		v := e.confirmCode(code)
		if v.VerifiedAt == nil || v.AuthIdentityID != a.ID || v.EntityID != "ada@example.com" {
			e.t.Fatalf("confirmed %+v", v)
		}
		e.same(v, e.verifications(auth.VerificationFilter{})[0])
		_, err := e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: code})
		e.wantErr(err, auth.ErrVerificationCodeInvalid, auth.ErrNotAllowed)
		e.wantPublic(err, "Verification code is invalid or already used")
	}},
	{"Verification/ConfirmErrors", func(e *env) {
		t0 := time.Now().UTC().Truncate(time.Second)
		e.clock.set(t0)
		a := e.register("ada@example.com", "correct horse")
		_, err := e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{})
		e.wantInvalid(err, "code", auth.ErrInvalid)
		e.wantPublic(err, "Verification code is required")
		_, err = e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: "no-such-code"})
		e.wantPublic(err, "Verification code is invalid or already used")
		code := e.requestCode(a.ID, "ada@example.com")
		_, err = e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: code, CodeProvider: "sms"})
		e.wantInvalid(err, "code_provider", auth.ErrInvalid)
		// Expired: at requested_at + 15 min exactly (Medusa: expiresAt <= now).
		e.clock.set(t0.Add(15 * time.Minute))
		before := e.snapshot()
		_, err = e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: code})
		e.wantErr(err, auth.ErrVerificationCodeExpired, auth.ErrNotAllowed)
		e.wantPublic(err, "Verification code has expired")
		e.unchanged(before)
		// A microsecond earlier it works.
		e.clock.set(t0.Add(15*time.Minute - time.Microsecond))
		e.confirmCode(code)
		// A shorter TTL.
		short := e.newAuth(auth.WithVerificationTTL(time.Minute))
		e.auth = short
		code = e.requestCode(a.ID, "ada.other@example.com")
		e.advance(time.Minute)
		_, err = short.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: code})
		e.wantErr(err, auth.ErrVerificationCodeExpired)
	}},
	{"Verification/WrongProvider", func(e *env) {
		// A row another code provider made (a Medusa host's own provider
		// sharing the database): Medusa's not_allowed message.
		a := e.register("ada@example.com", "correct horse")
		vs := e.st.(auth.VerificationStore)
		t0 := time.Now().UTC().Truncate(time.Microsecond)
		_, _, err := vs.RenewVerification(e.ctx, &auth.Verification{
			ID: "authver_sms", AuthIdentityID: a.ID, EntityID: "+15550100", EntityType: "phone", CodeProvider: "sms",
			RequestedAt: t0, CodeHash: sha256Hex("123456"), CreatedAt: t0, UpdatedAt: t0,
		}, false)
		e.must(err)
		_, err = e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: "123456"})
		e.wantErr(err, auth.ErrVerificationWrongProvider, auth.ErrNotAllowed)
		e.wantPublic(err, `Verification code does not belong to provider "token"`)
		if msg, _ := store.PublicMessage(err); msg != `Verification code does not belong to provider "token"` {
			e.t.Fatalf("public message %q", msg)
		}
		if e.verifications(auth.VerificationFilter{})[0].VerifiedAt != nil {
			e.t.Fatal("a code of another provider was used")
		}
	}},
	{"Verification/NewRequestKillsOlderCodes", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		first := e.requestCode(a.ID, "ada@example.com")
		second := e.requestCode(a.ID, "ada@example.com")
		if first == second {
			e.t.Fatal("two requests gave one code")
		}
		e.same(1, len(e.verifications(auth.VerificationFilter{})))
		_, err := e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: first})
		e.wantErr(err, auth.ErrVerificationCodeInvalid)
		e.confirmCode(second)
	}},
	{"Verification/VerifiedEntityIsReturnedAsItIs", func(e *env) {
		// Medusa returns a verified row unchanged, with no code; clientele
		// then sends no event. Reverify makes a new code.
		a := e.register("ada@example.com", "correct horse")
		verified := e.confirmCode(e.requestCode(a.ID, "ada@example.com"))
		e.events.Reset()
		p := auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityID: "ada@example.com", EntityType: "email", CodeProvider: "token"}
		out, err := e.auth.RequestVerification(e.ctx, p)
		e.must(err)
		e.same("", out.Code)
		e.same(verified, out.Verification)
		e.must(e.auth.Flush(e.ctx))
		e.same(0, len(e.events.Events()))
		p.Reverify = true
		out, err = e.auth.RequestVerification(e.ctx, p)
		e.must(err)
		if out.Code == "" || out.Verification.VerifiedAt != nil || out.Verification.ID != verified.ID {
			e.t.Fatalf("reverify: %+v", out.Verification)
		}
	}},
	{"Verification/ConcurrentConfirmsOneWins", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		code := e.requestCode(a.ID, "ada@example.com")
		e.same(1, e.wins(writers, func(int) error {
			_, err := e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: code})
			return err
		}, auth.ErrVerificationCodeInvalid))
	}},
	{"Verification/ConfirmMarksTheLoginEmail", func(e *env) {
		// A confirmed login email marks the identity's email verified
		// (what WithVerifiedEmailLinking relies on); another address the
		// identity verified does not.
		a := e.register("ada@example.com", "correct horse")
		e.confirmCode(e.requestCode(a.ID, "someone@example.com"))
		got, err := e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		e.same(map[string]any(nil), got.AppMetadata)
		e.confirmCode(e.requestCode(a.ID, "ada@example.com"))
		got, err = e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		e.same(map[string]any{auth.VerifiedEmailKey: "ada@example.com"}, got.AppMetadata)
		for addr, want := range map[string]bool{"ada@example.com": true, "ADA@example.com": true, "someone@example.com": true, "nobody@example.com": false} {
			ok, err := e.auth.EmailVerified(e.ctx, a.ID, addr)
			e.must(err)
			if ok != want {
				e.t.Fatalf("EmailVerified(%s) = %v, want %v", addr, ok, want)
			}
		}
	}},
	{"Verification/DeletedWithTheIdentity", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		e.requestCode(a.ID, "ada@example.com")
		e.must(e.auth.DeleteAuthIdentities(e.ctx, a.ID))
		e.same(0, len(e.verifications(auth.VerificationFilter{})))
	}},
	{"Verification/Throttled", func(e *env) {
		lim := e.throttled()
		_ = lim
		a := e.register("ada@example.com", "correct horse")
		// Requests per entity: 5 an hour.
		for range 5 {
			e.requestCode(a.ID, "ada@example.com")
		}
		_, err := e.auth.RequestVerification(e.ctx, auth.RequestVerificationParams{AuthIdentityID: a.ID, EntityID: "ADA@example.com", EntityType: "email", CodeProvider: "token"})
		e.wantErr(err, throttle.ErrLimited)
		e.advance(time.Hour)
		code := e.requestCode(a.ID, "ada@example.com")
		// Failed confirmations per identity: 10 an hour.
		for range 10 {
			_, err := e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: "guess", AuthIdentityID: a.ID})
			e.wantErr(err, auth.ErrVerificationCodeInvalid)
		}
		_, err = e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: code, AuthIdentityID: a.ID})
		e.wantErr(err, throttle.ErrLimited)
		// Unauthenticated callers are throttled by address (httpapi).
		e.confirmCode(code)
	}},
	{"Verification/NeedsAStore", func(e *env) {
		tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testSecret})
		e.must(err)
		bare := bareStore{e.st}
		svc, err := auth.NewService(bare, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(cheap))))
		e.must(err)
		if svc.VerificationEnabled() {
			e.t.Fatal("verification enabled without a VerificationStore")
		}
		_, err = svc.RequestVerification(e.ctx, auth.RequestVerificationParams{AuthIdentityID: "authid_a", EntityID: "a@example.com", EntityType: "email", CodeProvider: "token"})
		e.wantErr(err, auth.ErrVerificationDisabled)
		_, err = auth.NewService(bare, tokens, emailGate)
		if err == nil {
			e.t.Fatal("a gate without a VerificationStore was accepted")
		}
		svc, err = auth.NewService(bare, tokens, emailGate, auth.WithVerificationStore(e.st.(auth.VerificationStore)))
		e.must(err)
		if !svc.VerificationEnabled() {
			e.t.Fatal("WithVerificationStore not used")
		}
		for _, opt := range []auth.Option{
			auth.WithVerificationsPerActor(""), auth.WithVerificationsPerActor("customer", auth.VerificationRequirement{AuthProvider: "emailpass"}),
			auth.WithVerificationTTL(0), auth.WithVerificationStore(nil),
		} {
			if _, err := auth.NewService(e.st, tokens, opt); err == nil {
				e.t.Fatal("a bad verification option was accepted")
			}
		}
	}},

	// ---- the gate (authVerificationsPerActor, Medusa's generateJwtTokenWithChecks) ----

	{"Verification/LoginWaitsForTheVerification", func(e *env) {
		e.gated()
		out, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"), customer.CreateParams{})
		e.must(err)
		if !out.VerificationRequired || out.Verification != nil {
			e.t.Fatalf("sign-up: required %v, verification %+v", out.VerificationRequired, out.Verification)
		}
		c := e.claimsOf(out.Token)
		e.same("", c.ActorID)
		e.same(map[string]any{}, c.AppMetadata)
		// A login: an actorless token and no verification yet. Its claims
		// are Medusa's skipActorType ones (N-08): the provider, the other
		// app_metadata keys, without the actor's.
		_, err = e.auth.SetActor(e.ctx, out.Identity.ID, auth.ActorUser, "user_01")
		e.must(err)
		l, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.must(err)
		if !l.VerificationRequired || l.Verification != nil {
			e.t.Fatalf("login before a request: %+v", l)
		}
		c = e.claimsOf(l.Token)
		e.same("", c.ActorID)
		e.same(out.Identity.ID, c.AuthIdentityID)
		e.same(emailpass.ID, c.AuthProvider)
		e.same(map[string]any{"user_id": "user_01"}, c.AppMetadata)
		// After a request: the pending verification.
		code := e.requestCode(out.Identity.ID, "ada@example.com")
		l, err = e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.must(err)
		if !l.VerificationRequired || l.Verification == nil || l.Verification.VerifiedAt != nil || l.Verification.EntityID != "ada@example.com" {
			e.t.Fatalf("login after a request: %+v", l)
		}
		// Other actor types and providers pass.
		l, err = e.auth.Login(e.ctx, auth.ActorUser, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.must(err)
		if l.VerificationRequired {
			e.t.Fatal("an actor type without a requirement was held back")
		}
		e.confirmCode(code)
		l, err = e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.must(err)
		if l.VerificationRequired || l.Verification != nil || e.claimsOf(l.Token).ActorID != out.Customer.ID {
			e.t.Fatalf("login after the confirmation: %+v", l)
		}
	}},
	{"Verification/GateNeedsTheProviderIdentity", func(e *env) {
		// Medusa: "Provider identity not found while checking verification".
		e.gated()
		a := e.register("ada@example.com", "correct horse")
		noPI := *a
		noPI.ProviderIdentities = nil
		_, _, err := e.auth.PendingVerification(e.ctx, &noPI, auth.ActorCustomer, emailpass.ID)
		e.wantErr(err, auth.ErrNotFound, store.ErrNotFound)
		e.wantPublic(err, "Provider identity not found while checking verification")
		_, pending, err := e.auth.PendingVerification(e.ctx, &noPI, auth.ActorCustomer, "magic")
		e.must(err)
		if pending {
			e.t.Fatal("a provider without a requirement is pending")
		}
	}},
	{"Verification/RefreshOfAnActorlessTokenIsGated", func(e *env) {
		// Medusa's refresh re-applies the gate to actorless tokens (N-04's
		// path for verification): a registration token refreshed after the
		// customer exists stays actorless until the email is verified.
		e.gated()
		a := e.register("ada@example.com", "correct horse")
		reg, err := e.auth.Token(a, auth.ActorCustomer, emailpass.ID)
		e.must(err)
		cust, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com"})
		e.must(err)
		_, err = e.auth.Refresh(e.ctx, reg)
		e.wantErr(err, auth.ErrVerificationRequired)
		var vr *auth.VerificationRequiredError
		if !errors.As(err, &vr) || vr.Verification != nil {
			e.t.Fatalf("refresh: %v", err)
		}
		c := e.claimsOf(vr.Token)
		e.same("", c.ActorID)
		e.same(map[string]any{}, c.AppMetadata)
		e.confirmCode(e.requestCode(a.ID, "ada@example.com"))
		full, err := e.auth.Refresh(e.ctx, vr.Token)
		e.must(err)
		e.same(cust.ID, e.claimsOf(full).ActorID)
		// A token with an actor is re-signed as it is.
		_, err = e.auth.Refresh(e.ctx, full)
		e.must(err)
	}},
	{"Verification/RotationIsGated", func(e *env) {
		e.gated(auth.WithRefreshRotation(nil))
		a := e.register("ada@example.com", "correct horse")
		reg, err := e.auth.Token(a, auth.ActorCustomer, emailpass.ID)
		e.must(err)
		rt, err := e.auth.IssueRefreshToken(e.ctx, e.claimsOf(reg))
		e.must(err)
		cust, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com"})
		e.must(err)
		rot, err := e.auth.Rotate(e.ctx, rt)
		e.must(err)
		if !rot.VerificationRequired || e.claimsOf(rot.AccessToken).ActorID != "" {
			e.t.Fatalf("rotation before the verification: %+v", rot)
		}
		e.confirmCode(e.requestCode(a.ID, "ada@example.com"))
		rot, err = e.auth.Rotate(e.ctx, rot.RefreshToken)
		e.must(err)
		if rot.VerificationRequired || rot.Verification != nil || e.claimsOf(rot.AccessToken).ActorID != cust.ID {
			e.t.Fatalf("rotation after the verification: %+v", rot)
		}
	}},
}

// wantPublic checks err's message for clients (store.PublicMessage).
func (e *env) wantPublic(err error, msg string) {
	e.t.Helper()
	if got, _ := store.PublicMessage(err); got != msg {
		e.t.Fatalf("error %v: public message %q, want %q", err, got, msg)
	}
}

// verifications lists what the store holds.
func (e *env) verifications(f auth.VerificationFilter) []*auth.Verification {
	e.t.Helper()
	got, err := e.auth.ListVerifications(e.ctx, f)
	e.must(err)
	return got
}
