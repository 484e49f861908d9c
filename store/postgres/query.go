package postgres

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// Reads are plain SQL with $n parameters rather than bun queries, which
// inline their values into the text: with stable texts pgx prepares each
// statement once per connection and PostgreSQL plans it once, which halves
// the time of a lookup by id (planning a query on a table with ten indexes
// costs about as much as running it). Two exceptions keep plans right:
//
//   - The patterns of q are inlined as literals, so every search is planned
//     for its own terms: a prepared statement would switch to a generic plan
//     after five runs, which cannot use the trigram indexes and is 10-2000x
//     slower. With pgx a search also runs in QueryExecModeExec, so its
//     one-off text is not kept in the statement cache. A LIKE pattern of a
//     filter (filter.go) stays a parameter, and its statement runs in
//     QueryExecModeExec too, which plans it for its pattern.
//   - Booleans, LIMIT and OFFSET are inlined too: a literal lets PostgreSQL
//     match partial indexes (is_default_shipping = true) and pick a plan
//     for the page size.
//
// bun maps the rows (ScanRows). Writes are in write.go.

// table describes what the query builder needs to know about one of
// Medusa's tables, taken from its row type.
type table struct {
	name     string
	alias    string
	cols     string   // the select list, qualified
	sortable sortable // the columns a list may be ordered by
	q        []string // the columns q searches
}

// Has reports whether lists of t may be ordered by column (for
// store.ListOptions.Check).
func (t *table) Has(column string) bool { return t.sortable.Kind(column) != 0 }

// Kind returns the kind of the sortable column, 0 for another name (for
// store.ListOptions.Seek).
func (t *table) Kind(column string) store.ColumnKind { return t.sortable.Kind(column) }

// sortable is an entity's store.Columns declaration (customer.Sortable, …)
// seen without its type parameter: the single list of the columns a list
// may be ordered by, which the in-memory backend sorts by too.
type sortable interface {
	Names() []string
	Kind(name string) store.ColumnKind
}

// noColumns is the declaration of a table that lists are never ordered by
// (only by id).
type noColumns struct{}

func (noColumns) Names() []string              { return nil }
func (noColumns) Kind(string) store.ColumnKind { return 0 }

// newTable describes the table of row. It panics when a sortable column is
// not a column of the table or has another type, so that a declaration
// and the schema cannot drift apart unnoticed.
func newTable(row any, sort sortable, q ...string) *table {
	bt := pgdialect.New().Tables().Get(reflect.TypeOf(row))
	t := &table{name: bt.Name, alias: bt.Alias, sortable: sort, q: q}
	cols := make([]string, len(bt.Fields))
	types := map[string]reflect.Type{}
	for i, f := range bt.Fields {
		cols[i] = t.col(f.Name)
		types[f.Name] = f.StructField.Type
	}
	t.cols = strings.Join(cols, ", ")
	timeType := reflect.TypeFor[time.Time]()
	for _, name := range sort.Names() {
		typ, ok := types[name]
		if !ok {
			panic("postgres: sortable column " + name + " is not a column of " + bt.Name)
		}
		var fits bool
		switch sort.Kind(name) {
		case store.TextColumn:
			fits = typ.Kind() == reflect.String
		case store.BoolColumn:
			fits = typ.Kind() == reflect.Bool
		case store.TimeColumn:
			fits = typ == timeType || typ == reflect.PointerTo(timeType)
		}
		if !fits {
			panic("postgres: sortable column " + bt.Name + "." + name + " has the Go type " + typ.String())
		}
	}
	return t
}

var (
	customerTable = newTable(customerRow{}, customer.Sortable, "company_name", "first_name", "last_name", "email", "phone")
	addressTable  = newTable(addressRow{}, address.Sortable, "address_name", "company", "first_name", "last_name",
		"address_1", "address_2", "city", "province", "postal_code")
	groupTable      = newTable(groupRow{}, group.Sortable, "name")
	membershipTable = newTable(membershipRow{}, group.MembershipSortable)

	authIdentityTable     = newTable(authIdentityRow{}, auth.Sortable)
	providerIdentityTable = newTable(providerIdentityRow{}, auth.ProviderSortable)
	resetTokenTable       = newTable(resetTokenRow{}, noColumns{})
)

