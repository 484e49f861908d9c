package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Default client credentials of a Server.
const (
	DefaultClientID     = "clientele-test"
	DefaultClientSecret = "clientele-test-secret"
)

// codeTTL is how long an authorization code can be redeemed.
const codeTTL = time.Minute

// User is a person the fake identity provider logs in.
type User struct {
	// Subject is the id_token's sub.
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	Picture       string
	// Issuer, when set, is the iss of this user's id_tokens instead of
	// the server's issuer: the issuer of the user's tenant, for
	// multi-tenant providers (see WithDiscoveredIssuer).
	Issuer string
	// Claims are further claims of this user's id_tokens, such as
	// Google's hd or Microsoft Entra ID's tid, oid and
	// preferred_username. They cannot replace the claims the server sets
	// itself (iss, sub, aud, exp, iat, nonce, at_hash), which are
	// skipped.
	Claims map[string]any

	// GitHubID is the numeric id of the GitHub API's /user.
	GitHubID int64
	// Login is the GitHub login (also matched by login hints).
	Login     string
	Company   string
	TwoFactor bool
	// GitHubEmails, when set, is what /user/emails answers; by default it
	// is Email as the primary address, verified when EmailVerified.
	GitHubEmails []GitHubEmail
}

// GitHubEmail is an entry of GitHub's /user/emails.
type GitHubEmail struct {
	Email      string `json:"email"`
	Primary    bool   `json:"primary"`
	Verified   bool   `json:"verified"`
	Visibility string `json:"visibility,omitempty"`
}

// DefaultUser is the user a Server logs in unless told otherwise.
func DefaultUser() User {
	return User{
		Subject: "248289761001", Email: "ada@example.com", EmailVerified: true,
		Name: "Ada Lovelace", GivenName: "Ada", FamilyName: "Lovelace", Picture: "https://example.com/ada.png",
		GitHubID: 583231, Login: "ada", Company: "Analytical Engines", TwoFactor: true,
	}
}

// Misbehavior makes the identity provider misbehave, to prove a client's
// defences. The zero value is a well-behaved provider.
type Misbehavior struct {
	// BadSignature signs id_tokens with another RSA key (under the key id
	// the JWKS publishes).
	BadSignature bool
	// AlgNone issues unsigned id_tokens ("alg": "none").
	AlgNone bool
	// HS256 signs id_tokens with HMAC-SHA256 keyed by the client secret
	// (an algorithm-confusion attack).
	HS256 bool
	// WrongAudience, WrongIssuer, Expired and WrongNonce issue id_tokens
	// for another client, from another issuer, expired an hour ago, or
	// with another nonce than the authorization request's.
	WrongAudience bool
	WrongIssuer   bool
	Expired       bool
	WrongNonce    bool
	// NoIDToken leaves the id_token out of token responses.
	NoIDToken bool
	// NoSubject issues id_tokens without sub.
	NoSubject bool
	// UnverifiedEmail reports every email as not verified (id_token and
	// GitHub's /user/emails).
	UnverifiedEmail bool
	// AcceptReplayedCode lets an authorization code be redeemed again.
	AcceptReplayedCode bool
	// SkipPKCECheck redeems codes without checking the code_verifier.
	SkipPKCECheck bool
	// TokenStatus, when not 0, is the status every token request gets,
	// with an OAuth error body for 4xx and a text body otherwise.
	TokenStatus int
	// TokenMalformed answers token requests with HTTP 200 and broken JSON.
	TokenMalformed bool
	// GitHubErrorWith200 answers GitHub token requests as GitHub does a
	// bad code: HTTP 200 with {"error": "bad_verification_code"}.
	GitHubErrorWith200 bool
	// APIStatus, when not 0, is the status of GitHub's /user and
	// /user/emails; APIMalformed makes them answer broken JSON.
	APIStatus    int
	APIMalformed bool
	// DiscoveryStatus, when not 0, is the status of the discovery
	// document.
	DiscoveryStatus int
	// DenyAuthorization makes the authorization endpoint send the browser
	// back with error=access_denied, as when the person says no.
	DenyAuthorization bool
}

// Request is a request the server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Form   url.Values // the POST body
	Header http.Header
}

// Option configures a Server.
type Option func(*Server)

