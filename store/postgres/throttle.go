package postgres

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele/clientele/throttle"
)

var _ throttle.Store = (*Store)(nil)

// throttlePurge bounds the lapsed counters one ThrottleHit deletes.
const throttlePurge = 100

// throttleHitSQL counts one hit on each key of $2 in a single statement:
// for each it inserts the counter, or restarts a lapsed one at 1, or adds
// 1, and sets its expiry ($3 microseconds after its start, or after now
// when $4, a sliding window: each key has its own); it also deletes up to
// throttlePurge lapsed counters of other keys (SKIP LOCKED: concurrent
// hits never wait on each other there). ON CONFLICT DO UPDATE locks each
// row, so concurrent hits on one key are counted one after another. The
// new expiry of a row is EXCLUDED.expires_at (now + its length); whether
// its window slides is looked up by key in the arrays, the one thing
// EXCLUDED cannot carry.
var throttleHitSQL = `WITH expired AS (
	DELETE FROM clientele_throttle WHERE key IN (
		SELECT key FROM clientele_throttle WHERE expires_at <= $1::timestamptz AND key <> ALL($2::text[])
		ORDER BY expires_at LIMIT ` + strconv.Itoa(throttlePurge) + ` FOR UPDATE SKIP LOCKED))
INSERT INTO clientele_throttle AS t (key, hits, window_start, last_hit_at, expires_at)
SELECT h.key, 1, $1::timestamptz, $1::timestamptz, $1::timestamptz + h.length * interval '1 microsecond'
FROM unnest($2::text[], $3::bigint[]) AS h(key, length)
ON CONFLICT (key) DO UPDATE SET
	hits = CASE WHEN t.expires_at <= $1::timestamptz THEN 1 ELSE t.hits + 1 END,
	window_start = CASE WHEN t.expires_at <= $1::timestamptz THEN $1::timestamptz ELSE t.window_start END,
	last_hit_at = $1::timestamptz,
	expires_at = CASE WHEN t.expires_at <= $1::timestamptz
		OR (SELECT s.sliding FROM unnest($2::text[], $4::boolean[]) AS s(key, sliding) WHERE s.key = t.key)
		THEN EXCLUDED.expires_at ELSE t.expires_at END
RETURNING key, hits, window_start, last_hit_at, expires_at`

// ThrottleHit implements throttle.Store on clientele_throttle, in one
// statement whatever the number of hits. It runs on the database, outside
// any unit of work in ctx.
func (s *Store) ThrottleHit(ctx context.Context, now time.Time, hits ...throttle.Hit) ([]throttle.Counter, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	if err := throttle.DuplicateHit(hits); err != nil {
		return nil, err
	}
	orig := hits
	// The rows are upserted, and so locked, in key order: concurrent
	// calls on the same keys cannot deadlock.
	if len(hits) > 1 && !slices.IsSortedFunc(hits, byKey) {
		hits = slices.SortedFunc(slices.Values(hits), byKey)
	}
	keys, lengths, sliding := make([]string, len(hits)), make([]int64, len(hits)), make([]bool, len(hits))
	for i, h := range hits {
		keys[i], lengths[i], sliding[i] = h.Key, h.Window.Length.Microseconds(), h.Window.Sliding
	}
	rows, err := s.db.DB.QueryContext(ctx, throttleHitSQL, now.UTC(), keys, lengths, sliding)
	if err != nil {
		return nil, translate(ctx, "throttle hit", err)
	}
	got, err := scanCounters(ctx, rows, len(hits), "throttle hit")
	if err != nil {
		return nil, err
	}
	out := make([]throttle.Counter, len(orig))
	for i, h := range orig {
		out[i] = got[h.Key]
	}
	return out, nil
}

// throttleHitIfNewSQL counts the first hit on $2 at $1, its expiry $3
// microseconds later: it inserts the counter, or restarts a lapsed one at
// 1, and leaves a live one alone (and returns nothing). ON CONFLICT DO
// UPDATE looks at the latest version of a row, locked, so of concurrent
// calls one counts.
const throttleHitIfNewSQL = `INSERT INTO clientele_throttle AS t (key, hits, window_start, last_hit_at, expires_at)
VALUES ($2, 1, $1::timestamptz, $1::timestamptz, $1::timestamptz + $3::bigint * interval '1 microsecond')
ON CONFLICT (key) DO UPDATE SET hits = 1, window_start = $1::timestamptz, last_hit_at = $1::timestamptz,
	expires_at = EXCLUDED.expires_at
WHERE t.expires_at <= $1::timestamptz
RETURNING key, hits, window_start, last_hit_at, expires_at`

