package magiclink

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// ID is the provider's id.
const ID = "magiclink"

// Defaults of [New].
const (
	// DefaultTTL is how long a login's link and codes work: 15 minutes.
	DefaultTTL = 15 * time.Minute
	// DefaultMaxAttempts is how many wrong codes (or links) end a login.
	DefaultMaxAttempts = 5
)

// Errors of a completion. Each is a *provider.Error with a message meant
// for the caller.
var (
	// ErrInvalid is the kind of a refused completion: no such login, an
	// expired or used one, a wrong link or code, or a code typed away from
	// the browser that asked. It matches provider.ErrUnauthorized.
	ErrInvalid = errors.Join(provider.ErrUnauthorized, errors.New("magiclink: invalid or expired login"))
	// ErrConfirmationRequired is the kind of the refusal of a valid link
	// opened without the binding of the browser that asked: the caller
	// must send the confirmation code that browser shows. It matches
	// store.ErrInvalid, not provider.ErrUnauthorized: the link is not
	// spent and no attempt is counted.
	ErrConfirmationRequired = errors.Join(store.ErrInvalid, errors.New("magiclink: confirmation required"))
)

// Messages of the refusals.
const (
	msgInvalid      = "Invalid or expired login code"
	msgConfirm      = "Enter the confirmation code shown where the login was requested"
	msgOtherBrowser = "This code works only in the browser that requested it"
	msgStart        = "Request a login email first"
)

// Provider logs in with a link or a one-time code mailed to an email
// address. Create it with [New]; it is safe for concurrent use.
type Provider struct {
	ttl         time.Duration
	maxAttempts int
	register    bool
	linkURL     *url.URL
	// linkFragment puts the token in linkURL's fragment (WithLinkFragment).
	linkFragment bool
	now          func() time.Time
}

// Option configures a Provider.
type Option func(*Provider)

// WithTTL sets how long a login's secrets work (default [DefaultTTL]); a
// non-positive d keeps the default.
func WithTTL(d time.Duration) Option {
	return func(p *Provider) {
		if d > 0 {
			p.ttl = d
		}
	}
}

// WithMaxAttempts sets how many wrong codes end a login (default
// [DefaultMaxAttempts]); n below 1 keeps the default.
func WithMaxAttempts(n int) Option {
	return func(p *Provider) {
		if n >= 1 {
			p.maxAttempts = n
		}
	}
}

// WithRegistration lets an email without an identity log in: its first
// completed login creates the identity, with the email marked verified.
// Without it, nothing is mailed to an unknown email (the requester's
// answer is the same).
func WithRegistration() Option { return func(p *Provider) { p.register = true } }

// WithLinkURL sets the page the mailed link opens: the link is u with the
// query parameter "token" added (carried by the event as "link"). The page
// sends the token to POST /auth/{actor_type}/magiclink/callback (with the
// browser's cookies), and asks for the confirmation code when that answers
// that one is needed. Without it, the event carries only the token and the
// host builds the link.
func WithLinkURL(u string) Option {
	return func(p *Provider) {
		if parsed, err := url.Parse(u); err == nil && u != "" {
			p.linkURL, p.linkFragment = parsed, false
		}
	}
}

// WithLinkFragment is WithLinkURL with the token in the link's fragment
// ("#token=…", replacing any fragment of u) instead of its query. Browsers
// never send a fragment to a server, so the token stays out of access
// logs, proxies and Referer headers; the page reads it from
// location.hash (and should clear it, as it would the query). A page that
// the server renders without script cannot read it: use WithLinkURL there.
func WithLinkFragment(u string) Option {
	return func(p *Provider) {
		if parsed, err := url.Parse(u); err == nil && u != "" {
			p.linkURL, p.linkFragment = parsed, true
		}
	}
}

// WithClock sets the provider's clock (tests).
func WithClock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

// New returns the provider.
func New(opts ...Option) *Provider {
	p := &Provider{ttl: DefaultTTL, maxAttempts: DefaultMaxAttempts, now: time.Now}
	for _, o := range opts {
		o(p)
	}
	return p
}

// ID returns [ID].
func (p *Provider) ID() string { return ID }

// DisplayName returns "Email link".
func (p *Provider) DisplayName() string { return "Email link" }

// FoldEntityIDs reports that entity ids are emails, compared
// case-insensitively.
func (p *Provider) FoldEntityIDs() bool { return true }

