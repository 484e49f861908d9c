package emailpass

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/scrypt"
)

// Hasher hashes and verifies passwords. Implementations are safe for
// concurrent use.
type Hasher interface {
	// Hash returns the encoded hash of password, as stored in
	// provider_metadata.password.
	Hash(password []byte) (string, error)
	// Verify reports whether password matches encoded. It returns
	// ok=false, err=nil for a wrong password, and an error wrapping
	// ErrMalformedHash when encoded cannot be parsed or is of an unknown
	// format. Verify handles every format this package knows (scrypt-kdf,
	// argon2id and argon2i PHC strings, bcrypt, Django's pbkdf2_sha256 and
	// argon2) whatever the Hasher's own configuration, so that a host that
	// switches algorithm, or imports hashes from another system, still logs
	// its users in.
	Verify(encoded string, password []byte) (ok bool, err error)
	// NeedsRehash reports whether encoded was made with another algorithm or
	// other parameters than this Hasher's, so that a successful login should
	// store a fresh hash.
	NeedsRehash(encoded string) bool
}

// ErrMalformedHash is wrapped by the error Verify returns when a stored hash
// cannot be parsed, is of an unknown format, or asks for parameters outside
// the bounds this package accepts. Its messages never contain the hash or the
// password.
var ErrMalformedHash = errors.New("emailpass: malformed password hash")

// malformedError is an error with its own message that still matches
// ErrMalformedHash under errors.Is.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return e.msg }
func (e *malformedError) Unwrap() error { return ErrMalformedHash }

func malformed(detail string) error {
	return &malformedError{msg: ErrMalformedHash.Error() + ": " + detail}
}

// errInvalidKey is returned by Verify when a scrypt-kdf hash does not decode
// to exactly 96 bytes. Its message is the one Medusa returns in that case
// (scrypt-kdf's RangeError "Invalid key"), so that a provider can pass it on
// unchanged; errors.Is(errInvalidKey, ErrMalformedHash) holds.
var errInvalidKey error = &malformedError{msg: "Invalid key"}

var (
	errScryptConfig = errors.New("emailpass: invalid scrypt parameters")
	errArgonConfig  = errors.New("emailpass: invalid argon2id parameters")
)

// verifyAny verifies password against encoded in whichever format encoded
// is, recognised from the string alone (see identify).
func verifyAny(encoded string, password []byte) (bool, error) {
	switch identify(encoded) {
	case bcryptFamily:
		return verifyBcrypt(encoded, password)
	case pbkdf2Family:
		return verifyPBKDF2(encoded, password)
	case argonFamily, argon2iFamily:
		return verifyArgon2(encoded, password)
	case scryptFamily:
		return verifyScrypt(decodeBase64Node(encoded), password)
	}
	return false, malformed("unknown hash format")
}

// identify returns the family of the format encoded claims to be in, from
// its prefix alone, or other for none (encoded may still be malformed):
//
//   - "$2a$", "$2b$", "$2y$": bcrypt;
//   - "$argon2id$", "$argon2i$", or either behind Django's "argon2"
//     prefix: argon2id or argon2i;
//   - "pbkdf2_sha256$": Django's PBKDF2;
//   - anything else with a '$' in it: none;
//   - anything else: a base64 scrypt-kdf key (Medusa's format), which
//     never holds a '$'.
func identify(encoded string) family {
	switch {
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		return bcryptFamily
	case strings.HasPrefix(encoded, pbkdf2Prefix):
		return pbkdf2Family
	}
	phc := encoded
	if rest, ok := strings.CutPrefix(encoded, djangoArgonPrefix); ok {
		phc = "$" + rest
	}
	switch {
	case strings.HasPrefix(phc, argonPrefix):
		return argonFamily
	case strings.HasPrefix(phc, argon2iPrefix):
		return argon2iFamily
	case strings.Contains(encoded, "$"):
		return other
	}
	return scryptFamily
}