// throttleHitIfSQL adds a hit at $1 to the live counter of $2 only if it
// still has $5 hits, the latest at $6, and sets its expiry $3
// microseconds after now when $4 (a sliding window). UPDATE re-checks its
// condition on the latest version of a row it had to wait for, so of
// concurrent calls one counts.
const throttleHitIfSQL = `UPDATE clientele_throttle SET hits = hits + 1, last_hit_at = $1::timestamptz,
	expires_at = CASE WHEN $4::boolean THEN $1::timestamptz + $3::bigint * interval '1 microsecond' ELSE expires_at END
WHERE key = $2 AND expires_at > $1::timestamptz AND hits = $5::int AND last_hit_at = $6::timestamptz
RETURNING key, hits, window_start, last_hit_at, expires_at`

// ThrottleHitIf implements throttle.Store on clientele_throttle, in one
// statement: an upsert when was is zero, else an update. It runs on the
// database, outside any unit of work in ctx.
func (s *Store) ThrottleHitIf(ctx context.Context, now time.Time, hit throttle.Hit, was throttle.Counter) (throttle.Counter, bool, error) {
	length := hit.Window.Length.Microseconds()
	var rows *sql.Rows
	var err error
	if was.Hits == 0 {
		rows, err = s.db.DB.QueryContext(ctx, throttleHitIfNewSQL, now.UTC(), hit.Key, length)
	} else {
		rows, err = s.db.DB.QueryContext(ctx, throttleHitIfSQL, now.UTC(), hit.Key, length, hit.Window.Sliding, was.Hits, was.Last.UTC())
	}
	if err != nil {
		return throttle.Counter{}, false, translate(ctx, "throttle hit", err)
	}
	got, err := scanCounters(ctx, rows, 1, "throttle hit")
	if err != nil {
		return throttle.Counter{}, false, err
	}
	c, ok := got[hit.Key]
	return c, ok, nil
}

func byKey(a, b throttle.Hit) int { return strings.Compare(a.Key, b.Key) }

// ThrottleGet implements throttle.Store, in one query. A single key is
// compared with = rather than ANY, which PostgreSQL plans and runs faster.
func (s *Store) ThrottleGet(ctx context.Context, now time.Time, keys ...string) ([]throttle.Counter, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	const cols = `SELECT key, hits, window_start, last_hit_at, expires_at FROM clientele_throttle WHERE `
	var arg any = keys
	cond := "key = ANY($1::text[])"
	if len(keys) == 1 {
		arg, cond = keys[0], "key = $1"
	}
	rows, err := s.db.DB.QueryContext(ctx, cols+cond+" AND expires_at > $2", arg, now.UTC())
	if err != nil {
		return nil, translate(ctx, "throttle get", err)
	}
	got, err := scanCounters(ctx, rows, len(keys), "throttle get")
	if err != nil {
		return nil, err
	}
	out := make([]throttle.Counter, len(keys))
	for i, k := range keys {
		out[i] = got[k] // the zero Counter when it has no row
	}
	return out, nil
}

// ThrottleClear implements throttle.Store, in one statement.
func (s *Store) ThrottleClear(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	var err error
	if len(keys) == 1 {
		_, err = s.db.DB.ExecContext(ctx, "DELETE FROM clientele_throttle WHERE key = $1", keys[0])
	} else {
		_, err = s.db.DB.ExecContext(ctx, "DELETE FROM clientele_throttle WHERE key = ANY($1::text[])", keys)
	}
	return translate(ctx, "throttle clear", err)
}

// scanCounters reads rows of (key, hits, window_start, last_hit_at,
// expires_at), about n of them, into counters by key. It closes rows.
func scanCounters(ctx context.Context, rows *sql.Rows, n int, op string) (map[string]throttle.Counter, error) {
	defer rows.Close()
	out := make(map[string]throttle.Counter, n)
	for rows.Next() {
		var key string
		var c throttle.Counter
		if err := rows.Scan(&key, &c.Hits, &c.Start, &c.Last, &c.Expires); err != nil {
			return nil, translate(ctx, op, err)
		}
		c.Start, c.Last, c.Expires = c.Start.UTC(), c.Last.UTC(), c.Expires.UTC()
		out[key] = c
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, op, err)
	}
	return out, nil
}
