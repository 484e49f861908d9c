package passkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// ID is the provider's id (provider_identity.provider).
const ID = "passkey"

// DefaultChallengeTTL is how long a ceremony may take when Config does
// not say.
const DefaultChallengeTTL = 5 * time.Minute

// The ceremonies Begin starts (the body's "ceremony" field).
const (
	// CeremonyLogin asks navigator.credentials.get for an assertion of
	// any passkey of this relying party (a discoverable, usernameless
	// login).
	CeremonyLogin = "login"
	// CeremonyRegister asks navigator.credentials.create for a new
	// passkey.
	CeremonyRegister = "register"
)

// Keys of provider_metadata of a passkey's provider identity.
const (
	keyUserHandle     = "user_handle"
	keyPublicKey      = "public_key"
	keySignCount      = "sign_count"
	keyAAGUID         = "aaguid"
	keyBackupEligible = "backup_eligible"
	keyBackupState    = "backup_state"
	keyUserVerified   = "user_verified"
	keyTransports     = "transports"
	keyAttestationFmt = "attestation_format"
)

// Messages of refused ceremonies. They never say which check failed
// beyond what the caller can fix.
const (
	msgFailed     = "Passkey verification failed"
	msgChallenge  = "The passkey challenge is unknown, was used already or has expired"
	msgBinding    = "The passkey ceremony must be finished in the browser that began it"
	msgCeremony   = "Invalid request: Field 'ceremony' must be \"login\" or \"register\""
	msgMalformed  = "Invalid request: the body is not a WebAuthn credential"
	msgClone      = "The passkey's signature counter went backwards; the passkey may have been cloned"
	msgNoBinding  = "A passkey ceremony needs a browser binding"
	msgRegistered = "This passkey is already registered"
)

// Config configures the provider: the relying party that passkeys are
// made for and the web origins allowed to use them.
type Config struct {
	// RPID is the relying party id: the registrable domain passkeys are
	// scoped to ("example.com"). Required.
	RPID string
	// RPDisplayName is the name browsers show for the relying party.
	// Required.
	RPDisplayName string
	// Origins are the origins allowed to run the ceremonies
	// ("https://shop.example.com"). At least one is required; an
	// assertion or attestation made in another origin is refused.
	Origins []string
	// ChallengeTTL is how long a ceremony may take from Begin to its
	// end; default DefaultChallengeTTL.
	ChallengeTTL time.Duration
	// UserVerification is what Begin asks of authenticators: "required",
	// "preferred" (default) or "discouraged". With "required", a response
	// without the user-verified flag is refused.
	UserVerification string
}

// Provider is the passkey provider: registration and login by WebAuthn,
// through github.com/go-webauthn/webauthn. It is safe for concurrent use.
type Provider struct {
	wa  *webauthn.WebAuthn
	ttl time.Duration
	uv  protocol.UserVerificationRequirement
}

var (
	_ provider.Provider          = (*Provider)(nil)
	_ provider.Registerer        = (*Provider)(nil)
	_ provider.CallbackValidator = (*Provider)(nil)
	_ provider.Beginner          = (*Provider)(nil)
	_ provider.Describer         = (*Provider)(nil)
)

// New returns a passkey provider for cfg, or an error naming what cfg
// lacks.
func New(cfg Config) (*Provider, error) {
	var errs []error
	if strings.TrimSpace(cfg.RPID) == "" {
		errs = append(errs, errors.New("passkey: the relying party id (RPID) is required"))
	}
	if strings.TrimSpace(cfg.RPDisplayName) == "" {
		errs = append(errs, errors.New("passkey: the relying party display name is required"))
	}
	if len(cfg.Origins) == 0 {
		errs = append(errs, errors.New("passkey: at least one allowed origin is required"))
	}
	if cfg.ChallengeTTL < 0 {
		errs = append(errs, errors.New("passkey: the challenge TTL must be positive"))
	}
	uv := protocol.UserVerificationRequirement(cfg.UserVerification)
	switch uv {
	case "":
		uv = protocol.VerificationPreferred
	case protocol.VerificationRequired, protocol.VerificationPreferred, protocol.VerificationDiscouraged:
	default:
		errs = append(errs, fmt.Errorf("passkey: user verification %q must be required, preferred or discouraged", cfg.UserVerification))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.RPDisplayName,
		RPOrigins:     cfg.Origins,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: uv,
		},
		// Challenges expire through the store's state (ChallengeTTL),
		// on the service's clock, not on the library's.
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	ttl := cfg.ChallengeTTL
	if ttl == 0 {
		ttl = DefaultChallengeTTL
	}
	return &Provider{wa: wa, ttl: ttl, uv: uv}, nil
}

