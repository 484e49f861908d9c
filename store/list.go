package store

import (
	"fmt"
	"strings"
	"unicode"
)

// Order is one ORDER BY term.
type Order struct {
	Field string // a column name of the entity, e.g. "created_at"
	Desc  bool
}

// Asc and Desc build Order terms.
func Asc(field string) Order  { return Order{Field: field} }
func Desc(field string) Order { return Order{Field: field, Desc: true} }

// FindOptions configures a retrieve by id.
type FindOptions struct {
	// Relations names the relations to load, e.g. "addresses" and "groups"
	// for a customer.
	Relations []string
	// WithDeleted finds soft-deleted records too.
	WithDeleted bool
}

// ListOptions configures a list. The zero value lists every live record in
// id order.
type ListOptions struct {
	// Skip and Take page through the results; Take 0 means no limit.
	// Counts ignore both.
	Skip, Take int
	// After and Before page through the results by keyset: given a cursor
	// of a row of the same list (see [Columns.Cursor] and the services'
	// ListPage methods), the list keeps only the rows after it, or only
	// those before it; Take then keeps the first rows after the cursor, or
	// the last rows before it, still in the list's order. Unlike Skip, a
	// cursor costs the same at any depth and neither repeats nor misses a
	// row when rows are inserted or deleted before it. A cursor made for
	// another Order is refused, and so is a cursor with Skip or both
	// cursors at once. Counts ignore cursors.
	After, Before string
	// Count chooses how the services' ListPage methods count the matches:
	// exactly (the zero value), with the database's estimate, or up to
	// CountCap rows. Other methods ignore it.
	Count CountMode
	// CountCap is the most rows a [CountCapped] count counts; it must be
	// positive with CountCapped and zero otherwise.
	CountCap int
	// Order sorts the results; the default is id ascending. The id is
	// always the last sort key, so pages are stable. Text columns sort by
	// byte order (COLLATE "C"); empty values (NULL) sort last ascending and
	// first descending, as in PostgreSQL.
	Order []Order
	// Relations names the relations to load.
	Relations []string
	// WithDeleted includes soft-deleted records.
	WithDeleted bool
	// Lock locks the returned rows until the unit of work ends. Only
	// meaningful inside [Transactor.InTx].
	Lock bool
}

// Check validates the paging, order, cursor and count of o against the
// entity's sortable columns (its [Columns] declaration, e.g.
// customer.Sortable). A cursor is decoded only when sortable also
// implements [ColumnKinds], as Columns does.
func (o ListOptions) Check(sortable interface{ Has(column string) bool }) error {
	if o.Skip < 0 {
		return Invalid("skip", "must not be negative, got %d", o.Skip)
	}
	if o.Take < 0 {
		return Invalid("take", "must not be negative, got %d", o.Take)
	}
	if err := checkOrder(o.Order, sortable.Has); err != nil {
		return err
	}
	switch {
	case o.After != "" && o.Before != "":
		return Invalid("before", "cannot be used with after")
	case o.Skip != 0 && (o.After != "" || o.Before != ""):
		return Invalid("skip", "must be 0 with a cursor, got %d", o.Skip)
	}
	if err := o.Count.check(o.CountCap); err != nil {
		return err
	}
	if kinds, ok := sortable.(ColumnKinds); ok {
		if _, err := o.Seek(kinds); err != nil {
			return err
		}
	}
	return nil
}

func checkOrder(order []Order, has func(string) bool) error {
	for _, ord := range order {
		if !has(ord.Field) {
			msg := fmt.Sprintf("Order field %s is not valid", ord.Field)
			return &ValidationError{Field: "order", Reason: msg, Message: msg}
		}
	}
	return nil
}

// CheckRelations validates names against the relations an entity has.
func CheckRelations(names []string, known ...string) error {
	for _, n := range names {
		ok := false
		for _, k := range known {
			if n == k {
				ok = true
				break
			}
		}
		if !ok {
			return Invalid("relations", "unknown relation %q (known: %s)", n, strings.Join(known, ", "))
		}
	}
	return nil
}

// HasRelation reports whether names contains name.
func HasRelation(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// Words splits a free-text query into the words that must each match.
func Words(q string) []string {
	return strings.FieldsFunc(q, unicode.IsSpace)
}

// MatchWords reports whether every word occurs, case-insensitively, in at
// least one of fields. This is the meaning of q for every entity.
func MatchWords(words []string, fields ...string) bool {
	for _, w := range words {
		lw := strings.ToLower(w)
		found := false
		for _, f := range fields {
			if f != "" && strings.Contains(strings.ToLower(f), lw) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
