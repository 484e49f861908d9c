package emailpass

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/scrypt"
)

// cheapScrypt and cheapArgon keep the tests fast; only the tests of the
// default format and the Medusa vectors pay the default cost.
var (
	cheapScrypt = Scrypt{LogN: 4, R: 8, P: 1}
	cheapArgon  = Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}
)

const testPassword = "hunter2-correct-horse"

// medusaVectors is testdata/medusa-emailpass-hash-vectors.json: hashes made
// by a real Medusa 2.21.2 (auth-emailpass, scrypt-kdf) with their passwords.
type medusaVectors struct {
	Algorithm struct {
		DefaultParams struct {
			LogN uint8  `json:"logN"`
			R    uint32 `json:"r"`
			P    uint32 `json:"p"`
		} `json:"default_params"`
	} `json:"algorithm"`
	Vectors []struct {
		Email      string `json:"email"`
		Password   string `json:"password"`
		StoredHash string `json:"stored_hash_base64"`
		Decoded    struct {
			Length      int    `json:"length"`
			Magic       string `json:"magic"`
			Version     int    `json:"version"`
			LogN        uint8  `json:"logN"`
			R           uint32 `json:"r"`
			P           uint32 `json:"p"`
			SaltHex     string `json:"salt_hex"`
			ChecksumHex string `json:"checksum_hex"`
			HMACHex     string `json:"hmac_hex"`
		} `json:"decoded"`
		VerifyRight bool `json:"verify_right"`
		VerifyWrong bool `json:"verify_wrong"`
	} `json:"vectors"`
}

