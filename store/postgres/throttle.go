package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele/clientele/throttle"
)

var _ throttle.Store = (*Store)(nil)

// Lapsed counters are deleted by the counting statements themselves: one
// call in throttlePurgeEvery (ThrottleHit or ThrottleTry) also deletes up
// to throttlePurge lapsed counters of other keys, by primary key, in key
// order of expiry, skipping rows another call holds (SKIP LOCKED:
// concurrent calls never wait on each other there). That deletes more
// counters than calls create, so the table stays bounded by the live
// ones, and the other calls pay nothing for it.
const (
	throttlePurge      = 100
	throttlePurgeEvery = 16
)

// throttlePurgeCTE is that deletion, a CTE named expired of a statement
// whose $1 is now and $2 its keys. It names rows by = ANY(ARRAY(…)), which
// PostgreSQL runs on the primary key (IN (…) may become a scan of the
// whole table).
var throttlePurgeCTE = `expired AS (
	DELETE FROM clientele_throttle WHERE key = ANY(ARRAY(
		SELECT key FROM clientele_throttle WHERE expires_at <= $1::timestamptz AND key <> ALL($2::text[])
		ORDER BY expires_at LIMIT ` + strconv.Itoa(throttlePurge) + ` FOR UPDATE SKIP LOCKED)))`

// purgeNow reports whether this counting call purges lapsed counters.
func (s *Store) purgeNow() bool { return s.throttleCalls.Add(1)%throttlePurgeEvery == 1 }

