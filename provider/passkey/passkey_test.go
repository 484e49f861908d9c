package passkey_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/passkey"
)

func TestNewRefusesIncompleteConfig(t *testing.T) {
	good := passkey.Config{RPID: "example.com", RPDisplayName: "Example", Origins: []string{"https://example.com"}}
	for _, tc := range []struct {
		name string
		edit func(*passkey.Config)
		want string
	}{
		{"no rp id", func(c *passkey.Config) { c.RPID = " " }, "relying party id"},
		{"no display name", func(c *passkey.Config) { c.RPDisplayName = "" }, "display name"},
		{"no origin", func(c *passkey.Config) { c.Origins = nil }, "origin"},
		{"negative ttl", func(c *passkey.Config) { c.ChallengeTTL = -time.Second }, "TTL"},
		{"unknown user verification", func(c *passkey.Config) { c.UserVerification = "always" }, "user verification"},
		{"bad rp id", func(c *passkey.Config) { c.RPID = "not a domain!" }, "passkey:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := passkey.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error about %q", err, tc.want)
			}
		})
	}
	p, err := passkey.New(good)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != passkey.ID || p.DisplayName() != "Passkey" {
		t.Fatalf("provider %q %q", p.ID(), p.DisplayName())
	}
}

func TestCredentialOfRefusesOtherIdentities(t *testing.T) {
	for _, pi := range []*provider.ProviderIdentity{
		nil,
		{Provider: "emailpass", EntityID: "ada@example.com", ProviderMetadata: map[string]any{}},
		{Provider: passkey.ID, EntityID: "not base64!", ProviderMetadata: map[string]any{"public_key": "AQID", "user_handle": "AQID", "aaguid": ""}},
		{Provider: passkey.ID, EntityID: "AQID", ProviderMetadata: map[string]any{"user_handle": "AQID", "aaguid": ""}},
	} {
		if c, ok := passkey.CredentialOf(pi); ok {
			t.Errorf("CredentialOf(%+v) = %+v, want none", pi, c)
		}
	}
	c, ok := passkey.CredentialOf(&provider.ProviderIdentity{Provider: passkey.ID, EntityID: "AQID", ProviderMetadata: map[string]any{
		"public_key": "BAUG", "user_handle": "BwgJ", "aaguid": "", "sign_count": float64(7), "backup_eligible": true, "transports": []any{"usb"},
	}})
	if !ok || c.SignCount != 7 || !c.BackupEligible || c.BackupState || len(c.Transports) != 1 || string(c.ID) != "\x01\x02\x03" {
		t.Fatalf("CredentialOf: %+v %v", c, ok)
	}
}
