package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clientele/clientele/auth"
)

// tokNow is the fixed clock of the tests: 2026-01-01T01:00:00Z, one hour after
// the iat of the golden tokens.
var tokNow = time.Unix(1767225600, 0).Add(time.Hour).UTC()

func tokClock(at time.Time) func() time.Time { return func() time.Time { return at } }

var tokSecret = []byte("an-hs256-test-secret-of-32-bytes")

// Test keys, generated once per test binary.
var (
	rsaKey1 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	rsaKey2 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	ecKey1  = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
	edKey1 = sync.OnceValue(func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func newTestTokens(tb testing.TB, cfg auth.TokenConfig) *auth.Tokens {
	tb.Helper()
	if cfg.Now == nil {
		cfg.Now = tokClock(tokNow)
	}
	tk, err := auth.NewTokens(cfg)
	if err != nil {
		tb.Fatalf("NewTokens: %v", err)
	}
	return tk
}

// medusaClaims is the claim set Medusa 2.21 puts in a customer's token.
func medusaClaims() auth.Claims {
	return auth.Claims{
		ActorID:        "cus_01JGZ8Q4T6W5B7N3XKAM2C9D0E",
		ActorType:      "customer",
		AuthIdentityID: "authid_01JGZ8Q4SRD1XN8V1QJ6W0K7T2",
		AuthProvider:   "emailpass",
		AppMetadata:    map[string]any{"customer_id": "cus_01JGZ8Q4T6W5B7N3XKAM2C9D0E"},
		UserMetadata:   map[string]any{},
	}
}

// tokSegments decodes the header and payload of a compact JWS.
func tokSegments(t *testing.T, token string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("segment: %v", err)
		}
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("segment: %v", err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1])
}

// handSign builds a token with an arbitrary header and payload, signed by
// method with key; method nil means alg "none" with an empty signature.
func handSign(t *testing.T, method jwt.SigningMethod, key any, header, payload map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(header) + "." + enc(payload)
	if method == nil {
		return signing + "."
	}
	sig, err := method.Sign(signing, key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// authPayload is a valid auth-token payload at t0.
func authPayload() map[string]any {
	return map[string]any{
		"actor_id": "cus_1", "actor_type": "customer", "auth_identity_id": "authid_1",
		"app_metadata": map[string]any{"customer_id": "cus_1"}, "user_metadata": map[string]any{},
		"iat": tokNow.Unix() - 60, "exp": tokNow.Unix() + 3600,
	}
}

// withMembers returns a copy of m with the members kv (name, value pairs)
// set, or removed when the value is tokDeleted.
func withMembers(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if _, del := kv[i+1].(tokDeleteMarker); del {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}

// tokDeleteMarker marks a member withMembers removes.
type tokDeleteMarker struct{}

var tokDeleted = tokDeleteMarker{}

var hs256Header = map[string]any{"alg": "HS256", "typ": "JWT"}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		cfg     auth.TokenConfig
		alg     string
		wantKID string
	}{
		{name: "HS256", cfg: auth.TokenConfig{Secret: tokSecret}, alg: "HS256"},
		{name: "HS256 short Medusa secret", cfg: auth.TokenConfig{Secret: []byte("supersecret")}, alg: "HS256"},
		{name: "HS256 with kid", cfg: auth.TokenConfig{Secret: tokSecret, KeyID: "hs-1"}, alg: "HS256", wantKID: "hs-1"},
		{name: "RS256", cfg: auth.TokenConfig{SigningKey: rsaKey1(), KeyID: "rsa-1"}, alg: "RS256", wantKID: "rsa-1"},
		{name: "RS256 without kid", cfg: auth.TokenConfig{SigningKey: rsaKey1()}, alg: "RS256"},
		{name: "ES256", cfg: auth.TokenConfig{SigningKey: ecKey1(), KeyID: "ec-1"}, alg: "ES256", wantKID: "ec-1"},
		{name: "EdDSA", cfg: auth.TokenConfig{SigningKey: edKey1(), KeyID: "ed-1"}, alg: "EdDSA", wantKID: "ed-1"},
		{name: "EdDSA pointer key", cfg: auth.TokenConfig{SigningKey: tokPtr(edKey1()), KeyID: "ed-1"}, alg: "EdDSA", wantKID: "ed-1"},
		{name: "HS256 iss aud", cfg: auth.TokenConfig{Secret: tokSecret, Issuer: "https://shop.example", Audience: []string{"store", "admin"}}, alg: "HS256"},
		{name: "TTL 2h", cfg: auth.TokenConfig{Secret: tokSecret, TTL: 2 * time.Hour}, alg: "HS256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := newTestTokens(t, tt.cfg)
			in := medusaClaims()
			token, err := tk.Issue(in)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			header, payload := tokSegments(t, token)
			wantHeader := map[string]any{"alg": tt.alg, "typ": "JWT"}
			if tt.wantKID != "" {
				wantHeader["kid"] = tt.wantKID
			}
			if fmt.Sprint(header) != fmt.Sprint(wantHeader) {
				t.Errorf("header = %v, want %v", header, wantHeader)
			}
			ttl := tt.cfg.TTL
			if ttl == 0 {
				ttl = 24 * time.Hour
			}
			if payload["iat"] != json.Number(fmt.Sprint(tokNow.Unix())) || payload["exp"] != json.Number(fmt.Sprint(tokNow.Add(ttl).Unix())) {
				t.Errorf("iat, exp = %v, %v; want integer seconds %d, %d", payload["iat"], payload["exp"], tokNow.Unix(), tokNow.Add(ttl).Unix())
			}
			wantKeys := []string{"actor_id", "actor_type", "app_metadata", "auth_identity_id", "auth_provider", "exp", "iat", "mfa_challenge_completed_at", "mfa_enabled", "user_metadata"}
			if tt.cfg.Issuer != "" {
				wantKeys = append(wantKeys, "iss", "aud")
			}
			slices.Sort(wantKeys)
			if got := tokKeys(payload); !slices.Equal(got, wantKeys) {
				t.Errorf("payload keys = %v, want %v", got, wantKeys)
			}

			got, err := tk.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.ActorID != in.ActorID || got.ActorType != in.ActorType || got.AuthIdentityID != in.AuthIdentityID ||
				got.AuthProvider != in.AuthProvider || got.AppMetadata["customer_id"] != in.AppMetadata["customer_id"] ||
				got.UserMetadata == nil || len(got.UserMetadata) != 0 {
				t.Errorf("Verify = %+v, want %+v", got, in)
			}
			if !got.IssuedAt.Equal(tokNow) || !got.ExpiresAt.Equal(tokNow.Add(ttl)) {
				t.Errorf("iat, exp = %v, %v", got.IssuedAt, got.ExpiresAt)
			}
			if got.Issuer != tt.cfg.Issuer || !slices.Equal(got.Audience, tt.cfg.Audience) {
				t.Errorf("iss, aud = %q, %q", got.Issuer, got.Audience)
			}
		})
	}
}

func tokPtr[T any](v T) *T { return &v }

