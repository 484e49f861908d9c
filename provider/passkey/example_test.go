package passkey_test

import (
	"context"
	"fmt"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/webauthntest"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/passkey"
	"github.com/clientele/clientele/store/memory"
)

// A passkey-only account: registered, then logged in without a username.
// A software authenticator stands in for the browser.
func Example() {
	ctx := context.Background()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-example-secret-32b")})
	if err != nil {
		panic(err)
	}
	pk, err := passkey.New(passkey.Config{RPID: "shop.example.com", RPDisplayName: "Shop", Origins: []string{"https://shop.example.com"}})
	if err != nil {
		panic(err)
	}
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(pk))
	if err != nil {
		panic(err)
	}
	// The binding ties each ceremony to the browser (httpapi draws it
	// from a cookie).
	in := func(body map[string]any) provider.Input {
		return provider.Input{Body: body, Binding: "the-browser's-binding", ActorType: "customer"}
	}
	browser := webauthntest.New("https://shop.example.com")

	opts, err := svc.Begin(ctx, passkey.ID, in(map[string]any{"ceremony": passkey.CeremonyRegister, "name": "ada@example.com"}))
	if err != nil {
		panic(err)
	}
	created, err := browser.Create(opts) // navigator.credentials.create
	if err != nil {
		panic(err)
	}
	reg, err := svc.Register(ctx, passkey.ID, in(created))
	if err != nil {
		panic(err)
	}

	opts, err = svc.Begin(ctx, passkey.ID, in(map[string]any{"ceremony": passkey.CeremonyLogin}))
	if err != nil {
		panic(err)
	}
	asserted, err := browser.Get(opts) // navigator.credentials.get
	if err != nil {
		panic(err)
	}
	l, err := svc.Login(ctx, "customer", passkey.ID, in(asserted))
	if err != nil {
		panic(err)
	}
	fmt.Println(l.Identity.ID == reg.AuthIdentity.ID, l.Token != "")

	// The same answer again finds its challenge spent.
	_, err = svc.Login(ctx, "customer", passkey.ID, in(asserted))
	fmt.Println(err)
	// Output:
	// true true
	// The passkey challenge is unknown, was used already or has expired
}
