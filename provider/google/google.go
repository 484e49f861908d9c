// Package google is the Google login provider (Medusa's auth-google): the
// OpenID Connect provider of package oidc, preset for Google.
//
//	p, err := google.New(google.Config{
//		ClientID:     id,
//		ClientSecret: secret,
//		CallbackURL:  "https://shop.example/auth/customer/google/callback",
//	})
//
// The identity's entity_id is the Google account's sub, never its email;
// user_metadata holds email, email_verified, name, given_name,
// family_name and picture. A Google account whose email is not verified
// is refused with Medusa's "Email not verified, cannot proceed with
// authentication". Everything else (state bound to the browser, PKCE,
// nonce, id_token verified against Google's keys, callback URL
// allow-list, tokens not stored unless asked) is package oidc's; see its
// documentation.
//
// # Hosted domains
//
// Config.HostedDomains restricts logins to the accounts of Google
// Workspace domains: the verified id_token's hd claim must be one of them
// (compared case-insensitively), or the login fails with "This Google
// account is not in an allowed domain" (provider.ErrUnauthorized) and
// creates nothing. With exactly one domain, the authorization URL also
// carries it as Google's hd parameter, so that Google's account chooser
// offers that domain's accounts; that hint is not a control (a user can
// remove it from the URL), the claim check is. "*" alone allows the
// accounts of any Workspace domain and no consumer (gmail.com) account,
// and is sent as hd=*.
//
// In tests, point Config.Issuer at an oidctest.Server and pass its client
// with oidc.WithHTTPClient.
//
// # Errors
//
// New fails with a *provider.Error of kind store.ErrInvalid whose message
// is Medusa's ("Google clientId is required", "Google clientSecret is
// required", "Google callbackUrl is required").
// Logins fail with *provider.Error values as described in package oidc;
// Register fails with "Google does not support registration. Use method
// `authenticate` instead.".
package google

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/store"
)

// ID is the provider's id, as in Medusa.
const ID = "google"

// Issuer is Google's OpenID Connect issuer.
const Issuer = "https://accounts.google.com"

// Config configures the provider; the first three fields are Medusa's
// options clientId, clientSecret and callbackUrl.
type Config struct {
	ClientID     string
	ClientSecret string
	CallbackURL  string
	// AllowedCallbackURLs are further redirect URIs a login request may
	// choose with body.callback_url (each must also be registered with
	// Google); any other value is refused.
	AllowedCallbackURLs []string
	// StoreTokens keeps Google's access and refresh tokens in
	// provider_metadata. Off by default.
	StoreTokens bool
	// StateTTL is how long a login may take (default 10 minutes).
	StateTTL time.Duration
	// Issuer replaces Google's issuer, for tests (an oidctest.Server).
	Issuer string
	// HostedDomains, when set, are the Google Workspace domains whose
	// accounts may log in, checked against the verified id_token's hd
	// claim; "*" alone allows any Workspace domain. See the package
	// documentation, Hosted domains.
	HostedDomains []string
}

// msgNotHostedDomain is the message of a login refused for its hosted
// domain.
const msgNotHostedDomain = "This Google account is not in an allowed domain"

// hostedDomains checks and normalises Config.HostedDomains: lower-case
// domain names without spaces, or "*" alone.
func hostedDomains(ds []string) ([]string, error) {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		d = strings.ToLower(strings.TrimSpace(d))
		bad := d == "" || strings.ContainsAny(d, " \t/@:") || d == "*" && len(ds) != 1 ||
			d != "*" && (strings.Contains(d, "*") || !strings.Contains(d, "."))
		if bad {
			return nil, provider.Fail(ID, store.ErrInvalid, fmt.Sprintf("Google hosted domain %q is not a domain name, or \"*\" alone", d))
		}
		out = append(out, d)
	}
	return out, nil
}

// checkHostedDomain returns the CheckIDToken of a provider that allows
// the domains ds (normalised, not empty).
func checkHostedDomain(ds []string) func(oidc.IDToken) error {
	return func(t oidc.IDToken) error {
		hd := strings.ToLower(t.StringClaim("hd"))
		if hd != "" && (ds[0] == "*" || slices.Contains(ds, hd)) {
			return nil
		}
		return provider.Fail(ID, provider.ErrUnauthorized, msgNotHostedDomain)
	}
}

// New returns the Google provider. opts are package oidc's
// (oidc.WithHTTPClient, oidc.WithClock).
func New(cfg Config, opts ...oidc.Option) (*oidc.Provider, error) {
	switch {
	case cfg.ClientID == "":
		return nil, provider.Fail(ID, store.ErrInvalid, "Google clientId is required")
	case cfg.ClientSecret == "":
		return nil, provider.Fail(ID, store.ErrInvalid, "Google clientSecret is required")
	case cfg.CallbackURL == "":
		return nil, provider.Fail(ID, store.ErrInvalid, "Google callbackUrl is required")
	}
	issuer := cfg.Issuer
	if issuer == "" {
		issuer = Issuer
	}
	domains, err := hostedDomains(cfg.HostedDomains)
	if err != nil {
		return nil, err
	}
	var params map[string]string
	var check func(oidc.IDToken) error
	if len(domains) > 0 {
		check = checkHostedDomain(domains)
	}
	if len(domains) == 1 {
		params = map[string]string{"hd": domains[0]}
	}
	return oidc.New(oidc.Config{
		ID:                   ID,
		Name:                 "Google",
		DisplayName:          "Google Authentication",
		Issuer:               issuer,
		ClientID:             cfg.ClientID,
		ClientSecret:         cfg.ClientSecret,
		CallbackURL:          cfg.CallbackURL,
		AllowedCallbackURLs:  cfg.AllowedCallbackURLs,
		Scopes:               []string{"openid", "email", "profile"},
		RequireVerifiedEmail: true,
		StoreTokens:          cfg.StoreTokens,
		StateTTL:             cfg.StateTTL,
		AuthParams:           params,
		CheckIDToken:         check,
	}, opts...)
}
