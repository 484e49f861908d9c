package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/throttle"
)

// The /auth/mfa routes and the MFA step of logins, refreshes and gates,
// as Medusa 2.21 serves them (cases N-01 to N-09 of the reference), with
// clientele's differences: enabling MFA ends earlier tokens and sessions
// (and answers a new token), a TOTP code works once, codes are throttled.

// mfaClock runs on the real time, shifted so that a test starts 1 s into
// a 30 s TOTP step: it has 29 s before the step changes on its own.
func mfaClock() *settable {
	now := time.Now()
	step := now.Truncate(30 * time.Second)
	return &settable{offset: step.Add(30*time.Second + time.Second).Sub(now)}
}

func (c *settable) advance(d time.Duration) { c.mu.Lock(); c.offset += d; c.mu.Unlock() }

type mfaEnv struct {
	*env
	clock *settable
}

// newMFAEnv is an API whose auth service has MFA (recovery codes hashed
// cheaply) and cfg's options.
func newMFAEnv(t *testing.T, cfg auth.MFAConfig, extra ...auth.Option) *mfaEnv {
	t.Helper()
	return newMFAEnvClock(t, mfaClock(), cfg, extra...)
}

func newMFAEnvClock(t *testing.T, clock *settable, cfg auth.MFAConfig, extra ...auth.Option) *mfaEnv {
	t.Helper()
	cfg.EncryptionKey = "httpapi MFA key"
	cfg.RecoveryCodeHasher = emailpass.Scrypt{LogN: 4, R: 8, P: 1}
	e := newClockEnv(t, clock, append([]auth.Option{auth.WithMFA(cfg)}, extra...)...)
	return &mfaEnv{env: e, clock: clock}
}

func (e *mfaEnv) code(secret string, offset time.Duration) string {
	e.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.now().Add(offset), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// enrol makes a customer account for email, enrols and enables TOTP with
// its token, and returns the token the verification answered and the
// secret. The clock then moves to the next step.
func (e *mfaEnv) enrol(email string) (token, secret string) {
	e.t.Helper()
	tok, _ := e.customer(email)
	r := e.do("POST", "/auth/mfa/factors", `{"provider":"totp","label":"phone"}`, tok)
	r.want(e.t, 200, "", "")
	secret = r.str("secret")
	id, _ := r.obj("mfa_factor")["id"].(string)
	r = e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, tok)
	r.want(e.t, 200, "", "")
	e.clock.advance(30 * time.Second)
	return r.str("token"), secret
}

// pending logs in and checks Medusa's mfa_required answer.
func (e *mfaEnv) pending(email string) (token, challenge string) {
	e.t.Helper()
	r := e.do("POST", "/auth/customer/emailpass", `{"email":"`+email+`","password":"supersecret"}`, "")
	r.want(e.t, 200, "", "")
	if r.body["mfa_required"] != true || r.obj("mfa_challenge") == nil {
		e.t.Fatalf("login with MFA: %s", r.raw)
	}
	id, _ := r.obj("mfa_challenge")["id"].(string)
	return r.str("token"), id
}

