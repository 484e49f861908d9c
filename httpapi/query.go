package httpapi

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/clientele/clientele/store"
)

// selection is the parsed fields query parameter: the keys of the entity
// to answer and the relations to load.
type selection struct {
	keys []string
	rels []string
}

// MaxFields is the most names a fields query parameter may hold; more is
// a 400 (see checkInput).
const MaxFields = 100

// parseFields applies Medusa's fields syntax to the defaults: "+f" adds,
// "-f" removes, a bare "f" replaces the defaults, "*rel" and "rel.*" ask
// for a relation; id is always answered. Unknown names are ignored. It
// runs in time linear in len(raw).
func parseFields(raw string, defaults, defaultRels, relations []string) selection {
	keys := newOrdered(defaults)
	rels := newOrdered(defaultRels)
	replaced := false
	for tok := range strings.SplitSeq(raw, ",") {
		op := byte(0)
		if strings.HasPrefix(tok, " ") {
			// An unencoded "+" arrives as a space: "?fields=+email".
			op = '+'
		}
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		if tok[0] == '+' || tok[0] == '-' {
			op = tok[0]
			tok = tok[1:]
		}
		name := strings.TrimPrefix(tok, "*")
		name = strings.TrimSuffix(name, ".*")
		if base, _, ok := strings.Cut(name, "."); ok {
			name = base
		}
		isRel := slices.Contains(relations, name)
		star := strings.HasPrefix(tok, "*") || strings.HasSuffix(tok, ".*")
		if op == 0 && !star && !replaced {
			keys, rels, replaced = newOrdered(nil), newOrdered(nil), true
		}
		switch {
		case op == '-' && isRel:
			rels.remove(name)
		case op == '-':
			keys.remove(name)
		case isRel:
			rels.add(name)
		default:
			keys.add(name)
		}
	}
	out := selection{keys: keys.list(), rels: rels.list()}
	if !slices.Contains(out.keys, "id") {
		out.keys = append([]string{"id"}, out.keys...)
	}
	return out
}

// ordered is a set of names that remembers the order they were added in:
// a name added again after its removal goes last. Small sets (the usual
// case) are searched in place; past 16 names an index keeps every
// operation O(1).
type ordered struct {
	names []string
	live  []bool
	at    map[string]int // index in names of each live name, once indexed
}

const indexAfter = 64

func newOrdered(init []string) ordered {
	o := ordered{names: make([]string, 0, len(init)+4), live: make([]bool, 0, len(init)+4)}
	for _, n := range init {
		o.add(n)
	}
	return o
}

// find returns the index of the live entry of n, or -1.
func (o *ordered) find(n string) int {
	if o.at != nil {
		if i, ok := o.at[n]; ok {
			return i
		}
		return -1
	}
	for i, m := range o.names {
		if o.live[i] && m == n {
			return i
		}
	}
	return -1
}

func (o *ordered) add(n string) {
	if o.find(n) >= 0 {
		return
	}
	if o.at == nil && len(o.names) >= indexAfter {
		o.at = make(map[string]int, 2*indexAfter)
		for i, m := range o.names {
			if o.live[i] {
				o.at[m] = i
			}
		}
	}
	if o.at != nil {
		o.at[n] = len(o.names)
	}
	o.names = append(o.names, n)
	o.live = append(o.live, true)
}

func (o *ordered) remove(n string) {
	if i := o.find(n); i >= 0 {
		o.live[i] = false
		if o.at != nil {
			delete(o.at, n)
		}
	}
}

func (o *ordered) list() []string {
	out := make([]string, 0, len(o.names))
	for i, n := range o.names {
		if o.live[i] {
			out = append(out, n)
		}
	}
	return out
}

// countFields counts the names of a fields parameter, stopping past limit.
func countFields(raw string, limit int) int {
	n := 0
	for tok := range strings.SplitSeq(raw, ",") {
		if strings.TrimSpace(tok) != "" {
			if n++; n > limit {
				break
			}
		}
	}
	return n
}

func (s selection) has(rel string) bool { return slices.Contains(s.rels, rel) }

// only keeps the keys in allowed (and id): what a caller may ask for of an
// entity, whatever fields names.
func (s selection) only(allowed []string) selection {
	s.keys = slices.DeleteFunc(slices.Clone(s.keys), func(k string) bool { return k != "id" && !slices.Contains(allowed, k) })
	return s
}

// project renders v (a struct with JSON tags) as an object with only the
// selected keys and relations; relations absent from v are answered as [].
func project(v any, sel selection, allowed []string) map[string]any {
	data, _ := json.Marshal(v)
	var all map[string]any
	_ = json.Unmarshal(data, &all)
	out := make(map[string]any, len(sel.keys)+len(sel.rels))
	for _, k := range sel.keys {
		if val, ok := all[k]; ok && (allowed == nil || slices.Contains(allowed, k)) {
			out[k] = val
		}
	}
	for _, r := range sel.rels {
		if val, ok := all[r]; ok && val != nil {
			out[r] = val
		} else {
			out[r] = []any{}
		}
	}
	return out
}

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
