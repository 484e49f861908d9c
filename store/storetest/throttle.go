package storetest

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/clientele/clientele/throttle"
)

// throttleStore returns the store as a throttle.Store; a backend without
// one (it is optional) skips these tests, saying so.
func (e *env) throttleStore() throttle.Store {
	e.t.Helper()
	ts, ok := e.st.(throttle.Store)
	if !ok {
		e.t.Skip("the backend implements no throttle.Store (optional)")
	}
	return ts
}

// throttleClock is a settable clock for Limiters.
type throttleClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *throttleClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *throttleClock) add(d time.Duration) {
	c.mu.Lock()
	c.at = c.at.Add(d)
	c.mu.Unlock()
}

// wantLimited checks that err is a *throttle.LimitError of rule asking to
// wait retry.
func (e *env) wantLimited(err error, rule string, retry time.Duration) {
	e.t.Helper()
	var le *throttle.LimitError
	if !errors.As(err, &le) || !errors.Is(err, throttle.ErrLimited) {
		e.t.Fatalf("got %v, want a *throttle.LimitError", err)
	}
	if le.Rule != rule || le.RetryAfter != retry {
		e.t.Fatalf("got %s retry after %s, want %s retry after %s", le.Rule, le.RetryAfter, rule, retry)
	}
}

