package emailpass

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzHashDecode fuzzes the decoding of stored hashes without running a
// key derivation. Properties:
//   - decodeBase64Node is deterministic, yields at most 3/4 of its input,
//     and reads the canonical encoding of its result back to that result;
//   - a parsed argon2id PHC string is within bounds and is exactly the
//     canonical string its parts re-encode to (one spelling per hash), so
//     an Argon2id with its parameters does not ask for a rehash;
//   - a parsed scrypt-kdf header is within bounds and a Scrypt with its
//     parameters asks no rehash of the key's canonical encoding;
//   - a parsed bcrypt or pbkdf2_sha256 hash is within bounds (and a
//     pbkdf2_sha256 one re-encodes to itself);
//   - every string is in at most one format (identify agrees with the
//     parser that accepts it) and CheckImportedHash accepts exactly the
//     parsed ones within the limits;
//   - every parse failure wraps ErrMalformedHash.
func FuzzHashDecode(f *testing.F) {
	for _, v := range loadVectors(f).Vectors {
		f.Add(v.StoredHash)
	}
	for _, v := range specVectors {
		f.Add(v.hash)
	}
	f.Add(mustHash(f, cheapArgon, testPassword))
	f.Add(mustHash(f, cheapScrypt, testPassword))
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add(craftScrypt("scrypt", 0, 40, 8, 1))
	f.Add(craftScrypt("scrypt", 1, 10, 8, 1))
	for _, v := range loadImported(f) {
		f.Add(v.Hash)
	}
	f.Add("$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm")
	f.Add("$2x$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm")
	f.Add("$2b$17$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm")
	f.Add("pbkdf2_sha256$1000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("pbkdf2_sha256$01000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q")
	f.Add("argon2$argon2i$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q")
	f.Add("c2Nye-_0\n=abc")
	f.Add("")
	f.Fuzz(func(t *testing.T, encoded string) {
		key := decodeBase64Node(encoded)
		if !bytes.Equal(key, decodeBase64Node(encoded)) {
			t.Fatal("decodeBase64Node is not deterministic")
		}
		if len(key) > len(encoded)*3/4 {
			t.Fatalf("decoded %d bytes from %d characters", len(key), len(encoded))
		}
		canon := base64.StdEncoding.EncodeToString(key)
		if !bytes.Equal(decodeBase64Node(canon), key) {
			t.Fatal("the canonical encoding does not decode back")
		}

		if logN, r, p, err := scryptHeader(key); err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("scryptHeader error %v does not wrap ErrMalformedHash", err)
			}
		} else {
			if len(key) != scryptKeyLen || !checkScryptParams(logN, r, p) {
				t.Fatalf("accepted scrypt header logN %d r %d p %d, %d bytes", logN, r, p, len(key))
			}
			if (Scrypt{LogN: logN, R: r, P: p}).NeedsRehash(canon) {
				t.Fatal("a canonical scrypt-kdf key with the hasher's parameters needs a rehash")
			}
		}

		a, err := parseArgon2(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parseArgon2 error %v does not wrap ErrMalformedHash", err)
			}
		} else {
			if !checkArgonParams(a.m, a.t, a.p, uint64(len(a.salt)), uint64(len(a.key))) {
				t.Fatalf("accepted argon2 parameters m %d t %d p %d", a.m, a.t, a.p)
			}
			re := encodeArgon(a.variant, a.m, a.t, a.p, a.salt, a.key)
			if a.django {
				re = "argon2" + re
			}
			if re != encoded {
				t.Fatalf("parsed %q, re-encodes as %q", encoded, re)
			}
			h := Argon2id{Time: a.t, MemoryKiB: a.m, Threads: a.p, KeyLen: uint32(len(a.key)), SaltLen: uint32(len(a.salt))}
			if argonNeedsRehash(a.variant, h, encoded) != a.django {
				t.Fatal("an argon2 hash with the hasher's parameters needs a rehash, or a Django one does not")
			}
			if got := paramsOf(encoded); got != a.params() {
				t.Fatalf("paramsOf = %v, want %v", got, a.params())
			}
		}

		if cost, err := parseBcrypt(encoded); err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parseBcrypt error %v does not wrap ErrMalformedHash", err)
			}
		} else if cost < bcryptMinCost || cost > bcryptMaxCost || len(encoded) != bcryptLen ||
			(Bcrypt{Cost: cost}).NeedsRehash(encoded) || paramsOf(encoded) != Hasher(Bcrypt{Cost: cost}) {
			t.Fatalf("accepted bcrypt hash of cost %d, %d characters", cost, len(encoded))
		}

		if d, err := parsePBKDF2(encoded); err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parsePBKDF2 error %v does not wrap ErrMalformedHash", err)
			}
		} else {
			if d.iterations < 1 || d.iterations > pbkdf2MaxIterations || len(d.key) != pbkdf2KeyLen {
				t.Fatalf("accepted pbkdf2_sha256 iterations %d, key of %d bytes", d.iterations, len(d.key))
			}
			if re := encodePBKDF2(d.iterations, d.salt, d.key); re != encoded {
				t.Fatalf("parsed %q, re-encodes as %q", encoded, re)
			}
		}

		// Whatever the string, it is in one format or in none, and
		// parseParams and CheckImportedHash agree.
		params, err := parseParams(encoded)
		if (err == nil) != (params != nil) || (err != nil && !errors.Is(err, ErrMalformedHash)) {
			t.Fatalf("parseParams = %v, %v", params, err)
		}
		if err == nil && familyOf(params) != identify(encoded) {
			t.Fatalf("parsed as %v, identified as %v", familyOf(params), identify(encoded))
		}
		if cerr := fuzzProvider.CheckImportedHash(encoded); (cerr == nil) != (err == nil && fuzzProvider.limits.check(params) == nil) {
			t.Fatalf("CheckImportedHash = %v, parseParams error %v", cerr, err)
		}
	})
}

// fuzzProvider is the provider whose CheckImportedHash the fuzz target
// checks: default limits.
var fuzzProvider = New(WithHasher(cheapScrypt))