// ID implements provider.Provider: "passkey".
func (p *Provider) ID() string { return ID }

// DisplayName implements provider.Describer.
func (p *Provider) DisplayName() string { return "Passkey" }

// ceremony is what Begin keeps in the store until the ceremony ends.
type ceremony struct {
	Kind    string               `json:"kind"`
	Binding []byte               `json:"binding"` // SHA-256 of the browser binding
	Name    string               `json:"name,omitempty"`
	Session webauthn.SessionData `json:"session"`
}

// user is a webauthn.User made of one auth identity's passkeys, or of a
// new registration's handle and name.
type user struct {
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.handle }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// Begin implements provider.Beginner. The body's "ceremony" is
// CeremonyLogin or CeremonyRegister. A login may carry "email": the
// options then allow only the passkeys of the identity whose
// email-and-password login it is (a login with a username), when it has
// any; otherwise any passkey of the relying party. A registration may
// carry "name", the account name the authenticator shows (an email, a
// username; default "passkey"). It answers the options to pass to navigator.credentials:
// {"publicKey": {...}} as the WebAuthn JSON forms
// (PublicKeyCredentialCreationOptionsJSON, …RequestOptionsJSON). The
// ceremony is kept in the store under its challenge, bound to in.Binding,
// for Config.ChallengeTTL.
func (p *Provider) Begin(ctx context.Context, in provider.Input, ids provider.Identities) ([]byte, error) {
	if in.Binding == "" {
		return nil, provider.Fail(ID, store.ErrInvalid, msgNoBinding)
	}
	kind, _ := in.Body["ceremony"].(string)
	var (
		options any
		c       = ceremony{Kind: kind, Binding: bindingHash(in.Binding)}
	)
	switch kind {
	case CeremonyLogin:
		opts := []webauthn.LoginOption{webauthn.WithUserVerification(p.uv)}
		allowed, err := p.allowed(ctx, in, ids)
		if err != nil {
			return nil, err
		}
		if len(allowed) > 0 {
			opts = append(opts, webauthn.WithAllowedCredentials(allowed))
		}
		assertion, session, err := p.wa.BeginDiscoverableLogin(opts...)
		if err != nil {
			return nil, fmt.Errorf("passkey: begin login: %w", err)
		}
		options, c.Session = assertion, *session
	case CeremonyRegister:
		name, _ := in.Body["name"].(string)
		name = strings.TrimSpace(name)
		if name == "" {
			name = "passkey"
		}
		if len(name) > 256 {
			return nil, provider.Fail(ID, store.ErrInvalid, "Invalid request: Field 'name' must be at most 256 characters")
		}
		if err := text.Check("name", name); err != nil {
			return nil, provider.Fail(ID, store.ErrInvalid, "Invalid request: Field 'name' must be text")
		}
		// Each passkey gets a random user handle: it names no person
		// (the WebAuthn user handle must not), and a second passkey of
		// one account on one authenticator does not replace the first.
		handle := make([]byte, 32)
		_, _ = rand.Read(handle)
		creation, session, err := p.wa.BeginRegistration(&user{handle: handle, name: name},
			webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
		if err != nil {
			return nil, fmt.Errorf("passkey: begin registration: %w", err)
		}
		options, c.Session, c.Name = creation, *session, name
	default:
		return nil, provider.Fail(ID, store.ErrInvalid, msgCeremony)
	}
	c.Session.Expires = time.Time{}
	state, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if err := ids.SetState(ctx, c.Session.Challenge, state, p.ttl); err != nil {
		return nil, err
	}
	return json.Marshal(options)
}

// allowed returns the passkeys a login that names its account by
// "email" may use: those of the identity whose email-and-password login
// it is. An email that names no such identity, or one without passkeys,
// gets a usernameless login's options.
func (p *Provider) allowed(ctx context.Context, in provider.Input, ids provider.Identities) ([]protocol.CredentialDescriptor, error) {
	email, _ := in.Body["email"].(string)
	finder, ok := ids.(provider.EmailFinder)
	if strings.TrimSpace(email) == "" || !ok {
		return nil, nil
	}
	identity, err := finder.RetrieveByEmail(ctx, email)
	if provider.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []protocol.CredentialDescriptor
	for _, pi := range identity.ProviderIdentities {
		if cred, _, ok := credentialFrom(pi); ok {
			out = append(out, cred.Descriptor())
		}
	}
	return out, nil
}

// Authenticate implements provider.Provider: in.Body is the browser's
// PublicKeyCredential as JSON (its toJSON()). An assertion logs in with
// the passkey it names; an attestation finishes a registration, as
// Register does (through auth.Service.Link it adds the passkey to the
// logged-in identity).
func (p *Provider) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	raw, err := json.Marshal(in.Body)
	if err != nil {
		return nil, provider.Fail(ID, store.ErrInvalid, msgMalformed)
	}
	if resp, ok := in.Body["response"].(map[string]any); ok {
		if _, att := resp["attestationObject"]; att {
			return p.register(ctx, raw, in.Binding, ids)
		}
	}
	return p.login(ctx, raw, in.Binding, ids)
}

