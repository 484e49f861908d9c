// Package github is the GitHub login provider (Medusa's auth-github):
// OAuth 2.0 against GitHub's authorize and token endpoints, then GitHub's
// user API.
//
//	p, err := github.New(github.Config{
//		ClientID:     id,
//		ClientSecret: secret,
//		CallbackURL:  "https://shop.example/auth/customer/github/callback",
//	})
//
// The login flow is package oauth2flow's [oauth2flow.Flow]: a 256-bit
// state, bound to the browser that began the login and usable once within
// 10 minutes; PKCE with S256; a callback URL from configuration or its
// allow-list; the code exchanged with the client's credentials in the form body,
// never in the URL. GitHub answers without expires_in (classic OAuth
// apps' tokens do not expire; Medusa fails there with "Invalid time
// value"), and reports a bad code with HTTP 200 and an error body: both
// are handled, the second as a clean "Could not exchange token…" error.
//
// After the exchange the provider reads GET /user and GET /user/emails
// (scopes "read:user user:email"). The identity's entity_id is the
// numeric user id as a string; user_metadata is Medusa's: profile_url
// (the user's API URL, as Medusa stores it), avatar, email, name, company,
// two_factor_authentication, plus clientele's email_verified. The email is
// the primary verified address of /user/emails, else the profile's public
// one; only the first is reported verified, to the auth service
// (provider.NewIdentity), which alone decides on linking identities by
// email, and in email_verified, which lets the login open a customer
// account for that email (auth.Service.ProvenEmails). A returning user's
// user_metadata is refreshed when it changed. GitHub's tokens are stored
// in provider_metadata only with Config.StoreTokens.
//
// In tests, point BaseURL and APIURL at an oidctest.Server and pass its
// client with WithHTTPClient.
//
// # Errors
//
// New fails with a *provider.Error of kind store.ErrInvalid whose message
// is Medusa's ("Github clientId is required"…).
// Logins fail with *provider.Error values: those of [oauth2flow.Flow], "Could
// not exchange token, <status>, <text>[: <error>]", and "Could not read
// the GitHub user: …" when the API answers an error status or malformed
// JSON; no identity is created then. Register fails with Medusa's "Github
// does not support registration. Use method `authenticate` instead.".
//
// # Concurrency
//
// A Provider is safe for concurrent use.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oauth2flow"
	"github.com/clientele/clientele/store"
)

// ID is the provider's id, as in Medusa.
const ID = "github"

// GitHub's base URLs.
const (
	BaseURL = "https://github.com"
	APIURL  = "https://api.github.com"
)

// maxAPIBody bounds the API answers read.
const maxAPIBody = 1 << 20

// Config configures the provider; the first three fields are Medusa's
// options clientId, clientSecret and callbackUrl.
type Config struct {
	ClientID     string
	ClientSecret string
	CallbackURL  string
	// AllowedCallbackURLs are further redirect URIs a login request may
	// choose with body.callback_url; any other value is refused.
	AllowedCallbackURLs []string
	// Scopes asked for (default "read:user", "user:email").
	Scopes []string
	// RequireVerifiedEmail refuses users without a verified primary
	// email (Medusa does not).
	RequireVerifiedEmail bool
	// StoreTokens keeps GitHub's tokens in provider_metadata
	// (access_token, refresh_token and their expiry times when GitHub
	// sends them). Off by default.
	StoreTokens bool
	// StateTTL is how long a login may take (default 10 minutes).
	StateTTL time.Duration
	// BaseURL is the web base URL (default https://github.com) and APIURL
	// the API's (default https://api.github.com): set them for GitHub
	// Enterprise Server or for tests.
	BaseURL string
	APIURL  string
}

// Option configures a Provider's dependencies.
type Option func(*Provider)

// WithHTTPClient sets the client for the token request and the API
// (default: a client with a 10-second timeout).
func WithHTTPClient(c *http.Client) Option { return func(p *Provider) { p.client = c } }

// WithClock sets the clock of stored token expiry times.
func WithClock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

