package servicetest

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// MFA behaviour: Medusa 2.21's auth module (startAuthMfa, verifyAuthMfa,
// createAuthMfaChallenge, verifyAuthMfaChallenge, disableAuthMfa,
// generateAuthMfaRecoveryCodes, useAuthMfaRecoveryCode), the login's
// second step (cases N-01 to N-07 of the reference), and clientele's
// additions: a replay guard, revocation when MFA is turned on, throttled
// codes.

const mfaKey = "servicetest MFA encryption key"

// mfaT0 is the suite's MFA clock: 10 s into a 30 s TOTP step.
var mfaT0 = time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)

// withMFA gives e an auth service with MFA (cfg, with the suite's key and
// cheap recovery-code hashes unless set) at mfaT0, and returns it. A
// backend without an auth.MFAStore skips.
func (e *env) withMFA(cfg auth.MFAConfig, opts ...auth.Option) *auth.Service {
	e.t.Helper()
	if _, ok := e.st.(auth.MFAStore); !ok {
		e.t.Skip("the backend implements no auth.MFAStore (optional)")
	}
	if cfg.EncryptionKey == "" {
		cfg.EncryptionKey = mfaKey
	}
	if cfg.RecoveryCodeHasher == nil {
		cfg.RecoveryCodeHasher = e.secrets.hasher(cheap)
	}
	e.clock.set(mfaT0)
	e.auth = e.newAuth(append([]auth.Option{auth.WithMFA(cfg)}, opts...)...)
	e.accounts = must(account.NewService(e.st, e.auth, e.customers))(e.t)
	return e.auth
}

// code is what an authenticator app shows for secret at the suite's clock
// (plus offset).
func (e *env) code(secret string, offset time.Duration) string {
	e.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.now().Add(offset), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	e.must(err)
	e.secrets.add(secret, c)
	return c
}

// enrol registers email as a customer with a customer actor, enrols and
// enables a TOTP factor, moves the clock to the next step, and returns
// the identity, the secret and the factor.
func (e *env) enrol(email string) (*auth.AuthIdentity, string, *auth.MFAFactor) {
	e.t.Helper()
	a := e.register(email, "password")
	a, err := e.auth.SetActor(e.ctx, a.ID, auth.ActorCustomer, "cus_"+strings.Split(email, "@")[0])
	e.must(err)
	en, err := e.auth.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: auth.MFAMethodTOTP, Label: "phone"})
	e.must(err)
	f, err := e.auth.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, AuthIdentityID: a.ID, Code: e.code(en.Secret, 0)})
	e.must(err)
	e.advance(30 * time.Second)
	return a, en.Secret, f
}

func (e *env) mfaLogin(email string) *auth.Login {
	e.t.Helper()
	l, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(email, "password"))
	e.must(err)
	e.must(e.auth.Flush(e.ctx)) // the throttle hears of a success after the answer
	return l
}

func (e *env) claims(tok string) *auth.Claims {
	e.t.Helper()
	c, err := e.auth.Tokens().Verify(tok)
	e.must(err)
	return c
}

// wantMFAError checks err's kind and Medusa's message.
func (e *env) wantMFAError(err error, kind error, msg string) {
	e.t.Helper()
	e.wantErr(err, kind)
	if got, _ := store.PublicMessage(err); got != msg {
		e.t.Fatalf("public message %q (%v), want %q", got, err, msg)
	}
}

func (e *env) completeMFA(l *auth.Login, method, code string) (*auth.Login, error) {
	e.t.Helper()
	return e.auth.CompleteMFALogin(e.ctx, e.claims(l.Token), l.MFAChallenge.ID, method, code)
}