// ProvesEmail reports that a login proves the email (see
// provider.EmailProver).
func (p *Provider) ProvesEmail() bool { return true }

// VerifiesEmails reports that the identities' user_metadata email_verified
// is what a login proved (see provider.EmailVerifier).
func (p *Provider) VerifiesEmails() bool { return true }

// TTL returns how long a login's secrets work.
func (p *Provider) TTL() time.Duration { return p.ttl }

// Authenticate refuses: a login starts with a request (the auth service's
// RequestEmailLogin) and completes through ValidateCallback.
func (p *Provider) Authenticate(context.Context, provider.Input, provider.Identities) (*provider.Result, error) {
	return nil, provider.Fail(ID, store.ErrInvalid, msgStart)
}

// pending is the state of a login, as stored: hashes of its secrets.
type pending struct {
	Email     string    `json:"e"`
	ActorType string    `json:"a"`
	Register  bool      `json:"r,omitempty"`
	Link      string    `json:"l"`
	Code      string    `json:"c"`
	Confirm   string    `json:"k"`
	Binding   string    `json:"b"`
	Failures  int       `json:"n"`
	ExpiresAt time.Time `json:"x"`
}

// BeginEmailLogin implements provider.EmailLinker: it draws the login's
// secrets and stores their hashes under the flow's key. The store work is
// the same whether or not the email has an identity.
func (p *Provider) BeginEmailLogin(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.EmailLogin, error) {
	addr, _ := in.Body["email"].(string)
	if addr == "" {
		return nil, provider.Fail(ID, store.ErrInvalid, "Email is required")
	}
	if in.Binding == "" {
		return nil, fmt.Errorf("magiclink: a login must be bound to the browser that asks")
	}
	known, err := exists(ctx, ids, addr)
	if err != nil {
		return nil, err
	}
	out := &provider.EmailLogin{
		Email: addr, Send: known || p.register, Registering: !known && p.register,
		Flow: rand.Text(), Code: digits(), ConfirmationCode: digits(),
		ExpiresAt: p.now().UTC().Add(p.ttl),
	}
	secret := rand.Text()
	out.Token = out.Flow + "." + secret
	if p.linkURL != nil {
		out.Link = p.link(out.Token)
	}
	st := pending{
		Email: addr, ActorType: in.ActorType, Register: p.register,
		Link: hash(out.Flow, secret), Code: hash(out.Flow, "code", out.Code),
		Confirm: hash(out.Flow, "confirm", out.ConfirmationCode), Binding: hash(in.Binding),
		ExpiresAt: out.ExpiresAt,
	}
	if err := p.put(ctx, ids, out.Flow, &st); err != nil {
		return nil, err
	}
	return out, nil
}

// ValidateCallback implements provider.CallbackValidator: it completes a
// login with, in in.Body, either the link's "token" or the "flow" and the
// mailed "code". A link needs the binding of the browser that asked
// (in.Binding) or the "confirmation_code" that browser shows; a code
// needs the binding. A login completes once; a wrong link or code counts
// as a failure, and the login ends at the maximum.
func (p *Provider) ValidateCallback(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	token, flow, code, confirm := field(in, "token"), field(in, "flow"), field(in, "code"), field(in, "confirmation_code")
	var secret string
	switch {
	case token != "" && flow == "" && code == "":
		f, s, ok := strings.Cut(token, ".")
		if !ok || f == "" || s == "" {
			return nil, invalid(msgInvalid)
		}
		flow, secret = f, s
	case token == "" && flow != "" && code != "":
	default:
		return nil, provider.Fail(ID, store.ErrInvalid, "Send either the link's token, or the flow and the code")
	}
	raw, err := ids.TakeState(ctx, flow)
	if err != nil {
		if provider.IsNotFound(err) {
			return nil, invalid(msgInvalid)
		}
		return nil, err
	}
	var st pending
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("magiclink: stored state: %w", err)
	}
	if !p.now().Before(st.ExpiresAt) {
		return nil, invalid(msgInvalid)
	}
	// The service's per-account login rule: wrong codes of every flow of
	// the email count together, so that asking again and again buys no
	// more guesses than a password login gets. A locked account checks
	// nothing, and the flow stays as it was.
	var att provider.LoginAttempt
	if l, ok := ids.(provider.LoginLimiter); ok {
		if att, err = l.LimitLogin(ctx, st.Email); err != nil {
			if perr := p.put(ctx, ids, flow, &st); perr != nil {
				return nil, errors.Join(err, perr)
			}
			return nil, err
		}
	}
	res, err := p.check(ctx, in, ids, flow, secret, code, confirm, &st)
	if att != nil {
		end := att.Cancel
		switch {
		case err == nil:
			end = att.Succeed
		case errors.Is(err, ErrInvalid):
			end = att.Fail
		}
		if terr := end(ctx); terr != nil && err == nil {
			return nil, terr
		}
	}
	return res, err
}

