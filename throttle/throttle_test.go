package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
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

func TestStartFrom(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l, err := throttle.New(memory.New(), throttle.Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ip, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for i := range throttle.DefaultStartIP.Limit {
		if err := l.StartFrom(ctx, ip); err != nil {
			t.Fatalf("start %d: %v", i+1, err)
		}
	}
	var le *throttle.LimitError
	if err := l.StartFrom(ctx, ip); !errors.As(err, &le) || le.Rule != "start_ip" || le.RetryAfter != time.Minute {
		t.Fatalf("start %d: %v", throttle.DefaultStartIP.Limit+1, err)
	}
	// Another address is not limited, nor are the address's refreshes.
	if err := l.StartFrom(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := l.RefreshFrom(ctx, ip); err != nil {
		t.Fatal(err)
	}
	// The window ends.
	now = now.Add(time.Minute)
	if err := l.StartFrom(ctx, ip); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Unlimited turns it off.
	off, err := throttle.New(memory.New(), throttle.Config{StartIP: throttle.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	for range throttle.DefaultStartIP.Limit * 2 {
		if err := off.StartFrom(ctx, ip); err != nil {
			t.Fatal(err)
		}
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
	if len(st.keys) != 2 { // login: a reservation; reset_ip: a hit
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

// recording is a Store that records the keys of each call, one line
// per call: "get k1 k2", "hit k1", "try k1 k2", "release k1 -k2" (a
// minus for a Release that takes one hit back).
type recording struct {
	*memory.Store
	keys  []string
	calls []string
}

func (r *recording) record(op string, keys []string) {
	r.keys = append(r.keys, keys...)
	r.calls = append(r.calls, op+" "+strings.Join(keys, " "))
}

func (r *recording) ThrottleGet(ctx context.Context, now time.Time, keys ...string) ([]throttle.Counter, error) {
	r.record("get", keys)
	return r.Store.ThrottleGet(ctx, now, keys...)
}

func (r *recording) ThrottleHit(ctx context.Context, now time.Time, hits ...throttle.Hit) ([]throttle.Counter, error) {
	keys := make([]string, len(hits))
	for i, h := range hits {
		keys[i] = h.Key
	}
	r.record("hit", keys)
	return r.Store.ThrottleHit(ctx, now, hits...)
}

func (r *recording) ThrottleTry(ctx context.Context, now time.Time, tries ...throttle.Try) ([]throttle.Counter, []bool, error) {
	keys := make([]string, len(tries))
	for i, t := range tries {
		keys[i] = t.Key
	}
	r.record("try", keys)
	return r.Store.ThrottleTry(ctx, now, tries...)
}

func (r *recording) ThrottleRelease(ctx context.Context, now time.Time, releases ...throttle.Release) error {
	keys := make([]string, len(releases))
	for i, rl := range releases {
		keys[i] = rl.Key
		if !rl.Clear {
			keys[i] = "-" + rl.Key
		}
	}
	r.record("release", keys)
	return r.Store.ThrottleRelease(ctx, now, releases...)
}

// short abbreviates the keys in calls to their rule names.
func short(calls []string) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		f := strings.Fields(c)
		for j := 1; j < len(f); j++ {
			f[j], _, _ = strings.Cut(f[j], ":")
		}
		out[i] = strings.Join(f, " ")
	}
	return out
}

func TestLoginStoreCalls(t *testing.T) {
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.5")
	// begin begins a login of a@example.com from ip.
	begin := func(t *testing.T, l *throttle.Limiter) (context.Context, *throttle.Attempt, *throttle.Attempt) {
		t.Helper()
		c, addr, err := l.BeginLogin(ctx, ip, "emailpass", "a@example.com")
		must(t, err)
		a, err := l.Login(c, "emailpass", "A@example.com")
		must(t, err)
		return c, a, addr
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, l, other *throttle.Limiter)
		want []string
	}{
		{"failure", func(t *testing.T, l, _ *throttle.Limiter) {
			c, a, addr := begin(t, l)
			must(t, a.Fail(c))
			must(t, addr.Fail(c))
		}, []string{"try login_ip login"}},
		{"success", func(t *testing.T, l, _ *throttle.Limiter) {
			c, a, addr := begin(t, l)
			must(t, a.Succeed(c)) // clears the account, takes the address's hit back
			must(t, addr.Succeed(c))
		}, []string{"try login_ip login", "release login -login_ip"}},
		{"cancelled", func(t *testing.T, l, _ *throttle.Limiter) {
			c, a, addr := begin(t, l)
			must(t, a.Cancel(c))
			must(t, addr.Cancel(c))
		}, []string{"try login_ip login", "release -login -login_ip"}},
		{"the first report counts", func(t *testing.T, l, _ *throttle.Limiter) {
			c, a, addr := begin(t, l)
			must(t, a.Fail(c))
			must(t, a.Succeed(c))
			must(t, addr.Cancel(c))
		}, []string{"try login_ip login"}},
		{"no Login took the account's reservation", func(t *testing.T, l, _ *throttle.Limiter) {
			_, addr, err := l.BeginLogin(ctx, ip, "emailpass", "a@example.com")
			must(t, err)
			must(t, addr.Fail(ctx))
		}, []string{"try login_ip login", "release -login"}},
		{"no identifier", func(t *testing.T, l, _ *throttle.Limiter) {
			c, addr, err := l.BeginLogin(ctx, ip, "google", "")
			must(t, err)
			must(t, addr.Succeed(c))
		}, []string{"try login_ip", "release -login_ip"}},
		{"another account than the one reserved", func(t *testing.T, l, _ *throttle.Limiter) {
			c, addr, err := l.BeginLogin(ctx, ip, "emailpass", "a@example.com")
			must(t, err)
			a, err := l.Login(c, "emailpass", "b@example.com")
			must(t, err)
			must(t, a.Fail(c))
			must(t, addr.Fail(c))
		}, []string{"try login_ip login", "try login", "release -login"}},
		{"the reservation serves one Login", func(t *testing.T, l, _ *throttle.Limiter) {
			c, _, _ := begin(t, l)
			_, err := l.Login(c, "emailpass", "a@example.com")
			must(t, err)
		}, []string{"try login_ip login", "try login"}},
		{"another limiter's login", func(t *testing.T, l, other *throttle.Limiter) {
			c, addr, err := other.BeginLogin(ctx, ip, "emailpass", "a@example.com")
			must(t, err)
			a, err := l.Login(c, "emailpass", "a@example.com")
			must(t, err)
			must(t, a.Succeed(c))
			must(t, addr.Cancel(c))
		}, []string{"try login_ip login", "try login", "release login", "release -login_ip -login"}},
		{"Login alone", func(t *testing.T, l, _ *throttle.Limiter) {
			a, err := l.Login(ctx, "emailpass", "a@example.com")
			must(t, err)
			must(t, a.Succeed(ctx))
		}, []string{"try login", "release login"}},
		{"LoginFrom", func(t *testing.T, l, _ *throttle.Limiter) {
			addr, err := l.LoginFrom(ctx, ip)
			must(t, err)
			must(t, addr.Fail(ctx))
			must(t, addr.Fail(ctx))
		}, []string{"try login_ip"}},
		{"rules off", func(t *testing.T, _, _ *throttle.Limiter) {
			st := &recording{Store: memory.New()}
			l, err := throttle.New(st, throttle.Config{Login: throttle.Unlimited, LoginIP: throttle.Unlimited})
			must(t, err)
			c, a, addr := begin(t, l)
			must(t, a.Succeed(c))
			must(t, addr.Cancel(c))
			if len(st.calls) != 0 {
				t.Fatalf("calls %q", st.calls)
			}
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &recording{Store: memory.New()}
			l, err := throttle.New(st, throttle.Config{})
			must(t, err)
			other, err := throttle.New(st, throttle.Config{})
			must(t, err)
			tc.run(t, l, other)
			if got := short(st.calls); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("store calls %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBeginLoginRefusals(t *testing.T) {
	ctx := context.Background()
	clk := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	st := &recording{Store: memory.New()}
	l, err := throttle.New(st, throttle.Config{Now: func() time.Time { return clk },
		Login: throttle.Rule{Limit: 1, Window: time.Hour, Backoff: time.Minute, MaxBackoff: time.Minute}, LoginIP: throttle.Rule{Limit: 2, Window: time.Hour}})
	must(t, err)
	ip := netip.MustParseAddr("192.0.2.6")
	for range 2 {
		c, addr, err := l.BeginLogin(ctx, ip, "emailpass", "a@example.com")
		must(t, err)
		a, err := l.Login(c, "emailpass", "a@example.com")
		must(t, err)
		must(t, a.Fail(c))
		must(t, addr.Fail(c))
	}
	var le *throttle.LimitError
	// Both are over their limits: the address's refusal is the one
	// returned, and nothing is counted.
	st.calls = nil
	_, _, err = l.BeginLogin(ctx, ip, "emailpass", "a@example.com")
	if !errors.As(err, &le) || le.Rule != "login_ip" || le.RetryAfter != time.Hour {
		t.Fatalf("got %v, want login_ip refused for 1h", err)
	}
	// From elsewhere, the account refuses; the address's hit is taken
	// back in a second call.
	_, _, err = l.BeginLogin(ctx, netip.MustParseAddr("192.0.2.7"), "emailpass", "a@example.com")
	if !errors.As(err, &le) || le.Rule != "login" || le.RetryAfter != time.Minute {
		t.Fatalf("got %v, want login refused for 1m", err)
	}
	want := []string{"try login_ip login", "try login_ip login", "release -login_ip"}
	if got := short(st.calls); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("store calls %q, want %q", got, want)
	}
}

func TestNilLimiterBeginLogin(t *testing.T) {
	var l *throttle.Limiter
	ctx := context.Background()
	c, a, err := l.BeginLogin(ctx, netip.MustParseAddr("192.0.2.1"), "emailpass", "a@example.com")
	if c != ctx || a != nil || err != nil {
		t.Fatalf("got %v %v %v", c, a, err)
	}
	must(t, a.Fail(ctx))
}

func TestDuplicateHit(t *testing.T) {
	w := throttle.Window{Length: time.Minute}
	for n := range 12 {
		hits := make([]throttle.Hit, n)
		for i := range hits {
			hits[i] = throttle.Hit{Key: fmt.Sprint(i), Window: w}
		}
		must(t, throttle.DuplicateHit(hits))
		if n > 1 {
			hits[n-1].Key = hits[n/2-1].Key
			if err := throttle.DuplicateHit(hits); !errors.Is(err, throttle.ErrDuplicateKey) || !strings.Contains(err.Error(), hits[n-1].Key) {
				t.Fatalf("%d hits, a duplicate: %v", n, err)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestAttemptLocks: the failure past the free ones locks the account, on
// a Login of its own and on one BeginLogin reserved; an address attempt
// and an unlimited rule never lock.
func TestAttemptLocks(t *testing.T) {
	ctx := t.Context()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	l, err := throttle.New(memory.New(), throttle.Config{Login: throttle.Rule{Limit: 2, Window: time.Hour, Backoff: time.Minute, MaxBackoff: time.Hour}, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for range 2 {
		a, err := l.Login(ctx, "emailpass", "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a.Locks())
		if err := a.Fail(ctx); err != nil {
			t.Fatal(err)
		}
	}
	lctx, addr, err := l.BeginLogin(ctx, netip.MustParseAddr("192.0.2.1"), "emailpass", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	acct, err := l.Login(lctx, "emailpass", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, acct.Locks(), addr.Locks())
	if want := []bool{false, false, true, false}; !slices.Equal(got, want) {
		t.Fatalf("Locks: %v, want %v", got, want)
	}
	off, err := throttle.New(memory.New(), throttle.Config{Login: throttle.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	a, err := off.Login(ctx, "emailpass", "ada@example.com")
	if err != nil || a.Locks() {
		t.Fatalf("unlimited: %v %v", a.Locks(), err)
	}
	var none *throttle.Attempt
	if none.Locks() {
		t.Fatal("a nil attempt locks")
	}
}
