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
	// format. Verify handles every format this package knows (scrypt-kdf and
	// argon2id PHC strings) whatever the Hasher's own configuration, so that
	// a host that switches algorithm still logs in old users.
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
// is. A string that starts with '$' is a PHC string (only $argon2id$ is
// known); anything else is taken as a base64 scrypt-kdf key, as Medusa does.
func verifyAny(encoded string, password []byte) (bool, error) {
	if strings.HasPrefix(encoded, "$") {
		if strings.HasPrefix(encoded, argonPrefix) {
			return verifyArgon2id(encoded, password)
		}
		return false, malformed("unknown hash format")
	}
	return verifyScrypt(decodeBase64Node(encoded), password)
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
// argon2id (PHC string format)

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

// DefaultArgon2id returns the OWASP (2024 and later) recommendation:
// 19 MiB of memory, 2 passes, 1 thread, a 32-byte key and a 16-byte salt.
func DefaultArgon2id() Argon2id {
	return Argon2id{Time: 2, MemoryKiB: 19456, Threads: 1, KeyLen: 32, SaltLen: 16}
}

const (
	argonPrefix       = "$argon2id$"
	argonVersion      = "v=19"
	argonMaxTime      = 100
	argonMaxMemoryKiB = 1 << 20 // 1 GiB
	argonMaxWork      = 1 << 23 // MemoryKiB·Time: 8 GiB of block passes
	argonMinKeyLen    = 16
	argonMaxKeyLen    = 1024
	argonMinSaltLen   = 8
	argonMaxSaltLen   = 1024
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

// Hash returns the PHC string of a fresh argon2id hash of password with a
// random salt.
func (h Argon2id) Hash(password []byte) (string, error) {
	if !h.valid() {
		return "", errArgonConfig
	}
	salt := make([]byte, h.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey(password, salt, h.Time, h.MemoryKiB, h.Threads, h.KeyLen)
	b := make([]byte, 0, 64+base64.RawStdEncoding.EncodedLen(len(salt))+base64.RawStdEncoding.EncodedLen(len(key)))
	b = append(b, argonPrefix...)
	b = append(b, argonVersion...)
	b = append(b, "$m="...)
	b = strconv.AppendUint(b, uint64(h.MemoryKiB), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(h.Time), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(h.Threads), 10)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, salt)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, key)
	return string(b), nil
}

type argonHash struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

// parseArgon2id parses a $argon2id$v=19$m=..,t=..,p=..$salt$key string,
// strictly: the parameters in this order, decimal without sign or leading
// zeros, unpadded standard base64, and bounds checked before any decoding.
func parseArgon2id(encoded string) (argonHash, error) {
	var h argonHash
	parts := strings.SplitN(encoded, "$", 7)
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, malformed("not an argon2id PHC string")
	}
	if parts[2] != argonVersion {
		return h, malformed("unsupported argon2 version")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, malformed("bad argon2id parameters")
	}
	m, ok1 := phcUint(params[0], "m=")
	t, ok2 := phcUint(params[1], "t=")
	p, ok3 := phcUint(params[2], "p=")
	if !ok1 || !ok2 || !ok3 || p > 255 {
		return h, malformed("bad argon2id parameters")
	}
	// Go's base64 decoders skip CR and LF, even in Strict mode: refuse
	// them, so that a hash has one spelling.
	if strings.ContainsAny(parts[4], "\r\n") || strings.ContainsAny(parts[5], "\r\n") {
		return h, malformed("bad argon2id base64")
	}
	enc := base64.RawStdEncoding.Strict()
	saltLen, keyLen := enc.DecodedLen(len(parts[4])), enc.DecodedLen(len(parts[5]))
	if !checkArgonParams(m, t, uint8(p), uint64(saltLen), uint64(keyLen)) {
		return h, malformed("argon2id parameters out of range")
	}
	salt, err1 := enc.DecodeString(parts[4])
	key, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return h, malformed("bad argon2id base64")
	}
	return argonHash{m: m, t: t, p: uint8(p), salt: salt, key: key}, nil
}

