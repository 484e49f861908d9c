package provider_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store/memory"
)

// MagicLink logs people in with a one-time link sent by e-mail: a provider
// a host writes itself.
type MagicLink struct {
	Send func(email, link string) // delivers the link
}

func (m *MagicLink) ID() string { return "magiclink" }

// Authenticate with {"email"} sends a link; with {"code"} it logs in,
// creating the identity on first use.
func (m *MagicLink) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	if email, ok := in.Body["email"].(string); ok {
		code := rand.Text()
		if err := ids.SetState(ctx, code, []byte(email), 15*time.Minute); err != nil {
			return nil, err
		}
		m.Send(email, "https://shop.example/login?code="+code)
		return &provider.Result{}, nil
	}
	code, _ := in.Body["code"].(string)
	email, err := ids.TakeState(ctx, code) // single use
	if err != nil {
		return nil, provider.Fail(m.ID(), provider.ErrUnauthorized, "This link is invalid or was used already")
	}
	identity, err := ids.Retrieve(ctx, string(email))
	if provider.IsNotFound(err) {
		identity, err = ids.Create(ctx, provider.NewIdentity{EntityID: string(email)})
	}
	if err != nil {
		return nil, err
	}
	return &provider.Result{AuthIdentity: identity}, nil
}

func Example_customProvider() {
	ctx := context.Background()
	var lastLink string
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-example-secret-32b")})
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(&MagicLink{Send: func(_, link string) { lastLink = link }}))
	if err != nil {
		panic(err)
	}

	_, _ = svc.Authenticate(ctx, "magiclink", provider.Input{Body: map[string]any{"email": "ada@example.com"}})
	code := lastLink[len("https://shop.example/login?code="):]
	res, err := svc.Authenticate(ctx, "magiclink", provider.Input{Body: map[string]any{"code": code}})
	fmt.Println(err, res.AuthIdentity.ProviderIdentities[0].EntityID)

	_, err = svc.Authenticate(ctx, "magiclink", provider.Input{Body: map[string]any{"code": code}})
	fmt.Println(err)
	// Output:
	// <nil> ada@example.com
	// This link is invalid or was used already
}
