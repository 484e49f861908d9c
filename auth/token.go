package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clientele/clientele/store"
)

// Token errors. Every failure of [Tokens.Verify] and [Tokens.VerifyReset]
// matches ErrInvalidToken with errors.Is (and, through it, [ErrUnauthorized]).
// The errors never contain the token or a key; they may carry a short fixed
// reason such as "wrong issuer" after the sentinel's message.
var (
	// ErrInvalidToken is the kind of every token that does not verify: bad
	// signature, disallowed algorithm, unknown key id, malformed, missing or
	// wrong claims, expired, or the wrong kind of token (a reset token used
	// as an auth token or the reverse).
	ErrInvalidToken = store.Sentinel("auth: invalid token", ErrUnauthorized)
	// ErrTokenExpired is returned for a token whose signature is valid but
	// whose exp has passed (now >= exp + Leeway). It wraps ErrInvalidToken.
	ErrTokenExpired = store.Sentinel("auth: token expired", ErrInvalidToken)
)

// Default lifetimes, as in Medusa.
const (
	// DefaultTokenTTL is the lifetime of an auth token when TokenConfig.TTL
	// is zero (Medusa's http.jwtExpiresIn "1d").
	DefaultTokenTTL = 24 * time.Hour
	// DefaultResetTTL is the lifetime of a password-reset token when
	// TokenConfig.ResetTTL is zero (Medusa's "900s").
	DefaultResetTTL = 15 * time.Minute
	// ResetPurpose is the value of the purpose claim of a reset token.
	ResetPurpose = "reset"
)

// Claims are Medusa's auth token claims. [Tokens.Issue] writes them as
//
//	{"actor_id", "actor_type", "auth_identity_id", "auth_provider" (only when
//	 set), "app_metadata": {...}, "user_metadata": {...}, "mfa_enabled",
//	 "mfa_challenge_completed_at", "iat", "exp"}
//
// plus "iss" and "aud" when the [TokenConfig] sets them. iat and exp are
// numeric seconds. Auth tokens carry no jti, sub or nbf; other registered
// claims set by the caller are written as given.
type Claims struct {
	// ActorID is the id of the linked actor (e.g. the customer id), or ""
	// for an actorless token (identity registered, actor not yet created).
	ActorID string `json:"actor_id"`
	// ActorType is the actor type the token was issued for, e.g.
	// "customer" or "user".
	ActorType string `json:"actor_type"`
	// AuthIdentityID is the id of the auth identity.
	AuthIdentityID string `json:"auth_identity_id"`
	// AuthProvider is the provider used to log in; omitted when empty.
	AuthProvider string `json:"auth_provider,omitempty"`
	// AppMetadata is the identity's app_metadata (actor links such as
	// "customer_id"). It is always an object: nil is written as {} and a
	// verified token without it yields an empty map.
	AppMetadata map[string]any `json:"app_metadata"`
	// UserMetadata is the provider identity's user_metadata, always an
	// object like AppMetadata.
	UserMetadata map[string]any `json:"user_metadata"`
	// MFAEnabled is Medusa 2.21's "mfa_enabled": the identity had MFA on
	// when the token was issued (see [Service.LoginToken]). A token with
	// it and no MFAChallengeCompletedAt is the actorless token of a login
	// that must still complete its MFA challenge.
	MFAEnabled bool `json:"mfa_enabled"`
	// MFAChallengeCompletedAt is Medusa 2.21's
	// "mfa_challenge_completed_at": when the login's MFA challenge was
	// completed, written as JavaScript's toISOString does; nil (JSON null)
	// when none was.
	MFAChallengeCompletedAt *ISOTime `json:"mfa_challenge_completed_at"`
	// LoginAt is clientele's "login_at" claim (numeric seconds): when the
	// identity logged in. [Service.Token] sets it to the issue time and
	// [Service.Refresh] carries it over, so that a chain of refreshes ends
	// at the maximum login age ([WithMaxLoginAge]). Medusa ignores it;
	// tokens minted by Medusa have none, and their iat stands for it.
	LoginAt *jwt.NumericDate `json:"login_at,omitempty"`
	// IssuedAtMs is clientele's "iat_ms" claim: the issue time in Unix
	// milliseconds, written by [Service.Token] beside iat (whole seconds,
	// Medusa's form) so that a revocation can tell a token issued just
	// before it from one issued just after it in the same second. When
	// present it must agree with iat. Medusa ignores it.
	IssuedAtMs int64 `json:"iat_ms,omitempty"`
	// RegisteredClaims holds iat and exp, and iss and aud when configured.
	jwt.RegisteredClaims
}

