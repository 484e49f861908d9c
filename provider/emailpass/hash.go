package emailpass

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
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
// timing equalisation for unknown accounts

// Estimated cost of one verification, in units of one scrypt N·r·p step
// (4 Salsa20/8 cores over 256 bytes). One argon2id KiB-block pass
// (MemoryKiB·Time of them) costs about argonBlockCost of those units: on
// amd64 with x/crypto's assembly, scrypt logN 15 r 8 (2^18 units) takes
// about 127 ms and argon2id m 19456 t 2 (38,912 block passes) about 35 ms,
// 485 and 890 ns a unit. BenchmarkVerifyCost measures the figures again.
// Threads are not counted: lanes run in parallel, which lowers the wall
// time of a many-threaded argon2id on a machine with idle cores.
const argonBlockCost = 1.8

// verifyCost estimates what verifying a hash made by h costs, in scrypt
// N·r·p units. known is false for an invalid Scrypt or Argon2id, which makes
// no hash, and for Hashers of other types, whose cost is unknown.
func verifyCost(h Hasher) (cost float64, known bool) {
	switch h := h.(type) {
	case Scrypt:
		if !checkScryptParams(h.LogN, h.R, h.P) {
			return 0, false
		}
		return float64(uint64(1)<<h.LogN) * float64(h.R) * float64(h.P), true
	case *Scrypt:
		if h == nil {
			return 0, false
		}
		return verifyCost(*h)
	case Argon2id:
		if !h.valid() {
			return 0, false
		}
		return argonBlockCost * float64(h.MemoryKiB) * float64(h.Time), true
	case *Argon2id:
		if h == nil {
			return 0, false
		}
		return verifyCost(*h)
	}
	return 0, false
}

// builtin reports whether h is one of this package's hashers.
func builtin(h Hasher) bool {
	switch h.(type) {
	case Scrypt, *Scrypt, Argon2id, *Argon2id:
		return true
	}
	return false
}

// dummy is what a login with an unknown email is verified against: a hash
// of a password nobody knows, in the format and with the parameters of the
// costliest hash the provider accepts, so that the answer takes as long as
// for a known email with a wrong password.
type dummy struct {
	hasher  Hasher // verifies encoded
	encoded string
}

// newDummy picks, of the hashers whose hashes a provider verifies (the
// configured one first, then the legacy ones), the one whose verification
// costs most, and makes its dummy hash. A Hasher of a type other than
// Scrypt and Argon2id has an unknown cost: the first such one is chosen
// over this package's, and its dummy hash is made with its Hash. Invalid
// hashers are skipped; with none left the dummy is empty and verifying it
// costs nothing.
func newDummy(hs []Hasher) dummy {
	var best Hasher
	bestCost := -1.0
	for _, h := range hs {
		if h == nil {
			continue
		}
		if !builtin(h) {
			if d := makeDummy(h); d != "" {
				return dummy{hasher: h, encoded: d}
			}
			continue
		}
		if c, ok := verifyCost(h); ok && c > bestCost {
			best, bestCost = h, c
		}
	}
	if best == nil {
		return dummy{}
	}
	return dummy{hasher: best, encoded: makeDummy(best)}
}

// verify spends on password the work of verifying the dummy hash, and
// throws the result away.
func (d dummy) verify(password []byte) {
	if d.hasher != nil {
		_, _ = d.hasher.Verify(d.encoded, password)
	}
}

// makeDummy returns a well-formed hash, in h's format and with h's
// parameters, that no password matches (its key is random), or "" for an
// invalid h. For this package's hashers it computes no key; for others it
// hashes a random password with h.
func makeDummy(h Hasher) string {
	switch v := h.(type) {
	case *Scrypt:
		if v == nil {
			return ""
		}
		return makeDummy(*v)
	case *Argon2id:
		if v == nil {
			return ""
		}
		return makeDummy(*v)
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
