package memory

import (
	"context"
	"sync"
	"time"

	"github.com/clientele/clientele/throttle"
)

var _ throttle.Store = (*Store)(nil)

// throttleTable holds the throttle counters under a lock of its own: they
// never join a unit of work. Its zero value is ready.
type throttleTable struct {
	mu      sync.Mutex
	m       map[string]throttle.Counter
	sweepAt int // ThrottleHit sweeps lapsed counters at this size
}

// ThrottleHit implements throttle.Store: the hits are counted under one
// lock.
func (s *Store) ThrottleHit(ctx context.Context, now time.Time, hits ...throttle.Hit) ([]throttle.Counter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(hits) == 0 {
		return nil, nil
	}
	if err := throttle.DuplicateHit(hits); err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	t := &s.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	out := make([]throttle.Counter, len(hits))
	for i, h := range hits {
		out[i] = t.hit(now, h)
	}
	return out, nil
}

// sweep makes the table, or forgets its lapsed counters whenever it has
// doubled since the last sweep: O(1) amortised per hit. t.mu is held.
func (t *throttleTable) sweep(now time.Time) {
	if t.m == nil {
		t.m = map[string]throttle.Counter{}
	}
	if len(t.m) >= t.sweepAt {
		for k, c := range t.m {
			if !c.Expires.After(now) {
				delete(t.m, k)
			}
		}
		t.sweepAt = max(64, 2*len(t.m))
	}
}

// hit counts h at now; t.mu is held.
func (t *throttleTable) hit(now time.Time, h throttle.Hit) throttle.Counter {
	c, ok := t.m[h.Key]
	if !ok || !c.Expires.After(now) {
		c = throttle.Counter{Start: now, Expires: now.Add(h.Window.Length)}
	}
	c.Hits++
	c.Last = now
	if h.Window.Sliding {
		c.Expires = now.Add(h.Window.Length)
	}
	t.m[h.Key] = c
	return c
}

// ThrottleGet implements throttle.Store.
func (s *Store) ThrottleGet(ctx context.Context, now time.Time, keys ...string) ([]throttle.Counter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	t := &s.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]throttle.Counter, len(keys))
	for i, k := range keys {
		if c, ok := t.m[k]; ok && c.Expires.After(now) {
			out[i] = c
		}
	}
	return out, nil
}

// ThrottleTry implements throttle.Store: the checks and the hits are made
// under one lock.
func (s *Store) ThrottleTry(ctx context.Context, now time.Time, tries ...throttle.Try) ([]throttle.Counter, []bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if len(tries) == 0 {
		return nil, nil, nil
	}
	if err := throttle.DuplicateTry(tries); err != nil {
		return nil, nil, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	t := &s.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	out, ok := make([]throttle.Counter, len(tries)), make([]bool, len(tries))
	for i, try := range tries {
		c := t.m[try.Key]
		if !c.Expires.After(now) {
			c = throttle.Counter{}
		}
		if ok[i] = try.Rule.Allows(c, now); ok[i] {
			c = t.hit(now, throttle.Hit{Key: try.Key, Window: try.Rule.HitWindow()})
		}
		out[i] = c
	}
	return out, ok, nil
}

// ThrottleRelease implements throttle.Store.
func (s *Store) ThrottleRelease(ctx context.Context, now time.Time, releases ...throttle.Release) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := throttle.DuplicateRelease(releases); err != nil {
		return err
	}
	t := &s.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range releases {
		c, ok := t.m[r.Key]
		switch {
		case !ok:
		case r.ClearsAt(c.Last):
			delete(t.m, r.Key)
		case c.Expires.After(now) && c.Hits > 0:
			c.Hits--
			t.m[r.Key] = c
		}
	}
	return nil
}