// tokKeys returns the sorted keys of m.
func tokKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestIssueShapes(t *testing.T) {
	tk := newTestTokens(t, auth.TokenConfig{Secret: tokSecret})
	in := auth.Claims{ActorType: "customer", AuthIdentityID: "authid_1"}
	token, err := tk.Issue(in)
	if err != nil {
		t.Fatal(err)
	}
	if in.AppMetadata != nil || in.UserMetadata != nil || in.ExpiresAt != nil || in.IssuedAt != nil {
		t.Errorf("Issue modified its argument: %+v", in)
	}
	_, payload := tokSegments(t, token)
	// Medusa 2.21's shape: empty actor_id kept, auth_provider omitted,
	// metadata objects present, mfa_enabled false and no completion, no
	// jti/sub/nbf.
	want := `map[actor_id: actor_type:customer app_metadata:map[] auth_identity_id:authid_1 exp:1767315600 iat:1767229200 mfa_challenge_completed_at:<nil> mfa_enabled:false user_metadata:map[]]`
	if got := fmt.Sprint(payload); got != want {
		t.Errorf("payload = %s\nwant      %s", got, want)
	}
	got, err := tk.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	if got.AppMetadata == nil || got.UserMetadata == nil {
		t.Errorf("Verify returned nil metadata maps")
	}

	// An explicit expiry is kept.
	in.ExpiresAt = jwt.NewNumericDate(tokNow.Add(5 * time.Minute))
	token, err = tk.Issue(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, payload = tokSegments(t, token); payload["exp"] != json.Number(fmt.Sprint(tokNow.Unix()+300)) {
		t.Errorf("exp = %v, want now+300", payload["exp"])
	}
	// An expiry that is not after now is refused.
	in.ExpiresAt = jwt.NewNumericDate(tokNow)
	if _, err := tk.Issue(in); err == nil {
		t.Errorf("Issue with exp == now succeeded")
	}
	// Metadata that is not JSON fails without panicking.
	if _, err := tk.Issue(auth.Claims{AppMetadata: map[string]any{"f": func() {}}}); err == nil {
		t.Errorf("Issue with a func in app_metadata succeeded")
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestResetRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cfg  auth.TokenConfig
		ttl  time.Duration
		jti  string
	}{
		{name: "HS256 default TTL", cfg: auth.TokenConfig{Secret: tokSecret}, ttl: 15 * time.Minute},
		{name: "HS256 own jti", cfg: auth.TokenConfig{Secret: tokSecret}, ttl: 15 * time.Minute, jti: "my-jti"},
		{name: "ES256 ResetTTL 1h", cfg: auth.TokenConfig{SigningKey: ecKey1(), KeyID: "ec", ResetTTL: time.Hour}, ttl: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := newTestTokens(t, tt.cfg)
			in := auth.ResetClaims{EntityID: "jane@example.com", Provider: "emailpass", ActorType: "customer", Purpose: "ignored"}
			in.ID = tt.jti
			token, err := tk.IssueReset(in)
			if err != nil {
				t.Fatalf("IssueReset: %v", err)
			}
			_, payload := tokSegments(t, token)
			wantKeys := []string{"actor_type", "entity_id", "exp", "iat", "jti", "provider", "purpose"}
			if got := tokKeys(payload); !slices.Equal(got, wantKeys) {
				t.Errorf("payload keys = %v, want %v", got, wantKeys)
			}
			got, err := tk.VerifyReset(token)
			if err != nil {
				t.Fatalf("VerifyReset: %v", err)
			}
			if got.Purpose != "reset" || got.EntityID != in.EntityID || got.Provider != in.Provider || got.ActorType != in.ActorType {
				t.Errorf("VerifyReset = %+v", got)
			}
			if tt.jti != "" && got.ID != tt.jti {
				t.Errorf("jti = %q, want %q", got.ID, tt.jti)
			}
			if tt.jti == "" && !uuidV4.MatchString(got.ID) {
				t.Errorf("jti = %q, want a UUIDv4", got.ID)
			}
			if !got.ExpiresAt.Equal(tokNow.Add(tt.ttl)) || !got.IssuedAt.Equal(tokNow) {
				t.Errorf("iat, exp = %v, %v", got.IssuedAt, got.ExpiresAt)
			}
			if _, err := tk.Verify(token); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("Verify(reset token) = %v, want ErrInvalidToken", err)
			}
		})
	}
	// Two reset tokens never share a jti.
	tk := newTestTokens(t, auth.TokenConfig{Secret: tokSecret})
	seen := map[string]bool{}
	for range 100 {
		token, err := tk.IssueReset(auth.ResetClaims{EntityID: "e", Provider: "emailpass", ActorType: "customer"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := tk.VerifyReset(token)
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.ID] {
			t.Fatalf("jti %q repeated", c.ID)
		}
		seen[c.ID] = true
	}
}

func TestRotation(t *testing.T) {
	oldRSA := newTestTokens(t, auth.TokenConfig{SigningKey: rsaKey2(), KeyID: "2025"})
	oldNoKID := newTestTokens(t, auth.TokenConfig{SigningKey: rsaKey2()})
	current := newTestTokens(t, auth.TokenConfig{
		SigningKey: ecKey1(), KeyID: "2026",
		VerificationKeys: []auth.VerificationKey{
			{KeyID: "2025", Key: &rsaKey2().PublicKey},
			{KeyID: "ed", Key: edKey1().Public()},
		},
	})
	currentNoKID := newTestTokens(t, auth.TokenConfig{SigningKey: ecKey1()})
	otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	impostor := newTestTokens(t, auth.TokenConfig{SigningKey: otherEC, KeyID: "2026"})
	unknown := newTestTokens(t, auth.TokenConfig{SigningKey: rsaKey2(), KeyID: "2024"})
	edTokens := newTestTokens(t, auth.TokenConfig{SigningKey: edKey1(), KeyID: "ed"})
	// kid "2025" names the RSA key, but the token is ES256.
	mismatch := newTestTokens(t, auth.TokenConfig{SigningKey: ecKey1(), KeyID: "2025"})

	tests := []struct {
		name   string
		issuer *auth.Tokens
		ok     bool
	}{
		{"current key", current, true},
		{"old key listed in VerificationKeys", oldRSA, true},
		{"second verification key, other algorithm", edTokens, true},
		{"kid-less token from the signing key", currentNoKID, true},
		{"kid-less token from an old key", oldNoKID, false},
		{"unknown kid", unknown, false},
		{"known kid, other key", impostor, false},
		{"known kid, other algorithm", mismatch, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := tt.issuer.Issue(medusaClaims())
			if err != nil {
				t.Fatal(err)
			}
			_, err = current.Verify(token)
			if tt.ok && err != nil {
				t.Errorf("Verify: %v", err)
			}
			if !tt.ok && !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("Verify = %v, want ErrInvalidToken", err)
			}
		})
	}
}

