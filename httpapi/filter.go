package httpapi

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// The list routes read their filters as Medusa does: Express's query
// parser (qs) turns email[$ilike]=%x%, id[$in][0]=a and $or[0][email]=b
// into nested values, Medusa's validateAndTransformQuery splits a list of
// one comma-separated value (id[]=a,b) and folds dotted keys
// (groups.name=x is groups[name]=x), and each route's zod schema (its
// validators.ts) says which fields take a value, a list, or an operator
// map (createOperatorMap: $eq, $ne, $in, $nin, $like, $ilike, $gt, $gte,
// $lt, $lte). What a route's schema accepts becomes a typed filter of the
// services; anything else is a 400 invalid_data with zod's message, never
// ignored. Where Medusa's schema lets a value through that it then
// ignores or cannot run, this parser refuses it (see the package doc's
// Differences from Medusa).

// Bounds of a query's filters.
const (
	// MaxQueryValues is the most values (after splitting comma-separated
	// lists) the filters of one list query may hold; more is a 400.
	MaxQueryValues = store.MaxFilterValues
	// maxKeyDepth is how many bracketed segments a key may have (qs's
	// depth): deeper segments stay one literal key, which no schema knows.
	maxKeyDepth = 5
)

// qsObject is an object of a parsed query, its keys in query order.
type qsObject struct {
	keys []string
	vals map[string]any // string, []any or *qsObject
}

func newQSObject() *qsObject { return &qsObject{vals: map[string]any{}} }

func (o *qsObject) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// qsNode is a value of a query under construction: the values given to
// its key itself (a=1&a=2, a[]=1), and its bracketed children.
type qsNode struct {
	vals  []string
	array bool // a[]=… was used
	kids  map[string]*qsNode
	order []string
}

func (n *qsNode) kid(k string) *qsNode {
	if n.kids == nil {
		n.kids = map[string]*qsNode{}
	}
	c, ok := n.kids[k]
	if !ok {
		c = &qsNode{}
		n.kids[k] = c
		n.order = append(n.order, k)
	}
	return c
}

// index returns k as an array index, as qs reads one ("0", "12"; not
// "01" or "-1").
func index(k string) (int, bool) {
	i, err := strconv.Atoi(k)
	return i, err == nil && i >= 0 && strconv.Itoa(i) == k
}

// value finalizes n: a string, a list ([]any) or an object. Children that
// are all indices make a list in index order (qs makes an object of more
// than 21, which Medusa's schemas then refuse or ignore: here a long list
// stays a list). Values given beside named children become keys, as qs
// makes them, which no schema knows.
func (n *qsNode) value() any {
	if len(n.kids) == 0 {
		if len(n.vals) == 1 && !n.array {
			return n.vals[0]
		}
		out := make([]any, len(n.vals))
		for i, v := range n.vals {
			out[i] = v
		}
		return out
	}
	numeric := true
	for _, k := range n.order {
		if _, ok := index(k); !ok {
			numeric = false
			break
		}
	}
	if numeric {
		keys := slices.Clone(n.order)
		slices.SortFunc(keys, func(a, b string) int {
			i, _ := index(a)
			j, _ := index(b)
			return i - j
		})
		out := make([]any, 0, len(n.vals)+len(keys))
		for _, v := range n.vals {
			out = append(out, v)
		}
		for _, k := range keys {
			out = append(out, n.kids[k].value())
		}
		return out
	}
	obj := newQSObject()
	for _, k := range n.order {
		obj.set(k, n.kids[k].value())
	}
	for _, v := range n.vals {
		obj.set(v, "true")
	}
	return obj
}