// ResetClaims are the claims of a password-reset token (Medusa 2.21 form):
//
//	{"entity_id", "provider", "actor_type", "purpose": "reset", "iat", "exp", "jti"}
//
// plus "iss" and "aud" when configured. The jti is the value whose SHA-256
// Medusa stores to make the token single-use.
type ResetClaims struct {
	// EntityID is the provider identity's entity id (the e-mail for
	// emailpass).
	EntityID string `json:"entity_id"`
	// Provider is the provider id, e.g. "emailpass".
	Provider string `json:"provider"`
	// ActorType is the actor type the reset was requested for.
	ActorType string `json:"actor_type"`
	// Purpose is always [ResetPurpose]; IssueReset sets it and VerifyReset
	// requires it.
	Purpose string `json:"purpose"`
	// RegisteredClaims holds iat, exp and jti (ID), and iss and aud when
	// configured.
	jwt.RegisteredClaims
}

// VerificationKey is an additional public key accepted by [Tokens.Verify]
// and [Tokens.VerifyReset], typically a previous signing key kept during key
// rotation. Tokens are matched to it by their "kid" header.
type VerificationKey struct {
	// KeyID is the key id ("kid"); required and unique.
	KeyID string
	// Key is an *rsa.PublicKey (RS256, at least 2048 bits), an
	// *ecdsa.PublicKey on P-256 (ES256) or an ed25519.PublicKey (EdDSA).
	Key crypto.PublicKey
}

