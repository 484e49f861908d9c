package emailpass

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/clientele/clientele/internal/email"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// ID is the provider's id, as in Medusa.
const ID = "emailpass"

// Medusa's messages, which its clients show.
const (
	msgInvalidCredentials = "Invalid email or password"
	msgPasswordNotString  = "Password should be a string"
	msgEmailNotString     = "Email should be a string"
	msgIdentityExists     = "Identity with email already exists"
	msgNoEntityID         = "Cannot update emailpass provider identity without entity_id"
	msgPasswordBusy       = "The password was rehashed during the change; try again"
)

// Policy is the password policy.
type Policy struct {
	// MinLength is the least number of characters (default 8).
	MinLength int
	// MaxBytes is the most bytes a password may have (default 1,024), so a
	// huge password cannot burn CPU in the key derivation.
	MaxBytes int
}

// DefaultPolicy returns the default policy: 8 characters to 1,024 bytes.
func DefaultPolicy() Policy { return Policy{MinLength: 8, MaxBytes: 1024} }

// Option configures a Provider.
type Option func(*Provider)

// WithHasher sets how new passwords are hashed (default DefaultScrypt(),
// Medusa's format; a nil h keeps it). Stored hashes of any supported
// format still verify, and a successful login rehashes them with h.
func WithHasher(h Hasher) Option { return func(p *Provider) { p.hasher = h } }

// WithLegacyHashers declares how passwords still stored may have been
// hashed, besides the configured Hasher: Medusa's scrypt parameters when
// they differ from it, or the hasher in use before a change of algorithm
// or parameters. It changes no verification (every supported format
// verifies with the configured Hasher, see [Hasher]); it sets the work of
// every login. The configured hasher and the legacy ones are the accepted
// formats (an algorithm with its parameters), and every login attempt runs
// one verification per accepted format: the real one for the format of
// the stored hash, a dummy one for each other format. So each legacy
// hasher adds its cost to every login, whatever the account, and the
// timing does not tell an unknown email from a known one, nor an argon2id
// user from a scrypt one (see the package doc, Timing).
//
// By default the legacy hashers are DefaultScrypt(), Medusa's default
// parameters, unless the configured hasher is a Scrypt: its parameters
// are then taken to be those of the Medusa hashes in the database (set it
// as Medusa's hashConfig). WithLegacyHashers replaces that default;
// WithLegacyHashers() with no hasher declares that only the configured
// hasher's hashes are stored (for instance once every user logged in
// since a switch to argon2id, or the remaining ones were asked to reset
// their password), which makes a login cost one verification again.
func WithLegacyHashers(hs ...Hasher) Option {
	return func(p *Provider) { p.legacy, p.legacySet = slices.Clone(hs), true }
}

// WithLogger sets the logger of the configuration problems a login meets
// (a stored hash over the [Limits]), which are not the caller's to see.
// The default is slog.Default(). Its records hold the auth identity's id
// and the format and parameter at fault, never the hash, the email or the
// password.
func WithLogger(l *slog.Logger) Option { return func(p *Provider) { p.logger = l } }

// WithPolicy sets the password policy.
func WithPolicy(pol Policy) Option { return func(p *Provider) { p.policy = pol } }

// Provider is the email and password provider. It is safe for concurrent
// use.
type Provider struct {
	hasher    Hasher // normalised
	legacy    []Hasher
	legacySet bool
	policy    Policy
	formats   []format // accepted formats, the configured hasher's first
	limits    Limits   // with defaults, covering the accepted formats
	logger    *slog.Logger
}