// complete logs in and completes the challenge with TOTP.
func (e *mfaEnv) complete(email, secret string) string {
	e.t.Helper()
	tok, ch := e.pending(email)
	r := e.do("POST", "/auth/mfa/challenges/"+ch+"/verify", `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, tok)
	r.want(e.t, 200, "", "")
	e.clock.advance(30 * time.Second)
	return r.str("token")
}

// claimsOf returns a token's payload as JSON values (nulls included).
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(tokenPayload(t, tok)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// wantMFARequired checks the gate's bare 401.
func (r resp) wantMFARequired(t *testing.T) {
	t.Helper()
	if r.status != 401 || strings.TrimSpace(r.raw) != `{"message":"MFA verification is required to complete this request"}` {
		t.Fatalf("got %d %s, want the MFA 401", r.status, r.raw)
	}
}

// N-01: an identity without MFA logs in as before, with Medusa 2.21's
// claims, and manages factors.
func TestMFALoginWithoutMFA(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	tok, _ := e.customer("ada@example.com")
	r := e.login("ada@example.com", "supersecret")
	if _, ok := r.body["mfa_required"]; ok {
		t.Fatalf("login: %s", r.raw)
	}
	c := claimsOf(t, r.str("token"))
	if c["mfa_enabled"] != false || c["mfa_challenge_completed_at"] != nil {
		t.Fatalf("claims %v", c)
	}
	if _, ok := c["mfa_challenge_completed_at"]; !ok {
		t.Fatal("no mfa_challenge_completed_at claim")
	}
	e.do("GET", "/store/customers/me", "", r.str("token")).want(t, 200, "", "")
	r = e.do("GET", "/auth/mfa/factors", "", tok)
	r.want(t, 200, "", "")
	if r.raw != `{"mfa_factors":[]}`+"\n" {
		t.Fatalf("factors %s", r.raw)
	}
	e.do("GET", "/auth/mfa/factors", "", "").want(t, 401, "", "Unauthorized")
}

// N-02: enrolling, verifying, recovery codes; enabling MFA ends earlier
// tokens and answers a new one.
func TestMFAEnrol(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	tok, _ := e.customer("ada@example.com")
	r := e.do("POST", "/auth/mfa/factors", `{"provider":"totp","label":"Authenticator app","metadata":{"k":1}}`, tok)
	r.want(t, 200, "", "")
	f, secret := r.obj("mfa_factor"), r.str("secret")
	if f["status"] != "pending" || f["provider"] != "totp" || len(secret) != 32 ||
		r.str("otpauth_url") != "otpauth://totp/Medusa:Authenticator%20app?secret="+secret+"&issuer=Medusa" {
		t.Fatalf("enrolment %s", r.raw)
	}
	if _, has := f["provider_metadata"]; has || strings.Contains(r.raw, "v1:") {
		t.Fatalf("factor shows its secret: %s", r.raw)
	}
	if md, _ := f["metadata"].(map[string]any); md["label"] != "Authenticator app" || md["k"] != 1.0 {
		t.Fatalf("metadata %v", f["metadata"])
	}
	id, _ := f["id"].(string)
	e.do("POST", "/auth/mfa/factors", `{"provider":"totp"}`, tok).want(t, 400, "not_allowed", "An active TOTP factor already exists for this auth identity")
	e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"000000"}`, tok).want(t, 400, "not_allowed", "Invalid TOTP code")
	e.do("POST", "/auth/mfa/recovery-codes", `{}`, tok).want(t, 400, "not_allowed", "Recovery codes require an enabled MFA factor")

	r = e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, tok)
	r.want(t, 200, "", "")
	if r.obj("mfa_factor")["status"] != "enabled" || r.str("token") == "" {
		t.Fatalf("verify %s", r.raw)
	}
	// Earlier tokens end; the new one counts as having completed MFA.
	e.do("GET", "/store/customers/me", "", tok).want(t, 401, "", "Unauthorized")
	fresh := r.str("token")
	c := claimsOf(t, fresh)
	if c["mfa_enabled"] != true || c["mfa_challenge_completed_at"] == nil || c["actor_id"] == "" {
		t.Fatalf("new token %v", c)
	}
	e.do("GET", "/store/customers/me", "", fresh).want(t, 200, "", "")
	// The same code again: the factor is enabled already and the code
	// was used.
	e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, fresh).want(t, 400, "not_allowed", "Invalid TOTP code")

	r = e.do("POST", "/auth/mfa/recovery-codes", `{"count":10}`, fresh)
	r.want(t, 200, "", "")
	if codes, _ := r.body["recovery_codes"].([]any); len(codes) != 10 {
		t.Fatalf("recovery codes %s", r.raw)
	}
	r = e.do("POST", "/auth/mfa/recovery-codes", "", fresh)
	r.want(t, 200, "", "")
	if codes, _ := r.body["recovery_codes"].([]any); len(codes) != 10 {
		t.Fatalf("default count %s", r.raw)
	}
	var names []string
	for _, ev := range e.events.Events() {
		if strings.HasPrefix(ev.Name, "auth.mfa") {
			names = append(names, ev.Name)
		}
	}
	if strings.Join(names, " ") != "auth.mfa_enabled auth.mfa_recovery_codes_generated auth.mfa_recovery_codes_generated" {
		t.Fatalf("events %v", names)
	}
}