// phcUint parses prefix followed by a canonical decimal uint32.
func phcUint(s, prefix string) (uint32, bool) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok || digits == "" || len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(digits, 10, 32)
	return uint32(v), err == nil
}

func verifyArgon2id(encoded string, password []byte) (bool, error) {
	h, err := parseArgon2id(encoded)
	if err != nil {
		return false, err
	}
	if kdfHook != nil {
		kdfHook(Argon2id{Time: h.t, MemoryKiB: h.m, Threads: h.p, KeyLen: uint32(len(h.key)), SaltLen: uint32(len(h.salt))})
	}
	key := argon2.IDKey(password, h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// Verify reports whether password matches encoded, in any format this
// package knows. See Hasher.
func (h Argon2id) Verify(encoded string, password []byte) (bool, error) {
	return verifyAny(encoded, password)
}

// NeedsRehash reports whether encoded is not an argon2id hash with h's
// memory, time, threads, key length and salt length. An invalid h never
// asks for a rehash, since it could not make one.
func (h Argon2id) NeedsRehash(encoded string) bool {
	if !h.valid() {
		return false
	}
	a, err := parseArgon2id(encoded)
	return err != nil || a.m != h.MemoryKiB || a.t != h.Time || a.p != h.Threads ||
		len(a.key) != int(h.KeyLen) || len(a.salt) != int(h.SaltLen)
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
// sees Scrypt and Argon2id as comparable values only.
func normalize(h Hasher) Hasher {
	switch v := h.(type) {
	case *Scrypt:
		if v == nil {
			return Scrypt{}
		}
		return *v
	case *Argon2id:
		if v == nil {
			return Argon2id{}
		}
		return *v
	}
	return h
}

// family is a hash algorithm: this package's scrypt-kdf or argon2id, or
// other, the format of a Hasher of another type.
type family uint8

const (
	other family = iota
	scryptFamily
	argonFamily
)

// familyOf returns the family of the hashes a normalised h makes.
func familyOf(h Hasher) family {
	switch h.(type) {
	case Scrypt:
		return scryptFamily
	case Argon2id:
		return argonFamily
	}
	return other
}

// paramsOf returns the Scrypt or Argon2id whose Hash makes hashes in
// encoded's format and with its parameters, or nil when verifying encoded
// runs no key derivation: it cannot be parsed, its parameters are out of
// bounds, or it is a scrypt-kdf key whose header checksum is wrong (Verify
// answers false before running scrypt).
func paramsOf(encoded string) Hasher {
	if strings.HasPrefix(encoded, "$") {
		a, err := parseArgon2id(encoded)
		if err != nil {
			return nil
		}
		return Argon2id{Time: a.t, MemoryKiB: a.m, Threads: a.p, KeyLen: uint32(len(a.key)), SaltLen: uint32(len(a.salt))}
	}
	key := decodeBase64Node(encoded)
	logN, r, p, err := scryptHeader(key)
	if err != nil {
		return nil
	}
	if sum := sha256.Sum256(key[:48]); subtle.ConstantTimeCompare(sum[:16], key[48:64]) != 1 {
		return nil
	}
	return Scrypt{LogN: logN, R: r, P: p}
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
		if !v.valid() {
			return ""
		}
		salt, key := make([]byte, v.SaltLen), make([]byte, v.KeyLen)
		_, _ = rand.Read(salt)
		_, _ = rand.Read(key)
		return argonPrefix + argonVersion + "$m=" + strconv.FormatUint(uint64(v.MemoryKiB), 10) +
			",t=" + strconv.FormatUint(uint64(v.Time), 10) + ",p=" + strconv.FormatUint(uint64(v.Threads), 10) +
			"$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	}
	var pw [32]byte
	_, _ = rand.Read(pw[:])
	s, err := h.Hash(pw[:])
	if err != nil {
		return ""
	}
	return s
}
