package auth_test

import (
	"context"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// BenchmarkVerifyRevocation compares verifying a token alone
// (Tokens.Verify: signature and claims) with Service.Verify, which adds
// the revocation check (a cache hit at steady state).
func BenchmarkVerifyRevocation(b *testing.B) {
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: tokSecret})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(emailpass.New()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	id, err := svc.CreateAuthIdentity(ctx, auth.CreateIdentityParams{})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := svc.Token(id, "customer", emailpass.ID)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("tokens", func(b *testing.B) {
		for b.Loop() {
			if _, err := tokens.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("service", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
