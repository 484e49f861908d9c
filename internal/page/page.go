// Package page helps the services' list-and-count methods.
package page

import "github.com/clientele/clientele/store"

// Total returns how many rows match in all, given the n rows of a page
// listed with opts: n itself when the page holds every match (it skips
// none, starts at no cursor, and has no limit or fewer rows than its
// limit), else what count returns.
func Total(n int, opts store.ListOptions, count func() (int, error)) (int, error) {
	if opts.Skip <= 0 && opts.After == "" && opts.Before == "" && (opts.Take <= 0 || n < opts.Take) {
		return n, nil
	}
	return count()
}

// Build lists the page that opts asks for, with its count and cursors.
// list runs the list with the options it is given and counts the matches
// as they ask; Build asks it for one row more than opts.Take, to learn
// whether the list goes on past the page. cols and id are the entity's
// sortable columns and id, which make the cursors.
func Build[T any](cols store.Columns[T], id func(*T) string, opts store.ListOptions,
	list func(store.ListOptions) ([]*T, store.Count, error)) (*store.Page[T], error) {
	o := opts
	if o.Take > 0 {
		o.Take++
	}
	rows, n, err := list(o)
	if err != nil {
		return nil, err
	}
	more := opts.Take > 0 && len(rows) > opts.Take
	backward := opts.Before != ""
	if more {
		if backward {
			rows = rows[1:] // the extra row comes before the page
		} else {
			rows = rows[:opts.Take]
		}
	}
	if rows == nil {
		rows = []*T{}
	}
	p := &store.Page[T]{Items: rows, Count: n}
	if len(rows) == 0 {
		return p, nil
	}
	first, last := rows[0], rows[len(rows)-1]
	if backward || more {
		// Backward, the rows after the page are the ones the cursor
		// came from.
		p.Next = cols.Cursor(opts.Order, id, last)
	}
	if (backward && more) || (!backward && (opts.After != "" || opts.Skip > 0)) {
		p.Prev = cols.Cursor(opts.Order, id, first)
	}
	return p, nil
}

// ListAndCount is the list function of [Build] for a store that lists and
// counts in two calls: count runs only when the page does not tell the
// total, and always counts exactly.
func ListAndCount[T any](list func(store.ListOptions) ([]*T, error), count func() (int, error)) func(store.ListOptions) ([]*T, store.Count, error) {
	return func(o store.ListOptions) ([]*T, store.Count, error) {
		rows, err := list(o)
		if err != nil {
			return nil, store.Count{}, err
		}
		n, err := Total(len(rows), o, count)
		if err != nil {
			return nil, store.Count{}, err
		}
		return rows, store.Count{N: n}, nil
	}
}