// TokenConfig configures [NewTokens].
type TokenConfig struct {
	// Secret signs and verifies HS256 tokens (Medusa's http.jwtSecret). It
	// is used when SigningKey is nil, and must then be non-empty. Any
	// non-empty secret is accepted so that Medusa deployments (whose
	// development default is "supersecret") interoperate, but secrets
	// shorter than 32 random bytes are weak: an attacker who captures one
	// token can brute-force a short or guessable secret offline and then
	// mint tokens for any actor. Secret is ignored when SigningKey is set.
	Secret []byte
	// SigningKey, when set, signs with RS256 (*rsa.PrivateKey, at least
	// 2048 bits), ES256 (*ecdsa.PrivateKey on P-256) or EdDSA
	// (ed25519.PrivateKey, or any crypto.Signer with an ed25519 public
	// key), with KeyID as the "kid" header. Its public key verifies tokens
	// with that kid and tokens with no kid at all.
	SigningKey crypto.Signer
	// KeyID is written as the "kid" header of issued tokens when non-empty
	// (for HS256 too).
	KeyID string
	// VerificationKeys are extra public keys accepted (key rotation), by
	// kid. A token whose kid is neither KeyID nor one of these is rejected.
	VerificationKeys []VerificationKey
	// TTL is the lifetime of auth tokens; zero means DefaultTokenTTL (24h,
	// Medusa's "1d").
	TTL time.Duration
	// ResetTTL is the lifetime of reset tokens; zero means DefaultResetTTL
	// (15m, Medusa's "900s").
	ResetTTL time.Duration
	// Issuer, when set, is written as "iss" and required on verification.
	Issuer string
	// Audience, when set, is written as "aud" and required on
	// verification: a token is accepted when its aud contains at least one
	// of these values.
	Audience []string
	// Leeway is the clock skew allowed on exp and iat (and nbf); default 0.
	Leeway time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Tokens issues and verifies auth and password-reset JWTs. It is immutable
// after [NewTokens] and safe for concurrent use.
//
// Verification accepts exactly the algorithms of the configured keys: HS256
// when a Secret is used, and RS256, ES256 or EdDSA for the signing key and
// each verification key. The key is chosen by the token's "kid" header; a
// token without kid is checked against the signing key (HS256 secret or
// SigningKey) only, so Medusa tokens (which have no kid) verify. A kid that
// names no configured key, or names a key of another algorithm, is
// rejected; the secret is never tried for an RS/ES/EdDSA header and no
// public key for an HS header. The signature is checked before the payload
// is decoded; the registered claims are then checked by jwt's Validator:
// exp is required (expired when now >= exp + Leeway, as in jsonwebtoken),
// iat must not be in the future, nbf is honoured, and iss and aud are
// required when configured. Tokens longer than 64 KiB, with padded or
// non-canonical base64url, or with a "crit" header are rejected.
type Tokens struct {
	method    jwt.SigningMethod
	signKey   any // []byte for HS256, the private key otherwise
	kid       string
	def       verifyKey            // key for tokens without kid
	byKID     map[string]verifyKey // keys by kid
	algs      []string             // the allow-list: algorithms of def and byKID
	validator *jwt.Validator
	ttl       time.Duration
	resetLife time.Duration
	issuer    string
	audience  []string
	now       func() time.Time
	jwks      []JWK
}

// verifyKey is a key accepted for verification with the only algorithm it
// may be used with.
type verifyKey struct {
	alg    string
	method jwt.SigningMethod
	key    any // []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// NewTokens validates cfg and returns a Tokens. It fails when no usable
// signing key is configured (an empty Secret without SigningKey), when a
// key has an unsupported type, an RSA key is shorter than 2048 bits or an
// ECDSA key is not on P-256, when key ids are empty (verification keys) or
// duplicated, or when a duration is negative.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	t := &Tokens{
		ttl:       cfg.TTL,
		resetLife: cfg.ResetTTL,
		issuer:    cfg.Issuer,
		audience:  slices.Clone(cfg.Audience),
		now:       cfg.Now,
		kid:       cfg.KeyID,
		byKID:     map[string]verifyKey{},
		jwks:      []JWK{},
	}
	switch {
	case cfg.TTL < 0:
		return nil, errors.New("auth: TokenConfig.TTL is negative")
	case cfg.ResetTTL < 0:
		return nil, errors.New("auth: TokenConfig.ResetTTL is negative")
	case cfg.Leeway < 0:
		return nil, errors.New("auth: TokenConfig.Leeway is negative")
	}
	if t.ttl == 0 {
		t.ttl = DefaultTokenTTL
	}
	if t.resetLife == 0 {
		t.resetLife = DefaultResetTTL
	}
	if t.now == nil {
		t.now = time.Now
	}
	if slices.Contains(t.audience, "") {
		return nil, errors.New("auth: TokenConfig.Audience has an empty value")
	}

	if cfg.SigningKey == nil {
		if len(cfg.Secret) == 0 {
			return nil, errors.New("auth: TokenConfig needs a Secret or a SigningKey")
		}
		secret := slices.Clone(cfg.Secret)
		t.method, t.signKey = jwt.SigningMethodHS256, secret
		t.def = verifyKey{alg: jwt.SigningMethodHS256.Alg(), method: jwt.SigningMethodHS256, key: secret}
	} else {
		method, priv, pub, err := signingKey(cfg.SigningKey)
		if err != nil {
			return nil, err
		}
		t.method, t.signKey = method, priv
		t.def = verifyKey{alg: method.Alg(), method: method, key: pub}
		t.jwks = append(t.jwks, newJWK(cfg.KeyID, method.Alg(), pub))
	}
	if cfg.KeyID != "" {
		t.byKID[cfg.KeyID] = t.def
	}
	for i, vk := range cfg.VerificationKeys {
		if vk.KeyID == "" {
			return nil, fmt.Errorf("auth: TokenConfig.VerificationKeys[%d] has no KeyID", i)
		}
		if _, dup := t.byKID[vk.KeyID]; dup {
			return nil, fmt.Errorf("auth: TokenConfig key id %q is used twice", vk.KeyID)
		}
		method, pub, err := publicKey(vk.Key)
		if err != nil {
			return nil, fmt.Errorf("auth: TokenConfig.VerificationKeys[%d]: %w", i, err)
		}
		t.byKID[vk.KeyID] = verifyKey{alg: method.Alg(), method: method, key: pub}
		t.jwks = append(t.jwks, newJWK(vk.KeyID, method.Alg(), pub))
	}

	t.algs = []string{t.def.alg}
	for _, k := range t.byKID {
		if !slices.Contains(t.algs, k.alg) {
			t.algs = append(t.algs, k.alg)
		}
	}
	slices.Sort(t.algs)
	opts := []jwt.ParserOption{
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(t.now),
	}
	if t.issuer != "" {
		opts = append(opts, jwt.WithIssuer(t.issuer))
	}
	if len(t.audience) > 0 {
		opts = append(opts, jwt.WithAudience(t.audience...))
	}
	t.validator = jwt.NewValidator(opts...)
	return t, nil
}

