package servicetest

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"regexp"
	"strings"
	"sync"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// suitePasswords are the passwords the suite's flows log in, register,
// reset and change with. (The emailpass hasher is not wrapped to collect
// them: a hasher emailpass does not know makes it verify a dummy hash at
// the default cost for every unknown email.)
var suitePasswords = []string{
	"correct horse", "password", "right-password", "old password", "wrong horse", "wrong horse!",
	"long enough", "bobs password", "argon password", "wrong-password", "whatever pass", "same password",
	"other password", "other horse", "new password", "new password 1", "new password 2", "new password 3",
	"new password 4", "new horse", "guess-password", "bob-password", "battery staple", "another pass",
	"another one", "a new password", "supersecret",
}

// secrets collects the secrets an env's flows use: the suite's
// passwords, the hashes and codes the recovery-code hasher sees, TOTP
// secrets and codes, and the reset tokens and verification codes the
// auth service's events carry.
type secrets struct {
	mu  sync.Mutex
	set map[string]bool
}

func (s *secrets) add(vs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		s.set = map[string]bool{}
	}
	for _, v := range vs {
		if v != "" {
			s.set[v] = true
		}
	}
}

func (s *secrets) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.set))
	for v := range s.set {
		out = append(out, v)
	}
	return out
}

// hasher returns h, recording what it hashes and checks.
func (s *secrets) hasher(h emailpass.Hasher) emailpass.Hasher { return recordingHasher{h, s} }

type recordingHasher struct {
	emailpass.Hasher
	s *secrets
}

func (r recordingHasher) Hash(password []byte) (string, error) {
	out, err := r.Hasher.Hash(password)
	r.s.add(string(password), out)
	return out, err
}

func (r recordingHasher) Verify(encoded string, password []byte) (bool, error) {
	r.s.add(string(password), encoded)
	return r.Hasher.Verify(encoded, password)
}

// sink returns next, recording the tokens and codes of the events; a
// transactional next stays transactional.
func (s *secrets) sink(next event.Sink) event.Sink {
	if tx, ok := next.(event.TxSink); ok {
		return secretTxSink{s, tx}
	}
	return event.SinkFunc(func(ctx context.Context, ev event.Event) error {
		s.collect(ev)
		return next.Emit(ctx, ev)
	})
}

// collect records the token and code an event carries.
func (s *secrets) collect(ev event.Event) {
	for _, k := range []string{"token", "code"} {
		if v, ok := ev.Data[k].(string); ok {
			s.add(v)
		}
	}
}

// secretTxSink is secrets.sink of a transactional sink.
type secretTxSink struct {
	s    *secrets
	next event.TxSink
}

// Emit records ev's secrets and hands it to the next sink.
func (t secretTxSink) Emit(ctx context.Context, ev event.Event) error {
	t.s.collect(ev)
	return t.next.Emit(ctx, ev)
}

// EmitTx records the events' secrets and hands them to the next sink in
// the unit of ctx.
func (t secretTxSink) EmitTx(ctx context.Context, events []event.Event) error {
	for _, ev := range events {
		t.s.collect(ev)
	}
	return t.next.EmitTx(ctx, events)
}

