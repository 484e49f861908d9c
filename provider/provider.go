// Package provider defines how clientele authenticates: the [Provider]
// interface (Medusa's AbstractAuthModuleProvider) that every way of logging
// in implements, the [Identities] service a provider receives to find and
// keep its provider identities and OAuth state, and the identity records
// themselves.
//
// An auth identity ([AuthIdentity]) is one person's login record; a
// provider identity ([ProviderIdentity]) is one way to log in to it (an
// email and password, a Google account…), unique per (entity_id,
// provider). Actors (a customer, an admin user…) are linked to an auth
// identity through its app_metadata: app_metadata["customer_id"] and so on.
//
// # Writing a provider
//
// A provider implements [Provider] (Authenticate) and, for what it
// supports, [Registerer], [CallbackValidator] and [Updater]. It finds,
// creates and updates its identities only through the [Identities] it is
// given, which is scoped to the provider's id. It returns errors that
// callers may show to the user (e.g. "Invalid email or password") as
// [*Error]; package auth turns everything else into a generic failure, and
// never lets a provider's panic escape.
//
// # Concurrency
//
// A Provider must be safe for concurrent use.
package provider

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clientele/clientele/store"
)

// AuthIdentity is one login record (Medusa's AuthIdentity, table
// auth_identity, id prefix "authid").
type AuthIdentity struct {
	ID string `json:"id"`
	// AppMetadata links the identity to its actors: "<actor_type>_id" keys
	// such as "customer_id" and "user_id", plus whatever the host keeps.
	AppMetadata map[string]any `json:"app_metadata"`
	// ProviderIdentities are the ways to log in to this identity.
	ProviderIdentities []*ProviderIdentity `json:"provider_identities"`
	CreatedAt          time.Time           `json:"created_at"`
	UpdatedAt          time.Time           `json:"updated_at"`
	DeletedAt          *time.Time          `json:"deleted_at"`
}

// ActorID returns the id of the identity's actor of the given type
// (app_metadata["<actorType>_id"]), or "" when none is linked.
func (a *AuthIdentity) ActorID(actorType string) string {
	if a == nil {
		return ""
	}
	s, _ := a.AppMetadata[actorType+"_id"].(string)
	return s
}

// HasActor reports whether any actor is linked: app_metadata holds an
// "<actor_type>_id" key (a null value left by Medusa counts, as it does
// there).
func (a *AuthIdentity) HasActor() bool {
	if a == nil {
		return false
	}
	for k := range a.AppMetadata {
		if strings.HasSuffix(k, "_id") {
			return true
		}
	}
	return false
}

// Provider returns the identity's provider identity for provider, or nil.
func (a *AuthIdentity) Provider(provider string) *ProviderIdentity {
	if a == nil {
		return nil
	}
	for _, p := range a.ProviderIdentities {
		if p.Provider == provider {
			return p
		}
	}
	return nil
}