// signingKey checks a signing key and returns its method, the key in the
// form jwt's signing method expects, and its public key.
func signingKey(s crypto.Signer) (jwt.SigningMethod, any, any, error) {
	switch k := s.(type) {
	case *rsa.PrivateKey:
		if k.N == nil || k.N.BitLen() < 2048 {
			return nil, nil, nil, errors.New("auth: RSA signing key must have at least 2048 bits")
		}
		if err := k.Validate(); err != nil {
			return nil, nil, nil, errors.New("auth: RSA signing key is invalid")
		}
		return jwt.SigningMethodRS256, k, &k.PublicKey, nil
	case *ecdsa.PrivateKey:
		if _, _, err := publicKey(&k.PublicKey); err != nil {
			return nil, nil, nil, fmt.Errorf("auth: signing key: %w", err)
		}
		return jwt.SigningMethodES256, k, &k.PublicKey, nil
	case *ed25519.PrivateKey:
		if k == nil {
			return nil, nil, nil, errors.New("auth: unsupported signing key type")
		}
		return signingKey(*k)
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, nil, nil, errors.New("auth: Ed25519 signing key has the wrong size")
		}
	}
	// Any other signer (ed25519.PrivateKey included) is usable for EdDSA
	// when its public key is an Ed25519 key.
	if pub, ok := s.Public().(ed25519.PublicKey); ok && len(pub) == ed25519.PublicKeySize {
		return jwt.SigningMethodEdDSA, s, pub, nil
	}
	return nil, nil, nil, errors.New("auth: unsupported signing key type (want *rsa.PrivateKey, P-256 *ecdsa.PrivateKey or ed25519.PrivateKey)")
}

// publicKey checks a verification key and returns its signing method and
// the key in the form jwt's verification expects.
func publicKey(p crypto.PublicKey) (jwt.SigningMethod, any, error) {
	switch k := p.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < 2048 {
			return nil, nil, errors.New("RSA key must have at least 2048 bits")
		}
		if k.E < 3 || k.E%2 == 0 {
			return nil, nil, errors.New("RSA key has an invalid exponent")
		}
		return jwt.SigningMethodRS256, k, nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve != elliptic.P256() {
			return nil, nil, errors.New("ECDSA key must be on P-256 (ES256)")
		}
		if _, err := k.Bytes(); err != nil {
			return nil, nil, errors.New("ECDSA key is invalid")
		}
		return jwt.SigningMethodES256, k, nil
	case *ed25519.PublicKey:
		if k == nil {
			break
		}
		return publicKey(*k)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, nil, errors.New("Ed25519 key has the wrong size")
		}
		return jwt.SigningMethodEdDSA, k, nil
	}
	return nil, nil, errors.New("unsupported public key type (want *rsa.PublicKey, P-256 *ecdsa.PublicKey or ed25519.PublicKey)")
}

