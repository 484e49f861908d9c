package emailpass

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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

// dummyParams returns the hasher the parameters of encoded describe.
func dummyParams(t *testing.T, encoded string) Hasher {
	t.Helper()
	if strings.HasPrefix(encoded, argonPrefix) {
		a, err := parseArgon2id(encoded)
		if err != nil {
			t.Fatalf("dummy %q: %v", encoded, err)
		}
		return Argon2id{Time: a.t, MemoryKiB: a.m, Threads: a.p, KeyLen: uint32(len(a.key)), SaltLen: uint32(len(a.salt))}
	}
	logN, r, p, err := scryptHeader(decodeBase64Node(encoded))
	if err != nil {
		t.Fatalf("dummy %q: %v", encoded, err)
	}
	return Scrypt{LogN: logN, R: r, P: p}
}

func TestMakeDummy(t *testing.T) {
	costly := Argon2id{Time: 3, MemoryKiB: 1 << 16, Threads: 4, KeyLen: 64, SaltLen: 32}
	for _, h := range []Hasher{cheapScrypt, cheapArgon, &cheapScrypt, &cheapArgon, DefaultScrypt(), DefaultArgon2id(), costly, Scrypt{LogN: 5, R: 2, P: 3}} {
		t.Run(fmt.Sprintf("%#v", h), func(t *testing.T) {
			d1, d2 := makeDummy(h), makeDummy(h)
			if d1 == "" || d1 == d2 {
				t.Fatalf("dummies %q and %q", d1, d2)
			}
			if h.NeedsRehash(d1) {
				t.Errorf("dummy %q does not have the hasher's parameters", d1)
			}
			if c, _ := verifyCost(h); c <= 1<<8 { // verify the cheap ones only
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
	for _, h := range []Hasher{Scrypt{}, Argon2id{}, (*Scrypt)(nil), (*Argon2id)(nil)} {
		if d := makeDummy(h); d != "" {
			t.Errorf("makeDummy(%#v) = %q", h, d)
		}
		if c, known := verifyCost(h); known || c != 0 {
			t.Errorf("verifyCost(%#v) = %v, %v", h, c, known)
		}
	}
	if d := newDummy([]Hasher{nil, (*Scrypt)(nil), Argon2id{}}); d.hasher != nil || d.encoded != "" {
		t.Errorf("dummy of invalid hashers %+v", d)
	}
	newDummy(nil).verify([]byte(testPassword)) // costs nothing, does not panic
}

// TestDummyIsCostliest: an unknown email is verified against a dummy with
// the format and parameters of the costliest hash the provider accepts,
// never a cheaper one.
func TestDummyIsCostliest(t *testing.T) {
	costlyArgon := Argon2id{Time: 4, MemoryKiB: 1 << 18, Threads: 1, KeyLen: 32, SaltLen: 16}
	scrypt6 := Scrypt{LogN: 6, R: 8, P: 1}
	cases := []struct {
		name     string
		opts     []Option
		accepted []Hasher
		want     Hasher // the parameters of the dummy
	}{
		{"default", nil, []Hasher{DefaultScrypt()}, DefaultScrypt()},
		{"argon2id with Medusa's scrypt hashes", []Option{WithHasher(DefaultArgon2id())},
			[]Hasher{DefaultArgon2id(), DefaultScrypt()}, DefaultScrypt()},
		{"argon2id pointer", []Option{WithHasher(new(DefaultArgon2id()))},
			[]Hasher{DefaultArgon2id(), DefaultScrypt()}, DefaultScrypt()},
		{"costly argon2id", []Option{WithHasher(costlyArgon)}, []Hasher{costlyArgon, DefaultScrypt()}, costlyArgon},
		{"argon2id only", []Option{WithHasher(DefaultArgon2id()), WithLegacyHashers()}, []Hasher{DefaultArgon2id()}, DefaultArgon2id()},
		{"cheap scrypt", []Option{WithHasher(cheapScrypt)}, []Hasher{cheapScrypt}, cheapScrypt},
		{"cheap scrypt over Medusa's", []Option{WithHasher(cheapScrypt), WithLegacyHashers(DefaultScrypt())},
			[]Hasher{cheapScrypt, DefaultScrypt()}, DefaultScrypt()},
		{"cheap argon2id and two legacy scrypts", []Option{WithHasher(cheapArgon), WithLegacyHashers(cheapScrypt, scrypt6, nil)},
			[]Hasher{cheapArgon, cheapScrypt, scrypt6}, scrypt6},
		{"legacy argon2id", []Option{WithHasher(cheapScrypt), WithLegacyHashers(cheapArgon, costlyArgon)},
			[]Hasher{cheapScrypt, cheapArgon, costlyArgon}, costlyArgon},
		{"invalid legacy skipped", []Option{WithHasher(cheapScrypt), WithLegacyHashers(Scrypt{LogN: 40, R: 8, P: 1}, Argon2id{})},
			[]Hasher{cheapScrypt}, cheapScrypt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := New(tc.opts...)
			if p.dummy.encoded == "" {
				t.Fatal("no dummy hash")
			}
			got := dummyParams(t, p.dummy.encoded)
			if got != tc.want {
				t.Errorf("dummy with %#v, want %#v", got, tc.want)
			}
			gotCost, _ := verifyCost(got)
			for _, h := range tc.accepted {
				if c, _ := verifyCost(h); c > gotCost {
					t.Errorf("dummy %#v (cost %v) is cheaper than accepted %#v (cost %v)", got, gotCost, h, c)
				}
			}
		})
	}
}

// TestCostModel: the cost model orders the formats as their run times do
// (BenchmarkVerifyCost): scrypt logN 15 costs several times argon2id's
// default, and argon2id m 256 MiB t 4 several times scrypt logN 15.
func TestCostModel(t *testing.T) {
	s, _ := verifyCost(DefaultScrypt())
	a, _ := verifyCost(DefaultArgon2id())
	big, _ := verifyCost(Argon2id{Time: 4, MemoryKiB: 1 << 18, Threads: 1, KeyLen: 32, SaltLen: 16})
	if s < 2*a || big < 4*s {
		t.Errorf("costs: scrypt default %v, argon2id default %v, argon2id 256 MiB t 4 %v", s, a, big)
	}
	s16, _ := verifyCost(Scrypt{LogN: 16, R: 8, P: 1})
	s15r16, _ := verifyCost(Scrypt{LogN: 15, R: 16, P: 1})
	if s16 != 2*s || s15r16 != 2*s {
		t.Errorf("scrypt costs not linear in N and r: %v %v %v", s, s16, s15r16)
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

// TestUnknownEmailVerifiesDummy: a login with an unknown email, or with
// an identity without a password, verifies the password against the
// provider's dummy, once.
func TestUnknownEmailVerifiesDummy(t *testing.T) {
	f := newForeign()
	p := New(WithHasher(f))
	if p.dummy.encoded == "" {
		t.Fatal("no dummy")
	}
	ctx := context.Background()
	for _, st := range []*ids{{}, withPassword("ada@example.com", "")} {
		*f.verified = nil
		_, err := p.Authenticate(ctx, Credentials("ada@example.com", testPassword), st)
		if err == nil || err.Error() != msgInvalidCredentials {
			t.Errorf("error %v", err)
		}
		if len(*f.verified) != 1 || (*f.verified)[0] != p.dummy.encoded {
			t.Errorf("verified %q, want the dummy once", *f.verified)
		}
	}
}

// BenchmarkLogin compares logins with an unknown email and with a known
// one whose stored hash is Medusa's scrypt (logN 15), on a provider that
// hashes new passwords with argon2id's defaults: a wrong password, the
// right one (verified, then rehashed with argon2id), and an unknown email
// with the dummy of the default legacy set and with the configured
// hasher's alone (WithLegacyHashers()).
func BenchmarkLogin(b *testing.B) {
	const email = "ada@example.com"
	stored, err := DefaultScrypt().Hash([]byte(testPassword))
	if err != nil {
		b.Fatal(err)
	}
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
	b.Run("known email, wrong password", func(b *testing.B) { run(b, p, withPassword(email, stored), "wrong password", false) })
	b.Run("known email, right password and rehash", func(b *testing.B) { run(b, p, withPassword(email, stored), testPassword, true) })
	onlyArgon := New(WithHasher(DefaultArgon2id()), WithLegacyHashers())
	b.Run("unknown email, argon2id dummy", func(b *testing.B) { run(b, onlyArgon, &ids{}, testPassword, false) })
}

// BenchmarkVerifyCost reports the time of one verification per unit of
// verifyCost, to check argonBlockCost: the ns/unit figures of the scrypt
// and argon2id cases should be close.
func BenchmarkVerifyCost(b *testing.B) {
	for _, h := range []Hasher{
		DefaultScrypt(), Scrypt{LogN: 14, R: 8, P: 1}, Scrypt{LogN: 12, R: 8, P: 4},
		DefaultArgon2id(), Argon2id{Time: 1, MemoryKiB: 47104, Threads: 1, KeyLen: 32, SaltLen: 16},
		Argon2id{Time: 3, MemoryKiB: 65536, Threads: 1, KeyLen: 32, SaltLen: 16},
	} {
		b.Run(fmt.Sprintf("%+v", h), func(b *testing.B) {
			d, pw := makeDummy(h), []byte(testPassword)
			start := time.Now()
			for b.Loop() {
				_, _ = h.Verify(d, pw)
			}
			c, _ := verifyCost(h)
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/c, "ns/unit")
		})
	}
}