// New returns the provider.
func New(opts ...Option) *Provider {
	p := &Provider{hasher: DefaultScrypt(), policy: DefaultPolicy()}
	for _, o := range opts {
		o(p)
	}
	if p.policy.MaxBytes <= 0 {
		p.policy.MaxBytes = DefaultPolicy().MaxBytes
	}
	if p.hasher == nil {
		p.hasher = DefaultScrypt()
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	p.hasher = normalize(p.hasher)
	p.formats = acceptedFormats(p.accepted())
	p.limits = p.limits.withDefaults().cover(p.accepted())
	return p
}

// accepted returns the hashers whose hashes the provider expects to
// verify: the configured one, then the legacy ones (see
// WithLegacyHashers).
func (p *Provider) accepted() []Hasher {
	hs := []Hasher{p.hasher}
	switch {
	case p.legacySet:
		hs = append(hs, p.legacy...)
	case familyOf(p.hasher) != scryptFamily:
		hs = append(hs, DefaultScrypt())
	}
	return hs
}

var (
	_ provider.Provider       = (*Provider)(nil)
	_ provider.Registerer     = (*Provider)(nil)
	_ provider.Updater        = (*Provider)(nil)
	_ provider.UpdateChecker  = (*Provider)(nil)
	_ provider.EntityIDFolder = (*Provider)(nil)
	_ provider.Describer      = (*Provider)(nil)
)

// ID implements provider.Provider.
func (p *Provider) ID() string { return ID }

// DisplayName implements provider.Describer.
func (p *Provider) DisplayName() string { return "Email/Password Authentication" }

// FoldEntityIDs implements provider.EntityIDFolder: emails are compared
// case-insensitively.
func (p *Provider) FoldEntityIDs() bool { return true }

// Credentials returns the input of a login ([Provider.Authenticate]) or a
// registration ([Provider.Register]) with an email and a password: the
// body {"email": email, "password": password} that Medusa's clients send.
// The actor type is left empty; set it with [provider.Input.ForActor]:
//
//	res, err := svc.Authenticate(ctx, emailpass.ID, emailpass.Credentials(email, password).ForActor("customer"))
func Credentials(email, password string) provider.Input {
	return provider.Input{Body: map[string]any{"email": email, "password": password}}
}

func fail(kind error, msg string) error { return provider.Fail(ID, kind, msg) }

func badCredentials() error { return fail(provider.ErrUnauthorized, msgInvalidCredentials) }

// credentials reads the email and password of a request body, in Medusa's
// order of checks.
func credentials(body map[string]any) (emailAddr, password string, err error) {
	password, ok := body["password"].(string)
	if !ok || password == "" {
		return "", "", fail(store.ErrInvalid, msgPasswordNotString)
	}
	emailAddr, ok = body["email"].(string)
	if !ok || strings.TrimSpace(emailAddr) == "" {
		return "", "", fail(store.ErrInvalid, msgEmailNotString)
	}
	// A NUL byte or invalid UTF-8 can be in no stored email or password
	// (PostgreSQL refuses both): a bad request, answered before any
	// lookup, and the same for every account.
	for _, f := range [][2]string{{"email", emailAddr}, {"password", password}} {
		if err := text.Check(f[0], f[1]); err != nil {
			return "", "", fail(store.ErrInvalid, err.Error())
		}
	}
	return strings.ToLower(strings.TrimSpace(emailAddr)), password, nil
}

// checkPolicy returns a validation error when password breaks the policy.
func (p *Provider) checkPolicy(password string) error {
	if len(password) > p.policy.MaxBytes {
		return fail(store.ErrInvalid, fmt.Sprintf("Password must be at most %d bytes", p.policy.MaxBytes))
	}
	if n := utf8.RuneCountInString(password); n < p.policy.MinLength {
		return fail(store.ErrInvalid, fmt.Sprintf("Password must be at least %d characters", p.policy.MinLength))
	}
	return nil
}

// verify checks password against the identity's stored hash (identity is
// nil for an unknown email). Whatever the account, it runs one
// verification per accepted format: the real one stands for the format of
// the stored hash, and each other format verifies its dummy hash, so that
// unknown emails, identities without a password, wrong passwords and users
// of each format cost the same. A stored hash over the limits is not
// verified: all the dummies run, as for an unknown email, the error wraps
// ErrHashOverLimit, and the problem is logged.
func (p *Provider) verify(ctx context.Context, identity *provider.AuthIdentity, password string) (ok bool, stored string, err error) {
	if identity != nil {
		if pi := identity.Provider(ID); pi != nil {
			stored, _ = pi.ProviderMetadata["password"].(string)
		}
	}
	pw := []byte(password)
	if stored == "" {
		verifyDummies(p.formats, -1, pw)
		return false, "", nil
	}
	if err := p.limits.check(paramsOf(stored)); err != nil {
		verifyDummies(p.formats, -1, pw)
		p.logger.WarnContext(ctx, "clientele: emailpass: a stored password hash is over the verification limits; the login was refused (raise emailpass.Limits or have the user reset the password)",
			"auth_identity_id", identity.ID, "reason", err.Error())
		return false, stored, err
	}
	verifyDummies(p.formats, formatOf(p.formats, stored), pw)
	ok, err = p.hasher.Verify(stored, pw)
	return ok, stored, err
}

// Authenticate implements provider.Provider: body {"email", "password"}.
func (p *Provider) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	emailAddr, password, err := credentials(in.Body)
	if err != nil {
		return nil, err
	}
	if len(password) > p.policy.MaxBytes {
		return nil, badCredentials()
	}
	identity, err := ids.Retrieve(ctx, emailAddr)
	if err != nil {
		if !provider.IsNotFound(err) {
			return nil, err
		}
		p.verify(ctx, nil, password)
		return nil, badCredentials()
	}
	ok, stored, err := p.verify(ctx, identity, password)
	if err != nil {
		// A stored hash that cannot be read, or over the limits: the
		// login fails, and the error says why (never with the hash in
		// it).
		return nil, &provider.Error{Provider: ID, Message: msgInvalidCredentials, Kind: errors.Join(provider.ErrUnauthorized, err)}
	}
	if !ok {
		return nil, badCredentials()
	}
	if p.hasher.NeedsRehash(stored) {
		// Only over the hash just verified: a password changed meanwhile
		// stays, and the login answers with the identity it proved.
		if hash, err := p.hasher.Hash([]byte(password)); err == nil {
			if updated, err := p.storeHash(ctx, ids, identity, hash, hashIs(stored)); err == nil && storedHash(updated) == hash {
				identity = updated
			}
		}
	}
	return &provider.Result{AuthIdentity: identity}, nil
}

