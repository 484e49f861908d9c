package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/clientele/clientele/store"
)

// listParams are the common list query parameters.
type listParams struct {
	offset, limit int
	order         []store.Order
	fields        string
	withDeleted   bool

	// clientele's extensions (see the package doc): a keyset cursor and
	// how to count.
	after, before string
	cursors       bool // the request named after or before: the answer carries cursors
	count         store.CountMode
	countCap      int
}

// extensionParams are the query parameters of clientele's list extensions.
var extensionParams = []string{"after", "before", "count_mode", "count_cap"}

// maxCountCap bounds count_cap.
const maxCountCap = 1 << 30

// queryChecker reads the paging query parameters (the filters are read
// by readFilter, in filter.go).
type queryChecker struct {
	q url.Values
}

func newQuery(u *url.URL) queryChecker {
	return queryChecker{q: u.Query()}
}

func (c queryChecker) boolean(k string) (*bool, error) {
	v := c.q.Get(k)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, invalidData("Invalid request: Expected type: 'boolean' for field '%s', got: '%s'", k, v)
	}
	return &b, nil
}

// paging reads offset, limit (default 50), order and fields.
func (c queryChecker) paging(sortable interface{ Has(column string) bool }) (listParams, error) {
	p := listParams{limit: 50, fields: c.q.Get("fields")}
	if wd, err := c.boolean("with_deleted"); err != nil {
		return p, err
	} else if wd != nil {
		p.withDeleted = *wd
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"offset", &p.offset}, {"limit", &p.limit}} {
		v := c.q.Get(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, invalidData("Invalid request: Expected type: 'number' for field '%s', got: '%s'", f.name, v)
		}
		if n < 0 {
			return p, invalidData("Invalid request: Number must be greater than or equal to 0 for field '%s'", f.name)
		}
		*f.dst = n
	}
	for _, o := range strings.Split(c.q.Get("order"), ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		desc := strings.HasPrefix(o, "-")
		name := strings.TrimPrefix(o, "-")
		if !sortable.Has(name) {
			return p, invalidData("Order field %s is not valid", name)
		}
		p.order = append(p.order, store.Order{Field: name, Desc: desc})
	}
	return p, nil
}

// listParams reads the paging of a list ordered by the columns of sortable,
// with clientele's extensions.
func (a *API) listParams(r *http.Request, sortable interface{ Has(column string) bool }) (listParams, error) {
	q := newQuery(r.URL)
	p, err := q.paging(sortable)
	if err != nil {
		return p, err
	}
	return p, q.extensions(&p, a.cfg.ListCount, a.cfg.ListCountCap)
}

// extensions reads clientele's list extensions: after or before (a
// cursor; present but empty, the first page), count_mode and count_cap,
// with the handler's defaults for the count.
func (c queryChecker) extensions(p *listParams, mode store.CountMode, countCap int) error {
	_, after := c.q["after"]
	_, before := c.q["before"]
	switch {
	case after && before:
		return invalidData("Invalid request: after and before cannot be used together")
	case (after || before) && p.offset != 0:
		return invalidData("Invalid request: offset must be 0 with after or before")
	case before && c.q.Get("before") == "":
		return invalidData("Invalid request: before must be a cursor")
	}
	p.cursors = after || before
	p.after, p.before = c.q.Get("after"), c.q.Get("before")
	p.count = mode
	if v := c.q.Get("count_mode"); v != "" {
		m, err := store.ParseCountMode(v)
		if err != nil {
			return invalidData("Invalid request: count_mode must be exact, estimated or capped, got: '%s'", v)
		}
		p.count = m
	}
	if p.count == store.CountCapped {
		p.countCap = countCap
	}
	if v := c.q.Get("count_cap"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > maxCountCap {
			return invalidData("Invalid request: count_cap must be a number from 1 to %d, got: '%s'", maxCountCap, v)
		}
		if p.count != store.CountCapped {
			return invalidData("Invalid request: count_cap is only for count_mode=capped")
		}
		p.countCap = n
	}
	return nil
}

// options returns the store's list options; limit=0 answers no rows but
// still counts, so it lists one row that the caller drops (see page).
func (p listParams) options(rels ...string) store.ListOptions {
	take := p.limit
	if take == 0 {
		take = 1
	}
	return store.ListOptions{Skip: p.offset, Take: take, Order: p.order, Relations: rels, WithDeleted: p.withDeleted,
		After: p.after, Before: p.before, Count: p.count, CountCap: p.countCap}
}

// answer returns the body of a list: the rows under key, with Medusa's
// count, offset and limit, and clientele's extension fields only when the
// request asked for them: next_cursor and prev_cursor (null when there is
// no such page) with after or before, count_mode ("exact", "estimated"
// or "capped": more than count rows match) with a count that is not
// exact by request or by the handler's default.
func answer[T any](p listParams, key string, rows any, pg *store.Page[T]) map[string]any {
	body := map[string]any{key: rows, "count": pg.Count.N, "offset": p.offset, "limit": p.limit}
	if p.cursors {
		next, prev := any(nil), any(nil)
		if p.limit > 0 {
			if pg.Next != "" {
				next = pg.Next
			}
			if pg.Prev != "" {
				prev = pg.Prev
			}
		}
		body["next_cursor"], body["prev_cursor"] = next, prev
	}
	if p.count != store.CountExact {
		body["count_mode"] = pg.Count.Kind.String()
	}
	return body
}

// page trims rows to the requested limit (limit=0: none).
func page[T any](p listParams, rows []T) []T {
	if p.limit == 0 {
		return []T{}
	}
	if rows == nil {
		return []T{}
	}
	return rows
}