// col returns the qualified column name, e.g. c.email. Every name is a
// lower-case identifier that needs no quotes.
func (t *table) col(name string) string { return t.alias + "." + name }

// query is a SELECT on one table under construction.
type query struct {
	t        *table
	where    []string
	args     []any
	order    []string
	limit    int
	offset   int
	lock     bool
	keyset   string // the condition of a cursor: the rows past it
	nWhere   int    // the number of args of the conditions, before those of keyset
	reverse  bool   // the rows come in reverse order (a Before cursor); list puts them back
	liveOnly bool   // the only condition is the live one (deleted_at IS NULL)
	searched bool   // q or a LIKE pattern added a condition
	total    bool   // the list also selects count(*) OVER () AS clientele_total
	err      error  // the filter was refused: running q fails with err
}

func newQuery(t *table) *query { return &query{t: t} }

// arg adds a parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) cond(c string) { q.where = append(q.where, c) }

// live keeps the rows that are not soft-deleted, unless withDeleted.
func (q *query) live(withDeleted bool) {
	if !withDeleted {
		q.cond(q.t.col("deleted_at") + " IS NULL")
		q.liveOnly = len(q.where) == 1
	}
}

// filtered reports whether the query has a condition besides the live one.
func (q *query) filtered() bool {
	n := len(q.where)
	if q.liveOnly {
		n--
	}
	return n > 0
}

// in keeps the rows whose column is one of values: a nil list does not
// filter, an empty one matches nothing.
func (q *query) in(col string, values []string) {
	q.inExpr(q.t.col(col), values)
}

func (q *query) inExpr(expr string, values []string) {
	if c := q.match(expr, values); c != "" {
		q.cond(c)
	}
}

// match returns the condition that expr is one of values, adding its
// parameter: "" for a nil list (no filter), FALSE for an empty one.
func (q *query) match(expr string, values []string) string {
	switch {
	case values == nil:
		return ""
	case len(values) == 0:
		return "FALSE"
	case len(values) == 1:
		// "= $1" rather than "= ANY($1)": PostgreSQL plans and runs the
		// scalar comparison faster (a lookup by id takes 30% less time).
		return expr + " = " + q.arg(values[0])
	default:
		return expr + " = ANY(" + q.arg(values) + ")"
	}
}

// search applies a free-text q: every word must occur, case-insensitively,
// in one of the table's searched columns. Each column has a pg_trgm GIN
// index, which PostgreSQL combines with a BitmapOr.
func (q *query) search(text string) {
	for _, w := range store.Words(text) {
		q.searched = true
		if !utf8.ValidString(w) || strings.IndexByte(w, 0) >= 0 {
			// No text value can contain it.
			q.cond("FALSE")
			continue
		}
		pattern := quoteLiteral("%" + escapeLike(w) + "%")
		alts := make([]string, len(q.t.q))
		for i, col := range q.t.q {
			alts[i] = q.t.col(col) + " ILIKE " + pattern
		}
		q.cond("(" + strings.Join(alts, " OR ") + ")")
	}
}