// Register implements provider.Registerer: body {"email", "password"}. An
// email that already has an identity fails with "Identity with email
// already exists", except when no actor is linked yet and the password is
// the same: then the request is a login and answers with that identity
// (Medusa 2.21). Concurrent registrations of one email answer as if they
// had come one after another: one creates the identity, and each other
// one is a login to it or "Identity with email already exists".
func (p *Provider) Register(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	emailAddr, password, err := credentials(in.Body)
	if err != nil {
		return nil, err
	}
	if !email.Valid(emailAddr) {
		return nil, fail(store.ErrInvalid, "Invalid email")
	}
	if err := p.checkPolicy(password); err != nil {
		return nil, err
	}
	if res, err := p.registered(ctx, ids, emailAddr, password); !provider.IsNotFound(err) {
		return res, err
	}
	hash, err := p.hasher.Hash([]byte(password))
	if err != nil {
		return nil, err
	}
	created, err := ids.Create(ctx, provider.NewIdentity{EntityID: emailAddr, ProviderMetadata: map[string]any{"password": hash}})
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			// Another registration of the email created it meanwhile:
			// answer as if this one had come after it, so that the same
			// email and password still log in to it.
			if res, err := p.registered(ctx, ids, emailAddr, password); err == nil {
				return res, nil
			}
			return nil, fail(store.ErrConflict, msgIdentityExists)
		}
		return nil, err
	}
	return &provider.Result{AuthIdentity: created}, nil
}

// registered answers a registration of an email that has an identity
// already: that identity when no actor is linked to it and password is
// its password, else "Identity with email already exists". An email
// without an identity is a not-found error.
func (p *Provider) registered(ctx context.Context, ids provider.Identities, emailAddr, password string) (*provider.Result, error) {
	existing, err := ids.Retrieve(ctx, emailAddr)
	if err != nil {
		return nil, err
	}
	if !existing.HasActor() {
		if ok, _, err := p.verify(ctx, existing, password); err == nil && ok {
			return &provider.Result{AuthIdentity: existing}, nil
		}
	}
	return nil, fail(store.ErrConflict, msgIdentityExists)
}

// CheckUpdate implements provider.UpdateChecker.
func (p *Provider) CheckUpdate(data map[string]any) error {
	if e, _ := data["entity_id"].(string); e == "" {
		return fail(store.ErrInvalid, msgNoEntityID)
	}
	password, ok := data["password"].(string)
	if !ok || password == "" {
		return fail(store.ErrInvalid, msgPasswordNotString)
	}
	// current_password, when given, is a string: anything else (null, a
	// number) is a malformed request, not a wrong password.
	if current, given := data["current_password"]; given {
		if _, ok := current.(string); !ok {
			return fail(store.ErrInvalid, msgPasswordNotString)
		}
	}
	return p.checkPolicy(password)
}

