package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
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
	{"Throttle/ReleaseClears", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Hour}
		for _, k := range []string{"a", "b"} {
			_, err := hitOne(e.ctx, ts, k, t0, w)
			e.must(err)
		}
		e.must(ts.ThrottleRelease(e.ctx, t0, throttle.Release{Key: "a", Clear: true}))
		e.must(ts.ThrottleRelease(e.ctx, t0, throttle.Release{Key: "missing", Clear: true}))
		a, err := getOne(e.ctx, ts, "a", t0)
		e.must(err)
		b, err := getOne(e.ctx, ts, "b", t0)
		e.must(err)
		e.same(0, a.Hits)
		e.same(1, b.Hits)
	}},
	{"Throttle/ReleaseClearsAsOfSince", func(e *env) {
		// A clear as of a time deletes a counter not hit since, and takes
		// one hit back from one hit later: a late clear never wipes a
		// later attempt's hit.
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Hour}
		for _, k := range []string{"quiet", "busy"} {
			_, err := hitOne(e.ctx, ts, k, t0, w)
			e.must(err)
			_, err = hitOne(e.ctx, ts, k, t0.Add(time.Second), w)
			e.must(err)
		}
		_, err := hitOne(e.ctx, ts, "busy", t0.Add(2*time.Second), w)
		e.must(err)
		since := t0.Add(time.Second)
		e.same(true, throttle.Release{Clear: true, Since: since}.ClearsAt(since))
		e.same(false, throttle.Release{Clear: true, Since: since}.ClearsAt(since.Add(time.Microsecond)))
		e.must(ts.ThrottleRelease(e.ctx, t0.Add(3*time.Second),
			throttle.Release{Key: "quiet", Clear: true, Since: since}, throttle.Release{Key: "busy", Clear: true, Since: since}))
		got, err := ts.ThrottleGet(e.ctx, t0.Add(3*time.Second), "quiet", "busy")
		e.must(err)
		e.same([]int{0, 2}, []int{got[0].Hits, got[1].Hits})
		e.same(t0.Add(2*time.Second), got[1].Last)
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
		e.must(ts.ThrottleRelease(e.ctx, now()))
		cs, ok, err := ts.ThrottleTry(e.ctx, now())
		e.must(err)
		e.same(0, len(cs)+len(ok))
	}},
	{"Throttle/ReleaseSeveral", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		w := throttle.Window{Length: time.Hour}
		_, err := ts.ThrottleHit(e.ctx, t0, throttle.Hit{Key: "a", Window: w}, throttle.Hit{Key: "b", Window: w}, throttle.Hit{Key: "c", Window: w})
		e.must(err)
		_, err = hitOne(e.ctx, ts, "b", t0, w)
		e.must(err)
		e.must(ts.ThrottleRelease(e.ctx, t0, throttle.Release{Key: "c", Clear: true}, throttle.Release{Key: "missing"},
			throttle.Release{Key: "b"}, throttle.Release{Key: "a", Clear: true}))
		got, err := ts.ThrottleGet(e.ctx, t0, "a", "b", "c")
		e.must(err)
		e.same([]int{0, 1, 0}, []int{got[0].Hits, got[1].Hits, got[2].Hits})
		// One hit back, never below zero, and a key named twice is refused
		// whole.
		e.must(ts.ThrottleRelease(e.ctx, t0, throttle.Release{Key: "b"}))
		e.must(ts.ThrottleRelease(e.ctx, t0, throttle.Release{Key: "b"}))
		got, err = ts.ThrottleGet(e.ctx, t0, "b")
		e.must(err)
		e.same(0, got[0].Hits)
		_, err = hitOne(e.ctx, ts, "b", t0, w)
		e.must(err)
		e.wantErr(ts.ThrottleRelease(e.ctx, t0, throttle.Release{Key: "b"}, throttle.Release{Key: "b", Clear: true}), throttle.ErrDuplicateKey)
		got, err = ts.ThrottleGet(e.ctx, t0, "b")
		e.must(err)
		e.same(1, got[0].Hits)
		// A lapsed counter is left to lapse: the release takes nothing.
		_, err = hitOne(e.ctx, ts, "short", t0, throttle.Window{Length: time.Second})
		e.must(err)
		e.must(ts.ThrottleRelease(e.ctx, t0.Add(time.Second), throttle.Release{Key: "short"}))
		c, err := hitOne(e.ctx, ts, "short", t0.Add(time.Second), throttle.Window{Length: time.Second})
		e.must(err)
		e.same(1, c.Hits)
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
	{"Throttle/TryCountsWhatTheRuleAllows", func(e *env) {
		ts := e.throttleStore()
		t0 := now()
		counting := throttle.Rule{Limit: 2, Window: time.Minute}
		backoff := throttle.Rule{Limit: 1, Window: time.Hour, Backoff: time.Second, MaxBackoff: 4 * time.Second}
		try := func(at time.Time, tries ...throttle.Try) ([]throttle.Counter, []bool) {
			e.t.Helper()
			cs, ok, err := ts.ThrottleTry(e.ctx, at, tries...)
			e.must(err)
			e.same(len(tries), len(cs))
			e.same(len(tries), len(ok))
			return cs, ok
		}
		// A counting rule: Limit hits per fixed window, then refused
		// (counting nothing) until the window ends.
		for i := 1; i <= 2; i++ {
			cs, ok := try(t0, throttle.Try{Key: "c", Rule: counting})
			e.same([]bool{true}, ok)
			e.same(throttle.Counter{Hits: i, Start: t0, Last: t0, Expires: t0.Add(time.Minute)}, cs[0])
		}
		t1 := t0.Add(30 * time.Second)
		cs, ok := try(t1, throttle.Try{Key: "c", Rule: counting})
		e.same([]bool{false}, ok)
		e.same(throttle.Counter{Hits: 2, Start: t0, Last: t0, Expires: t0.Add(time.Minute)}, cs[0])
		cs, ok = try(t0.Add(time.Minute), throttle.Try{Key: "c", Rule: counting})
		e.same([]bool{true}, ok)
		e.same(1, cs[0].Hits)
		// A back-off rule: Limit+1 tries, then one more each time the lock
		// of the count (1 s, 2 s, 4 s, 4 s…) from the latest has passed;
		// its window slides.
		at := t0
		for _, wait := range []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
			at = at.Add(wait)
			if wait > 0 {
				_, ok = try(at.Add(-time.Microsecond), throttle.Try{Key: "b", Rule: backoff})
				e.same([]bool{false}, ok)
			}
			cs, ok = try(at, throttle.Try{Key: "b", Rule: backoff})
			e.same([]bool{true}, ok)
			e.same(at.Add(time.Hour), cs[0].Expires)
		}
		e.same(6, cs[0].Hits)
		// Keys are tried each on its own: the refused one comes back as it
		// is, in the order of the tries.
		cs, ok = try(at, throttle.Try{Key: "new", Rule: counting}, throttle.Try{Key: "b", Rule: backoff})
		e.same([]bool{true, false}, ok)
		e.same(throttle.Counter{Hits: 1, Start: at, Last: at, Expires: at.Add(time.Minute)}, cs[0])
		e.same(6, cs[1].Hits)
		// A key named twice: nothing is tried.
		_, _, err := ts.ThrottleTry(e.ctx, at, throttle.Try{Key: "x", Rule: counting}, throttle.Try{Key: "x", Rule: counting})
		e.wantErr(err, throttle.ErrDuplicateKey)
		got, err := getOne(e.ctx, ts, "x", at)
		e.must(err)
		e.same(0, got.Hits)
		// The same rule as the Limiter's: Rule.Allows agrees with the store.
		e.same(false, backoff.Allows(cs[1], at))
		e.same(true, backoff.Allows(cs[1], at.Add(4*time.Second)))
	}},
	{"Throttle/ConcurrentTriesGetTheRuleCount", func(e *env) {
		// N concurrent tries on a fresh key (the first ones race to insert
		// it) and on a live one: exactly the rule's count is let through.
		ts := e.throttleStore()
		t0 := now()
		for _, rule := range []throttle.Rule{
			{Limit: 3, Window: time.Hour},
			{Limit: 2, Window: time.Hour, Backoff: time.Hour, MaxBackoff: time.Hour},
		} {
			key := fmt.Sprintf("hot%d", rule.Backoff)
			for round, want := range []int{3, 0} {
				const n = 40
				var wg sync.WaitGroup
				ok := make([]bool, n)
				errs := make([]error, n)
				for i := range n {
					wg.Go(func() {
						var oks []bool
						_, oks, errs[i] = ts.ThrottleTry(e.ctx, t0, throttle.Try{Key: key, Rule: rule}, throttle.Try{Key: fmt.Sprint(key, round, i), Rule: rule})
						if errs[i] == nil {
							ok[i] = oks[0]
						}
					})
				}
				wg.Wait()
				passed := 0
				for i := range n {
					e.must(errs[i])
					if ok[i] {
						passed++
					}
				}
				e.same(want, passed)
			}
			got, err := getOne(e.ctx, ts, key, t0)
			e.must(err)
			e.same(3, got.Hits)
		}
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
	{"Throttle/ConcurrentTriesAndReleasesNeverDeadlock", func(e *env) {
		// A login's reservation locks its keys in key order; a success's
		// release, which clears one key and takes a hit back from the
		// other, must take them in the same order, or a login and a
		// success on one account and one address wait for each other.
		ts := e.throttleStore()
		at := now()
		rule := throttle.Rule{Limit: 1 << 20, Window: time.Hour, Backoff: time.Second, MaxBackoff: time.Minute}
		keys := []string{"login:deadlock-account", "login_ip:deadlock-address"}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for w := range errs {
			wg.Go(func() {
				for i := range 40 {
					if _, _, err := ts.ThrottleTry(e.ctx, at, throttle.Try{Key: keys[0], Rule: rule}, throttle.Try{Key: keys[1], Rule: rule}); err != nil {
						errs[w] = fmt.Errorf("try %d: %w", i, err)
						return
					}
					if err := ts.ThrottleRelease(e.ctx, at, throttle.Release{Key: keys[0], Clear: true}, throttle.Release{Key: keys[1]}); err != nil {
						errs[w] = fmt.Errorf("release %d: %w", i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		for w, err := range errs {
			if err != nil {
				e.t.Fatalf("worker %d: %v", w, err)
			}
		}
	}},
	{"Throttle/LoginReservations", func(e *env) {
		// BeginLogin reserves the attempt on the address and the account
		// at once; a failure keeps both counted, a success clears the
		// account and takes the address's hit back, a cancelled login
		// takes both back, and a refused one counts nothing.
		ts := e.throttleStore()
		clk := &throttleClock{at: now()}
		l, err := throttle.New(ts, throttle.Config{Now: clk.now,
			Login:   throttle.Rule{Limit: 2, Window: time.Hour, Backoff: time.Minute, MaxBackoff: time.Minute},
			LoginIP: throttle.Rule{Limit: 3, Window: time.Hour}})
		e.must(err)
		ip := netip.MustParseAddr("203.0.113.9")
		n := 0
		login := func(ip netip.Addr, email string, end func(ctx context.Context, acct, addr *throttle.Attempt) error) error {
			e.t.Helper()
			ctx, addr, err := l.BeginLogin(e.ctx, ip, "emailpass", email)
			if err != nil {
				return err
			}
			acct, err := l.Login(ctx, "emailpass", strings.ToUpper(email))
			e.must(err)
			e.must(end(ctx, acct, addr))
			// The address attempt reports after the account's, as httpapi
			// does: it changes nothing then.
			e.must(addr.Cancel(ctx))
			n++
			return nil
		}
		succeed := func(ctx context.Context, acct, _ *throttle.Attempt) error { return acct.Succeed(ctx) }
		cancel := func(ctx context.Context, acct, _ *throttle.Attempt) error { return acct.Cancel(ctx) }
		fail := func(ctx context.Context, acct, _ *throttle.Attempt) error { return acct.Fail(ctx) }
		// Successes and cancelled logins count nothing, on either.
		for range 5 {
			e.must(login(ip, "ann@example.com", succeed))
			e.must(login(ip, "ann@example.com", cancel))
		}
		// Two failures on ann from ip; a third from elsewhere.
		for range 2 {
			e.must(login(ip, "ann@example.com", fail))
		}
		other := netip.MustParseAddr("203.0.113.10")
		e.must(login(other, "ann@example.com", fail))
		// ann is locked: refused, from a third address too, and the
		// refusal counts nothing on that address.
		third := netip.MustParseAddr("203.0.113.11")
		for range 5 {
			e.wantLimited(login(third, "ann@example.com", fail), "login", time.Minute)
		}
		// A login that never reached Login (an unknown provider, say): the
		// address's failure counts, the account's reservation is taken
		// back.
		_, addr, err := l.BeginLogin(e.ctx, ip, "emailpass", "bob@example.com")
		e.must(err)
		e.must(addr.Fail(e.ctx))
		e.must(addr.Cancel(e.ctx)) // the first report counts
		// ip has 3 failures: refused, and bob (reserved for nothing
		// above) is not locked from the third address, which has its
		// whole allowance.
		e.wantLimited(login(ip, "carl@example.com", fail), "login_ip", time.Hour)
		for range 3 {
			e.must(login(third, "bob@example.com", fail))
		}
		e.wantLimited(login(third, "dora@example.com", fail), "login_ip", time.Hour)
		// After the lock, ann's right password clears her count.
		clk.add(time.Minute)
		e.must(login(other, "ann@example.com", succeed))
		e.must(login(other, "ann@example.com", fail))
		e.must(login(other, "ann@example.com", fail))
		e.wantLimited(login(other, "ann@example.com", fail), "login_ip", time.Hour-time.Minute)
	}},
	{"Throttle/ALateSuccessKeepsLaterFailures", func(e *env) {
		// A success reported after later failures (its report was
		// delayed) clears the count as of its own reservation: the later
		// failures stay counted.
		ts := e.throttleStore()
		clk := &throttleClock{at: now()}
		l, err := throttle.New(ts, throttle.Config{Now: clk.now,
			Login: throttle.Rule{Limit: 3, Window: time.Hour, Backoff: time.Minute, MaxBackoff: time.Minute}})
		e.must(err)
		fail := func() error {
			clk.add(time.Millisecond)
			a, err := l.Login(e.ctx, "emailpass", "ann@example.com")
			if err != nil {
				return err
			}
			return a.Fail(e.ctx)
		}
		ok, err := l.Login(e.ctx, "emailpass", "ann@example.com")
		e.must(err)
		for range 3 {
			e.must(fail())
		}
		e.wantLimited(fail(), "login", time.Minute)
		e.must(ok.Succeed(e.ctx))
		// The three failures remain (a clear would have allowed three
		// more): one more is free, then the lock.
		e.must(fail())
		e.wantLimited(fail(), "login", time.Minute)
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
		// Starts of logins that store state count apart from refreshes.
		for range 60 {
			e.must(l.StartFrom(e.ctx, ip))
		}
		e.wantLimited(l.StartFrom(e.ctx, ip), "start_ip", time.Minute)
		e.must(l.StartFrom(e.ctx, netip.MustParseAddr("198.51.100.2")))
	}},
}
