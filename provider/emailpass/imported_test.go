package emailpass

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/clientele/clientele/provider"
)

// importedVector is one entry of testdata/imported-hash-vectors.json: a
// hash another system made, its password, and where it was published.
type importedVector struct {
	Format   string `json:"format"`
	Hash     string `json:"hash"`
	Password string `json:"password"`
	Source   string `json:"source"`
}

func loadImported(tb testing.TB) []importedVector {
	tb.Helper()
	b, err := os.ReadFile("testdata/imported-hash-vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var v struct {
		Vectors []importedVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	if len(v.Vectors) == 0 {
		tb.Fatal("no vectors in testdata")
	}
	return v.Vectors
}

var cheapArgonI = Argon2i(cheapArgon)

// TestImportedVectors: every published hash verifies with its password
// and with no other, is recognised as its format, passes
// CheckImportedHash, and asks the default hashers for a rehash.
func TestImportedVectors(t *testing.T) {
	p := New()
	for _, v := range loadImported(t) {
		t.Run(v.Format+"/"+v.Hash[:min(len(v.Hash), 24)], func(t *testing.T) {
			t.Parallel()
			if v.Source == "" {
				t.Error("vector without its source")
			}
			assertVerify(t, v.Hash, v.Password, true)
			assertVerify(t, v.Hash, v.Password+"x", false)
			if !fuzzTooCostly(v.Hash) { // keep -race fast on the costly ones
				assertVerify(t, v.Hash, strings.ToUpper(v.Password), false)
			}
			if got := familyOf(paramsOf(v.Hash)).String(); got != v.Format {
				t.Errorf("recognised as %s", got)
			}
			if err := p.CheckImportedHash(v.Hash); err != nil {
				t.Errorf("CheckImportedHash: %v", err)
			}
			for _, h := range []Hasher{DefaultScrypt(), DefaultArgon2id()} {
				if !h.NeedsRehash(v.Hash) {
					t.Errorf("%#v.NeedsRehash = false", h)
				}
			}
			// Its own parameters ask no rehash, except behind Django's
			// prefix, which is not canonical.
			if own := paramsOf(v.Hash); own.NeedsRehash(v.Hash) != strings.HasPrefix(v.Hash, djangoArgonPrefix) {
				t.Errorf("%#v.NeedsRehash = %v", own, own.NeedsRehash(v.Hash))
			}
		})
	}
}

// TestIdentify: a stored string is in one format, recognised from its
// prefix alone.
func TestIdentify(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want family
	}{
		{"$2a$10$x", bcryptFamily}, {"$2b$10$x", bcryptFamily}, {"$2y$10$x", bcryptFamily},
		{"$2x$10$x", other}, {"$2$10$x", other}, {"$2A$10$x", other},
		{"$argon2id$v=19$", argonFamily}, {"$argon2i$v=19$", argon2iFamily}, {"$argon2d$v=19$", other},
		{"argon2$argon2id$v=19$", argonFamily}, {"argon2$argon2i$v=19$", argon2iFamily}, {"argon2$$argon2i$", other},
		{"pbkdf2_sha256$1$s$h", pbkdf2Family}, {"pbkdf2_sha1$1$s$h", other}, {"bcrypt$$2b$12$x", other},
		{"$pbkdf2-sha256$29000$x$y", other}, {"$scrypt$ln=16,r=8,p=1$x$y", other}, {"md5$salt$x", other},
		{"c2NyeXB0AA8AAAAIAAAAA", scryptFamily}, {"", scryptFamily}, {"garbage", scryptFamily},
	} {
		if got := identify(tc.in); got != tc.want {
			t.Errorf("identify(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	ok, err := verifyAny("md5$salt$3f86d0d3d465b7b458c231bf3555c0e3", []byte("lètmein"))
	assertMalformed(t, "md5$salt$3f86d0d3d465b7b458c231bf3555c0e3", "lètmein", ok, err)
}

func TestBcrypt(t *testing.T) {
	h := Bcrypt{Cost: 4}
	enc := mustHash(t, h, testPassword)
	if !strings.HasPrefix(enc, "$2a$04$") || len(enc) != bcryptLen {
		t.Errorf("hash %q", enc)
	}
	assertVerify(t, enc, testPassword, true)
	assertVerify(t, enc, testPassword+"x", false)
	assertVerify(t, enc, "", false)
	if h.NeedsRehash(enc) || !(Bcrypt{Cost: 5}).NeedsRehash(enc) || !cheapScrypt.NeedsRehash(enc) {
		t.Error("NeedsRehash")
	}
	// $2b$ and $2y$ spell the same hash.
	for _, prefix := range []string{"$2b$", "$2y$"} {
		alt := prefix + enc[4:]
		assertVerify(t, alt, testPassword, true)
		if h.NeedsRehash(alt) {
			t.Errorf("NeedsRehash(%s) = true", prefix)
		}
	}

	// bcrypt reads 72 bytes: a longer password is refused by Hash and
	// never matches, even one whose first 72 bytes do.
	long72 := strings.Repeat("a", 72)
	enc72 := mustHash(t, h, long72)
	assertVerify(t, enc72, long72, true)
	assertVerify(t, enc72, long72+"b", false)
	if s, err := h.Hash([]byte(long72 + "b")); err == nil || s != "" {
		t.Errorf("Hash(73 bytes) = %q, %v", s, err)
	}

	for _, bad := range []Bcrypt{{}, {Cost: 3}, {Cost: 17}, {Cost: 31}} {
		if s, err := bad.Hash([]byte("x")); err == nil || s != "" {
			t.Errorf("%#v.Hash = %q, %v", bad, s, err)
		}
		if bad.NeedsRehash(enc) || makeDummy(bad) != "" {
			t.Errorf("%#v: NeedsRehash or a dummy", bad)
		}
	}

	const body = "cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"
	assertAllMalformed(t, h, map[string]string{
		"$2x$ (crypt_blowfish bug)": "$2x$04$" + body,
		"$2$":                       "$2$04$" + body,
		"$2c$":                      "$2c$04$" + body,
		"cost 03":                   "$2b$03$" + body,
		"cost 17":                   "$2b$17$" + body,
		"cost 31":                   "$2b$31$" + body,
		"cost 4":                    "$2b$4$" + body,
		"cost letters":              "$2b$1a$" + body,
		"cost sign":                 "$2b$+4$" + body,
		"short":                     "$2b$04$" + body[1:],
		"long":                      "$2b$04$" + body + "A",
		"bad character":             "$2b$04$" + body[:20] + "+" + body[21:],
		"padding":                   "$2b$04$" + body[:52] + "=",
		"newline":                   "$2b$04$" + body[:52] + "\n",
		"no separator":              "$2b$04" + body + "A",
	})
}

func TestPBKDF2SHA256(t *testing.T) {
	h := PBKDF2SHA256{Iterations: 1000}
	enc := mustHash(t, h, testPassword)
	if !strings.HasPrefix(enc, "pbkdf2_sha256$1000$") {
		t.Errorf("hash %q", enc)
	}
	assertVerify(t, enc, testPassword, true)
	assertVerify(t, enc, testPassword+"x", false)
	assertVerify(t, enc, "", false)
	if other := mustHash(t, h, testPassword); other == enc {
		t.Error("two hashes of the same password are equal")
	}
	if h.NeedsRehash(enc) || !(PBKDF2SHA256{Iterations: 1001}).NeedsRehash(enc) || !cheapArgon.NeedsRehash(enc) {
		t.Error("NeedsRehash")
	}
	for _, pw := range []string{"", "pässwörd-Ω-🙂", "\xff\xfe"} {
		assertVerify(t, mustHash(t, h, pw), pw, true)
	}
	for _, bad := range []PBKDF2SHA256{{}, {Iterations: -1}, {Iterations: pbkdf2MaxIterations + 1}} {
		if s, err := bad.Hash([]byte("x")); err == nil || s != "" {
			t.Errorf("%#v.Hash = %q, %v", bad, s, err)
		}
		if bad.NeedsRehash(enc) || makeDummy(bad) != "" {
			t.Errorf("%#v: NeedsRehash or a dummy", bad)
		}
	}

	const key = "8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c="
	assertAllMalformed(t, h, map[string]string{
		"prefix only":         "pbkdf2_sha256$",
		"no key":              "pbkdf2_sha256$1000$seasalt",
		"extra part":          "pbkdf2_sha256$1000$seasalt$" + key + "$x",
		"iterations 0":        "pbkdf2_sha256$0$seasalt$" + key,
		"iterations negative": "pbkdf2_sha256$-1$seasalt$" + key,
		"iterations leading0": "pbkdf2_sha256$01000$seasalt$" + key,
		"iterations empty":    "pbkdf2_sha256$$seasalt$" + key,
		"iterations above":    "pbkdf2_sha256$10000001$seasalt$" + key,
		"iterations huge":     "pbkdf2_sha256$99999999999999999999$seasalt$" + key,
		"salt empty":          "pbkdf2_sha256$1000$$" + key,
		"salt with space":     "pbkdf2_sha256$1000$sea salt$" + key,
		"salt not ASCII":      "pbkdf2_sha256$1000$séasalt$" + key,
		"salt too long":       "pbkdf2_sha256$1000$" + strings.Repeat("s", 129) + "$" + key,
		"key unpadded":        "pbkdf2_sha256$1000$seasalt$" + strings.TrimRight(key, "="),
		"key short":           "pbkdf2_sha256$1000$seasalt$" + key[4:],
		"key url-safe":        "pbkdf2_sha256$1000$seasalt$" + strings.ReplaceAll(key, "+", "-"),
		"key with newline":    "pbkdf2_sha256$1000$seasalt$" + key[:20] + "\n" + key[21:],
		"key hex":             "pbkdf2_sha256$1000$seasalt$f3106519ddf0c5d2e9b3a0e2d89b3d6afa0",
		"sha1":                "pbkdf2_sha1$1000$seasalt$" + key,
		"passlib":             "$pbkdf2-sha256$1000$seasalt$" + key,
	})
}

// assertAllMalformed checks that each of cases (by name) is refused as a
// malformed hash, and that h asks to rehash it.
func assertAllMalformed(t *testing.T, h Hasher, cases map[string]string) {
	t.Helper()
	for name, enc := range cases {
		t.Run(name, func(t *testing.T) {
			ok, err := verifyAny(enc, []byte(testPassword))
			assertMalformed(t, enc, testPassword, ok, err)
			if !h.NeedsRehash(enc) {
				t.Error("NeedsRehash(malformed) = false")
			}
		})
	}
}

func TestArgon2i(t *testing.T) {
	enc := mustHash(t, cheapArgonI, testPassword)
	if !strings.HasPrefix(enc, "$argon2i$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q", enc)
	}
	assertVerify(t, enc, testPassword, true)
	assertVerify(t, enc, testPassword+"x", false)
	// argon2i and argon2id are two formats: each asks the other for a
	// rehash, and neither verifies as the other.
	idEnc := mustHash(t, cheapArgon, testPassword)
	if cheapArgonI.NeedsRehash(enc) || !cheapArgonI.NeedsRehash(idEnc) || !cheapArgon.NeedsRehash(enc) {
		t.Error("NeedsRehash across variants")
	}
	assertVerify(t, strings.Replace(enc, "argon2i", "argon2id", 1), testPassword, false)
	assertVerify(t, strings.Replace(idEnc, "argon2id", "argon2i", 1), testPassword, false)
	// Django's prefix verifies and asks for a rehash.
	assertVerify(t, "argon2"+enc, testPassword, true)
	if !cheapArgonI.NeedsRehash("argon2" + enc) {
		t.Error("NeedsRehash(Django's spelling) = false")
	}
	if s, err := (Argon2i{}).Hash([]byte("x")); err == nil || s != "" {
		t.Errorf("invalid Argon2i.Hash = %q, %v", s, err)
	}
}

// TestImportedNeedsRehashMatrix: each hasher asks a rehash of every hash
// but its own, and verifies them all.
func TestImportedNeedsRehashMatrix(t *testing.T) {
	hashers := []Hasher{cheapScrypt, cheapArgon, cheapArgonI, Bcrypt{Cost: 4}, Bcrypt{Cost: 5}, PBKDF2SHA256{Iterations: 1000}, PBKDF2SHA256{Iterations: 2000}}
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
		if paramsOf(encs[i]) != h {
			t.Errorf("paramsOf(hash by %#v) = %#v", h, paramsOf(encs[i]))
		}
	}
}

func TestLimits(t *testing.T) {
	if got := (Limits{}).withDefaults(); got != DefaultLimits() {
		t.Errorf("zero limits with defaults = %+v", got)
	}
	l := Limits{BcryptCost: 5, PBKDF2Iterations: 1000, Argon2MemoryKiB: 64, Argon2Time: 1, Argon2Threads: 1, ScryptLogN: 4, ScryptR: 8, ScryptP: 1}
	for _, tc := range []struct {
		params Hasher
		over   bool
	}{
		{Bcrypt{Cost: 5}, false}, {Bcrypt{Cost: 6}, true},
		{PBKDF2SHA256{Iterations: 1000}, false}, {PBKDF2SHA256{Iterations: 1001}, true},
		{cheapArgon, false}, {cheapArgonI, false},
		{Argon2id{Time: 2, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{Argon2i{Time: 1, MemoryKiB: 128, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{Argon2id{Time: 1, MemoryKiB: 64, Threads: 2, KeyLen: 32, SaltLen: 16}, true},
		{cheapScrypt, false}, {Scrypt{LogN: 5, R: 8, P: 1}, true}, {Scrypt{LogN: 4, R: 9, P: 1}, true}, {Scrypt{LogN: 4, R: 8, P: 2}, true},
		{nil, false}, {newForeign(), false},
	} {
		err := l.check(tc.params)
		if (err != nil) != tc.over || (err != nil && !errors.Is(err, ErrHashOverLimit)) || errors.Is(err, ErrMalformedHash) {
			t.Errorf("check(%#v) = %v, want over %v", tc.params, err, tc.over)
		}
	}
	// New raises the limits to the accepted formats.
	p := New(WithHasher(Argon2id{Time: 12, MemoryKiB: 64, Threads: 20, KeyLen: 32, SaltLen: 16}),
		WithLegacyHashers(Bcrypt{Cost: 14}, PBKDF2SHA256{Iterations: 3_000_000}, Scrypt{LogN: 5, R: 20, P: 17}, &cheapArgonI),
		WithLimits(Limits{BcryptCost: 10}))
	want := DefaultLimits()
	want.BcryptCost, want.PBKDF2Iterations, want.Argon2Time, want.Argon2Threads = 14, 3_000_000, 12, 20
	want.ScryptR, want.ScryptP = 20, 17
	if got := p.Limits(); got != want {
		t.Errorf("limits %+v, want %+v", got, want)
	}
}

func TestCheckImportedHash(t *testing.T) {
	p := New(WithHasher(cheapScrypt), WithLimits(Limits{BcryptCost: 5, PBKDF2Iterations: 5000, Argon2MemoryKiB: 256, Argon2Time: 2, Argon2Threads: 2, ScryptLogN: 17}))
	for _, tc := range []struct {
		name, hash string
		want       error
	}{
		{"bcrypt", mustHash(t, Bcrypt{Cost: 4}, "x"), nil},
		{"bcrypt over", mustHash(t, Bcrypt{Cost: 6}, "x"), ErrHashOverLimit},
		{"bcrypt beyond bounds", "$2b$17$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", ErrMalformedHash},
		{"$2x$", "$2x$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", ErrMalformedHash},
		{"pbkdf2", mustHash(t, PBKDF2SHA256{Iterations: 5000}, "x"), nil},
		{"pbkdf2 over", "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", ErrHashOverLimit},
		{"argon2id", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", nil},
		{"argon2i", "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E", nil},
		{"Django argon2id over", "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw", ErrHashOverLimit},
		{"scrypt", mustHash(t, cheapScrypt, "x"), nil},
		{"Medusa's scrypt", mustHash(t, DefaultScrypt(), "x"), nil},
		{"scrypt over", craftScrypt("scrypt", 0, 18, 8, 1), ErrHashOverLimit},
		{"scrypt bad checksum", badChecksum(4), ErrMalformedHash},
		{"empty", "", ErrMalformedHash},
		{"garbage", "garbage", ErrMalformedHash},
		{"md5", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", ErrMalformedHash},
		{"plain text", "hunter2 hunter2", ErrMalformedHash},
	} {
		err := p.CheckImportedHash(tc.hash)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: CheckImportedHash = %v, want %v", tc.name, err, tc.want)
		}
		if err != nil && len(tc.hash) > 8 && strings.Contains(err.Error(), tc.hash) {
			t.Errorf("%s: the error %q holds the hash", tc.name, err)
		}
	}
	// A foreign hasher's own hashes are accepted.
	f := newForeign()
	withForeign := New(WithHasher(f))
	if err := withForeign.CheckImportedHash(mustHash(t, f, "x")); err != nil {
		t.Errorf("foreign hash: %v", err)
	}
}

// TestLoginOverLimit: a stored hash over the limits fails the login as
// "Invalid email or password" after the work of an unknown email (no key
// derivation of its own), and is logged without the hash, the email or the
// password.
func TestLoginOverLimit(t *testing.T) {
	const email = "ada@example.com"
	var logs bytes.Buffer
	p := New(WithHasher(cheapScrypt), WithLegacyHashers(Bcrypt{Cost: 4}), WithLimits(Limits{BcryptCost: 4, PBKDF2Iterations: 1000, ScryptLogN: 17}),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for _, stored := range []string{
		mustHash(t, Bcrypt{Cost: 5}, testPassword),
		mustHash(t, PBKDF2SHA256{Iterations: 1001}, testPassword),
		mustHash(t, Scrypt{LogN: 18, R: 1, P: 1}, testPassword),
	} {
		logs.Reset()
		got := countKDF(t)
		_, err := p.Authenticate(context.Background(), Credentials(email, testPassword), withPassword(email, stored))
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Message != msgInvalidCredentials || !errors.Is(err, provider.ErrUnauthorized) || !errors.Is(err, ErrHashOverLimit) {
			t.Fatalf("error %v", err)
		}
		if slices.Sort(*got); !slices.Equal(*got, work(cheapScrypt, Bcrypt{Cost: 4})) {
			t.Errorf("key derivations %q, want the dummies only", *got)
		}
		line := logs.String()
		if !strings.Contains(line, "authid_1") || !strings.Contains(line, "over the verification limits") {
			t.Errorf("log %q", line)
		}
		for _, secret := range []string{stored, stored[len(stored)-20:], email, testPassword} {
			if strings.Contains(line, secret) || strings.Contains(err.Error(), secret) {
				t.Errorf("log %q or error %q holds %q", line, err, secret)
			}
		}
	}
}

// TestImportedRehash: a login with an imported hash stores a hash of the
// configured hasher, only over the hash it verified (the same conditional
// write as every rehash), and keeps the other metadata.
func TestImportedRehash(t *testing.T) {
	const email = "ada@example.com"
	p := New(WithHasher(cheapScrypt), WithLegacyHashers(Bcrypt{Cost: 4}, PBKDF2SHA256{Iterations: 1000}, cheapArgonI))
	for _, h := range []Hasher{Bcrypt{Cost: 4}, PBKDF2SHA256{Iterations: 1000}, cheapArgonI} {
		stored := mustHash(t, h, testPassword)
		st := &recordingIDs{ids: *withPassword(email, stored)}
		st.identity.ProviderIdentities[0].ProviderMetadata["keep"] = "me"
		res, err := p.Authenticate(context.Background(), Credentials(email, testPassword), st)
		if err != nil {
			t.Fatalf("%#v: %v", h, err)
		}
		if len(st.ups) != 1 || st.ups[0].If == nil {
			t.Fatalf("%#v: updates %+v, want one conditional write", h, st.ups)
		}
		up := st.ups[0]
		newHash, _ := up.ProviderMetadata["password"].(string)
		if cheapScrypt.NeedsRehash(newHash) || up.ProviderMetadata["keep"] != "me" {
			t.Errorf("%#v: stored %v", h, up.ProviderMetadata)
		}
		if !up.If(&provider.ProviderIdentity{ProviderMetadata: map[string]any{"password": stored}}) ||
			up.If(&provider.ProviderIdentity{ProviderMetadata: map[string]any{"password": mustHash(t, cheapScrypt, "another password")}}) {
			t.Errorf("%#v: the write's condition is not \"the hash verified is still stored\"", h)
		}
		if storedHash(res.AuthIdentity) != newHash {
			t.Errorf("%#v: the result does not carry the new hash", h)
		}
		// A wrong password rewrites nothing.
		st.ups = nil
		if _, err := p.Authenticate(context.Background(), Credentials(email, "wrong password"), st); err == nil || len(st.ups) != 0 {
			t.Errorf("%#v: wrong password: %v, %d writes", h, err, len(st.ups))
		}
	}
}

// recordingIDs records the updates a provider asks for and applies them
// when their condition holds.
type recordingIDs struct {
	ids
	ups []provider.IdentityUpdate
}

func (r *recordingIDs) Update(_ context.Context, _ string, up provider.IdentityUpdate) (*provider.AuthIdentity, error) {
	r.ups = append(r.ups, up)
	pi := r.identity.ProviderIdentities[0]
	if up.If == nil || up.If(pi) {
		cp := *pi
		cp.ProviderMetadata = up.ProviderMetadata
		return &provider.AuthIdentity{ID: r.identity.ID, ProviderIdentities: []*provider.ProviderIdentity{&cp}}, nil
	}
	return r.identity, nil
}

// BenchmarkImportedVerify measures one verification of each published
// vector, at the cost its system made it with: bcrypt cost 10, Django's
// pbkdf2_sha256 at 390,000 iterations, Django's argon2id (100 MiB,
// 2 passes, 8 lanes).
func BenchmarkImportedVerify(b *testing.B) {
	for _, v := range loadImported(b) {
		if !strings.HasPrefix(v.Hash, "$2a$10$") && !strings.HasPrefix(v.Hash, "pbkdf2_sha256$390000$seasalt$") &&
			!strings.HasPrefix(v.Hash, "argon2$argon2id$") {
			continue
		}
		b.Run(v.Format+"/"+v.Hash[:min(len(v.Hash), 24)], func(b *testing.B) {
			pw := []byte(v.Password)
			for b.Loop() {
				if ok, err := verifyAny(v.Hash, pw); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkImportedLogin measures logins on a provider that hashes with
// Medusa's scrypt and declares imported bcrypt hashes of cost 10: an
// unknown email, a bcrypt user's wrong password and a hash over the limits
// should cost the same (one scrypt and one bcrypt verification); the
// bcrypt user's right password also rehashes with scrypt (the fake store
// keeps the old hash, so every iteration rehashes).
func BenchmarkImportedLogin(b *testing.B) {
	const email = "ada@example.com"
	bcryptHash := mustHash(b, Bcrypt{Cost: 10}, testPassword)
	overLimit := mustHash(b, Bcrypt{Cost: 11}, testPassword)
	ctx := context.Background()
	p := New(WithLegacyHashers(Bcrypt{Cost: 10}), WithLimits(Limits{BcryptCost: 10}), WithLogger(slog.New(slog.DiscardHandler)))
	run := func(b *testing.B, st *ids, password string, wantOK bool) {
		for b.Loop() {
			if _, err := p.Authenticate(ctx, Credentials(email, password), st); (err == nil) != wantOK {
				b.Fatal(err)
			}
		}
	}
	b.Run("unknown email", func(b *testing.B) { run(b, &ids{}, testPassword, false) })
	b.Run("bcrypt user, wrong password", func(b *testing.B) { run(b, withPassword(email, bcryptHash), "wrong password", false) })
	b.Run("bcrypt over the limits", func(b *testing.B) { run(b, withPassword(email, overLimit), testPassword, false) })
	b.Run("bcrypt user, right password and rehash", func(b *testing.B) { run(b, withPassword(email, bcryptHash), testPassword, true) })
}