// escapeLike escapes LIKE's wildcards and its escape character.
func escapeLike(s string) string {
	if !strings.ContainsAny(s, `%_\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// quoteLiteral returns s as an escape string constant (E'…'), which means
// the same whatever standard_conforming_strings is.
func quoteLiteral(s string) string {
	var b strings.Builder
	b.WriteString("E'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// page applies the order, skip, take and lock of opts. id is always the
// last sort key. Text columns sort in byte order (COLLATE "C"), except id
// in a list without q: there it sorts in the column's own collation, so
// that the primary key serves ORDER BY id … LIMIT (Medusa's ids, a fixed
// prefix and an upper-case ULID, sort the same in every collation).
//
// With q or a LIKE pattern, id sorts COLLATE "C" too, which keeps PostgreSQL from walking the
// primary key and filtering every row with ILIKE until the page is full: it
// underestimates the cost of ILIKE and takes that plan for terms it expects
// to match a few dozen rows, which for a rare term means reading most of the
// table. Ordering on an expression no index provides makes it search the
// trigram indexes first and sort the matches; the services count the
// matches anyway.
func (q *query) page(opts store.ListOptions) error {
	if err := opts.Check(q.t); err != nil {
		return err
	}
	seek, err := opts.Seek(q.t)
	if err != nil {
		return err
	}
	q.reverse = seek != nil && seek.Before
	for _, o := range store.SortKeys(opts.Order) {
		dir := " ASC"
		if o.Desc != q.reverse {
			dir = " DESC"
		}
		expr, _ := q.sortExpr(o.Field)
		q.order = append(q.order, expr+dir)
	}
	q.nWhere = len(q.args)
	if seek != nil {
		q.keyset = q.past(seek)
	}
	q.limit, q.offset, q.lock = opts.Take, opts.Skip, opts.Lock
	return nil
}

// sortExpr returns the expression a list sorts by for the column, and
// whether it may be NULL.
func (q *query) sortExpr(field string) (expr string, nullable bool) {
	c := q.t.col(field)
	switch kind := q.t.sortable.Kind(field); {
	case field == "id":
		if q.searched {
			c += ` COLLATE "C"`
		}
		return c, false
	case kind == store.TextColumn:
		// '' is NULL here, as in Go: legacy rows that hold '' sort
		// with the NULLs, where the memory store puts them.
		return "NULLIF(" + c + `, '') COLLATE "C"`, true
	case kind == store.TimeColumn:
		return c, field == "deleted_at"
	}
	return c, false
}

// past returns the condition that keeps the rows past seek in the list's
// order: after the cursor, or before it (the rows after it in the reversed
// order, which a Before list reads). It reproduces the order of ORDER BY
// exactly, NULLs included: ascending, NULL comes after every value;
// descending (and so in reverse), before. For sort keys k1…kn it is
//
//	k1 past v1 OR (k1 = v1 AND (k2 past v2 OR (k2 = v2 AND … kn past vn)))
//
// where "= NULL" is IS NULL, and a key past NULL is IS NOT NULL descending
// and nothing ascending.
//
// When k1 cannot be NULL (created_at, updated_at) and is not the only key,
// the condition starts with the range it implies, k1 >= v1 (k1 <= v1
// descending): the OR alone gives PostgreSQL no bound to start an index
// scan from, so it would read the index from its start and filter out
// every row before the cursor, and a deep page would cost as much as an
// OFFSET. With the bound, a scan of (created_at, id) starts at the cursor
// (backward for created_at DESC, with an incremental sort of the rows that
// share a created_at), and a page costs the same at any depth.
func (q *query) past(seek *store.Seek) string {
	cond := ""
	bound := ""
	for i := len(seek.Keys) - 1; i >= 0; i-- {
		k := seek.Keys[i]
		expr, nullable := q.sortExpr(k.Field)
		desc := k.Desc != seek.Before
		var past, same string
		switch {
		case k.Value == nil && desc:
			past, same = expr+" IS NOT NULL", expr+" IS NULL"
		case k.Value == nil:
			same = expr + " IS NULL"
		default:
			v := q.arg(k.Value)
			if k.Kind == store.TextColumn {
				v += "::text"
			}
			op := " > "
			if desc {
				op = " < "
			}
			past, same = expr+op+v, expr+" = "+v
			if nullable && !desc {
				past = "(" + past + " OR " + expr + " IS NULL)"
			}
			if i == 0 && !nullable && len(seek.Keys) > 1 {
				bound = expr + op[:2] + "= " + v
			}
		}
		switch {
		case cond == "" && past == "":
			cond = "FALSE"
		case cond == "":
			cond = past
		case past == "":
			cond = "(" + same + " AND " + cond + ")"
		default:
			cond = "(" + past + " OR (" + same + " AND " + cond + "))"
		}
	}
	if bound != "" {
		cond = bound + " AND " + cond
	}
	return cond
}

// sql returns the SELECT of list (the table's columns) or count(*).
func (q *query) sql(count bool) string {
	if count {
		return "SELECT count(*)" + q.from(false)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(q.t.cols)
	if q.total {
		b.WriteString(", count(*) OVER () AS clientele_total")
	}
	b.WriteString(q.from(true))
	if len(q.order) > 0 {
		b.WriteString(" ORDER BY ")
		b.WriteString(strings.Join(q.order, ", "))
	}
	if q.limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(q.limit))
	}
	if q.offset > 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.Itoa(q.offset))
	}
	if q.lock {
		b.WriteString(" FOR UPDATE OF ")
		b.WriteString(q.t.alias)
	}
	return b.String()
}

// from returns the FROM and WHERE clauses of q, with the condition of its
// cursor when keyset is true. Without it, the statement takes the first
// nWhere arguments only (see condArgs).
func (q *query) from(keyset bool) string {
	var b strings.Builder
	b.WriteString(" FROM ")
	b.WriteString(q.t.name)
	b.WriteString(" AS ")
	b.WriteString(q.t.alias)
	where := q.where
	if keyset && q.keyset != "" {
		where = append(where[:len(where):len(where)], q.keyset)
	}
	for i, c := range where {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(c)
	}
	return b.String()
}

// queryArgs returns the arguments of q for database/sql: with pgx, a
// search runs in QueryExecModeExec (see the top of this file).
func (s *Store) queryArgs(q *query) []any {
	return s.execArgs(q, q.args)
}

// condArgs returns the arguments of a statement on q without the
// condition of its cursor (from(false)), as queryArgs does.
func (s *Store) condArgs(q *query) []any {
	if q.keyset == "" {
		return s.queryArgs(q)
	}
	return s.execArgs(q, q.args[:q.nWhere])
}

func (s *Store) execArgs(q *query, args []any) []any {
	if q.searched && s.pgx {
		return append([]any{pgx.QueryExecModeExec}, args...)
	}
	return args
}

// list runs q and scans the rows into dest, a pointer to a slice of rows.
func (s *Store) list(ctx context.Context, op string, q *query, opts store.ListOptions, dest any) error {
	if q.err != nil {
		return q.err
	}
	if err := q.page(opts); err != nil {
		return err
	}
	return s.scan(ctx, op, q, q.sql(false), dest)
}

// scan runs the statement text of q and scans its rows into dest, a
// pointer to a slice of rows, in the list's order. A read the replica
// could not serve runs again on the primary (fellBack), into a dest reset
// to an empty slice: the replica's error may have come after some rows.
func (s *Store) scan(ctx context.Context, op string, q *query, text string, dest any) error {
	conn, onReplica := s.readConn(ctx, q)
	err := s.scanOn(ctx, conn, q, text, dest)
	if onReplica && s.fellBack(ctx, err) {
		reflect.ValueOf(dest).Elem().SetZero()
		err = s.scanOn(ctx, s.sqlConn(ctx), q, text, dest)
	}
	if err != nil {
		return translate(ctx, op, err)
	}
	if q.reverse {
		v := reflect.ValueOf(dest).Elem()
		swap := reflect.Swapper(v.Interface())
		for i, j := 0, v.Len()-1; i < j; i, j = i+1, j-1 {
			swap(i, j)
		}
	}
	return nil
}

// scanOn runs the statement text of q on conn and scans its rows into
// dest, in the statement's order.
func (s *Store) scanOn(ctx context.Context, conn sqlConn, q *query, text string, dest any) error {
	rows, err := conn.QueryContext(ctx, text, s.queryArgs(q)...)
	if err != nil {
		return err
	}
	return s.db.ScanRows(ctx, rows, dest)
}

// count runs q as a count.
func (s *Store) count(ctx context.Context, op string, q *query) (int, error) {
	if q.err != nil {
		return 0, q.err
	}
	n, err := s.countOn(ctx, q, q.sql(true), s.condArgs(q)...)
	if err != nil {
		return 0, translate(ctx, op, err)
	}
	return n, nil
}

// countOn runs text, a statement of one integer, with args on the
// database readConn chooses for q, and again on the primary when the
// replica could not serve it (fellBack).
func (s *Store) countOn(ctx context.Context, q *query, text string, args ...any) (int, error) {
	conn, onReplica := s.readConn(ctx, q)
	var n int
	err := conn.QueryRowContext(ctx, text, args...).Scan(&n)
	if onReplica && s.fellBack(ctx, err) {
		err = s.sqlConn(ctx).QueryRowContext(ctx, text, args...).Scan(&n)
	}
	return n, err
}
