package passkey

import (
	"encoding/base64"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/clientele/clientele/provider"
)

// Credential is a stored passkey, as a passkey provider identity's
// provider_metadata holds it.
type Credential struct {
	// ID is the credential id (the provider identity's entity_id is its
	// base64url form).
	ID []byte
	// UserHandle is the WebAuthn user handle the passkey was made for.
	UserHandle []byte
	// PublicKey is the COSE public key.
	PublicKey []byte
	// SignCount is the last signature counter seen.
	SignCount uint32
	// AAGUID identifies the authenticator's model (zeros when it does
	// not say).
	AAGUID []byte
	// BackupEligible and BackupState are the authenticator's backup
	// flags (BE, BS): whether the passkey can be synced, and whether it
	// is; BackupState follows each login.
	BackupEligible, BackupState bool
	// UserVerified says the last ceremony verified the user.
	UserVerified bool
	// Transports are the transports the browser reported.
	Transports []string
}

// CredentialOf returns the passkey that a passkey provider identity
// stores, and false when pi is not one.
func CredentialOf(pi *provider.ProviderIdentity) (Credential, bool) {
	c, handle, ok := credentialFrom(pi)
	if !ok {
		return Credential{}, false
	}
	out := Credential{ID: c.ID, UserHandle: handle, PublicKey: c.PublicKey, SignCount: c.Authenticator.SignCount,
		AAGUID: c.Authenticator.AAGUID, BackupEligible: c.Flags.BackupEligible, BackupState: c.Flags.BackupState,
		UserVerified: c.Flags.UserVerified}
	for _, t := range c.Transport {
		out.Transports = append(out.Transports, string(t))
	}
	return out, true
}

// credentialMetadata is the provider_metadata that keeps cred.
func credentialMetadata(cred *webauthn.Credential, handle []byte) map[string]any {
	enc := base64.RawURLEncoding.EncodeToString
	transports := make([]any, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	return map[string]any{
		keyUserHandle:     enc(handle),
		keyPublicKey:      enc(cred.PublicKey),
		keySignCount:      float64(cred.Authenticator.SignCount),
		keyAAGUID:         enc(cred.Authenticator.AAGUID),
		keyBackupEligible: cred.Flags.BackupEligible,
		keyBackupState:    cred.Flags.BackupState,
		keyUserVerified:   cred.Flags.UserVerified,
		keyTransports:     transports,
		keyAttestationFmt: cred.AttestationFormat,
	}
}

// credentialFrom reads a webauthn.Credential and its user handle from a
// passkey provider identity.
func credentialFrom(pi *provider.ProviderIdentity) (webauthn.Credential, []byte, bool) {
	if pi == nil || pi.Provider != ID {
		return webauthn.Credential{}, nil, false
	}
	dec := base64.RawURLEncoding.DecodeString
	m := pi.ProviderMetadata
	id, err1 := dec(pi.EntityID)
	handle, err2 := dec(str(m[keyUserHandle]))
	key, err3 := dec(str(m[keyPublicKey]))
	aaguid, err4 := dec(str(m[keyAAGUID]))
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || len(id) == 0 || len(key) == 0 {
		return webauthn.Credential{}, nil, false
	}
	c := webauthn.Credential{ID: id, PublicKey: key, AttestationFormat: str(m[keyAttestationFmt])}
	c.Authenticator.AAGUID = aaguid
	c.Authenticator.SignCount = signCount(pi)
	c.Flags.BackupEligible, _ = m[keyBackupEligible].(bool)
	c.Flags.BackupState, _ = m[keyBackupState].(bool)
	c.Flags.UserVerified, _ = m[keyUserVerified].(bool)
	c.Flags.UserPresent = true
	if ts, ok := m[keyTransports].([]any); ok {
		for _, t := range ts {
			c.Transport = append(c.Transport, protocol.AuthenticatorTransport(str(t)))
		}
	}
	return c, handle, true
}

// signCount reads the stored signature counter (a JSON number).
func signCount(pi *provider.ProviderIdentity) uint32 {
	if pi == nil {
		return 0
	}
	switch v := pi.ProviderMetadata[keySignCount].(type) {
	case float64:
		if v >= 0 && v <= 1<<32-1 {
			return uint32(v)
		}
	case int:
		return uint32(v)
	case int64:
		return uint32(v)
	}
	return 0
}

func str(v any) string { s, _ := v.(string); return s }
