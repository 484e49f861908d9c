package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oauth2flow"
	"github.com/clientele/clientele/store"
)

// ID is the default provider id.
const ID = "oidc"

// defaultScopes are the scopes asked for when Config.Scopes is empty.
func defaultScopes() []string { return []string{gooidc.ScopeOpenID, "email", "profile"} }

// Config configures a Provider.
type Config struct {
	// ID is the provider's id, written to provider_identity.provider
	// (default "oidc"). Give each OpenID Connect provider of a service its
	// own.
	ID string
	// Name names the identity provider in messages ("Google": "Could not
	// verify Google id_token…"); default "OpenID Connect".
	Name string
	// DisplayName is what Describer reports (default "<Name>
	// Authentication").
	DisplayName string
	// Issuer is the issuer URL; the provider's endpoints and keys come
	// from its discovery document (<Issuer>/.well-known/openid-configuration),
	// whose "issuer" must be exactly this value.
	Issuer       string
	ClientID     string
	ClientSecret string
	// CallbackURL is the redirect URI registered with the identity
	// provider.
	CallbackURL string
	// AllowedCallbackURLs are further redirect URIs a login request may
	// choose with body.callback_url; any other value is refused.
	AllowedCallbackURLs []string
	// Scopes asked for (default "openid", "email", "profile"). "openid"
	// is added when missing.
	Scopes []string
	// RequireVerifiedEmail refuses logins whose id_token has no email or
	// email_verified other than true.
	RequireVerifiedEmail bool
	// StoreTokens keeps the identity provider's access and refresh tokens
	// in provider_metadata (access_token, refresh_token, token_type,
	// access_token_expires_at). Off by default: clientele needs none of
	// them to log people in.
	StoreTokens bool
	// StateTTL is how long a login may take (default 10 minutes).
	StateTTL time.Duration
	// AuthParams are further parameters of the authorization request:
	// Google's hd, Microsoft's domain_hint, prompt and the like. They are
	// hints to the identity provider, never a control (check the verified
	// id_token with CheckIDToken). They cannot replace the protocol's own
	// (response_type, client_id, redirect_uri, scope, state, nonce,
	// code_challenge, code_challenge_method): New refuses them.
	AuthParams map[string]string
	// CheckIDToken, when set, is called with every verified id_token
	// (signature, iss, aud, exp, nonce and at_hash checked) before the
	// identity is found or created; an error refuses the login, which
	// creates nothing. A *provider.Error is returned as it is; any other
	// error fails the login with provider.ErrUnauthorized and the message
	// "Could not verify <Name> id_token: <error>", so keep its text fit
	// for users (and free of tokens).
	CheckIDToken func(IDToken) error
	// IssuerTemplate is for identity providers whose one discovery
	// document serves many issuers, one per tenant: Microsoft Entra ID's
	// "common" and "organizations" endpoints name
	// "https://login.microsoftonline.com/{tenantid}/v2.0" as their
	// issuer. When set, it must contain "{tenantid}"; the discovery
	// document at Issuer must name exactly this template as its issuer;
	// and each id_token's iss must be the template with {tenantid}
	// replaced by the token's own tid claim (letters, digits, '-' and
	// '.'), so that a token is only ever accepted for the tenant that
	// issued it. Which tenants may log in is the host's choice: check tid
	// in CheckIDToken against an allow-list, or accept every tenant
	// knowingly. Leave it empty for a single issuer (a single tenant).
	IssuerTemplate string
}

// TenantPlaceholder is what Config.IssuerTemplate holds in place of the
// tenant id.
const TenantPlaceholder = "{tenantid}"

// IDToken is a verified id_token, as Config.CheckIDToken sees it.
type IDToken struct {
	Issuer   string
	Subject  string
	Audience []string
	// Claims holds every claim of the token, decoded from JSON (numbers
	// as float64).
	Claims map[string]any
}

// StringClaim returns the claim name when it is a string, else "".
func (t IDToken) StringClaim(name string) string {
	s, _ := t.Claims[name].(string)
	return s
}

// protocolParams are the authorization request's parameters that the flow
// sets itself.
var protocolParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"}

// Option configures a Provider's dependencies.
type Option func(*Provider)

// WithHTTPClient sets the client for discovery, keys and token requests
// (default: a client with a 10-second timeout). Use it for proxies and
// for tests (oidctest.Server.Client).
func WithHTTPClient(c *http.Client) Option { return func(p *Provider) { p.client = c } }

// WithClock sets the clock id_tokens' expiry is checked against.
func WithClock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

