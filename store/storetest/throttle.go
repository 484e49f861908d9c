package storetest

import (
	"context"
	"errors"
	"fmt"
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

// hitOne counts one hit on key, a batch of one.
func hitOne(ctx context.Context, ts throttle.Store, key string, at time.Time, w throttle.Window) (throttle.Counter, error) {
	cs, err := ts.ThrottleHit(ctx, at, throttle.Hit{Key: key, Window: w})
	if err != nil {
		return throttle.Counter{}, err
	}
	if len(cs) != 1 {
		return throttle.Counter{}, fmt.Errorf("ThrottleHit of one key returned %d counters", len(cs))
	}
	return cs[0], nil
}

// getOne reads the counter of key, a batch of one.
func getOne(ctx context.Context, ts throttle.Store, key string, at time.Time) (throttle.Counter, error) {
	cs, err := ts.ThrottleGet(ctx, at, key)
	if err != nil {
		return throttle.Counter{}, err
	}
	if len(cs) != 1 {
		return throttle.Counter{}, fmt.Errorf("ThrottleGet of one key returned %d counters", len(cs))
	}
	return cs[0], nil
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
			c, err := hitOne(e.ctx, ts, "k", at, w)
			e.must(err)
			e.same(throttle.Counter{Hits: i, Start: t0.Add(time.Second), Last: at, Expires: t0.Add(time.Second + time.Minute)}, c)
		}
		got, err := getOne(e.ctx, ts, "k", t0.Add(30*time.Second))
		e.must(err)
		e.same(3, got.Hits)
		e.same(t0.Add(3*time.Second), got.Last)
		// Other keys are apart.
		other, err := getOne(e.ctx, ts, "other", t0)
		e.must(err)
		e.same(throttle.Counter{}, other)
		// At the end of the window the count lapses, and starts again.
		end := t0.Add(time.Second + time.Minute)
		got, err = getOne(e.ctx, ts, "k", end)
		e.must(err)
		e.same(throttle.Counter{}, got)
		c, err := hitOne(e.ctx, ts, "k", end, w)
		e.must(err)
		e.same(throttle.Counter{Hits: 1, Start: end, Last: end, Expires: end.Add(time.Minute)}, c)
	}},
	{"Throttle/SlidingWindow", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Minute, Sliding: true}
		_, err := hitOne(e.ctx, ts, "k", t0, w)
		e.must(err)
		c, err := hitOne(e.ctx, ts, "k", t0.Add(50*time.Second), w)
		e.must(err)
		e.same(throttle.Counter{Hits: 2, Start: t0, Last: t0.Add(50 * time.Second), Expires: t0.Add(110 * time.Second)}, c)
		// Still counted after the first hit's minute, not after the last's.
		got, err := getOne(e.ctx, ts, "k", t0.Add(100*time.Second))
		e.must(err)
		e.same(2, got.Hits)
		got, err = getOne(e.ctx, ts, "k", t0.Add(110*time.Second))
		e.must(err)
		e.same(0, got.Hits)
	}},
	{"Throttle/Clear", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Hour}
		for _, k := range []string{"a", "b"} {
			_, err := hitOne(e.ctx, ts, k, t0, w)
			e.must(err)
		}
		e.must(ts.ThrottleClear(e.ctx, "a"))
		e.must(ts.ThrottleClear(e.ctx, "missing"))
		a, err := getOne(e.ctx, ts, "a", t0)
		e.must(err)
		b, err := getOne(e.ctx, ts, "b", t0)
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
			if _, err := hitOne(ctx, ts, "k", t0, throttle.Window{Length: time.Hour}); err != nil {
				return err
			}
			return boom
		})
		e.wantErr(err, boom)
		got, err := getOne(e.ctx, ts, "k", t0)
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
				c, err := hitOne(e.ctx, ts, "hot", t0, throttle.Window{Length: time.Hour})
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
		got, err := getOne(e.ctx, ts, "hot", t0)
		e.must(err)
		e.same(n, got.Hits)
	}},
	{"Throttle/LapsedCountersAreSwept", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		for _, k := range []string{"old1", "old2", "old3"} {
			_, err := hitOne(e.ctx, ts, k, t0, throttle.Window{Length: time.Second})
			e.must(err)
		}
		// Later hits delete them; reads never return them either way.
		_, err := hitOne(e.ctx, ts, "new", t0.Add(time.Minute), throttle.Window{Length: time.Second})
		e.must(err)
		for _, k := range []string{"old1", "old2", "old3"} {
			got, err := getOne(e.ctx, ts, k, t0.Add(time.Minute))
			e.must(err)
			e.same(0, got.Hits)
		}
	}},
	{"Throttle/BatchCountsEachKeyByItsWindow", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		fixed := throttle.Window{Length: time.Minute}
		sliding := throttle.Window{Length: time.Minute, Sliding: true}
		long := throttle.Window{Length: time.Hour}
		_, err := hitOne(e.ctx, ts, "b", t0, sliding)
		e.must(err)
		_, err = hitOne(e.ctx, ts, "a", t0, fixed)
		e.must(err)
		at := t0.Add(40 * time.Second)
		// Not in key order: the counters come back in the order of the hits.
		cs, err := ts.ThrottleHit(e.ctx, at,
			throttle.Hit{Key: "c", Window: long}, throttle.Hit{Key: "a", Window: fixed}, throttle.Hit{Key: "b", Window: sliding})
		e.must(err)
		e.same([]throttle.Counter{
			{Hits: 1, Start: at, Last: at, Expires: at.Add(time.Hour)},
			{Hits: 2, Start: t0, Last: at, Expires: t0.Add(time.Minute)},
			{Hits: 2, Start: t0, Last: at, Expires: at.Add(time.Minute)},
		}, cs)
		// A batch read, a missing key and a repeated one included.
		later := t0.Add(70 * time.Second)
		got, err := ts.ThrottleGet(e.ctx, later, "b", "missing", "a", "c", "b")
		e.must(err)
		e.same([]throttle.Counter{cs[2], {}, {}, cs[0], cs[2]}, got)
		// A lapsed key in a batch starts again at 1, the others go on.
		cs, err = ts.ThrottleHit(e.ctx, later, throttle.Hit{Key: "a", Window: fixed}, throttle.Hit{Key: "b", Window: sliding})
		e.must(err)
		e.same([]throttle.Counter{
			{Hits: 1, Start: later, Last: later, Expires: later.Add(time.Minute)},
			{Hits: 3, Start: t0, Last: later, Expires: later.Add(time.Minute)},
		}, cs)
	}},
	{"Throttle/BatchRejectsADuplicateKey", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Hour}
		_, err := ts.ThrottleHit(e.ctx, t0, throttle.Hit{Key: "x", Window: w}, throttle.Hit{Key: "y", Window: w}, throttle.Hit{Key: "x", Window: w})
		e.wantErr(err, throttle.ErrDuplicateKey)
		// Nothing was counted.
		got, err := ts.ThrottleGet(e.ctx, t0, "x", "y")
		e.must(err)
		e.same([]throttle.Counter{{}, {}}, got)
	}},
	{"Throttle/EmptyBatches", func(e *env) {
		ts := e.throttleStore()
		cs, err := ts.ThrottleHit(e.ctx, now())
		e.must(err)
		e.same(0, len(cs))
		cs, err = ts.ThrottleGet(e.ctx, now())
		e.must(err)
		e.same(0, len(cs))
		e.must(ts.ThrottleClear(e.ctx))
	}},
	{"Throttle/ClearSeveral", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Hour}
		_, err := ts.ThrottleHit(e.ctx, t0, throttle.Hit{Key: "a", Window: w}, throttle.Hit{Key: "b", Window: w}, throttle.Hit{Key: "c", Window: w})
		e.must(err)
		e.must(ts.ThrottleClear(e.ctx, "c", "missing", "a"))
		got, err := ts.ThrottleGet(e.ctx, t0, "a", "b", "c")
		e.must(err)
		e.same([]int{0, 1, 0}, []int{got[0].Hits, got[1].Hits, got[2].Hits})
	}},
	{"Throttle/ConcurrentBatchesCountExactly", func(e *env) {
		// N batches that share two keys, named in either order, and each
		// have one of their own: each shared key counts exactly N, every
		// count seen once, and no two batches deadlock.
		ts := e.throttleStore()
		t0 := now()
		const n = 40
		w := throttle.Window{Length: time.Hour}
		sw := throttle.Window{Length: time.Hour, Sliding: true}
		seen := make([][2]int, n)
		own := make([]int, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				hits := []throttle.Hit{{Key: "hot", Window: w}, {Key: "hot2", Window: sw}, {Key: fmt.Sprintf("own%d", i), Window: w}}
				if i%2 == 1 {
					hits[0], hits[2] = hits[2], hits[0]
				}
				cs, err := ts.ThrottleHit(e.ctx, t0, hits...)
				if err != nil {
					errs <- err
					return
				}
				if i%2 == 1 {
					cs[0], cs[2] = cs[2], cs[0]
				}
				seen[i] = [2]int{cs[0].Hits, cs[1].Hits}
				own[i] = cs[2].Hits
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			e.must(err)
		}
		for k := range 2 {
			counts := map[int]bool{}
			for _, h := range seen {
				counts[h[k]] = true
			}
			for i := 1; i <= n; i++ {
				if !counts[i] {
					e.t.Fatalf("no hit on shared key %d saw count %d: %v", k, i, seen)
				}
			}
		}
		for i, h := range own {
			if h != 1 {
				e.t.Fatalf("own key %d counted %d", i, h)
			}
		}
		got, err := ts.ThrottleGet(e.ctx, t0, "hot", "hot2")
		e.must(err)
		e.same([]int{n, n}, []int{got[0].Hits, got[1].Hits})
	}},
	{"Throttle/HitIfCountsOnlyAnUnchangedCounter", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Minute}
		sw := throttle.Window{Length: time.Minute, Sliding: true}
		// No counter: it counts when zero was expected, not otherwise.
		_, ok, err := ts.ThrottleHitIf(e.ctx, t0, throttle.Hit{Key: "cas", Window: w}, throttle.Counter{Hits: 1, Last: t0})
		e.must(err)
		e.same(false, ok)
		c, ok, err := ts.ThrottleHitIf(e.ctx, t0, throttle.Hit{Key: "cas", Window: w}, throttle.Counter{})
		e.must(err)
		e.same(true, ok)
		e.same(throttle.Counter{Hits: 1, Start: t0, Last: t0, Expires: t0.Add(time.Minute)}, c)
		// A stale expectation (the count, or the latest hit) counts
		// nothing.
		t1 := t0.Add(time.Second)
		for _, was := range []throttle.Counter{{}, {Hits: 2, Last: t0}, {Hits: 1, Last: t1}} {
			_, ok, err = ts.ThrottleHitIf(e.ctx, t1, throttle.Hit{Key: "cas", Window: w}, was)
			e.must(err)
			e.same(false, ok)
		}
		got, err := getOne(e.ctx, ts, "cas", t1)
		e.must(err)
		e.same(c, got)
		// The counter as read counts, by its window.
		c, ok, err = ts.ThrottleHitIf(e.ctx, t1, throttle.Hit{Key: "cas", Window: sw}, got)
		e.must(err)
		e.same(true, ok)
		e.same(throttle.Counter{Hits: 2, Start: t0, Last: t1, Expires: t1.Add(time.Minute)}, c)
		// A lapsed counter is a zero one: it starts again at 1.
		t2 := t1.Add(time.Minute)
		_, ok, err = ts.ThrottleHitIf(e.ctx, t2, throttle.Hit{Key: "cas", Window: w}, c)
		e.must(err)
		e.same(false, ok)
		c, ok, err = ts.ThrottleHitIf(e.ctx, t2, throttle.Hit{Key: "cas", Window: w}, throttle.Counter{})
		e.must(err)
		e.same(true, ok)
		e.same(throttle.Counter{Hits: 1, Start: t2, Last: t2, Expires: t2.Add(time.Minute)}, c)
		// Of concurrent calls with one expectation, one counts.
		const n = 40
		var wg sync.WaitGroup
		counted := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, counted[i], errs[i] = ts.ThrottleHitIf(e.ctx, t2, throttle.Hit{Key: "cas", Window: w}, c)
			})
		}
		wg.Wait()
		wins := 0
		for i := range n {
			e.must(errs[i])
			if counted[i] {
				wins++
			}
		}
		e.same(1, wins)
		got, err = getOne(e.ctx, ts, "cas", t2)
		e.must(err)
		e.same(2, got.Hits)
	}},
	{"Throttle/ConcurrentLoginsGetTheRuleCount", func(e *env) {
		ts := e.throttleStore()
		clk := &throttleClock{at: now()}
		l, err := throttle.New(ts, throttle.Config{Now: clk.now})
		e.must(err)
		const n = 50
		// burst begins n logins to one account at once, half through
		// BeginLogin, and returns how many reached the password check
		// (they all fail it).
		burst := func() int {
			e.t.Helper()
			var wg sync.WaitGroup
			errs := make([]error, n)
			checked := make([]bool, n)
			for i := range n {
				wg.Go(func() {
					ctx := e.ctx
					if i%2 == 0 {
						ip := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
						ctx, _, errs[i] = l.BeginLogin(ctx, ip, "emailpass", "ann@example.com")
						if errs[i] != nil {
							return
						}
					}
					var a *throttle.Attempt
					a, errs[i] = l.Login(ctx, "emailpass", "ann@example.com")
					if errs[i] != nil {
						return
					}
					checked[i] = true
					errs[i] = a.Fail(ctx)
				})
			}
			wg.Wait()
			passed := 0
			for i := range n {
				var le *throttle.LimitError
				switch {
				case checked[i] && errs[i] == nil:
					passed++
				case errors.As(errs[i], &le) && le.Rule == "login":
				default:
					e.t.Fatalf("login %d: %v", i, errs[i])
				}
			}
			return passed
		}
		// Five free failures and a sixth before the lock.
		e.same(6, burst())
		e.same(0, burst())
		// After the lock, one more; a success then clears the count.
		clk.add(time.Second)
		e.same(1, burst())
		clk.add(2 * time.Second)
		a, err := l.Login(e.ctx, "emailpass", "ann@example.com")
		e.must(err)
		e.must(a.Succeed(e.ctx))
		e.same(6, burst())
	}},
	{"Throttle/BeginLoginCountsTheAddressOncePerLogin", func(e *env) {
		ts := e.throttleStore()
		clk := &throttleClock{at: now()}
		l, err := throttle.New(ts, throttle.Config{Now: clk.now,
			Login:   throttle.Rule{Limit: 3, Window: time.Hour, Backoff: time.Second, MaxBackoff: time.Minute},
			LoginIP: throttle.Rule{Limit: 3, Window: time.Minute}})
		e.must(err)
		ip := netip.MustParseAddr("203.0.113.9")
		begin := func(ip netip.Addr) (context.Context, *throttle.Attempt) {
			e.t.Helper()
			ctx, addr, err := l.BeginLogin(e.ctx, ip, "emailpass", "ann@example.com")
			e.must(err)
			return ctx, addr
		}
		// Both fail: the account's Fail counts the address too, and the
		// address's Fail after it nothing more.
		ctx, addr := begin(ip)
		acct, err := l.Login(ctx, "emailpass", "ANN@example.com")
		e.must(err)
		e.must(acct.Fail(ctx))
		e.must(addr.Fail(ctx))
		// The address's Fail first: the account's then counts its own.
		ctx, addr = begin(ip)
		acct, err = l.Login(ctx, "emailpass", "ann@example.com")
		e.must(err)
		e.must(addr.Fail(ctx))
		e.must(acct.Fail(ctx))
		// No account attempt (the login named none): the address alone.
		_, addr = begin(ip)
		e.must(addr.Fail(e.ctx))
		// Three address failures: the address is refused, before the
		// account is looked at.
		_, _, err = l.BeginLogin(e.ctx, ip, "emailpass", "ann@example.com")
		e.wantLimited(err, "login_ip", time.Minute)
		// Two account failures: a third is free, the fourth locks it. The
		// account's counter read by BeginLogin decides in Login.
		other := netip.MustParseAddr("203.0.113.10")
		for range 2 {
			ctx, _ = begin(other)
			acct, err = l.Login(ctx, "emailpass", "ann@example.com")
			e.must(err)
			e.must(acct.Fail(ctx))
		}
		ctx, _ = begin(other)
		_, err = l.Login(ctx, "emailpass", "ann@example.com")
		e.wantLimited(err, "login", time.Second)
		// The other address has two failures: one more is allowed.
		ctx, addr = begin(netip.MustParseAddr("203.0.113.10"))
		e.must(addr.Fail(ctx))
		_, _, err = l.BeginLogin(e.ctx, other, "emailpass", "bob@example.com")
		e.wantLimited(err, "login_ip", time.Minute)
		// A success after the lock clears the account read ahead.
		clk.add(time.Minute)
		ctx, _ = begin(ip)
		acct, err = l.Login(ctx, "emailpass", "ann@example.com")
		e.must(err)
		e.must(acct.Succeed(ctx))
		for range 3 {
			a, err := l.Login(e.ctx, "emailpass", "ann@example.com")
			e.must(err)
			e.must(a.Fail(e.ctx))
		}
		_, err = l.Login(e.ctx, "emailpass", "ann@example.com")
		e.must(err)
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
		// Then (each Login reserves its attempt: a failure counted in
		// advance, so a probe would be one) 1 s, 2 s, 4 s… counted from
		// each failure, up to 15 min.
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
		// A success clears the count: five free failures again, and a
		// sixth.
		for range 6 {
			fail()
		}
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
