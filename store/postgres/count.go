package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/clientele/clientele/store"
)

// A list and its count run as one statement: the count, as opts.Count
// asks, is a one-row subquery that the page joins LATERAL, so that an
// empty page still carries it (one row of NULLs, which counted drops):
//
//	SELECT p.*, n.clientele_total FROM (<count>) AS n
//	LEFT JOIN LATERAL (<page>) AS p ON true
//
// The page is read in its own order: PostgreSQL joins the single count
// row to the page's rows with a nested loop, which keeps them in the order
// the subquery's ORDER BY gives. Two cases take another way:
//
//   - An exact or capped count of a search (q or a LIKE pattern) without a
//     cursor selects count(*) OVER () beside the page: the trigram indexes
//     find the matches once, not twice (for a term that 10% of 10,000
//     customers match, 17 ms against 36 ms for the page and the count run
//     apart). A page past the end has no row to carry it, and counts
//     again.
//   - An estimate of a filtered list asks the planner (EXPLAIN), which no
//     subquery can do: the page runs on its own, after it.

// countSQL returns the one-row subquery that counts the matches of q as
// opts asks, in a column named clientele_total, and the kind of count it
// makes. An estimate is -1 when the table has no statistics yet.
func (q *query) countSQL(opts store.ListOptions) string {
	switch opts.Count {
	case store.CountCapped:
		if countsLiveCustomers(q) {
			return liveCustomerCount
		}
		return "SELECT count(*) AS clientele_total FROM (SELECT 1" + q.from(false) +
			" LIMIT " + strconv.Itoa(opts.CountCap+1) + ") AS capped"
	case store.CountEstimated:
		// The planner's estimate of the table's rows (estimate_rel_size):
		// the density of the last VACUUM or ANALYZE times the table's
		// current size; for the live rows only, times the share of
		// deleted_at that is NULL in the statistics.
		live := "1"
		if q.liveOnly {
			live = "coalesce((SELECT s.null_frac FROM pg_stats AS s WHERE s.schemaname = ns.nspname" +
				" AND s.tablename = r.relname AND s.attname = 'deleted_at'), 1)"
		}
		return "SELECT CASE WHEN r.reltuples < 0 OR r.relpages = 0 THEN -1 ELSE" +
			" round(r.reltuples / r.relpages * (pg_relation_size(r.oid) / current_setting('block_size')::float8) * " +
			live + ")::bigint END AS clientele_total FROM pg_class AS r" +
			" JOIN pg_namespace AS ns ON ns.oid = r.relnamespace WHERE r.oid = " + quoteLiteral(q.t.name) + "::regclass"
	}
	if countsLiveCustomers(q) {
		// Every live customer: the count the triggers keep
		// (customercount.go), exact, without a scan.
		return liveCustomerCount
	}
	return "SELECT count(*) AS clientele_total" + q.from(false)
}

// countedSQL returns the page of q joined to the count subquery count.
func (q *query) countedSQL(count string) string {
	return "SELECT p.*, n.clientele_total FROM (" + count + ") AS n LEFT JOIN LATERAL (" + q.sql(false) + ") AS p ON true"
}

// estimate returns the planner's estimate of the rows q matches, cursor
// excluded.
func (s *Store) estimate(ctx context.Context, op string, q *query) (int, error) {
	var plan string
	err := s.sqlConn(ctx).QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) SELECT 1"+q.from(false), s.condArgs(q)...).Scan(&plan)
	if err != nil {
		return 0, translate(ctx, op, err)
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &out); err != nil || len(out) != 1 {
		return 0, translate(ctx, op, errBadPlan)
	}
	return int(out[0].Plan.Rows), nil
}

var errBadPlan = errors.New("EXPLAIN answered no plan")

// countedRow is a row of a list read with its count (customerTotalRow, …).
type countedRow interface {
	total() int
	empty() bool // the row of NULLs of an empty page
}

// counted lists the page of q (paged by q.page) with its count as opts
// asks, in one statement where it can (see countSQL). rows receives the
// page. q must not hold an error.
func counted[R countedRow](ctx context.Context, s *Store, op string, q *query, opts store.ListOptions, rows *[]R) (store.Count, error) {
	switch {
	case opts.Count != store.CountEstimated && q.searched && q.keyset == "":
		q.total = true
		if err := s.scan(ctx, op, q, q.sql(false), rows); err != nil {
			return store.Count{}, err
		}
		n := 0
		if len(*rows) > 0 {
			n = (*rows)[0].total()
		} else if opts.Skip > 0 {
			// A page past the end has no row to carry the count.
			var err error
			if n, err = s.count(ctx, op, q); err != nil {
				return store.Count{}, err
			}
		}
		if opts.Count == store.CountCapped {
			return store.Capped(n, opts.CountCap), nil
		}
		return store.Count{N: n}, nil
	case opts.Count == store.CountEstimated && q.filtered():
		n, err := s.estimate(ctx, op, q)
		if err != nil {
			return store.Count{}, err
		}
		return store.Count{N: n, Kind: store.CountEstimated}, s.scan(ctx, op, q, q.sql(false), rows)
	}
	if err := s.scan(ctx, op, q, q.countedSQL(q.countSQL(opts)), rows); err != nil {
		return store.Count{}, err
	}
	n := 0
	if len(*rows) > 0 {
		n = (*rows)[0].total()
		if (*rows)[0].empty() {
			*rows = (*rows)[:0]
		}
	}
	switch opts.Count {
	case store.CountCapped:
		return store.Capped(n, opts.CountCap), nil
	case store.CountEstimated:
		var err error
		if n < 0 {
			// No statistics yet: ask the planner.
			n, err = s.estimate(ctx, op, q)
		}
		return store.Count{N: n, Kind: store.CountEstimated}, err
	}
	return store.Count{N: n}, nil
}
