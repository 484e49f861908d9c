package httpapi

import (
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
}

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

// options returns the store's list options; limit=0 answers no rows but
// still counts, so it lists one row that the caller drops (see page).
func (p listParams) options(rels ...string) store.ListOptions {
	take := p.limit
	if take == 0 {
		take = 1
	}
	return store.ListOptions{Skip: p.offset, Take: take, Order: p.order, Relations: rels, WithDeleted: p.withDeleted}
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
