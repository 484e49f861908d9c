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
	if t.m == nil {
		t.m = map[string]throttle.Counter{}
	}
	// Forget lapsed counters whenever the table has doubled since the last
	// sweep: O(1) amortised per hit.
	if len(t.m) >= t.sweepAt {
		for k, c := range t.m {
			if !c.Expires.After(now) {
				delete(t.m, k)
			}
		}
		t.sweepAt = max(64, 2*len(t.m))
	}
	out := make([]throttle.Counter, len(hits))
	for i, h := range hits {
		out[i] = t.hit(now, h)
	}
	return out, nil
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

// ThrottleClear implements throttle.Store.
func (s *Store) ThrottleClear(ctx context.Context, keys ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &s.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.m, k)
	}
	return nil
}

// ThrottleHitIf implements throttle.Store: the comparison and the hit are
// made under one lock.
func (s *Store) ThrottleHitIf(ctx context.Context, now time.Time, hit throttle.Hit, was throttle.Counter) (throttle.Counter, bool, error) {
	if err := ctx.Err(); err != nil {
		return throttle.Counter{}, false, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	t := &s.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]throttle.Counter{}
	}
	cur, ok := t.m[hit.Key]
	if !ok || !cur.Expires.After(now) {
		cur = throttle.Counter{}
	}
	if cur.Hits != was.Hits || (cur.Hits > 0 && !cur.Last.Equal(was.Last)) {
		return throttle.Counter{}, false, nil
	}
	return t.hit(now, hit), true, nil
}
