package emailpass_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/clientele/clientele/provider/emailpass"
)

func TestCheckHash(t *testing.T) {
	// A hash Medusa's emailpass made (testdata/medusa-emailpass-hash-vectors.json).
	const medusa = "c2NyeXB0AA8AAAAIAAAAARBbAeC9ELWyCpvv4i1FHicglqeW3zGkr+ThWg/bNqr6rEYHhieDRUH22x7DCfjZBvIXvP/aEJSlvGaDiAGJ5e+mBEE75T8c0XnlHOV+V0El"
	scrypt, err := emailpass.Scrypt{LogN: 4, R: 8, P: 1}.Hash([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	argon, err := emailpass.Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}.Hash([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(medusa)
	key[50] ^= 1 // the header checksum
	badSum := base64.StdEncoding.EncodeToString(key)
	key, _ = base64.StdEncoding.DecodeString(medusa)
	key[7] = 63 // logN out of bounds
	badN := base64.StdEncoding.EncodeToString(key)
	for hash, ok := range map[string]bool{
		medusa: true, scrypt: true, argon: true,
		"": false, "nope": false, medusa[:100]: false, badSum: false, badN: false,
		"$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g": false,
		"$unknown$abc": false,
	} {
		err := emailpass.CheckHash(hash)
		if (err == nil) != ok {
			t.Errorf("CheckHash(%.20q…) = %v, want ok %v", hash, err, ok)
		}
		if err != nil && (!errors.Is(err, emailpass.ErrMalformedHash) || (hash != "" && strings.Contains(err.Error(), hash))) {
			t.Errorf("CheckHash(%.20q…): error %q does not match ErrMalformedHash or holds the hash", hash, err)
		}
	}
}