// Issue signs an auth token for c. It sets iat to now and, when
// c.ExpiresAt is nil, exp to now + TTL; it sets iss and aud when the config
// has them. Nil AppMetadata and UserMetadata are written as {}. c is not
// modified. Issue fails when the metadata cannot be encoded as JSON or exp
// is not after iat. To re-sign the claims of a verified token with a new
// lifetime, set their ExpiresAt to nil first.
func (t *Tokens) Issue(c Claims) (string, error) {
	c.IssuedAtMs = 0
	return t.issue(c, false)
}

// issue signs an auth token; with precise it writes iat_ms from the same
// clock reading as iat, and login_at (the issue time when c has none).
func (t *Tokens) issue(c Claims, precise bool) (string, error) {
	if c.AppMetadata == nil {
		c.AppMetadata = map[string]any{}
	}
	if c.UserMetadata == nil {
		c.UserMetadata = map[string]any{}
	}
	now, err := t.stamp(&c.RegisteredClaims, t.ttl)
	if err != nil {
		return "", err
	}
	if precise {
		c.IssuedAtMs = now.UnixMilli()
		if c.LoginAt == nil {
			c.LoginAt = c.IssuedAt
		} else {
			c.LoginAt = jwt.NewNumericDate(c.LoginAt.Time)
		}
	}
	return t.sign(&c)
}

// IssueReset signs a password-reset token for c. It sets purpose to
// "reset", a random jti (a UUIDv4 string from crypto/rand, like Medusa's
// randomUUID) when c.ID is empty, iat to now and, when c.ExpiresAt is nil,
// exp to now + ResetTTL; it sets iss and aud when the config has them. The
// caller stores a hash of the jti to make the token single-use.
func (t *Tokens) IssueReset(c ResetClaims) (string, error) {
	c.Purpose = ResetPurpose
	if c.ID == "" {
		id, err := newJTI()
		if err != nil {
			return "", err
		}
		c.ID = id
	}
	if _, err := t.stamp(&c.RegisteredClaims, t.resetLife); err != nil {
		return "", err
	}
	return t.sign(&c)
}

// resetTTL is the configured lifetime of reset tokens (ResetTTL or its
// default), for the stored reset-token record.
func (t *Tokens) resetTTL() time.Duration { return t.resetLife }

// stamp sets the time and configured registered claims and returns the
// clock reading it used.
func (t *Tokens) stamp(rc *jwt.RegisteredClaims, ttl time.Duration) (time.Time, error) {
	now := t.now()
	rc.IssuedAt = jwt.NewNumericDate(now)
	if rc.ExpiresAt == nil {
		rc.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	} else {
		rc.ExpiresAt = jwt.NewNumericDate(rc.ExpiresAt.Time)
	}
	if !rc.ExpiresAt.After(rc.IssuedAt.Time) {
		return now, errors.New("auth: token expiry is not after its issue time")
	}
	if t.issuer != "" {
		rc.Issuer = t.issuer
	}
	if len(t.audience) > 0 {
		rc.Audience = slices.Clone(t.audience)
	}
	return now, nil
}

func (t *Tokens) sign(c jwt.Claims) (string, error) {
	tok := jwt.NewWithClaims(t.method, c)
	if t.kid != "" {
		tok.Header["kid"] = t.kid
	}
	s, err := tok.SignedString(t.signKey)
	if err != nil {
		// Encoding errors of the metadata; jwt's messages hold no key.
		return "", fmt.Errorf("auth: sign token: %v", err)
	}
	return s, nil
}

