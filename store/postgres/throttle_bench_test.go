package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/throttle"
)

// BenchmarkThrottle measures what throttling adds to a login through
// httpapi with auth.WithThrottle (BeginLogin, then Login on its context,
// then the outcome reported on both attempts, as httpapi and the auth
// service do), on a postgres.Store and (as "memory/…") on store/memory:
//
//   - LoginFailure: the attempt reserved on the address and the account
//     (one conditional upsert); the failure stays counted, nothing more;
//   - LoginSuccess: that reservation, then the account's count cleared
//     and the address's hit taken back (one statement, which the auth
//     service makes after its answer: a login's answer waits for the
//     reservation alone, LoginFailure's figure);
//   - LoginSuccessAfterFailures: the same on an account with failures;
//   - Hit: one counted request (registration, reset request, refresh):
//     a single upsert.
//
// The rules are wide enough never to refuse, so every iteration does the
// full work.
func BenchmarkThrottle(b *testing.B) {
	b.Run("postgres", func(b *testing.B) { benchThrottle(b, emptied(b)) })
	b.Run("memory", func(b *testing.B) { benchThrottle(b, memory.New()) })
}

func benchThrottle(b *testing.B, st throttle.Store) {
	ctx := context.Background()
	wide := throttle.Rule{Limit: 1 << 30, Window: time.Hour}
	l, err := throttle.New(st, throttle.Config{
		Login:   throttle.Rule{Limit: 1 << 30, Window: 24 * time.Hour, Backoff: time.Second, MaxBackoff: time.Minute},
		LoginIP: wide, RegisterIP: wide, Reset: wide, ResetIP: wide, RefreshIP: wide,
	})
	if err != nil {
		b.Fatal(err)
	}
	ip := netip.MustParseAddr("203.0.113.50")
	login := func(b *testing.B, email string, ok bool) {
		lctx, addr, err := l.BeginLogin(ctx, ip, "emailpass", email)
		if err != nil {
			b.Fatal(err)
		}
		acct, err := l.Login(lctx, "emailpass", email)
		if err != nil {
			b.Fatal(err)
		}
		if ok {
			err = errors.Join(acct.Succeed(lctx), addr.Succeed(lctx))
		} else {
			err = errors.Join(acct.Fail(lctx), addr.Fail(lctx))
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("LoginSuccess", func(b *testing.B) {
		for b.Loop() {
			login(b, "ok@example.com", true)
		}
	})
	b.Run("LoginFailure", func(b *testing.B) {
		for b.Loop() {
			login(b, "guessed@example.com", false)
		}
	})
	b.Run("LoginSuccessAfterFailures", func(b *testing.B) {
		i := 0
		for b.Loop() {
			// Each iteration's account had one failure, counted beforehand
			// outside the timer.
			b.StopTimer()
			email := fmt.Sprintf("user%d@example.com", i)
			i++
			a, err := l.Login(ctx, "emailpass", email)
			if err != nil {
				b.Fatal(err)
			}
			if err := a.Fail(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			login(b, email, true)
		}
	})
	b.Run("Hit", func(b *testing.B) {
		for b.Loop() {
			if err := l.RefreshFrom(ctx, ip); err != nil {
				b.Fatal(err)
			}
		}
	})
}