// ValidateCallback implements provider.CallbackValidator as Authenticate:
// the second step of either ceremony comes back the way a redirect login
// does, to the route that checks the browser binding (httpapi's POST
// /auth/{actor_type}/passkey/callback).
func (p *Provider) ValidateCallback(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	return p.Authenticate(ctx, in, ids)
}

// Register implements provider.Registerer: in.Body is the browser's
// PublicKeyCredential from navigator.credentials.create, answering the
// options of a CeremonyRegister Begin. It creates an auth identity with
// the passkey as its provider identity (entity_id the base64url
// credential id).
func (p *Provider) Register(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	raw, err := json.Marshal(in.Body)
	if err != nil {
		return nil, provider.Fail(ID, store.ErrInvalid, msgMalformed)
	}
	return p.register(ctx, raw, in.Binding, ids)
}

func (p *Provider) register(ctx context.Context, raw []byte, binding string, ids provider.Identities) (*provider.Result, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return nil, provider.Fail(ID, store.ErrInvalid, msgMalformed)
	}
	c, err := p.take(ctx, parsed.Response.CollectedClientData.Challenge, binding, CeremonyRegister, ids)
	if err != nil {
		return nil, err
	}
	u := &user{handle: c.Session.UserID, name: c.Name}
	cred, err := p.wa.CreateCredential(u, c.Session, parsed)
	if err != nil {
		return nil, provider.Fail(ID, provider.ErrUnauthorized, msgFailed)
	}
	entityID := base64.RawURLEncoding.EncodeToString(cred.ID)
	identity, err := ids.Create(ctx, provider.NewIdentity{
		EntityID:         entityID,
		UserMetadata:     map[string]any{"name": c.Name},
		ProviderMetadata: credentialMetadata(cred, c.Session.UserID),
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, provider.Fail(ID, store.ErrConflict, msgRegistered)
	}
	if err != nil {
		return nil, err
	}
	return &provider.Result{AuthIdentity: identity}, nil
}

