package emailpass

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// foreignHasher is a Hasher of a type this package does not know, which
// records what it verifies.
type foreignHasher struct {
	Scrypt
	tags []string // not comparable

	mu       *sync.Mutex
	verified *[]string
}

func newForeign() foreignHasher {
	return foreignHasher{Scrypt: cheapScrypt, tags: []string{"x"}, mu: &sync.Mutex{}, verified: new([]string)}
}

func (f foreignHasher) Verify(encoded string, password []byte) (bool, error) {
	f.mu.Lock()
	*f.verified = append(*f.verified, encoded)
	f.mu.Unlock()
	return f.Scrypt.Verify(encoded, password)
}

func TestMakeDummy(t *testing.T) {
	costly := Argon2id{Time: 3, MemoryKiB: 1 << 16, Threads: 4, KeyLen: 64, SaltLen: 32}
	cheap := []Hasher{cheapScrypt, cheapArgon, Scrypt{LogN: 5, R: 2, P: 3}}
	for i, h := range append(cheap, DefaultScrypt(), DefaultArgon2id(), costly) {
		t.Run(fmt.Sprintf("%#v", h), func(t *testing.T) {
			d1, d2 := makeDummy(h), makeDummy(h)
			if d1 == "" || d1 == d2 {
				t.Fatalf("dummies %q and %q", d1, d2)
			}
			if h.NeedsRehash(d1) || paramsOf(d1) != h {
				t.Errorf("dummy %q does not have the hasher's parameters", d1)
			}
			if i < len(cheap) { // verify the cheap ones only
				if ok, err := h.Verify(d1, []byte(testPassword)); ok || err != nil {
					t.Errorf("Verify(dummy) = %v, %v; want false, nil", ok, err)
				}
			}
		})
	}
	f := newForeign()
	if d := makeDummy(f); d == "" || f.NeedsRehash(d) {
		t.Errorf("foreign dummy %q", d)
	}
	for _, h := range []Hasher{Scrypt{}, Argon2id{}, normalize((*Scrypt)(nil)), normalize((*Argon2id)(nil)), failingHasher{}} {
		if d := makeDummy(h); d != "" {
			t.Errorf("makeDummy(%#v) = %q", h, d)
		}
	}
	verifyDummies(nil, -1, []byte(testPassword)) // costs nothing, does not panic
}

// failingHasher is a Hasher of another type that cannot hash.
type failingHasher struct{ Scrypt }

func (failingHasher) Hash([]byte) (string, error) { return "", errors.New("no") }