// N-03 to N-06: the login's second step.
func TestMFAChallenge(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	_, secret := e.enrol("ada@example.com")
	bobTok, _ := e.enrol("bob@example.com")
	pend, ch := e.pending("ada@example.com")
	c := claimsOf(t, pend)
	if c["actor_id"] != "" || c["mfa_enabled"] != true || c["mfa_challenge_completed_at"] != nil {
		t.Fatalf("pending claims %v", c)
	}
	r := e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	chal := r.obj("mfa_challenge")
	if m, _ := chal["methods"].([]any); len(m) != 1 || m[0] != "totp" || chal["auth_provider"] != "emailpass" || chal["attempts"] != 0.0 || chal["max_attempts"] != 5.0 || chal["completed_at"] != nil {
		t.Fatalf("challenge %v", chal)
	}

	// N-03: the pending token opens nothing but the challenge.
	e.do("POST", "/auth/mfa/recovery-codes", `{"count":10}`, pend).wantMFARequired(t)
	e.do("GET", "/auth/mfa/factors", "", pend).wantMFARequired(t)
	e.do("POST", "/auth/mfa/factors", `{"provider":"totp"}`, pend).wantMFARequired(t)
	e.do("DELETE", "/auth/mfa/factors/authmfa_x", `{}`, pend).wantMFARequired(t)
	e.do("GET", "/store/customers/me", "", pend).wantMFARequired(t)
	e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, pend).wantMFARequired(t)

	// N-04: refreshing it answers another challenge.
	r = e.do("POST", "/auth/token/refresh", "", pend)
	r.want(t, 200, "", "")
	if r.body["mfa_required"] != true || claimsOf(t, r.str("token"))["mfa_challenge_completed_at"] != nil {
		t.Fatalf("refresh of a pending token: %s", r.raw)
	}
	e.do("POST", "/auth/mfa/recovery-codes", `{}`, r.str("token")).wantMFARequired(t)

	// Bad input.
	path := "/auth/mfa/challenges/" + ch + "/verify"
	e.do("POST", path, `{"code":"1"}`, pend).want(t, 400, "invalid_data", "Invalid request: Field 'method' is required")
	e.do("POST", path, `{"method":"totp","code":""}`, pend).want(t, 400, "invalid_data", "Invalid request: Value for field 'code' too small, expected at least: '1'")
	e.do("POST", path, `{"method":"totp","code":"1","x":1}`, pend).want(t, 400, "invalid_data", "Invalid request: Unrecognized fields: 'x'")
	e.do("POST", path, `{"method":"sms","code":"1"}`, pend).want(t, 400, "invalid_data", `MFA challenge does not support method "sms"`)
	e.do("POST", path, `{"method":"totp","code":"1"}`, "").want(t, 401, "", "Unauthorized")
	e.do("POST", "/auth/mfa/challenges/authmfachal_none/verify", `{"method":"totp","code":"1"}`, pend).want(t, 404, "not_found", `MFA challenge with id "authmfachal_none" was not found`)

	// N-05: another identity's token: 404, and the challenge is intact.
	e.do("POST", path, `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, bobTok).want(t, 404, "not_found", `MFA challenge with id "`+ch+`" was not found`)
	e.do("POST", path, `{"method":"totp","code":"000000"}`, pend).want(t, 400, "not_allowed", "Invalid MFA challenge code")

	// N-06: completed, the token has the completion time; refresh keeps
	// it; the MFA routes open.
	r = e.do("POST", path, `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, pend)
	r.want(t, 200, "", "")
	full := r.str("token")
	c = claimsOf(t, full)
	done, _ := c["mfa_challenge_completed_at"].(string)
	if c["actor_id"] == "" || c["mfa_enabled"] != true || len(done) != len("2026-01-02T15:04:05.123Z") || !strings.HasSuffix(done, "Z") {
		t.Fatalf("completed claims %v", c)
	}
	e.do("POST", path, `{"method":"totp","code":"`+e.code(secret, 30*time.Second)+`"}`, pend).want(t, 400, "not_allowed", "MFA challenge has already been completed")
	e.clock.advance(2 * time.Second)
	r = e.do("POST", "/auth/token/refresh", "", full)
	r.want(t, 200, "", "")
	if got := claimsOf(t, r.str("token"))["mfa_challenge_completed_at"]; got != done {
		t.Fatalf("refreshed completion %v, want %s", got, done)
	}
	r = e.do("GET", "/auth/mfa/factors", "", r.str("token"))
	r.want(t, 200, "", "")
	fs, _ := r.body["mfa_factors"].([]any)
	if len(fs) != 1 || fs[0].(map[string]any)["status"] != "enabled" {
		t.Fatalf("factors %s", r.raw)
	}
	id, _ := fs[0].(map[string]any)["id"].(string)
	e.do("POST", "/auth/mfa/recovery-codes", `{"count":10}`, full).want(t, 200, "", "")
	// Another identity's factor is not found.
	e.do("DELETE", "/auth/mfa/factors/"+id, `{}`, bobTok).want(t, 404, "not_found", `MFA factor with id "`+id+`" was not found`)
	e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"123456"}`, bobTok).want(t, 404, "not_found", `MFA factor with id "`+id+`" was not found`)
	r = e.do("DELETE", "/auth/mfa/factors/"+id, `{}`, full)
	r.want(t, 200, "", "")
	if r.obj("mfa_factor")["status"] != "disabled" {
		t.Fatalf("disable %s", r.raw)
	}
	// MFA is off: a plain login again.
	if r := e.login("ada@example.com", "supersecret"); r.body["mfa_required"] != nil {
		t.Fatalf("login after disabling: %s", r.raw)
	}
}

// Attempts, recovery codes and throttling over HTTP.
func TestMFAChallengeAttemptsAndRecoveryCodes(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{ChallengeMaxAttempts: 2})
	_, secret := e.enrol("ada@example.com")
	full := e.complete("ada@example.com", secret)
	r := e.do("POST", "/auth/mfa/recovery-codes", `{"count":2}`, full)
	r.want(t, 200, "", "")
	codes, _ := r.body["recovery_codes"].([]any)
	for _, body := range []string{`{"count":0}`, `{"count":51}`, `{"count":1.5}`, `{"count":"2"}`, `{"count":null}`} {
		r := e.do("POST", "/auth/mfa/recovery-codes", body, full)
		r.want(t, 400, "invalid_data", "")
		if !strings.HasPrefix(r.str("message"), "Invalid request: ") {
			t.Fatalf("%s: %s", body, r.raw)
		}
	}
	e.do("POST", "/auth/mfa/recovery-codes", `{"count":51}`, full).want(t, 400, "invalid_data", "Invalid request: Value for field 'count' too big, expected at most: '50'")

	pend, ch := e.pending("ada@example.com")
	path := "/auth/mfa/challenges/" + ch + "/verify"
	r = e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	if m, _ := r.obj("mfa_challenge")["methods"].([]any); len(m) != 2 || m[1] != "recovery_code" {
		t.Fatalf("methods %s", r.raw)
	}
	e.do("POST", path, `{"method":"recovery_code","code":"nope"}`, pend).want(t, 400, "not_allowed", "Invalid MFA challenge code")
	e.do("POST", path, `{"method":"recovery_code","code":"nope"}`, pend).want(t, 400, "not_allowed", "MFA challenge has too many failed attempts")
	e.do("POST", path, `{"method":"recovery_code","code":"`+codes[0].(string)+`"}`, pend).want(t, 400, "not_allowed", "MFA challenge has too many failed attempts")
	pend, ch = e.pending("ada@example.com")
	r = e.do("POST", "/auth/mfa/challenges/"+ch+"/verify", `{"method":"recovery_code","code":"`+strings.ToUpper(codes[0].(string))+`"}`, pend)
	r.want(t, 200, "", "")
	pend, ch = e.pending("ada@example.com")
	e.do("POST", "/auth/mfa/challenges/"+ch+"/verify", `{"method":"recovery_code","code":"`+codes[0].(string)+`"}`, pend).want(t, 400, "not_allowed", "Invalid MFA challenge code")
}

// Wrong codes are throttled per identity across challenges.
func TestMFAThrottled(t *testing.T) {
	clock := mfaClock()
	lim, err := throttle.New(memory.New(), throttle.Config{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e := newMFAEnvClock(t, clock, auth.MFAConfig{}, auth.WithThrottle(lim))
	_, secret := e.enrol("ada@example.com")
	for range 6 {
		pend, ch := e.pending("ada@example.com")
		e.do("POST", "/auth/mfa/challenges/"+ch+"/verify", `{"method":"totp","code":"000000"}`, pend).want(t, 400, "not_allowed", "Invalid MFA challenge code")
	}
	pend, ch := e.pending("ada@example.com")
	path := "/auth/mfa/challenges/" + ch + "/verify"
	e.do("POST", path, `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, pend).wantLimited(t, "60")
	e.clock.advance(time.Minute)
	e.do("POST", path, `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, pend).want(t, 200, "", "")
}

// N-07: an identity without an actor enrols with its registration token
// and completes a challenge; the token stays actorless.
func TestMFAActorless(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	reg := e.register("customer", "ada@example.com")
	r := e.do("POST", "/auth/mfa/factors", `{"provider":"totp","label":"app"}`, reg)
	r.want(t, 200, "", "")
	secret, id := r.str("secret"), r.obj("mfa_factor")["id"].(string)
	r = e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, reg)
	r.want(t, 200, "", "")
	after := r.str("token")
	if c := claimsOf(t, after); c["actor_id"] != "" || c["mfa_challenge_completed_at"] == nil {
		t.Fatalf("token after enabling %v", c)
	}
	e.clock.advance(30 * time.Second)
	// The pending token of a login may not enrol another factor.
	pend, ch := e.pending("ada@example.com")
	e.do("POST", "/auth/mfa/factors", `{"provider":"totp"}`, pend).wantMFARequired(t)
	r = e.do("POST", "/auth/mfa/challenges/"+ch+"/verify", `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, pend)
	r.want(t, 200, "", "")
	full := r.str("token")
	if c := claimsOf(t, full); c["actor_id"] != "" || c["mfa_challenge_completed_at"] == nil {
		t.Fatalf("completed actorless token %v", c)
	}
	e.do("POST", "/auth/mfa/recovery-codes", `{"count":10}`, full).want(t, 200, "", "")
	// The account is created with it; a refresh carries the actor.
	e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, full).want(t, 200, "", "")
	r = e.do("POST", "/auth/token/refresh", "", full)
	r.want(t, 200, "", "")
	if c := claimsOf(t, r.str("token")); c["actor_id"] == "" || c["mfa_challenge_completed_at"] == nil {
		t.Fatalf("refreshed %v", c)
	}
}