// decodeBase64Node decodes s the way Node.js's Buffer.from(s, "base64")
// does, which is how Medusa reads stored hashes: both the standard and the
// URL-safe alphabet are accepted, characters outside them (whitespace, ...)
// are skipped, padding is optional, decoding stops at the first '=', and a
// dangling final character (one that cannot make a whole byte) is dropped.
// It never fails. (Node truncates non-Latin-1 UTF-16 code units to their low
// byte before the lookup; here every non-ASCII byte is skipped. No real hash
// contains such characters.)
func decodeBase64Node(s string) []byte {
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			buf = append(buf, c)
		case c == '-':
			buf = append(buf, '+')
		case c == '_':
			buf = append(buf, '/')
		case c == '=':
			i = len(s) // stop, as Node does
		}
	}
	if len(buf)%4 == 1 {
		buf = buf[:len(buf)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(buf)))
	n, err := base64.RawStdEncoding.Decode(out, buf)
	if err != nil { // unreachable: buf holds only alphabet characters
		return nil
	}
	return out[:n]
}

// ---------------------------------------------------------------------------
// scrypt-kdf (Medusa's format)

// Scrypt hashes passwords in Medusa's format: the scrypt-kdf 2.0.1 key (the
// header of Colin Percival's scrypt file format), base64-encoded with the
// standard alphabet. The zero value is invalid; use DefaultScrypt or set all
// fields. N = 2^LogN. Accepted parameters: LogN ≥ 1, R ≥ 1, P ≥ 1,
// 2^LogN·R·P ≤ 2^24 and 128·R·(2^LogN+P+2) bytes of memory ≤ 1 GiB + 1 MiB
// (logN 20 with r 8 is the largest N at Medusa's r).
type Scrypt struct {
	LogN uint8
	R, P uint32
}

// DefaultScrypt returns Medusa's default parameters: logN 15, r 8, p 1.
func DefaultScrypt() Scrypt { return Scrypt{LogN: 15, R: 8, P: 1} }

const (
	scryptKeyLen  = 96
	scryptSaltLen = 32
	scryptDKLen   = 64
	// scryptMaxWork bounds N·r·p (the number of BlockMix calls is 2·N·p
	// and each costs r): 64 times Medusa's default, a few seconds of CPU.
	scryptMaxWork = 1 << 24
	// scryptMaxMemory bounds the bytes scrypt allocates, 128·r·(N+p+2)
	// (the formula Node/OpenSSL use): 1 GiB for the N-block table plus
	// 1 MiB of slack, so logN 20 with r 8 still verifies. Node (scrypt-kdf
	// sets maxmem 2^31−1) accepts up to 2 GiB; hashes between the two
	// limits are refused here.
	scryptMaxMemory = 1<<30 + 1<<20
)

const scryptMagic = "scrypt"

// checkScryptParams reports whether logN, r, p are within the bounds this
// package computes, which include x/crypto/scrypt's own limits.
func checkScryptParams(logN uint8, r, p uint32) bool {
	if logN < 1 || logN > 30 || r == 0 || p == 0 {
		return false
	}
	n := uint64(1) << logN
	if uint64(r)*uint64(p) > scryptMaxWork/n { // r·p < 2^64: no overflow
		return false
	}
	// Now n, r, p ≤ 2^24 each, so this cannot overflow.
	return 128*uint64(r)*(n+uint64(p)+2) <= scryptMaxMemory
}

// Hash returns the base64 (standard alphabet, 128 characters) of a fresh
// 96-byte scrypt-kdf key for password with a random 32-byte salt.
func (h Scrypt) Hash(password []byte) (string, error) {
	if !checkScryptParams(h.LogN, h.R, h.P) {
		return "", errScryptConfig
	}
	var key [scryptKeyLen]byte
	copy(key[0:6], scryptMagic)
	key[6] = 0
	key[7] = h.LogN
	binary.BigEndian.PutUint32(key[8:12], h.R)
	binary.BigEndian.PutUint32(key[12:16], h.P)
	if _, err := rand.Read(key[16:48]); err != nil {
		return "", err
	}
	sum := sha256.Sum256(key[:48])
	copy(key[48:64], sum[:16])
	mac, err := scryptMAC(key[:64], password, h.LogN, h.R, h.P)
	if err != nil {
		return "", err
	}
	copy(key[64:], mac)
	return base64.StdEncoding.EncodeToString(key[:]), nil
}

