package oauth2flow

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// Messages of the redirect flow. All but MsgNoBinding, MsgForeignBrowser
// and MsgCallbackNotAllowed are Medusa's.
const (
	MsgNoCode             = "No code provided"
	MsgNoState            = "No state provided, or session expired"
	MsgNoBinding          = "A login must be bound to the browser that starts it: the browser binding is missing"
	MsgForeignBrowser     = "This login was started in another browser"
	MsgCallbackNotAllowed = "callback_url is not one of the allowed callback URLs"
	MsgEmailNotVerified   = "Email not verified, cannot proceed with authentication"
)

// DefaultStateTTL is how long a started login waits for its callback.
const DefaultStateTTL = 10 * time.Minute

// stateBytes is the entropy of a state: 256 bits, sent as 64 hex digits.
const stateBytes = 32

// maxCodeLen bounds the authorization code a callback may carry.
const maxCodeLen = 4096

// Flow is the browser leg of an OAuth 2.0 authorization-code login, with
// the protections every provider of this module shares. The oidc, google
// and github providers use it, and so may a host's own OAuth provider.
// The zero value is not usable: set ProviderID and CallbackURL.
//
// [Flow.Begin] makes a state of 256 random bits, a PKCE verifier (the
// authorization URL carries its S256 challenge), a nonce for OpenID
// Connect, and stores them, with the callback URL used and a hash of the
// caller's browser binding, through [provider.Identities.SetState] for
// StateTTL. The auth service keys stored states by a hash of the state;
// the value itself is sealed (AES-GCM) with a key derived from the state,
// so the store holds neither a usable state nor a readable verifier.
//
// [Flow.Finish] takes that state back (once: a state cannot be replayed),
// checks that the callback comes from the browser that began the login,
// and returns what the token exchange needs.
//
// A Flow's fields must not change once it is in use; it is then safe for
// concurrent use.
type Flow struct {
	// ProviderID names the provider in errors.
	ProviderID string
	// CallbackURL is the redirect URI used when a request names none.
	CallbackURL string
	// AllowedCallbackURLs are further redirect URIs a request may choose
	// with body.callback_url. Any other value is refused: the callback
	// URL is configuration, never an open redirect.
	AllowedCallbackURLs []string
	// StateTTL is how long a login may take (default DefaultStateTTL).
	StateTTL time.Duration
}

// Check reports whether the flow's callback URLs are absolute http(s)
// URLs.
func (f *Flow) Check() error {
	for _, u := range append([]string{f.CallbackURL}, f.AllowedCallbackURLs...) {
		if err := checkURL(u); err != nil {
			return fmt.Errorf("%s: callback URL %q: %w", f.ProviderID, u, err)
		}
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return errors.New("not an absolute http(s) URL")
	}
	if u.Fragment != "" {
		return errors.New("a redirect URI has no fragment")
	}
	return nil
}

func (f *Flow) fail(kind error, msg string) error { return provider.Fail(f.ProviderID, kind, msg) }

// sealed is what a state stands for, sealed in the state store.
type sealed struct {
	Verifier    string `json:"v"`
	Nonce       string `json:"n,omitempty"`
	CallbackURL string `json:"c"`
	Binding     []byte `json:"b"`
}

// CheckStart checks what a login request must carry before anything is
// stored or fetched: a browser binding and an allowed callback URL. It
// returns the callback URL the login will use. [Flow.Begin] calls it;
// providers that must fetch something first (discovery) call it before,
// to refuse bad requests cheaply.
func (f *Flow) CheckStart(in provider.Input) (callbackURL string, err error) {
	if err := idpError(f.ProviderID, in); err != nil {
		return "", err
	}
	if in.Binding == "" {
		return "", f.fail(store.ErrInvalid, MsgNoBinding)
	}
	callbackURL = f.CallbackURL
	if v, ok := in.Body["callback_url"]; ok && v != nil {
		s, isString := v.(string)
		if !isString || !slices.Contains(f.AllowedCallbackURLs, s) && s != f.CallbackURL {
			return "", f.fail(store.ErrInvalid, MsgCallbackNotAllowed)
		}
		callbackURL = s
	}
	return callbackURL, nil
}

