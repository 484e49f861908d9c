package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/throttle"
)

// emailGate is Medusa's authVerificationsPerActor {customer:
// [{auth_provider: "emailpass", entity_type: "email"}]}.
var emailGate = auth.WithVerificationsPerActor("customer", auth.VerificationRequirement{AuthProvider: "emailpass", EntityType: "email"})

// claims verifies tok with the env's auth service.
func (e *env) claims(tok string) *auth.Claims {
	e.t.Helper()
	c, err := e.authS.Verify(context.Background(), tok)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// lastCode waits for the verification events and returns the code of the
// last one, checking that it went to entity.
func (e *env) lastCode(entity string) string {
	e.t.Helper()
	e.flush()
	var code string
	for _, ev := range e.events.Events() {
		if ev.Name == auth.EventVerificationRequested && ev.Data["entity_id"] == entity {
			code, _ = ev.Data["code"].(string)
		}
	}
	if code == "" {
		e.t.Fatalf("no verification event for %s", entity)
	}
	return code
}

// wantNoSecret fails when a body carries a code or a code's hash.
func (r resp) wantNoSecret(t *testing.T, code string) {
	t.Helper()
	if strings.Contains(r.raw, "token_hash") || (code != "" && strings.Contains(r.raw, code)) || strings.Contains(r.raw, `"code"`) {
		t.Fatalf("the answer carries a code or its hash: %s", r.raw)
	}
}

func TestVerificationGatedLogin(t *testing.T) {
	// Medusa 2.21: a login whose verification is pending answers
	// {verification_required, verification, token} with an actorless
	// token; /auth/verification/request and /confirm prove the email; the
	// next login answers {token}.
	e := newEnvWith(t, []auth.Option{emailGate})
	reg := e.register("customer", "ada@example.com")
	r := e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, reg)
	r.want(t, 200, "", "")
	custID, _ := r.obj("customer")["id"].(string)

	// The refresh of the registration token is held back.
	r = e.do("POST", "/auth/token/refresh", "", reg)
	r.want(t, 200, "", "")
	if r.body["verification_required"] != true || r.body["verification"] != nil || len(r.body) != 2 {
		t.Fatalf("refresh: %s", r.raw)
	}
	if c := e.claims(r.str("token")); c.ActorID != "" || c.AppMetadata["customer_id"] != nil {
		t.Fatalf("held-back refresh gave actor %q, app_metadata %v", c.ActorID, c.AppMetadata)
	}

	login := func() resp {
		t.Helper()
		r := e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
		r.want(t, 200, "", "")
		return r
	}
	r = login()
	if r.body["verification_required"] != true || r.body["verification"] != nil {
		t.Fatalf("login before a request: %s", r.raw)
	}
	pending := r.str("token")
	if e.claims(pending).ActorID != "" {
		t.Fatal("a held-back login has an actor")
	}
	// The actorless token cannot reach the customer's routes.
	e.do("GET", "/store/customers/me", "", pending).want(t, 401, "", "Unauthorized")

	r = e.do("POST", "/auth/verification/request", `{"entity_id":"ada@example.com","entity_type":"email"}`, pending)
	r.want(t, 201, "", "")
	code := e.lastCode("ada@example.com")
	r.wantNoSecret(t, code)
	v := r.obj("verification")
	for _, k := range []string{"id", "auth_identity_id", "entity_id", "entity_type", "code_provider", "verified_at", "requested_at", "metadata", "created_at", "updated_at"} {
		if _, ok := v[k]; !ok {
			t.Fatalf("verification without %s: %s", k, r.raw)
		}
	}
	if v["entity_type"] != "email" || v["code_provider"] != "token" || v["verified_at"] != nil {
		t.Fatalf("verification %v", v)
	}

	r = login()
	if r.body["verification_required"] != true || r.obj("verification")["id"] != v["id"] {
		t.Fatalf("login after a request: %s", r.raw)
	}
	r.wantNoSecret(t, code)

	// Confirmed without authentication (a link opened anywhere).
	r = e.do("POST", "/auth/verification/confirm", `{"code":"`+code+`"}`, "")
	r.want(t, 200, "", "")
	if len(r.body) != 4 || r.body["entity_id"] != "ada@example.com" || r.body["entity_type"] != "email" ||
		r.body["code_provider"] != "token" || r.str("verified_at") == "" {
		t.Fatalf("confirm: %s", r.raw)
	}
	e.do("POST", "/auth/verification/confirm", `{"code":"`+code+`"}`, "").
		want(t, 400, "not_allowed", "Verification code is invalid or already used")

	r = login()
	if len(r.body) != 1 || e.claims(r.str("token")).ActorID != custID {
		t.Fatalf("login after the confirmation: %s", r.raw)
	}
	// The held-back token now refreshes into the customer's.
	r = e.do("POST", "/auth/token/refresh", "", pending)
	r.want(t, 200, "", "")
	if len(r.body) != 1 || e.claims(r.str("token")).ActorID != custID {
		t.Fatalf("refresh after the confirmation: %s", r.raw)
	}
	// Registration answers {token} only, as Medusa's does.
	r = e.do("POST", "/auth/customer/emailpass/register", `{"email":"bob@example.com","password":"supersecret"}`, "")
	r.want(t, 200, "", "")
	if len(r.body) != 1 {
		t.Fatalf("register: %s", r.raw)
	}
	// Another actor type has no gate.
	r = e.do("POST", "/auth/user/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
	r.want(t, 200, "", "")
	if len(r.body) != 1 {
		t.Fatalf("user login: %s", r.raw)
	}
}

func TestVerificationRequestErrors(t *testing.T) {
	e := newEnv(t)
	reg := e.register("customer", "ada@example.com")
	e.do("POST", "/auth/verification/request", `{"entity_id":"ada@example.com","entity_type":"email"}`, "").
		want(t, 401, "", "Unauthorized")
	for _, tc := range []struct{ body, msg string }{
		{`{}`, "Invalid request: Field 'entity_id' is required; Field 'entity_type' is required"},
		{`{"entity_id":"ada@example.com","entity_type":"email","code":"x"}`, "Invalid request: Unrecognized fields: 'code'"},
		{`{"entity_id":1,"entity_type":"email"}`, "Invalid request: Expected type: 'string' for field 'entity_id', got: '1'"},
		{`{"entity_id":"ada@example.com","entity_type":"email","code_provider":"sms"}`, "Unable to retrieve the verification provider with id: sms"},
		{`{"entity_id":"nope","entity_type":"email"}`, "Invalid email"},
		{`{"entity_id":"ada@example.com","entity_type":"email","metadata":[]}`, "Invalid request: Expected type: 'record' for field 'metadata', got: 'array'"},
	} {
		e.do("POST", "/auth/verification/request", tc.body, reg).want(t, 400, "invalid_data", tc.msg)
	}
	e.flush()
	if n := len(e.events.Events()); n != 0 {
		t.Fatalf("%d events after refused requests", n)
	}
	// Metadata reaches the event.
	e.do("POST", "/auth/verification/request", `{"entity_id":"ada@example.com","entity_type":"email","metadata":{"src":"app"}}`, reg).want(t, 201, "", "")
	e.flush()
	if md, _ := e.events.Events()[0].Data["metadata"].(map[string]any); md["src"] != "app" {
		t.Fatalf("event metadata %v", e.events.Events()[0].Data["metadata"])
	}
}

func TestVerificationConfirmErrors(t *testing.T) {
	clock := &settable{}
	t0 := time.Now().UTC().Truncate(time.Second)
	clock.set(t0)
	e := newEnvWith(t, []auth.Option{auth.WithClock(clock.now)})
	reg := e.register("customer", "ada@example.com")
	e.do("POST", "/auth/verification/confirm", `{}`, "").want(t, 400, "invalid_data", "Invalid request: Field 'code' is required")
	e.do("POST", "/auth/verification/confirm", `{"code":""}`, "").want(t, 400, "invalid_data", "Verification code is required")
	e.do("POST", "/auth/verification/confirm", `{"code":"nope"}`, "").want(t, 400, "not_allowed", "Verification code is invalid or already used")
	e.do("POST", "/auth/verification/request", `{"entity_id":"ada@example.com","entity_type":"email"}`, reg).want(t, 201, "", "")
	code := e.lastCode("ada@example.com")
	e.do("POST", "/auth/verification/confirm", `{"code":"`+code+`","code_provider":"sms"}`, "").
		want(t, 400, "invalid_data", "Unable to retrieve the verification provider with id: sms")
	clock.set(t0.Add(15 * time.Minute))
	e.do("POST", "/auth/verification/confirm", `{"code":"`+code+`"}`, reg).want(t, 400, "not_allowed", "Verification code has expired")
	// A bad token does not stop a confirmation (Medusa's allowUnauthenticated).
	clock.set(t0)
	e.do("POST", "/auth/verification/confirm", `{"code":"`+code+`","code_provider":"token"}`, "not-a-token").want(t, 200, "", "")
}

func TestVerificationConfirmThrottled(t *testing.T) {
	e := throttledEnv(t, throttle.Config{VerificationConfirmIP: throttle.Rule{Limit: 3, Window: time.Hour}})
	for range 3 {
		e.doFrom(peer, "POST", "/auth/verification/confirm", `{"code":"guess"}`, "").want(t, 400, "not_allowed", "")
	}
	e.doFrom(peer, "POST", "/auth/verification/confirm", `{"code":"guess"}`, "").wantLimited(t, "3600")
	// Another address is counted apart.
	e.doFrom("198.51.100.7:1", "POST", "/auth/verification/confirm", `{"code":"guess"}`, "").want(t, 400, "not_allowed", "")
}

func TestEmailChangeRoutes(t *testing.T) {
	e := newEnv(t)
	tok, id := e.customer("ada@example.com")
	e.do("POST", "/store/customers/me/email", `{"email":"ada@new.example"}`, "").want(t, 401, "", "Unauthorized")
	e.do("POST", "/store/customers/me/email", `{}`, tok).want(t, 400, "invalid_data", "Invalid request: Field 'email' is required")
	e.do("POST", "/store/customers/me/email", `{"email":"ADA@example.com"}`, tok).want(t, 400, "invalid_data", "The new email is the customer's email already")
	r := e.do("POST", "/store/customers/me/email", `{"email":"ada@new.example"}`, tok)
	r.want(t, 201, "", "")
	code := e.lastCode("ada@new.example")
	r.wantNoSecret(t, code)
	if r.obj("verification")["entity_id"] != "ada@new.example" {
		t.Fatalf("request: %s", r.raw)
	}
	// Until confirmed, the old email logs in.
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "").want(t, 200, "", "")
	e.do("POST", "/store/customers/me/email/confirm", `{"code":"wrong"}`, tok).want(t, 400, "not_allowed", "Verification code is invalid or already used")
	r = e.do("POST", "/store/customers/me/email/confirm", `{"code":"`+code+`"}`, tok)
	r.want(t, 200, "", "")
	if c := r.obj("customer"); c["email"] != "ada@new.example" || c["id"] != id {
		t.Fatalf("confirm: %s", r.raw)
	}
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "").want(t, 401, "unauthorized", "Invalid email or password")
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@new.example","password":"supersecret"}`, "").want(t, 200, "", "")
}

