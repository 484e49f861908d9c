package store

import (
	"fmt"
	"strings"
	"time"
)

// ColumnKind is the type of a sortable column, which decides how it sorts.
type ColumnKind int

const (
	// TextColumn sorts in byte order (COLLATE "C"); "" is NULL.
	TextColumn ColumnKind = iota + 1
	// BoolColumn sorts false before true; it is never NULL.
	BoolColumn
	// TimeColumn sorts by instant; a nil *time.Time is NULL.
	TimeColumn
)

// Column is one sortable column of the entity T: its name in Medusa's
// schema and the field of T that holds it. Build it with [Text], [Bool],
// [Time] or [NullTime].
type Column[T any] struct {
	name  string
	kind  ColumnKind
	cmp   func(a, b *T) int
	value func(*T) any // the row's value as a cursor holds it; nil is NULL
}

// Text declares a text column; an empty string is NULL.
func Text[T any](name string, value func(*T) string) Column[T] {
	return Column[T]{name, TextColumn, func(a, b *T) int {
		x, y := value(a), value(b)
		if c, null := nulls(x == "", y == ""); null {
			return c
		}
		return strings.Compare(x, y)
	}, func(t *T) any {
		if v := value(t); v != "" {
			return v
		}
		return nil
	}}
}

// Bool declares a boolean column.
func Bool[T any](name string, value func(*T) bool) Column[T] {
	return Column[T]{name, BoolColumn, func(a, b *T) int { return compareBool(value(a), value(b)) },
		func(t *T) any { return value(t) }}
}

// Time declares a timestamp column that is never NULL.
func Time[T any](name string, value func(*T) time.Time) Column[T] {
	return Column[T]{name, TimeColumn, func(a, b *T) int { return value(a).Compare(value(b)) },
		func(t *T) any { return value(t) }}
}

// NullTime declares a timestamp column that may be NULL (nil), such as
// deleted_at.
func NullTime[T any](name string, value func(*T) *time.Time) Column[T] {
	return Column[T]{name, TimeColumn, func(a, b *T) int {
		x, y := value(a), value(b)
		if c, null := nulls(x == nil, y == nil); null {
			return c
		}
		return x.Compare(*y)
	}, func(t *T) any {
		if v := value(t); v != nil {
			return *v
		}
		return nil
	}}
}

// compareBool orders false before true.
func compareBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}

// nulls orders NULLs after every value, as PostgreSQL does ascending.
// null reports whether either side is NULL, in which case c is the result.
func nulls(x, y bool) (c int, null bool) {
	switch {
	case x && y:
		return 0, true
	case x:
		return 1, true
	case y:
		return -1, true
	}
	return 0, false
}

// Name returns the column's name.
func (c Column[T]) Name() string { return c.name }

// Kind returns the column's type.
func (c Column[T]) Kind() ColumnKind { return c.kind }

// Compare compares the column's values in a and b in ascending order, as
// PostgreSQL sorts them: text in byte order, false before true, NULL after
// every value.
func (c Column[T]) Compare(a, b *T) int { return c.cmp(a, b) }

// Columns declares the columns a list of T may be ordered by. Each domain
// package declares its entity's once (customer.Sortable, address.Sortable,
// …); the services check [ListOptions] against it, the in-memory backend
// sorts by the values it reads from T and the PostgreSQL backend orders by
// its column names, so a column cannot be sortable in one place and
// unknown in another. The zero value has no column.
type Columns[T any] struct {
	byName map[string]Column[T]
	names  []string
}

// NewColumns returns the declaration of cols. It panics on an unnamed
// column or a name given twice: declarations are package variables.
func NewColumns[T any](cols ...Column[T]) Columns[T] {
	cs := Columns[T]{byName: make(map[string]Column[T], len(cols))}
	for _, c := range cols {
		if c.name == "" || c.cmp == nil || c.value == nil {
			panic("store: NewColumns: a column without name or value")
		}
		if _, dup := cs.byName[c.name]; dup {
			panic(fmt.Sprintf("store: NewColumns: column %q declared twice", c.name))
		}
		cs.byName[c.name] = c
		cs.names = append(cs.names, c.name)
	}
	return cs
}

// Has reports whether a list may be ordered by the column name.
func (cs Columns[T]) Has(name string) bool {
	_, ok := cs.byName[name]
	return ok
}

// Column returns the column called name.
func (cs Columns[T]) Column(name string) (Column[T], bool) {
	c, ok := cs.byName[name]
	return c, ok
}

// Kind returns the type of the column called name, 0 when there is none.
func (cs Columns[T]) Kind(name string) ColumnKind { return cs.byName[name].kind }

// Names returns the names of the columns, in declaration order.
func (cs Columns[T]) Names() []string { return append([]string(nil), cs.names...) }

// Comparer returns the comparison of rows that order asks for, followed by
// id ascending when order does not name id, as every backend sorts. An
// order field that is not a column fails with the *ValidationError of
// [ListOptions.Check].
func (cs Columns[T]) Comparer(order []Order, id func(*T) string) (func(a, b *T) int, error) {
	if err := checkOrder(order, cs.Has); err != nil {
		return nil, err
	}
	type term struct {
		cmp  func(a, b *T) int
		desc bool
	}
	terms := make([]term, 0, len(order)+1)
	hasID := false
	for _, o := range order {
		hasID = hasID || o.Field == "id"
		terms = append(terms, term{cs.byName[o.Field].cmp, o.Desc})
	}
	if !hasID {
		terms = append(terms, term{func(a, b *T) int { return strings.Compare(id(a), id(b)) }, false})
	}
	return func(a, b *T) int {
		for _, t := range terms {
			c := t.cmp(a, b)
			if t.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}, nil
}