// ProviderIdentity is one way to log in to an auth identity (Medusa's
// ProviderIdentity, table provider_identity, a bare ULID id).
type ProviderIdentity struct {
	ID             string `json:"id"`
	EntityID       string `json:"entity_id"` // the provider's subject: an email, a Google sub…
	Provider       string `json:"provider"`
	AuthIdentityID string `json:"auth_identity_id"`
	// UserMetadata is what the provider says about the person (name,
	// email, picture…); it goes into tokens.
	UserMetadata map[string]any `json:"user_metadata"`
	// ProviderMetadata is the provider's private data (a password hash,
	// tokens). Services never return a password hash.
	ProviderMetadata map[string]any `json:"provider_metadata"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	DeletedAt        *time.Time     `json:"deleted_at"`
}

// Input is what a login request carries to a provider (Medusa's
// AuthenticationInput).
type Input struct {
	URL      string
	Headers  http.Header
	Query    url.Values
	Body     map[string]any
	Protocol string
	// ActorType is the actor the caller logs in as ("customer", "user"…).
	ActorType string
	// Binding is an opaque value tied to the caller's browser (e.g. from
	// a cookie); OAuth providers bind their state to it.
	Binding string
}

// ForActor returns a copy of in for the given actor type ("customer",
// "user"…): in with ActorType set, sharing in's maps. It reads well after
// a provider's input constructor:
//
//	svc.Authenticate(ctx, emailpass.ID, emailpass.Credentials(email, password).ForActor("customer"))
func (in Input) ForActor(actorType string) Input {
	in.ActorType = actorType
	return in
}

// Result is a provider's answer (Medusa's AuthenticationResponse without
// success and error, which are the Go error).
type Result struct {
	// AuthIdentity is the identity the caller proved to be.
	AuthIdentity *AuthIdentity
	// Location, when set, is where the caller must go next (an OAuth
	// authorization URL); it wins over AuthIdentity.
	Location string
	// Link says how a login that created a provider identity reached its
	// auth identity: LinkNew (a new identity), LinkExplicit (the identity
	// the caller was logged in as asked for the link) or LinkVerifiedEmail
	// (an existing identity with the same verified email). Empty when the
	// provider identity existed already.
	Link LinkKind
	// MultiFactor says the proof was multi-factor by itself: a passkey
	// assertion whose authenticator verified the user (the UV flag,
	// covered by the assertion's signature) is something the person has
	// and something they know or are. A login with it completes the
	// identity's MFA at once (its token says so) instead of opening a
	// challenge for a second factor. Set it only for such proofs.
	MultiFactor bool
}

// LinkKind says how a new provider identity was attached; see Result.Link.
type LinkKind string

// The ways a provider identity is attached to an auth identity.
const (
	LinkNew           LinkKind = "new"
	LinkExplicit      LinkKind = "explicit"
	LinkVerifiedEmail LinkKind = "verified_email"
)

// Provider is a way to log in. Authenticate checks the caller's proof (a
// password, an OAuth callback…) or starts a redirect flow.
type Provider interface {
	// ID is the provider's id, written to provider_identity.provider
	// (e.g. "emailpass", "google").
	ID() string
	Authenticate(ctx context.Context, in Input, ids Identities) (*Result, error)
}

// Registerer is implemented by providers that create identities on request.
type Registerer interface {
	Register(ctx context.Context, in Input, ids Identities) (*Result, error)
}

// CallbackValidator is implemented by redirect-flow providers.
type CallbackValidator interface {
	ValidateCallback(ctx context.Context, in Input, ids Identities) (*Result, error)
}

// Updater is implemented by providers whose credentials can be changed
// (emailpass: {"entity_id", "password"}).
type Updater interface {
	Update(ctx context.Context, data map[string]any, ids Identities) (*Result, error)
}

// Beginner is implemented by providers whose proof takes two steps, the
// first of which hands the caller something to answer (a passkey's
// options for navigator.credentials). Begin answers that first step with
// JSON for the client; the second step is Authenticate or Register.
// Whatever Begin must remember until then goes in the Identities' state,
// bound to in.Binding.
type Beginner interface {
	Begin(ctx context.Context, in Input, ids Identities) ([]byte, error)
}

// EmailFinder is implemented by the Identities that package auth gives
// providers: it finds the auth identity whose email-and-password login is
// email (case-insensitively), for a provider that lets a person name
// their account before proving it (a passkey login with a username). The
// identity comes without password hashes. None: an error matching
// store.ErrNotFound.
type EmailFinder interface {
	RetrieveByEmail(ctx context.Context, email string) (*AuthIdentity, error)
}

// IdentityChecker is implemented by the Identities that package auth gives
// providers: Exists reports whether this provider has an identity for
// entityID (case-insensitively for a provider.EntityIDFolder), in one
// lookup whatever the answer, so that the work of a provider that must
// not tell known accounts from unknown ones (a login email's request)
// does not tell them apart either. Retrieve takes a lookup more when the
// identity exists.
type IdentityChecker interface {
	Exists(ctx context.Context, entityID string) (bool, error)
}

// LoginLimiter is implemented by the Identities that package auth gives
// providers: it applies the service's per-account login rule
// (auth.WithThrottle) to a proof whose account the request does not name,
// so that the service cannot throttle it before the provider runs (a
// mailed code, whose flow holds the email). Call LimitLogin with the
// account's identifier before checking the proof: an error (matching
// throttle.ErrLimited, with its wait) refuses the attempt, which must
// then check nothing; otherwise report how the attempt ended, once, on
// what it returns. Unknown and known identifiers are counted alike. A
// service without a throttle allows every attempt.
type LoginLimiter interface {
	LimitLogin(ctx context.Context, identifier string) (LoginAttempt, error)
}

// LoginAttempt is an attempt a LoginLimiter allowed; it was counted as a
// failure when it was allowed. Fail reports a wrong proof (nothing more is
// counted), Succeed a right one (the account's failures are cleared), and
// Cancel an attempt that checked nothing (the failure is taken back).
type LoginAttempt interface {
	Fail(ctx context.Context) error
	Succeed(ctx context.Context) error
	Cancel(ctx context.Context) error
}

// Describer is implemented by providers that have a display name.
type Describer interface {
	DisplayName() string
}

// NewIdentity is the input of [Identities.Create].
type NewIdentity struct {
	EntityID         string
	UserMetadata     map[string]any
	ProviderMetadata map[string]any
	// Email and EmailVerified are what an identity provider says about the
	// person's email. They never decide alone which identity a login
	// reaches: the auth service links a new provider identity to an
	// existing identity only when the caller asked for it (an explicit
	// link) or when linking by verified email is turned on and both sides
	// have verified the email. See Result.Link.
	Email         string
	EmailVerified bool
}

// IdentityUpdate is the input of [Identities.Update]; nil maps are left as
// they are, others replace the stored value.
type IdentityUpdate struct {
	UserMetadata     map[string]any
	ProviderMetadata map[string]any
	// If, when set, is asked about the stored provider identity (read
	// under a lock); the update happens only when it returns true, and
	// Update otherwise returns the identity unchanged. A provider that
	// rehashes a password it has just verified uses it so as not to write
	// over a password changed meanwhile.
	If func(current *ProviderIdentity) bool
}

// Identities is what a provider may do with identities, scoped to its own
// provider id.
type Identities interface {
	// Retrieve returns the auth identity that has a provider identity
	// (entityID, this provider), with its provider identities. It fails with
	// an error matching store.ErrNotFound when there is none.
	Retrieve(ctx context.Context, entityID string) (*AuthIdentity, error)
	// Create makes a new auth identity with one provider identity for this
	// provider. It fails with an error matching store.ErrConflict when
	// (entityID, provider) exists.
	Create(ctx context.Context, in NewIdentity) (*AuthIdentity, error)
	// Update changes this provider's identity for entityID and returns the
	// auth identity.
	Update(ctx context.Context, entityID string, up IdentityUpdate) (*AuthIdentity, error)
	// SetState stores value under key until ttl passes (OAuth state).
	SetState(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// TakeState returns the value stored under key and forgets it: a state
	// can be taken once. A missing or expired key fails with an error
	// matching store.ErrNotFound.
	TakeState(ctx context.Context, key string) ([]byte, error)
}

// Error is a failure a provider reports to the caller, with a message
// meant for them (Medusa's provider error strings such as "Invalid email
// or password"). Kind classifies it: store.ErrInvalid for bad input,
// ErrUnauthorized for failed proofs, store.ErrConflict for an existing
// identity.
type Error struct {
	Provider string
	Message  string
	Kind     error
}

func (e *Error) Error() string { return e.Message }

// PublicMessage returns Message: a provider's message is meant for the
// caller (see store.PublicMessage).
func (e *Error) PublicMessage() string { return e.Message }

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Kind }

// ErrUnauthorized is the kind of failed logins: wrong credentials, a bad
// callback.
var ErrUnauthorized = errors.New("unauthorized")

// Fail returns an *Error of the given kind.
func Fail(providerID string, kind error, message string) *Error {
	return &Error{Provider: providerID, Message: message, Kind: kind}
}

// IsNotFound reports whether err means "no such identity".
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// EntityIDFolder is implemented by providers whose entity ids are
// case-insensitive (emailpass: emails). Their identities are looked up
// exactly first, then case-insensitively, preferring the oldest of several
// legacy case variants.
type EntityIDFolder interface {
	FoldEntityIDs() bool
}

// EmailVerifier is implemented by providers whose identities' user_metadata
// "email_verified" (beside "email") says what the identity provider itself
// verified, never what a user typed: the google, github and oidc providers
// do, when VerifiesEmails returns true. auth.Service.ProvenEmails counts
// such an email as proved only for these providers and for the ones the
// host names in auth.WithVerifiedEmailLinking.
type EmailVerifier interface {
	VerifiesEmails() bool
}

// UpdateChecker is implemented by Updaters that can check an update's
// input without changing anything (e.g. a password policy), so that a
// single-use reset token is not spent on an update that will fail.
type UpdateChecker interface {
	CheckUpdate(data map[string]any) error
}

// EmailLinker is implemented by providers that log in with secrets mailed
// to an email address (provider/magiclink): a link and a one-time code.
// The auth service's RequestEmailLogin calls BeginEmailLogin, then hands
// the mailed secrets to the host's mailer in an event; the login itself
// completes through the provider's ValidateCallback.
type EmailLinker interface {
	// BeginEmailLogin starts a login of the email in.Body["email"] (already
	// normalised), bound to in.Binding, for in.ActorType. It stores what
	// the completion needs (hashed, through ids.SetState) and does the
	// same store work whether or not the email has an identity.
	BeginEmailLogin(ctx context.Context, in Input, ids Identities) (*EmailLogin, error)
}

// EmailLogin is a started email login: what goes to the mailbox and what
// goes back to the browser that asked.
type EmailLogin struct {
	// Email is the address the login is for.
	Email string
	// Send reports whether anything is mailed: the email has an identity,
	// or the provider registers unknown emails. The requester's answer
	// does not depend on it.
	Send bool
	// Registering reports that the email has no identity yet: completing
	// the login creates one.
	Registering bool
	// Token is the link's secret and Code the one-time code; both go to
	// the mailbox only.
	Token, Code string
	// Link is the URL to mail, with Token in it (empty when the provider
	// has no link page configured: the host builds it from Token).
	Link string
	// Flow names the login and ConfirmationCode confirms a link opened
	// away from the browser that asked; both go to that browser only.
	Flow, ConfirmationCode string
	// ExpiresAt is when the secrets stop working.
	ExpiresAt time.Time
}

// EmailProver is implemented by providers whose login itself proves that
// the person controls the identity's email (a secret mailed to it): a new
// identity they create has its email marked verified, as a confirmed
// verification marks it.
type EmailProver interface {
	ProvesEmail() bool
}