// An actorless token issued before MFA was on (a Medusa server's, which
// does not revoke) may not enrol a second factor.
func TestMFAEnrolmentNeedsACompletedLogin(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	reg := e.register("customer", "ada@example.com")
	c, err := e.authS.Tokens().Verify(reg)
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/auth/mfa/factors", `{"provider":"totp"}`, reg)
	r.want(t, 200, "", "")
	id := r.obj("mfa_factor")["id"].(string)
	e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(r.str("secret"), 0)+`"}`, reg).want(t, 200, "", "")
	e.clock.advance(time.Second) // a Medusa token has whole seconds: past the revocation's
	medusa, err := e.authS.Tokens().Issue(auth.Claims{ActorType: "customer", AuthIdentityID: c.AuthIdentityID, AuthProvider: emailpass.ID})
	if err != nil {
		t.Fatal(err)
	}
	e.do("POST", "/auth/mfa/factors", `{"provider":"totp"}`, medusa).want(t, 401, "unauthorized", "Enrolling an MFA factor while MFA is enabled requires a fully authenticated session")
}

// Enabling MFA from a cookie session replaces the session.
func TestMFAEnableInSession(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	tok, _ := e.customer("ada@example.com")
	old := sessionCookie(t, e.do("POST", "/auth/session", "", tok))
	cookie := "Cookie: connect.sid=" + old.Value
	r := e.do("POST", "/auth/mfa/factors", `{"provider":"totp"}`, "", cookie)
	r.want(t, 200, "", "")
	secret, id := r.str("secret"), r.obj("mfa_factor")["id"].(string)
	r = e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, "", cookie)
	r.want(t, 200, "", "")
	fresh := sessionCookie(t, r)
	if fresh.Value == old.Value {
		t.Fatal("the session was not replaced")
	}
	e.do("GET", "/store/customers/me", "", "", cookie).want(t, 401, "", "Unauthorized")
	e.do("GET", "/store/customers/me", "", "", "Cookie: connect.sid="+fresh.Value).want(t, 200, "", "")
	e.do("POST", "/auth/mfa/recovery-codes", `{}`, "", "Cookie: connect.sid="+fresh.Value).want(t, 200, "", "")
	// A login in session mode (Medusa's SDK posts the pending token to
	// /auth/session) stays pending until the challenge is completed.
	e.clock.advance(30 * time.Second)
	pend, ch := e.pending("ada@example.com")
	s := sessionCookie(t, e.do("POST", "/auth/session", "", pend))
	sc := "Cookie: connect.sid=" + s.Value
	e.do("GET", "/store/customers/me", "", "", sc).wantMFARequired(t)
	r = e.do("POST", "/auth/mfa/challenges/"+ch+"/verify", `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, "", sc)
	r.want(t, 200, "", "")
	done := sessionCookie(t, e.do("POST", "/auth/session", "", r.str("token"), sc))
	e.do("GET", "/store/customers/me", "", "", "Cookie: connect.sid="+done.Value).want(t, 200, "", "")
}

// The "challenge" disable policy over HTTP, and bad input of the factor
// routes.
func TestMFADisablePolicyAndBadInput(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{DisablePolicy: auth.MFADisableChallenge})
	tok, secret := e.enrol("ada@example.com")
	r := e.do("GET", "/auth/mfa/factors", "", tok)
	id := r.body["mfa_factors"].([]any)[0].(map[string]any)["id"].(string)
	path := "/auth/mfa/factors/" + id
	e.do("DELETE", path, `{}`, tok).want(t, 400, "invalid_data", "MFA verification code is required to disable MFA")
	e.do("DELETE", path, "", tok).want(t, 400, "invalid_data", "MFA verification code is required to disable MFA")
	e.do("DELETE", path, `{"method":"totp","code":"000000"}`, tok).want(t, 400, "not_allowed", "Invalid MFA verification code")
	e.do("DELETE", path, `{"method":null}`, tok).want(t, 400, "invalid_data", "Invalid request: Expected type: 'string' for field 'method', got: 'null'")
	e.do("DELETE", path, `{"method":""}`, tok).want(t, 400, "invalid_data", "Invalid request: Value for field 'method' too small, expected at least: '1'")
	e.do("DELETE", "/auth/mfa/factors/authmfa_none", `{}`, tok).want(t, 404, "not_found", `MFA factor with id "authmfa_none" was not found`)
	r = e.do("DELETE", path, `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, tok)
	r.want(t, 200, "", "")
	if r.obj("mfa_factor")["status"] != "disabled" {
		t.Fatalf("disable: %s", r.raw)
	}

	e.do("POST", "/auth/mfa/factors", `{}`, tok).want(t, 400, "invalid_data", "Invalid request: Field 'provider' is required")
	e.do("POST", "/auth/mfa/factors", `{"provider":""}`, tok).want(t, 400, "invalid_data", "Invalid request: Value for field 'provider' too small, expected at least: '1'")
	e.do("POST", "/auth/mfa/factors", `{"provider":"sms"}`, tok).want(t, 400, "invalid_data", `MFA provider "sms" does not support setup`)
	e.do("POST", "/auth/mfa/factors", `{"provider":"totp","issuer":null}`, tok).want(t, 400, "invalid_data", "Invalid request: Expected type: 'string' for field 'issuer', got: 'null'")
	e.do("POST", "/auth/mfa/factors", `{"provider":"totp","label":5}`, tok).want(t, 400, "invalid_data", "Invalid request: Expected type: 'string' for field 'label', got: '5'")
	e.do("POST", "/auth/mfa/factors", `{"provider":"totp","metadata":[]}`, tok).want(t, 400, "invalid_data", "")
	r = e.do("POST", "/auth/mfa/factors", `{"provider":"totp","label":null,"issuer":"Shop"}`, tok)
	r.want(t, 200, "", "")
	e.do("POST", "/auth/mfa/factors/"+r.obj("mfa_factor")["id"].(string)+"/verify", `{}`, tok).want(t, 400, "invalid_data", "Invalid request: Field 'code' is required")
}

