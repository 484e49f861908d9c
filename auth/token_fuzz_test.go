package auth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/clientele/clientele/auth"
)

// isoMillis renders an MFA completion time as a token writes it (to the
// millisecond), or "" for none.
func isoMillis(t *auth.ISOTime) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// FuzzTokenReissue signs fuzzed payloads with the test secret. Properties:
// verification is deterministic; an accepted payload is never a reset
// token too; its claims re-encode as JSON; and re-issuing the verified
// claims gives a token that verifies to the same claims (iat excepted,
// which Issue stamps, the MFA time to the millisecond, and iat_ms, which
// Issue does not write).
func FuzzTokenReissue(f *testing.F) {
	tk := refTokens(f)
	exp, iat := tokNow.Unix()+60, tokNow.Unix()-60
	for _, p := range []string{
		fmt.Sprintf(`{"actor_id":"cus_1","actor_type":"customer","auth_identity_id":"authid_1","auth_provider":"emailpass","app_metadata":{"customer_id":"cus_1"},"user_metadata":{},"iat":%d,"exp":%d}`, iat, exp),
		fmt.Sprintf(`{"actor_id":"","actor_type":"user","auth_identity_id":"a","app_metadata":{"user_id":"u","n":1.5e2,"b":true,"z":null,"big":12345678901234567890},"user_metadata":{"name":"Zoë","l":[1,"x",{}]},"mfa_enabled":true,"mfa_challenge_completed_at":"2026-01-01T00:30:00.123456789+02:00","iat":%d,"exp":%d}`, iat, exp),
		fmt.Sprintf(`{"actor_id":"u","actor_type":"user","auth_identity_id":"a","login_at":%d,"iat_ms":%d,"iat":%d,"exp":%d.75,"nbf":%d,"iss":"i","aud":["a","b"],"sub":"s","jti":"j"}`, iat-5, iat*1000+999, iat, exp, iat),
		fmt.Sprintf(`{"exp":%d,"aud":"one"}`, exp),
		fmt.Sprintf(`{"exp":%d,"purpose":"reset","jti":"j","entity_id":"e"}`, exp),
		`{"exp":1e13}`,
		"{}",
	} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		token := hsSign([]byte(`{"alg":"HS256","typ":"JWT","kid":"`+refKID+`"}`), payload, tokSecret)
		c, err := tk.Verify(token)
		c2, err2 := tk.Verify(token)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || !reflect.DeepEqual(c, c2) {
			t.Fatalf("Verify is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("Verify = %v, want ErrInvalidToken", err)
			}
			return
		}
		if _, err := tk.VerifyReset(token); err == nil {
			t.Fatal("a token verifies both as an auth token and as a reset token")
		}
		if c.AppMetadata == nil || c.UserMetadata == nil {
			t.Fatal("verified metadata is nil")
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatalf("verified claims do not re-encode: %v", err)
		}
		re, err := tk.Issue(*c)
		if err != nil {
			t.Fatalf("Issue(verified claims) = %v", err)
		}
		got, err := tk.Verify(re)
		if err != nil {
			t.Fatalf("re-issued token does not verify: %v", err)
		}
		want := *c
		want.IssuedAt, got.IssuedAt = nil, nil
		want.IssuedAtMs = 0
		if isoMillis(want.MFAChallengeCompletedAt) != isoMillis(got.MFAChallengeCompletedAt) {
			t.Fatalf("MFA time %s, re-verified %s", isoMillis(want.MFAChallengeCompletedAt), isoMillis(got.MFAChallengeCompletedAt))
		}
		want.MFAChallengeCompletedAt, got.MFAChallengeCompletedAt = nil, nil
		if !reflect.DeepEqual(&want, got) {
			t.Fatalf("claims %+v, re-verified %+v", want, *got)
		}
	})
}

// FuzzResetTokenReissue does the same for reset tokens: a verified reset
// token has purpose "reset", a jti and an entity_id, is not an auth token,
// and re-issuing its claims verifies to the same claims (iat excepted).
func FuzzResetTokenReissue(f *testing.F) {
	tk := refTokens(f)
	exp, iat := tokNow.Unix()+60, tokNow.Unix()-60
	for _, p := range []string{
		fmt.Sprintf(`{"entity_id":"a@b.co","provider":"emailpass","actor_type":"customer","purpose":"reset","jti":"0f0e","iat":%d,"exp":%d}`, iat, exp),
		fmt.Sprintf(`{"entity_id":"a","purpose":"reset","jti":"j","exp":%d,"nbf":%d,"aud":"x","iss":"y","sub":"z"}`, exp, iat),
		fmt.Sprintf(`{"entity_id":"a","purpose":"Reset","jti":"j","exp":%d}`, exp),
		fmt.Sprintf(`{"entity_id":"","purpose":"reset","jti":"j","exp":%d}`, exp),
		fmt.Sprintf(`{"actor_id":"u","exp":%d}`, exp),
	} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		token := hsSign([]byte(`{"alg":"HS256"}`), payload, tokSecret)
		c, err := tk.VerifyReset(token)
		c2, err2 := tk.VerifyReset(token)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || !reflect.DeepEqual(c, c2) {
			t.Fatalf("VerifyReset is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("VerifyReset = %v, want ErrInvalidToken", err)
			}
			return
		}
		if c.Purpose != auth.ResetPurpose || c.ID == "" || c.EntityID == "" {
			t.Fatalf("verified reset claims %+v lack purpose, jti or entity_id", *c)
		}
		if _, err := tk.Verify(token); err == nil {
			t.Fatal("a reset token verifies as an auth token")
		}
		re, err := tk.IssueReset(*c)
		if err != nil {
			t.Fatalf("IssueReset(verified claims) = %v", err)
		}
		got, err := tk.VerifyReset(re)
		if err != nil {
			t.Fatalf("re-issued reset token does not verify: %v", err)
		}
		want := *c
		want.IssuedAt, got.IssuedAt = nil, nil
		if !reflect.DeepEqual(&want, got) {
			t.Fatalf("claims %+v, re-verified %+v", want, *got)
		}
	})
}
