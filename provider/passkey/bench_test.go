package passkey_test

import (
	"context"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/webauthntest"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/passkey"
	"github.com/clientele/clientele/store/memory"
)

// BenchmarkLogin measures a usernameless passkey login on the memory
// store: Begin, the software authenticator's assertion (one ECDSA P-256
// signature, which a browser would make), and Login (one verification,
// the counter's conditional write, the token).
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("bench-secret-bench-secret-bench-32b")})
	if err != nil {
		b.Fatal(err)
	}
	pk, err := passkey.New(passkey.Config{RPID: "shop.example.com", RPDisplayName: "Shop", Origins: []string{"https://shop.example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(pk))
	if err != nil {
		b.Fatal(err)
	}
	in := func(body map[string]any) provider.Input {
		return provider.Input{Body: body, Binding: "bench-browser", ActorType: "customer"}
	}
	browser := webauthntest.New("https://shop.example.com")
	opts, err := svc.Begin(ctx, passkey.ID, in(map[string]any{"ceremony": passkey.CeremonyRegister}))
	if err != nil {
		b.Fatal(err)
	}
	created, err := browser.Create(opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Register(ctx, passkey.ID, in(created)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		opts, err := svc.Begin(ctx, passkey.ID, in(map[string]any{"ceremony": passkey.CeremonyLogin}))
		if err != nil {
			b.Fatal(err)
		}
		asserted, err := browser.Get(opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Login(ctx, "customer", passkey.ID, in(asserted)); err != nil {
			b.Fatal(err)
		}
	}
}