// Provider is the GitHub provider.
type Provider struct {
	cfg    Config
	flow   oauth2flow.Flow
	oauth  oauth2.Config
	client *http.Client
	now    func() time.Time
}

var (
	_ provider.Provider          = (*Provider)(nil)
	_ provider.CallbackValidator = (*Provider)(nil)
	_ provider.Registerer        = (*Provider)(nil)
	_ provider.Describer         = (*Provider)(nil)
)

// New returns the GitHub provider.
func New(cfg Config, opts ...Option) (*Provider, error) {
	switch {
	case cfg.ClientID == "":
		return nil, provider.Fail(ID, store.ErrInvalid, "Github clientId is required")
	case cfg.ClientSecret == "":
		return nil, provider.Fail(ID, store.ErrInvalid, "Github clientSecret is required")
	case cfg.CallbackURL == "":
		return nil, provider.Fail(ID, store.ErrInvalid, "Github callbackUrl is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = BaseURL
	}
	if cfg.APIURL == "" {
		cfg.APIURL = APIURL
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	cfg.APIURL = strings.TrimSuffix(cfg.APIURL, "/")
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"read:user", "user:email"}
	}
	cfg.Scopes = slices.Clone(cfg.Scopes)
	cfg.AllowedCallbackURLs = slices.Clone(cfg.AllowedCallbackURLs)
	p := &Provider{
		cfg:  cfg,
		flow: oauth2flow.Flow{ProviderID: ID, CallbackURL: cfg.CallbackURL, AllowedCallbackURLs: cfg.AllowedCallbackURLs, StateTTL: cfg.StateTTL},
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scopes: cfg.Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   cfg.BaseURL + "/login/oauth/authorize",
				TokenURL:  cfg.BaseURL + "/login/oauth/access_token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		client: &http.Client{Timeout: 10 * time.Second},
		now:    time.Now,
	}
	for _, o := range opts {
		o(p)
	}
	if err := p.flow.Check(); err != nil {
		return nil, err
	}
	return p, nil
}

// ID implements provider.Provider.
func (p *Provider) ID() string { return ID }

// VerifiesEmails implements provider.EmailVerifier: email_verified is
// GitHub's own verified flag for the primary email.
func (p *Provider) VerifiesEmails() bool { return true }

var _ provider.EmailVerifier = (*Provider)(nil)

// DisplayName implements provider.Describer.
func (p *Provider) DisplayName() string { return "Github Authentication" }

// Register implements provider.Registerer with Medusa's refusal.
func (p *Provider) Register(context.Context, provider.Input, provider.Identities) (*provider.Result, error) {
	return nil, provider.Fail(ID, store.ErrInvalid, "Github does not support registration. Use method `authenticate` instead.")
}

// Authenticate implements provider.Provider: it starts a login and
// returns GitHub's authorization URL as the result's Location. The input
// must carry a browser Binding; body.callback_url may choose one of the
// allowed callback URLs.
func (p *Provider) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	loc, err := p.flow.Begin(ctx, in, ids, p.oauth, false)
	if err != nil {
		return nil, err
	}
	return &provider.Result{Location: loc}, nil
}