// Update implements provider.Updater: data {"entity_id", "password"} sets
// a new password. Callers prove the right to do so first (a reset token,
// the current password): see auth.Service.ResetPassword and ChangePassword.
//
// With "current_password" in data as well, the new password replaces only
// current_password: the new hash is written only over a stored hash that
// current_password matches, so that a change proved with a password that
// another change (a reset) replaced meanwhile fails with "Invalid email or
// password" instead of undoing it. A login that rehashed the same
// password meanwhile is no obstacle: the check is made again on its hash,
// up to maxProvedWrites times; a password rehashed more often than that
// during one change (instances with other hash costs, all logging the
// identity in) fails with a conflict, and nothing is written.
func (p *Provider) Update(ctx context.Context, data map[string]any, ids provider.Identities) (*provider.Result, error) {
	if err := p.CheckUpdate(data); err != nil {
		return nil, err
	}
	entityID := data["entity_id"].(string)
	identity, err := ids.Retrieve(ctx, entityID)
	if err != nil {
		return nil, err
	}
	current, proving := data["current_password"]
	cur, _ := current.(string)
	if proving {
		if ok, _, err := p.verify(ctx, identity, cur); err != nil || !ok {
			return nil, badCredentials()
		}
	}
	hash, err := p.hasher.Hash([]byte(data["password"].(string)))
	if err != nil {
		return nil, err
	}
	if !proving {
		updated, err := p.storeHash(ctx, ids, identity, hash, nil)
		if err != nil {
			return nil, err
		}
		return &provider.Result{AuthIdentity: updated}, nil
	}
	for range maxProvedWrites {
		stored := storedHash(identity)
		updated, err := p.storeHash(ctx, ids, identity, hash, hashIs(stored))
		if err != nil {
			return nil, err
		}
		if storedHash(updated) == hash {
			return &provider.Result{AuthIdentity: updated}, nil
		}
		// Another hash was stored since: a rehash of the same password
		// (try again over it) or another password (refuse).
		identity = updated
		if ok, _, err := p.verify(ctx, identity, cur); err != nil || !ok {
			return nil, badCredentials()
		}
	}
	// current_password is still right, but logins kept rehashing it (two
	// configurations with other costs at once): nothing was written.
	return nil, fail(store.ErrConflict, msgPasswordBusy)
}

// maxProvedWrites bounds the attempts of an update with current_password
// that meets concurrent rehashes of the password it proved.
const maxProvedWrites = 3

// hashIs returns a condition that holds while a provider identity stores
// the password hash stored.
func hashIs(stored string) func(*provider.ProviderIdentity) bool {
	return func(cur *provider.ProviderIdentity) bool {
		h, _ := cur.ProviderMetadata["password"].(string)
		return h == stored
	}
}

// storedHash returns the password hash of an identity's emailpass
// provider identity, or "".
func storedHash(identity *provider.AuthIdentity) string {
	if identity == nil {
		return ""
	}
	pi := identity.Provider(ID)
	if pi == nil {
		return ""
	}
	h, _ := pi.ProviderMetadata["password"].(string)
	return h
}

// storeHash stores hash in the identity's provider metadata, keeping the
// other keys; with cond, only if cond holds for the stored provider
// identity. It returns the identity as stored afterwards (with another
// hash when cond did not hold). Hash the password before: no unit of work
// may wait for a key derivation.
func (p *Provider) storeHash(ctx context.Context, ids provider.Identities, identity *provider.AuthIdentity, hash string, cond func(*provider.ProviderIdentity) bool) (*provider.AuthIdentity, error) {
	pi := identity.Provider(ID)
	if pi == nil {
		return nil, fail(store.ErrNotFound, "ProviderIdentity with entity_id not found")
	}
	pm := maps.Clone(pi.ProviderMetadata)
	if pm == nil {
		pm = map[string]any{}
	}
	pm["password"] = hash
	return ids.Update(ctx, pi.EntityID, provider.IdentityUpdate{ProviderMetadata: pm, If: cond})
}