func loadVectors(tb testing.TB) medusaVectors {
	tb.Helper()
	b, err := os.ReadFile("testdata/medusa-emailpass-hash-vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var v medusaVectors
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	if len(v.Vectors) == 0 {
		tb.Fatal("no vectors in testdata")
	}
	return v
}

// specVectors are the scrypt-kdf 2.0.1 vectors quoted in
// medusa-auth-module.md §3.1.
var specVectors = []struct {
	name, password, hash string
	logN                 uint8
	r, p                 uint32
}{
	{"logN4", "test-pass", "c2NyeXB0AAQAAAAIAAAAAYpGLvZ+9N6cCqoF6Fh+QeYRNJYiv1ljKvIaZTQNyqx2xfBY0yIVopHpIxBZDytNyK+XEelO0bRdS3E+/Bv3RNFVgjcBu7fofRjilfMGT8Eb", 4, 8, 1},
	{"logN10p2unicode", "pässwörd ✓", "c2NyeXB0AAoAAAAIAAAAAiQZfOJ3kZZas0JD1b1pI7vdDLT9JazrFUKn1wGr/V5qz06goHPFV4v6vIlw6LHrcxguSbmncQMseazp0t5UE4q4gSwRIx2Gr1eB72T1tx4o", 10, 8, 2},
	{"logN15", "supersecret", "c2NyeXB0AA8AAAAIAAAAAd+J6zqLOm454viYQAdblbvneAsnjLxSC6EJ2ekA61ilsjm1rsycmTjP0Kee3IUCZk3HXA/TEltadZ/IpYSzQaVr8zCn3qqj1zDbOJbpS7/3", 15, 8, 1},
}

func cheapSpecVector() (password, hash string) { return specVectors[0].password, specVectors[0].hash }

func mustHash(tb testing.TB, h Hasher, pw string) string {
	tb.Helper()
	s, err := h.Hash([]byte(pw))
	if err != nil {
		tb.Fatalf("%T.Hash: %v", h, err)
	}
	return s
}

func assertVerify(t *testing.T, encoded, password string, want bool) {
	t.Helper()
	ok, err := verifyAny(encoded, []byte(password))
	if err != nil || ok != want {
		t.Errorf("verifyAny(%q, %q) = %v, %v; want %v, nil", encoded, password, ok, err, want)
	}
}

// assertMalformed checks that err wraps ErrMalformedHash and leaks neither
// the password nor the hash.
func assertMalformed(t *testing.T, encoded, password string, ok bool, err error) {
	t.Helper()
	if ok {
		t.Errorf("ok = true for malformed %q", encoded)
	}
	if !errors.Is(err, ErrMalformedHash) {
		t.Fatalf("err = %v, want one wrapping ErrMalformedHash", err)
	}
	msg := err.Error()
	if password != "" && strings.Contains(msg, password) {
		t.Errorf("error %q contains the password", msg)
	}
	if len(encoded) > 8 && strings.Contains(msg, encoded) {
		t.Errorf("error %q contains the hash", msg)
	}
}

// ---------------------------------------------------------------------------
// Medusa compatibility

func TestMedusaVectors(t *testing.T) {
	v := loadVectors(t)
	dp := v.Algorithm.DefaultParams
	if got := (Scrypt{LogN: dp.LogN, R: dp.R, P: dp.P}); got != DefaultScrypt() {
		t.Errorf("vectors' default params %+v, DefaultScrypt() %+v", got, DefaultScrypt())
	}
	for _, vec := range v.Vectors {
		t.Run(vec.Email, func(t *testing.T) {
			t.Parallel()
			if !vec.VerifyRight || vec.VerifyWrong {
				t.Fatalf("vector file expects verify_right=%v verify_wrong=%v", vec.VerifyRight, vec.VerifyWrong)
			}
			// The decoded fields recorded with the vector match the stored string.
			key, err := base64.StdEncoding.Strict().DecodeString(vec.StoredHash)
			if err != nil {
				t.Fatal(err)
			}
			d := vec.Decoded
			if len(key) != d.Length || string(key[:6]) != d.Magic || int(key[6]) != d.Version ||
				key[7] != d.LogN || binary.BigEndian.Uint32(key[8:]) != d.R || binary.BigEndian.Uint32(key[12:]) != d.P ||
				hex.EncodeToString(key[16:48]) != d.SaltHex || hex.EncodeToString(key[48:64]) != d.ChecksumHex ||
				hex.EncodeToString(key[64:]) != d.HMACHex {
				t.Errorf("decoded fields in the vector file do not match its stored hash")
			}
			if len(vec.StoredHash) != 128 || !strings.HasPrefix(vec.StoredHash, "c2NyeXB0AA8AAAAIAAAAA") {
				t.Errorf("stored hash is not a 128-char default-params scrypt-kdf key")
			}

			assertVerify(t, vec.StoredHash, vec.Password, true)
			assertVerify(t, vec.StoredHash, vec.Password+"x", false)
			if DefaultScrypt().NeedsRehash(vec.StoredHash) {
				t.Error("DefaultScrypt().NeedsRehash(Medusa default hash) = true")
			}
			if !DefaultArgon2id().NeedsRehash(vec.StoredHash) {
				t.Error("DefaultArgon2id().NeedsRehash(scrypt hash) = false")
			}
		})
	}
}

func TestSpecVectors(t *testing.T) {
	for _, vec := range specVectors {
		t.Run(vec.name, func(t *testing.T) {
			t.Parallel()
			assertVerify(t, vec.hash, vec.password, true)
			assertVerify(t, vec.hash, vec.password[:len(vec.password)-1], false)
			s := Scrypt{LogN: vec.logN, R: vec.r, P: vec.p}
			if s.NeedsRehash(vec.hash) {
				t.Errorf("%+v.NeedsRehash(own-params hash) = true", s)
			}
			if !cheapArgon.NeedsRehash(vec.hash) {
				t.Error("argon2id NeedsRehash(scrypt hash) = false")
			}
			if vec.logN > 10 {
				return // the rest is format-independent; keep -race fast
			}
			// Every Hasher verifies it, whatever its configuration.
			for _, h := range []Hasher{cheapScrypt, DefaultScrypt(), cheapArgon, Scrypt{}, Argon2id{}} {
				if ok, err := h.Verify(vec.hash, []byte(vec.password)); !ok || err != nil {
					t.Errorf("%#v.Verify = %v, %v", h, ok, err)
				}
			}
		})
	}
}

// TestScryptLayoutCrossCheck recomputes the scrypt-kdf layout by hand (SHA-256
// checksum, scrypt with dkLen 64, HMAC keyed with the SECOND half) so that
// neither Hash nor Verify can drift from Medusa's format.
func TestScryptLayoutCrossCheck(t *testing.T) {
	v := loadVectors(t)
	check := func(t *testing.T, encoded, password string) {
		key, err := base64.StdEncoding.Strict().DecodeString(encoded)
		if err != nil || len(key) != 96 {
			t.Fatalf("decode: %d bytes, %v", len(key), err)
		}
		if string(key[:7]) != "scrypt\x00" {
			t.Fatalf("magic/version = %q", key[:7])
		}
		sum := sha256.Sum256(key[:48])
		if !bytes.Equal(sum[:16], key[48:64]) {
			t.Error("checksum is not SHA-256(bytes 0..47)[:16]")
		}
		n := 1 << key[7]
		r := int(binary.BigEndian.Uint32(key[8:12]))
		p := int(binary.BigEndian.Uint32(key[12:16]))
		dk, err := scrypt.Key([]byte(password), key[16:48], n, r, p, 64)
		if err != nil {
			t.Fatal(err)
		}
		second := hmac.New(sha256.New, dk[32:])
		second.Write(key[:64])
		if !bytes.Equal(second.Sum(nil), key[64:]) {
			t.Error("bytes 64..95 are not HMAC-SHA256(scrypt[32:64], bytes 0..63)")
		}
		first := hmac.New(sha256.New, dk[:32])
		first.Write(key[:64])
		if bytes.Equal(first.Sum(nil), key[64:]) {
			t.Error("HMAC is keyed with the first half of the scrypt output; scrypt-kdf uses the second")
		}
	}
	t.Run("medusa", func(t *testing.T) {
		t.Parallel()
		check(t, v.Vectors[0].StoredHash, v.Vectors[0].Password)
	})
	t.Run("ours", func(t *testing.T) {
		t.Parallel()
		s := Scrypt{LogN: 5, R: 3, P: 2}
		check(t, mustHash(t, s, testPassword), testPassword)
	})
}

// ---------------------------------------------------------------------------
// Scrypt.Hash

func TestScryptHashFormat(t *testing.T) {
	enc := mustHash(t, cheapScrypt, testPassword)
	if len(enc) != 128 {
		t.Errorf("len = %d, want 128", len(enc))
	}
	if !strings.HasPrefix(enc, "c2NyeXB0AAQAAAAIAAAAA") {
		t.Errorf("hash %q does not start with the logN 4/r 8/p 1 header", enc)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil || len(key) != 96 {
		t.Fatalf("decode: %d bytes, %v", len(key), err)
	}
	wantHead := []byte("scrypt\x00\x04\x00\x00\x00\x08\x00\x00\x00\x01")
	if !bytes.Equal(key[:16], wantHead) {
		t.Errorf("header = %x, want %x", key[:16], wantHead)
	}
	if bytes.Equal(key[16:48], make([]byte, 32)) {
		t.Error("salt is all zero")
	}
	sum := sha256.Sum256(key[:48])
	if !bytes.Equal(sum[:16], key[48:64]) {
		t.Error("bad checksum")
	}
	assertVerify(t, enc, testPassword, true)
	assertVerify(t, enc, testPassword+" ", false)
	assertVerify(t, enc, "", false)

	// Fresh salt every time.
	if other := mustHash(t, cheapScrypt, testPassword); other == enc {
		t.Error("two hashes of the same password are equal")
	}

	// Custom parameters, the empty password and non-UTF-8 bytes round-trip.
	for _, s := range []Scrypt{{LogN: 1, R: 1, P: 1}, {LogN: 6, R: 1, P: 3}, {LogN: 3, R: 16, P: 1}} {
		for _, pw := range []string{"", "\xff\x00\xfe", "pässwörd-Ω-🙂"} {
			e := mustHash(t, s, pw)
			assertVerify(t, e, pw, true)
			assertVerify(t, e, pw+"!", false)
			if s.NeedsRehash(e) {
				t.Errorf("%+v.NeedsRehash(own hash) = true", s)
			}
		}
	}
}

func TestScryptDefaultFormat(t *testing.T) {
	t.Parallel()
	enc := mustHash(t, DefaultScrypt(), "supersecret")
	if !strings.HasPrefix(enc, "c2NyeXB0AA8AAAAIAAAAA") || len(enc) != 128 {
		t.Errorf("default hash %q: want 128 chars starting c2NyeXB0AA8AAAAIAAAAA", enc)
	}
	assertVerify(t, enc, "supersecret", true)
	if DefaultScrypt().NeedsRehash(enc) {
		t.Error("NeedsRehash(own default hash) = true")
	}
}

// ---------------------------------------------------------------------------
// lenient base64 (Node's Buffer.from(s, "base64"))

func TestDecodeBase64Node(t *testing.T) {
	// Expected values were taken from Node 20's Buffer.from(s, "base64").
	for _, tc := range []struct{ in, wantHex string }{
		{"", ""},
		{"QUJD", "414243"},
		{"QUI", "4142"},
		{"QQ", "41"},
		{"Q", ""},
		{"Q=", ""},
		{"QUI=", "4142"},
		{"QUJD==", "414243"},
		{"QUJDQ", "414243"},
		{"QUJDQU", "41424341"},
		{"QU JD\n", "414243"},
		{"QU\nJD", "414243"},
		{"QUJD=QUJD", "414243"}, // Node stops at the first '='
		{"QU=JD", "41"},
		{"-_-_", "fbffbf"},
		{"+/+/", "fbffbf"},
		{"QUJ*D", "414243"},
		{"QUJD\u00e9QUJD", "414243414243"},
		{"QUJD\u00a0", "414243"},
	} {
		if got := hex.EncodeToString(decodeBase64Node(tc.in)); got != tc.wantHex {
			t.Errorf("decodeBase64Node(%q) = %s, want %s", tc.in, got, tc.wantHex)
		}
	}
}

func TestLenientBase64Verify(t *testing.T) {
	pw, enc := cheapSpecVector()
	if !strings.ContainsAny(enc, "+/") {
		t.Fatal("vector has no + or /; pick another")
	}
	urlSafe := strings.NewReplacer("+", "-", "/", "_").Replace(enc)
	variants := map[string]string{
		"url-safe":        urlSafe,
		"padding added":   enc + "==",
		"trailing junk":   enc + "=garbage",
		"newline inside":  enc[:60] + "\n" + enc[60:],
		"mime wrapped":    enc[:76] + "\r\n" + enc[76:] + "\r\n",
		"spaces":          " " + enc[:10] + " " + enc[10:] + " ",
		"dangling char":   enc + "A", // 129 chars: Node drops the last one
		"url-safe+spaces": "\t" + urlSafe + "\n",
	}
	for name, e := range variants {
		t.Run(name, func(t *testing.T) {
			assertVerify(t, e, pw, true)
			assertVerify(t, e, pw+"x", false)
			if !cheapScrypt.NeedsRehash(e) {
				t.Error("NeedsRehash(non-canonical encoding) = false; want true so it is normalised")
			}
		})
	}
	// '=' inside the string truncates the key, as in Node: "Invalid key".
	ok, err := verifyAny(enc[:64]+"="+enc[64:], []byte(pw))
	assertMalformed(t, enc, pw, ok, err)
	if err.Error() != "Invalid key" {
		t.Errorf("err = %q, want Invalid key", err)
	}
}

// ---------------------------------------------------------------------------
// malformed input

// craftScrypt builds a 96-byte scrypt-kdf key with the given header and a
// correct checksum, base64 encoded.
func craftScrypt(magic string, version, logN uint8, r, p uint32) string {
	var key [96]byte
	copy(key[:6], magic)
	key[6] = version
	key[7] = logN
	binary.BigEndian.PutUint32(key[8:], r)
	binary.BigEndian.PutUint32(key[12:], p)
	sum := sha256.Sum256(key[:48])
	copy(key[48:64], sum[:16])
	return base64.StdEncoding.EncodeToString(key[:])
}

func TestVerifyInvalidKeyLength(t *testing.T) {
	rnd := func(n int) []byte { b := make([]byte, n); _, _ = rand.Read(b); return b }
	for name, enc := range map[string]string{
		"empty":      "",
		"abc":        "abc",
		"95 bytes":   base64.StdEncoding.EncodeToString(rnd(95)),
		"97 bytes":   base64.StdEncoding.EncodeToString(rnd(97)),
		"whitespace": " \n\t ",
		"huge":       strings.Repeat("QUJD", 1<<16),
	} {
		t.Run(name, func(t *testing.T) {
			ok, err := verifyAny(enc, []byte(testPassword))
			assertMalformed(t, enc, testPassword, ok, err)
			if err.Error() != "Invalid key" {
				t.Errorf("err = %q, want Medusa's %q", err, "Invalid key")
			}
		})
	}
}

func TestVerifyMalformedScrypt(t *testing.T) {
	random96 := make([]byte, 96)
	_, _ = rand.Read(random96)
	cases := map[string]string{
		"96 random bytes":   base64.StdEncoding.EncodeToString(random96),
		"wrong magic":       craftScrypt("scrypx", 0, 4, 8, 1),
		"version 1":         craftScrypt("scrypt", 1, 4, 8, 1),
		"logN 0":            craftScrypt("scrypt", 0, 0, 8, 1),
		"logN 31":           craftScrypt("scrypt", 0, 31, 8, 1),
		"logN 40":           craftScrypt("scrypt", 0, 40, 8, 1),
		"logN 255":          craftScrypt("scrypt", 0, 255, 8, 1),
		"logN 21 (2 GiB)":   craftScrypt("scrypt", 0, 21, 8, 1),
		"logN 22 r 8":       craftScrypt("scrypt", 0, 22, 8, 1),
		"r 0":               craftScrypt("scrypt", 0, 4, 0, 1),
		"p 0":               craftScrypt("scrypt", 0, 4, 8, 0),
		"p huge":            craftScrypt("scrypt", 0, 4, 8, 0xFFFFFFFF),
		"r huge":            craftScrypt("scrypt", 0, 4, 0xFFFFFFFF, 1),
		"r*p at 2^30":       craftScrypt("scrypt", 0, 1, 1<<15, 1<<15),
		"work above bound":  craftScrypt("scrypt", 0, 15, 8, 65),
		"memory above 1GiB": craftScrypt("scrypt", 0, 1, 1<<23, 1),
	}
	for name, enc := range cases {
		t.Run(name, func(t *testing.T) {
			kdf := countKDF(t)
			ok, err := verifyAny(enc, []byte(testPassword))
			assertMalformed(t, enc, testPassword, ok, err)
			// Rejected before any key derivation.
			if len(*kdf) != 0 {
				t.Errorf("key derivations %q, want none", *kdf)
			}
			if !cheapScrypt.NeedsRehash(enc) {
				t.Error("NeedsRehash(malformed) = false")
			}
		})
	}
}

func TestVerifyTamperedScrypt(t *testing.T) {
	pw, enc := cheapSpecVector()
	key, _ := base64.StdEncoding.DecodeString(enc)
	flip := func(i int) string {
		k := bytes.Clone(key)
		k[i] ^= 0x01
		return base64.StdEncoding.EncodeToString(k)
	}
	for name, i := range map[string]int{
		"header logN": 7, "header r": 11, "salt": 20, "checksum": 50, "hmac first": 64, "hmac last": 95,
	} {
		t.Run(name, func(t *testing.T) {
			ok, err := verifyAny(flip(i), []byte(pw))
			if ok || err != nil {
				t.Errorf("= %v, %v; want false, nil", ok, err)
			}
		})
	}
	// A header with valid checksum but other parameters than the ones the
	// HMAC was made with: no match.
	k := bytes.Clone(key)
	k[7] = 5
	sum := sha256.Sum256(k[:48])
	copy(k[48:64], sum[:16])
	assertVerify(t, base64.StdEncoding.EncodeToString(k), pw, false)
}

func TestVerifyMalformedPHC(t *testing.T) {
	good := mustHash(t, cheapArgon, testPassword)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	phc := func(v, params, s, k string) string { return "$argon2id$" + v + "$" + params + "$" + s + "$" + k }
	const ok64 = "m=64,t=1,p=1"
	cases := map[string]string{
		"dollar only":        "$",
		"prefix only":        "$argon2id$",
		"no key":             "$argon2id$v=19$" + ok64 + "$" + salt,
		"no salt or key":     "$argon2id$v=19$" + ok64,
		"extra part":         good + "$extra",
		"empty salt and key": phc("v=19", ok64, "", ""),
		"argon2d":            strings.Replace(good, "argon2id", "argon2d", 1),
		"argon2ds":           strings.Replace(good, "argon2id", "argon2ds", 1),
		"Django, no version": "argon2" + strings.Replace(good, "$v=19", "", 1),
		"Django, bad prefix": "argon3" + good,
		"Django, twice":      "argon2$argon2" + good,
		"pbkdf2":             "$pbkdf2-sha256$29000$N2YuDw$rUiZB4kR8e4sNUk9CKuBP.Nm5d.wkVkR6D5B0Y.Y3oE",
		"no version":         "$argon2id$" + ok64 + "$" + salt + "$" + key,
		"version 16":         phc("v=16", ok64, salt, key),
		"version empty":      phc("v=", ok64, salt, key),
		"params reordered":   phc("v=19", "t=1,m=64,p=1", salt, key),
		"CR in salt":         phc("v=19", ok64, salt[:4]+"\r"+salt[4:], key),
		"LF in key":          phc("v=19", ok64, salt, key[:4]+"\n"+key[4:]),
		"params missing":     phc("v=19", "m=64,t=1", salt, key),
		"params extra":       phc("v=19", ok64+",keyid=abc", salt, key),
		"m not a number":     phc("v=19", "m=abc,t=1,p=1", salt, key),
		"m negative":         phc("v=19", "m=-64,t=1,p=1", salt, key),
		"m plus sign":        phc("v=19", "m=+64,t=1,p=1", salt, key),
		"m leading zero":     phc("v=19", "m=064,t=1,p=1", salt, key),
		"m empty":            phc("v=19", "m=,t=1,p=1", salt, key),
		"m overflow":         phc("v=19", "m=99999999999,t=1,p=1", salt, key),
		"m above uint32":     phc("v=19", "m=4294967296,t=1,p=1", salt, key),
		"m 4 GiB":            phc("v=19", "m=4194304,t=1,p=1", salt, key),
		"m above 1 GiB":      phc("v=19", "m=1048577,t=1,p=1", salt, key),
		"m below 8p":         phc("v=19", "m=15,t=1,p=2", salt, key),
		"m 0":                phc("v=19", "m=0,t=1,p=1", salt, key),
		"t 0":                phc("v=19", "m=64,t=0,p=1", salt, key),
		"t 101":              phc("v=19", "m=64,t=101,p=1", salt, key),
		"work above bound":   phc("v=19", "m=1048576,t=9,p=1", salt, key),
		"p 0":                phc("v=19", "m=64,t=1,p=0", salt, key),
		"p 256":              phc("v=19", "m=4096,t=1,p=256", salt, key),
		"space in number":    phc("v=19", "m= 64,t=1,p=1", salt, key),
		"salt bad base64":    phc("v=19", ok64, "!!!!!!!!!!!", key),
		"salt padded":        phc("v=19", ok64, salt+"==", key),
		"salt too short":     phc("v=19", ok64, "c2FsdA", key),
		"key bad base64":     phc("v=19", ok64, salt, key[:len(key)-1]+"*"),
		"key too short":      phc("v=19", ok64, salt, "a2V5a2V5"),
		"key 1 mod 4":        phc("v=19", ok64, salt, key+"AA"), // 45 chars
		"key huge":           phc("v=19", ok64, salt, strings.Repeat("A", 1<<16)),
		"salt url-safe":      phc("v=19", ok64, "-_-_-_-_-_-_-_-_-_-_-_", key),
	}
	for name, enc := range cases {
		t.Run(name, func(t *testing.T) {
			kdf := countKDF(t)
			ok, err := verifyAny(enc, []byte(testPassword))
			assertMalformed(t, enc, testPassword, ok, err)
			if len(*kdf) != 0 {
				t.Errorf("key derivations %q, want none", *kdf)
			}
			if !cheapArgon.NeedsRehash(enc) {
				t.Error("NeedsRehash(malformed) = false")
			}
		})
	}
}

// ---------------------------------------------------------------------------
// argon2id

func TestArgon2idRoundTrip(t *testing.T) {
	enc := mustHash(t, cheapArgon, testPassword)
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q has an unexpected prefix", enc)
	}
	parts := strings.Split(enc, "$")
	if len(parts) != 6 {
		t.Fatalf("%d parts", len(parts))
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("salt %d bytes (%v), key %d bytes (%v)", len(salt), err1, len(key), err2)
	}
	// Independent recomputation.
	if want := argon2.IDKey([]byte(testPassword), salt, 1, 64, 1, 32); !bytes.Equal(want, key) {
		t.Error("key is not argon2.IDKey(password, salt, t, m, p, len)")
	}
	assertVerify(t, enc, testPassword, true)
	assertVerify(t, enc, testPassword+"x", false)
	assertVerify(t, enc, "", false)
	if other := mustHash(t, cheapArgon, testPassword); other == enc {
		t.Error("two hashes of the same password are equal")
	}

	// Scrypt hashers verify argon2id hashes and vice versa.
	scryptEnc := mustHash(t, cheapScrypt, testPassword)
	for _, h := range []Hasher{cheapScrypt, DefaultScrypt(), Scrypt{}, cheapArgon, DefaultArgon2id(), Argon2id{}} {
		for _, e := range []string{enc, scryptEnc} {
			if ok, err := h.Verify(e, []byte(testPassword)); !ok || err != nil {
				t.Errorf("%#v.Verify(%.20s…) = %v, %v", h, e, ok, err)
			}
		}
	}

	// Other parameter sets round-trip.
	for _, a := range []Argon2id{
		{Time: 3, MemoryKiB: 32, Threads: 4, KeyLen: 16, SaltLen: 8},
		{Time: 1, MemoryKiB: 256, Threads: 2, KeyLen: 64, SaltLen: 32},
	} {
		e := mustHash(t, a, testPassword)
		assertVerify(t, e, testPassword, true)
		assertVerify(t, e, "x", false)
		if a.NeedsRehash(e) {
			t.Errorf("%+v.NeedsRehash(own hash) = true", a)
		}
	}
}

func TestArgon2idDefaultFormat(t *testing.T) {
	t.Parallel()
	if got, want := DefaultArgon2id(), (Argon2id{Time: 2, MemoryKiB: 19456, Threads: 1, KeyLen: 32, SaltLen: 16}); got != want {
		t.Errorf("DefaultArgon2id() = %+v, want %+v", got, want)
	}
	enc := mustHash(t, DefaultArgon2id(), testPassword)
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", enc)
	}
	assertVerify(t, enc, testPassword, true)
	if DefaultArgon2id().NeedsRehash(enc) {
		t.Error("NeedsRehash(own default hash) = true")
	}
	if !DefaultScrypt().NeedsRehash(enc) {
		t.Error("DefaultScrypt().NeedsRehash(argon2id hash) = false")
	}
}

