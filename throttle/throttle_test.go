package throttle_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/throttle"
)

func TestNewRejectsBadRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  throttle.Config
		want string
	}{
		{"zero window", throttle.Config{LoginIP: throttle.Rule{Limit: 3}}, "Config.LoginIP: needs a positive Window"},
		{"back-off above its window", throttle.Config{Login: throttle.Rule{Limit: 3, Window: time.Minute, Backoff: time.Second, MaxBackoff: time.Hour}}, "Config.Login: needs a Window of at least its MaxBackoff"},
		{"max below back-off", throttle.Config{Login: throttle.Rule{Limit: 3, Window: time.Hour, Backoff: time.Minute, MaxBackoff: time.Second}}, "Config.Login: needs a MaxBackoff of at least its Backoff"},
		{"negative back-off", throttle.Config{Reset: throttle.Rule{Limit: 3, Window: time.Hour, Backoff: -1}}, "Config.Reset: needs a Backoff and MaxBackoff of zero or more"},
		{"no limit", throttle.Config{RefreshIP: throttle.Rule{Window: time.Hour}}, "Config.RefreshIP: needs a positive Limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := throttle.New(memory.New(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := throttle.New(nil, throttle.Config{}); err == nil {
		t.Fatal("no store: no error")
	}
}

func TestUnlimitedAndNilLimiter(t *testing.T) {
	ctx := context.Background()
	l, err := throttle.New(memory.New(), throttle.Config{Login: throttle.Unlimited, RegisterIP: throttle.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	var nilL *throttle.Limiter
	ip := netip.MustParseAddr("192.0.2.1")
	for range 50 {
		for _, lim := range []*throttle.Limiter{l, nilL} {
			a, err := lim.Login(ctx, "emailpass", "a@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Fail(ctx); err != nil {
				t.Fatal(err)
			}
			if err := lim.RegisterFrom(ctx, ip); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Another rule of the same Limiter still counts.
	for range 60 {
		if err := l.RefreshFrom(ctx, ip); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.RefreshFrom(ctx, ip); !errors.Is(err, throttle.ErrLimited) {
		t.Fatalf("61st refresh: %v", err)
	}
}

func TestSubnetAndIdentifier(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::ffff":   "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
	} {
		if got := throttle.Subnet(netip.MustParseAddr(in)); got != want {
			t.Errorf("Subnet(%s) = %s, want %s", in, got, want)
		}
	}
	if got := throttle.Subnet(netip.Addr{}); got != "invalid" {
		t.Errorf("Subnet(invalid) = %s", got)
	}
	if got := throttle.Identifier("  Ann@Example.COM \t"); got != "ann@example.com" {
		t.Errorf("Identifier = %q", got)
	}
}

func TestLimitError(t *testing.T) {
	var err error = &throttle.LimitError{Rule: "login", RetryAfter: 2 * time.Second}
	if !errors.Is(err, throttle.ErrLimited) {
		t.Fatal("does not match ErrLimited")
	}
	le := err.(*throttle.LimitError)
	if le.PublicMessage() != "Too many attempts. Try again later." || strings.Contains(le.PublicMessage(), "login") {
		t.Fatalf("public message %q", le.PublicMessage())
	}
	if !strings.Contains(err.Error(), "login") || !strings.Contains(err.Error(), "2s") {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestKeysHoldNoSubject(t *testing.T) {
	st := &recording{Store: memory.New()}
	l, err := throttle.New(st, throttle.Config{Secret: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _ := l.Login(ctx, "emailpass", "ann@example.com")
	_ = a.Fail(ctx)
	_ = l.ResetRequestFrom(ctx, netip.MustParseAddr("192.0.2.77"))
	if len(st.keys) != 3 { // login: a read and a hit; reset_ip: a hit
		t.Fatalf("keys %v", st.keys)
	}
	for _, k := range st.keys {
		if strings.Contains(k, "ann") || strings.Contains(k, "192.0.2") || len(k) < 64 {
			t.Fatalf("key %q", k)
		}
	}
	st2 := &recording{Store: memory.New()}
	other, _ := throttle.New(st2, throttle.Config{Secret: []byte("other")})
	_, _ = other.Login(ctx, "emailpass", "ann@example.com")
	if st2.keys[0] == st.keys[0] {
		t.Fatal("the secret does not change the keys")
	}
}

type recording struct {
	*memory.Store
	keys []string
}

func (r *recording) ThrottleGet(ctx context.Context, key string, now time.Time) (throttle.Counter, error) {
	r.keys = append(r.keys, key)
	return r.Store.ThrottleGet(ctx, key, now)
}

func (r *recording) ThrottleHit(ctx context.Context, key string, now time.Time, w throttle.Window) (throttle.Counter, error) {
	r.keys = append(r.keys, key)
	return r.Store.ThrottleHit(ctx, key, now, w)
}