// Provider is an OpenID Connect provider: the authorization-code flow
// with PKCE, a nonce and an id_token verified against the issuer's keys.
// It is safe for concurrent use.
type Provider struct {
	cfg    Config
	flow   oauth2flow.Flow
	client *http.Client
	now    func() time.Time

	mu         sync.Mutex
	discovered *discovered
}

type discovered struct {
	endpoint oauth2.Endpoint
	verifier *gooidc.IDTokenVerifier
}

var (
	_ provider.Provider          = (*Provider)(nil)
	_ provider.CallbackValidator = (*Provider)(nil)
	_ provider.Registerer        = (*Provider)(nil)
	_ provider.Describer         = (*Provider)(nil)
)

// New returns a provider for cfg. It does not fetch anything: the
// discovery document is fetched on first use (or by [Provider.Discover]).
func New(cfg Config, opts ...Option) (*Provider, error) {
	if cfg.ID == "" {
		cfg.ID = ID
	}
	if cfg.Name == "" {
		cfg.Name = "OpenID Connect"
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = cfg.Name + " Authentication"
	}
	switch {
	case cfg.Issuer == "":
		return nil, provider.Fail(cfg.ID, store.ErrInvalid, cfg.Name+" issuer is required")
	case cfg.ClientID == "":
		return nil, provider.Fail(cfg.ID, store.ErrInvalid, cfg.Name+" clientId is required")
	case cfg.ClientSecret == "":
		return nil, provider.Fail(cfg.ID, store.ErrInvalid, cfg.Name+" clientSecret is required")
	case cfg.CallbackURL == "":
		return nil, provider.Fail(cfg.ID, store.ErrInvalid, cfg.Name+" callbackUrl is required")
	}
	if err := checkIssuer(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("%s issuer %q: %w", cfg.Name, cfg.Issuer, err)
	}
	for k := range cfg.AuthParams {
		if k == "" || slices.Contains(protocolParams, k) {
			return nil, provider.Fail(cfg.ID, store.ErrInvalid, fmt.Sprintf("%s authorization parameter %q cannot be set", cfg.Name, k))
		}
	}
	if cfg.IssuerTemplate != "" {
		if strings.Count(cfg.IssuerTemplate, TenantPlaceholder) != 1 || checkIssuer(strings.Replace(cfg.IssuerTemplate, TenantPlaceholder, "tenant", 1)) != nil {
			return nil, provider.Fail(cfg.ID, store.ErrInvalid, fmt.Sprintf("%s issuer template must be an http(s) URL holding %s once", cfg.Name, TenantPlaceholder))
		}
	}
	cfg.AuthParams = maps.Clone(cfg.AuthParams)
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = defaultScopes()
	}
	if !slices.Contains(cfg.Scopes, gooidc.ScopeOpenID) {
		cfg.Scopes = append([]string{gooidc.ScopeOpenID}, cfg.Scopes...)
	}
	cfg.Scopes = slices.Clone(cfg.Scopes)
	cfg.AllowedCallbackURLs = slices.Clone(cfg.AllowedCallbackURLs)
	p := &Provider{
		cfg:    cfg,
		flow:   oauth2flow.Flow{ProviderID: cfg.ID, CallbackURL: cfg.CallbackURL, AllowedCallbackURLs: cfg.AllowedCallbackURLs, StateTTL: cfg.StateTTL},
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
func (p *Provider) ID() string { return p.cfg.ID }

// VerifiesEmails implements provider.EmailVerifier: email_verified is the
// verified id_token's claim.
func (p *Provider) VerifiesEmails() bool { return true }

var _ provider.EmailVerifier = (*Provider)(nil)

// DisplayName implements provider.Describer.
func (p *Provider) DisplayName() string { return p.cfg.DisplayName }

// Register implements provider.Registerer: a social login creates its
// identity on the first login, so registering is refused with Medusa's
// message.
func (p *Provider) Register(context.Context, provider.Input, provider.Identities) (*provider.Result, error) {
	return nil, provider.Fail(p.cfg.ID, store.ErrInvalid, p.cfg.Name+" does not support registration. Use method `authenticate` instead.")
}

// Discover fetches the issuer's discovery document, if it was not
// fetched yet. Call it at start-up to find a misconfiguration early; the
// provider otherwise discovers on first use, and again after a failure.
func (p *Provider) Discover(ctx context.Context) error {
	_, err := p.discover(ctx)
	return err
}

func (p *Provider) discover(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.discovered != nil {
		return p.discovered, nil
	}
	dctx := gooidc.ClientContext(ctx, p.client)
	if p.cfg.IssuerTemplate != "" {
		// The document names the template, not Issuer: go-oidc is told
		// to take it, and the check below compares it with the
		// configured template instead.
		dctx = gooidc.InsecureIssuerURLContext(dctx, p.cfg.IssuerTemplate)
	}
	op, err := gooidc.NewProvider(dctx, p.cfg.Issuer)
	if err == nil && p.cfg.IssuerTemplate != "" {
		var doc struct {
			Issuer string `json:"issuer"`
		}
		if err = op.Claims(&doc); err == nil && doc.Issuer != p.cfg.IssuerTemplate {
			err = &gooidc.IssuerMismatchError{Provided: p.cfg.IssuerTemplate, Discovered: doc.Issuer}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &provider.Error{Provider: p.cfg.ID, Kind: errors.Join(provider.ErrUnauthorized, err),
			Message: fmt.Sprintf("Could not discover the %s provider's configuration", p.cfg.Name)}
	}
	var meta struct {
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	_ = op.Claims(&meta)
	endpoint := op.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic, the default method
	if len(meta.AuthMethods) > 0 && !slices.Contains(meta.AuthMethods, "client_secret_basic") && slices.Contains(meta.AuthMethods, "client_secret_post") {
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	// The key set fetches with the provider's client, outside any one
	// request's context.
	keysCtx := gooidc.ClientContext(context.Background(), p.client)
	p.discovered = &discovered{
		endpoint: endpoint,
		// With an issuer template, iss is checked per token (tenantIssuer).
		verifier: op.VerifierContext(keysCtx, &gooidc.Config{ClientID: p.cfg.ClientID, Now: p.now, SkipIssuerCheck: p.cfg.IssuerTemplate != ""}),
	}
	return p.discovered, nil
}

func (p *Provider) oauthConfig(d *discovered) oauth2.Config {
	return oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: d.endpoint, Scopes: p.cfg.Scopes}
}

// Authenticate implements provider.Provider: it starts a login and
// returns the authorization URL as the result's Location. The input must
// carry a browser Binding; body.callback_url may choose one of the
// allowed callback URLs.
func (p *Provider) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	if _, err := p.flow.CheckStart(in); err != nil {
		return nil, err
	}
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	for _, k := range slices.Sorted(maps.Keys(p.cfg.AuthParams)) {
		opts = append(opts, oauth2.SetAuthURLParam(k, p.cfg.AuthParams[k]))
	}
	loc, err := p.flow.Begin(ctx, in, ids, p.oauthConfig(d), true, opts...)
	if err != nil {
		return nil, err
	}
	return &provider.Result{Location: loc}, nil
}

// claims are the id_token claims the provider reads.
type claims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // a bool, or "true" for some providers
	Name          string `json:"name"`
	GivenName     string `json:"given_name"`
	FamilyName    string `json:"family_name"`
	Picture       string `json:"picture"`
}

func (c *claims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// userMetadata is Medusa's user_metadata for an OpenID Connect login,
// with only the claims the id_token has.
func (c *claims) userMetadata(raw map[string]json.RawMessage) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"email": c.Email, "name": c.Name, "given_name": c.GivenName, "family_name": c.FamilyName, "picture": c.Picture} {
		if v != "" {
			m[k] = v
		}
	}
	if _, ok := raw["email_verified"]; ok {
		m["email_verified"] = c.verified()
	}
	return m
}

