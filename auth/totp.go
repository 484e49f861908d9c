package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTP (RFC 6238) and the encryption of TOTP secrets, in Medusa 2.21's
// formats (@medusajs/auth utils/totp.js and utils/mfa.js):
//
//   - a secret is 20 random bytes, base32 (RFC 4648 alphabet, upper case,
//     no padding): 32 characters;
//   - a code is HOTP-SHA1 of the time step floor(unix seconds / period),
//     with 6, 7 or 8 digits, accepted from window steps before to window
//     steps after the current one (otplib's epochTolerance of
//     window × period seconds), and only when it is all ASCII digits and
//     exactly digits long;
//   - the stored secret is "v1:" + base64url(iv) + ":" + base64url(tag) +
//     ":" + base64url(ciphertext), AES-256-GCM with a 12-byte IV under the
//     SHA-256 of the encryption key, the plaintext being the base32 secret.
//
// The codes are computed by github.com/pquerna/otp's hotp package.

// totpSecretBytes is the size of a TOTP secret (Medusa's default).
const totpSecretBytes = 20

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a new random secret, base32 without padding.
func newTOTPSecret() (string, error) {
	b := make([]byte, totpSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base32NoPad.EncodeToString(b), nil
}

// totp holds the TOTP options of a service.
type totp struct {
	digits, period, window int
}

// step returns the time step of t.
func (p totp) step(t time.Time) int64 {
	sec := t.Unix()
	s := sec / int64(p.period)
	if sec < 0 && sec%int64(p.period) != 0 {
		s-- // floor
	}
	return s
}

// code returns the code of secret at step.
func (p totp) code(secret string, step int64) (string, error) {
	if step < 0 {
		return "", errors.New("auth: TOTP step before 1970")
	}
	return hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.Digits(p.digits), Algorithm: otp.AlgorithmSHA1})
}

// wellFormed reports whether code has the form Medusa accepts: ASCII
// digits only, exactly digits of them.
func (p totp) wellFormed(code string) bool {
	if len(code) != p.digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// match finds the step, later than after, whose code is code, among the
// steps of the window around now (the earliest first). ok is false when
// none matches; err reports a secret that cannot be used.
func (p totp) match(secret, code string, now time.Time, after int64) (step int64, ok bool, err error) {
	if !p.wellFormed(code) {
		return 0, false, nil
	}
	cur := p.step(now)
	for s := cur - int64(p.window); s <= cur+int64(p.window); s++ {
		if s < 0 || s <= after {
			continue
		}
		want, err := p.code(secret, s)
		if err != nil {
			return 0, false, errors.New("auth: the TOTP secret is not valid base32")
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true, nil
		}
	}
	return 0, false, nil
}

// uri returns the otpauth URI of a TOTP secret, as @otplib/uri 13 writes
// it (which Medusa uses): otpauth://totp/<issuer>:<account>?secret=…&issuer=…,
// each colon-separated part of the label and each value percent-encoded
// as encodeURIComponent does, the issuer left out when empty, digits and
// period only when they are not 6 and 30.
func (p totp) uri(issuer, account, secret string) string {
	label := account
	if issuer != "" {
		label = issuer + ":" + account
	}
	parts := strings.Split(label, ":")
	for i, s := range parts {
		parts[i] = encodeURIComponent(s)
	}
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(strings.Join(parts, ":"))
	b.WriteString("?secret=")
	b.WriteString(encodeURIComponent(secret))
	if issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(encodeURIComponent(issuer))
	}
	if p.digits != 6 {
		b.WriteString("&digits=" + strconv.Itoa(p.digits))
	}
	if p.period != 30 {
		b.WriteString("&period=" + strconv.Itoa(p.period))
	}
	return b.String()
}

// encodeURIComponent percent-encodes s as JavaScript's encodeURIComponent
// does: every UTF-8 byte but A-Z a-z 0-9 - _ . ! ~ * ' ( ).
func encodeURIComponent(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			strings.IndexByte("-_.!~*'()", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// secretKey derives the AES-256 key of TOTP secrets from the encryption
// key: its SHA-256, as Medusa does.
func secretKey(encryptionKey string) [32]byte { return sha256.Sum256([]byte(encryptionKey)) }

// secretVersion is the first field of an encrypted secret.
const secretVersion = "v1"

// errSecretUnreadable is the error of a stored secret that does not
// decrypt: another encryption key, or a damaged value.
var errSecretUnreadable = errors.New("auth: the stored TOTP secret does not decrypt with the configured MFA encryption key")

// encryptSecret encrypts a TOTP secret in Medusa's "v1:iv:tag:ciphertext"
// form.
func encryptSecret(secret string, key [32]byte) (string, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	iv := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	sealed := gcm.Seal(nil, iv, []byte(secret), nil)
	ct, tag := sealed[:len(sealed)-gcm.Overhead()], sealed[len(sealed)-gcm.Overhead():]
	enc := base64.RawURLEncoding
	return secretVersion + ":" + enc.EncodeToString(iv) + ":" + enc.EncodeToString(tag) + ":" + enc.EncodeToString(ct), nil
}

// decryptSecret reads a secret encryptSecret (or Medusa) stored. Fields
// after the fourth are ignored, as Medusa's split does.
func decryptSecret(payload string, key [32]byte) (string, error) {
	f := strings.Split(payload, ":")
	if len(f) < 4 || f[0] != secretVersion || f[1] == "" || f[2] == "" || f[3] == "" {
		return "", errSecretUnreadable
	}
	iv, err1 := decodeB64URL(f[1])
	tag, err2 := decodeB64URL(f[2])
	ct, err3 := decodeB64URL(f[3])
	if err1 != nil || err2 != nil || err3 != nil {
		return "", errSecretUnreadable
	}
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	if len(iv) != gcm.NonceSize() || len(tag) != gcm.Overhead() {
		return "", errSecretUnreadable
	}
	plain, err := gcm.Open(nil, iv, append(ct, tag...), nil)
	if err != nil {
		return "", errSecretUnreadable
	}
	return string(plain), nil
}

func newGCM(key [32]byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// decodeB64URL decodes base64url with or without padding (Node writes
// none).
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
