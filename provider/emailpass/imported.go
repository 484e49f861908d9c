package emailpass

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// This file holds the formats of password hashes imported from other
// systems: bcrypt and Django's pbkdf2_sha256. (argon2i and Django's argon2
// prefix are beside argon2id, in hash.go.)

// ---------------------------------------------------------------------------
// bcrypt

// Bcrypt is bcrypt (golang.org/x/crypto/bcrypt) in its modular crypt
// format, "$2a$", "$2b$" or "$2y$" (PHP's name for the same algorithm),
// then a two-digit cost, then 53 characters of salt and hash:
//
//	$2y$10$<22 characters of salt><31 characters of hash>
//
// It is here for hashes imported from other systems (PHP, Rails, Laravel,
// Node's bcrypt, Auth0 and others): declare the costs found in the import
// with [WithLegacyHashers], so that their logins cost what every other
// login costs, and keep the configured hasher, which a successful login
// rehashes them with.
//
// bcrypt reads at most 72 bytes of a password: a password longer than
// that never matches a bcrypt hash here (another system may have cut it
// and matched its first 72 bytes; such a user resets the password), and
// Hash refuses it. "$2x$" (the hashes of a bug in PHP's crypt_blowfish
// before 5.3.7) and "$2$" are not accepted. Accepted costs: 4 to 16 (a
// few seconds of CPU); [Limits] may lower that bound for verification.
type Bcrypt struct {
	Cost int
}

const (
	bcryptLen      = 60 // "$2b$10$" + 22 + 31
	bcryptMinCost  = bcrypt.MinCost
	bcryptMaxCost  = 16
	bcryptMaxBytes = 72
	bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

const (
	bcryptSaltBytes   = 16
	bcryptDigestBytes = 23
)

var (
	errBcryptConfig  = errors.New("emailpass: invalid bcrypt cost")
	errBcryptTooLong = errors.New("emailpass: bcrypt cannot hash a password longer than 72 bytes")
	errPBKDF2Config  = errors.New("emailpass: invalid pbkdf2_sha256 iterations")
	bcryptEncoding   = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)
)

func (h Bcrypt) valid() bool { return h.Cost >= bcryptMinCost && h.Cost <= bcryptMaxCost }