// splitKey splits a query key as qs does: the parent (the text before the
// first bracket), then each [segment], at most maxKeyDepth of them; the
// rest, if any, is one last literal segment.
func splitKey(key string) []string {
	open := strings.IndexByte(key, '[')
	if open < 0 || !strings.Contains(key[open:], "]") {
		return []string{key}
	}
	var segs []string
	if open > 0 {
		segs = append(segs, key[:open])
	}
	rest := key[open:]
	for depth := 0; ; depth++ {
		i := strings.IndexByte(rest, '[')
		if i < 0 {
			return segs
		}
		j := strings.IndexAny(rest[i+1:], "[]")
		if j < 0 || rest[i+1+j] != ']' {
			// No closing bracket before the next opening one: qs skips
			// to the next well-formed segment.
			if j < 0 {
				return segs
			}
			rest = rest[i+1+j:]
			depth--
			continue
		}
		if depth == maxKeyDepth {
			return append(segs, rest[i:])
		}
		segs = append(segs, rest[i+1:i+1+j])
		rest = rest[i+2+j:]
	}
}

// decodeQS decodes one part of a query as qs does: + is a space, and a
// malformed escape stays as it is.
func decodeQS(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// parseQuery reads a raw query string as Express's query parser (qs) and
// Medusa's normalizeQuery do: nested keys become objects and lists, a list
// of one value is split at commas, and a dotted key a.b is a[b] (a key
// of more than two dotted parts is refused, as Medusa refuses it).
func parseQuery(raw string) (*qsObject, error) {
	root := &qsNode{}
	var top []string // top-level keys, dotted ones whole, in query order
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v := part, ""
		if i := strings.Index(part, "]="); i >= 0 {
			k, v = part[:i+1], part[i+2:]
		} else if i := strings.IndexByte(part, '='); i >= 0 {
			k, v = part[:i], part[i+1:]
		}
		k, v = decodeQS(k), decodeQS(v)
		segs := splitKey(k)
		if segs[0] == "" {
			continue
		}
		if _, seen := root.kids[segs[0]]; !seen {
			top = append(top, segs[0])
		}
		n := root.kid(segs[0])
		for i, seg := range segs[1:] {
			last := i == len(segs)-2
			switch {
			case seg == "" && last:
				n.array = true
			case seg == "":
				n = n.kid("0")
			default:
				n = n.kid(seg)
			}
		}
		n.vals = append(n.vals, v)
	}
	out := newQSObject()
	for _, k := range top {
		v := root.kids[k].value()
		if l, ok := v.([]any); ok && len(l) == 1 {
			if s, ok := l[0].(string); ok {
				split := strings.Split(s, ",")
				v = make([]any, len(split))
				for i, p := range split {
					v.([]any)[i] = p
				}
			}
		}
		parent, child, dotted := strings.Cut(k, ".")
		if !dotted {
			if err := merge(out, k, v); err != nil {
				return nil, err
			}
			continue
		}
		if strings.Contains(child, ".") {
			return nil, invalidData("Invalid request: Key accessor more than 2 levels deep: %s", k)
		}
		obj := newQSObject()
		obj.set(child, v)
		if err := merge(out, parent, obj); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// merge sets out[k] to v, merging two objects key by key.
func merge(out *qsObject, k string, v any) error {
	old, ok := out.vals[k]
	if !ok {
		out.set(k, v)
		return nil
	}
	a, aok := old.(*qsObject)
	b, bok := v.(*qsObject)
	if !aok || !bok {
		return invalidData("Invalid request: Field '%s' is given both as a value and with keys", k)
	}
	for _, bk := range b.keys {
		if err := merge(a, bk, b.vals[bk]); err != nil {
			return err
		}
	}
	return nil
}

// countValues counts the strings in v.
func countValues(v any) int {
	switch t := v.(type) {
	case string:
		return 1
	case []any:
		n := 0
		for _, e := range t {
			n += countValues(e)
		}
		return n
	case *qsObject:
		n := 0
		for _, k := range t.keys {
			n += countValues(t.vals[k])
		}
		return n
	}
	return 0
}

// jsString renders a value as a JavaScript template string does, which is
// how Medusa's messages quote a value: a list joined with commas, an
// object as [object Object].
func jsString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = jsString(e)
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// qkind is what a query field accepts, after Medusa's zod schemas.
type qkind int

const (
	qText     qkind = iota // z.string(): q
	qList                  // z.union([z.string(), z.array(z.string())])
	qListOps               // qList or createOperatorMap()
	qTimeOps               // createOperatorMap() on a timestamp column
	qBool                  // booleanString()
	qNested                // qList or an object of nested fields
	qDisabled              // accepted by Medusa's schema, unsupported here
)

// qparam is one field of a query schema and how it sets a filter F.
type qparam[F any] struct {
	name string
	kind qkind
	text func(f *F, v string)
	list func(f *F, v []string)                              // qList; plain values of qListOps and qNested
	ops  func(f *F, v store.StringFilter)                    // an operator map of qListOps
	time func(f *F, v store.TimeFilter)                      // qTimeOps
	flag func(f *F, v bool)                                  // qBool
	obj  func(f *F, d *qdecoder, o *qsObject, path []string) // the object of qNested
}

// qschema is the query schema of a filter F: its fields, which the items
// of $and and $or take too, and where those items go.
type qschema[F any] struct {
	fields  []qparam[F]
	and, or func(f *F, items []F)
}

// qdecoder collects the issues of one query, in zod's words.
type qdecoder struct {
	issues  []string
	unknown []string
}

func (d *qdecoder) issue(format string, args ...any) {
	d.issues = append(d.issues, fmt.Sprintf(format, args...))
}

// zodPath renders a path as Medusa's messages do: "$or, 0, email".
func zodPath(path []string) string { return strings.Join(path, ", ") }

// bracketPath renders a path as the query spells it: "groups[foo]".
func bracketPath(path []string) string {
	if len(path) < 2 {
		return strings.Join(path, "")
	}
	return path[0] + "[" + strings.Join(path[1:], "][") + "]"
}

func with(path []string, k string) []string { return append(slices.Clone(path), k) }

// err returns the issues as one 400: the first three, joined as zod's
// formatter joins them, unknown fields last.
func (d *qdecoder) err() error {
	issues := d.issues
	if len(d.unknown) > 0 {
		slices.Sort(d.unknown)
		issues = append(issues, "Unrecognized fields: '"+strings.Join(d.unknown, ", ")+"'")
	}
	if len(issues) == 0 {
		return nil
	}
	if len(issues) > 3 {
		issues = issues[:3]
	}
	return invalidData("Invalid request: %s", strings.Join(issues, "; "))
}

// decodeFilter fills a filter from the object o with schema s; extra names
// top-level fields that other code reads (paging).
func decodeFilter[F any](d *qdecoder, s qschema[F], o *qsObject, path []string, extra []string) F {
	var f F
	for _, p := range s.fields {
		v, ok := o.vals[p.name]
		if !ok {
			continue
		}
		p.decode(d, &f, v, with(path, p.name))
	}
	for _, k := range o.keys {
		switch {
		case slices.ContainsFunc(s.fields, func(p qparam[F]) bool { return p.name == k }):
		case len(path) == 0 && slices.Contains(extra, k):
		case (k == "$and" || k == "$or") && s.and != nil && len(path) == 0:
			items := decodeItems(d, s, o.vals[k], with(path, k))
			if k == "$and" {
				s.and(&f, items)
			} else {
				s.or(&f, items)
			}
		default:
			d.unknown = append(d.unknown, bracketPath(with(path, k)))
		}
	}
	return f
}

// decodeItems reads the list of filters of $and or $or.
func decodeItems[F any](d *qdecoder, s qschema[F], v any, path []string) []F {
	list, ok := v.([]any)
	if !ok {
		d.issue("Expected type: 'array' for field '%s', got: '%s'", zodPath(path), jsString(v))
		return nil
	}
	items := make([]F, 0, len(list))
	for i, e := range list {
		o, ok := e.(*qsObject)
		p := with(path, strconv.Itoa(i))
		if !ok {
			d.issue("Expected type: 'object' for field '%s', got: '%s'", zodPath(p), jsString(e))
			continue
		}
		items = append(items, decodeFilter(d, qschema[F]{fields: s.fields}, o, p, nil))
	}
	return items
}

// stringsOf returns v as a list of strings: a string, or a list of them.
func stringsOf(v any) ([]string, bool) {
	switch t := v.(type) {
	case string:
		return []string{t}, true
	case []any:
		out := make([]string, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func (p qparam[F]) decode(d *qdecoder, f *F, v any, path []string) {
	switch p.kind {
	case qText:
		if s, ok := v.(string); ok {
			p.text(f, s)
			return
		}
		d.issue("Expected type: 'string' for field '%s', got: '%s'", zodPath(path), jsString(v))
	case qBool:
		// booleanString(): "true" or "false", in any case.
		s, ok := v.(string)
		if s = strings.ToLower(s); !ok || s != "true" && s != "false" {
			d.issue("Expected type: 'boolean' for field '%s', got: '%s'", zodPath(path), jsString(v))
			return
		}
		p.flag(f, s == "true")
	case qDisabled:
		d.issue("Field '%s' is not supported", zodPath(path))
	default:
		if list, ok := stringsOf(v); ok {
			if p.kind == qTimeOps {
				times, ok := parseTimes(d, list, path, v)
				if ok {
					p.time(f, store.TimeFilter{In: times})
				}
				return
			}
			p.list(f, list)
			return
		}
		o, ok := v.(*qsObject)
		switch {
		case ok && p.kind == qNested:
			p.obj(f, d, o, path)
		case ok && p.kind == qListOps:
			if sf, ok := decodeStringOps(d, o, path); ok {
				p.ops(f, sf)
			}
		case ok && p.kind == qTimeOps:
			if tf, ok := decodeTimeOps(d, o, path); ok {
				p.time(f, tf)
			}
		default:
			d.issue("Expected type: 'string, array' for field '%s', got: '%s'", zodPath(path), jsString(v))
		}
	}
}

// operator is an operator of createOperatorMap and the kind of value it
// takes: one value (s), a list (l) or either (e).
type operator struct {
	name  string
	value byte
}

var operators = []operator{
	{"$eq", 'e'}, {"$ne", 'e'}, {"$in", 'l'}, {"$nin", 'l'},
	{"$like", 's'}, {"$ilike", 's'}, {"$gt", 's'}, {"$gte", 's'}, {"$lt", 's'}, {"$lte", 's'},
}

// operands reads the operators of an operator map o: for each known one,
// its values, checked against the kind of value it takes. $re and
// $contains (which Medusa's schema accepts, as a PostgreSQL regular
// expression and an array containment) are refused, as are the operators
// in refused; an unknown key is unrecognized.
func operands(d *qdecoder, o *qsObject, path []string, refused ...string) (map[string][]string, bool) {
	out := map[string][]string{}
	ok := true
	for _, k := range o.keys {
		v := o.vals[k]
		p := with(path, k)
		i := slices.IndexFunc(operators, func(op operator) bool { return op.name == k })
		switch {
		case k == "$re" || k == "$contains" || slices.Contains(refused, k):
			d.issue("Operator '%s' is not supported for field '%s'", k, zodPath(path))
			ok = false
			continue
		case i < 0:
			d.unknown = append(d.unknown, bracketPath(p))
			ok = false
			continue
		}
		list, isList := stringsOf(v)
		_, isString := v.(string)
		switch operators[i].value {
		case 's':
			if !isString {
				d.issue("Expected type: 'string' for field '%s', got: '%s'", zodPath(p), jsString(v))
				ok = false
				continue
			}
		case 'l':
			if isString || !isList {
				d.issue("Expected type: 'array' for field '%s', got: '%s'", zodPath(p), jsString(v))
				ok = false
				continue
			}
		default:
			if !isList {
				d.issue("Expected type: 'string, array' for field '%s', got: '%s'", zodPath(p), jsString(v))
				ok = false
				continue
			}
		}
		out[k] = list
	}
	return out, ok
}

// decodeStringOps reads an operator map on a text column. $eq and $in
// (both apply) are In, $ne and $nin NotIn.
func decodeStringOps(d *qdecoder, o *qsObject, path []string) (store.StringFilter, bool) {
	ops, ok := operands(d, o, path)
	if !ok {
		return store.StringFilter{}, false
	}
	var f store.StringFilter
	f.In = intersect(ops, "$eq", "$in")
	for _, k := range []string{"$ne", "$nin"} {
		if v, ok := ops[k]; ok {
			f.NotIn = append(append([]string{}, f.NotIn...), v...)
		}
	}
	for _, s := range []struct {
		op  string
		dst **string
	}{{"$like", &f.Like}, {"$ilike", &f.ILike}, {"$gt", &f.Gt}, {"$gte", &f.Gte}, {"$lt", &f.Lt}, {"$lte", &f.Lte}} {
		if v, ok := ops[s.op]; ok {
			*s.dst = &v[0]
		}
	}
	return f, true
}

// intersect returns the values that every one of the operators present
// allows (nil when none is present).
func intersect(ops map[string][]string, names ...string) []string {
	var out []string
	seen := false
	for _, n := range names {
		v, ok := ops[n]
		if !ok {
			continue
		}
		if !seen {
			out, seen = append([]string{}, v...), true
			continue
		}
		out = slices.DeleteFunc(out, func(s string) bool { return !slices.Contains(v, s) })
	}
	return out
}

// decodeTimeOps reads an operator map on a timestamp column: the
// comparisons, $eq/$in and $ne/$nin; a pattern ($like, $ilike) means
// nothing on a time and is refused.
func decodeTimeOps(d *qdecoder, o *qsObject, path []string) (store.TimeFilter, bool) {
	ops, ok := operands(d, o, path, "$like", "$ilike")
	if !ok {
		return store.TimeFilter{}, false
	}
	var f store.TimeFilter
	for _, k := range []string{"$eq", "$in", "$ne", "$nin", "$gt", "$gte", "$lt", "$lte"} {
		v, ok := ops[k]
		if !ok {
			continue
		}
		times, ok := parseTimes(d, v, with(path, k), o.vals[k])
		if !ok {
			return f, false
		}
		switch k {
		case "$eq", "$in":
			if f.In == nil {
				f.In = times
			} else {
				f.In = slices.DeleteFunc(f.In, func(t time.Time) bool {
					return !slices.ContainsFunc(times, t.Equal)
				})
			}
		case "$ne", "$nin":
			f.NotIn = append(f.NotIn, times...)
		case "$gt":
			f.Gt = times[0]
		case "$gte":
			f.Gte = times[0]
		case "$lt":
			f.Lt = times[0]
		case "$lte":
			f.Lte = times[0]
		}
	}
	return f, true
}

// timeLayouts are the forms a time may take: RFC 3339 (what the JS SDK
// sends for a Date), a date, or a date and time without a zone (UTC).
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02", "2006-01-02T15:04:05.999999999"}

// parseTimes parses values as times; raw is the value as given, for the
// message.
func parseTimes(d *qdecoder, values []string, path []string, raw any) ([]time.Time, bool) {
	out := make([]time.Time, len(values))
	for i, v := range values {
		var err error
		for _, layout := range timeLayouts {
			if out[i], err = time.Parse(layout, v); err == nil {
				break
			}
		}
		if err != nil {
			d.issue("Expected type: 'date' for field '%s', got: '%s'", zodPath(path), jsString(raw))
			return nil, false
		}
	}
	return out, true
}

// readFilter parses the query of r and decodes its filter with s: extra
// names the top-level fields other code reads (paging); every other field
// is the schema's or refused.
func readFilter[F any](rawQuery string, s qschema[F], extra ...string) (F, error) {
	var f F
	o, err := parseQuery(rawQuery)
	if err != nil {
		return f, err
	}
	if n := countValues(o); n > MaxQueryValues {
		return f, invalidData("Invalid request: a query may hold at most %d values, got %d", MaxQueryValues, n)
	}
	d := &qdecoder{}
	f = decodeFilter(d, s, o, nil, extra)
	return f, d.err()
}

// Setters of the schemas below.

func eqTo[F any](dst func(f *F) *store.StringFilter) func(f *F, v []string) {
	return func(f *F, v []string) { *dst(f) = store.Eq(v...) }
}

func opsTo[F any](dst func(f *F) *store.StringFilter) func(f *F, v store.StringFilter) {
	return func(f *F, v store.StringFilter) { *dst(f) = v }
}

func timeTo[F any](dst func(f *F) *store.TimeFilter) func(f *F, v store.TimeFilter) {
	return func(f *F, v store.TimeFilter) { *dst(f) = v }
}

// timeParams are the created_at, updated_at and deleted_at operator maps.
func timeParams[F any](created, updated, deleted func(f *F) *store.TimeFilter) []qparam[F] {
	return []qparam[F]{
		{name: "created_at", kind: qTimeOps, time: timeTo(created)},
		{name: "updated_at", kind: qTimeOps, time: timeTo(updated)},
		{name: "deleted_at", kind: qTimeOps, time: timeTo(deleted)},
	}
}

// pagingParams are the top-level fields of every list that paging reads.
var pagingParams = append([]string{"offset", "limit", "order", "fields", "with_deleted"}, extensionParams...)

// customerFilterSchema is Medusa 2.21's AdminCustomersParams: q, id (a
// value, a list or an operator map), email (a value or a list), groups (a
// value, a list, or AdminCustomerGroupInCustomerParams: id and name as
// values or lists, and time operator maps), company_name, first_name,
// last_name and created_by (values or lists), has_account, the time
// operator maps, $and and $or.
var customerFilterSchema = qschema[customer.Filter]{
	fields: append([]qparam[customer.Filter]{
		{name: "q", kind: qText, text: func(f *customer.Filter, v string) { f.Q = v }},
		{name: "id", kind: qListOps, list: func(f *customer.Filter, v []string) { f.IDs = v },
			ops: opsTo(func(f *customer.Filter) *store.StringFilter { return &f.ID })},
		{name: "email", kind: qList, list: func(f *customer.Filter, v []string) { f.Emails = v }},
		{name: "groups", kind: qNested, list: func(f *customer.Filter, v []string) { f.GroupIDs = v },
			obj: func(f *customer.Filter, d *qdecoder, o *qsObject, path []string) {
				gf := decodeFilter(d, groupInCustomerSchema, o, path, nil)
				f.Groups = &gf
			}},
		{name: "company_name", kind: qList, list: eqTo(func(f *customer.Filter) *store.StringFilter { return &f.CompanyName })},
		{name: "first_name", kind: qList, list: eqTo(func(f *customer.Filter) *store.StringFilter { return &f.FirstName })},
		{name: "last_name", kind: qList, list: eqTo(func(f *customer.Filter) *store.StringFilter { return &f.LastName })},
		{name: "has_account", kind: qBool, flag: func(f *customer.Filter, v bool) { f.HasAccount = &v }},
		{name: "created_by", kind: qList, list: eqTo(func(f *customer.Filter) *store.StringFilter { return &f.CreatedBy })},
	}, timeParams(
		func(f *customer.Filter) *store.TimeFilter { return &f.CreatedAt },
		func(f *customer.Filter) *store.TimeFilter { return &f.UpdatedAt },
		func(f *customer.Filter) *store.TimeFilter { return &f.DeletedAt })...),
	and: func(f *customer.Filter, items []customer.Filter) { f.And = items },
	or:  func(f *customer.Filter, items []customer.Filter) { f.Or = items },
}

// groupInCustomerSchema is AdminCustomerGroupInCustomerParams.
var groupInCustomerSchema = qschema[customer.GroupFilter]{
	fields: append([]qparam[customer.GroupFilter]{
		{name: "id", kind: qList, list: eqTo(func(f *customer.GroupFilter) *store.StringFilter { return &f.ID })},
		{name: "name", kind: qList, list: eqTo(func(f *customer.GroupFilter) *store.StringFilter { return &f.Name })},
	}, timeParams(
		func(f *customer.GroupFilter) *store.TimeFilter { return &f.CreatedAt },
		func(f *customer.GroupFilter) *store.TimeFilter { return &f.UpdatedAt },
		func(f *customer.GroupFilter) *store.TimeFilter { return &f.DeletedAt })...),
}

// groupFilterSchema is Medusa 2.21's AdminGetCustomerGroupsParams: q, id
// and name (values or lists), customers (a value, a list, or
// AdminCustomerInGroupFilters), created_by, the time operator maps, $and
// and $or.
var groupFilterSchema = qschema[group.Filter]{
	fields: append([]qparam[group.Filter]{
		{name: "q", kind: qText, text: func(f *group.Filter, v string) { f.Q = v }},
		{name: "id", kind: qList, list: func(f *group.Filter, v []string) { f.IDs = v }},
		{name: "name", kind: qList, list: func(f *group.Filter, v []string) { f.Names = v }},
		{name: "customers", kind: qNested, list: func(f *group.Filter, v []string) { f.CustomerIDs = v },
			obj: func(f *group.Filter, d *qdecoder, o *qsObject, path []string) {
				cf := decodeFilter(d, customerInGroupSchema, o, path, nil)
				f.Customers = &cf
			}},
		{name: "created_by", kind: qList, list: eqTo(func(f *group.Filter) *store.StringFilter { return &f.CreatedBy })},
	}, timeParams(
		func(f *group.Filter) *store.TimeFilter { return &f.CreatedAt },
		func(f *group.Filter) *store.TimeFilter { return &f.UpdatedAt },
		func(f *group.Filter) *store.TimeFilter { return &f.DeletedAt })...),
	and: func(f *group.Filter, items []group.Filter) { f.And = items },
	or:  func(f *group.Filter, items []group.Filter) { f.Or = items },
}

// customerInGroupSchema is AdminCustomerInGroupFilters. Its
// default_billing_address_id and default_shipping_address_id name columns
// that Medusa 2's customer table does not have: refused.
var customerInGroupSchema = qschema[group.CustomerFilter]{
	fields: append([]qparam[group.CustomerFilter]{
		{name: "id", kind: qList, list: eqTo(func(f *group.CustomerFilter) *store.StringFilter { return &f.ID })},
		{name: "email", kind: qListOps, list: eqTo(func(f *group.CustomerFilter) *store.StringFilter { return &f.Email }),
			ops: opsTo(func(f *group.CustomerFilter) *store.StringFilter { return &f.Email })},
		{name: "default_billing_address_id", kind: qDisabled},
		{name: "default_shipping_address_id", kind: qDisabled},
		{name: "company_name", kind: qList, list: eqTo(func(f *group.CustomerFilter) *store.StringFilter { return &f.CompanyName })},
		{name: "first_name", kind: qList, list: eqTo(func(f *group.CustomerFilter) *store.StringFilter { return &f.FirstName })},
		{name: "last_name", kind: qList, list: eqTo(func(f *group.CustomerFilter) *store.StringFilter { return &f.LastName })},
		{name: "created_by", kind: qList, list: eqTo(func(f *group.CustomerFilter) *store.StringFilter { return &f.CreatedBy })},
	}, timeParams(
		func(f *group.CustomerFilter) *store.TimeFilter { return &f.CreatedAt },
		func(f *group.CustomerFilter) *store.TimeFilter { return &f.UpdatedAt },
		func(f *group.CustomerFilter) *store.TimeFilter { return &f.DeletedAt })...),
}

// addressFilterSchema returns Medusa 2.21's address list schema: for the
// admin (AdminCustomerAddressesParams) q, company, city, country_code,
// province and postal_code; for the store (StoreGetCustomerAddressesParams)
// q, city, country_code and postal_code; values or lists, no operators.
func addressFilterSchema(forStore bool) qschema[address.Filter] {
	str := func(name string, dst func(f *address.Filter) *store.StringFilter) qparam[address.Filter] {
		return qparam[address.Filter]{name: name, kind: qList, list: eqTo(dst)}
	}
	fields := []qparam[address.Filter]{
		{name: "q", kind: qText, text: func(f *address.Filter, v string) { f.Q = v }},
		str("city", func(f *address.Filter) *store.StringFilter { return &f.City }),
		{name: "country_code", kind: qList, list: func(f *address.Filter, v []string) { f.CountryCodes = v }},
		str("postal_code", func(f *address.Filter) *store.StringFilter { return &f.PostalCode }),
	}
	if !forStore {
		fields = append(fields,
			str("company", func(f *address.Filter) *store.StringFilter { return &f.Company }),
			str("province", func(f *address.Filter) *store.StringFilter { return &f.Province }))
	}
	return qschema[address.Filter]{fields: fields}
}