// TestSecretWithVerificationKeys: with an HS256 secret, asymmetric
// verification keys are accepted by kid, each for its own algorithm only.
func TestSecretWithVerificationKeys(t *testing.T) {
	tk := newTestTokens(t, auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{KeyID: "ec", Key: &ecKey1().PublicKey}}})
	for _, tt := range []struct {
		name   string
		issuer *auth.Tokens
		ok     bool
	}{
		{"HS256 without kid", tk, true},
		{"ES256 by kid", newTestTokens(t, auth.TokenConfig{SigningKey: ecKey1(), KeyID: "ec"}), true},
		{"ES256 without kid", newTestTokens(t, auth.TokenConfig{SigningKey: ecKey1()}), false},
		{"HS256 with the EC key's kid", newTestTokens(t, auth.TokenConfig{Secret: tokSecret, KeyID: "ec"}), false},
	} {
		token, err := tt.issuer.Issue(medusaClaims())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Verify(token); (err == nil) != tt.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// rsaPublicPEM is the PEM of an RSA public key, the "secret" of an HS/RS
// algorithm-confusion attack.
func rsaPublicPEM(t *testing.T, k *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestVerifyRejects(t *testing.T) {
	hs := newTestTokens(t, auth.TokenConfig{Secret: tokSecret})
	hsKID := newTestTokens(t, auth.TokenConfig{Secret: tokSecret, KeyID: "hs"})
	rs := newTestTokens(t, auth.TokenConfig{SigningKey: rsaKey1(), KeyID: "rsa-1"})
	es := newTestTokens(t, auth.TokenConfig{SigningKey: ecKey1(), KeyID: "ec-1"})
	ed := newTestTokens(t, auth.TokenConfig{SigningKey: edKey1()})
	issAud := newTestTokens(t, auth.TokenConfig{Secret: tokSecret, Issuer: "https://shop.example", Audience: []string{"store"}})
	leeway := newTestTokens(t, auth.TokenConfig{Secret: tokSecret, Leeway: 2 * time.Minute})

	valid, err := hs.Issue(medusaClaims())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, ".")
	rsValid, err := rs.Issue(medusaClaims())
	if err != nil {
		t.Fatal(err)
	}
	reset, err := hs.IssueReset(auth.ResetClaims{EntityID: "jane@example.com", Provider: "emailpass", ActorType: "customer"})
	if err != nil {
		t.Fatal(err)
	}

	tamperedPayload := func() string {
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		b = []byte(strings.Replace(string(b), `"customer"`, `"user"`, 1))
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
	}()
	tamperedSig := func() string {
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sig[10] ^= 1
		return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	}()
	pubPEM := rsaPublicPEM(t, &rsaKey1().PublicKey)
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey1().PublicKey)

	expiredNow := tokNow.Add(24 * time.Hour) // exactly exp: expired (now >= exp)
	hsExpired := newTestTokens(t, auth.TokenConfig{Secret: tokSecret, Now: tokClock(expiredNow)})
	rsExpired := newTestTokens(t, auth.TokenConfig{SigningKey: rsaKey1(), KeyID: "rsa-1", Now: tokClock(expiredNow.Add(time.Hour))})

	tests := []struct {
		name    string
		tokens  *auth.Tokens
		token   string
		reset   bool   // VerifyReset instead of Verify
		expired bool   // want ErrTokenExpired
		ok      bool   // the control cases that must verify
		why     string // the reason the message must contain
	}{
		{name: "control: valid HS256", tokens: hs, token: valid, ok: true},
		{name: "control: exp-1s", tokens: newTestTokens(t, auth.TokenConfig{Secret: tokSecret, Now: tokClock(expiredNow.Add(-time.Second))}), token: valid, ok: true},
		{name: "control: expired within leeway", tokens: newTestTokens(t, auth.TokenConfig{Secret: tokSecret, Leeway: time.Minute, Now: tokClock(expiredNow)}), token: valid, ok: true},
		{name: "control: iat in future within leeway", tokens: leeway, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "iat", tokNow.Unix()+60)), ok: true},
		{name: "control: no iat", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "iat", tokDeleted)), ok: true},
		{name: "control: iss and aud", tokens: issAud, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "iss", "https://shop.example", "aud", "store")), ok: true},
		{name: "control: kid-less token, HS256 with KeyID", tokens: hsKID, token: valid, ok: true},
		{name: "control: reset", tokens: hs, token: reset, reset: true, ok: true},
		{name: "control: header with extra members", tokens: hs, ok: true, token: handSign(t, jwt.SigningMethodHS256, tokSecret, map[string]any{"alg": "HS256", "typ": "JWT", "cty": "x", "x5c": []string{"a"}}, authPayload())},
		{name: "control: empty kid", tokens: hs, ok: true, token: handSign(t, jwt.SigningMethodHS256, tokSecret, map[string]any{"alg": "HS256", "kid": ""}, authPayload())},

		{name: "empty", why: "malformed", tokens: hs, token: ""},
		{name: "garbage", why: "malformed", tokens: hs, token: "not a token"},
		{name: "two segments", why: "malformed", tokens: hs, token: parts[0] + "." + parts[1]},
		{name: "four segments", why: "malformed", tokens: hs, token: valid + ".x"},
		{name: "padded base64", why: "malformed", tokens: hs, token: parts[0] + "=." + parts[1] + "." + parts[2]},
		{name: "header not JSON", why: "malformed header", tokens: hs, token: base64.RawURLEncoding.EncodeToString([]byte("{alg")) + "." + parts[1] + "." + parts[2]},
		{name: "newline in signature", why: "malformed", tokens: hs, token: parts[0] + "." + parts[1] + "." + parts[2][:10] + "\n" + parts[2][10:]},
		{name: "non-canonical base64 signature", why: "malformed", tokens: hs, token: func() string {
			// The last character of a 32-byte signature carries 2 padding
			// bits; setting one gives another spelling of the same bytes.
			sig := []byte(parts[2])
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			sig[len(sig)-1] = alphabet[strings.IndexByte(alphabet, sig[len(sig)-1])|1]
			return parts[0] + "." + parts[1] + "." + string(sig)
		}()},
		{name: "too large", why: "too large", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "user_metadata", map[string]any{"x": strings.Repeat("a", 70000)}))},
		{name: "tampered payload", why: "bad signature", tokens: hs, token: tamperedPayload},
		{name: "tampered signature", why: "bad signature", tokens: hs, token: tamperedSig},
		{name: "signature stripped", why: "bad signature", tokens: hs, token: parts[0] + "." + parts[1] + "."},
		{name: "wrong secret", why: "bad signature", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, []byte("supersecret"), hs256Header, authPayload())},
		{name: "alg none vs HS256", why: "algorithm not allowed", tokens: hs, token: handSign(t, nil, nil, map[string]any{"alg": "none", "typ": "JWT"}, authPayload())},
		{name: "alg None vs HS256", why: "algorithm not allowed", tokens: hs, token: handSign(t, nil, nil, map[string]any{"alg": "None"}, authPayload())},
		{name: "alg none vs RS256", why: "algorithm not allowed", tokens: rs, token: handSign(t, nil, nil, map[string]any{"alg": "none", "kid": "rsa-1"}, authPayload())},
		{name: "alg none with a signature", why: "algorithm not allowed", tokens: hs, token: handSign(t, nil, nil, map[string]any{"alg": "none"}, authPayload()) + parts[2]},
		{name: "no alg", why: "missing alg", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, map[string]any{"typ": "JWT"}, authPayload())},
		{name: "HS384 with the right secret", why: "algorithm not allowed", tokens: hs, token: handSign(t, jwt.SigningMethodHS384, tokSecret, map[string]any{"alg": "HS384"}, authPayload())},
		{name: "HS/RS confusion: HMAC keyed with the RSA public key PEM", why: "algorithm not allowed", tokens: rs, token: handSign(t, jwt.SigningMethodHS256, pubPEM, hs256Header, authPayload())},
		{name: "HS/RS confusion with kid", why: "algorithm not allowed", tokens: rs, token: handSign(t, jwt.SigningMethodHS256, pubPEM, map[string]any{"alg": "HS256", "kid": "rsa-1"}, authPayload())},
		{name: "HS/RS confusion: HMAC keyed with the RSA public key DER", why: "algorithm not allowed", tokens: rs, token: handSign(t, jwt.SigningMethodHS256, pubDER, hs256Header, authPayload())},
		{name: "RS256 token against HS256 config", why: "algorithm not allowed", tokens: hs, token: rsValid},
		{name: "RS256 header with an ES256 key", why: "algorithm not allowed", tokens: es, token: handSign(t, jwt.SigningMethodRS256, rsaKey1(), map[string]any{"alg": "RS256", "kid": "ec-1"}, authPayload())},
		{name: "PS256 with the right RSA key", why: "algorithm not allowed", tokens: rs, token: handSign(t, jwt.SigningMethodPS256, rsaKey1(), map[string]any{"alg": "PS256", "kid": "rsa-1"}, authPayload())},
		{name: "EdDSA: signed by another key", why: "bad signature", tokens: ed, token: func() string {
			_, other, _ := ed25519.GenerateKey(rand.Reader)
			return handSign(t, jwt.SigningMethodEdDSA, other, map[string]any{"alg": "EdDSA"}, authPayload())
		}()},
		{name: "unknown kid", why: "unknown key id", tokens: hsKID, token: handSign(t, jwt.SigningMethodHS256, tokSecret, map[string]any{"alg": "HS256", "kid": "nope"}, authPayload())},
		{name: "unknown kid without configured kids", why: "unknown key id", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, map[string]any{"alg": "HS256", "kid": "nope"}, authPayload())},
		{name: "kid not a string", why: "malformed kid", tokens: hsKID, token: handSign(t, jwt.SigningMethodHS256, tokSecret, map[string]any{"alg": "HS256", "kid": 1}, authPayload())},
		{name: "crit header", why: "critical header", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, map[string]any{"alg": "HS256", "crit": []string{"b64"}, "b64": false}, authPayload())},
		{name: "expired (now == exp)", tokens: hsExpired, token: valid, expired: true},
		{name: "expired RS256", tokens: rsExpired, token: rsValid, expired: true},
		{name: "expired reset", tokens: newTestTokens(t, auth.TokenConfig{Secret: tokSecret, Now: tokClock(tokNow.Add(15 * time.Minute))}), token: reset, reset: true, expired: true},
		{name: "expired and bad signature", why: "bad signature", tokens: hsExpired, token: tamperedSig},
		{name: "no exp", why: "missing required claim", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "exp", tokDeleted))},
		{name: "exp null", why: "malformed claims", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "exp", nil))},
		{name: "exp a string", why: "malformed claims", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "exp", "9999999999"))},
		{name: "iat in the future", why: "issued in the future", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "iat", tokNow.Unix()+60))},
		{name: "nbf in the future", why: "not valid yet", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "nbf", tokNow.Unix()+60))},
		{name: "missing issuer", why: "missing required claim", tokens: issAud, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "aud", "store"))},
		{name: "wrong issuer", why: "wrong issuer", tokens: issAud, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "iss", "https://evil.example", "aud", "store"))},
		{name: "missing audience", why: "missing required claim", tokens: issAud, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "iss", "https://shop.example"))},
		{name: "wrong audience", why: "wrong audience", tokens: issAud, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "iss", "https://shop.example", "aud", []string{"admin"}))},
		{name: "payload not an object", why: "malformed claims", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, map[string]any{"app_metadata": "x", "exp": tokNow.Unix() + 60})},
		{name: "reset token as auth token", why: "not an auth token", tokens: hs, token: reset},
		{name: "auth token with purpose null", why: "not an auth token", tokens: hs, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), "purpose", nil))},
		{name: "auth token as reset token", why: "not a reset token", tokens: hs, token: valid, reset: true},
		{name: "reset token without jti", why: "no jti", tokens: hs, reset: true, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, map[string]any{
			"entity_id": "jane@example.com", "provider": "emailpass", "actor_type": "customer", "purpose": "reset", "iat": tokNow.Unix(), "exp": tokNow.Unix() + 900})},
		{name: "reset token with another purpose", why: "not a reset token", tokens: hs, reset: true, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, map[string]any{
			"entity_id": "jane@example.com", "provider": "emailpass", "actor_type": "customer", "purpose": "verify", "jti": "x", "iat": tokNow.Unix(), "exp": tokNow.Unix() + 900})},
		{name: "Medusa 2.0 reset token (no purpose)", why: "not a reset token", tokens: hs, reset: true, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, map[string]any{
			"entity_id": "jane@example.com", "provider": "emailpass", "jti": "x", "iat": tokNow.Unix(), "exp": tokNow.Unix() + 900})},
		{name: "reset token without entity_id", why: "no entity_id", tokens: hs, reset: true, token: handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, map[string]any{
			"provider": "emailpass", "actor_type": "customer", "purpose": "reset", "jti": "x", "iat": tokNow.Unix(), "exp": tokNow.Unix() + 900})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.reset {
				_, err = tt.tokens.VerifyReset(tt.token)
			} else {
				_, err = tt.tokens.Verify(tt.token)
			}
			if tt.ok {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("err = %v, want ErrInvalidToken", err)
			}
			if !errors.Is(err, auth.ErrUnauthorized) {
				t.Errorf("err = %v, want it to match ErrUnauthorized", err)
			}
			if !tt.expired && !strings.Contains(err.Error(), tt.why) {
				t.Errorf("err = %q, want the reason %q", err, tt.why)
			}
			if got := errors.Is(err, auth.ErrTokenExpired); got != tt.expired {
				t.Errorf("errors.Is(%v, ErrTokenExpired) = %v, want %v", err, got, tt.expired)
			}
			assertNoLeak(t, err, tt.token)
		})
	}
}