// WithClient sets the registered client's credentials (default
// DefaultClientID and DefaultClientSecret).
func WithClient(id, secret string) Option {
	return func(s *Server) { s.clientID, s.clientSecret = id, secret }
}

// WithUser sets the user logged in by default (default DefaultUser()).
func WithUser(u User) Option { return func(s *Server) { s.user = u } }

// WithClock sets the clock of issued tokens and codes.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRedirectURIs registers the client's redirect URIs: the
// authorization endpoint then refuses others, as real providers do. By
// default any absolute http(s) URL is accepted.
func WithRedirectURIs(uris ...string) Option {
	return func(s *Server) { s.redirectURIs = slices.Clone(uris) }
}

// WithDiscoveredIssuer sets the issuer that the discovery document names
// (default the server's URL), to play a multi-tenant provider whose
// document names an issuer template: Microsoft Entra ID's "common"
// endpoint names "https://login.microsoftonline.com/{tenantid}/v2.0". An
// iss that starts with '/' is a path under the server's URL, which is
// not known before the server starts: WithDiscoveredIssuer("/{tenantid}/v2.0").
// Set each user's Issuer and tid claim to match.
func WithDiscoveredIssuer(iss string) Option { return func(s *Server) { s.discoveredIssuer = iss } }

// Server is a fake identity provider on an httptest server: an OpenID
// Connect provider (discovery, JWKS, authorization and token endpoints)
// and a GitHub look-alike (OAuth endpoints and the user API). It is safe
// for concurrent use.
type Server struct {
	// URL is the server's base URL: the OpenID Connect issuer, and the
	// GitHub web and API base URL.
	URL string

	srv          *httptest.Server
	clientID     string
	clientSecret string
	now          func() time.Time
	redirectURIs []string
	// discoveredIssuer is the discovery document's issuer ("" for URL).
	discoveredIssuer string
	key, other       *rsa.PrivateKey
	kid              string

	mu       sync.Mutex
	user     User
	users    []User
	mis      Misbehavior
	grants   map[string]*grant // by code
	tokens   map[string]User   // by access token
	requests []Request
}

// grant is an authorization code's record.
type grant struct {
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	scope       string
	github      bool
	user        User
	expires     time.Time
}

// keys are the kit's RSA keys: made once per process, as a 2048-bit key
// takes a tenth of a second under the race detector.
var keys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	k1, err1 := rsa.GenerateKey(rand.Reader, 2048)
	k2, err2 := rsa.GenerateKey(rand.Reader, 2048)
	if err := errors.Join(err1, err2); err != nil {
		panic("oidctest: generate RSA keys: " + err.Error())
	}
	return k1, k2
})

// Start starts a Server; Close stops it.
func Start(opts ...Option) (*Server, error) {
	s := &Server{
		clientID: DefaultClientID, clientSecret: DefaultClientSecret, now: time.Now, user: DefaultUser(),
		grants: map[string]*grant{}, tokens: map[string]User{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.clientID == "" || s.clientSecret == "" {
		return nil, errors.New("oidctest: a client id and secret are required")
	}
	s.key, s.other = keys()
	sum := sha256.Sum256(s.key.N.Bytes())
	s.kid = hex.EncodeToString(sum[:8])

	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /jwks", s.jwks)
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, false) })
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, true) })
	mux.HandleFunc("POST /login/oauth/access_token", s.githubToken)
	mux.HandleFunc("GET /user", s.githubUser)
	mux.HandleFunc("GET /user/emails", s.githubEmails)
	s.srv = httptest.NewServer(s.record(mux))
	s.URL = s.srv.URL
	return s, nil
}

// NewServer starts a Server that stops when t ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Issuer returns the OpenID Connect issuer URL (s.URL).
func (s *Server) Issuer() string { return s.URL }

// ClientID returns the registered client's id.
func (s *Server) ClientID() string { return s.clientID }

// ClientSecret returns the registered client's secret.
func (s *Server) ClientSecret() string { return s.clientSecret }

// Client returns an HTTP client for the server (give it to the provider
// under test).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetUser sets the user logged in when an authorization request names
// none.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	s.user = u
	s.mu.Unlock()
}

// AddUser adds a user that authorization requests may name with
// login_hint (or GitHub's login), by Subject, Email or Login.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	s.users = append(s.users, u)
	s.mu.Unlock()
}

