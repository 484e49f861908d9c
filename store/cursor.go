package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// maxCursorLen bounds the length of a cursor a list accepts, so that a
// client cannot make a backend decode megabytes.
const maxCursorLen = 8 << 10

// SortKeys returns the sort keys of a list ordered by order: order itself,
// followed by id ascending when order does not name id, as every backend
// sorts.
func SortKeys(order []Order) []Order {
	if slices.ContainsFunc(order, func(o Order) bool { return o.Field == "id" }) {
		return order
	}
	return append(slices.Clip(order), Order{Field: "id"})
}

// keyName renders a sort key as a cursor names it: "-created_at" for
// created_at descending.
func keyName(o Order) string {
	if o.Desc {
		return "-" + o.Field
	}
	return o.Field
}

// SeekKey is one sort key of a [Seek] and the value at the cursor: a
// string (text), a bool or a time.Time, or nil for NULL.
type SeekKey struct {
	Order
	Kind  ColumnKind
	Value any
}

// Seek is a decoded cursor: the position of a row in a list.
type Seek struct {
	// Keys are the sort keys of the list ([SortKeys]) with the values of
	// the row at the cursor.
	Keys []SeekKey
	// Before is true for [ListOptions.Before]: the list keeps the rows
	// before the cursor. Otherwise it keeps the rows after it.
	Before bool
}

// cursorData is a cursor before its base64url encoding.
type cursorData struct {
	Order []string          `json:"o"`
	Keys  []json.RawMessage `json:"k"`
}

// ColumnKinds is what a cursor needs to know of an entity's sortable
// columns: [Columns] and the PostgreSQL backend's tables implement it. A
// name that is not a sortable column has the kind 0.
type ColumnKinds interface {
	Kind(name string) ColumnKind
}

// kindOf returns the kind of the sort key named field: id is text even
// where it is not declared.
func kindOf(kinds ColumnKinds, field string) ColumnKind {
	if k := kinds.Kind(field); k != 0 || field != "id" {
		return k
	}
	return TextColumn
}

// Seek decodes the cursor of o (After or Before) for a list of an entity
// whose sortable columns are kinds. It returns nil without a cursor, and a
// *ValidationError naming "after" or "before" for a cursor that is not
// one this package made, or that was made for another order.
func (o ListOptions) Seek(kinds ColumnKinds) (*Seek, error) {
	field, cursor, before := "after", o.After, false
	if o.Before != "" {
		field, cursor, before = "before", o.Before, true
	}
	if cursor == "" {
		return nil, nil
	}
	malformed := Invalid(field, "not a cursor of this list")
	if len(cursor) > maxCursorLen {
		return nil, malformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, malformed
	}
	var d cursorData
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil || dec.More() || len(d.Order) != len(d.Keys) {
		return nil, malformed
	}
	keys := SortKeys(o.Order)
	if len(keys) != len(d.Order) {
		return nil, Invalid(field, "the cursor was made for another order")
	}
	seek := &Seek{Keys: make([]SeekKey, len(keys)), Before: before}
	for i, k := range keys {
		if keyName(k) != d.Order[i] {
			return nil, Invalid(field, "the cursor was made for another order")
		}
		kind := kindOf(kinds, k.Field)
		v, ok := decodeKey(kind, d.Keys[i])
		if !ok {
			return nil, malformed
		}
		seek.Keys[i] = SeekKey{Order: k, Kind: kind, Value: v}
	}
	return seek, nil
}

// decodeKey decodes one value of a cursor as a value of kind.
func decodeKey(kind ColumnKind, raw json.RawMessage) (any, bool) {
	if string(raw) == "null" {
		return nil, kind != BoolColumn
	}
	switch kind {
	case TextColumn:
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return nil, false
		}
		return s, true
	case BoolColumn:
		var b bool
		return b, json.Unmarshal(raw, &b) == nil
	case TimeColumn:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	}
	return nil, false
}

// encodeKey encodes one value of a row for a cursor.
func encodeKey(v any) json.RawMessage {
	if t, ok := v.(time.Time); ok {
		v = t.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Strings, bools and nil always encode.
		panic("store: cursor value: " + err.Error())
	}
	return b
}

// Cursor returns the cursor of row in a list ordered by order: a list
// given it as [ListOptions.After] starts after row, one given it as
// [ListOptions.Before] ends before it. id returns the row's id. Cursors are
// opaque (base64url) but not secret: they hold the row's values of the
// sort keys.
func (cs Columns[T]) Cursor(order []Order, id func(*T) string, row *T) string {
	keys := SortKeys(order)
	d := cursorData{Order: make([]string, len(keys)), Keys: make([]json.RawMessage, len(keys))}
	for i, k := range keys {
		d.Order[i] = keyName(k)
		var v any
		if c, ok := cs.byName[k.Field]; ok {
			v = c.value(row)
		} else {
			v = id(row) // an undeclared id
		}
		d.Keys[i] = encodeKey(v)
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic("store: cursor: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Beyond returns the predicate that keeps the rows of a list past seek:
// after the cursor, or before it for [Seek.Before], in the list's order.
// id returns a row's id. Backends that sort in memory use it; SQL backends
// build the same predicate in their own language.
func (cs Columns[T]) Beyond(seek *Seek, id func(*T) string) func(*T) bool {
	values := make([]func(*T) any, len(seek.Keys))
	for i, k := range seek.Keys {
		if c, ok := cs.byName[k.Field]; ok {
			values[i] = c.value
		} else {
			values[i] = func(t *T) any { return id(t) }
		}
	}
	return func(t *T) bool {
		for i, k := range seek.Keys {
			c := CompareValues(values[i](t), k.Value)
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return (c > 0) != seek.Before
			}
		}
		return false // the row at the cursor
	}
}

// CompareValues compares two values of a sort key (strings, bools or
// times, nil for NULL) in ascending order as PostgreSQL sorts them: text
// in byte order, false before true, NULL after every value.
func CompareValues(a, b any) int {
	if c, null := nulls(a == nil, b == nil); null {
		return c
	}
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(x, y)
	case bool:
		y, _ := b.(bool)
		return compareBool(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}