// assertNoLeak fails when an error message contains the token or a piece
// of it, or a secret.
func assertNoLeak(t *testing.T, err error, token string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "auth: invalid token") && msg != "auth: token expired" {
		t.Errorf("message %q has neither sentinel message as prefix", msg)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 8 && strings.Contains(msg, part) {
			t.Errorf("message %q contains a token segment", msg)
		}
	}
	for _, s := range []string{string(tokSecret), "supersecret"} {
		if strings.Contains(msg, s) {
			t.Errorf("message %q contains a secret", msg)
		}
	}
}

func TestErrorSentinels(t *testing.T) {
	if auth.ErrInvalidToken.Error() != "auth: invalid token" || auth.ErrTokenExpired.Error() != "auth: token expired" {
		t.Errorf("messages = %q, %q", auth.ErrInvalidToken, auth.ErrTokenExpired)
	}
	if !errors.Is(auth.ErrTokenExpired, auth.ErrInvalidToken) {
		t.Error("ErrTokenExpired does not wrap ErrInvalidToken")
	}
	if errors.Is(auth.ErrInvalidToken, auth.ErrTokenExpired) {
		t.Error("ErrInvalidToken matches ErrTokenExpired")
	}
	// jwt's errors are not part of the API.
	tk := newTestTokens(t, auth.TokenConfig{Secret: tokSecret})
	_, err := tk.Verify("a.b.c")
	for _, e := range []error{jwt.ErrTokenMalformed, jwt.ErrTokenSignatureInvalid, jwt.ErrTokenExpired} {
		if errors.Is(err, e) {
			t.Errorf("error wraps jwt's %v", e)
		}
	}
}

