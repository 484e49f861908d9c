// Package webauthntest is a software WebAuthn authenticator and client
// for tests: it answers the options of navigator.credentials.create and
// .get with the JSON a browser would send (attestation format "none",
// ES256 signatures by crypto/ecdsa), and lets a test bend what a real
// browser or authenticator would not (another origin or relying party id,
// a counter that goes backwards).
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Authenticator flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Authenticator is one passkey on a software authenticator, and the
// browser that talks to it. Its fields may be changed between ceremonies.
type Authenticator struct {
	// Origin is the origin the browser reports in clientDataJSON.
	Origin string
	// RPID, when set, replaces the relying party id of the options in
	// the authenticator data's rpIdHash.
	RPID string
	// SignCount is the counter of the next assertion; each Get adds one
	// first.
	SignCount uint32
	// BackupEligible and BackupState are the BE and BS flags it reports.
	BackupEligible, BackupState bool
	// NoUserVerification clears the UV flag: the authenticator reports
	// that it did not verify the user (a security key without a PIN).
	NoUserVerification bool
	// AAGUID is the authenticator's model id.
	AAGUID [16]byte

	key        *ecdsa.PrivateKey
	credID     []byte
	userHandle []byte
	rpID       string
}

// New returns an authenticator with a fresh ES256 key and credential id,
// used from origin.
func New(origin string) *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	handle := make([]byte, 32)
	_, _ = rand.Read(handle)
	a := &Authenticator{Origin: origin, key: key, credID: id, userHandle: handle}
	copy(a.AAGUID[:], "clientele-test-a")
	return a
}

// CredentialID returns the credential id.
func (a *Authenticator) CredentialID() []byte { return a.credID }

// EntityID returns the credential id in base64url, the passkey provider
// identity's entity_id.
func (a *Authenticator) EntityID() string { return b64(a.credID) }

// options is what the authenticator reads of the relying party's options.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func parse(opts []byte) (*options, error) {
	var o options
	if err := json.Unmarshal(opts, &o); err != nil {
		return nil, fmt.Errorf("webauthntest: options: %w", err)
	}
	if o.PublicKey.Challenge == "" {
		return nil, fmt.Errorf("webauthntest: options without a challenge")
	}
	return &o, nil
}

// Create answers the options of navigator.credentials.create: the
// PublicKeyCredential's JSON (toJSON()) as a map, ready to be a request
// body.
func (a *Authenticator) Create(opts []byte) (map[string]any, error) {
	o, err := parse(opts)
	if err != nil {
		return nil, err
	}
	if a.userHandle, err = base64.RawURLEncoding.DecodeString(o.PublicKey.User.ID); err != nil {
		return nil, fmt.Errorf("webauthntest: user id: %w", err)
	}
	a.rpID = o.PublicKey.RP.ID
	clientData := a.clientData("webauthn.create", o.PublicKey.Challenge)
	pub, err := a.key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: pub[1:33], YCoord: pub[33:],
	})
	if err != nil {
		return nil, err
	}
	auth := a.authData(flagAT, a.SignCount)
	auth = append(auth, a.AAGUID[:]...)
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(a.credID)))
	auth = append(auth, a.credID...)
	auth = append(auth, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, err
	}
	return a.credential(map[string]any{
		"clientDataJSON":    b64(clientData),
		"attestationObject": b64(att),
		"transports":        []any{"hybrid", "internal"},
	}), nil
}

// Get answers the options of navigator.credentials.get with an
// assertion of this passkey, its counter one more than before.
func (a *Authenticator) Get(opts []byte) (map[string]any, error) {
	o, err := parse(opts)
	if err != nil {
		return nil, err
	}
	if o.PublicKey.RPID != "" {
		a.rpID = o.PublicKey.RPID
	}
	a.SignCount++
	clientData := a.clientData("webauthn.get", o.PublicKey.Challenge)
	auth := a.authData(0, a.SignCount)
	hash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(auth, hash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, err
	}
	return a.credential(map[string]any{
		"clientDataJSON":    b64(clientData),
		"authenticatorData": b64(auth),
		"signature":         b64(sig),
		"userHandle":        b64(a.userHandle),
	}), nil
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// authData is the authenticator data up to the counter: rpIdHash, flags
// (UP, UV, BE and BS as set, and extra) and the counter.
func (a *Authenticator) authData(extra byte, count uint32) []byte {
	rpID := a.rpID
	if a.RPID != "" {
		rpID = a.RPID
	}
	h := sha256.Sum256([]byte(rpID))
	flags := flagUP | flagUV | extra
	if a.NoUserVerification {
		flags &^= flagUV
	}
	if a.BackupEligible {
		flags |= flagBE
	}
	if a.BackupState {
		flags |= flagBS
	}
	out := append([]byte{}, h[:]...)
	out = append(out, flags)
	return binary.BigEndian.AppendUint32(out, count)
}

func (a *Authenticator) credential(response map[string]any) map[string]any {
	return map[string]any{
		"id": b64(a.credID), "rawId": b64(a.credID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": response,
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
