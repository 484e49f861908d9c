// Package filtercheck validates the filters of the domain packages: the
// bounds of their string and time filters, the nesting of their
// sub-filters (And, Or) and what sub-filters may not hold. Errors are
// *store.ValidationErrors named as clients name the fields ("first_name",
// "or[1].created_at", "groups.name").
package filtercheck

import (
	"fmt"

	"github.com/clientele/clientele/store"
)

// tree counts the sub-filters of one filter as they are checked.
type tree struct{ terms int }

// Field is a named string or time filter.
type Field struct {
	name string
	s    *store.StringFilter
	t    *store.TimeFilter
}

// S names a string filter.
func S(name string, f store.StringFilter) Field { return Field{name: name, s: &f} }

// T names a time filter.
func T(name string, f store.TimeFilter) Field { return Field{name: name, t: &f} }

// fields checks every field (store.StringFilter.Check,
// store.TimeFilter.Check), naming it prefix + its name.
func fields(prefix string, fs ...Field) error {
	for _, f := range fs {
		var err error
		if f.s != nil {
			err = f.s.Check(prefix + f.name)
		} else {
			err = f.t.Check(prefix + f.name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// topLevelOnly refuses q in a sub-filter (depth > 0): a search applies to
// a whole list.
func topLevelOnly(prefix, q string, depth int) error {
	if depth > 0 && q != "" {
		return store.Invalid(prefix+"q", "is allowed only at the top level of a filter, not in and or or")
	}
	return nil
}

// Check validates a filter tree: level returns one filter's q, its named
// string and time filters (relation filters named "groups.name" and the
// like), and its sub-filters. q is refused below the top level; the
// sub-filters nest within store.MaxFilterDepth and store.MaxFilterTerms.
func Check[F any](f F, level func(f F) (q string, fields []Field, and, or []F)) error {
	t := &tree{}
	var walk func(f F, prefix string, depth int) error
	walk = func(f F, prefix string, depth int) error {
		q, fs, and, or := level(f)
		if err := topLevelOnly(prefix, q, depth); err != nil {
			return err
		}
		if err := fields(prefix, fs...); err != nil {
			return err
		}
		return subs(t, prefix, depth, and, or, walk)
	}
	return walk(f, "", 0)
}

// subs checks the sub-filters and and or of a filter at depth (0 for the
// filter a caller passes): each with check, given its name prefix
// ("and[0].") and depth, within store.MaxFilterDepth and
// store.MaxFilterTerms.
func subs[F any](t *tree, prefix string, depth int, and, or []F, check func(f F, prefix string, depth int) error) error {
	for _, list := range []struct {
		name string
		fs   []F
	}{{"and", and}, {"or", or}} {
		for i, f := range list.fs {
			name := fmt.Sprintf("%s%s[%d]", prefix, list.name, i)
			if depth+1 > store.MaxFilterDepth {
				return store.Invalid(name, "sub-filters may nest at most %d deep", store.MaxFilterDepth)
			}
			if t.terms++; t.terms > store.MaxFilterTerms {
				return store.Invalid(name, "a filter may hold at most %d sub-filters", store.MaxFilterTerms)
			}
			if err := check(f, name+".", depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// AnySub reports whether pred holds for one of the sub-filters and and or.
func AnySub[F any](and, or []F, pred func(F) bool) bool {
	for _, list := range [][]F{and, or} {
		for _, f := range list {
			if pred(f) {
				return true
			}
		}
	}
	return false
}