// N-09: Guard options. A pending login is refused by default;
// AllowPendingMFA lets it through; RequireMFA bounds the completion's
// age; identities without MFA pass.
func TestGuardMFA(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	tok, secret := e.enrol("ada@example.com")
	plain, _ := e.customer("bob@example.com")
	pend, _ := e.pending("ada@example.com")
	gd := e.api.Guard()
	h := func(opts ...httpapi.AuthOption) func(http.Handler) http.Handler {
		return gd.Authenticate("customer", append(opts, httpapi.AllowUnregistered())...)
	}
	rec, _ := serve(t, h(), "Authorization: Bearer "+pend)
	if rec.Code != 401 || strings.TrimSpace(rec.Body.String()) != `{"message":"MFA verification is required to complete this request"}` {
		t.Fatalf("pending: %d %s", rec.Code, rec.Body.String())
	}
	if rec, _ := serve(t, h(httpapi.AllowPendingMFA()), "Authorization: Bearer "+pend); rec.Code != 204 {
		t.Fatalf("AllowPendingMFA: %d %s", rec.Code, rec.Body.String())
	}
	if rec, _ := serve(t, h(httpapi.RequireMFA(time.Minute)), "Authorization: Bearer "+tok); rec.Code != 204 {
		t.Fatalf("fresh completion: %d %s", rec.Code, rec.Body.String())
	}
	if rec, _ := serve(t, h(httpapi.RequireMFA(time.Minute)), "Authorization: Bearer "+plain); rec.Code != 204 {
		t.Fatalf("no MFA: %d %s", rec.Code, rec.Body.String())
	}
	e.clock.advance(2 * time.Minute)
	rec, _ = serve(t, h(httpapi.RequireMFA(time.Minute)), "Authorization: Bearer "+tok)
	if rec.Code != 401 || strings.TrimSpace(rec.Body.String()) != `{"message":"MFA was verified too long ago to complete this request"}` {
		t.Fatalf("old completion: %d %s", rec.Code, rec.Body.String())
	}
	// A new login's completion satisfies it again.
	full := e.complete("ada@example.com", secret)
	if rec, _ := serve(t, h(httpapi.RequireMFA(time.Minute)), "Authorization: Bearer "+full); rec.Code != 204 {
		t.Fatalf("new completion: %d %s", rec.Code, rec.Body.String())
	}
}

