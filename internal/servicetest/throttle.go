package servicetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/throttle"
)

// throttled gives e an auth service with a Limiter on e's store and clock
// (the default rules), and returns the Limiter.
func (e *env) throttled() *throttle.Limiter {
	e.t.Helper()
	return e.throttledThrough(func(ts throttle.Store) throttle.Store { return ts })
}

// throttledThrough is throttled with the Limiter's calls to e's store
// going through wrap's store.
func (e *env) throttledThrough(wrap func(throttle.Store) throttle.Store) *throttle.Limiter {
	e.t.Helper()
	e.clock.set(time.Now().UTC().Truncate(time.Second))
	ts, ok := e.st.(throttle.Store)
	if !ok {
		e.t.Skip("the backend implements no throttle.Store (optional)")
	}
	lim, err := throttle.New(wrap(ts), throttle.Config{Now: e.clock.now})
	e.must(err)
	e.auth = e.newAuth(auth.WithThrottle(lim))
	e.accounts = must(account.NewService(e.st, e.auth, e.customers))(e.t)
	return lim
}

func (e *env) advance(d time.Duration) { e.clock.set(e.clock.now().Add(d)) }

// loginAnswer is what a caller learns from a login: the kind of error and,
// when limited, the wait.
func (e *env) loginAnswer(email, password string) string {
	e.t.Helper()
	_, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(email, password))
	e.must(e.auth.Flush(e.ctx)) // a success is reported after the answer
	var le *throttle.LimitError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &le):
		if !errors.Is(err, throttle.ErrLimited) || le.PublicMessage() != "Too many attempts. Try again later." {
			e.t.Fatalf("limit error %v", err)
		}
		return "limited " + le.RetryAfter.String()
	case errors.Is(err, auth.ErrUnauthorized):
		return "unauthorized"
	}
	e.t.Fatalf("login: %v", err)
	return ""
}

// burst runs writers wrong-password logins on email at once and returns
// their answers by kind ("unauthorized" is a password check).
func (e *env) burst(email string) map[string]int {
	e.t.Helper()
	answers := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, answers[i] = e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(email, "wrong-password"))
		})
	}
	wg.Wait()
	out := map[string]int{}
	for _, err := range answers {
		var le *throttle.LimitError
		switch {
		case errors.As(err, &le) && le.Rule == "login":
			out["limited"]++
		case errors.Is(err, auth.ErrUnauthorized):
			out["unauthorized"]++
		default:
			e.t.Fatalf("login: %v", err)
		}
	}
	return out
}