// scryptMAC returns HMAC-SHA256(key = bytes 32..63 of scrypt(password, salt,
// 2^logN, r, p, 64), message = head), where head is bytes 0..63 of the
// scrypt-kdf key and the salt is head[16:48]. scrypt-kdf's comment says it
// keys the HMAC with the first half; its code uses the second.
func scryptMAC(head, password []byte, logN uint8, r, p uint32) ([]byte, error) {
	dk, err := scrypt.Key(password, head[16:48], 1<<logN, int(r), int(p), scryptDKLen)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, dk[32:])
	m.Write(head[:64])
	clear(dk)
	return m.Sum(nil), nil
}

// scryptHeader parses the parameters of a decoded scrypt-kdf key.
func scryptHeader(key []byte) (logN uint8, r, p uint32, err error) {
	if len(key) != scryptKeyLen {
		return 0, 0, 0, errInvalidKey
	}
	if string(key[0:6]) != scryptMagic || key[6] != 0 {
		return 0, 0, 0, malformed("not a scrypt-kdf key")
	}
	logN = key[7]
	r = binary.BigEndian.Uint32(key[8:12])
	p = binary.BigEndian.Uint32(key[12:16])
	if !checkScryptParams(logN, r, p) {
		return 0, 0, 0, malformed("scrypt parameters out of range")
	}
	return logN, r, p, nil
}

// verifyScrypt is scrypt-kdf's verify: length 96 or "Invalid key"; header
// checksum mismatch means no match; then the HMAC decides. Unlike
// scrypt-kdf it also rejects a wrong magic or version and out-of-range
// parameters, with ErrMalformedHash.
func verifyScrypt(key []byte, password []byte) (bool, error) {
	logN, r, p, err := scryptHeader(key)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(key[:48])
	if subtle.ConstantTimeCompare(sum[:16], key[48:64]) != 1 {
		return false, nil
	}
	if kdfHook != nil {
		kdfHook(Scrypt{LogN: logN, R: r, P: p})
	}
	mac, err := scryptMAC(key[:64], password, logN, r, p)
	if err != nil { // unreachable: parameters were checked
		return false, malformed("scrypt parameters out of range")
	}
	return hmac.Equal(mac, key[64:scryptKeyLen]), nil
}

// Verify reports whether password matches encoded, in any format this
// package knows. See Hasher.
func (h Scrypt) Verify(encoded string, password []byte) (bool, error) {
	return verifyAny(encoded, password)
}

// NeedsRehash reports whether encoded is not a scrypt-kdf hash with h's
// parameters, or is not in the canonical encoding Hash produces (standard
// alphabet, nothing else). An invalid h never asks for a rehash, since it
// could not make one.
func (h Scrypt) NeedsRehash(encoded string) bool {
	if !checkScryptParams(h.LogN, h.R, h.P) {
		return false
	}
	if strings.HasPrefix(encoded, "$") {
		return true
	}
	key := decodeBase64Node(encoded)
	logN, r, p, err := scryptHeader(key)
	if err != nil || logN != h.LogN || r != h.R || p != h.P {
		return true
	}
	return encoded != base64.StdEncoding.EncodeToString(key)
}

// ---------------------------------------------------------------------------
// argon2id and argon2i (PHC string format)

// Argon2id hashes passwords with argon2id (RFC 9106, version 0x13) and
// encodes them as PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in unpadded standard base64. The zero value is invalid;
// use DefaultArgon2id or set all fields. Accepted parameters: 1 ≤ Time ≤ 100,
// Threads ≥ 1, 8·Threads ≤ MemoryKiB ≤ 1 GiB, MemoryKiB·Time ≤ 2^23,
// 16 ≤ KeyLen ≤ 1024, 8 ≤ SaltLen ≤ 1024.
type Argon2id struct {
	Time, MemoryKiB uint32
	Threads         uint8
	KeyLen          uint32
	SaltLen         uint32
}

// Argon2i is argon2i (RFC 9106, version 0x13), with Argon2id's fields,
// bounds and PHC string encoding ($argon2i$v=19$…). It is here for hashes
// imported from systems that used argon2i (libsodium's and PHP's older
// default, passlib's, Django's argon2-cffi before 2019): declare their
// parameters with [WithLegacyHashers], so that their logins cost what
// every other login costs, and keep a better configured hasher, which a
// successful login rehashes them with. Argon2id resists GPU and
// side-channel attacks better; prefer it for new hashes.
type Argon2i Argon2id