// throttleHitSQL counts one hit on each key of $2 in a single statement:
// for each it inserts the counter, or restarts a lapsed one at 1, or adds
// 1, and sets its expiry ($3 microseconds after its start, or after now
// when $4, a sliding window: each key has its own). ON CONFLICT DO UPDATE
// locks each row, so concurrent hits on one key are counted one after
// another. The new expiry of a row is EXCLUDED.expires_at (now + its
// length); whether its window slides is looked up by key in the arrays,
// the one thing EXCLUDED cannot carry. throttleHitPurgeSQL also purges.
var throttleHitSQL = `INSERT INTO clientele_throttle AS t (key, hits, window_start, last_hit_at, expires_at)
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

var throttleHitPurgeSQL = "WITH " + throttlePurgeCTE + "\n" + throttleHitSQL

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
	q := throttleHitSQL
	if s.purgeNow() {
		q = throttleHitPurgeSQL
	}
	rows, err := s.hooked(s.db.DB).QueryContext(ctx, q, now.UTC(), keys, lengths, sliding)
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

// throttleTrySQL counts a hit at $1 on each key of $2 (by the rule
// $3..$7: window length and sliding, limit, back-off and maximum back-off,
// microseconds) whose rule allows it, in one statement: the upsert's
// WHERE is evaluated on the latest version of each row, locked, so of
// concurrent tries on a key no more are counted than the rule allows (an
// absent row is inserted by one, and the others see it). It returns each
// key counted (true) with its counter after the hit, then each refused
// one (false) as the statement's snapshot saw it. throttleTryPurgeSQL
// also purges.
//
// The allowance is throttle.Rule.Allows: a counting rule (no back-off)
// while hits < limit; a back-off rule while hits <= limit, or once
// last_hit_at + min(backoff * 2^(hits-limit-1), max) has passed.
var throttleTryForm = `WITH g AS (
	SELECT * FROM unnest($2::text[], $3::bigint[], $4::boolean[], $5::int[], $6::bigint[], $7::bigint[])
		AS g(key, length, sliding, lim, backoff, maxb)
), ` + "%s" + `up AS (
	INSERT INTO clientele_throttle AS t (key, hits, window_start, last_hit_at, expires_at)
	SELECT g.key, 1, $1::timestamptz, $1::timestamptz, $1::timestamptz + g.length * interval '1 microsecond' FROM g
	ON CONFLICT (key) DO UPDATE SET
		hits = CASE WHEN t.expires_at <= $1::timestamptz THEN 1 ELSE t.hits + 1 END,
		window_start = CASE WHEN t.expires_at <= $1::timestamptz THEN $1::timestamptz ELSE t.window_start END,
		last_hit_at = $1::timestamptz,
		expires_at = CASE WHEN t.expires_at <= $1::timestamptz
			OR (SELECT g.sliding FROM g WHERE g.key = t.key)
			THEN EXCLUDED.expires_at ELSE t.expires_at END
	WHERE t.expires_at <= $1::timestamptz OR EXISTS (SELECT 1 FROM g WHERE g.key = t.key AND CASE
		WHEN g.backoff = 0 THEN t.hits < g.lim
		ELSE t.hits <= g.lim OR t.last_hit_at + LEAST(g.backoff::float8 * power(2::float8, LEAST(t.hits - g.lim - 1, 62)), g.maxb::float8)
			* interval '1 microsecond' <= $1::timestamptz END)
	RETURNING key, hits, window_start, last_hit_at, expires_at
)
SELECT key, hits, window_start, last_hit_at, expires_at, true FROM up
UNION ALL
SELECT c.key, c.hits, c.window_start, c.last_hit_at, c.expires_at, false FROM clientele_throttle c
WHERE c.key = ANY($2::text[]) AND c.expires_at > $1::timestamptz AND c.key NOT IN (SELECT key FROM up)`

var (
	throttleTrySQL      = fmt.Sprintf(throttleTryForm, "")
	throttleTryPurgeSQL = fmt.Sprintf(throttleTryForm, throttlePurgeCTE+", ")
)

// ThrottleTry implements throttle.Store on clientele_throttle, in one
// statement whatever the number of tries. It runs on the database,
// outside any unit of work in ctx.
func (s *Store) ThrottleTry(ctx context.Context, now time.Time, tries ...throttle.Try) ([]throttle.Counter, []bool, error) {
	if len(tries) == 0 {
		return nil, nil, nil
	}
	if err := throttle.DuplicateTry(tries); err != nil {
		return nil, nil, err
	}
	orig := tries
	// Rows are upserted, and so locked, in key order: concurrent calls on
	// the same keys cannot deadlock.
	if len(tries) > 1 && !slices.IsSortedFunc(tries, tryByKey) {
		tries = slices.SortedFunc(slices.Values(tries), tryByKey)
	}
	n := len(tries)
	keys, lengths, sliding := make([]string, n), make([]int64, n), make([]bool, n)
	limits, backoffs, maxes := make([]int32, n), make([]int64, n), make([]int64, n)
	for i, t := range tries {
		w := t.Rule.HitWindow()
		keys[i], lengths[i], sliding[i] = t.Key, w.Length.Microseconds(), w.Sliding
		limits[i] = int32(min(max(t.Rule.Limit, 0), math.MaxInt32))
		backoffs[i], maxes[i] = t.Rule.Backoff.Microseconds(), t.Rule.MaxBackoff.Microseconds()
	}
	q := throttleTrySQL
	if s.purgeNow() {
		q = throttleTryPurgeSQL
	}
	rows, err := s.hooked(s.db.DB).QueryContext(ctx, q, now.UTC(), keys, lengths, sliding, limits, backoffs, maxes)
	if err != nil {
		return nil, nil, translate(ctx, "throttle try", err)
	}
	defer rows.Close()
	type result struct {
		c  throttle.Counter
		ok bool
	}
	got := make(map[string]result, n)
	for rows.Next() {
		var key string
		var r result
		if err := rows.Scan(&key, &r.c.Hits, &r.c.Start, &r.c.Last, &r.c.Expires, &r.ok); err != nil {
			return nil, nil, translate(ctx, "throttle try", err)
		}
		r.c.Start, r.c.Last, r.c.Expires = r.c.Start.UTC(), r.c.Last.UTC(), r.c.Expires.UTC()
		got[key] = r
	}
	if err := rows.Err(); err != nil {
		return nil, nil, translate(ctx, "throttle try", err)
	}
	cs, ok := make([]throttle.Counter, n), make([]bool, n)
	for i, t := range orig {
		// A refused key whose row the snapshot did not see (a concurrent
		// try inserted it) is refused on the zero Counter.
		cs[i], ok[i] = got[t.Key].c, got[t.Key].ok
	}
	return cs, ok, nil
}

func tryByKey(a, b throttle.Try) int { return strings.Compare(a.Key, b.Key) }

// throttleReleaseSQL takes back the releases $1 (keys, clear flags,
// and the time after which a hit keeps a clear from deleting: see
// throttle.Release.ClearsAt) at $2, in one statement: a DELETE of the
// counters cleared, and an UPDATE taking one hit from the others. The two
// conditions exclude each other, so no row is changed twice; UPDATE and
// DELETE re-check theirs on the latest version of a row they waited for.
//
// The rows are first locked in key order (l), the order in which
// ThrottleHit and ThrottleTry lock theirs: without it the UPDATE (run
// first) and the DELETE (run last, unreferenced) took a login's address
// before its account, and a concurrent try on both deadlocked with it.
// Both join l, so no row is changed before l has locked it.
const throttleReleaseSQL = `WITH r AS (
	SELECT * FROM unnest($1::text[], $2::boolean[], $3::timestamptz[]) AS r(key, clear, since)
), l AS (
	SELECT c.key FROM clientele_throttle c WHERE c.key = ANY($1::text[]) ORDER BY c.key FOR UPDATE
), d AS (
	DELETE FROM clientele_throttle c USING r, l WHERE c.key = r.key AND c.key = l.key AND r.clear AND c.last_hit_at <= r.since
)
UPDATE clientele_throttle c SET hits = c.hits - 1 FROM r, l
WHERE c.key = r.key AND c.key = l.key AND c.hits > 0 AND c.expires_at > $4::timestamptz AND NOT (r.clear AND c.last_hit_at <= r.since)`

// noSince stands for a zero Release.Since: later than every hit.
var noSince = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// ThrottleRelease implements throttle.Store, in one statement.
func (s *Store) ThrottleRelease(ctx context.Context, now time.Time, releases ...throttle.Release) error {
	if len(releases) == 0 {
		return nil
	}
	if err := throttle.DuplicateRelease(releases); err != nil {
		return err
	}
	n := len(releases)
	keys, clear, since := make([]string, n), make([]bool, n), make([]time.Time, n)
	for i, r := range releases {
		keys[i], clear[i], since[i] = r.Key, r.Clear, r.Since.UTC()
		if r.Since.IsZero() {
			since[i] = noSince
		}
	}
	_, err := s.hooked(s.db.DB).ExecContext(ctx, throttleReleaseSQL, keys, clear, since, now.UTC())
	return translate(ctx, "throttle release", err)
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
	rows, err := s.hooked(s.db.DB).QueryContext(ctx, cols+cond+" AND expires_at > $2", arg, now.UTC())
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