var throttleServiceTests = []test{
	{"Throttle/ConcurrentGuessesGetTheRuleCount", func(e *env) {
		e.throttled()
		e.register("ann@example.com", "right-password")
		// However many guesses run at once, the rule allows five free
		// failures and a sixth before the lock: six password checks.
		e.same(map[string]int{"unauthorized": 6, "limited": writers - 6}, e.burst("ann@example.com"))
		e.same(map[string]int{"unauthorized": 6, "limited": writers - 6}, e.burst("nobody@example.com"))
		e.same(map[string]int{"limited": writers}, e.burst("ann@example.com"))
		// After the lock, a success clears the count: a burst gets six
		// checks again.
		e.advance(time.Second)
		e.same("ok", e.loginAnswer("ann@example.com", "right-password"))
		e.same(map[string]int{"unauthorized": 6, "limited": writers - 6}, e.burst("ann@example.com"))
	}},
	{"Throttle/LockedAccountRefusesTheRightPassword", func(e *env) {
		e.throttled()
		e.register("ann@example.com", "right-password")
		for range 6 {
			e.same("unauthorized", e.loginAnswer("ann@example.com", "wrong"))
		}
		before := e.snapshot()
		// Locked: the right password gets the same refusal, and nothing
		// in the store changes (no rehash, no login).
		e.same("limited 1s", e.loginAnswer("ann@example.com", "right-password"))
		e.same("limited 1s", e.loginAnswer(" ANN@example.com", "right-password"))
		_, err := e.auth.Register(e.ctx, emailpass.ID, creds("ann@example.com", "right-password"))
		e.wantErr(err, throttle.ErrLimited)
		_, err = e.accounts.SignUp(e.ctx, emailpass.ID, creds("ann@example.com", "right-password"), customer.CreateParams{})
		e.wantErr(err, throttle.ErrLimited)
		e.unchanged(before)
		// The next failure doubles the lock.
		e.advance(time.Second)
		e.same("unauthorized", e.loginAnswer("ann@example.com", "wrong"))
		e.same("limited 2s", e.loginAnswer("ann@example.com", "right-password"))
		e.advance(2 * time.Second)
		// Once the lock is over, the right password works and clears the
		// count: five free failures again.
		e.same("ok", e.loginAnswer("ann@example.com", "right-password"))
		for range 5 {
			e.same("unauthorized", e.loginAnswer("ann@example.com", "wrong"))
		}
		e.same("ok", e.loginAnswer("ann@example.com", "right-password"))
	}},
	{"Throttle/UnknownAndKnownEmailsAnswerAlike", func(e *env) {
		e.throttled()
		e.register("known@example.com", "right-password")
		answers := func(email string) []string {
			var out []string
			for range 8 {
				out = append(out, e.loginAnswer(email, "wrong"))
				e.advance(time.Second)
			}
			return out
		}
		known := answers("known@example.com")
		e.advance(-8 * time.Second)
		unknown := answers("nobody@example.com")
		// Six failures, a second's lock that is over when the seventh
		// comes, then a lock of two seconds.
		e.same([]string{"unauthorized", "unauthorized", "unauthorized", "unauthorized", "unauthorized", "unauthorized", "unauthorized", "limited 1s"}, known)
		e.same(known, unknown)
	}},
	{"Throttle/ChangePasswordCountsFailures", func(e *env) {
		e.throttled()
		id := e.register("ann@example.com", "right-password")
		for range 6 {
			_, err := e.auth.ChangePassword(e.ctx, id.ID, emailpass.ID, "wrong", "new-password-1")
			e.wantErr(err, auth.ErrUnauthorized)
		}
		_, err := e.auth.ChangePassword(e.ctx, id.ID, emailpass.ID, "right-password", "new-password-1")
		e.wantErr(err, throttle.ErrLimited)
	}},
	{"Throttle/RegisteringATakenEmailCounts", func(e *env) {
		e.throttled()
		e.register("ann@example.com", "right-password")
		for range 6 {
			_, err := e.auth.Register(e.ctx, emailpass.ID, creds("ann@example.com", "guess-password"))
			e.wantErr(err, auth.ErrConflict)
		}
		e.same("limited 1s", e.loginAnswer("ann@example.com", "right-password"))
		// A new email registers as before.
		e.register("bob@example.com", "bob-password")
	}},
	{"Throttle/RegistrationSettlesBeforeItsAnswer", func(e *env) {
		// A registration holds a reservation on the account until its
		// success is reported. Were that report late (each release here
		// takes 50ms), the new account's first guesses would meet one
		// failure too many: the sixth would be refused unchecked.
		slow := &slowRelease{delay: 50 * time.Millisecond}
		e.throttledThrough(func(ts throttle.Store) throttle.Store { slow.Store = ts; return slow })
		for i, register := range []func(email string) error{
			func(email string) error {
				_, err := e.auth.Register(e.ctx, emailpass.ID, creds(email, "right-password"))
				return err
			},
			func(email string) error {
				_, err := e.accounts.SignUp(e.ctx, emailpass.ID, creds(email, "right-password"), customer.CreateParams{})
				return err
			},
		} {
			email := fmt.Sprintf("new%d@example.com", i)
			before := slow.done.Load()
			e.must(register(email))
			if got := slow.done.Load() - before; got != 1 {
				e.t.Fatalf("%s: %d releases done when the registration answered, want its own", email, got)
			}
			for range 6 {
				_, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(email, "wrong"))
				e.wantErr(err, auth.ErrUnauthorized)
			}
			e.same("limited 1s", e.loginAnswer(email, "right-password"))
		}
	}},
	{"Throttle/ResetRequestsPerIdentifier", func(e *env) {
		e.throttled()
		e.register("known@example.com", "right-password")
		for _, email := range []string{"known@example.com", "nobody@example.com"} {
			e.events.Reset()
			for range 5 {
				e.must(e.auth.RequestPasswordReset(e.ctx, auth.ActorCustomer, emailpass.ID, email, nil))
			}
			e.must(e.auth.Flush(e.ctx))
			sent := len(e.events.Events())
			for _, as := range []string{email, " " + email, "KNOWN@example.com"} {
				if as == "KNOWN@example.com" && email != "known@example.com" {
					continue
				}
				err := e.auth.RequestPasswordReset(e.ctx, auth.ActorCustomer, emailpass.ID, as, nil)
				var le *throttle.LimitError
				if !errors.As(err, &le) || le.Rule != "reset" || le.RetryAfter != time.Hour {
					e.t.Fatalf("%s: %v, want a reset limit for an hour", as, err)
				}
			}
			// Refused requests send nothing.
			e.must(e.auth.Flush(e.ctx))
			e.same(sent, len(e.events.Events()))
		}
		e.advance(time.Hour)
		e.events.Reset()
		e.must(e.auth.RequestPasswordReset(e.ctx, auth.ActorCustomer, emailpass.ID, "known@example.com", nil))
		e.must(e.auth.Flush(e.ctx))
		e.same(1, len(e.events.Events()))
	}},
}

// slowRelease is a throttle.Store whose releases take delay, and counts
// those done.
type slowRelease struct {
	throttle.Store
	delay time.Duration
	done  atomic.Int64
}

func (s *slowRelease) ThrottleRelease(ctx context.Context, now time.Time, releases ...throttle.Release) error {
	time.Sleep(s.delay)
	defer s.done.Add(1)
	return s.Store.ThrottleRelease(ctx, now, releases...)
}