// DefaultArgon2id returns the OWASP (2024 and later) recommendation:
// 19 MiB of memory, 2 passes, 1 thread, a 32-byte key and a 16-byte salt.
func DefaultArgon2id() Argon2id {
	return Argon2id{Time: 2, MemoryKiB: 19456, Threads: 1, KeyLen: 32, SaltLen: 16}
}

// argonVariant is an argon2 variant this package verifies.
type argonVariant uint8

const (
	argonID argonVariant = iota
	argonI
)

// name is the variant's PHC identifier.
func (v argonVariant) name() string {
	if v == argonI {
		return "argon2i"
	}
	return "argon2id"
}

const (
	argonPrefix       = "$argon2id$"
	argon2iPrefix     = "$argon2i$"
	argonVersion      = "v=19"
	argonMaxTime      = 100
	argonMaxMemoryKiB = 1 << 20 // 1 GiB
	argonMaxWork      = 1 << 23 // MemoryKiB·Time: 8 GiB of block passes
	argonMinKeyLen    = 16
	argonMaxKeyLen    = 1024
	argonMinSaltLen   = 8
	argonMaxSaltLen   = 1024
	// djangoArgonPrefix prefixes the PHC strings of Django's
	// Argon2PasswordHasher (Saleor's default): "argon2$argon2id$v=19$…".
	djangoArgonPrefix = "argon2$"
)

func checkArgonParams(m, t uint32, p uint8, saltLen, keyLen uint64) bool {
	return t >= 1 && t <= argonMaxTime &&
		p >= 1 &&
		m >= 8*uint32(p) && m <= argonMaxMemoryKiB &&
		uint64(m)*uint64(t) <= argonMaxWork &&
		keyLen >= argonMinKeyLen && keyLen <= argonMaxKeyLen &&
		saltLen >= argonMinSaltLen && saltLen <= argonMaxSaltLen
}

func (h Argon2id) valid() bool {
	return checkArgonParams(h.MemoryKiB, h.Time, h.Threads, uint64(h.SaltLen), uint64(h.KeyLen))
}

// argonKey runs the variant's key derivation.
func argonKey(v argonVariant, password, salt []byte, t, m uint32, p uint8, keyLen uint32) []byte {
	if v == argonI {
		return argon2.Key(password, salt, t, m, p, keyLen)
	}
	return argon2.IDKey(password, salt, t, m, p, keyLen)
}

// encodeArgon returns the canonical PHC string of an argon2 hash.
func encodeArgon(v argonVariant, m, t uint32, p uint8, salt, key []byte) string {
	b := make([]byte, 0, 64+base64.RawStdEncoding.EncodedLen(len(salt))+base64.RawStdEncoding.EncodedLen(len(key)))
	b = append(b, '$')
	b = append(b, v.name()...)
	b = append(b, '$')
	b = append(b, argonVersion...)
	b = append(b, "$m="...)
	b = strconv.AppendUint(b, uint64(m), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(t), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(p), 10)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, salt)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, key)
	return string(b)
}

