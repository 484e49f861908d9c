package oidc_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store/memory"
)

// Microsoft Entra ID (Azure AD) through the generic provider.
//
// A single tenant is plain OpenID Connect: its issuer is
// https://login.microsoftonline.com/<tenant id>/v2.0, which its discovery
// document names too:
//
//	p, err := oidc.New(oidc.Config{
//		ID:           "entra",
//		Name:         "Microsoft",
//		Issuer:       "https://login.microsoftonline.com/" + tenantID + "/v2.0",
//		ClientID:     appID, // the app registration's Application (client) ID
//		ClientSecret: secret,
//		CallbackURL:  "https://shop.example/auth/customer/entra/callback",
//		Scopes:       []string{"openid", "email", "profile"},
//	})
//
// Several tenants sign in through the "organizations" (work and school
// accounts) or "common" (those and personal Microsoft accounts)
// endpoint, whose document names the issuer template
// https://login.microsoftonline.com/{tenantid}/v2.0: set it as
// IssuerTemplate, so that each id_token's iss is checked against its own
// tid claim, and choose the tenants with CheckIDToken. Without a tenant
// check, any Entra ID tenant (anyone can make one) can log in.
//
// The identity is keyed by sub, which Entra ID makes per application;
// oid (the user's id in the tenant), tid and preferred_username are in
// the token's claims for CheckIDToken. Entra ID sends no email_verified
// claim, and its email claim is not verified: keep RequireVerifiedEmail
// off, and the identity is never linked to another by its email.
//
// Here the fake identity provider of package oidctest plays the
// "organizations" endpoint.
func Example_microsoftEntraID() {
	ctx := context.Background()
	const contoso, fabrikam = "72f988bf-86f1-41af-91ab-2d7cd011db47", "9188040d-6c67-4c5b-b112-36a304b66dad"
	// On Microsoft's side, Issuer is https://login.microsoftonline.com/organizations/v2.0
	// and IssuerTemplate https://login.microsoftonline.com/{tenantid}/v2.0.
	idp, err := oidctest.Start(oidctest.WithDiscoveredIssuer("/{tenantid}/v2.0"))
	if err != nil {
		panic(err)
	}
	defer idp.Close()

	allowed := []string{contoso}
	p, err := oidc.New(oidc.Config{
		ID: "entra", Name: "Microsoft",
		Issuer:         idp.URL,                      // the "organizations" endpoint
		IssuerTemplate: idp.URL + "/{tenantid}/v2.0", // what its discovery document names
		ClientID:       idp.ClientID(), ClientSecret: idp.ClientSecret(),
		CallbackURL: "https://shop.example/auth/customer/entra/callback",
		Scopes:      []string{"openid", "email", "profile"},
		CheckIDToken: func(t oidc.IDToken) error {
			if !slices.Contains(allowed, t.StringClaim("tid")) {
				return errors.New("this organization's accounts cannot log in here")
			}
			return nil
		},
	}, oidc.WithHTTPClient(idp.Client()))
	if err != nil {
		panic(err)
	}
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-example-secret-32b")})
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(p))
	if err != nil {
		panic(err)
	}

	login := func(tenant, user string) {
		idp.SetUser(oidctest.User{
			Subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ-" + user, Name: user,
			Issuer: idp.URL + "/" + tenant + "/v2.0",
			Claims: map[string]any{"tid": tenant, "oid": "00000000-0000-0000-66f3-3332eca7ea81", "preferred_username": user + "@contoso.example"},
		})
		const browser = "cookie-value-of-this-browser"
		res, err := svc.Authenticate(ctx, "entra", provider.Input{ActorType: "customer", Binding: browser})
		if err != nil {
			panic(err)
		}
		query, err := idp.Login(ctx, res.Location)
		if err != nil {
			panic(err)
		}
		res, err = svc.ValidateCallback(ctx, "entra", provider.Input{ActorType: "customer", Binding: browser, Query: query})
		if err != nil {
			fmt.Println(user+":", err)
			return
		}
		fmt.Println(user+":", res.AuthIdentity.Provider("entra").UserMetadata["name"], res.Link)
	}
	login(contoso, "megan")
	login(fabrikam, "eve")
	// Output:
	// megan: megan new
	// eve: Could not verify Microsoft id_token: this organization's accounts cannot log in here
}
