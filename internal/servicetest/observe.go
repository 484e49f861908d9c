package servicetest

import (
	"context"
	"sync"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/provider/magiclink"
	"github.com/clientele/clientele/throttle"
)

// observations is an auth.Observer that keeps what it is told.
type observations struct {
	mu  sync.Mutex
	got []auth.Observation
}

func (o *observations) Observe(_ context.Context, ob auth.Observation) {
	o.mu.Lock()
	o.got = append(o.got, ob)
	o.mu.Unlock()
}

// take returns the observations since the last take, with their
// durations checked (positive for logins and registrations, else zero)
// and then cleared, so that they compare.
func (o *observations) take(e *env) []auth.Observation {
	e.t.Helper()
	o.mu.Lock()
	got := o.got
	o.got = nil
	o.mu.Unlock()
	for i, ob := range got {
		// A login refused by a transport's throttle (RecordLoginRefused)
		// has no duration of the service's.
		timed := ob.Op == auth.OpRegister || ob.Op == auth.OpLogin
		switch {
		case !timed && ob.Duration != 0,
			timed && ob.Reason != auth.ReasonLocked && ob.Duration <= 0,
			ob.Duration < 0:
			e.t.Errorf("%+v: duration %v", ob, ob.Duration)
		}
		got[i].Duration = 0
	}
	return got
}

// observed gives e a throttled auth service (and account service) that
// tells the returned observer, with MFA when the backend has it.
func (e *env) observed() *observations {
	e.t.Helper()
	obs := &observations{}
	lim := e.throttled()
	opts := []auth.Option{auth.WithObserver(obs), auth.WithThrottle(lim)}
	if _, ok := e.st.(auth.MFAStore); ok {
		opts = append(opts, auth.WithMFA(auth.MFAConfig{EncryptionKey: mfaKey, RecoveryCodeHasher: e.secrets.hasher(cheap)}))
	}
	e.auth = e.newAuth(opts...)
	e.accounts = must(account.NewService(e.st, e.auth, e.customers))(e.t)
	return obs
}

func success(op auth.Op) auth.Observation {
	return auth.Observation{Op: op, Outcome: auth.OutcomeSuccess, Provider: emailpass.ID}
}

func failure(op auth.Op, r auth.Reason) auth.Observation {
	return auth.Observation{Op: op, Outcome: auth.OutcomeFailure, Reason: r, Provider: emailpass.ID}
}

