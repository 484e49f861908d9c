package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// cheapScrypt makes the KDF cost next to nothing, so that the auth
// benchmarks measure the rest: the store's statements, tokens, the
// service. KDFOnly reports what it still costs.
var cheapScrypt = emailpass.Scrypt{LogN: 4, R: 8, P: 1}

// BenchmarkAuth measures the auth paths that touch the database, through
// auth.Service with emailpass, on a postgres.Store and (as "memory/…") on
// store/memory for comparison:
//
//   - Authenticate: a login with a known email (one lookup, one read of
//     the identity);
//   - RequestPasswordReset/Known and /Unknown: a reset request for a
//     registered email and for one nobody registered, which should cost
//     about the same;
//   - Refresh: a token re-issued with the identity's current app_metadata
//     (and a lookup of its MFA factors);
//   - Login: Authenticate and the login's token, with the lookup of the
//     identity's MFA factors;
//   - LoginMFA: the same for an identity with an enabled factor: the
//     factors, the recovery codes, a new challenge and the actorless
//     token;
//   - Register: a new email each time (two lookups, one INSERT).
//
// store/memory scans its maps, so its figures grow with the number of
// identities; they are a floor for the service's own cost, not a target.
func BenchmarkAuth(b *testing.B) {
	b.Run("postgres", func(b *testing.B) { benchAuth(b, emptied(b)) })
	b.Run("memory", func(b *testing.B) { benchAuth(b, memory.New()) })
	b.Run("KDFOnly", func(b *testing.B) {
		stored, err := cheapScrypt.Hash([]byte("correct horse"))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if ok, err := cheapScrypt.Verify(stored, []byte("correct horse")); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

func benchAuth(b *testing.B, st auth.Store) {
	ctx := context.Background()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("benchmark-secret-benchmark-secret")})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.NewService(st, tokens, auth.WithProvider(emailpass.New(emailpass.WithHasher(cheapScrypt))))
	if err != nil {
		b.Fatal(err)
	}
	creds := func(email string) provider.Input {
		return emailpass.Credentials(email, "correct horse").ForActor(auth.ActorCustomer)
	}
	res, err := svc.Register(ctx, emailpass.ID, creds("ada@example.com"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.SetActor(ctx, res.AuthIdentity.ID, "customer", "cus_01BENCH"); err != nil {
		b.Fatal(err)
	}

	b.Run("Authenticate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Authenticate(ctx, emailpass.ID, creds("ada@example.com")); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct{ name, email string }{{"Known", "ada@example.com"}, {"Unknown", "nobody@example.com"}} {
		b.Run("RequestPasswordReset/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := svc.RequestPasswordReset(ctx, "customer", emailpass.ID, tc.email, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Refresh", func(b *testing.B) {
		token, err := svc.Token(res.AuthIdentity, "customer", emailpass.ID)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Refresh(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Login", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if l, err := svc.Login(ctx, "customer", emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse")); err != nil || l.MFAChallenge != nil {
				b.Fatal(l, err)
			}
		}
	})
	b.Run("LoginMFA", func(b *testing.B) {
		res, err := svc.Register(ctx, emailpass.ID, creds("mfa@example.com"))
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		f := &auth.MFAFactor{ID: "authmfa_bench", AuthIdentityID: res.AuthIdentity.ID, Provider: auth.MFAMethodTOTP, Status: auth.MFAEnabled, CreatedAt: now, UpdatedAt: now}
		if err := st.(auth.MFAStore).InsertMFAFactor(ctx, f); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if l, err := svc.Login(ctx, "customer", emailpass.ID, emailpass.Credentials("mfa@example.com", "correct horse")); err != nil || l.MFAChallenge == nil {
				b.Fatal(l, err)
			}
		}
	})
	// Last: it adds b.N identities.
	b.Run("Register", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := svc.Register(ctx, emailpass.ID, creds(fmt.Sprintf("user%d@example.com", i))); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