// hashArgon returns the PHC string of a fresh hash of password with h's
// parameters, in variant v, with a random salt.
func hashArgon(v argonVariant, h Argon2id, password []byte) (string, error) {
	if !h.valid() {
		return "", errArgonConfig
	}
	salt := make([]byte, h.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argonKey(v, password, salt, h.Time, h.MemoryKiB, h.Threads, h.KeyLen)
	return encodeArgon(v, h.MemoryKiB, h.Time, h.Threads, salt, key), nil
}

// Hash returns the PHC string of a fresh argon2id hash of password with a
// random salt.
func (h Argon2id) Hash(password []byte) (string, error) { return hashArgon(argonID, h, password) }

// Hash returns the PHC string of a fresh argon2i hash of password with a
// random salt.
func (h Argon2i) Hash(password []byte) (string, error) {
	return hashArgon(argonI, Argon2id(h), password)
}

type argonHash struct {
	variant   argonVariant
	django    bool // "argon2$" before the PHC string
	m, t      uint32
	p         uint8
	salt, key []byte
}

// params returns the hasher whose Hash makes hashes with a's variant and
// parameters.
func (a argonHash) params() Hasher {
	h := Argon2id{Time: a.t, MemoryKiB: a.m, Threads: a.p, KeyLen: uint32(len(a.key)), SaltLen: uint32(len(a.salt))}
	if a.variant == argonI {
		return Argon2i(h)
	}
	return h
}

// parseArgon2 parses a $argon2id$ or $argon2i$ PHC string of version 19
// ($argon2id$v=19$m=..,t=..,p=..$salt$key), also behind Django's
// "argon2" prefix, strictly: the parameters in this order, decimal
// without sign or leading zeros, unpadded standard base64, and bounds
// checked before any decoding.
func parseArgon2(encoded string) (argonHash, error) {
	var h argonHash
	s := encoded
	if rest, ok := strings.CutPrefix(s, djangoArgonPrefix); ok {
		s, h.django = "$"+rest, true
	}
	parts := strings.SplitN(s, "$", 7)
	if len(parts) != 6 || parts[0] != "" {
		return h, malformed("not an argon2 PHC string")
	}
	switch parts[1] {
	case "argon2id":
		h.variant = argonID
	case "argon2i":
		h.variant = argonI
	default:
		return h, malformed("not an argon2 PHC string")
	}
	if parts[2] != argonVersion {
		return h, malformed("unsupported argon2 version")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, malformed("bad argon2 parameters")
	}
	m, ok1 := phcUint(params[0], "m=")
	t, ok2 := phcUint(params[1], "t=")
	p, ok3 := phcUint(params[2], "p=")
	if !ok1 || !ok2 || !ok3 || p > 255 {
		return h, malformed("bad argon2 parameters")
	}
	// Go's base64 decoders skip CR and LF, even in Strict mode: refuse
	// them, so that a hash has one spelling.
	if strings.ContainsAny(parts[4], "\r\n") || strings.ContainsAny(parts[5], "\r\n") {
		return h, malformed("bad argon2 base64")
	}
	enc := base64.RawStdEncoding.Strict()
	saltLen, keyLen := enc.DecodedLen(len(parts[4])), enc.DecodedLen(len(parts[5]))
	if !checkArgonParams(m, t, uint8(p), uint64(saltLen), uint64(keyLen)) {
		return h, malformed("argon2 parameters out of range")
	}
	salt, err1 := enc.DecodeString(parts[4])
	key, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return h, malformed("bad argon2 base64")
	}
	h.m, h.t, h.p, h.salt, h.key = m, t, uint8(p), salt, key
	return h, nil
}

// phcUint parses prefix followed by a canonical decimal uint32.
func phcUint(s, prefix string) (uint32, bool) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	v, ok := decimal(digits, 1<<32-1)
	return uint32(v), ok
}

// decimal parses a canonical decimal number (digits only, no leading
// zero) not above max.
func decimal(digits string, max uint64) (uint64, bool) {
	if digits == "" || len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	return v, err == nil && v <= max
}