// observeBehaviour covers auth.WithObserver: what a host's metrics see of
// each security operation.
var observeBehaviour = []test{
	{"Observe/LoginsLockoutsAndRegistrations", func(e *env) {
		obs := e.observed()
		e.register("ann@example.com", "right-password")
		_, err := e.auth.Register(e.ctx, emailpass.ID, creds("ann@example.com", "other-password"))
		e.wantErr(err, auth.ErrConflict)
		_, err = e.accounts.SignUp(e.ctx, emailpass.ID, creds("bob@example.com", "right-password"), customer.CreateParams{})
		e.must(err)
		e.same([]auth.Observation{success(auth.OpRegister), failure(auth.OpRegister, auth.ReasonConflict), success(auth.OpRegister)}, obs.take(e))

		e.same("ok", e.loginAnswer("ann@example.com", "right-password"))
		e.same("unauthorized", e.loginAnswer("nobody@example.com", "right-password"))
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, "no-such-provider", creds("ann@example.com", "x"))
		e.wantErr(err, auth.ErrUnknownProvider)
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, creds("ann@example.com", ""))
		e.wantErr(err, auth.ErrInvalid)
		e.same([]auth.Observation{
			success(auth.OpLogin), failure(auth.OpLogin, auth.ReasonInvalidCredentials),
			{Op: auth.OpLogin, Outcome: auth.OutcomeFailure, Reason: auth.ReasonInvalidInput},
			failure(auth.OpLogin, auth.ReasonInvalidInput),
		}, obs.take(e))

		// Five free failures, a sixth that locks, then a refusal.
		for range 6 {
			e.same("unauthorized", e.loginAnswer("ann@example.com", "wrong"))
		}
		e.same("limited 1s", e.loginAnswer("ann@example.com", "right-password"))
		want := make([]auth.Observation, 0, 8)
		for range 6 {
			want = append(want, failure(auth.OpLogin, auth.ReasonInvalidCredentials))
		}
		want = append(want, success(auth.OpLockout), failure(auth.OpLogin, auth.ReasonLocked))
		e.same(want, obs.take(e))

		// A refusal of a transport's own throttle.
		e.advance(time.Second)
		_, err = e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, creds("ann@example.com", "wrong"))
		e.wantErr(err, auth.ErrUnauthorized)
		e.auth.RecordLoginRefused(e.ctx, emailpass.ID, creds("ann@example.com", "wrong"), err)
		_, limited := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, creds("ann@example.com", "wrong"))
		e.auth.RecordLoginRefused(e.ctx, emailpass.ID, creds("ann@example.com", "wrong"), limited)
		e.same([]auth.Observation{
			failure(auth.OpLogin, auth.ReasonInvalidCredentials), success(auth.OpLockout),
			failure(auth.OpLogin, auth.ReasonLocked), failure(auth.OpLogin, auth.ReasonLocked),
		}, obs.take(e))
	}},
	{"Observe/PasswordResets", func(e *env) {
		obs := e.observed()
		e.register("ada@example.com", "right-password")
		obs.take(e)
		tok := e.requestReset("ada@example.com")
		e.must(e.auth.RequestPasswordReset(e.ctx, auth.ActorCustomer, emailpass.ID, "nobody@example.com", nil))
		_, err := e.auth.ResetPassword(e.ctx, auth.ActorCustomer, emailpass.ID, tok+"x", map[string]any{"password": "new-password"})
		e.wantErr(err, auth.ErrInvalidToken)
		_, err = e.auth.ResetPassword(e.ctx, auth.ActorCustomer, emailpass.ID, tok, map[string]any{"password": "new-password"})
		e.must(err)
		_, err = e.auth.ResetPassword(e.ctx, auth.ActorCustomer, emailpass.ID, tok, map[string]any{"password": "newer-password"})
		e.wantErr(err, auth.ErrInvalidToken)
		e.same([]auth.Observation{
			success(auth.OpPasswordResetRequest), success(auth.OpPasswordResetRequest),
			failure(auth.OpPasswordReset, auth.ReasonInvalidCode), success(auth.OpPasswordReset),
			failure(auth.OpPasswordReset, auth.ReasonInvalidCode),
		}, obs.take(e))
	}},
	{"Observe/EmailLoginRequests", func(e *env) {
		obs := e.observed()
		e.auth = e.newAuth(auth.WithObserver(obs), auth.WithThrottle(e.throttled()), e.magicProvider(magiclink.WithRegistration()))
		ask := func(addr string) error {
			_, err := e.auth.RequestEmailLogin(e.ctx, auth.EmailLoginParams{
				ActorType: auth.ActorCustomer, Provider: magiclink.ID, Email: addr, Binding: adaBrowser,
			})
			return err
		}
		// Five per email an hour (throttle.Config.Reset), then refused.
		for range 5 {
			e.must(ask("ada@example.com"))
		}
		e.wantErr(ask("ada@example.com"), throttle.ErrLimited)
		e.must(ask("someone.else@example.com"))
		_, err := e.auth.RequestEmailLogin(e.ctx, auth.EmailLoginParams{
			ActorType: auth.ActorCustomer, Provider: magiclink.ID, Email: "not an email", Binding: adaBrowser,
		})
		e.wantErr(err, auth.ErrInvalid)
		ok := auth.Observation{Op: auth.OpEmailLoginRequest, Outcome: auth.OutcomeSuccess, Provider: magiclink.ID}
		refused := func(r auth.Reason) auth.Observation {
			return auth.Observation{Op: auth.OpEmailLoginRequest, Outcome: auth.OutcomeFailure, Reason: r, Provider: magiclink.ID}
		}
		e.same([]auth.Observation{ok, ok, ok, ok, ok, refused(auth.ReasonLocked), ok, refused(auth.ReasonInvalidInput)}, obs.take(e))
	}},
	{"Observe/MFAChallenges", func(e *env) {
		if _, ok := e.st.(auth.MFAStore); !ok {
			e.t.Skip("the backend implements no auth.MFAStore (optional)")
		}
		obs := e.observed()
		e.clock.set(mfaT0)
		_, secret, _ := e.enrol("ann@example.com")
		obs.take(e)
		l := e.mfaLogin("ann@example.com")
		_, err := e.completeMFA(l, auth.MFAMethodTOTP, "000000")
		e.wantErr(err, auth.ErrMFACode)
		_, err = e.completeMFA(l, auth.MFAMethodTOTP, e.code(secret, 0))
		e.must(err)
		e.same([]auth.Observation{
			success(auth.OpLogin), failure(auth.OpMFAChallenge, auth.ReasonInvalidCode), success(auth.OpMFAChallenge),
		}, obs.take(e))
	}},
}
