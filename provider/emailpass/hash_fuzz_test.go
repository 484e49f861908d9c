package emailpass

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
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

		a, err := parseArgon2id(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parseArgon2id error %v does not wrap ErrMalformedHash", err)
			}
			return
		}
		if !checkArgonParams(a.m, a.t, a.p, uint64(len(a.salt)), uint64(len(a.key))) {
			t.Fatalf("accepted argon2id parameters m %d t %d p %d", a.m, a.t, a.p)
		}
		re := argonPrefix + argonVersion + "$m=" + strconv.FormatUint(uint64(a.m), 10) +
			",t=" + strconv.FormatUint(uint64(a.t), 10) + ",p=" + strconv.FormatUint(uint64(a.p), 10) +
			"$" + base64.RawStdEncoding.EncodeToString(a.salt) + "$" + base64.RawStdEncoding.EncodeToString(a.key)
		if re != encoded {
			t.Fatalf("parsed %q, re-encodes as %q", encoded, re)
		}
		h := Argon2id{Time: a.t, MemoryKiB: a.m, Threads: a.p, KeyLen: uint32(len(a.key)), SaltLen: uint32(len(a.salt))}
		if h.NeedsRehash(encoded) {
			t.Fatal("an argon2id hash with the hasher's parameters needs a rehash")
		}
		if got := paramsOf(encoded); got != Hasher(h) {
			t.Fatalf("paramsOf = %v, want %v", got, h)
		}
	})
}
