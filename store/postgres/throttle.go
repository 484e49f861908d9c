package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/clientele/clientele/throttle"
)

var _ throttle.Store = (*Store)(nil)

// throttlePurge bounds the lapsed counters one hit deletes.
const throttlePurge = 100

// throttleHitSQL counts one hit in a single statement: it inserts the
// counter, or restarts a lapsed one at 1, or adds 1, and sets its expiry
// ($3 microseconds after its start, or after now when $4, a sliding
// window); it also deletes up to throttlePurge lapsed counters of other
// keys (SKIP LOCKED: concurrent hits never wait on each other there).
// ON CONFLICT DO UPDATE locks the row, so concurrent hits on one key are
// counted one after another.
var throttleHitSQL = `WITH expired AS (
	DELETE FROM clientele_throttle WHERE key IN (
		SELECT key FROM clientele_throttle WHERE expires_at <= $2::timestamptz AND key <> $1
		ORDER BY expires_at LIMIT ` + strconv.Itoa(throttlePurge) + ` FOR UPDATE SKIP LOCKED))
INSERT INTO clientele_throttle AS t (key, hits, window_start, last_hit_at, expires_at)
VALUES ($1, 1, $2::timestamptz, $2::timestamptz, $2::timestamptz + $3::bigint * interval '1 microsecond')
ON CONFLICT (key) DO UPDATE SET
	hits = CASE WHEN t.expires_at <= $2::timestamptz THEN 1 ELSE t.hits + 1 END,
	window_start = CASE WHEN t.expires_at <= $2::timestamptz THEN $2::timestamptz ELSE t.window_start END,
	last_hit_at = $2::timestamptz,
	expires_at = CASE WHEN $4::boolean OR t.expires_at <= $2::timestamptz
		THEN $2::timestamptz + $3::bigint * interval '1 microsecond' ELSE t.expires_at END
RETURNING hits, window_start, last_hit_at, expires_at`

// ThrottleHit implements throttle.Store on clientele_throttle. It runs on
// the database, outside any unit of work in ctx.
func (s *Store) ThrottleHit(ctx context.Context, key string, now time.Time, w throttle.Window) (throttle.Counter, error) {
	var c throttle.Counter
	err := s.db.DB.QueryRowContext(ctx, throttleHitSQL, key, now.UTC(), w.Length.Microseconds(), w.Sliding).
		Scan(&c.Hits, &c.Start, &c.Last, &c.Expires)
	if err != nil {
		return throttle.Counter{}, translate(ctx, "throttle hit", err)
	}
	return utcCounter(c), nil
}

// ThrottleGet implements throttle.Store.
func (s *Store) ThrottleGet(ctx context.Context, key string, now time.Time) (throttle.Counter, error) {
	var c throttle.Counter
	err := s.db.DB.QueryRowContext(ctx,
		`SELECT hits, window_start, last_hit_at, expires_at FROM clientele_throttle WHERE key = $1 AND expires_at > $2`,
		key, now.UTC()).Scan(&c.Hits, &c.Start, &c.Last, &c.Expires)
	if errors.Is(err, sql.ErrNoRows) {
		return throttle.Counter{}, nil
	}
	if err != nil {
		return throttle.Counter{}, translate(ctx, "throttle get", err)
	}
	return utcCounter(c), nil
}

// ThrottleClear implements throttle.Store.
func (s *Store) ThrottleClear(ctx context.Context, key string) error {
	_, err := s.db.DB.ExecContext(ctx, "DELETE FROM clientele_throttle WHERE key = $1", key)
	return translate(ctx, "throttle clear", err)
}

func utcCounter(c throttle.Counter) throttle.Counter {
	c.Start, c.Last, c.Expires = c.Start.UTC(), c.Last.UTC(), c.Expires.UTC()
	return c
}
