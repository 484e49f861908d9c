package oidctest_test

import (
	"context"
	"fmt"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store/memory"
)

// A whole OpenID Connect login against the fake identity provider: the
// first leg returns the authorization URL, Login plays the browser at the
// provider, and the callback leg finds or creates the identity.
func Example() {
	ctx := context.Background()
	idp, err := oidctest.Start() // in a test: oidctest.NewServer(t)
	if err != nil {
		panic(err)
	}
	defer idp.Close()

	p, err := oidc.New(oidc.Config{
		Issuer: idp.Issuer(), ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(),
		CallbackURL: "https://shop.example/auth/customer/oidc/callback",
	}, oidc.WithHTTPClient(idp.Client()))
	if err != nil {
		panic(err)
	}
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-example-secret-32b")})
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(p))
	if err != nil {
		panic(err)
	}

	// The browser's binding, e.g. a random value in an HttpOnly cookie.
	const browser = "cookie-value-of-this-browser"
	res, err := svc.Authenticate(ctx, "oidc", provider.Input{ActorType: "customer", Binding: browser})
	if err != nil {
		panic(err)
	}
	query, err := idp.Login(ctx, res.Location)
	if err != nil {
		panic(err)
	}
	res, err = svc.ValidateCallback(ctx, "oidc", provider.Input{ActorType: "customer", Binding: browser, Query: query})
	if err != nil {
		panic(err)
	}
	pi := res.AuthIdentity.Provider("oidc")
	fmt.Println(pi.EntityID, pi.UserMetadata["email"], res.Link)

	// The same callback again: the state was used.
	_, err = svc.ValidateCallback(ctx, "oidc", provider.Input{ActorType: "customer", Binding: browser, Query: query})
	fmt.Println(err)

	// An id_token signed with another key.
	idp.Misbehave(oidctest.Misbehavior{BadSignature: true})
	res, _ = svc.Authenticate(ctx, "oidc", provider.Input{ActorType: "customer", Binding: browser})
	query, _ = idp.Login(ctx, res.Location)
	_, err = svc.ValidateCallback(ctx, "oidc", provider.Input{ActorType: "customer", Binding: browser, Query: query})
	fmt.Println(err)
	// Output:
	// 248289761001 ada@example.com new
	// No state provided, or session expired
	// Could not verify OpenID Connect id_token: failed to verify signature: failed to verify id token signature
}
