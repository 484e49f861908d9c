package httpapi_test

import (
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
)

// A login held back by a pending MFA challenge or a pending verification
// never turns into a full token through another route.

func TestChangePasswordRefusesAPendingMFALogin(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{})
	e.enrol("mallory@example.com")
	tok, _ := e.pending("mallory@example.com")
	e.do("POST", "/auth/customer/emailpass/change-password", changeBody("supersecret", "supersecret2"), tok).
		want(t, 401, "", "MFA verification is required to complete this request")
}

func TestChangePasswordKeepsAPendingVerification(t *testing.T) {
	e := newEnvWith(t, []auth.Option{emailGate})
	reg := e.register("customer", "ada@example.com")
	e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, reg).want(t, 200, "", "")
	r := e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	if r.body["verification_required"] != true {
		t.Fatalf("login: %s", r.raw)
	}
	r = e.do("POST", "/auth/customer/emailpass/change-password", changeBody("supersecret", "supersecret2"), r.str("token"))
	r.want(t, 200, "", "")
	if r.body["verification_required"] != true {
		t.Fatalf("change-password answered %s", r.raw)
	}
	if c := claimsOf(t, r.str("token")); c["actor_id"] != "" {
		t.Fatalf("a token with an actor while the verification is pending: %+v", c)
	}
	e.do("GET", "/store/customers/me", "", r.str("token")).want(t, 401, "", "")
}

func TestMFAEnrolmentKeepsAPendingVerification(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{}, emailGate)
	reg := e.register("customer", "eve@example.com")
	e.do("POST", "/store/customers", `{"email":"eve@example.com"}`, reg).want(t, 200, "", "")
	r := e.do("POST", "/auth/customer/emailpass", `{"email":"eve@example.com","password":"supersecret"}`, "")
	if r.body["verification_required"] != true {
		t.Fatalf("login: %s", r.raw)
	}
	tok := r.str("token")
	r = e.do("POST", "/auth/mfa/factors", `{"provider":"totp"}`, tok)
	r.want(t, 200, "", "")
	secret := r.str("secret")
	id, _ := r.obj("mfa_factor")["id"].(string)
	r = e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, tok)
	r.want(t, 200, "", "")
	full := r.str("token")
	if c := claimsOf(t, full); c["actor_id"] != "" {
		t.Fatalf("enrolment gave a token with an actor: %+v", c)
	}
	e.do("GET", "/store/customers/me", "", full).want(t, 401, "", "")
}

func TestAPendingVerificationTokenPassesNoMFAGate(t *testing.T) {
	e := newMFAEnv(t, auth.MFAConfig{}, emailGate)
	reg := e.register("customer", "vic@example.com")
	e.do("POST", "/store/customers", `{"email":"vic@example.com"}`, reg).want(t, 200, "", "")
	tok := e.do("POST", "/auth/customer/emailpass", `{"email":"vic@example.com","password":"supersecret"}`, "").str("token")
	r := e.do("POST", "/auth/mfa/factors", `{"provider":"totp"}`, tok)
	secret := r.str("secret")
	id, _ := r.obj("mfa_factor")["id"].(string)
	e.do("POST", "/auth/mfa/factors/"+id+"/verify", `{"code":"`+e.code(secret, 0)+`"}`, tok).want(t, 200, "", "")
	e.clock.advance(30 * time.Second)
	// Someone with the password only: the verification-pending token says
	// MFA is on, so the MFA routes refuse it.
	r = e.do("POST", "/auth/customer/emailpass", `{"email":"vic@example.com","password":"supersecret"}`, "")
	atk := r.str("token")
	if c := claimsOf(t, atk); c["mfa_enabled"] != true || c["mfa_challenge_completed_at"] != nil || c["actor_id"] != "" {
		t.Fatalf("verification-pending token of an identity with MFA: %+v", c)
	}
	e.do("POST", "/auth/mfa/recovery-codes", `{}`, atk).want(t, 401, "", "MFA verification is required to complete this request")
}