// ValidateCallback implements provider.CallbackValidator: it checks the
// callback (see oauth2flow.Flow.Finish), exchanges the code with the PKCE
// verifier, reads the user from GitHub's API and finds or creates its
// identity.
func (p *Provider) ValidateCallback(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	cb, err := p.flow.Finish(ctx, in, ids)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: acceptJSON{base: p.client.Transport}, Timeout: p.client.Timeout, Jar: p.client.Jar, CheckRedirect: p.client.CheckRedirect}
	tok, err := p.flow.Exchange(ctx, cb, p.oauth, client)
	if err != nil {
		return nil, err
	}
	var u user
	if err := p.get(ctx, tok.AccessToken, "/user", &u); err != nil {
		return nil, err
	}
	if u.ID <= 0 {
		return nil, p.fail(provider.ErrUnauthorized, "Could not read the GitHub user: no user id")
	}
	var emails []email
	if err := p.get(ctx, tok.AccessToken, "/user/emails", &emails); err != nil {
		return nil, err
	}
	ni := provider.NewIdentity{EntityID: strconv.FormatInt(u.ID, 10)}
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			ni.Email, ni.EmailVerified = e.Email, true
		}
	}
	if ni.Email == "" && u.Email != nil {
		ni.Email = *u.Email
	}
	if p.cfg.RequireVerifiedEmail && !ni.EmailVerified {
		return nil, p.fail(store.ErrInvalid, oauth2flow.MsgEmailNotVerified)
	}
	var mail any
	if ni.Email != "" {
		mail = ni.Email
	}
	ni.UserMetadata = map[string]any{
		"profile_url": orNil(u.URL), "avatar": orNil(u.AvatarURL), "email": mail, "name": orNil(u.Name),
		"company": orNil(u.Company), "two_factor_authentication": u.TwoFactor,
		// Whether GitHub verified the email, so that a customer account
		// can be opened for it (auth.Service.ProvenEmails).
		"email_verified": ni.EmailVerified,
	}
	if p.cfg.StoreTokens {
		ni.ProviderMetadata = p.tokenMetadata(tok)
	}
	return oauth2flow.Login(ctx, ID, ids, ni)
}

// orNil is a JSON string or null.
func orNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// user is what the provider reads of GET /user.
type user struct {
	ID        int64   `json:"id"`
	URL       *string `json:"url"`
	AvatarURL *string `json:"avatar_url"`
	Email     *string `json:"email"`
	Name      *string `json:"name"`
	Company   *string `json:"company"`
	TwoFactor bool    `json:"two_factor_authentication"`
}

// email is an entry of GET /user/emails.
type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// get reads an API resource into v.
func (p *Provider) get(ctx context.Context, token, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.APIURL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &provider.Error{Provider: ID, Kind: errors.Join(provider.ErrUnauthorized, err), Message: "Could not read the GitHub user: GitHub is unreachable"}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return &provider.Error{Provider: ID, Kind: errors.Join(provider.ErrUnauthorized, err), Message: "Could not read the GitHub user: " + err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return p.fail(provider.ErrUnauthorized, fmt.Sprintf("Could not read the GitHub user, %d, %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &provider.Error{Provider: ID, Kind: errors.Join(provider.ErrUnauthorized, err), Message: "Could not read the GitHub user: malformed answer"}
	}
	return nil
}

// tokenMetadata is Medusa's provider_metadata for GitHub, with the
// expiry times only when GitHub sends them.
func (p *Provider) tokenMetadata(tok *oauth2.Token) map[string]any {
	m := map[string]any{"access_token": tok.AccessToken}
	if tok.RefreshToken != "" {
		m["refresh_token"] = tok.RefreshToken
	}
	now := p.now().UTC()
	if tok.ExpiresIn > 0 {
		m["access_token_expires_at"] = now.Add(time.Duration(tok.ExpiresIn) * time.Second).Format(time.RFC3339)
	} else if !tok.Expiry.IsZero() {
		m["access_token_expires_at"] = tok.Expiry.UTC().Format(time.RFC3339)
	}
	var refreshIn float64
	switch v := tok.Extra("refresh_token_expires_in").(type) {
	case float64:
		refreshIn = v
	case string:
		refreshIn, _ = strconv.ParseFloat(v, 64)
	}
	if refreshIn > 0 {
		m["refresh_token_expires_at"] = now.Add(time.Duration(refreshIn) * time.Second).Format(time.RFC3339)
	}
	return m
}

func (p *Provider) fail(kind error, msg string) error { return provider.Fail(ID, kind, msg) }

// acceptJSON asks GitHub's token endpoint for JSON (it answers a form
// body otherwise; x/oauth2 reads both).
type acceptJSON struct{ base http.RoundTripper }

func (a acceptJSON) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", "application/json")
	base := a.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}