// ---------------------------------------------------------------------------
// configuration, rehash, dummy hash

func TestInvalidConfig(t *testing.T) {
	for _, h := range []Hasher{
		Scrypt{}, Scrypt{LogN: 4, R: 8}, Scrypt{LogN: 4, P: 1}, Scrypt{LogN: 40, R: 8, P: 1}, Scrypt{LogN: 21, R: 8, P: 1},
		Argon2id{}, Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32}, Argon2id{Time: 1, MemoryKiB: 64, KeyLen: 32, SaltLen: 16},
		Argon2id{Time: 1, MemoryKiB: 7, Threads: 1, KeyLen: 32, SaltLen: 16}, Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 4, SaltLen: 16},
		Argon2id{Time: 1, MemoryKiB: 2 << 20, Threads: 1, KeyLen: 32, SaltLen: 16},
	} {
		enc, err := h.Hash([]byte(testPassword))
		if err == nil || enc != "" {
			t.Errorf("%#v.Hash = %q, %v; want an error", h, enc, err)
			continue
		}
		if strings.Contains(err.Error(), testPassword) {
			t.Errorf("error %q contains the password", err)
		}
		// An invalid hasher never asks for a rehash it could not make.
		if h.NeedsRehash(mustHash(t, cheapScrypt, "x")) || h.NeedsRehash("garbage") {
			t.Errorf("%#v.NeedsRehash = true", h)
		}
		if d := makeDummy(h); d != "" {
			t.Errorf("makeDummy(%#v) = %q, want \"\"", h, d)
		}
	}
}