func TestNormalize(t *testing.T) {
	f := newForeign()
	for _, tc := range []struct{ in, want Hasher }{
		{&cheapScrypt, cheapScrypt}, {&cheapArgon, cheapArgon}, {cheapScrypt, cheapScrypt},
		{(*Scrypt)(nil), Scrypt{}}, {(*Argon2id)(nil), Argon2id{}}, {nil, nil},
	} {
		if got := normalize(tc.in); got != tc.want {
			t.Errorf("normalize(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
	if got, ok := normalize(f).(foreignHasher); !ok || got.verified != f.verified {
		t.Errorf("normalize(foreign) = %#v", got)
	}
}

// TestAcceptedFormats: the accepted formats are the configured hasher's,
// then the legacy ones (by default Medusa's scrypt unless the configured
// hasher is a Scrypt), normalised, each once, without invalid ones.
func TestAcceptedFormats(t *testing.T) {
	scrypt6 := Scrypt{LogN: 6, R: 8, P: 1}
	cases := []struct {
		name string
		opts []Option
		want []Hasher
	}{
		{"default", nil, []Hasher{DefaultScrypt()}},
		{"nil hasher keeps the default", []Option{WithHasher(nil)}, []Hasher{DefaultScrypt()}},
		{"cheap scrypt", []Option{WithHasher(cheapScrypt)}, []Hasher{cheapScrypt}},
		{"scrypt pointer", []Option{WithHasher(&cheapScrypt)}, []Hasher{cheapScrypt}},
		{"argon2id with Medusa's scrypt hashes", []Option{WithHasher(DefaultArgon2id())}, []Hasher{DefaultArgon2id(), DefaultScrypt()}},
		{"argon2id pointer", []Option{WithHasher(new(DefaultArgon2id()))}, []Hasher{DefaultArgon2id(), DefaultScrypt()}},
		{"argon2id only", []Option{WithHasher(DefaultArgon2id()), WithLegacyHashers()}, []Hasher{DefaultArgon2id()}},
		{"cheap scrypt over Medusa's", []Option{WithHasher(cheapScrypt), WithLegacyHashers(DefaultScrypt())}, []Hasher{cheapScrypt, DefaultScrypt()}},
		{"repeats once", []Option{WithHasher(&cheapArgon), WithLegacyHashers(cheapArgon, cheapScrypt, &cheapScrypt, scrypt6, nil)},
			[]Hasher{cheapArgon, cheapScrypt, scrypt6}},
		{"invalid skipped", []Option{WithHasher(Argon2id{}), WithLegacyHashers(Scrypt{LogN: 40, R: 8, P: 1}, (*Argon2id)(nil), failingHasher{}, cheapScrypt)},
			[]Hasher{cheapScrypt}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := New(tc.opts...)
			var got []Hasher
			for _, f := range p.formats {
				got = append(got, f.hasher)
				if paramsOf(f.dummy) != f.hasher || f.family != familyOf(f.hasher) {
					t.Errorf("format %#v: dummy %q, family %v", f.hasher, f.dummy, f.family)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("formats %#v, want %#v", got, tc.want)
			}
		})
	}
}

// countKDF records the parameters of every key derivation that Verify
// runs until the test ends. Tests that use it must not run in parallel.
func countKDF(t *testing.T) *[]string {
	t.Helper()
	var mu sync.Mutex
	var got []string
	kdfHook = func(h Hasher) {
		mu.Lock()
		got = append(got, fmt.Sprintf("%#v", h))
		mu.Unlock()
	}
	t.Cleanup(func() { kdfHook = nil })
	return &got
}

// work returns the sorted parameters of hs, as countKDF records them.
func work(hs ...Hasher) []string {
	var s []string
	for _, h := range hs {
		s = append(s, fmt.Sprintf("%#v", h))
	}
	slices.Sort(s)
	return s
}

// scryptURLSafe re-encodes a standard base64 scrypt-kdf hash with the
// URL-safe alphabet and no padding, which Medusa also reads.
func scryptURLSafe(enc string) string {
	return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(enc), "=")
}

// badChecksum returns a scrypt-kdf hash with parameters logN, 8, 1 whose
// header checksum is wrong: Verify answers false without running scrypt.
func badChecksum(logN uint8) string {
	key, _ := base64.StdEncoding.DecodeString(craftScrypt("scrypt", 0, logN, 8, 1))
	key[50] ^= 1
	return base64.StdEncoding.EncodeToString(key)
}

// TestLoginWorkPerFormat: every login attempt runs exactly one key
// derivation per accepted format, with that format's parameters, whatever
// the account: the stored hash's verification for its own format, a dummy
// one for every other. A path that skipped a dummy, or ran one too many,
// fails.
func TestLoginWorkPerFormat(t *testing.T) {
	const email = "ada@example.com"
	scrypt5 := Scrypt{LogN: 5, R: 8, P: 1}
	argonOther := Argon2id{Time: 2, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}
	configs := []struct {
		name     string
		opts     []Option
		accepted []Hasher
	}{
		{"argon2id and scrypt", []Option{WithHasher(cheapArgon), WithLegacyHashers(cheapScrypt)}, []Hasher{cheapArgon, cheapScrypt}},
		{"scrypt and argon2id", []Option{WithHasher(cheapScrypt), WithLegacyHashers(cheapArgon)}, []Hasher{cheapScrypt, cheapArgon}},
		{"argon2id and two scrypts", []Option{WithHasher(cheapArgon), WithLegacyHashers(cheapScrypt, Scrypt{LogN: 6, R: 8, P: 1})},
			[]Hasher{cheapArgon, cheapScrypt, Scrypt{LogN: 6, R: 8, P: 1}}},
		{"scrypt alone", []Option{WithHasher(cheapScrypt)}, []Hasher{cheapScrypt}},
		{"argon2id alone", []Option{WithHasher(cheapArgon), WithLegacyHashers()}, []Hasher{cheapArgon}},
		{"argon2id and imported formats", []Option{WithHasher(cheapArgon), WithLegacyHashers(cheapScrypt, Bcrypt{Cost: 4}, PBKDF2SHA256{Iterations: 1000}, cheapArgonI)},
			[]Hasher{cheapArgon, cheapScrypt, Bcrypt{Cost: 4}, PBKDF2SHA256{Iterations: 1000}, cheapArgonI}},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			p := New(cfg.opts...)
			want := work(cfg.accepted...)
			type login struct {
				name     string
				st       *ids
				password string
				wantOK   bool
			}
			logins := []login{
				{"unknown email", &ids{}, testPassword, false},
				{"no password", withPassword(email, ""), testPassword, false},
				{"password not a string", &ids{identity: &provider.AuthIdentity{ID: "authid_1", ProviderIdentities: []*provider.ProviderIdentity{
					{EntityID: email, Provider: ID, ProviderMetadata: map[string]any{"password": 42}},
				}}}, testPassword, false},
				{"malformed hash", withPassword(email, "$2b$10$abcdefghijklmnopqrstuv"), testPassword, false},
				{"scrypt hash with a bad checksum", withPassword(email, badChecksum(4)), testPassword, false},
			}
			for _, h := range cfg.accepted {
				stored := mustHash(t, h, testPassword)
				name := fmt.Sprintf("%#v user", h)
				logins = append(logins,
					login{name + ", right password", withPassword(email, stored), testPassword, true},
					login{name + ", wrong password", withPassword(email, stored), "wrong password", false})
				if familyOf(h) == scryptFamily {
					logins = append(logins, login{name + ", URL-safe base64", withPassword(email, scryptURLSafe(stored)), testPassword, true})
				}
			}
			for _, l := range logins {
				got := countKDF(t)
				_, err := p.Authenticate(context.Background(), Credentials(email, l.password), l.st)
				if (err == nil) != l.wantOK {
					t.Errorf("%s: error %v", l.name, err)
				}
				if slices.Sort(*got); !slices.Equal(*got, want) {
					t.Errorf("%s: key derivations %q, want %q", l.name, *got, want)
				}
			}

			// A registration of an email whose identity has no actor yet
			// verifies the password the same way.
			for _, h := range cfg.accepted {
				st := withPassword(email, mustHash(t, h, testPassword))
				for _, pw := range []string{testPassword, "wrong password"} {
					got := countKDF(t)
					_, _ = p.Register(context.Background(), Credentials(email, pw), st)
					if slices.Sort(*got); !slices.Equal(*got, want) {
						t.Errorf("register over %#v user: key derivations %q, want %q", h, *got, want)
					}
				}
			}
		})
	}

	// A hash with parameters no accepted format has still verifies; its
	// verification replaces the dummy of the first accepted format of its
	// family.
	p := New(WithHasher(cheapArgon), WithLegacyHashers(cheapScrypt, Scrypt{LogN: 6, R: 8, P: 1}))
	for _, tc := range []struct {
		stored Hasher
		want   []string
	}{
		{scrypt5, work(cheapArgon, scrypt5, Scrypt{LogN: 6, R: 8, P: 1})},
		{argonOther, work(argonOther, cheapScrypt, Scrypt{LogN: 6, R: 8, P: 1})},
	} {
		st := withPassword(email, mustHash(t, tc.stored, testPassword))
		for _, pw := range []string{testPassword, "wrong password"} {
			got := countKDF(t)
			_, err := p.Authenticate(context.Background(), Credentials(email, pw), st)
			if (err == nil) != (pw == testPassword) {
				t.Errorf("%#v user, password %q: error %v", tc.stored, pw, err)
			}
			if slices.Sort(*got); !slices.Equal(*got, tc.want) {
				t.Errorf("%#v user: key derivations %q, want %q", tc.stored, *got, tc.want)
			}
		}
	}
}