// ValidateCallback implements provider.CallbackValidator: it checks the
// callback (see [oauth2flow.Flow.Finish]), exchanges the code with the PKCE
// verifier, verifies the id_token (signature against the issuer's keys,
// iss, aud, exp, nonce), and finds or creates the identity of the
// token's subject (see [oauth2flow.Login]).
func (p *Provider) ValidateCallback(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	cb, err := p.flow.Finish(ctx, in, ids)
	if err != nil {
		return nil, err
	}
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := p.flow.Exchange(ctx, cb, p.oauthConfig(d), p.client)
	if err != nil {
		return nil, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, p.fail(provider.ErrUnauthorized, "No id_token in the token response")
	}
	idt, err := d.verifier.Verify(gooidc.ClientContext(ctx, p.client), raw)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &provider.Error{Provider: p.cfg.ID, Kind: errors.Join(provider.ErrUnauthorized, err),
			Message: fmt.Sprintf("Could not verify %s id_token: %s", p.cfg.Name, strings.TrimPrefix(err.Error(), "oidc: "))}
	}
	if cb.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(cb.Nonce)) != 1 {
		return nil, p.fail(provider.ErrUnauthorized, fmt.Sprintf("Could not verify %s id_token: nonce mismatch", p.cfg.Name))
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, p.fail(provider.ErrUnauthorized, fmt.Sprintf("Could not verify %s id_token: at_hash mismatch", p.cfg.Name))
		}
	}
	if idt.Subject == "" {
		return nil, p.fail(provider.ErrUnauthorized, "id_token is missing 'sub' claim")
	}
	var c claims
	var rawClaims map[string]json.RawMessage
	if err := idt.Claims(&c); err != nil {
		return nil, p.fail(provider.ErrUnauthorized, fmt.Sprintf("Could not verify %s id_token: malformed claims", p.cfg.Name))
	}
	_ = idt.Claims(&rawClaims)
	if err := p.checkToken(idt); err != nil {
		return nil, err
	}
	verified := c.Email != "" && c.verified()
	if p.cfg.RequireVerifiedEmail && !verified {
		return nil, p.fail(store.ErrInvalid, oauth2flow.MsgEmailNotVerified)
	}
	ni := provider.NewIdentity{
		EntityID:      idt.Subject,
		UserMetadata:  c.userMetadata(rawClaims),
		Email:         c.Email,
		EmailVerified: verified,
	}
	if p.cfg.StoreTokens {
		ni.ProviderMetadata = tokenMetadata(tok)
	}
	return oauth2flow.Login(ctx, p.cfg.ID, ids, ni)
}