// goldenFile is testdata/medusa_tokens.json, made by medusa_tokens.js with
// Medusa's signing library (jsonwebtoken 9).
type goldenFile struct {
	Generator string `json:"generator"`
	Secret    string `json:"secret"`
	IAT       int64  `json:"iat"`
	Tokens    []struct {
		Name  string `json:"name"`
		Kind  string `json:"kind"`
		RSA   bool   `json:"rsa"`
		Token string `json:"token"`
	} `json:"tokens"`
}

func readRSAKey(t *testing.T, path string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func TestMedusaGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/medusa_tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	issued := time.Unix(g.IAT, 0)
	now := tokClock(issued.Add(10 * time.Minute))
	after := tokClock(issued.Add(25 * time.Hour))
	rsaKey := readRSAKey(t, "testdata/medusa_rs256_test_key.pem")
	cfg := func(rsa bool, now func() time.Time) auth.TokenConfig {
		if rsa {
			return auth.TokenConfig{SigningKey: rsaKey, Now: now}
		}
		return auth.TokenConfig{Secret: []byte(g.Secret), Now: now}
	}
	if len(g.Tokens) != 4 {
		t.Fatalf("%d golden tokens, want 4", len(g.Tokens))
	}
	for _, gt := range g.Tokens {
		t.Run(gt.Name, func(t *testing.T) {
			tk := newTestTokens(t, cfg(gt.RSA, now))
			expired := newTestTokens(t, cfg(gt.RSA, after))
			if gt.Kind == "reset" {
				c, err := tk.VerifyReset(gt.Token)
				if err != nil {
					t.Fatalf("VerifyReset: %v", err)
				}
				if c.EntityID != "jane@example.com" || c.Provider != "emailpass" || c.ActorType != "customer" ||
					c.Purpose != "reset" || !uuidV4.MatchString(c.ID) || c.ExpiresAt.Unix() != g.IAT+900 {
					t.Errorf("claims = %+v", c)
				}
				if _, err := tk.Verify(gt.Token); !errors.Is(err, auth.ErrInvalidToken) {
					t.Errorf("Verify(reset token) = %v", err)
				}
				if _, err := expired.VerifyReset(gt.Token); !errors.Is(err, auth.ErrTokenExpired) {
					t.Errorf("VerifyReset after exp = %v, want ErrTokenExpired", err)
				}
				return
			}
			c, err := tk.Verify(gt.Token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.ActorType != "customer" || c.AuthIdentityID != "authid_01JGZ8Q4SRD1XN8V1QJ6W0K7T2" ||
				c.IssuedAt.Unix() != g.IAT || c.ExpiresAt.Unix() != g.IAT+86400 ||
				c.AppMetadata == nil || c.UserMetadata == nil || len(c.UserMetadata) != 0 {
				t.Errorf("claims = %+v", c)
			}
			if strings.Contains(gt.Name, "2.21") {
				if c.ActorID != "cus_01JGZ8Q4T6W5B7N3XKAM2C9D0E" || c.AuthProvider != "emailpass" ||
					c.AppMetadata["customer_id"] != c.ActorID || fmt.Sprint(c.AppMetadata["roles"]) != "[role_1]" {
					t.Errorf("claims = %+v", c)
				}
			} else if c.ActorID != "" || c.AuthProvider != "" || len(c.AppMetadata) != 0 {
				t.Errorf("actorless claims = %+v", c)
			}
			if _, err := tk.VerifyReset(gt.Token); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("VerifyReset(auth token) = %v", err)
			}
			if _, err := expired.Verify(gt.Token); !errors.Is(err, auth.ErrTokenExpired) {
				t.Errorf("Verify after exp = %v, want ErrTokenExpired", err)
			}
			// Our re-issue of the same claims has Medusa's header, so
			// Medusa verifies it (checked by hand with jsonwebtoken).
			ours, err := tk.Issue(*c)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ours, strings.SplitN(gt.Token, ".", 2)[0]+".") {
				t.Errorf("our header %q differs from Medusa's %q", strings.SplitN(ours, ".", 2)[0], strings.SplitN(gt.Token, ".", 2)[0])
			}
		})
	}
}

// TestMedusaHMAC checks our HS256 signature against an independent
// computation: HMAC-SHA256(secret, header "." payload), base64url.
func TestMedusaHMAC(t *testing.T) {
	tk := newTestTokens(t, auth.TokenConfig{Secret: []byte("supersecret")})
	token, err := tk.Issue(medusaClaims())
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(token, '.')
	mac := hmac.New(sha256.New, []byte("supersecret"))
	io.WriteString(mac, token[:i])
	if want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); token[i+1:] != want {
		t.Errorf("signature %q, want %q", token[i+1:], want)
	}
	if !strings.HasPrefix(token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.") {
		t.Errorf(`header is not {"alg":"HS256","typ":"JWT"}: %s`, token)
	}
}

func TestJWKS(t *testing.T) {
	ecPub := &ecKey1().PublicKey
	ecBytes, err := ecPub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	edPub := edKey1().Public().(ed25519.PublicKey)
	b64 := base64.RawURLEncoding.EncodeToString
	rsaKeyJSON := func(kid string, k *rsa.PublicKey) map[string]any {
		return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": b64(k.N.Bytes()), "e": "AQAB"}
	}
	ecJSON := map[string]any{"kty": "EC", "kid": "ec-1", "use": "sig", "alg": "ES256", "crv": "P-256",
		"x": b64(ecBytes[1:33]), "y": b64(ecBytes[33:])}
	edJSON := map[string]any{"kty": "OKP", "kid": "ed-1", "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": b64(edPub)}

	tests := []struct {
		name string
		cfg  auth.TokenConfig
		want []map[string]any
	}{
		{name: "HS256", cfg: auth.TokenConfig{Secret: tokSecret, KeyID: "hs"}, want: []map[string]any{}},
		{name: "RSA", cfg: auth.TokenConfig{SigningKey: rsaKey1(), KeyID: "rsa-1"}, want: []map[string]any{rsaKeyJSON("rsa-1", &rsaKey1().PublicKey)}},
		{name: "EC", cfg: auth.TokenConfig{SigningKey: ecKey1(), KeyID: "ec-1"}, want: []map[string]any{ecJSON}},
		{name: "Ed25519", cfg: auth.TokenConfig{SigningKey: edKey1(), KeyID: "ed-1"}, want: []map[string]any{edJSON}},
		{name: "no kid", cfg: auth.TokenConfig{SigningKey: edKey1()}, want: []map[string]any{
			{"kty": "OKP", "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": b64(edPub)}}},
		{name: "rotation", cfg: auth.TokenConfig{SigningKey: rsaKey1(), KeyID: "rsa-1", VerificationKeys: []auth.VerificationKey{
			{KeyID: "rsa-0", Key: &rsaKey2().PublicKey}, {KeyID: "ec-1", Key: ecPub}, {KeyID: "ed-1", Key: edPub}}},
			want: []map[string]any{rsaKeyJSON("rsa-1", &rsaKey1().PublicKey), rsaKeyJSON("rsa-0", &rsaKey2().PublicKey), ecJSON, edJSON}},
		{name: "HS256 with a verification key", cfg: auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{KeyID: "ec-1", Key: ecPub}}},
			want: []map[string]any{ecJSON}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := newTestTokens(t, tt.cfg)
			b, err := json.Marshal(tk.JWKS())
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Keys == nil {
				t.Fatalf("JWKS = %s, want a keys array", b)
			}
			if fmt.Sprint(got.Keys) != fmt.Sprint(tt.want) {
				t.Errorf("JWKS = %s\nwant %v", b, tt.want)
			}
			// The published keys verify the tokens.
			if len(tt.want) > 0 && tt.cfg.SigningKey != nil {
				token, err := tk.Issue(medusaClaims())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return jwkPublicKey(t, tk.JWKS().Keys[0]), nil },
					jwt.WithValidMethods([]string{tk.JWKS().Keys[0].Algorithm}), jwt.WithTimeFunc(tokClock(tokNow))); err != nil {
					t.Errorf("token does not verify with the published key: %v", err)
				}
			}
		})
	}
	// The result is a copy.
	tk := newTestTokens(t, auth.TokenConfig{SigningKey: edKey1(), KeyID: "ed-1"})
	tk.JWKS().Keys[0].KeyID = "changed"
	if tk.JWKS().Keys[0].KeyID != "ed-1" {
		t.Error("JWKS shares its slice")
	}
	if b, _ := json.Marshal(newTestTokens(t, auth.TokenConfig{Secret: tokSecret}).JWKS()); string(b) != `{"keys":[]}` {
		t.Errorf("HS256 JWKS = %s", b)
	}
}