// Begin starts a login and returns the authorization URL to send the
// browser to. conf names the provider's endpoints, client and scopes; its
// RedirectURL is replaced by the callback URL of the request. With
// withNonce, the URL carries a nonce that [Callback.Nonce] returns for
// the id_token check. opts add parameters to the URL.
func (f *Flow) Begin(ctx context.Context, in provider.Input, ids provider.Identities, conf oauth2.Config, withNonce bool, opts ...oauth2.AuthCodeOption) (string, error) {
	callbackURL, err := f.CheckStart(in)
	if err != nil {
		return "", err
	}
	state := randomHex(stateBytes)
	s := sealed{Verifier: oauth2.GenerateVerifier(), CallbackURL: callbackURL, Binding: bindingHash(in.Binding)}
	opts = append(opts, oauth2.S256ChallengeOption(s.Verifier))
	if withNonce {
		s.Nonce = randomHex(stateBytes)
		opts = append(opts, oauth2.SetAuthURLParam("nonce", s.Nonce))
	}
	value, err := f.seal(state, s)
	if err != nil {
		return "", err
	}
	ttl := f.StateTTL
	if ttl <= 0 {
		ttl = DefaultStateTTL
	}
	if err := ids.SetState(ctx, state, value, ttl); err != nil {
		return "", err
	}
	conf.RedirectURL = callbackURL
	return conf.AuthCodeURL(state, opts...), nil
}

// Callback is a login that came back from the identity provider with a
// code, checked by [Flow.Finish].
type Callback struct {
	Code        string
	Verifier    string // the PKCE code verifier
	Nonce       string // the nonce the id_token must carry ("" without one)
	CallbackURL string // the redirect URI of the authorization request
}

// Finish checks a callback request: an error from the identity provider,
// the code (query or body "code"), the state (query or body "state"),
// which it takes from the store so that it cannot be used again, and the
// browser binding, required ([MsgNoBinding]) and compared in constant time
// with the one that began the login ([MsgForeignBrowser]). Every failure
// is a *provider.Error with a message for the user.
func (f *Flow) Finish(ctx context.Context, in provider.Input, ids provider.Identities) (*Callback, error) {
	if err := idpError(f.ProviderID, in); err != nil {
		if state := param(in, "state"); validState(state) {
			_, _ = ids.TakeState(ctx, state) // the login is over
		}
		return nil, err
	}
	code := param(in, "code")
	if code == "" {
		return nil, f.fail(provider.ErrUnauthorized, MsgNoCode)
	}
	if len(code) > maxCodeLen {
		return nil, f.fail(provider.ErrUnauthorized, "Invalid code")
	}
	state := param(in, "state")
	if !validState(state) {
		return nil, f.fail(provider.ErrUnauthorized, MsgNoState)
	}
	value, err := ids.TakeState(ctx, state)
	if err != nil {
		if provider.IsNotFound(err) {
			return nil, f.fail(provider.ErrUnauthorized, MsgNoState)
		}
		return nil, err
	}
	s, err := f.open(state, value)
	if err != nil {
		return nil, f.fail(provider.ErrUnauthorized, MsgNoState)
	}
	if in.Binding == "" {
		return nil, f.fail(provider.ErrUnauthorized, MsgNoBinding)
	}
	if subtle.ConstantTimeCompare(s.Binding, bindingHash(in.Binding)) != 1 {
		return nil, f.fail(provider.ErrUnauthorized, MsgForeignBrowser)
	}
	return &Callback{Code: code, Verifier: s.Verifier, Nonce: s.Nonce, CallbackURL: s.CallbackURL}, nil
}

// Exchange trades the callback's code for tokens at conf's token
// endpoint, with the PKCE verifier and the callback URL of the
// authorization request, through client. The client's credentials go in
// the Authorization header or the form body (conf.Endpoint.AuthStyle),
// never in the URL. Token endpoint failures, including error bodies sent
// with HTTP 200 and malformed answers, are *provider.Error values of kind
// provider.ErrUnauthorized that also match the cause (e.g. an
// *oauth2.RetrieveError) with errors.As.
func (f *Flow) Exchange(ctx context.Context, c *Callback, conf oauth2.Config, client *http.Client) (*oauth2.Token, error) {
	conf.RedirectURL = c.CallbackURL
	if client != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	}
	tok, err := conf.Exchange(ctx, c.Code, oauth2.VerifierOption(c.Verifier))
	if err == nil {
		return tok, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	var re *oauth2.RetrieveError
	msg := "Could not exchange token: " + causeText(err)
	if errors.As(err, &re) && re.Response != nil {
		msg = fmt.Sprintf("Could not exchange token, %d, %s", re.Response.StatusCode, http.StatusText(re.Response.StatusCode))
		if re.ErrorCode != "" {
			msg += ": " + clean(re.ErrorCode, 64)
		}
	}
	return nil, &provider.Error{Provider: f.ProviderID, Message: msg, Kind: errors.Join(provider.ErrUnauthorized, err)}
}