// With rotation, a pending login gets no refresh token; a completed one
// does, and its rotations keep the completion.
func TestMFARotation(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{}, auth.WithRefreshRotation(nil))
	_, secret := e.enrol("ada@example.com")
	r := e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	if r.body["mfa_required"] != true || r.str("refresh_token") != "" {
		t.Fatalf("pending login: %s", r.raw)
	}
	ch := r.obj("mfa_challenge")["id"].(string)
	r = e.do("POST", "/auth/mfa/challenges/"+ch+"/verify", `{"method":"totp","code":"`+e.code(secret, 0)+`"}`, r.str("token"))
	r.want(t, 200, "", "")
	rt := r.str("refresh_token")
	if rt == "" {
		t.Fatalf("completion without a refresh token: %s", r.raw)
	}
	r = e.do("POST", "/auth/token/rotate", `{"refresh_token":"`+rt+`"}`, "")
	r.want(t, 200, "", "")
	if c := claimsOf(t, r.str("token")); c["mfa_challenge_completed_at"] == nil || c["mfa_enabled"] != true {
		t.Fatalf("rotated %v", c)
	}
}

// TestMFAEnablingNeedsARecentLogin: enabling a factor ends every login
// and gives the caller a new one, so it needs a recent login: an old
// stolen session cannot enrol its holder's factor to become recent.
func TestMFAEnablingNeedsARecentLogin(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	tok, _ := e.customer("ada@example.com")
	r := e.do("POST", "/auth/mfa/factors", `{"provider":"totp","label":"phone"}`, tok)
	r.want(t, 200, "", "")
	secret := r.str("secret")
	id, _ := r.obj("mfa_factor")["id"].(string)
	e.clock.advance(httpapi.DefaultRecentLogin + time.Minute)
	e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, tok).
		want(t, 401, "unauthorized", "Log in again to change how you log in")
	// A new login enables it.
	r = e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	r.want(t, 200, "", "")
	r = e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, r.str("token"))
	r.want(t, 200, "", "")
	if f := r.obj("mfa_factor"); f["status"] != "enabled" || r.str("token") == "" {
		t.Fatalf("verify: %s", r.raw)
	}
}