// newJTI returns a random UUIDv4 string.
func newJTI() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("auth: token id: %v", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:]), nil
}

// Verify checks an auth token (signature, algorithm, key id, exp, iat, and
// iss/aud when configured) and returns its claims. It rejects a token whose
// payload has a "purpose" claim, so a password-reset token cannot be used
// as an auth token. exp, iat and nbf must be JSON numbers when present.
// AppMetadata and UserMetadata of the result are never nil. Claims that
// Claims has no field for are dropped.
// Every error matches [ErrInvalidToken]; an expired token gives
// [ErrTokenExpired].
func (t *Tokens) Verify(token string) (*Claims, error) {
	var w struct {
		Claims
		Purpose json.RawMessage `json:"purpose"`
		LoginAt strictDate      `json:"login_at"`
		timeClaims
	}
	if err := t.parse(token, &w, &w.timeClaims, &w.RegisteredClaims); err != nil {
		return nil, err
	}
	if len(w.Purpose) != 0 {
		return nil, badToken("not an auth token")
	}
	w.Claims.LoginAt = w.LoginAt.d
	if err := checkClientele(&w.Claims); err != nil {
		return nil, err
	}
	if w.AppMetadata == nil {
		w.AppMetadata = map[string]any{}
	}
	if w.UserMetadata == nil {
		w.UserMetadata = map[string]any{}
	}
	return &w.Claims, nil
}

// checkClientele checks clientele's own claims against iat: iat_ms must
// fall in iat's second, and login_at must not come after iat.
func checkClientele(c *Claims) error {
	iat := c.IssuedAt
	if c.IssuedAtMs != 0 && (iat == nil || c.IssuedAtMs < 0 || c.IssuedAtMs/1000 != iat.Unix()) {
		return badToken("iat_ms does not match iat")
	}
	if c.LoginAt != nil && (iat == nil || c.LoginAt.After(iat.Time)) {
		return badToken("login_at after iat")
	}
	return nil
}

// VerifyReset checks a password-reset token like [Tokens.Verify] and
// returns its claims. It requires purpose "reset", a non-empty jti and a
// non-empty entity_id, so an auth token fails here. It does not check that
// the jti is unused, nor the provider or actor type: the caller does.
func (t *Tokens) VerifyReset(token string) (*ResetClaims, error) {
	var w struct {
		ResetClaims
		timeClaims
	}
	if err := t.parse(token, &w, &w.timeClaims, &w.RegisteredClaims); err != nil {
		return nil, err
	}
	switch c := &w.ResetClaims; {
	case c.Purpose != ResetPurpose:
		return nil, badToken("not a reset token")
	case c.ID == "":
		return nil, badToken("reset token has no jti")
	case c.EntityID == "":
		return nil, badToken("reset token has no entity_id")
	}
	return &w.ResetClaims, nil
}

// maxTokenLen bounds the work spent on one token.
const maxTokenLen = 64 << 10

// b64 is strict base64url without padding: one spelling per byte string.
var b64 = base64.RawURLEncoding.Strict()