// causeText describes a failed exchange without echoing the provider's
// answer.
func causeText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return "the identity provider is unreachable"
	}
	if strings.Contains(err.Error(), "cannot parse") || strings.Contains(err.Error(), "missing access_token") {
		return "malformed answer from the identity provider"
	}
	return "unexpected answer from the identity provider"
}

// Login finds or creates the identity of a provider subject, the last
// step of a social login. An identity found for in.EntityID gets
// in.UserMetadata when it changed (so names and pictures stay current)
// and in.ProviderMetadata when that is not nil; otherwise a new identity
// is created from in. Linking to an existing identity by email is the
// auth service's decision, from in.Email and in.EmailVerified.
func Login(ctx context.Context, providerID string, ids provider.Identities, in provider.NewIdentity) (*provider.Result, error) {
	for range 2 {
		found, err := ids.Retrieve(ctx, in.EntityID)
		if err == nil {
			return refresh(ctx, providerID, ids, found, in)
		}
		if !provider.IsNotFound(err) {
			return nil, err
		}
		created, err := ids.Create(ctx, in)
		if err == nil {
			return &provider.Result{AuthIdentity: created}, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		// A concurrent first login of the same subject won: use its
		// identity.
	}
	return nil, provider.Fail(providerID, store.ErrConflict, "The identity is being created by another login, try again")
}

func refresh(ctx context.Context, providerID string, ids provider.Identities, found *provider.AuthIdentity, in provider.NewIdentity) (*provider.Result, error) {
	var current *provider.ProviderIdentity
	for _, p := range found.ProviderIdentities {
		if p.Provider == providerID && p.EntityID == in.EntityID {
			current = p
		}
	}
	up := provider.IdentityUpdate{ProviderMetadata: in.ProviderMetadata}
	if um, err := meta.Normalize("user_metadata", in.UserMetadata); err == nil && (current == nil || !reflect.DeepEqual(um, current.UserMetadata)) {
		up.UserMetadata = in.UserMetadata
	}
	if up.UserMetadata == nil && up.ProviderMetadata == nil {
		return &provider.Result{AuthIdentity: found}, nil
	}
	updated, err := ids.Update(ctx, in.EntityID, up)
	if err != nil {
		return nil, err
	}
	return &provider.Result{AuthIdentity: updated}, nil
}

// idpError returns the error an identity provider reported in a callback
// (query "error", "error_description", "error_uri"), as Medusa words it,
// or nil.
func idpError(providerID string, in provider.Input) error {
	code := in.Query.Get("error")
	if code == "" {
		return nil
	}
	msg := clean(in.Query.Get("error_description"), 200)
	if msg == "" {
		msg = clean(code, 64)
	}
	if uri := clean(in.Query.Get("error_uri"), 200); uri != "" {
		msg += ", read more at: " + uri
	}
	return provider.Fail(providerID, provider.ErrUnauthorized, msg)
}

// clean makes text from a request fit for a message: printable, at most
// n runes.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return strings.TrimSpace(s)
}

// param reads a callback parameter from the query, else the body (a
// form_post response).
func param(in provider.Input, key string) string {
	if v := in.Query.Get(key); v != "" {
		return v
	}
	s, _ := in.Body[key].(string)
	return s
}

func validState(s string) bool {
	if len(s) != 2*stateBytes {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func bindingHash(binding string) []byte {
	sum := sha256.Sum256([]byte("clientele/oauth-binding\x00" + binding))
	return sum[:]
}

// aead returns the cipher that seals the value of state.
func (f *Flow) aead(state string) (cipher.AEAD, error) {
	key := sha256.Sum256([]byte("clientele/oauth-state-seal\x00" + f.ProviderID + "\x00" + state))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (f *Flow) seal(state string, s sealed) ([]byte, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	a, err := f.aead(state)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize())
	_, _ = rand.Read(nonce)
	return a.Seal(nonce, nonce, plain, []byte(f.ProviderID)), nil
}

func (f *Flow) open(state string, value []byte) (*sealed, error) {
	a, err := f.aead(state)
	if err != nil {
		return nil, err
	}
	if len(value) < a.NonceSize() {
		return nil, errors.New("short state value")
	}
	plain, err := a.Open(nil, value[:a.NonceSize()], value[a.NonceSize():], []byte(f.ProviderID))
	if err != nil {
		return nil, err
	}
	var s sealed
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
