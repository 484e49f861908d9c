package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/throttle"
)

// auditBenchStore is what BenchmarkAuditLogin runs on.
type auditBenchStore interface {
	auth.Store
	throttle.Store
	audit.Store
}

// BenchmarkAuditLogin measures what the audit log adds to a login with
// the throttle on (auth.WithThrottle, as examples/server runs), on a
// postgres.Store and on store/memory, without ("off") and with ("on")
// auth.WithAudit, at a cheap scrypt cost so that the rest shows:
//
//   - Success/Failure answer: Authenticate alone, what the caller waits
//     for (the entry, like the throttle's report of a success, is written
//     after the answer, in the background);
//   - Success/Failure settled: Authenticate and Flush, the whole work
//     including the background writes (a failure's entry looks its
//     identity up, then inserts).
func BenchmarkAuditLogin(b *testing.B) {
	b.Run("postgres", func(b *testing.B) { benchAuditLogin(b, func() auditBenchStore { return emptied(b) }) })
	b.Run("memory", func(b *testing.B) { benchAuditLogin(b, func() auditBenchStore { return memory.New() }) })
}

func benchAuditLogin(b *testing.B, newStore func() auditBenchStore) {
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		st := newStore()
		tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("benchmark-secret-benchmark-secret")})
		if err != nil {
			b.Fatal(err)
		}
		lim, err := throttle.New(st, throttle.Config{Login: throttle.Rule{Limit: 1 << 30, Window: time.Hour, Backoff: time.Second, MaxBackoff: time.Minute}})
		if err != nil {
			b.Fatal(err)
		}
		opts := []auth.Option{auth.WithProvider(emailpass.New(emailpass.WithHasher(cheapScrypt))), auth.WithThrottle(lim)}
		name := "off"
		if on {
			lg, err := audit.New(st)
			if err != nil {
				b.Fatal(err)
			}
			opts, name = append(opts, auth.WithAudit(lg)), "on"
		}
		svc, err := auth.NewService(st, tokens, opts...)
		if err != nil {
			b.Fatal(err)
		}
		creds := func(password string) provider.Input {
			return emailpass.Credentials("ada@example.com", password).ForActor(auth.ActorCustomer)
		}
		if _, err := svc.Register(ctx, emailpass.ID, creds("correct horse")); err != nil {
			b.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			password string
		}{{"Success", "correct horse"}, {"Failure", "wrong horse"}} {
			for _, settled := range []bool{false, true} {
				mode := "answer"
				if settled {
					mode = "settled"
				}
				b.Run(name+"/"+tc.name+"/"+mode, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						_, err := svc.Authenticate(ctx, emailpass.ID, creds(tc.password))
						if (err == nil) != (tc.password == "correct horse") {
							b.Fatal(err)
						}
						if settled {
							if err := svc.Flush(ctx); err != nil {
								b.Fatal(err)
							}
						}
					}
					b.StopTimer()
					if err := svc.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				})
			}
		}
	}
}