// check completes the login of flow, whose state st was taken: with the
// link's secret (bound, or with confirm), or with the mailed code (bound).
// A wrong secret or code is an ErrInvalid failure, counted in st.
func (p *Provider) check(ctx context.Context, in provider.Input, ids provider.Identities, flow, secret, code, confirm string, st *pending) (*provider.Result, error) {
	bound := in.Binding != "" && equal(hash(in.Binding), st.Binding)
	var ok bool
	msg := msgInvalid
	switch {
	case st.ActorType != in.ActorType:
	case secret != "":
		if !equal(hash(flow, secret), st.Link) {
			break
		}
		if bound {
			ok = true
			break
		}
		if confirm == "" {
			// A valid link opened elsewhere (another device, a mail
			// scanner): nothing is spent, the caller must confirm.
			if err := p.put(ctx, ids, flow, st); err != nil {
				return nil, err
			}
			return nil, &provider.Error{Provider: ID, Kind: ErrConfirmationRequired, Message: msgConfirm}
		}
		ok = equal(hash(flow, "confirm", confirm), st.Confirm)
	default:
		ok = equal(hash(flow, "code", code), st.Code) && bound
		if !bound {
			msg = msgOtherBrowser
		}
	}
	if !ok {
		st.Failures++
		if st.Failures < p.maxAttempts {
			if err := p.put(ctx, ids, flow, st); err != nil {
				return nil, err
			}
		}
		return nil, invalid(msg)
	}
	identity, err := ids.Retrieve(ctx, st.Email)
	if err == nil {
		return &provider.Result{AuthIdentity: identity}, nil
	}
	if !provider.IsNotFound(err) || !st.Register {
		if provider.IsNotFound(err) {
			return nil, invalid(msgInvalid)
		}
		return nil, err
	}
	identity, err = ids.Create(ctx, provider.NewIdentity{
		EntityID:     st.Email,
		UserMetadata: map[string]any{"email": st.Email, "email_verified": true},
		Email:        st.Email, EmailVerified: true,
	})
	if errors.Is(err, store.ErrConflict) {
		// Registered concurrently by another login of the same email.
		identity, err = ids.Retrieve(ctx, st.Email)
	}
	if err != nil {
		return nil, err
	}
	return &provider.Result{AuthIdentity: identity}, nil
}

// field reads a string of the body, or else of the query (a link opened
// with GET).
func field(in provider.Input, name string) string {
	if v, ok := in.Body[name].(string); ok {
		return v
	}
	return in.Query.Get(name)
}

// put stores st under flow until it expires.
func (p *Provider) put(ctx context.Context, ids provider.Identities, flow string, st *pending) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	ttl := st.ExpiresAt.Sub(p.now())
	if ttl <= 0 {
		return nil
	}
	return ids.SetState(ctx, flow, b, ttl)
}

func invalid(msg string) error { return &provider.Error{Provider: ID, Kind: ErrInvalid, Message: msg} }

// hash returns the hex SHA-256 of the parts, each prefixed by its length.
func hash(parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// digits returns six random decimal digits.
func digits() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand never fails
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// link is the mailed link of token: linkURL with the token added to its
// query, or as its fragment.
func (p *Provider) link(token string) string {
	u := *p.linkURL
	if p.linkFragment {
		// The token is base32 text and a dot: nothing to escape.
		u.Fragment, u.RawFragment = "token="+token, ""
		return u.String()
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// exists reports whether addr has an identity of this provider: in one
// lookup whatever the answer when ids can (provider.IdentityChecker), so
// that a request's work does not tell a known email from an unknown one.
func exists(ctx context.Context, ids provider.Identities, addr string) (bool, error) {
	if c, ok := ids.(provider.IdentityChecker); ok {
		return c.Exists(ctx, addr)
	}
	if _, err := ids.Retrieve(ctx, addr); err != nil {
		if provider.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