// Hash returns the bcrypt hash ("$2a$") of password with a random salt.
// It fails for a password longer than 72 bytes.
func (h Bcrypt) Hash(password []byte) (string, error) {
	if !h.valid() {
		return "", errBcryptConfig
	}
	if len(password) > bcryptMaxBytes {
		return "", errBcryptTooLong
	}
	b, err := bcrypt.GenerateFromPassword(password, h.Cost)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Verify reports whether password matches encoded, in any format this
// package knows. See Hasher.
func (h Bcrypt) Verify(encoded string, password []byte) (bool, error) {
	return verifyAny(encoded, password)
}

// NeedsRehash reports whether encoded is not a bcrypt hash of h's cost. An
// invalid h never asks for a rehash.
func (h Bcrypt) NeedsRehash(encoded string) bool {
	if !h.valid() {
		return false
	}
	cost, err := parseBcrypt(encoded)
	return err != nil || cost != h.Cost
}

// parseBcrypt parses a bcrypt hash strictly: one of the three prefixes, a
// two-digit cost within bounds, and 53 characters of bcrypt's base64
// alphabet.
func parseBcrypt(encoded string) (cost int, err error) {
	if len(encoded) != bcryptLen || encoded[0] != '$' || encoded[1] != '2' || encoded[3] != '$' || encoded[6] != '$' {
		return 0, malformed("not a bcrypt hash")
	}
	switch encoded[2] {
	case 'a', 'b', 'y':
	default:
		return 0, malformed("unsupported bcrypt version")
	}
	c1, c2 := encoded[4], encoded[5]
	if c1 < '0' || c1 > '9' || c2 < '0' || c2 > '9' {
		return 0, malformed("bad bcrypt cost")
	}
	cost = int(c1-'0')*10 + int(c2-'0')
	if cost < bcryptMinCost || cost > bcryptMaxCost {
		return 0, malformed("bcrypt cost out of range")
	}
	for i := 7; i < len(encoded); i++ {
		if strings.IndexByte(bcryptAlphabet, encoded[i]) < 0 {
			return 0, malformed("bad bcrypt base64")
		}
	}
	return cost, nil
}

func verifyBcrypt(encoded string, password []byte) (bool, error) {
	cost, err := parseBcrypt(encoded)
	if err != nil {
		return false, err
	}
	if kdfHook != nil {
		kdfHook(Bcrypt{Cost: cost})
	}
	// The comparison runs for a password over 72 bytes too, so that it
	// costs what any other does; it cannot match.
	err = bcrypt.CompareHashAndPassword([]byte(encoded), password)
	switch {
	case err == nil:
		return len(password) <= bcryptMaxBytes, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, malformed("bad bcrypt hash")
}

// bcryptDummy returns a bcrypt hash of h's cost that no password matches,
// or "" for an invalid h.
func bcryptDummy(h Bcrypt) string {
	if !h.valid() {
		return ""
	}
	salt, digest := make([]byte, bcryptSaltBytes), make([]byte, bcryptDigestBytes)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(digest)
	cost := strconv.Itoa(h.Cost)
	if h.Cost < 10 {
		cost = "0" + cost
	}
	return "$2a$" + cost + "$" + bcryptEncoding.EncodeToString(salt) + bcryptEncoding.EncodeToString(digest)
}

// ---------------------------------------------------------------------------
// Django's pbkdf2_sha256

// PBKDF2SHA256 is the format of Django's PBKDF2PasswordHasher (Django's
// default, and Saleor's through Django):
//
//	pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>
//
// where the key is PBKDF2-HMAC-SHA256 (the standard library's
// crypto/pbkdf2) of the UTF-8 password with the salt's bytes. It is here
// for hashes imported from Django: declare the iteration counts found in
// the import with [WithLegacyHashers], so that their logins cost what
// every other login costs, and keep the configured hasher, which a
// successful login rehashes them with. Accepted iterations: 1 to
// 10,000,000; [Limits] may lower that bound for verification. A salt is 1
// to 128 printable ASCII characters without '$'; Hash makes 26 random
// ones.
type PBKDF2SHA256 struct {
	Iterations int
}

const (
	pbkdf2Prefix        = "pbkdf2_sha256$"
	pbkdf2MaxIterations = 10_000_000
	pbkdf2KeyLen        = sha256.Size
	pbkdf2MaxSalt       = 128
)

func (h PBKDF2SHA256) valid() bool { return h.Iterations >= 1 && h.Iterations <= pbkdf2MaxIterations }

// Hash returns the Django pbkdf2_sha256 hash of password with a random
// salt.
func (h PBKDF2SHA256) Hash(password []byte) (string, error) {
	if !h.valid() {
		return "", errPBKDF2Config
	}
	salt := rand.Text()
	key, err := pbkdf2.Key(sha256.New, string(password), []byte(salt), h.Iterations, pbkdf2KeyLen)
	if err != nil {
		return "", err
	}
	return encodePBKDF2(h.Iterations, salt, key), nil
}

func encodePBKDF2(iterations int, salt string, key []byte) string {
	return pbkdf2Prefix + strconv.Itoa(iterations) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(key)
}

// Verify reports whether password matches encoded, in any format this
// package knows. See Hasher.
func (h PBKDF2SHA256) Verify(encoded string, password []byte) (bool, error) {
	return verifyAny(encoded, password)
}

// NeedsRehash reports whether encoded is not a pbkdf2_sha256 hash with h's
// iterations. An invalid h never asks for a rehash.
func (h PBKDF2SHA256) NeedsRehash(encoded string) bool {
	if !h.valid() {
		return false
	}
	d, err := parsePBKDF2(encoded)
	return err != nil || d.iterations != h.Iterations
}

type pbkdf2Hash struct {
	iterations int
	salt       string
	key        []byte
}

// parsePBKDF2 parses a Django pbkdf2_sha256 hash strictly: canonical
// decimal iterations within bounds, a salt of printable ASCII, and the key
// in padded standard base64 of exactly 32 bytes.
func parsePBKDF2(encoded string) (pbkdf2Hash, error) {
	var h pbkdf2Hash
	rest, ok := strings.CutPrefix(encoded, pbkdf2Prefix)
	parts := strings.Split(rest, "$")
	if !ok || len(parts) != 3 {
		return h, malformed("not a pbkdf2_sha256 hash")
	}
	iter, ok := decimal(parts[0], pbkdf2MaxIterations)
	if !ok || iter < 1 {
		return h, malformed("pbkdf2_sha256 iterations out of range")
	}
	salt := parts[1]
	if salt == "" || len(salt) > pbkdf2MaxSalt {
		return h, malformed("bad pbkdf2_sha256 salt")
	}
	for i := 0; i < len(salt); i++ {
		if salt[i] < 0x21 || salt[i] > 0x7e {
			return h, malformed("bad pbkdf2_sha256 salt")
		}
	}
	if len(parts[2]) != base64.StdEncoding.EncodedLen(pbkdf2KeyLen) || strings.ContainsAny(parts[2], "\r\n") {
		return h, malformed("bad pbkdf2_sha256 key")
	}
	key, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(key) != pbkdf2KeyLen {
		return h, malformed("bad pbkdf2_sha256 key")
	}
	h.iterations, h.salt, h.key = int(iter), salt, key
	return h, nil
}

func verifyPBKDF2(encoded string, password []byte) (bool, error) {
	h, err := parsePBKDF2(encoded)
	if err != nil {
		return false, err
	}
	if kdfHook != nil {
		kdfHook(PBKDF2SHA256{Iterations: h.iterations})
	}
	key, err := pbkdf2.Key(sha256.New, string(password), []byte(h.salt), h.iterations, pbkdf2KeyLen)
	if err != nil { // only in FIPS 140-3 "only" mode, which refuses salts under 16 bytes
		return false, malformed("pbkdf2_sha256 hash refused in FIPS 140-3 mode")
	}
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// pbkdf2Dummy returns a pbkdf2_sha256 hash with h's iterations that no
// password matches, or "" for an invalid h.
func pbkdf2Dummy(h PBKDF2SHA256) string {
	if !h.valid() {
		return ""
	}
	key := make([]byte, pbkdf2KeyLen)
	_, _ = rand.Read(key)
	return encodePBKDF2(h.Iterations, rand.Text(), key)
}