// jwkPublicKey decodes a JWK independently of the code under test.
func jwkPublicKey(t *testing.T, k auth.JWK) any {
	t.Helper()
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	switch k.KeyType {
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(dec(k.N)), E: int(new(big.Int).SetBytes(dec(k.E)).Int64())}
	case "EC":
		pt := append([]byte{4}, append(dec(k.X), dec(k.Y)...)...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	case "OKP":
		return ed25519.PublicKey(dec(k.X))
	}
	t.Fatalf("kty %q", k.KeyType)
	return nil
}

// hsmSigner is a crypto.Signer that is not one of the supported key types.
type hsmSigner struct{ pub crypto.PublicKey }

func (s hsmSigner) Public() crypto.PublicKey { return s.pub }
func (s hsmSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("no")
}

func TestNewTokensErrors(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsa1024 := mustRSA(1024)
	tests := []struct {
		name string
		cfg  auth.TokenConfig
	}{
		{"no secret, no key", auth.TokenConfig{}},
		{"empty secret", auth.TokenConfig{Secret: []byte{}}},
		{"RSA 1024", auth.TokenConfig{SigningKey: rsa1024}},
		{"ECDSA P-384", auth.TokenConfig{SigningKey: p384}},
		{"RSA signer that is not an *rsa.PrivateKey", auth.TokenConfig{SigningKey: hsmSigner{pub: &rsaKey1().PublicKey}}},
		{"short ed25519 key", auth.TokenConfig{SigningKey: ed25519.PrivateKey(make([]byte, 10))}},
		{"verification key without kid", auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{Key: &rsaKey1().PublicKey}}}},
		{"verification key with the signing kid", auth.TokenConfig{SigningKey: rsaKey1(), KeyID: "a", VerificationKeys: []auth.VerificationKey{{KeyID: "a", Key: &rsaKey2().PublicKey}}}},
		{"duplicate verification kid", auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{KeyID: "a", Key: &rsaKey1().PublicKey}, {KeyID: "a", Key: &rsaKey2().PublicKey}}}},
		{"verification key: secret bytes", auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{KeyID: "a", Key: []byte("x")}}}},
		{"verification key: private key", auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{KeyID: "a", Key: rsaKey1()}}}},
		{"verification key: RSA 1024", auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{KeyID: "a", Key: &rsa1024.PublicKey}}}},
		{"verification key: P-384", auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{KeyID: "a", Key: &p384.PublicKey}}}},
		{"verification key: nil", auth.TokenConfig{Secret: tokSecret, VerificationKeys: []auth.VerificationKey{{KeyID: "a"}}}},
		{"negative TTL", auth.TokenConfig{Secret: tokSecret, TTL: -time.Second}},
		{"negative ResetTTL", auth.TokenConfig{Secret: tokSecret, ResetTTL: -time.Second}},
		{"negative Leeway", auth.TokenConfig{Secret: tokSecret, Leeway: -time.Second}},
		{"empty audience value", auth.TokenConfig{Secret: tokSecret, Audience: []string{""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, err := auth.NewTokens(tt.cfg)
			if err == nil {
				t.Fatalf("NewTokens = %v, want an error", tk)
			}
			if strings.Contains(err.Error(), string(tokSecret)) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
	// An ed25519 signer that is not an ed25519.PrivateKey (e.g. a KMS key)
	// is accepted.
	if _, err := auth.NewTokens(auth.TokenConfig{SigningKey: hsmSigner{pub: edKey1().Public()}}); err != nil {
		t.Errorf("ed25519 signer: %v", err)
	}
}

// TestSecretCopied: changing the caller's secret slice after NewTokens does
// not change the key.
func TestSecretCopied(t *testing.T) {
	s := []byte("a secret that will be overwritten")
	tk := newTestTokens(t, auth.TokenConfig{Secret: s})
	token, err := tk.Issue(medusaClaims())
	if err != nil {
		t.Fatal(err)
	}
	clear(s)
	if _, err := tk.Verify(token); err != nil {
		t.Errorf("Verify after the caller cleared the secret: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	for _, cfg := range []auth.TokenConfig{
		{Secret: tokSecret, Now: time.Now},
		{SigningKey: edKey1(), KeyID: "ed", Now: time.Now},
	} {
		tk := newTestTokens(t, cfg)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					c := medusaClaims()
					c.ActorID = fmt.Sprintf("cus_%d_%d", g, i)
					token, err := tk.Issue(c)
					if err != nil {
						errs <- err
						return
					}
					got, err := tk.Verify(token)
					if err != nil {
						errs <- err
						return
					}
					if got.ActorID != c.ActorID {
						errs <- fmt.Errorf("actor_id %q, want %q", got.ActorID, c.ActorID)
						return
					}
					if r, err := tk.IssueReset(auth.ResetClaims{EntityID: c.ActorID, Provider: "emailpass", ActorType: "customer"}); err != nil {
						errs <- err
						return
					} else if _, err := tk.VerifyReset(r); err != nil {
						errs <- err
						return
					}
					_ = tk.JWKS()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}

func BenchmarkIssueHS256(b *testing.B) {
	tk := newTestTokens(b, auth.TokenConfig{Secret: []byte("supersecret")})
	c := medusaClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Issue(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHS256(b *testing.B) {
	tk := newTestTokens(b, auth.TokenConfig{Secret: []byte("supersecret")})
	token, err := tk.Issue(medusaClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, bc := range []struct {
		name string
		key  crypto.Signer
	}{{"RS256", rsaKey1()}, {"ES256", ecKey1()}, {"EdDSA", edKey1()}} {
		b.Run(bc.name, func(b *testing.B) {
			tk := newTestTokens(b, auth.TokenConfig{SigningKey: bc.key, KeyID: "k"})
			token, err := tk.Issue(medusaClaims())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tk.Verify(token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The fuzz tests below are differential: each token goes through Verify
// and through refVerify, an independent verification by golang-jwt's
// Parser, and the two must agree on acceptance, on expiry and on the
// claims.

// refKID is the key id of the tokens diffVerify verifies with.
const refKID = "hs"

// refTokens is the configuration refVerify stands for: tokSecret, KeyID
// refKID, no leeway, iss or aud, the clock at tokNow.
func refTokens(tb testing.TB) *auth.Tokens {
	return newTestTokens(tb, auth.TokenConfig{Secret: tokSecret, KeyID: refKID})
}

// refClaims is the Parser's decoding target, with Medusa's claim names.
type refClaims struct {
	ActorID        string         `json:"actor_id"`
	ActorType      string         `json:"actor_type"`
	AuthIdentityID string         `json:"auth_identity_id"`
	AuthProvider   string         `json:"auth_provider"`
	AppMetadata    map[string]any `json:"app_metadata"`
	UserMetadata   map[string]any `json:"user_metadata"`
	MFAEnabled     bool           `json:"mfa_enabled"`
	MFACompletedAt *string        `json:"mfa_challenge_completed_at"`
	jwt.RegisteredClaims
}

// refVerify verifies an auth token of refTokens with jwt's Parser plus the
// rules by which Verify is stricter than the Parser: no CR or LF (which
// base64 decoding skips), at most 64 KiB, kid absent, empty or refKID and
// a string, no crit header, time claims that are JSON numbers within
// ±1e12 s, no purpose claim, and an MFA completion that is null or an
// RFC 3339 time in the UTC years 0001 to 9999. A member name matches a claim the way
// encoding/json matches it: case-insensitively. expired reports a
// rejection for expiry alone.
func refVerify(token string) (c *auth.Claims, expired bool, err error) {
	if len(token) > 64<<10 || strings.ContainsAny(token, "\r\n") {
		return nil, false, errors.New("malformed")
	}
	var rc refClaims
	_, err = jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithStrictDecoding(), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(tokClock(tokNow)),
	).ParseWithClaims(token, &rc, func(tok *jwt.Token) (any, error) {
		if _, crit := tok.Header["crit"]; crit {
			return nil, errors.New("crit")
		}
		if kid, ok := tok.Header["kid"]; ok && kid != "" && kid != refKID {
			return nil, errors.New("kid")
		}
		return tokSecret, nil
	})
	if err != nil && !onlyExpired(err) {
		return nil, false, err
	}
	// The signature holds, so the payload is valid base64 and JSON.
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	d := json.NewDecoder(strings.NewReader(string(payload)))
	d.UseNumber()
	d.Token() // {
	hasPurpose := false
	for d.More() {
		name, _ := d.Token()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, false, err // not reached: the Parser decoded the payload
		}
		switch n := name.(string); {
		case strings.EqualFold(n, "purpose"):
			hasPurpose = true
		case strings.EqualFold(n, "exp"), strings.EqualFold(n, "iat"), strings.EqualFold(n, "nbf"):
			num, ok := v.(json.Number)
			f, err := num.Float64()
			if !ok || err != nil || f < -1e12 || f > 1e12 {
				return nil, false, errors.New("time claim")
			}
		}
	}
	// A malformed claim makes the token malformed, expired or not (as a
	// malformed time claim does above).
	var completed *auth.ISOTime
	if rc.MFACompletedAt != nil {
		at, perr := time.Parse(time.RFC3339Nano, *rc.MFACompletedAt)
		if perr != nil {
			return nil, false, perr
		}
		if y := at.UTC().Year(); y < 1 || y > 9999 {
			return nil, false, errors.New("MFA completion year")
		}
		completed = &auth.ISOTime{Time: at.UTC()}
	}
	switch {
	case err != nil:
		return nil, true, err
	case hasPurpose:
		return nil, false, errors.New("purpose")
	}
	c = &auth.Claims{ActorID: rc.ActorID, ActorType: rc.ActorType, AuthIdentityID: rc.AuthIdentityID,
		AuthProvider: rc.AuthProvider, AppMetadata: rc.AppMetadata, UserMetadata: rc.UserMetadata,
		MFAEnabled: rc.MFAEnabled, RegisteredClaims: rc.RegisteredClaims, MFAChallengeCompletedAt: completed}
	if c.AppMetadata == nil {
		c.AppMetadata = map[string]any{}
	}
	if c.UserMetadata == nil {
		c.UserMetadata = map[string]any{}
	}
	return c, false, nil
}

// onlyExpired reports whether a Parser error is expiry and no other fault.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range []error{jwt.ErrTokenRequiredClaimMissing, jwt.ErrTokenUsedBeforeIssued, jwt.ErrTokenNotValidYet,
		jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidAudience} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}

// diffVerify fails when Verify and refVerify disagree on token.
func diffVerify(t *testing.T, tk *auth.Tokens, token string) {
	t.Helper()
	got, err := tk.Verify(token)
	want, wantExpired, wantErr := refVerify(token)
	switch {
	case err == nil && wantErr != nil:
		t.Fatalf("token %q: Verify accepted it, reference: %v", token, wantErr)
	case err != nil && wantErr == nil:
		t.Fatalf("token %q: Verify = %v, the reference accepted it", token, err)
	case err != nil:
		if !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("token %q: Verify = %v, want ErrInvalidToken", token, err)
		}
		if errors.Is(err, auth.ErrTokenExpired) != wantExpired {
			t.Fatalf("token %q: Verify = %v, reference: %v", token, err, wantErr)
		}
		assertNoLeak(t, err, token)
	case !reflect.DeepEqual(got, want):
		t.Fatalf("token %q:\n got %#v\nwant %#v", token, got, want)
	}
}

// hsSign signs header and payload with HMAC-SHA256 (or SHA-384/512 when
// the header asks for it) keyed with key, independently of jwt.
func hsSign(header, payload []byte, key []byte) string {
	s := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	h := sha256.New
	var alg struct{ Alg any }
	if json.Unmarshal(header, &alg) == nil {
		switch alg.Alg {
		case "HS384":
			h = sha512.New384
		case "HS512":
			h = sha512.New
		}
	}
	mac := hmac.New(h, key)
	io.WriteString(mac, s)
	return s + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// FuzzVerifyDecode fuzzes the payload of a well-signed HS256 token.
func FuzzVerifyDecode(f *testing.F) {
	tk := refTokens(f)
	exp, iat := tokNow.Unix()+60, tokNow.Unix()-60
	for _, p := range []string{
		fmt.Sprintf(`{"actor_id":"cus_1","actor_type":"customer","auth_identity_id":"authid_1","auth_provider":"emailpass","app_metadata":{"customer_id":"cus_1"},"user_metadata":{},"iat":%d,"exp":%d}`, iat, exp),
		fmt.Sprintf(`{"actor_id":"","actor_type":"user","auth_identity_id":"a","app_metadata":{"user_id":"u","n":1.5e2,"b":true,"z":null},"user_metadata":{"name":"Zoë"},"mfa_enabled":false,"mfa_challenge_completed_at":null,"iat":%d,"exp":%d}`, iat, exp),
		fmt.Sprintf(`{"actor_id":"u","actor_type":"user","auth_identity_id":"a","mfa_enabled":true,"mfa_challenge_completed_at":"2026-01-02T15:04:05.123Z","iat":%d,"exp":%d}`, iat, exp),
		fmt.Sprintf(`{"mfa_enabled":"yes","mfa_challenge_completed_at":5,"exp":%d}`, exp),
		fmt.Sprintf(`{"mfa_challenge_completed_at":"2026-13-02","exp":%d}`, exp),
		fmt.Sprintf(` { "aud" : ["a","b"] , "iss":"x", "sub":"s", "jti":"j", "nbf":%d, "exp" : %d.5 } `, iat, exp),
		fmt.Sprintf(`{"aud":"a","exp":%d,"EXP":1}`, exp),
		fmt.Sprintf(`{"exp":%d,"app_metadata":{"a":1},"app_metadata":{"b":2}}`, exp),
		fmt.Sprintf(`{"exp":%d,"purpose":null}`, exp),
		fmt.Sprintf(`{"exp":%d,"Purpose":"reset"}`, exp),
		fmt.Sprintf(`{"exp":%de0,"actor_id":"\u0063us"}`, exp),
		fmt.Sprintf(`{"exp":"%d"}`, exp),
		`{"eXp":"0"}`,
		fmt.Sprintf(`{"exp":%d,"purpose":"reset"}`, tokNow.Unix()),
		fmt.Sprintf(`{"exp":"1","exp":%d}`, exp),
		fmt.Sprintf(`{"exp":%d,"iat":1e13}`, exp),
		fmt.Sprintf(`{"exp":%d,"iat":null}`, exp),
		fmt.Sprintf(`{"exp":%d,"iat":%d}`, tokNow.Unix(), tokNow.Unix()+60),
		fmt.Sprintf(`{"exp":%d,"app_metadata":{"roles":["r"]},"x":[1,{"y":2}]}`, exp),
		fmt.Sprintf(`{"exp":%d}`, tokNow.Unix()),
		fmt.Sprintf(`{"exp":%d,"app_metadata":"x"}`, exp),
		`{"exp":1e400}`,
		`{"exp":1e13}`,
		fmt.Sprintf(`{"exp":%d,"nbf":-1e13}`, exp),
		"{}",
		"null",
		"[]",
	} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		diffVerify(t, tk, hsSign([]byte(`{"alg":"HS256","typ":"JWT"}`), payload, tokSecret))
	})
}

// FuzzVerifyHeader fuzzes the header of a token, and the key that signs it.
func FuzzVerifyHeader(f *testing.F) {
	tk := refTokens(f)
	for _, h := range []string{
		`{"alg":"HS256","typ":"JWT"}`,
		`{"alg":"HS256","kid":"hs"}`,
		`{"alg":"HS256","kid":""}`,
		`{"alg":"HS256","kid":"other"}`,
		`{"alg":"HS256","kid":1}`,
		`{"alg":"HS256","kid":null}`,
		`{"alg":"none"}`,
		`{"typ":"JWT"}`,
		`{"alg":"HS256","crit":["b64"],"b64":false}`,
		`{"alg":"HS256","crit":null}`,
		`{"alg":"HS256","x5c":["a"],"alg":"HS384"}`,
		`{"alg":"HS384"}`,
		` { "alg" : "HS256" , "typ" : null } `,
		`{"ALG":"HS256"}`,
		`{"alg":"HS256","KID":"other"}`,
		`null`,
	} {
		f.Add([]byte(h), tokSecret)
	}
	f.Add([]byte(`{"alg":"HS256","typ":"JWT"}`), []byte("supersecret"))
	f.Add([]byte(`{"alg":"HS256","typ":"JWT"}`), []byte{})
	payload := []byte(fmt.Sprintf(
		`{"actor_id":"cus_1","actor_type":"customer","auth_identity_id":"a","app_metadata":{},"user_metadata":{},"exp":%d}`, tokNow.Unix()+60))
	f.Fuzz(func(t *testing.T, h, key []byte) {
		diffVerify(t, tk, hsSign(h, payload, key))
	})
}

// FuzzVerifyToken fuzzes whole tokens: segments, base64 and signatures.
func FuzzVerifyToken(f *testing.F) {
	tk := refTokens(f)
	valid, err := tk.Issue(medusaClaims())
	if err != nil {
		f.Fatal(err)
	}
	head, rest, _ := strings.Cut(valid, ".")
	for _, s := range []string{
		valid,
		valid + ".",
		head + "=." + rest,
		valid[:len(valid)-1] + "B",
		valid[:len(valid)-5] + "\n" + valid[len(valid)-5:],
		valid[:len(valid)-5] + "\r" + valid[len(valid)-5:],
		strings.Replace(valid, ".", "..", 1),
		head + ".." + rest[strings.IndexByte(rest, '.')+1:],
		"a.b.c",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		diffVerify(t, tk, token)
	})
}

// TestRefVerify checks the reference of the fuzz tests on known tokens, so
// that agreement with it means something.
func TestRefVerify(t *testing.T) {
	tk := refTokens(t)
	valid, err := tk.Issue(medusaClaims())
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := refVerify(valid); err != nil || got.ActorID != medusaClaims().ActorID {
		t.Fatalf("refVerify(valid) = %+v, %v", got, err)
	}
	exp := tokNow.Unix() + 60
	for _, tt := range []struct {
		name, header, payload string
		expired               bool
	}{
		{"purpose", `{"alg":"HS256"}`, fmt.Sprintf(`{"exp":%d,"PURPOSE":null}`, exp), false},
		{"exp a string", `{"alg":"HS256"}`, fmt.Sprintf(`{"exp":"%d"}`, exp), false},
		{"exp out of range", `{"alg":"HS256"}`, `{"exp":1e13}`, false},
		{"expired", `{"alg":"HS256"}`, fmt.Sprintf(`{"exp":%d}`, tokNow.Unix()), true},
		{"expired, with purpose", `{"alg":"HS256"}`, fmt.Sprintf(`{"exp":%d,"purpose":"reset"}`, tokNow.Unix()), true},
		{"expired, exp a string", `{"alg":"HS256"}`, `{"eXp":"0"}`, false},
		{"expired, iat in the future", `{"alg":"HS256"}`, fmt.Sprintf(`{"exp":%d,"iat":%d}`, tokNow.Unix(), exp), false},
		{"crit", `{"alg":"HS256","crit":[]}`, fmt.Sprintf(`{"exp":%d}`, exp), false},
		{"other kid", `{"alg":"HS256","kid":"x"}`, fmt.Sprintf(`{"exp":%d}`, exp), false},
		{"HS384", `{"alg":"HS384"}`, fmt.Sprintf(`{"exp":%d}`, exp), false},
	} {
		c, expired, err := refVerify(hsSign([]byte(tt.header), []byte(tt.payload), tokSecret))
		if err == nil || expired != tt.expired {
			t.Errorf("%s: refVerify = %+v, expired %v, %v", tt.name, c, expired, err)
		}
	}
}