func verifyArgon2(encoded string, password []byte) (bool, error) {
	h, err := parseArgon2(encoded)
	if err != nil {
		return false, err
	}
	if kdfHook != nil {
		kdfHook(h.params())
	}
	key := argonKey(h.variant, password, h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// Verify reports whether password matches encoded, in any format this
// package knows. See Hasher.
func (h Argon2id) Verify(encoded string, password []byte) (bool, error) {
	return verifyAny(encoded, password)
}

// Verify reports whether password matches encoded, in any format this
// package knows. See Hasher.
func (h Argon2i) Verify(encoded string, password []byte) (bool, error) {
	return verifyAny(encoded, password)
}

// argonNeedsRehash reports whether encoded is not a canonical PHC string of
// variant v with h's memory, time, threads, key length and salt length.
// An invalid h never asks for a rehash, since it could not make one.
func argonNeedsRehash(v argonVariant, h Argon2id, encoded string) bool {
	if !h.valid() {
		return false
	}
	a, err := parseArgon2(encoded)
	return err != nil || a.variant != v || a.django || a.m != h.MemoryKiB || a.t != h.Time || a.p != h.Threads ||
		len(a.key) != int(h.KeyLen) || len(a.salt) != int(h.SaltLen)
}

// NeedsRehash reports whether encoded is not an argon2id hash with h's
// memory, time, threads, key length and salt length (or is one behind
// Django's prefix). An invalid h never asks for a rehash, since it could
// not make one.
func (h Argon2id) NeedsRehash(encoded string) bool { return argonNeedsRehash(argonID, h, encoded) }

// NeedsRehash reports whether encoded is not an argon2i hash with h's
// memory, time, threads, key length and salt length (or is one behind
// Django's prefix). An invalid h never asks for a rehash.
func (h Argon2i) NeedsRehash(encoded string) bool {
	return argonNeedsRehash(argonI, Argon2id(h), encoded)
}

// ---------------------------------------------------------------------------
// accepted formats and dummy hashes

// kdfHook, when not nil, is called with the parameters of every key
// derivation that Verify runs (Hash does not call it). Tests set it to count
// the work of a login; it is nil otherwise and must not change while hashes
// are verified.
var kdfHook func(params Hasher)

// normalize returns h with this package's pointer hashers replaced by their
// values (a nil pointer by the invalid zero value), so that the provider
// sees this package's hashers as comparable values only.
func normalize(h Hasher) Hasher {
	switch v := h.(type) {
	case *Scrypt:
		return deref(v)
	case *Argon2id:
		return deref(v)
	case *Argon2i:
		return deref(v)
	case *Bcrypt:
		return deref(v)
	case *PBKDF2SHA256:
		return deref(v)
	}
	return h
}

// deref returns *p, or the zero value for a nil p.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// family is a hash algorithm: one of this package's, or other, the format
// of a Hasher of another type.
type family uint8

const (
	other family = iota
	scryptFamily
	argonFamily   // argon2id
	argon2iFamily // argon2i
	bcryptFamily
	pbkdf2Family // Django's pbkdf2_sha256
)

// String names the family, for logs and errors.
func (f family) String() string {
	switch f {
	case scryptFamily:
		return "scrypt-kdf"
	case argonFamily:
		return "argon2id"
	case argon2iFamily:
		return "argon2i"
	case bcryptFamily:
		return "bcrypt"
	case pbkdf2Family:
		return "pbkdf2_sha256"
	}
	return "other"
}

// familyOf returns the family of the hashes a normalised h makes.
func familyOf(h Hasher) family {
	switch h.(type) {
	case Scrypt:
		return scryptFamily
	case Argon2id:
		return argonFamily
	case Argon2i:
		return argon2iFamily
	case Bcrypt:
		return bcryptFamily
	case PBKDF2SHA256:
		return pbkdf2Family
	}
	return other
}

// parseParams parses encoded, in any format this package knows, and
// returns the hasher whose Hash makes hashes in its format and with its
// parameters; or an error wrapping ErrMalformedHash when encoded cannot be
// parsed, is of an unknown format, its parameters are out of the
// package's bounds, or it is a scrypt-kdf key whose header checksum is
// wrong (no password matches it). It runs no key derivation.
func parseParams(encoded string) (Hasher, error) {
	switch identify(encoded) {
	case bcryptFamily:
		cost, err := parseBcrypt(encoded)
		if err != nil {
			return nil, err
		}
		return Bcrypt{Cost: cost}, nil
	case pbkdf2Family:
		h, err := parsePBKDF2(encoded)
		if err != nil {
			return nil, err
		}
		return PBKDF2SHA256{Iterations: h.iterations}, nil
	case argonFamily, argon2iFamily:
		a, err := parseArgon2(encoded)
		if err != nil {
			return nil, err
		}
		return a.params(), nil
	case scryptFamily:
		key := decodeBase64Node(encoded)
		logN, r, p, err := scryptHeader(key)
		if err != nil {
			return nil, err
		}
		if sum := sha256.Sum256(key[:48]); subtle.ConstantTimeCompare(sum[:16], key[48:64]) != 1 {
			return nil, malformed("scrypt-kdf header checksum mismatch")
		}
		return Scrypt{LogN: logN, R: r, P: p}, nil
	}
	return nil, malformed("unknown hash format")
}

// paramsOf returns the hasher of this package whose Hash makes hashes in
// encoded's format and with its parameters, or nil when verifying encoded
// runs no key derivation: it cannot be parsed, its parameters are out of
// bounds, or it is a scrypt-kdf key whose header checksum is wrong (Verify
// answers false before running scrypt). See parseParams.
func paramsOf(encoded string) Hasher {
	h, err := parseParams(encoded)
	if err != nil {
		return nil
	}
	return h
}

// format is one of the hash formats a provider accepts: a normalised
// hasher, whose algorithm and parameters make the format, and a dummy hash
// in that format that no password matches.
type format struct {
	hasher Hasher
	family family
	dummy  string
}

// acceptedFormats returns the formats of hs (the configured hasher, then
// the legacy ones), in that order, without nil or invalid hashers (they
// make no hash) and without repeating a Scrypt or Argon2id with the same
// parameters. Hashers of other types are kept as given.
func acceptedFormats(hs []Hasher) []format {
	var fs []format
	for _, h := range hs {
		h = normalize(h)
		if h == nil {
			continue
		}
		fam := familyOf(h)
		if fam != other && slices.ContainsFunc(fs, func(f format) bool { return f.family == fam && f.hasher == h }) {
			continue
		}
		if d := makeDummy(h); d != "" {
			fs = append(fs, format{hasher: h, family: fam, dummy: d})
		}
	}
	return fs
}

// formatOf returns the index in fs of the format whose dummy the
// verification of stored replaces, or -1 for none:
//
//  1. the Scrypt or Argon2id with stored's parameters;
//  2. else a Hasher of another type for which stored needs no rehash;
//  3. else, for a scrypt-kdf or argon2id hash with parameters that no
//     format has, the first format of its family, whose verification the
//     hash's own (of another cost) stands for;
//  4. else none: stored is in a family no format has, or its verification
//     runs no key derivation (see paramsOf).
func formatOf(fs []format, stored string) int {
	params := paramsOf(stored)
	fam := familyOf(params)
	if params != nil {
		if i := slices.IndexFunc(fs, func(f format) bool { return f.family == fam && f.hasher == params }); i >= 0 {
			return i
		}
	}
	if i := slices.IndexFunc(fs, func(f format) bool { return f.family == other && !f.hasher.NeedsRehash(stored) }); i >= 0 {
		return i
	}
	if params != nil {
		return slices.IndexFunc(fs, func(f format) bool { return f.family == fam })
	}
	return -1
}

// verifyDummies verifies password against the dummy hash of every format
// in fs except fs[skip] (skip -1 verifies them all), and throws the results
// away.
func verifyDummies(fs []format, skip int, password []byte) {
	for i, f := range fs {
		if i != skip {
			_, _ = f.hasher.Verify(f.dummy, password)
		}
	}
}

// makeDummy returns a well-formed hash, in the format and with the
// parameters of a normalised h, that no password matches (its key is
// random), or "" for an invalid h. For this package's hashers it computes
// no key; for others it hashes a random password with h.
func makeDummy(h Hasher) string {
	switch v := h.(type) {
	case Scrypt:
		if !checkScryptParams(v.LogN, v.R, v.P) {
			return ""
		}
		var key [scryptKeyLen]byte
		copy(key[0:6], scryptMagic)
		key[7] = v.LogN
		binary.BigEndian.PutUint32(key[8:12], v.R)
		binary.BigEndian.PutUint32(key[12:16], v.P)
		_, _ = rand.Read(key[16:48])
		sum := sha256.Sum256(key[:48])
		copy(key[48:64], sum[:16]) // a valid checksum, so Verify runs the KDF
		_, _ = rand.Read(key[64:])
		return base64.StdEncoding.EncodeToString(key[:])
	case Argon2id:
		return argonDummy(argonID, v)
	case Argon2i:
		return argonDummy(argonI, Argon2id(v))
	case Bcrypt:
		return bcryptDummy(v)
	case PBKDF2SHA256:
		return pbkdf2Dummy(v)
	}
	var pw [32]byte
	_, _ = rand.Read(pw[:])
	s, err := h.Hash(pw[:])
	if err != nil {
		return ""
	}
	return s
}

// argonDummy returns a dummy argon2 hash of variant v with h's parameters,
// or "" for an invalid h.
func argonDummy(v argonVariant, h Argon2id) string {
	if !h.valid() {
		return ""
	}
	salt, key := make([]byte, h.SaltLen), make([]byte, h.KeyLen)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(key)
	return encodeArgon(v, h.MemoryKiB, h.Time, h.Threads, salt, key)
}