func TestNeedsRehashMatrix(t *testing.T) {
	hashers := []Hasher{
		cheapScrypt,
		Scrypt{LogN: 5, R: 8, P: 1},
		Scrypt{LogN: 4, R: 4, P: 1},
		Scrypt{LogN: 4, R: 8, P: 2},
		cheapArgon,
		Argon2id{Time: 2, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16},
		Argon2id{Time: 1, MemoryKiB: 128, Threads: 1, KeyLen: 32, SaltLen: 16},
		Argon2id{Time: 1, MemoryKiB: 64, Threads: 2, KeyLen: 32, SaltLen: 16},
		Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 16, SaltLen: 16},
		Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 8},
	}
	encs := make([]string, len(hashers))
	for i, h := range hashers {
		encs[i] = mustHash(t, h, testPassword)
	}
	for i, h := range hashers {
		for j, e := range encs {
			if got, want := h.NeedsRehash(e), i != j; got != want {
				t.Errorf("%#v.NeedsRehash(hash by %#v) = %v, want %v", h, hashers[j], got, want)
			}
			if ok, err := h.Verify(e, []byte(testPassword)); !ok || err != nil {
				t.Errorf("%#v.Verify(hash by %#v) = %v, %v", h, hashers[j], ok, err)
			}
		}
		for _, junk := range []string{"", "garbage", "$argon2id$", "$2b$10$abc"} {
			if !h.NeedsRehash(junk) {
				t.Errorf("%#v.NeedsRehash(%q) = false", h, junk)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// fuzzing and benchmarks

// fuzzTooCostly reports whether encoded asks for more work than the default
// parameters, so that mutated inputs do not make the fuzzer crawl.
func fuzzTooCostly(encoded string) bool {
	switch v := paramsOf(encoded).(type) {
	case Argon2id:
		return uint64(v.MemoryKiB)*uint64(v.Time) > 19456*2
	case Argon2i:
		return uint64(v.MemoryKiB)*uint64(v.Time) > 19456*2
	case Scrypt:
		return (uint64(1)<<v.LogN)*uint64(v.R)*uint64(v.P) > 1<<18
	case Bcrypt:
		return v.Cost > 6
	case PBKDF2SHA256:
		return v.Iterations > 10000
	}
	return false
}

func FuzzVerify(f *testing.F) {
	for _, v := range loadVectors(f).Vectors {
		f.Add(v.StoredHash, []byte(v.Password))
	}
	for _, v := range specVectors[:2] { // the logN 15 one adds nothing to the JSON vectors
		f.Add(v.hash, []byte(v.password))
	}
	for _, v := range loadImported(f) {
		f.Add(v.Hash, []byte(v.Password))
	}
	f.Add(mustHash(f, cheapArgon, testPassword), []byte(testPassword))
	f.Add(mustHash(f, cheapScrypt, testPassword), []byte(testPassword))
	f.Add(mustHash(f, Bcrypt{Cost: 4}, testPassword), []byte(testPassword))
	f.Add(mustHash(f, PBKDF2SHA256{Iterations: 10}, testPassword), []byte(testPassword))
	f.Add("", []byte(""))
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", []byte("x"))
	f.Add(craftScrypt("scrypt", 0, 40, 8, 1), []byte("x"))
	f.Fuzz(func(t *testing.T, encoded string, password []byte) {
		if fuzzTooCostly(encoded) {
			t.Skip()
		}
		ok, err := verifyAny(encoded, password)
		if err != nil {
			if ok {
				t.Fatal("ok with an error")
			}
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("error %v does not wrap ErrMalformedHash", err)
			}
			// The error does not depend on the password, so it cannot
			// hold it.
			if _, other := verifyAny(encoded, nil); other == nil || other.Error() != err.Error() {
				t.Fatalf("error %q depends on the password (%v without it)", err, other)
			}
		}
		cheapScrypt.NeedsRehash(encoded)
		cheapArgon.NeedsRehash(encoded)
	})
}

func BenchmarkScryptDefault(b *testing.B) {
	h, pw := DefaultScrypt(), []byte(testPassword)
	for b.Loop() {
		enc, err := h.Hash(pw)
		if err != nil {
			b.Fatal(err)
		}
		if ok, err := h.Verify(enc, pw); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkArgon2idDefault(b *testing.B) {
	h, pw := DefaultArgon2id(), []byte(testPassword)
	for b.Loop() {
		enc, err := h.Hash(pw)
		if err != nil {
			b.Fatal(err)
		}
		if ok, err := h.Verify(enc, pw); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func TestCheckScryptParams(t *testing.T) {
	for _, tc := range []struct {
		logN uint8
		r, p uint32
		want bool
	}{
		{15, 8, 1, true}, {1, 1, 1, true}, {20, 8, 1, true}, {20, 8, 2, true}, {22, 1, 1, true},
		{15, 8, 64, true}, {15, 8, 65, false}, {20, 8, 3, false}, {21, 8, 1, false}, {22, 8, 1, false},
		{0, 8, 1, false}, {31, 1, 1, false}, {255, 1, 1, false}, {4, 0, 1, false}, {4, 8, 0, false},
		{1, 0xFFFFFFFF, 0xFFFFFFFF, false}, {1, 1 << 23, 1, false}, {1, 1 << 22, 2, false},
	} {
		if got := checkScryptParams(tc.logN, tc.r, tc.p); got != tc.want {
			t.Errorf("checkScryptParams(%d, %d, %d) = %v, want %v", tc.logN, tc.r, tc.p, got, tc.want)
		}
	}
}