// Misbehave sets how the server misbehaves from now on; the zero
// Misbehavior restores good behaviour.
func (s *Server) Misbehave(m Misbehavior) {
	s.mu.Lock()
	s.mis = m
	s.mu.Unlock()
}

// Requests returns the requests the server received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Authorize performs the authorization step of a login, as a browser
// would: it follows authURL (an authorization URL a provider returned,
// which must point at this server) and returns where the server sends
// the browser back: the callback URL with code and state, or with error.
func (s *Server) Authorize(ctx context.Context, authURL string) (*url.URL, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("oidctest: authorization URL: %w", err)
	}
	if base, _ := url.Parse(s.URL); u.Host != base.Host {
		return nil, fmt.Errorf("oidctest: %s is not an authorization URL of this server (%s)", authURL, s.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	client := *s.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("oidctest: authorization failed: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return resp.Location()
}

// Login performs the authorization step (see [Server.Authorize]) and
// returns the callback's query: code and state, or error and
// error_description. Pass it as provider.Input.Query to the callback.
func (s *Server) Login(ctx context.Context, authURL string) (url.Values, error) {
	loc, err := s.Authorize(ctx, authURL)
	if err != nil {
		return nil, err
	}
	return loc.Query(), nil
}

// LoginAs is Login as the user added with AddUser whose Subject, Email or
// Login is who.
func (s *Server) LoginAs(ctx context.Context, authURL, who string) (url.Values, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("oidctest: authorization URL: %w", err)
	}
	q := u.Query()
	q.Set("login_hint", who)
	u.RawQuery = q.Encode()
	return s.Login(ctx, u.String())
}

// ---- handlers ----

func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()}
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			rec.Form, _ = url.ParseQuery(string(body))
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) misbehavior() Misbehavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mis
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	if st := s.misbehavior().DiscoveryStatus; st != 0 {
		http.Error(w, "discovery misbehaving as asked", st)
		return
	}
	issuer := s.URL
	if d := s.discoveredIssuer; strings.HasPrefix(d, "/") {
		issuer = s.URL + d
	} else if d != "" {
		issuer = d
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                s.URL + "/authorize",
		"token_endpoint":                        s.URL + "/token",
		"jwks_uri":                              s.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name", "given_name", "family_name", "picture"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	pub := s.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorize is the authorization endpoint: it approves at once and sends
// the browser back to the redirect URI.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, github bool) {
	q := r.URL.Query()
	if q.Get("client_id") != s.clientID {
		http.Error(w, "oidctest: unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	back, err := url.Parse(redirectURI)
	if err != nil || back.Scheme != "http" && back.Scheme != "https" || back.Host == "" {
		http.Error(w, "oidctest: redirect_uri must be an absolute http(s) URL", http.StatusBadRequest)
		return
	}
	if len(s.redirectURIs) > 0 && !slices.Contains(s.redirectURIs, redirectURI) {
		http.Error(w, "oidctest: redirect_uri is not registered", http.StatusBadRequest)
		return
	}
	redirect := func(params url.Values) {
		bq := back.Query()
		for k, v := range params {
			bq[k] = v
		}
		if st := q.Get("state"); st != "" {
			bq.Set("state", st)
		}
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	denied := func(code, desc string) { redirect(url.Values{"error": {code}, "error_description": {desc}}) }
	switch {
	case !github && q.Get("response_type") != "code":
		denied("unsupported_response_type", "response_type must be code")
		return
	case !github && !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		denied("invalid_scope", "scope must include openid")
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		denied("invalid_request", "PKCE with code_challenge_method S256 is required")
		return
	}
	mis := s.misbehavior()
	if mis.DenyAuthorization {
		denied("access_denied", "The user denied access")
		return
	}
	hint := q.Get("login_hint")
	if hint == "" {
		hint = q.Get("login")
	}
	user, ok := s.pick(hint)
	if !ok {
		http.Error(w, "oidctest: no such user", http.StatusBadRequest)
		return
	}
	code := randomToken(32)
	s.mu.Lock()
	s.grants[code] = &grant{
		clientID: s.clientID, redirectURI: redirectURI, challenge: q.Get("code_challenge"), nonce: q.Get("nonce"),
		scope: q.Get("scope"), github: github, user: user, expires: s.now().Add(codeTTL),
	}
	s.mu.Unlock()
	redirect(url.Values{"code": {code}})
}

func (s *Server) pick(hint string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hint == "" {
		return s.user, true
	}
	for _, u := range append([]User{s.user}, s.users...) {
		if hint == u.Subject || hint == u.Login || u.Email != "" && strings.EqualFold(hint, u.Email) {
			return u, true
		}
	}
	return User{}, false
}

// redeem checks a token request and takes its code. It returns an OAuth
// error code and description on failure.
func (s *Server) redeem(r *http.Request, github bool) (*grant, string, string) {
	if r.URL.RawQuery != "" {
		return nil, "invalid_request", "token request parameters belong in the body, not the URL"
	}
	if err := r.ParseForm(); err != nil {
		return nil, "invalid_request", "malformed body"
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if r.PostForm.Has("client_secret") {
			return nil, "invalid_request", "client authentication in the header and the body"
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) != 1 {
		if github {
			return nil, "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect."
		}
		return nil, "invalid_client", "client authentication failed"
	}
	if !github && r.PostForm.Get("grant_type") != "authorization_code" {
		return nil, "unsupported_grant_type", "grant_type must be authorization_code"
	}
	mis := s.misbehavior()
	code := r.PostForm.Get("code")
	s.mu.Lock()
	g, ok := s.grants[code]
	if ok && !mis.AcceptReplayedCode {
		delete(s.grants, code)
	}
	s.mu.Unlock()
	badCode := "invalid_grant"
	if github {
		badCode = "bad_verification_code"
	}
	switch {
	case !ok || g.github != github || !s.now().Before(g.expires):
		return nil, badCode, "The code passed is incorrect or expired."
	case g.clientID != id:
		return nil, badCode, "The code was issued to another client."
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		return nil, "redirect_uri_mismatch", "The redirect_uri does not match the authorization request's."
	}
	if !mis.SkipPKCECheck {
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
			return nil, badCode, "PKCE verification failed: the code_verifier does not match the code_challenge."
		}
	}
	return g, "", ""
}

// misbehaveToken answers a token request as Misbehavior says, and
// reports whether it did.
func misbehaveToken(w http.ResponseWriter, mis Misbehavior) bool {
	switch {
	case mis.TokenStatus >= 400 && mis.TokenStatus < 500:
		oauthError(w, mis.TokenStatus, "invalid_request", "token endpoint misbehaving as asked")
	case mis.TokenStatus != 0:
		http.Error(w, "token endpoint misbehaving as asked", mis.TokenStatus)
	case mis.TokenMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token": "at-`)
	default:
		return false
	}
	return true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	mis := s.misbehavior()
	if misbehaveToken(w, mis) {
		return
	}
	g, code, desc := s.redeem(r, false)
	if g == nil {
		status := http.StatusBadRequest
		if code == "invalid_client" {
			status = http.StatusUnauthorized
		}
		oauthError(w, status, code, desc)
		return
	}
	access := s.issueAccessToken(g.user)
	resp := map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 3600,
		"refresh_token": "rt-" + randomToken(16), "scope": g.scope,
	}
	if !mis.NoIDToken {
		idToken, err := s.idToken(g, access, mis)
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		resp["id_token"] = idToken
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) issueAccessToken(u User) string {
	access := "at-" + randomToken(24)
	s.mu.Lock()
	s.tokens[access] = u
	s.mu.Unlock()
	return access
}

func (s *Server) idToken(g *grant, access string, mis Misbehavior) (string, error) {
	now := s.now()
	u := g.user
	claims := jwt.MapClaims{
		"iss": s.URL, "sub": u.Subject, "aud": s.clientID,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email_verified": u.EmailVerified && !mis.UnverifiedEmail,
	}
	sum := sha256.Sum256([]byte(access))
	claims["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:16])
	for k, v := range map[string]string{"email": u.Email, "name": u.Name, "given_name": u.GivenName, "family_name": u.FamilyName, "picture": u.Picture, "nonce": g.nonce} {
		if v != "" {
			claims[k] = v
		}
	}
	if u.Email == "" {
		delete(claims, "email_verified")
	}
	if u.Issuer != "" {
		claims["iss"] = u.Issuer
	}
	for k, v := range u.Claims {
		if !slices.Contains([]string{"iss", "sub", "aud", "exp", "iat", "nonce", "at_hash"}, k) {
			claims[k] = v
		}
	}
	if mis.WrongAudience {
		claims["aud"] = "another-client"
	}
	if mis.WrongIssuer {
		claims["iss"] = s.URL + "/another-issuer"
	}
	if mis.Expired {
		claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	}
	if mis.WrongNonce {
		claims["nonce"] = "not-the-nonce-of-this-login"
	}
	if mis.NoSubject {
		delete(claims, "sub")
	}
	switch {
	case mis.AlgNone:
		return jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	case mis.HS256:
		t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		t.Header["kid"] = s.kid
		return t.SignedString([]byte(s.clientSecret))
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	key := s.key
	if mis.BadSignature {
		key = s.other
	}
	return t.SignedString(key)
}

// githubToken is GitHub's /login/oauth/access_token: errors come with
// HTTP 200, and tokens have no expiry.
func (s *Server) githubToken(w http.ResponseWriter, r *http.Request) {
	mis := s.misbehavior()
	if misbehaveToken(w, mis) {
		return
	}
	answer := func(v map[string]string) {
		if strings.Contains(r.Header.Get("Accept"), "json") {
			writeJSON(w, http.StatusOK, v)
			return
		}
		form := url.Values{}
		for k, val := range v {
			form.Set(k, val)
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		_, _ = io.WriteString(w, form.Encode())
	}
	ghError := func(code, desc string) {
		answer(map[string]string{"error": code, "error_description": desc,
			"error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"})
	}
	if mis.GitHubErrorWith200 {
		ghError("bad_verification_code", "The code passed is incorrect or expired.")
		return
	}
	g, code, desc := s.redeem(r, true)
	if g == nil {
		ghError(code, desc)
		return
	}
	answer(map[string]string{"access_token": "gho_" + strings.TrimPrefix(s.issueAccessToken(g.user), "at-"), "token_type": "bearer", "scope": strings.ReplaceAll(g.scope, " ", ",")})
}

// apiUser authenticates a GitHub API request, or answers it.
func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) (User, Misbehavior, bool) {
	mis := s.misbehavior()
	switch {
	case mis.APIStatus != 0:
		writeJSON(w, mis.APIStatus, map[string]string{"message": "API misbehaving as asked"})
		return User{}, mis, false
	case mis.APIMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"login": "ada", "id": `)
		return User{}, mis, false
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		tok, _ = strings.CutPrefix(auth, "token ")
	}
	s.mu.Lock()
	u, ok := s.tokens["at-"+strings.TrimPrefix(tok, "gho_")]
	s.mu.Unlock()
	if !ok || !strings.HasPrefix(tok, "gho_") {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return User{}, mis, false
	}
	return u, mis, true
}

func (s *Server) githubUser(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.apiUser(w, r)
	if !ok {
		return
	}
	null := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"login": u.Login, "id": u.GitHubID, "node_id": "U_" + strconv.FormatInt(u.GitHubID, 36),
		"avatar_url": null(u.Picture), "url": s.URL + "/users/" + u.Login, "html_url": "https://github.com/" + u.Login,
		"type": "User", "name": null(u.Name), "company": null(u.Company), "email": null(u.Email),
		"two_factor_authentication": u.TwoFactor,
	})
}

func (s *Server) githubEmails(w http.ResponseWriter, r *http.Request) {
	u, mis, ok := s.apiUser(w, r)
	if !ok {
		return
	}
	emails := slices.Clone(u.GitHubEmails)
	if emails == nil {
		emails = []GitHubEmail{}
		if u.Email != "" {
			emails = append(emails, GitHubEmail{Email: u.Email, Primary: true, Verified: u.EmailVerified, Visibility: "public"})
		}
	}
	if mis.UnverifiedEmail {
		for i := range emails {
			emails[i].Verified = false
		}
	}
	writeJSON(w, http.StatusOK, emails)
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Clock is a settable clock for tests of expiry (states, tokens): Now is
// the real time moved by every Advance so far. Pass its Now to the auth
// service (auth.WithClock, auth.TokenConfig.Now) and to providers. The
// zero value is ready; it is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}
