package oidctest_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/clientele/clientele/provider/oidctest"
)

const redirect = "https://app.example/callback"

func oauthConfig(s *oidctest.Server, github bool) oauth2.Config {
	ep := oauth2.Endpoint{AuthURL: s.URL + "/authorize", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}
	if github {
		ep = oauth2.Endpoint{AuthURL: s.URL + "/login/oauth/authorize", TokenURL: s.URL + "/login/oauth/access_token", AuthStyle: oauth2.AuthStyleInParams}
	}
	return oauth2.Config{ClientID: s.ClientID(), ClientSecret: s.ClientSecret(), Endpoint: ep, RedirectURL: redirect, Scopes: []string{"openid", "email"}}
}

func clientCtx(s *oidctest.Server) context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())
}

// code runs the authorization step with a fresh PKCE verifier.
func code(t *testing.T, s *oidctest.Server, conf oauth2.Config, opts ...oauth2.AuthCodeOption) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	q, err := s.Login(context.Background(), conf.AuthCodeURL("state-1", append(opts, oauth2.S256ChallengeOption(verifier))...))
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("state") != "state-1" || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	return q.Get("code"), verifier
}

// publicKey reads the server's JWKS.
func publicKey(t *testing.T, s *oidctest.Server) (string, *rsa.PublicKey) {
	t.Helper()
	resp, err := s.Client().Get(s.URL + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, N, E string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v %+v", err, set)
	}
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	e, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	return set.Keys[0].Kid, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

func TestDiscovery(t *testing.T) {
	s := oidctest.NewServer(t)
	resp, err := s.Client().Get(s.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != s.Issuer() || doc["token_endpoint"] != s.URL+"/token" || doc["jwks_uri"] != s.URL+"/jwks" {
		t.Errorf("discovery %v", doc)
	}
}

func TestIDToken(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := oidctest.NewServer(t, oidctest.WithClock(func() time.Time { return now }))
	kid, pub := publicKey(t, s)
	conf := oauthConfig(s, false)
	c, v := code(t, s, conf, oauth2.SetAuthURLParam("nonce", "n-1"))
	tok, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	u := oidctest.DefaultUser()
	if parsed.Header["kid"] != kid || claims["iss"] != s.Issuer() || claims["aud"] != s.ClientID() || claims["sub"] != u.Subject ||
		claims["nonce"] != "n-1" || claims["email"] != u.Email || claims["email_verified"] != true || claims["name"] != u.Name ||
		claims["exp"] != float64(now.Add(time.Hour).Unix()) || claims["iat"] != float64(now.Unix()) {
		t.Errorf("id_token %v %v", parsed.Header, claims)
	}
	if tok.Expiry.IsZero() || tok.RefreshToken == "" {
		t.Errorf("token %+v", tok)
	}
}

// TestMisbehavior: each switch changes the id_token as documented.
func TestMisbehavior(t *testing.T) {
	cases := []struct {
		name  string
		mis   oidctest.Misbehavior
		check func(header map[string]any, claims jwt.MapClaims, sigOK bool) bool
	}{
		{"bad signature", oidctest.Misbehavior{BadSignature: true}, func(h map[string]any, _ jwt.MapClaims, ok bool) bool { return !ok && h["alg"] == "RS256" }},
		{"alg none", oidctest.Misbehavior{AlgNone: true}, func(h map[string]any, _ jwt.MapClaims, ok bool) bool { return !ok && h["alg"] == "none" }},
		{"HS256", oidctest.Misbehavior{HS256: true}, func(h map[string]any, _ jwt.MapClaims, ok bool) bool { return !ok && h["alg"] == "HS256" }},
		{"wrong audience", oidctest.Misbehavior{WrongAudience: true}, func(_ map[string]any, c jwt.MapClaims, ok bool) bool { return ok && c["aud"] == "another-client" }},
		{"wrong issuer", oidctest.Misbehavior{WrongIssuer: true}, func(_ map[string]any, c jwt.MapClaims, ok bool) bool {
			return ok && strings.HasSuffix(c["iss"].(string), "/another-issuer")
		}},
		{"expired", oidctest.Misbehavior{Expired: true}, func(_ map[string]any, c jwt.MapClaims, ok bool) bool {
			return ok && c["exp"].(float64) < float64(time.Now().Unix())
		}},
		{"wrong nonce", oidctest.Misbehavior{WrongNonce: true}, func(_ map[string]any, c jwt.MapClaims, ok bool) bool { return ok && c["nonce"] != "n-1" }},
		{"unverified email", oidctest.Misbehavior{UnverifiedEmail: true}, func(_ map[string]any, c jwt.MapClaims, ok bool) bool { return ok && c["email_verified"] == false }},
		{"no sub", oidctest.Misbehavior{NoSubject: true}, func(_ map[string]any, c jwt.MapClaims, ok bool) bool { _, has := c["sub"]; return ok && !has }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := oidctest.NewServer(t)
			_, pub := publicKey(t, s)
			conf := oauthConfig(s, false)
			c, v := code(t, s, conf, oauth2.SetAuthURLParam("nonce", "n-1"))
			s.Misbehave(tc.mis)
			tok, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := tok.Extra("id_token").(string)
			claims := jwt.MapClaims{}
			parsed, _, err := jwt.NewParser().ParseUnverified(raw, claims)
			if err != nil {
				t.Fatal(err)
			}
			_, verr := jwt.Parse(raw, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
			if !tc.check(parsed.Header, claims, verr == nil) {
				t.Errorf("header %v claims %v signature error %v", parsed.Header, claims, verr)
			}
		})
	}
}

// TestTokenEndpoint: the checks a real provider makes, each failing with
// an OAuth error.
func TestTokenEndpoint(t *testing.T) {
	cases := []struct {
		name     string
		github   bool
		mis      oidctest.Misbehavior
		exchange func(t *testing.T, s *oidctest.Server, conf oauth2.Config, code, verifier string) error
		want     string // the error code; "" for success
	}{
		{name: "ok", want: ""},
		{name: "code used twice", exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, v string) error {
			if _, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v)); err != nil {
				t.Fatal(err)
			}
			_, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
			return err
		}, want: "invalid_grant"},
		{name: "replayed code accepted", mis: oidctest.Misbehavior{AcceptReplayedCode: true}, exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, v string) error {
			if _, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v)); err != nil {
				t.Fatal(err)
			}
			_, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
			return err
		}, want: ""},
		{name: "wrong verifier", exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, _ string) error {
			_, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(oauth2.GenerateVerifier()))
			return err
		}, want: "invalid_grant"},
		{name: "no verifier", exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, _ string) error {
			_, err := conf.Exchange(clientCtx(s), c)
			return err
		}, want: "invalid_grant"},
		{name: "PKCE not checked", mis: oidctest.Misbehavior{SkipPKCECheck: true}, exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, _ string) error {
			_, err := conf.Exchange(clientCtx(s), c)
			return err
		}, want: ""},
		{name: "wrong secret", exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, v string) error {
			conf.ClientSecret = "guess"
			_, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
			return err
		}, want: "invalid_client"},
		{name: "other redirect_uri", exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, v string) error {
			conf.RedirectURL = "https://attacker.example/cb"
			_, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
			return err
		}, want: "redirect_uri_mismatch"},
		{name: "secret in the URL", exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, v string) error {
			conf.Endpoint.TokenURL += "?client_secret=" + s.ClientSecret()
			_, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
			return err
		}, want: "invalid_request"},
		{name: "token status 503", mis: oidctest.Misbehavior{TokenStatus: 503}, want: "503"},
		{name: "malformed", mis: oidctest.Misbehavior{TokenMalformed: true}, want: "cannot parse json"},
		{name: "github ok", github: true, want: ""},
		{name: "github wrong verifier", github: true, exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, _ string) error {
			_, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(oauth2.GenerateVerifier()))
			return err
		}, want: "bad_verification_code"},
		{name: "github error with 200", github: true, mis: oidctest.Misbehavior{GitHubErrorWith200: true}, want: "bad_verification_code"},
		{name: "github code at the OIDC endpoint", github: true, exchange: func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, v string) error {
			conf.Endpoint.TokenURL = s.URL + "/token"
			_, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
			return err
		}, want: "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := oidctest.NewServer(t)
			conf := oauthConfig(s, tc.github)
			c, v := code(t, s, conf)
			s.Misbehave(tc.mis)
			exchange := tc.exchange
			if exchange == nil {
				exchange = func(t *testing.T, s *oidctest.Server, conf oauth2.Config, c, v string) error {
					tok, err := conf.Exchange(clientCtx(s), c, oauth2.VerifierOption(v))
					if err == nil && tc.github && !tok.Expiry.IsZero() {
						t.Error("GitHub tokens have no expiry")
					}
					return err
				}
			}
			err := exchange(t, s, conf, c, v)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("exchange: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("exchange error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestAuthorizationEndpoint(t *testing.T) {
	s := oidctest.NewServer(t, oidctest.WithRedirectURIs(redirect))
	conf := oauthConfig(s, false)
	ctx := context.Background()
	// PKCE is required.
	q, err := s.Login(ctx, conf.AuthCodeURL("st"))
	if err != nil || q.Get("error") != "invalid_request" || q.Get("state") != "st" {
		t.Errorf("no PKCE: %v %v", q, err)
	}
	// Unregistered redirect URIs and clients are refused without a
	// redirect.
	other := conf
	other.RedirectURL = "https://attacker.example/cb"
	if _, err := s.Login(ctx, other.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); err == nil {
		t.Error("unregistered redirect_uri accepted")
	}
	other = conf
	other.ClientID = "someone"
	if _, err := s.Login(ctx, other.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); err == nil {
		t.Error("unknown client accepted")
	}
	// Denied.
	s.Misbehave(oidctest.Misbehavior{DenyAuthorization: true})
	q, err = s.Login(ctx, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil || q.Get("error") != "access_denied" || q.Has("code") {
		t.Errorf("denied: %v %v", q, err)
	}
	// Only this server's URLs.
	if _, err := s.Login(ctx, "https://accounts.google.com/o/oauth2/v2/auth?x=1"); err == nil {
		t.Error("Login followed another server's URL")
	}
}

func TestUsers(t *testing.T) {
	s := oidctest.NewServer(t)
	grace := oidctest.User{Subject: "g-1", Email: "grace@example.com", EmailVerified: true, GitHubID: 7, Login: "grace"}
	s.AddUser(grace)
	conf := oauthConfig(s, true)
	v := oauth2.GenerateVerifier()
	q, err := s.LoginAs(context.Background(), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v)), "grace")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := conf.Exchange(clientCtx(s), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, v any) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(v)
		return resp.StatusCode
	}
	var user map[string]any
	if st := get("/user", &user); st != 200 || user["id"] != float64(7) || user["login"] != "grace" {
		t.Errorf("/user %d %v", st, user)
	}
	var emails []oidctest.GitHubEmail
	if st := get("/user/emails", &emails); st != 200 || len(emails) != 1 || emails[0] != (oidctest.GitHubEmail{Email: "grace@example.com", Primary: true, Verified: true, Visibility: "public"}) {
		t.Errorf("/user/emails %d %v", st, emails)
	}
	s.Misbehave(oidctest.Misbehavior{APIStatus: 502})
	if st := get("/user", &user); st != 502 {
		t.Errorf("API status %d", st)
	}
	if _, err := s.LoginAs(context.Background(), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v)), "nobody"); err == nil {
		t.Error("unknown user logged in")
	}
}

func TestStart(t *testing.T) {
	s, err := oidctest.Start(oidctest.WithClient("id", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if s.ClientID() != "id" || s.ClientSecret() != "secret" || !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("%s %s %s", s.ClientID(), s.ClientSecret(), s.URL)
	}
	s.Close()
	if _, err := s.Client().Get(s.URL + "/jwks"); err == nil {
		t.Error("server still up after Close")
	}
	if _, err := oidctest.Start(oidctest.WithClient("", "")); err == nil {
		t.Error("no client accepted")
	}
	var ue *url.Error
	_, err = s.Login(context.Background(), s.URL+"/authorize")
	if !errors.As(err, &ue) {
		t.Errorf("login on a closed server: %v", err)
	}
}