// plain is what an entry's text fields may hold: ids, names and counts,
// without white space, short.
var plain = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{0,64}$`)

// auditHoldsNoSecret reads every entry of the env's audit log and fails
// when one holds a secret the env's flows used, or a field that is not
// plain (an id, a name, a count): an email, a token, a hash.
func (e *env) auditHoldsNoSecret() {
	e.t.Helper()
	if e.audit == nil || e.t.Failed() || e.t.Skipped() {
		return
	}
	e.must(e.auth.Flush(context.WithoutCancel(e.ctx)))
	entries := e.auditAll(audit.Filter{})
	known := append(e.secrets.all(), suitePasswords...)
	for _, x := range entries {
		fields := []string{x.ID, string(x.Action), string(x.Reason), x.AuthIdentityID, x.ActorType, x.ActorID, x.Provider, x.IP}
		for k, v := range x.Details {
			fields = append(fields, k, v)
		}
		for _, f := range fields {
			if !plain.MatchString(f) {
				e.t.Fatalf("audit entry %s (%s) holds %q", x.ID, x.Action, f)
			}
		}
		// Every field but the fixed vocabularies (action, reason, cause,
		// method, link), whose words ("password_reset") may contain a
		// test's password ("password").
		free := []string{x.ID, x.AuthIdentityID, x.ActorType, x.ActorID, x.Provider, x.IP, x.UserAgent}
		for k, v := range x.Details {
			free = append(free, k)
			if k != "cause" && k != "method" && k != "link" {
				free = append(free, v)
			}
		}
		for _, secret := range known {
			for _, f := range free {
				if len(secret) >= 6 && strings.Contains(f, secret) {
					b, _ := json.Marshal(x)
					e.t.Fatalf("audit entry %s (%s) holds a secret of the flow: %s", x.ID, x.Action, b)
				}
			}
		}
	}
}

// auditAll returns every entry matching f, newest first.
func (e *env) auditAll(f audit.Filter) []*audit.Entry {
	e.t.Helper()
	var out []*audit.Entry
	for {
		page, err := e.audit.List(context.WithoutCancel(e.ctx), f, audit.Page{Limit: audit.MaxLimit, Offset: len(out)})
		e.must(err)
		out = append(out, page...)
		if len(page) < audit.MaxLimit {
			return out
		}
	}
}

// auditLog skips a test of a backend without an audit store.
func (e *env) auditLog() *audit.Log {
	e.t.Helper()
	if e.audit == nil {
		e.t.Skip("the backend implements no audit.Store (optional)")
	}
	return e.audit
}

// trail is an entry as the tests compare it: action, outcome, reason,
// identity and chosen details.
type trail struct {
	Action   audit.Action
	Outcome  audit.Outcome
	Reason   audit.Reason
	Identity string
	Actor    string
	Detail   string
}

// trailOf returns the entries about identity (or, with "", all), oldest
// first, after the auth service's late writes; detail names the detail
// each trail shows.
func (e *env) trailOf(identity, detail string) []trail {
	e.t.Helper()
	e.must(e.auth.Flush(e.ctx))
	f := audit.Filter{}
	if identity != "" {
		f.AuthIdentityIDs = []string{identity}
	}
	all := e.auditAll(f)
	out := []trail{}
	for i := len(all) - 1; i >= 0; i-- {
		x := all[i]
		out = append(out, trail{x.Action, x.Outcome, x.Reason, x.AuthIdentityID, x.ActorID, x.Details[detail]})
	}
	return out
}

func ok(action audit.Action, identity string) trail {
	return trail{Action: action, Outcome: audit.Success, Identity: identity}
}

func failed(action audit.Action, reason audit.Reason, identity string) trail {
	return trail{Action: action, Outcome: audit.Failure, Reason: reason, Identity: identity}
}

// failingAudit is an audit store whose appends fail.
type failingAudit struct{ audit.Store }

var errAuditDown = errors.New("audit store down")

func (failingAudit) AppendAuditEntries(context.Context, []*audit.Entry) error { return errAuditDown }

var auditBehaviour = []test{
	{"Audit/Login", func(e *env) {
		e.auditLog()
		a := e.register("ada@example.com", "correct horse")
		e.login("ada@example.com", "correct horse")
		_, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ADA@example.com ", "wrong horse"))
		e.wantErr(err, auth.ErrUnauthorized)
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("nobody@example.com", "wrong horse"))
		e.wantErr(err, auth.ErrUnauthorized)
		e.same([]trail{
			ok(audit.ActionLogin, a.ID),
			failed(audit.ActionLogin, audit.ReasonInvalidCredentials, a.ID),
			// An unknown email: no identity, and not the email either.
			failed(audit.ActionLogin, audit.ReasonInvalidCredentials, ""),
		}, e.trailOf("", ""))
		all := e.auditAll(audit.Filter{})
		e.same("emailpass", all[0].Provider)
	}},
	{"Audit/Lockout", func(e *env) {
		e.auditLog()
		e.throttled()
		a := e.register("ada@example.com", "correct horse")
		for range 6 {
			_, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "wrong horse"))
			e.wantErr(err, auth.ErrUnauthorized)
		}
		// Locked now: the right password is refused before it is checked.
		_, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse"))
		e.wantErr(err, throttle.ErrLimited)
		bad := failed(audit.ActionLogin, audit.ReasonInvalidCredentials, a.ID)
		e.same([]trail{bad, bad, bad, bad, bad, bad, ok(audit.ActionLocked, a.ID),
			failed(audit.ActionLogin, audit.ReasonLocked, a.ID)}, e.trailOf(a.ID, ""))
	}},
	{"Audit/PasswordResetAndChange", func(e *env) {
		e.auditLog()
		a := e.register("ada@example.com", "correct horse")
		tok := e.requestReset("ada@example.com")
		_, err := e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, tok, map[string]any{"password": "battery staple"})
		e.must(err)
		_, err = e.auth.ChangePassword(e.ctx, a.ID, emailpass.ID, "battery staple", "new horse")
		e.must(err)
		// A reset for an unknown account is recorded without an identity.
		e.must(e.auth.RequestPasswordReset(e.ctx, "customer", emailpass.ID, "nobody@example.com", nil))
		e.same([]trail{
			ok(audit.ActionPasswordResetRequest, a.ID),
			ok(audit.ActionPasswordReset, a.ID),
			{Action: audit.ActionRevokeAll, Outcome: audit.Success, Identity: a.ID, Detail: "password_reset"},
			// ChangePassword checks the current password with a login.
			ok(audit.ActionLogin, a.ID),
			ok(audit.ActionPasswordChange, a.ID),
			{Action: audit.ActionRevokeAll, Outcome: audit.Success, Identity: a.ID, Detail: "password_change"},
			failed(audit.ActionPasswordResetRequest, audit.ReasonInvalidCredentials, ""),
		}, e.trailOf("", "cause"))
	}},
	{"Audit/Verification", func(e *env) {
		e.auditLog()
		e.gated()
		a := e.register("ada@example.com", "correct horse")
		code := e.requestCode(a.ID, "ada@example.com")
		_, err := e.auth.ConfirmVerification(e.ctx, auth.ConfirmVerificationParams{Code: "not-the-code", AuthIdentityID: a.ID})
		e.wantErr(err, auth.ErrVerificationCodeInvalid)
		v := e.confirmCode(code)
		e.same([]trail{
			{Action: audit.ActionVerificationRequest, Outcome: audit.Success, Identity: a.ID, Detail: v.ID},
			{Action: audit.ActionVerification, Outcome: audit.Failure, Reason: audit.ReasonInvalidCode, Identity: a.ID},
			{Action: audit.ActionVerification, Outcome: audit.Success, Identity: a.ID, Detail: v.ID},
		}, e.trailOf(a.ID, "verification_id"))
	}},
	{"Audit/LoginPendingVerification", func(e *env) {
		e.auditLog()
		e.gated()
		a := e.register("ada@example.com", "correct horse")
		l, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse"))
		e.must(err)
		if !l.VerificationRequired {
			e.t.Fatal("the login was not held back")
		}
		e.same([]trail{ok(audit.ActionLogin, a.ID), {Action: audit.ActionLoginPending, Outcome: audit.Success, Reason: audit.ReasonUnverified, Identity: a.ID}}, e.trailOf(a.ID, ""))
	}},
	{"Audit/MFA", func(e *env) {
		e.auditLog()
		e.withMFA(auth.MFAConfig{})
		a, secret, f := e.enrol("ada@example.com")
		codes, err := e.auth.GenerateMFARecoveryCodes(e.ctx, a.ID, 2)
		e.must(err)
		e.secrets.add(codes...)
		// A wrong code, then the right one.
		l := e.mfaLogin("ada@example.com")
		_, err = e.completeMFA(l, auth.MFAMethodTOTP, "000000")
		e.wantErr(err, auth.ErrMFACode)
		_, err = e.completeMFA(l, auth.MFAMethodTOTP, e.code(secret, 0))
		e.must(err)
		// A recovery code answers the next challenge.
		l2 := e.mfaLogin("ada@example.com")
		_, err = e.completeMFA(l2, auth.MFAMethodRecoveryCode, codes[0])
		e.must(err)
		_, err = e.auth.DisableMFA(e.ctx, auth.DisableMFAParams{ID: f.ID, AuthIdentityID: a.ID})
		e.must(err)
		got := e.trailOf(a.ID, "method")
		want := []trail{
			{Action: audit.ActionMFAEnrolStart, Outcome: audit.Success, Identity: a.ID, Detail: "totp"},
			{Action: audit.ActionRevokeAll, Outcome: audit.Success, Identity: a.ID},
			{Action: audit.ActionMFAEnrolConfirm, Outcome: audit.Success, Identity: a.ID, Detail: "totp"},
			ok(audit.ActionRecoveryCodes, a.ID),
			ok(audit.ActionLogin, a.ID),
			{Action: audit.ActionLoginPending, Outcome: audit.Success, Reason: audit.ReasonMFARequired, Identity: a.ID},
			{Action: audit.ActionMFAChallenge, Outcome: audit.Failure, Reason: audit.ReasonInvalidCode, Identity: a.ID, Detail: "totp"},
			{Action: audit.ActionMFAChallenge, Outcome: audit.Success, Identity: a.ID, Detail: "totp"},
			ok(audit.ActionLogin, a.ID),
			{Action: audit.ActionLoginPending, Outcome: audit.Success, Reason: audit.ReasonMFARequired, Identity: a.ID},
			ok(audit.ActionRecoveryCodeUsed, a.ID),
			{Action: audit.ActionMFAChallenge, Outcome: audit.Success, Identity: a.ID, Detail: "recovery_code"},
			{Action: audit.ActionMFADisable, Outcome: audit.Success, Identity: a.ID, Detail: "totp"},
		}
		for i := range got {
			got[i].Actor = "" // the enrolled identity's customer id
		}
		e.same(want, got)
	}},
	{"Audit/ProviderLinkAndUnlink", func(e *env) {
		e.auditLog()
		a := e.register("ada@example.com", "correct horse")
		pi, err := e.auth.CreateProviderIdentity(e.ctx, a.ID, auth.NewProviderIdentity{Provider: "google", EntityID: "sub-1"})
		e.must(err)
		_, err = e.auth.SoftDeleteProviderIdentities(e.ctx, pi.ID)
		e.must(err)
		_, err = e.auth.RestoreProviderIdentities(e.ctx, pi.ID)
		e.must(err)
		e.must(e.auth.DeleteProviderIdentities(e.ctx, pi.ID))
		e.same([]trail{
			{Action: audit.ActionProviderLink, Outcome: audit.Success, Identity: a.ID, Detail: pi.ID},
			{Action: audit.ActionProviderUnlink, Outcome: audit.Success, Identity: a.ID, Detail: pi.ID},
			{Action: audit.ActionProviderLink, Outcome: audit.Success, Identity: a.ID, Detail: pi.ID},
			{Action: audit.ActionProviderUnlink, Outcome: audit.Success, Identity: a.ID, Detail: pi.ID},
		}, e.trailOf(a.ID, "provider_identity_id"))
	}},
	{"Audit/RevokeAll", func(e *env) {
		e.auditLog()
		a := e.register("ada@example.com", "correct horse")
		e.must(e.auth.RevokeAll(e.ctx, a.ID))
		e.same([]trail{{Action: audit.ActionRevokeAll, Outcome: audit.Success, Identity: a.ID, Detail: "revoke_all"}}, e.trailOf(a.ID, "cause"))
	}},
	{"Audit/AccountFlows", func(e *env) {
		e.auditLog()
		e.gated()
		out := e.signUp("ada@example.com", "correct horse")
		a, cid := out.Identity.ID, out.Customer.ID
		code := e.changeCode(a, "ada@new.example")
		_, err := e.accounts.ConfirmEmailChange(e.ctx, a, code)
		e.must(err)
		// A guest with the new email, claimed once it is verified.
		e.customer(customer.CreateParams{Email: "ada@new.example"})
		_, err = e.accounts.ClaimGuests(e.ctx, a)
		e.must(err)
		e.must(e.accounts.DeleteCustomer(e.ctx, cid))
		got := e.trailOf(a, "")
		var actions []audit.Action
		for _, x := range got {
			if x.Action != audit.ActionLogin && x.Action != audit.ActionLoginPending && x.Action != audit.ActionRevokeAll {
				actions = append(actions, x.Action)
			}
		}
		e.same([]audit.Action{
			audit.ActionVerificationRequest, audit.ActionEmailChangeRequest, audit.ActionVerification,
			audit.ActionEmailChange, audit.ActionGuestClaim, audit.ActionAccountDelete,
		}, actions)
		for _, x := range e.auditAll(audit.Filter{Actions: []audit.Action{audit.ActionEmailChange, audit.ActionGuestClaim, audit.ActionAccountDelete}}) {
			e.same(cid, x.ActorID)
		}
	}},
	{"Audit/FailedChangeLeavesNoEntry", func(e *env) {
		// The email change fails at its last step (another account took
		// the address meanwhile): its verification and its change leave
		// no entry, as they leave no change.
		e.auditLog()
		e.gated()
		out := e.signUp("ada@example.com", "correct horse")
		code := e.changeCode(out.Identity.ID, "ada@new.example")
		e.signUp("ada@new.example", "other horse")
		before := len(e.auditAll(audit.Filter{AuthIdentityIDs: []string{out.Identity.ID}}))
		_, err := e.accounts.ConfirmEmailChange(e.ctx, out.Identity.ID, code)
		e.wantErr(err, store.ErrConflict)
		e.must(e.auth.Flush(e.ctx))
		e.same(before, len(e.auditAll(audit.Filter{AuthIdentityIDs: []string{out.Identity.ID}})))
	}},
	{"Audit/FailedWriteFailsTheChange", func(e *env) {
		e.auditLog()
		a := e.register("ada@example.com", "correct horse")
		down := must(audit.New(failingAudit{e.st.(audit.Store)}, audit.WithLogger(discard())))(e.t)
		svc := e.newAuth(auth.WithAudit(down))
		_, err := svc.ChangePassword(e.ctx, a.ID, emailpass.ID, "correct horse", "battery staple")
		e.wantErr(err, errAuditDown)
		// The password did not change.
		if !e.loginWorks("ada@example.com", "correct horse") || e.loginWorks("ada@example.com", "battery staple") {
			e.t.Fatal("the password changed without its audit entry")
		}
		e.must(svc.Flush(e.ctx))
	}},
	{"Audit/Client", func(e *env) {
		e.auditLog()
		a := e.register("ada@example.com", "correct horse")
		for _, tc := range []struct {
			opts   []audit.Option
			ip, ua string
			wantIP string
		}{
			{nil, "203.0.113.77", "agent/1", "203.0.113.77"},
			{[]audit.Option{audit.WithIPPrefix(24, 48)}, "203.0.113.77", "agent/1", "203.0.113.0/24"},
			{[]audit.Option{audit.WithIPPrefix(24, 48)}, "2001:db8:1234:5678::1", "agent/1", "2001:db8:1234::/48"},
			{[]audit.Option{audit.WithIPPrefix(24, 48)}, "::ffff:198.51.100.9", "agent/1", "198.51.100.0/24"},
			{[]audit.Option{audit.WithoutIP()}, "203.0.113.77", "agent/1", ""},
		} {
			lg := must(audit.New(e.st.(audit.Store), append(tc.opts, audit.WithUserAgentLength(8))...))(e.t)
			svc := e.newAuth(auth.WithAudit(lg))
			ctx := audit.WithClient(e.ctx, netip.MustParseAddr(tc.ip), "Mozilla/5.0 \x00long")
			_, err := svc.Login(ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse"))
			e.must(err)
			e.must(svc.Flush(e.ctx))
			got, err := lg.List(e.ctx, audit.Filter{AuthIdentityIDs: []string{a.ID}}, audit.Page{Limit: 1})
			e.must(err)
			e.same(tc.wantIP, got[0].IP)
			e.same("Mozilla/", got[0].UserAgent)
		}
	}},
	{"Audit/ExportAndErase", func(e *env) {
		e.auditLog()
		f := e.gdprCustomer(person{"ada@example.com", "Ada", "Lovelace", "+44 20 7946 0000"})
		ctx := audit.WithClient(e.ctx, netip.MustParseAddr("203.0.113.7"), "agent/1")
		_, err := e.auth.Login(ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "wrong horse"))
		e.wantErr(err, auth.ErrUnauthorized)
		e.must(e.auth.Flush(e.ctx))
		x, err := e.accounts.Export(e.ctx, f.c.ID)
		e.must(err)
		if len(x.AuditEntries) == 0 || x.AuditEntries[0].IP != "203.0.113.7" {
			e.t.Fatalf("export without the audit entries: %+v", x.AuditEntries)
		}
		for _, en := range x.AuditEntries {
			if en.AuthIdentityID != f.a.ID && en.ActorID != f.c.ID {
				e.t.Fatalf("export holds another's entry: %+v", en)
			}
		}
		e.must(e.accounts.Erase(ctx, f.c.ID))
		after := e.auditAll(audit.Filter{AuthIdentityIDs: []string{f.a.ID}, ActorIDs: []string{f.c.ID}})
		if len(after) <= len(x.AuditEntries) {
			e.t.Fatalf("%d entries after the erasure, %d before", len(after), len(x.AuditEntries))
		}
		for _, en := range after {
			if en.IP != "" || en.UserAgent != "" {
				e.t.Fatalf("entry not anonymised: %+v", en)
			}
		}
		// The erasure's own record: ids only.
		rec := after[0]
		e.same(audit.Entry{ID: rec.ID, CreatedAt: rec.CreatedAt, Action: audit.ActionErasure, Outcome: audit.Success,
			AuthIdentityID: f.a.ID, ActorType: account.ActorType, ActorID: f.c.ID}, *rec)
		// The admin list still finds them by the customer.
		list, err := e.accounts.AuditEntries(e.ctx, f.c.ID, []audit.Action{audit.ActionErasure}, audit.Page{})
		e.must(err)
		e.same(1, len(list))
		_, err = e.accounts.AuditEntries(e.ctx, "cus_none", nil, audit.Page{})
		e.wantErr(err, customer.ErrNotFound)
		_, err = e.accounts.AuditEntries(e.ctx, f.c.ID, nil, audit.Page{Limit: -1})
		e.wantErr(err, store.ErrInvalid)
	}},
}