func (p *Provider) login(ctx context.Context, raw []byte, binding string, ids provider.Identities) (*provider.Result, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, provider.Fail(ID, store.ErrInvalid, msgMalformed)
	}
	c, err := p.take(ctx, parsed.Response.CollectedClientData.Challenge, binding, CeremonyLogin, ids)
	if err != nil {
		return nil, err
	}
	entityID := base64.RawURLEncoding.EncodeToString(parsed.RawID)
	var (
		before    *provider.ProviderIdentity
		lookupErr error
	)
	handler := func(_, _ []byte) (webauthn.User, error) {
		found, err := ids.Retrieve(ctx, entityID)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		u := &user{}
		for _, pi := range found.ProviderIdentities {
			cred, handle, ok := credentialFrom(pi)
			if !ok {
				continue
			}
			if pi.EntityID == entityID {
				before, u.handle = pi, handle
			}
			u.creds = append(u.creds, cred)
		}
		if before == nil {
			return nil, errors.New("unknown credential")
		}
		return u, nil
	}
	cred, err := p.wa.ValidateDiscoverableLogin(handler, c.Session, parsed)
	if lookupErr != nil && !provider.IsNotFound(lookupErr) {
		var pe *provider.Error
		if !errors.As(lookupErr, &pe) {
			return nil, lookupErr // the store failed: not the caller's fault
		}
	}
	if err != nil {
		// An unknown passkey and a failed proof answer alike.
		return nil, provider.Fail(ID, provider.ErrUnauthorized, msgFailed)
	}
	if cred.Authenticator.CloneWarning {
		return nil, provider.Fail(ID, provider.ErrUnauthorized, msgClone)
	}
	// The counter and the backup state are written only if no other
	// login moved the counter meanwhile: of two logins that present one
	// counter value, one passes.
	stored := signCount(before)
	handle, _ := base64.RawURLEncoding.DecodeString(str(before.ProviderMetadata[keyUserHandle]))
	applied := false
	updated, err := ids.Update(ctx, entityID, provider.IdentityUpdate{
		ProviderMetadata: credentialMetadata(cred, handle),
		If: func(cur *provider.ProviderIdentity) bool {
			applied = signCount(cur) == stored
			return applied
		},
	})
	if err != nil {
		return nil, err
	}
	if !applied {
		return nil, provider.Fail(ID, provider.ErrUnauthorized, msgClone)
	}
	// An assertion made with user verification (a PIN, a fingerprint)
	// is possession and knowledge or inherence at once: the login needs
	// no second factor. The flag is part of the signed authenticator
	// data; the credential's own flag is latched, so the assertion's is
	// read.
	uv := parsed.Response.AuthenticatorData.Flags.HasUserVerified()
	return &provider.Result{AuthIdentity: updated, MultiFactor: uv}, nil
}

// take takes the ceremony stored under challenge, once, and checks that
// the browser that began it finishes it and that it is of kind.
func (p *Provider) take(ctx context.Context, challenge, binding, kind string, ids provider.Identities) (*ceremony, error) {
	if challenge == "" {
		return nil, provider.Fail(ID, provider.ErrUnauthorized, msgChallenge)
	}
	raw, err := ids.TakeState(ctx, challenge)
	if provider.IsNotFound(err) {
		return nil, provider.Fail(ID, provider.ErrUnauthorized, msgChallenge)
	}
	if err != nil {
		return nil, err
	}
	var c ceremony
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("passkey: stored ceremony: %w", err)
	}
	if binding == "" || subtle.ConstantTimeCompare(c.Binding, bindingHash(binding)) != 1 {
		return nil, provider.Fail(ID, provider.ErrUnauthorized, msgBinding)
	}
	if c.Kind != kind {
		return nil, provider.Fail(ID, provider.ErrUnauthorized, msgChallenge)
	}
	return &c, nil
}

func bindingHash(b string) []byte {
	sum := sha256.Sum256([]byte("clientele passkey binding\x00" + b))
	return sum[:]
}