// TestFormatOf: which accepted format a stored hash's verification stands
// for.
func TestFormatOf(t *testing.T) {
	f := newForeign() // makes cheapScrypt hashes
	fs := acceptedFormats([]Hasher{cheapArgon, Scrypt{LogN: 5, R: 8, P: 1}, f, Scrypt{LogN: 6, R: 8, P: 1}})
	if len(fs) != 4 {
		t.Fatalf("%d formats", len(fs))
	}
	for _, tc := range []struct {
		name, stored string
		want         int
	}{
		{"argon2id", mustHash(t, cheapArgon, "x"), 0},
		{"scrypt logN 5", mustHash(t, Scrypt{LogN: 5, R: 8, P: 1}, "x"), 1},
		{"scrypt logN 6", mustHash(t, Scrypt{LogN: 6, R: 8, P: 1}, "x"), 3},
		{"scrypt logN 6, URL-safe", scryptURLSafe(mustHash(t, Scrypt{LogN: 6, R: 8, P: 1}, "x")), 3},
		{"the foreign hasher's", mustHash(t, f, "x"), 2},
		{"other argon2id", mustHash(t, Argon2id{Time: 1, MemoryKiB: 128, Threads: 1, KeyLen: 32, SaltLen: 16}, "x"), 0},
		{"other scrypt", mustHash(t, Scrypt{LogN: 7, R: 8, P: 1}, "x"), 1},
		{"malformed", "$2b$10$abcdefghijklmnopqrstuv", -1},
		{"bad checksum", badChecksum(5), -1},
		{"empty", "", -1},
	} {
		if got := formatOf(fs, tc.stored); got != tc.want {
			t.Errorf("%s: format %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := formatOf(acceptedFormats([]Hasher{cheapArgon}), mustHash(t, cheapScrypt, "x")); got != -1 {
		t.Errorf("scrypt hash with only argon2id accepted: format %d, want -1", got)
	}
}

// ids is the part of provider.Identities that Authenticate uses.
type ids struct {
	provider.Identities
	identity *provider.AuthIdentity
	updates  int
}

func (f *ids) Retrieve(_ context.Context, entityID string) (*provider.AuthIdentity, error) {
	if f.identity == nil || f.identity.Provider(ID).EntityID != entityID {
		return nil, store.ErrNotFound
	}
	return f.identity, nil
}

func (f *ids) Update(_ context.Context, _ string, up provider.IdentityUpdate) (*provider.AuthIdentity, error) {
	f.updates++ // not stored: every login rehashes again
	return f.identity, nil
}

func withPassword(email, hash string) *ids {
	return &ids{identity: &provider.AuthIdentity{ID: "authid_1", ProviderIdentities: []*provider.ProviderIdentity{
		{EntityID: email, Provider: ID, ProviderMetadata: map[string]any{"password": hash}},
	}}}
}

// TestUnknownEmailVerifiesDummy: with a Hasher of another type, a login
// with an unknown email, or with an identity without a password, verifies
// the password once against that hasher's dummy and once against each
// legacy format's; a stored hash the hasher made is verified in place of
// its dummy.
func TestUnknownEmailVerifiesDummy(t *testing.T) {
	f := newForeign() // cheapScrypt inside
	scrypt5 := Scrypt{LogN: 5, R: 8, P: 1}
	p := New(WithHasher(f), WithLegacyHashers(scrypt5))
	if len(p.formats) != 2 || p.formats[0].family != other || p.formats[0].dummy == "" {
		t.Fatalf("formats %+v", p.formats)
	}
	ctx := context.Background()
	stored := mustHash(t, f, testPassword)
	for _, tc := range []struct {
		name   string
		st     *ids
		wantOK bool
		want   string // what f verifies
	}{
		{"unknown email", &ids{}, false, p.formats[0].dummy},
		{"no password", withPassword("ada@example.com", ""), false, p.formats[0].dummy},
		{"foreign user", withPassword("ada@example.com", stored), true, stored},
	} {
		*f.verified = nil
		got := countKDF(t)
		_, err := p.Authenticate(ctx, Credentials("ada@example.com", testPassword), tc.st)
		if (err == nil) != tc.wantOK {
			t.Errorf("%s: error %v", tc.name, err)
		}
		if len(*f.verified) != 1 || (*f.verified)[0] != tc.want {
			t.Errorf("%s: verified %q, want %q once", tc.name, *f.verified, tc.want)
		}
		if slices.Sort(*got); !slices.Equal(*got, work(cheapScrypt, scrypt5)) {
			t.Errorf("%s: key derivations %q", tc.name, *got)
		}
	}
}

// BenchmarkLogin measures logins on a provider that hashes new passwords
// with argon2id's defaults and still accepts Medusa's scrypt hashes
// (logN 15, the default legacy format): every case should cost one
// argon2id and one scrypt verification, within noise of each other, except
// the scrypt user's successful login, which also rehashes the password
// with argon2id (the fake store keeps the old hash, so every iteration
// rehashes). "argon2id only" is the same provider after
// WithLegacyHashers(): one verification.
func BenchmarkLogin(b *testing.B) {
	const email = "ada@example.com"
	scryptHash := mustHash(b, DefaultScrypt(), testPassword)
	argonHash := mustHash(b, DefaultArgon2id(), testPassword)
	ctx := context.Background()
	run := func(b *testing.B, p *Provider, st *ids, password string, wantOK bool) {
		for b.Loop() {
			_, err := p.Authenticate(ctx, Credentials(email, password), st)
			if (err == nil) != wantOK {
				b.Fatal(err)
			}
		}
	}
	p := New(WithHasher(DefaultArgon2id()))
	b.Run("unknown email", func(b *testing.B) { run(b, p, &ids{}, testPassword, false) })
	b.Run("no password", func(b *testing.B) { run(b, p, withPassword(email, ""), testPassword, false) })
	b.Run("argon2id user", func(b *testing.B) { run(b, p, withPassword(email, argonHash), testPassword, true) })
	b.Run("argon2id user, wrong password", func(b *testing.B) { run(b, p, withPassword(email, argonHash), "wrong password", false) })
	b.Run("scrypt user, wrong password", func(b *testing.B) { run(b, p, withPassword(email, scryptHash), "wrong password", false) })
	b.Run("scrypt user, right password and rehash", func(b *testing.B) { run(b, p, withPassword(email, scryptHash), testPassword, true) })
	onlyArgon := New(WithHasher(DefaultArgon2id()), WithLegacyHashers())
	b.Run("argon2id only, unknown email", func(b *testing.B) { run(b, onlyArgon, &ids{}, testPassword, false) })
	b.Run("argon2id only, argon2id user", func(b *testing.B) { run(b, onlyArgon, withPassword(email, argonHash), testPassword, true) })
}