var mfaBehaviour = []test{
	{"MFA/VerificationComesFirst", func(e *env) {
		// An identity with MFA on whose email must still be verified: the
		// login answers verification_required and opens no challenge (as
		// Medusa's generateJwtTokenWithChecks); once verified, the MFA
		// challenge.
		e.withMFA(auth.MFAConfig{})
		a, secret, _ := e.enrol("ada@example.com")
		e.withMFA(auth.MFAConfig{}, emailGate) // the clock back at mfaT0
		e.advance(time.Minute)                 // past the step the enrolment used
		l := e.mfaLogin("ada@example.com")
		if !l.VerificationRequired || l.MFAChallenge != nil {
			e.t.Fatalf("login before verification: required %v, challenge %+v", l.VerificationRequired, l.MFAChallenge)
		}
		e.same("", e.claims(l.Token).ActorID)
		e.confirmCode(e.requestCode(a.ID, "ada@example.com"))
		l = e.mfaLogin("ada@example.com")
		if l.VerificationRequired || l.MFAChallenge == nil || l.MFAChallenge.CompletedAt != nil {
			e.t.Fatalf("login after verification: %+v", l)
		}
		e.same("", e.claims(l.Token).ActorID)
		done, err := e.auth.CompleteMFALogin(e.ctx, e.claims(l.Token), l.MFAChallenge.ID, auth.MFAMethodTOTP, e.code(secret, 0))
		e.must(err)
		e.same(a.AppMetadata["customer_id"], e.claims(done.Token).ActorID)
	}},
	{"MFA/StartShapesAndErrors", func(e *env) {
		svc := e.withMFA(auth.MFAConfig{})
		a := e.register("ada@example.com", "password")
		en, err := svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "totp", Label: "Ada's phone", Metadata: map[string]any{"device": "pixel", "label": "overwritten"}})
		e.must(err)
		if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(en.Secret) {
			e.t.Fatalf("secret %q is not 20 bytes of base32", en.Secret)
		}
		e.same("otpauth://totp/Medusa:Ada's%20phone?secret="+en.Secret+"&issuer=Medusa", en.OTPAuthURL)
		f := en.Factor
		if !strings.HasPrefix(f.ID, "authmfa_") || f.Status != auth.MFAPending || f.Provider != "totp" || f.AuthIdentityID != a.ID {
			e.t.Fatalf("factor %+v", f)
		}
		e.same(map[string]any{"device": "pixel", "label": "Ada's phone"}, f.Metadata)
		// Medusa's JSON: no provider_metadata.
		b, _ := json.Marshal(f)
		var keys map[string]any
		e.must(json.Unmarshal(b, &keys))
		for _, k := range []string{"id", "auth_identity_id", "provider", "status", "metadata", "created_at", "updated_at", "deleted_at"} {
			if _, ok := keys[k]; !ok {
				e.t.Fatalf("factor JSON %s lacks %s", b, k)
			}
		}
		if strings.Contains(string(b), "secret") || len(keys) != 8 {
			e.t.Fatalf("factor JSON %s", b)
		}
		// The store holds the secret encrypted, and the issuer.
		stored, err := e.st.(auth.MFAStore).ListMFAFactors(e.ctx, auth.MFAFactorFilter{IDs: []string{f.ID}}, store.ListOptions{})
		e.must(err)
		enc, _ := stored[0].ProviderMetadata["secret"].(string)
		if !strings.HasPrefix(enc, "v1:") || strings.Contains(enc, en.Secret) || stored[0].ProviderMetadata["issuer"] != "Medusa" {
			e.t.Fatalf("provider metadata %v", stored[0].ProviderMetadata)
		}
		// One active TOTP factor per identity, pending included.
		_, err = svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "totp"})
		e.wantMFAError(err, auth.ErrNotAllowed, "An active TOTP factor already exists for this auth identity")
		// Without a label the identity names the account; an issuer of the
		// request wins.
		b2 := e.register("bob@example.com", "password")
		en2, err := svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: b2.ID, Provider: "totp", Issuer: "Acme Shop"})
		e.must(err)
		e.same("otpauth://totp/Acme%20Shop:"+b2.ID+"?secret="+en2.Secret+"&issuer=Acme%20Shop", en2.OTPAuthURL)
		e.same(map[string]any{}, en2.Factor.Metadata)

		_, err = svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: "authid_none", Provider: "totp"})
		e.wantErr(err, auth.ErrNotFound)
		_, err = svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "sms"})
		e.wantMFAError(err, auth.ErrInvalid, `MFA provider "sms" does not support setup`)
		_, err = svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "recovery_code"})
		e.wantMFAError(err, auth.ErrInvalid, `MFA provider "recovery_code" does not support setup`)
		_, err = svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "totp", Label: "a\x00b"})
		e.wantInvalid(err, "label", auth.ErrInvalid)
		_, err = svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: b2.ID, Provider: "totp", Issuer: strings.Repeat("x", 257)})
		e.wantInvalid(err, "issuer", auth.ErrInvalid)
		_, err = svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: b2.ID, Provider: "totp", Metadata: map[string]any{"bad": "a\x00"}})
		e.wantErr(err, auth.ErrInvalid)
		// Without an encryption key, TOTP cannot be used.
		noKey := e.newAuth()
		_, err = noKey.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: b2.ID, Provider: "totp"})
		e.wantMFAError(err, auth.ErrInvalid, "MFA encryption key is required to use MFA methods")
		e.wantErr(err, auth.ErrMFANotConfigured)
	}},
	{"MFA/VerifyEnablesOnceAndRevokes", func(e *env) {
		svc := e.withMFA(auth.MFAConfig{})
		a := e.register("ada@example.com", "password")
		before := e.login("ada@example.com", "password")
		en, err := svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "totp"})
		e.must(err)
		other := e.register("bob@example.com", "password")
		e.events.Reset()

		for _, bad := range []string{"000000", "12345", "1234567", "abcdef", ""} {
			if bad == e.code(en.Secret, 0) {
				continue
			}
			_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: bad})
			e.wantMFAError(err, auth.ErrNotAllowed, "Invalid TOTP code")
			e.wantErr(err, auth.ErrMFACode)
		}
		// A factor of another identity is not found.
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, AuthIdentityID: other.ID, Code: e.code(en.Secret, 0)})
		e.wantMFAError(err, auth.ErrNotFound, `MFA factor with id "`+en.Factor.ID+`" was not found`)
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: "authmfa_none", Code: "123456"})
		e.wantMFAError(err, auth.ErrNotFound, `MFA factor with id "authmfa_none" was not found`)
		e.verifies(svc, before, true)

		// A code of the previous step (the window) enables it.
		f, err := svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, AuthIdentityID: a.ID, Code: e.code(en.Secret, -30*time.Second)})
		e.must(err)
		e.same(auth.MFAEnabled, f.Status)
		e.same([]string{auth.EventMFAEnabled}, eventNames(e.events.Events()))
		e.same(map[string]any{"auth_identity_id": a.ID, "mfa_id": f.ID, "provider": "totp"}, e.events.Events()[0].Data)
		// Turning MFA on ended the tokens issued before.
		e.verifies(svc, before, false)

		// Verifying an enabled factor again (a later code) changes nothing
		// and emits nothing.
		e.events.Reset()
		f2, err := svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: f.ID, Code: e.code(en.Secret, 0)})
		e.must(err)
		e.same(auth.MFAEnabled, f2.Status)
		e.same(0, len(e.events.Events()))
		// Outside the window: refused.
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: f.ID, Code: e.code(en.Secret, 60*time.Second)})
		e.wantErr(err, auth.ErrMFACode)

		// A disabled factor cannot be verified.
		_, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: f.ID})
		e.must(err)
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: f.ID, Code: e.code(en.Secret, 30*time.Second)})
		e.wantMFAError(err, auth.ErrNotAllowed, "Disabled MFA factors cannot be verified")
	}},
	{"MFA/ReplayGuard", func(e *env) {
		// A TOTP code accepted once is refused again within its window
		// (Medusa accepts it again), and so is any earlier step's.
		svc := e.withMFA(auth.MFAConfig{})
		a := e.register("ada@example.com", "password")
		en, err := svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "totp"})
		e.must(err)
		now := e.code(en.Secret, 0)
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: now})
		e.must(err)
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: now})
		e.wantErr(err, auth.ErrMFACode)
		e.advance(time.Millisecond) // past the revocation of enabling
		l := e.mfaLogin("ada@example.com")
		_, err = e.completeMFA(l, "totp", now)
		e.wantMFAError(err, auth.ErrNotAllowed, "Invalid MFA challenge code")
		// The next step's code works once; then the current step's is
		// refused, being earlier.
		next := e.code(en.Secret, 30*time.Second)
		_, err = e.completeMFA(l, "totp", next)
		e.must(err)
		l = e.mfaLogin("ada@example.com")
		_, err = e.completeMFA(l, "totp", next)
		e.wantErr(err, auth.ErrMFACode)
		e.advance(30 * time.Second)
		_, err = e.completeMFA(l, "totp", now)
		e.wantErr(err, auth.ErrMFACode)
		// Of concurrent uses of one fresh code, one is accepted.
		e.advance(30 * time.Second)
		fresh := e.code(en.Secret, 0)
		const n = 6
		logins := make([]*auth.Login, n)
		for i := range logins {
			logins[i] = e.mfaLogin("ada@example.com")
		}
		e.same(1, e.wins(n, func(i int) error {
			_, err := e.completeMFA(logins[i], "totp", fresh)
			return err
		}, auth.ErrMFACode))
	}},
	{"MFA/LoginAndChallenge", func(e *env) {
		// N-01: without MFA a login is a full token, mfa_enabled false.
		svc := e.withMFA(auth.MFAConfig{})
		plain := e.register("bob@example.com", "password")
		_, err := svc.SetActor(e.ctx, plain.ID, "customer", "cus_bob")
		e.must(err)
		l := e.mfaLogin("bob@example.com")
		c := e.claims(l.Token)
		if l.MFAChallenge != nil || c.MFAEnabled || c.MFAChallengeCompletedAt != nil || c.ActorID != "cus_bob" {
			e.t.Fatalf("login without MFA: %+v, %+v", l.MFAChallenge, c)
		}
		list, err := svc.ListMFA(e.ctx, auth.MFAFactorFilter{AuthIdentityIDs: []string{plain.ID}})
		e.must(err)
		e.same(0, len(list))

		// N-03: with MFA, an actorless token and a challenge offering totp.
		a, secret, f := e.enrol("ada@example.com")
		l = e.mfaLogin("ada@example.com")
		ch := l.MFAChallenge
		if ch == nil || !strings.HasPrefix(ch.ID, "authmfachal_") || ch.AuthIdentityID != a.ID || ch.AuthProvider != emailpass.ID ||
			ch.Attempts != 0 || ch.MaxAttempts != 5 || ch.CompletedAt != nil || !ch.ExpiresAt.Equal(e.clock.now().Add(5*time.Minute)) {
			e.t.Fatalf("challenge %+v", ch)
		}
		e.same([]string{"totp"}, ch.Methods)
		c = e.claims(l.Token)
		if c.ActorID != "" || c.AppMetadata["customer_id"] != nil || !c.MFAEnabled || c.MFAChallengeCompletedAt != nil || c.AuthProvider != emailpass.ID {
			e.t.Fatalf("pending claims %+v", c)
		}
		// Medusa's challenge JSON.
		b, _ := json.Marshal(ch)
		var keys map[string]any
		e.must(json.Unmarshal(b, &keys))
		for _, k := range []string{"id", "auth_identity_id", "auth_provider", "methods", "expires_at", "attempts", "max_attempts", "completed_at", "metadata"} {
			if _, ok := keys[k]; !ok {
				e.t.Fatalf("challenge JSON %s lacks %s", b, k)
			}
		}
		e.same("emailpass", keys["auth_provider"])

		// N-06: completing it gives the full token.
		done, err := e.completeMFA(l, "totp", e.code(secret, 0))
		e.must(err)
		c = e.claims(done.Token)
		if c.ActorID != "cus_ada" || !c.MFAEnabled || c.MFAChallengeCompletedAt == nil || !c.MFAChallengeCompletedAt.Equal(e.clock.now().Truncate(time.Millisecond)) {
			e.t.Fatalf("completed claims %+v", c)
		}
		e.same(e.clock.now(), *done.MFAChallenge.CompletedAt)
		e.same(0, done.MFAChallenge.Attempts)
		_, err = e.completeMFA(l, "totp", e.code(secret, 30*time.Second))
		e.wantMFAError(err, auth.ErrNotAllowed, "MFA challenge has already been completed")
		e.wantErr(err, auth.ErrMFAChallengeClosed)

		// Recovery codes join the methods.
		_, err = svc.GenerateMFARecoveryCodes(e.ctx, a.ID, 0)
		e.must(err)
		e.same([]string{"totp", "recovery_code"}, e.mfaLogin("ada@example.com").MFAChallenge.Methods)

		// A disabled factor: no challenge any more.
		_, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: f.ID, AuthIdentityID: a.ID})
		e.must(err)
		l = e.mfaLogin("ada@example.com")
		if l.MFAChallenge != nil || e.claims(l.Token).ActorID != "cus_ada" {
			e.t.Fatalf("login after disabling: %+v", l)
		}
		// CreateMFAChallenge refuses an identity without methods.
		_, err = svc.CreateMFAChallenge(e.ctx, auth.CreateMFAChallengeParams{AuthIdentityID: a.ID})
		e.wantMFAError(err, auth.ErrNotAllowed, "Auth identity does not have any enabled MFA methods")
		_, err = svc.CreateMFAChallenge(e.ctx, auth.CreateMFAChallengeParams{AuthIdentityID: "authid_none"})
		e.wantErr(err, auth.ErrNotFound)
	}},
	{"MFA/ChallengeOwnershipAttemptsExpiry", func(e *env) {
		svc := e.withMFA(auth.MFAConfig{ChallengeMaxAttempts: 3, ChallengeTTL: time.Minute})
		_, secret, _ := e.enrol("ada@example.com")
		e.enrol("bob@example.com")
		l := e.mfaLogin("ada@example.com")
		bob := e.mfaLogin("bob@example.com")

		// N-05: another identity's token: not found, and nothing counted.
		_, err := svc.CompleteMFALogin(e.ctx, e.claims(bob.Token), l.MFAChallenge.ID, "totp", "000000")
		e.wantMFAError(err, auth.ErrNotFound, `MFA challenge with id "`+l.MFAChallenge.ID+`" was not found`)
		_, err = svc.CompleteMFALogin(e.ctx, e.claims(l.Token), "authmfachal_none", "totp", "000000")
		e.wantMFAError(err, auth.ErrNotFound, `MFA challenge with id "authmfachal_none" was not found`)
		// A method the challenge does not offer.
		_, err = e.completeMFA(l, "recovery_code", "x")
		e.wantMFAError(err, auth.ErrInvalid, `MFA challenge does not support method "recovery_code"`)
		_, err = e.completeMFA(l, "sms", "x")
		e.wantMFAError(err, auth.ErrInvalid, `MFA challenge does not support method "sms"`)

		// Wrong codes count; the last allowed one says so; then even the
		// right code is refused.
		_, err = e.completeMFA(l, "totp", "000000")
		e.wantMFAError(err, auth.ErrNotAllowed, "Invalid MFA challenge code")
		_, err = e.completeMFA(l, "totp", "not a code")
		e.wantMFAError(err, auth.ErrNotAllowed, "Invalid MFA challenge code")
		_, err = e.completeMFA(l, "totp", "000001")
		e.wantMFAError(err, auth.ErrNotAllowed, "MFA challenge has too many failed attempts")
		_, err = e.completeMFA(l, "totp", e.code(secret, 0))
		e.wantMFAError(err, auth.ErrNotAllowed, "MFA challenge has too many failed attempts")
		e.wantErr(err, auth.ErrMFAChallengeClosed)

		// A new login's challenge works, until it expires.
		l = e.mfaLogin("ada@example.com")
		e.advance(time.Minute)
		_, err = e.completeMFA(l, "totp", e.code(secret, 0))
		e.wantMFAError(err, auth.ErrNotAllowed, "MFA challenge has expired")

		// The owner completes a challenge another identity tried (N-05).
		l = e.mfaLogin("ada@example.com")
		_, err = svc.CompleteMFALogin(e.ctx, e.claims(bob.Token), l.MFAChallenge.ID, "totp", e.code(secret, 0))
		e.wantErr(err, auth.ErrNotFound)
		_, err = e.completeMFA(l, "totp", e.code(secret, 0))
		e.must(err)
	}},
	{"MFA/ConcurrentGuessesGetNoMoreThanMaxAttempts", func(e *env) {
		svc := e.withMFA(auth.MFAConfig{})
		e.enrol("ada@example.com")
		l := e.mfaLogin("ada@example.com")
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = svc.CompleteMFALogin(e.ctx, e.claims(l.Token), l.MFAChallenge.ID, "totp", "000000")
			})
		}
		wg.Wait()
		checked := 0
		for _, err := range errs {
			e.wantErr(err, auth.ErrNotAllowed)
			if errors.Is(err, auth.ErrMFACode) {
				checked++ // the code was checked (and wrong)
			}
		}
		e.same(5, checked)
	}},
	{"MFA/RecoveryCodes", func(e *env) {
		svc := e.withMFA(auth.MFAConfig{})
		a, _, _ := e.enrol("ada@example.com")
		e.events.Reset()
		codes, err := svc.GenerateMFARecoveryCodes(e.ctx, a.ID, 0)
		e.must(err)
		e.same(10, len(codes))
		format := regexp.MustCompile(`^([0-9a-f]{4}-){7}[0-9a-f]{4}$`)
		seen := map[string]bool{}
		for _, c := range codes {
			if !format.MatchString(c) || seen[c] {
				e.t.Fatalf("code %q", c)
			}
			seen[c] = true
		}
		e.same([]string{auth.EventMFARecoveryCodesGenerated}, eventNames(e.events.Events()))
		e.same(map[string]any{"auth_identity_id": a.ID, "count": 10}, e.events.Events()[0].Data)
		// Only hashes are stored.
		stored, err := e.st.(auth.MFAStore).ListRecoveryCodes(e.ctx, a.ID)
		e.must(err)
		for _, rc := range stored {
			if seen[rc.CodeHash] || !strings.HasPrefix(rc.ID, "authmfarec_") {
				e.t.Fatalf("stored %+v", rc)
			}
		}
		for _, bad := range []int{-1, 51} {
			_, err = svc.GenerateMFARecoveryCodes(e.ctx, a.ID, bad)
			e.wantMFAError(err, auth.ErrInvalid, "Recovery code count must be between 1 and 50")
		}
		_, err = svc.GenerateMFARecoveryCodes(e.ctx, "authid_none", 3)
		e.wantErr(err, auth.ErrNotFound)

		// A code works once, in any case and with spaces around it.
		e.must(svc.UseMFARecoveryCode(e.ctx, a.ID, "  "+strings.ToUpper(codes[3])+"\n"))
		err = svc.UseMFARecoveryCode(e.ctx, a.ID, codes[3])
		e.wantMFAError(err, auth.ErrNotAllowed, "Recovery code is invalid or already used")
		err = svc.UseMFARecoveryCode(e.ctx, a.ID, strings.ReplaceAll(codes[4], "-", ""))
		e.wantErr(err, auth.ErrMFACode)
		// It completes a challenge, once.
		l := e.mfaLogin("ada@example.com")
		done, err := e.completeMFA(l, "recovery_code", codes[5])
		e.must(err)
		e.same("cus_ada", e.claims(done.Token).ActorID)
		l = e.mfaLogin("ada@example.com")
		_, err = e.completeMFA(l, "recovery_code", codes[5])
		e.wantMFAError(err, auth.ErrNotAllowed, "Invalid MFA challenge code")

		// A new set replaces the old one.
		fresh, err := svc.GenerateMFARecoveryCodes(e.ctx, a.ID, 2)
		e.must(err)
		e.same(2, len(fresh))
		e.wantErr(svc.UseMFARecoveryCode(e.ctx, a.ID, codes[0]), auth.ErrMFACode)
		e.must(svc.UseMFARecoveryCode(e.ctx, a.ID, fresh[1]))
		e.must(svc.UseMFARecoveryCode(e.ctx, a.ID, fresh[0]))
		// None left: recovery_code is no longer offered.
		e.same([]string{"totp"}, e.mfaLogin("ada@example.com").MFAChallenge.Methods)
	}},
	{"MFA/RefreshKeepsTheCompletion", func(e *env) {
		svc := e.withMFA(auth.MFAConfig{})
		a, secret, _ := e.enrol("ada@example.com")
		l := e.mfaLogin("ada@example.com")
		// N-04: a pending token refreshes into another challenge, never
		// into a full token.
		_, err := svc.Refresh(e.ctx, l.Token)
		e.wantErr(err, auth.ErrMFARequired, auth.ErrUnauthorized)
		again, err := svc.RefreshLogin(e.ctx, e.claims(l.Token))
		e.must(err)
		if again.MFAChallenge == nil || again.MFAChallenge.ID == l.MFAChallenge.ID {
			e.t.Fatalf("refresh of a pending token: %+v", again)
		}
		if c := e.claims(again.Token); c.ActorID != "" || !c.MFAEnabled || c.MFAChallengeCompletedAt != nil {
			e.t.Fatalf("refreshed pending claims %+v", c)
		}
		// N-06: a completed login refreshes with its completion.
		done, err := e.completeMFA(l, "totp", e.code(secret, 0))
		e.must(err)
		completed := e.claims(done.Token).MFAChallengeCompletedAt
		e.advance(time.Hour)
		tok, err := svc.Refresh(e.ctx, done.Token)
		e.must(err)
		c := e.claims(tok)
		if c.ActorID != "cus_ada" || !c.MFAEnabled || c.MFAChallengeCompletedAt == nil || !c.MFAChallengeCompletedAt.Equal(completed.Time) {
			e.t.Fatalf("refreshed claims %+v, completion %v", c, completed)
		}
		// A token from before MFA was on (made by a Medusa server, which
		// does not revoke) cannot refresh past it.
		medusa, err := svc.Tokens().Issue(auth.Claims{ActorID: "cus_ada", ActorType: "customer", AuthIdentityID: a.ID, AuthProvider: emailpass.ID})
		e.must(err)
		_, err = svc.Refresh(e.ctx, medusa)
		e.wantErr(err, auth.ErrMFARequired)
		l, err = svc.RefreshLogin(e.ctx, e.claims(medusa))
		e.must(err)
		if l.MFAChallenge == nil || e.claims(l.Token).ActorID != "" {
			e.t.Fatalf("refresh of a pre-MFA token: %+v", l)
		}
	}},
	{"MFA/DisablePolicies", func(e *env) {
		svc := e.withMFA(auth.MFAConfig{})
		a, _, f := e.enrol("ada@example.com")
		e.events.Reset()
		// "session" (default): no code needed.
		got, err := svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: f.ID, AuthIdentityID: a.ID})
		e.must(err)
		e.same(auth.MFADisabled, got.Status)
		e.same([]string{auth.EventMFADisabled}, eventNames(e.events.Events()))
		e.same(map[string]any{"auth_identity_id": a.ID, "mfa_id": f.ID, "provider": "totp"}, e.events.Events()[0].Data)
		// Again: no change, no event.
		_, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: f.ID})
		e.must(err)
		e.same(1, len(e.events.Events()))
		other := e.register("bob@example.com", "password")
		_, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: f.ID, AuthIdentityID: other.ID})
		e.wantMFAError(err, auth.ErrNotFound, `MFA factor with id "`+f.ID+`" was not found`)

		// "challenge": an enabled factor needs a code.
		svc = e.withMFA(auth.MFAConfig{DisablePolicy: auth.MFADisableChallenge})
		b, secret, g := e.enrol("carol@example.com")
		codes, err := svc.GenerateMFARecoveryCodes(e.ctx, b.ID, 2)
		e.must(err)
		for _, p := range []auth.DisableMFAParams{{ID: g.ID}, {ID: g.ID, Method: "totp"}, {ID: g.ID, Code: "123456"}} {
			_, err = svc.DisableMFA(e.ctx, p)
			e.wantMFAError(err, auth.ErrInvalid, "MFA verification code is required to disable MFA")
		}
		_, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: g.ID, Method: "totp", Code: "000000"})
		e.wantMFAError(err, auth.ErrNotAllowed, "Invalid MFA verification code")
		_, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: g.ID, Method: "sms", Code: "000000"})
		e.wantMFAError(err, auth.ErrInvalid, `MFA method "sms" is not supported`)
		_, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: g.ID, Method: "recovery_code", Code: "nope"})
		e.wantErr(err, auth.ErrMFACode)
		// A recovery code disables it, and is used up.
		got, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: g.ID, Method: "recovery_code", Code: codes[0]})
		e.must(err)
		e.same(auth.MFADisabled, got.Status)
		e.wantErr(svc.UseMFARecoveryCode(e.ctx, b.ID, codes[0]), auth.ErrMFACode)
		// A pending factor is disabled without a code; a TOTP code
		// disables an enabled one.
		en, err := svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: b.ID, Provider: "totp"})
		e.must(err)
		_, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: en.Factor.ID})
		e.must(err)
		en, err = svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: b.ID, Provider: "totp"})
		e.must(err)
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: e.code(en.Secret, 0)})
		e.must(err)
		e.advance(30 * time.Second)
		got, err = svc.DisableMFA(e.ctx, auth.DisableMFAParams{ID: en.Factor.ID, Method: "totp", Code: e.code(en.Secret, 0)})
		e.must(err)
		e.same(auth.MFADisabled, got.Status)
		_ = secret
	}},
	{"MFA/ActorlessEnrolment", func(e *env) {
		// N-07: an identity without an actor enrols with its registration
		// token's identity and completes a challenge; the token stays
		// actorless until an actor exists.
		svc := e.withMFA(auth.MFAConfig{})
		reg, err := svc.Register(e.ctx, emailpass.ID, creds("ada@example.com", "password"))
		e.must(err)
		a := reg.AuthIdentity
		en, err := svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "totp"})
		e.must(err)
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: e.code(en.Secret, 0)})
		e.must(err)
		e.advance(30 * time.Second)
		// Signing up again with the same password (emailpass answers the
		// existing identity) must not skip the challenge.
		_, err = e.accounts.SignUp(e.ctx, emailpass.ID, creds("ada@example.com", "password"), customer.CreateParams{})
		e.wantErr(err, auth.ErrMFARequired)
		l := e.mfaLogin("ada@example.com")
		done, err := e.completeMFA(l, "totp", e.code(en.Secret, 0))
		e.must(err)
		c := e.claims(done.Token)
		if c.ActorID != "" || c.MFAChallengeCompletedAt == nil {
			e.t.Fatalf("completed actorless claims %+v", c)
		}
		codes, err := svc.GenerateMFARecoveryCodes(e.ctx, a.ID, 10)
		e.must(err)
		e.same(10, len(codes))
		// The customer is created; a refresh of the completed token then
		// carries the actor and the completion.
		_, err = e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{Email: "ada@example.com"})
		e.must(err)
		tok, err := svc.Refresh(e.ctx, done.Token)
		e.must(err)
		if c := e.claims(tok); c.ActorID == "" || c.MFAChallengeCompletedAt == nil {
			e.t.Fatalf("refreshed claims %+v", c)
		}
	}},
	{"MFA/ChallengeWithoutAProvider", func(e *env) {
		// N-08: a challenge opened by a host (CreateMFAChallenge) without
		// a provider, completed with a token that names none, gives a
		// token without auth_provider and with empty user_metadata, whose
		// app_metadata keeps the identity's custom keys.
		svc := e.withMFA(auth.MFAConfig{})
		a, secret, _ := e.enrol("ada@example.com")
		_, err := svc.UpdateAuthIdentity(e.ctx, a.ID, map[string]any{"customer_id": "cus_ada", "foo": "bar", "is_verified": true})
		e.must(err)
		ch, err := svc.CreateMFAChallenge(e.ctx, auth.CreateMFAChallengeParams{AuthIdentityID: a.ID, Metadata: map[string]any{"ip": "192.0.2.1"}})
		e.must(err)
		if ch.AuthProvider != "" || ch.Metadata["ip"] != "192.0.2.1" {
			e.t.Fatalf("challenge %+v", ch)
		}
		b, _ := json.Marshal(ch)
		if !strings.Contains(string(b), `"auth_provider":null`) {
			e.t.Fatalf("challenge JSON %s", b)
		}
		var back auth.MFAChallenge
		e.must(json.Unmarshal(b, &back))
		e.same(ch.ID, back.ID)
		c := &auth.Claims{ActorType: "customer", AuthIdentityID: a.ID}
		done, err := svc.CompleteMFALogin(e.ctx, c, ch.ID, "totp", e.code(secret, 0))
		e.must(err)
		got := e.claims(done.Token)
		if got.AuthProvider != "" || len(got.UserMetadata) != 0 || got.ActorID != "cus_ada" || got.AppMetadata["foo"] != "bar" || got.AppMetadata["is_verified"] != true {
			e.t.Fatalf("claims %+v", got)
		}
	}},
	{"MFA/ReissueAfterEnabling", func(e *env) {
		svc := e.withMFA(auth.MFAConfig{})
		a := e.register("ada@example.com", "password")
		_, err := svc.SetActor(e.ctx, a.ID, "customer", "cus_ada")
		e.must(err)
		tok := e.login("ada@example.com", "password")
		_, err = svc.ReissueAfterMFA(e.ctx, e.claims(tok))
		e.wantMFAError(err, auth.ErrNotAllowed, "Auth identity does not have any enabled MFA methods")
		en, err := svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "totp"})
		e.must(err)
		c := e.claims(tok)
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: e.code(en.Secret, 0)})
		e.must(err)
		e.verifies(svc, tok, false)
		e.advance(time.Hour)
		fresh, err := svc.ReissueAfterMFA(e.ctx, c)
		e.must(err)
		e.verifies(svc, fresh, true)
		got := e.claims(fresh)
		if got.ActorID != "cus_ada" || !got.MFAEnabled || got.MFAChallengeCompletedAt == nil || got.AuthProvider != emailpass.ID {
			e.t.Fatalf("reissued claims %+v", got)
		}
		// The revocation ended every earlier login (an hour old here):
		// the reissued token is a login of now, or it would be refused.
		if got.LoginAt == nil || got.LoginAt.Before(e.clock.now().Add(-time.Second)) {
			e.t.Fatalf("reissued login_at %v, want about %v", got.LoginAt, e.clock.now())
		}
	}},
	{"MFA/WithoutAKeyLoginsAreStillChallenged", func(e *env) {
		// Factors enrolled elsewhere (a Medusa server on the same
		// database) are honoured by a service without MFA options: the
		// login is challenged; recovery codes complete it, TOTP needs the
		// key.
		withKey := e.withMFA(auth.MFAConfig{})
		a, secret, _ := e.enrol("ada@example.com")
		codes, err := withKey.GenerateMFARecoveryCodes(e.ctx, a.ID, 2)
		e.must(err)
		e.auth = e.newAuth(auth.WithMFA(auth.MFAConfig{RecoveryCodeHasher: cheap}))
		l := e.mfaLogin("ada@example.com")
		if l.MFAChallenge == nil {
			e.t.Fatal("no challenge without a key")
		}
		_, err = e.completeMFA(l, "totp", e.code(secret, 0))
		e.wantMFAError(err, auth.ErrInvalid, "MFA encryption key is required to use MFA methods")
		_, err = e.completeMFA(l, "recovery_code", codes[0])
		e.must(err)
		// And one instance verifies the challenge another opened.
		l = e.mfaLogin("ada@example.com")
		e.auth = withKey
		_, err = e.completeMFA(l, "totp", e.code(secret, 0))
		e.must(err)
	}},
	{"MFA/Throttled", func(e *env) {
		// Wrong codes are counted per identity across challenges: 5 free,
		// one more checked, then the identity's MFA is locked for a
		// minute, whatever the code.
		ts, ok := e.st.(throttle.Store)
		if !ok {
			e.t.Skip("the backend implements no throttle.Store (optional)")
		}
		e.clock.set(mfaT0)
		lim, err := throttle.New(ts, throttle.Config{Now: e.clock.now})
		e.must(err)
		svc := e.withMFA(auth.MFAConfig{}, auth.WithThrottle(lim))
		a, secret, _ := e.enrol("ada@example.com")
		for range 6 {
			l := e.mfaLogin("ada@example.com")
			_, err := e.completeMFA(l, "totp", "000000")
			e.wantErr(err, auth.ErrMFACode)
		}
		l := e.mfaLogin("ada@example.com")
		_, err = e.completeMFA(l, "totp", e.code(secret, 0))
		var le *throttle.LimitError
		if !errors.As(err, &le) || le.Rule != "mfa" || le.RetryAfter != time.Minute {
			e.t.Fatalf("seventh attempt: %v", err)
		}
		// Recovery codes are counted with the rest.
		e.wantErr(svc.UseMFARecoveryCode(e.ctx, a.ID, "x"), throttle.ErrLimited)
		// The lock lapses; the refused attempt cost the challenge nothing.
		e.advance(time.Minute)
		_, err = e.completeMFA(l, "totp", e.code(secret, 0))
		e.must(err)
		// A success clears the count.
		l = e.mfaLogin("ada@example.com")
		_, err = e.completeMFA(l, "totp", "000000")
		e.wantErr(err, auth.ErrMFACode)
		_, err = e.completeMFA(l, "totp", e.code(secret, 30*time.Second))
		e.must(err)
	}},
	{"MFA/RotationCarriesTheCompletion", func(e *env) {
		if _, ok := e.st.(auth.RefreshTokenStore); !ok {
			e.t.Skip("the backend implements no auth.RefreshTokenStore (optional)")
		}
		svc := e.withMFA(auth.MFAConfig{}, auth.WithRefreshRotation(nil))
		_, secret, _ := e.enrol("ada@example.com")
		l := e.mfaLogin("ada@example.com")
		// The pending token of a login gets no refresh token.
		_, err := svc.IssueRefreshToken(e.ctx, e.claims(l.Token))
		e.wantErr(err, auth.ErrMFARequired)
		done, err := e.completeMFA(l, "totp", e.code(secret, 0))
		e.must(err)
		rt, err := svc.IssueRefreshToken(e.ctx, e.claims(done.Token))
		e.must(err)
		e.advance(time.Minute)
		rot, err := svc.Rotate(e.ctx, rt)
		e.must(err)
		c := e.claims(rot.AccessToken)
		if c.ActorID != "cus_ada" || !c.MFAEnabled || c.MFAChallengeCompletedAt == nil || !c.MFAChallengeCompletedAt.Equal(e.claims(done.Token).MFAChallengeCompletedAt.Time) {
			e.t.Fatalf("rotated claims %+v", c)
		}
		// A family from before MFA was on (turned on without revoking, as
		// a Medusa server does) cannot rotate past it.
		b := e.register("bob@example.com", "password")
		_, err = svc.SetActor(e.ctx, b.ID, "customer", "cus_bob")
		e.must(err)
		bobRT, err := svc.IssueRefreshToken(e.ctx, e.claims(e.login("bob@example.com", "password")))
		e.must(err)
		ms := e.st.(auth.MFAStore)
		t := e.clock.now()
		e.must(ms.InsertMFAFactor(e.ctx, &auth.MFAFactor{ID: "authmfa_medusa", AuthIdentityID: b.ID, Provider: "totp", Status: auth.MFAEnabled, CreatedAt: t, UpdatedAt: t}))
		_, err = svc.Rotate(e.ctx, bobRT)
		e.wantErr(err, auth.ErrMFARequired)
	}},
	{"MFA/ConfigErrors", func(e *env) {
		for _, cfg := range []auth.MFAConfig{
			{Digits: 5}, {Digits: 9}, {Period: -1}, {Window: -2}, {ChallengeTTL: time.Millisecond}, {ChallengeMaxAttempts: -1},
			{RecoveryCodes: 51}, {DisablePolicy: "never"},
		} {
			tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testSecret})
			e.must(err)
			if _, err := auth.NewService(e.st, tokens, auth.WithMFA(cfg)); err == nil {
				e.t.Fatalf("WithMFA(%+v) accepted", cfg)
			}
		}
		// 8 digits, 60 s, window 0.
		svc := e.withMFA(auth.MFAConfig{Digits: 8, Period: 60, Window: auth.MFAWindowNone, Issuer: "Shop"})
		a := e.register("ada@example.com", "password")
		en, err := svc.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: "totp"})
		e.must(err)
		e.same("otpauth://totp/Shop:"+a.ID+"?secret="+en.Secret+"&issuer=Shop&digits=8&period=60", en.OTPAuthURL)
		code := func(offset time.Duration) string {
			c, err := totp.GenerateCodeCustom(en.Secret, e.clock.now().Add(offset), totp.ValidateOpts{Period: 60, Digits: otp.DigitsEight, Algorithm: otp.AlgorithmSHA1})
			e.must(err)
			return c
		}
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: code(-60 * time.Second)})
		e.wantErr(err, auth.ErrMFACode) // no window
		_, err = svc.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: code(0)})
		e.must(err)
	}},
	{"MFA/NoStoreNoMFA", func(e *env) {
		// A host store without auth.MFAStore: MFA methods say so, and
		// logins are unchanged.
		tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testSecret})
		e.must(err)
		svc, err := auth.NewService(struct{ auth.Store }{e.st}, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(cheap))), auth.WithMFA(auth.MFAConfig{EncryptionKey: "k"}))
		e.must(err)
		if svc.MFAAvailable() {
			e.t.Fatal("MFA available without a store")
		}
		_, err = svc.StartMFA(context.Background(), auth.StartMFAParams{AuthIdentityID: "authid_x", Provider: "totp"})
		e.wantErr(err, auth.ErrMFANotConfigured)
	}},
}
