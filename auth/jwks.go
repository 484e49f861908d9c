package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"slices"
)

// JWKS is a JSON Web Key Set (RFC 7517 section 5): the public keys that
// verify the tokens of a [Tokens]. It marshals as {"keys": [...]}.
type JWKS struct {
	// Keys are the keys; an empty (not nil) list for an HS256-only
	// configuration, whose secret is never published.
	Keys []JWK `json:"keys"`
}

// JWK is one public JSON Web Key (RFC 7517, with the RSA and EC members of
// RFC 7518 section 6 and the OKP members of RFC 8037). Binary members are
// unpadded base64url.
type JWK struct {
	// KeyType is "kty": "RSA", "EC" or "OKP".
	KeyType string `json:"kty"`
	// KeyID is "kid", omitted when the key has none.
	KeyID string `json:"kid,omitempty"`
	// Use is "use", always "sig".
	Use string `json:"use"`
	// Algorithm is "alg": "RS256", "ES256" or "EdDSA".
	Algorithm string `json:"alg"`
	// N is the RSA modulus "n".
	N string `json:"n,omitempty"`
	// E is the RSA public exponent "e".
	E string `json:"e,omitempty"`
	// Curve is "crv": "P-256" for EC, "Ed25519" for OKP.
	Curve string `json:"crv,omitempty"`
	// X is the EC x coordinate (32 bytes for P-256) or the Ed25519 public
	// key.
	X string `json:"x,omitempty"`
	// Y is the EC y coordinate (32 bytes for P-256).
	Y string `json:"y,omitempty"`
}

// JWKS returns the public keys that verify tokens: the signing key's public
// part first (when SigningKey is set), then the VerificationKeys in
// configuration order. With a Secret (HS256) the signing key is not listed,
// so the set holds only the verification keys, usually none. The result is
// a fresh copy the caller may modify.
func (t *Tokens) JWKS() JWKS {
	return JWKS{Keys: slices.Clone(t.jwks)}
}

// newJWK encodes a public key already checked by publicKey or signingKey.
func newJWK(kid, alg string, pub any) JWK {
	b64 := base64.RawURLEncoding.EncodeToString
	k := JWK{KeyID: kid, Use: "sig", Algorithm: alg}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		k.KeyType = "RSA"
		k.N = b64(p.N.Bytes())
		k.E = b64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		// Uncompressed SEC 1 point: 0x04 || X || Y, coordinates full size.
		pt, _ := p.Bytes()
		n := (len(pt) - 1) / 2
		k.KeyType, k.Curve = "EC", p.Curve.Params().Name
		k.X, k.Y = b64(pt[1:1+n]), b64(pt[1+n:])
	case ed25519.PublicKey:
		k.KeyType, k.Curve = "OKP", "Ed25519"
		k.X = b64(p)
	}
	return k
}