// parse verifies token and decodes its payload into dst, in this order: the
// three segments, the header, the algorithm against the allow-list, the key
// by kid, the signature (jwt's signing method), the payload (encoding/json;
// the time claims into tc, which shadows rc's), then rc with jwt's
// Validator. The payload is decoded only once the signature holds. Every
// failure is a tokenError or ErrTokenExpired.
func (t *Tokens) parse(token string, dst any, tc *timeClaims, rc *jwt.RegisteredClaims) error {
	if len(token) > maxTokenLen {
		return badToken("token too large")
	}
	head, rest, ok1 := strings.Cut(token, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(sig, '.') >= 0 || !isCompact(token) {
		return badToken("malformed")
	}
	hb, err := b64.DecodeString(head)
	if err != nil {
		return badToken("malformed")
	}
	k, err := t.key(hb)
	if err != nil {
		return err
	}
	sb, err := b64.DecodeString(sig)
	if err != nil {
		return badToken("malformed")
	}
	if k.method.Verify(token[:len(head)+1+len(payload)], sb, k.key) != nil {
		return badToken("bad signature")
	}
	pb, err := b64.DecodeString(payload)
	if err != nil {
		return badToken("malformed")
	}
	if err := json.Unmarshal(pb, dst); err != nil {
		return badToken("malformed claims")
	}
	rc.ExpiresAt, rc.IssuedAt, rc.NotBefore = tc.Exp.d, tc.Iat.d, tc.Nbf.d
	if err := t.validator.Validate(rc); err != nil {
		return verifyError(err)
	}
	return nil
}

// key decodes a JOSE header as jwt's Parser does (a JSON object, member
// names matched exactly, the last of duplicate members wins) and picks its
// verification key: no crit, alg a string in the allow-list, kid (when
// present and not empty) a string naming a configured key, the signing key
// for a token without kid, and the key's algorithm equal to alg.
func (t *Tokens) key(b []byte) (verifyKey, error) {
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil || h == nil {
		return verifyKey{}, badToken("malformed header")
	}
	kid, ok := h["kid"].(string)
	if _, has := h["kid"]; has && !ok {
		return verifyKey{}, badToken("malformed kid")
	}
	alg, ok := h["alg"].(string)
	if !ok {
		return verifyKey{}, badToken("missing alg")
	}
	if _, crit := h["crit"]; crit {
		// RFC 7515 section 4.1.11: no extension is understood here.
		return verifyKey{}, badToken("unsupported critical header")
	}
	if !slices.Contains(t.algs, alg) {
		return verifyKey{}, badToken("algorithm not allowed")
	}
	k := t.def
	if kid != "" {
		if k, ok = t.byKID[kid]; !ok {
			return verifyKey{}, badToken("unknown key id")
		}
	}
	if k.alg != alg {
		return verifyKey{}, badToken("algorithm does not match the key")
	}
	return k, nil
}

// isCompact reports whether s has only base64url characters and dots, so
// that one token has one spelling (base64 decoding skips CR and LF).
func isCompact(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// tokenError is a verification failure with a fixed reason.
type tokenError struct{ reason string }

func badToken(reason string) error { return &tokenError{reason: reason} }

func (e *tokenError) Error() string { return ErrInvalidToken.Error() + ": " + e.reason }

// Unwrap returns ErrInvalidToken.
func (e *tokenError) Unwrap() error { return ErrInvalidToken }

// verifyError maps an error of jwt's Validator to ours. jwt's errors are
// not wrapped: they are not part of this package's API. When the claims
// have several faults, expiry is reported only if it is the only one.
func verifyError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return badToken("missing required claim")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return badToken("wrong issuer")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return badToken("wrong audience")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return badToken("issued in the future")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return badToken("not valid yet")
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired
	}
	return badToken("invalid claims")
}

// timeClaims shadows the time claims of an embedded RegisteredClaims while
// decoding (encoding/json prefers the shallower field), so that exp, iat
// and nbf must be JSON numbers: jwt's NumericDate also takes a numeric
// string, which jsonwebtoken rejects.
type timeClaims struct {
	Exp strictDate `json:"exp"`
	Iat strictDate `json:"iat"`
	Nbf strictDate `json:"nbf"`
}

// strictDate is a NumericDate that must be a JSON number.
type strictDate struct{ d *jwt.NumericDate }

// maxSeconds bounds time claims (year ~33658) so they convert to int64.
const maxSeconds = 1e12

// UnmarshalJSON accepts a JSON number only (not null, not a string) and
// converts it as jwt.NumericDate does (float seconds, truncated to
// jwt.TimePrecision).
func (s *strictDate) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return errors.New("time claim is not a number")
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.Abs(f) > maxSeconds {
		return errors.New("time claim is out of range")
	}
	sec, frac := math.Modf(f)
	s.d = jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9)))
	return nil
}
