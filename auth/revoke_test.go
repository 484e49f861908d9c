package auth_test

import (
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clientele/clientele/auth"
)

// TestClienteleClaims checks login_at and iat_ms: read when well formed,
// refused when they disagree with iat or are not numbers, and absent from
// what Tokens.Issue writes (Medusa's form).
func TestClienteleClaims(t *testing.T) {
	tk, err := auth.NewTokens(auth.TokenConfig{Secret: tokSecret, Now: tokClock(tokNow)})
	if err != nil {
		t.Fatal(err)
	}
	iat := tokNow.Unix() - 60
	sign := func(kv ...any) string {
		return handSign(t, jwt.SigningMethodHS256, tokSecret, hs256Header, withMembers(authPayload(), kv...))
	}
	c, err := tk.Verify(sign("login_at", iat-3600, "iat_ms", iat*1000+999))
	if err != nil {
		t.Fatal(err)
	}
	if c.LoginAt == nil || c.LoginAt.Unix() != iat-3600 || c.IssuedAtMs != iat*1000+999 {
		t.Fatalf("login_at %v, iat_ms %d", c.LoginAt, c.IssuedAtMs)
	}
	bad := []struct{ name, token string }{
		{"iat_ms in another second", sign("iat_ms", (iat+1)*1000)},
		{"iat_ms without iat", sign("iat", tokDeleted, "iat_ms", iat*1000)},
		{"negative iat_ms", sign("iat_ms", -5)},
		{"iat_ms a string", sign("iat_ms", "1767225540000")},
		{"iat_ms fractional", sign("iat_ms", 1767225540000.5)},
		{"login_at after iat", sign("login_at", iat+1)},
		{"login_at without iat", sign("iat", tokDeleted, "login_at", iat)},
		{"login_at a string", sign("login_at", "1767225540")},
		{"login_at null", sign("login_at", nil)},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if _, err := tk.Verify(b.token); !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("Verify = %v, want ErrInvalidToken", err)
			}
		})
	}
	tok, err := tk.Issue(auth.Claims{ActorType: "customer", AuthIdentityID: "authid_1", IssuedAtMs: 12345})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := tk.Verify(tok); err != nil || c.IssuedAtMs != 0 || c.LoginAt != nil {
		t.Fatalf("Issue wrote clientele's claims: %+v, %v", c, err)
	}
}
