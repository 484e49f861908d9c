package auth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

func benchService(b *testing.B, h emailpass.Hasher, opts ...auth.Option) *auth.Service {
	b.Helper()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("benchmark-secret-benchmark-secret")})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.NewService(memory.New(), tokens, append([]auth.Option{auth.WithProvider(emailpass.New(emailpass.WithHasher(h)))}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

func login(email, password string) provider.Input {
	return emailpass.Credentials(email, password).ForActor(auth.ActorCustomer)
}

// BenchmarkLogin measures a login at Medusa's default scrypt cost, and the
// key derivation alone, so the share of everything else is
// 1 - KDF/Login.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	h := emailpass.DefaultScrypt()
	svc := benchService(b, h)
	if _, err := svc.Register(ctx, emailpass.ID, login("ada@example.com", "correct horse")); err != nil {
		b.Fatal(err)
	}
	stored, err := h.Hash([]byte("correct horse"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Authenticate", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.Authenticate(ctx, emailpass.ID, login("ada@example.com", "correct horse")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AuthenticateUnknownEmail", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.Authenticate(ctx, emailpass.ID, login("nobody@example.com", "correct horse")); err == nil {
				b.Fatal("logged in")
			}
		}
	})
	b.Run("KDFOnly", func(b *testing.B) {
		for b.Loop() {
			if ok, err := h.Verify(stored, []byte("correct horse")); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("Register", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := svc.Register(ctx, emailpass.ID, login(fmt.Sprintf("user%d@example.com", i), "correct horse")); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkPasswordResetRequest compares a reset request for a known email
// with one for an unknown email: the two should cost about the same.
//
// The host's sink takes 150 ms (a mail server): the reset token is
// delivered after the call returns, so the known email's request does not
// wait for it and answers as fast as the unknown one's.
func BenchmarkPasswordResetRequest(b *testing.B) {
	ctx := context.Background()
	slowMail := event.SinkFunc(func(context.Context, event.Event) error {
		time.Sleep(150 * time.Millisecond)
		return nil
	})
	svc := benchService(b, emailpass.Scrypt{LogN: 4, R: 8, P: 1}, auth.WithEventSink(slowMail))
	b.Cleanup(func() { _ = svc.Flush(context.Background()) })
	if _, err := svc.Register(ctx, emailpass.ID, login("ada@example.com", "correct horse")); err != nil {
		b.Fatal(err)
	}
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		name := "Known"
		if email != "ada@example.com" {
			name = "Unknown"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := svc.RequestPasswordReset(ctx, "customer", emailpass.ID, email, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
