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

// ThrottleHit implements throttle.Store.
func (s *Store) ThrottleHit(ctx context.Context, key string, now time.Time, w throttle.Window) (throttle.Counter, error) {
	if err := ctx.Err(); err != nil {
		return throttle.Counter{}, err
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
	c, ok := t.m[key]
	if !ok || !c.Expires.After(now) {
		c = throttle.Counter{Start: now, Expires: now.Add(w.Length)}
	}
	c.Hits++
	c.Last = now
	if w.Sliding {
		c.Expires = now.Add(w.Length)
	}
	t.m[key] = c
	return c, nil
}

// ThrottleGet implements throttle.Store.
func (s *Store) ThrottleGet(ctx context.Context, key string, now time.Time) (throttle.Counter, error) {
	if err := ctx.Err(); err != nil {
		return throttle.Counter{}, err
	}
	t := &s.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.m[key]
	if !ok || !c.Expires.After(now) {
		return throttle.Counter{}, nil
	}
	return c, nil
}

// ThrottleClear implements throttle.Store.
func (s *Store) ThrottleClear(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &s.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
	return nil
}