var throttleTests = []test{
	{"Throttle/CountsInAFixedWindow", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Minute}
		for i := 1; i <= 3; i++ {
			at := t0.Add(time.Duration(i) * time.Second)
			c, err := ts.ThrottleHit(e.ctx, "k", at, w)
			e.must(err)
			e.same(throttle.Counter{Hits: i, Start: t0.Add(time.Second), Last: at, Expires: t0.Add(time.Second + time.Minute)}, c)
		}
		got, err := ts.ThrottleGet(e.ctx, "k", t0.Add(30*time.Second))
		e.must(err)
		e.same(3, got.Hits)
		e.same(t0.Add(3*time.Second), got.Last)
		// Other keys are apart.
		other, err := ts.ThrottleGet(e.ctx, "other", t0)
		e.must(err)
		e.same(throttle.Counter{}, other)
		// At the end of the window the count lapses, and starts again.
		end := t0.Add(time.Second + time.Minute)
		got, err = ts.ThrottleGet(e.ctx, "k", end)
		e.must(err)
		e.same(throttle.Counter{}, got)
		c, err := ts.ThrottleHit(e.ctx, "k", end, w)
		e.must(err)
		e.same(throttle.Counter{Hits: 1, Start: end, Last: end, Expires: end.Add(time.Minute)}, c)
	}},
	{"Throttle/SlidingWindow", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Minute, Sliding: true}
		_, err := ts.ThrottleHit(e.ctx, "k", t0, w)
		e.must(err)
		c, err := ts.ThrottleHit(e.ctx, "k", t0.Add(50*time.Second), w)
		e.must(err)
		e.same(throttle.Counter{Hits: 2, Start: t0, Last: t0.Add(50 * time.Second), Expires: t0.Add(110 * time.Second)}, c)
		// Still counted after the first hit's minute, not after the last's.
		got, err := ts.ThrottleGet(e.ctx, "k", t0.Add(100*time.Second))
		e.must(err)
		e.same(2, got.Hits)
		got, err = ts.ThrottleGet(e.ctx, "k", t0.Add(110*time.Second))
		e.must(err)
		e.same(0, got.Hits)
	}},
	{"Throttle/Clear", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Hour}
		for _, k := range []string{"a", "b"} {
			_, err := ts.ThrottleHit(e.ctx, k, t0, w)
			e.must(err)
		}
		e.must(ts.ThrottleClear(e.ctx, "a"))
		e.must(ts.ThrottleClear(e.ctx, "missing"))
		a, err := ts.ThrottleGet(e.ctx, "a", t0)
		e.must(err)
		b, err := ts.ThrottleGet(e.ctx, "b", t0)
		e.must(err)
		e.same(0, a.Hits)
		e.same(1, b.Hits)
	}},
	{"Throttle/NotUndoneWithUnit", func(e *env) {
		// A failed attempt stays counted whatever becomes of the unit of
		// work around it.
		ts := e.throttleStore()
		t0 := now()
		boom := errors.New("boom")
		err := e.st.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := ts.ThrottleHit(ctx, "k", t0, throttle.Window{Length: time.Hour}); err != nil {
				return err
			}
			return boom
		})
		e.wantErr(err, boom)
		got, err := ts.ThrottleGet(e.ctx, "k", t0)
		e.must(err)
		e.same(1, got.Hits)
	}},
	{"Throttle/ConcurrentHitsCountExactly", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		const n = 40
		seen := make([]int, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				c, err := ts.ThrottleHit(e.ctx, "hot", t0, throttle.Window{Length: time.Hour})
				if err != nil {
					errs <- err
					return
				}
				seen[i] = c.Hits
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			e.must(err)
		}
		counts := map[int]bool{}
		for _, h := range seen {
			counts[h] = true
		}
		for i := 1; i <= n; i++ {
			if !counts[i] {
				e.t.Fatalf("no hit saw count %d: %v", i, seen)
			}
		}
		got, err := ts.ThrottleGet(e.ctx, "hot", t0)
		e.must(err)
		e.same(n, got.Hits)
	}},
	{"Throttle/LapsedCountersAreSwept", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		for _, k := range []string{"old1", "old2", "old3"} {
			_, err := ts.ThrottleHit(e.ctx, k, t0, throttle.Window{Length: time.Second})
			e.must(err)
		}
		// Later hits delete them; reads never return them either way.
		_, err := ts.ThrottleHit(e.ctx, "new", t0.Add(time.Minute), throttle.Window{Length: time.Second})
		e.must(err)
		for _, k := range []string{"old1", "old2", "old3"} {
			got, err := ts.ThrottleGet(e.ctx, k, t0.Add(time.Minute))
			e.must(err)
			e.same(0, got.Hits)
		}
	}},
	{"Throttle/LoginBackoffGrowsAndSuccessClears", func(e *env) {
		ts := e.throttleStore()
		clk := &throttleClock{at: now()}
		l, err := throttle.New(ts, throttle.Config{Now: clk.now})
		e.must(err)
		fail := func() {
			e.t.Helper()
			a, err := l.Login(e.ctx, "emailpass", "Ann@Example.com")
			e.must(err)
			e.must(a.Fail(e.ctx))
		}
		for range 5 {
			fail() // the first five are free
		}
		_, err = l.Login(e.ctx, "emailpass", "ann@example.com")
		e.must(err)
		// Then 1 s, 2 s, 4 s… counted from each failure, up to 15 min.
		for i, wait := range []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900} {
			fail()
			_, err = l.Login(e.ctx, "emailpass", "  ANN@example.com ")
			e.wantLimited(err, "login", wait*time.Second)
			clk.add(wait*time.Second - time.Millisecond)
			_, err = l.Login(e.ctx, "emailpass", "ann@example.com")
			e.wantLimited(err, "login", time.Second)
			clk.add(time.Millisecond)
			if i == 3 {
				// Another provider's identifier, and another identifier,
				// are counted apart.
				_, err = l.Login(e.ctx, "other", "ann@example.com")
				e.must(err)
				_, err = l.Login(e.ctx, "emailpass", "bob@example.com")
				e.must(err)
			}
		}
		a, err := l.Login(e.ctx, "emailpass", "ann@example.com")
		e.must(err)
		e.must(a.Succeed(e.ctx))
		// A success clears the count: five free failures again.
		for range 5 {
			fail()
		}
		_, err = l.Login(e.ctx, "emailpass", "ann@example.com")
		e.must(err)
		fail()
		_, err = l.Login(e.ctx, "emailpass", "ann@example.com")
		e.wantLimited(err, "login", time.Second)
		// A day without failures forgets them.
		clk.add(24 * time.Hour)
		fail()
		_, err = l.Login(e.ctx, "emailpass", "ann@example.com")
		e.must(err)
	}},
	{"Throttle/IPRules", func(e *env) {
		ts := e.throttleStore()
		clk := &throttleClock{at: now()}
		l, err := throttle.New(ts, throttle.Config{Now: clk.now,
			LoginIP: throttle.Rule{Limit: 3, Window: time.Minute}, RegisterIP: throttle.Rule{Limit: 2, Window: time.Hour}})
		e.must(err)
		ip := netip.MustParseAddr("203.0.113.7")
		for range 3 {
			a, err := l.LoginFrom(e.ctx, ip)
			e.must(err)
			e.must(a.Fail(e.ctx))
			e.must(a.Succeed(e.ctx)) // a success does not clear an address
		}
		_, err = l.LoginFrom(e.ctx, ip)
		e.wantLimited(err, "login_ip", time.Minute)
		_, err = l.LoginFrom(e.ctx, netip.MustParseAddr("203.0.113.8"))
		e.must(err)
		clk.add(time.Minute)
		_, err = l.LoginFrom(e.ctx, ip)
		e.must(err)

		// IPv6 addresses count per /64.
		v6a, v6b := netip.MustParseAddr("2001:db8:1:2::1"), netip.MustParseAddr("2001:db8:1:2:ffff::9")
		e.must(l.RegisterFrom(e.ctx, v6a))
		e.must(l.RegisterFrom(e.ctx, v6b))
		e.wantLimited(l.RegisterFrom(e.ctx, v6a), "register_ip", time.Hour)
		clk.add(30 * time.Minute)
		// Refused attempts do not extend the window.
		e.wantLimited(l.RegisterFrom(e.ctx, v6b), "register_ip", 30*time.Minute)
		e.must(l.RegisterFrom(e.ctx, netip.MustParseAddr("2001:db8:1:3::1")))
		clk.add(30 * time.Minute)
		e.must(l.RegisterFrom(e.ctx, v6a))
	}},
	{"Throttle/ResetRequests", func(e *env) {
		ts := e.throttleStore()
		clk := &throttleClock{at: now()}
		l, err := throttle.New(ts, throttle.Config{Now: clk.now})
		e.must(err)
		for range 5 {
			e.must(l.ResetRequest(e.ctx, "emailpass", "victim@example.com"))
		}
		e.wantLimited(l.ResetRequest(e.ctx, "emailpass", "Victim@Example.com"), "reset", time.Hour)
		e.must(l.ResetRequest(e.ctx, "emailpass", "other@example.com"))
		ip := netip.MustParseAddr("198.51.100.1")
		for range 20 {
			e.must(l.ResetRequestFrom(e.ctx, ip))
		}
		e.wantLimited(l.ResetRequestFrom(e.ctx, ip), "reset_ip", time.Hour)
		for range 60 {
			e.must(l.RefreshFrom(e.ctx, ip))
		}
		e.wantLimited(l.RefreshFrom(e.ctx, ip), "refresh_ip", time.Minute)
	}},
}