func (p *Provider) fail(kind error, msg string) error { return provider.Fail(p.cfg.ID, kind, msg) }

// checkToken runs the checks of a verified id_token that depend on the
// configuration: the tenant's issuer (IssuerTemplate), then CheckIDToken.
func (p *Provider) checkToken(idt *gooidc.IDToken) error {
	if p.cfg.IssuerTemplate == "" && p.cfg.CheckIDToken == nil {
		return nil
	}
	t := IDToken{Issuer: idt.Issuer, Subject: idt.Subject, Audience: idt.Audience}
	if err := idt.Claims(&t.Claims); err != nil {
		return p.fail(provider.ErrUnauthorized, fmt.Sprintf("Could not verify %s id_token: malformed claims", p.cfg.Name))
	}
	if p.cfg.IssuerTemplate != "" {
		tid := t.StringClaim("tid")
		if !validTenant(tid) || t.Issuer != strings.Replace(p.cfg.IssuerTemplate, TenantPlaceholder, tid, 1) {
			return p.fail(provider.ErrUnauthorized, fmt.Sprintf("Could not verify %s id_token: the issuer is not the token's tenant's", p.cfg.Name))
		}
	}
	if p.cfg.CheckIDToken == nil {
		return nil
	}
	err := p.cfg.CheckIDToken(t)
	if err == nil {
		return nil
	}
	if pe, ok := errors.AsType[*provider.Error](err); ok {
		return pe
	}
	return &provider.Error{Provider: p.cfg.ID, Kind: errors.Join(provider.ErrUnauthorized, err),
		Message: fmt.Sprintf("Could not verify %s id_token: %s", p.cfg.Name, err.Error())}
}

// validTenant reports whether tid can be a tenant id in an issuer URL:
// not empty, at most 64 letters, digits, '-' or '.', and not a path
// segment of its own.
func validTenant(tid string) bool {
	if tid == "" || len(tid) > 64 || tid == "." || tid == ".." {
		return false
	}
	for i := 0; i < len(tid); i++ {
		c := tid[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// checkIssuer reports whether raw is an absolute http(s) URL without a
// fragment.
func checkIssuer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return errors.New("not an absolute http(s) URL")
	}
	if u.Fragment != "" {
		return errors.New("an issuer URL has no fragment")
	}
	return nil
}

// tokenMetadata is the provider_metadata a provider stores when the host
// asks it to keep the identity provider's tokens (Medusa's names).
func tokenMetadata(tok *oauth2.Token) map[string]any {
	m := map[string]any{"access_token": tok.AccessToken}
	if tok.RefreshToken != "" {
		m["refresh_token"] = tok.RefreshToken
	}
	if tok.TokenType != "" {
		m["token_type"] = tok.TokenType
	}
	if !tok.Expiry.IsZero() {
		m["access_token_expires_at"] = tok.Expiry.UTC().Format(time.RFC3339)
	}
	return m
}