func TestClaimGuestRoute(t *testing.T) {
	e := newEnv(t)
	tok, id := e.customer("ada@example.com")
	g := e.createGuest("ada@example.com")
	e.do("POST", "/store/customers/me/claim", "", tok).
		want(t, 400, "not_allowed", "The email must be verified before its guest records can be claimed")
	e.do("POST", "/auth/verification/request", `{"entity_id":"ada@example.com","entity_type":"email"}`, tok).want(t, 201, "", "")
	e.do("POST", "/auth/verification/confirm", `{"code":"`+e.lastCode("ada@example.com")+`"}`, tok).want(t, 200, "", "")
	r := e.do("POST", "/store/customers/me/claim", "", tok)
	r.want(t, 200, "", "")
	if r.obj("customer")["id"] != id || len(r.body["guest_ids"].([]any)) != 1 || r.body["guest_ids"].([]any)[0] != g {
		t.Fatalf("claim: %s", r.raw)
	}
	e.do("POST", "/store/customers/me/claim", `{"x":1}`, tok).want(t, 400, "invalid_data", "Invalid request: Unrecognized fields: 'x'")
}

// createGuest makes a guest customer with email through the admin routes
// and returns its id.
func (e *env) createGuest(email string) string {
	e.t.Helper()
	r := e.do("POST", "/admin/customers", `{"email":"`+email+`"}`, e.admin())
	r.want(e.t, 200, "", "")
	id, _ := r.obj("customer")["id"].(string)
	return id
}
