package postgres

import (
	"strings"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// The filters of the domain packages become conditions on their tables.
// Every value is a parameter; the SQL text only depends on which fields
// and operators a filter sets. The operators map to what the indexes
// serve: = ANY and <> ALL for lists (the primary key, lower(email)),
// LIKE and ILIKE for patterns (the pg_trgm GIN index of each text column
// a q searches; a statement with a pattern runs in QueryExecModeExec, so
// it is planned for its pattern, as a search is), and comparisons for
// bounds (in byte order, COLLATE "C", as lists sort; ids in the column's
// own collation, which the primary key serves).

// conds collects the conditions of one level of a filter on table t, which
// are ANDed; their arguments go to q.
type conds struct {
	q    *query
	t    *table
	list []string
}

// filter adds to q the conditions build makes on q's table.
func (q *query) filter(build func(c *conds)) {
	c := &conds{q: q, t: q.t}
	build(c)
	q.where = append(q.where, c.list...)
}

func (c *conds) add(cond string) { c.list = append(c.list, cond) }

// on returns an empty level on table t, whose arguments go to the same
// query.
func (c *conds) on(t *table) *conds { return &conds{q: c.q, t: t} }

// all returns the conditions ANDed, TRUE when there are none.
func (c *conds) all() string {
	switch len(c.list) {
	case 0:
		return "TRUE"
	case 1:
		return c.list[0]
	}
	return "(" + strings.Join(c.list, " AND ") + ")"
}

// anyOf adds alts ORed: FALSE when there are none.
func (c *conds) anyOf(alts []string) {
	switch len(alts) {
	case 0:
		c.add("FALSE")
	case 1:
		c.add(alts[0])
	default:
		c.add("(" + strings.Join(alts, " OR ") + ")")
	}
}

// in keeps the rows whose column is one of values (see query.match).
func (c *conds) in(col string, values []string) { c.inExpr(c.t.col(col), values) }

func (c *conds) inExpr(expr string, values []string) {
	if m := c.q.match(expr, values); m != "" {
		c.add(m)
	}
}

// is keeps the rows whose boolean column equals *v, when v is set; the
// value is inlined, so that PostgreSQL can match partial indexes.
func (c *conds) is(col string, v *bool) {
	if v != nil {
		if *v {
			c.add(c.t.col(col) + " = true")
		} else {
			c.add(c.t.col(col) + " = false")
		}
	}
}

// text applies a store.StringFilter to a text column.
func (c *conds) text(col string, f store.StringFilter) {
	cc := c.t.col(col)
	c.str(cc, cc, col != "id", false, f)
}

// textFold applies a store.StringFilter to a text column that compares
// case-insensitively (email): the folded filter on lower(column), served
// by the lower(email) index, and its patterns as ILIKE on the column,
// served by the column's trigram index.
func (c *conds) textFold(col string, f store.StringFilter) {
	cc := c.t.col(col)
	c.str(cc, "lower("+cc+")", true, true, f.Fold())
}

// str applies f: column is the column (for NULL tests and patterns), expr
// what values compare with (the column, or lower(column)); byteOrder
// compares bounds COLLATE "C"; fold matches every pattern with ILIKE.
// Empty strings and NULL are one value, as in StringFilter.Match: "" in a
// list is left out, Null matches legacy empty strings too, and the other
// operators never match either.
func (c *conds) str(column, expr string, byteOrder, fold bool, f store.StringFilter) {
	if f.In != nil || f.Null {
		var alts []string
		if f.Null {
			alts = append(alts, column+" IS NULL", column+" = ''")
		}
		if values := nonEmpty(f.In); len(values) > 0 {
			alts = append(alts, c.q.match(expr, values))
		}
		c.anyOf(alts)
	}
	if !f.HasOperators() {
		return
	}
	c.add(column + " <> ''")
	switch values := nonEmpty(f.NotIn); len(values) {
	case 0:
	case 1:
		c.add(expr + " <> " + c.q.arg(values[0]))
	default:
		c.add(expr + " <> ALL(" + c.q.arg(values) + ")")
	}
	for _, p := range []struct {
		op      string
		pattern *string
	}{{"LIKE", f.Like}, {"ILIKE", f.ILike}} {
		if p.pattern == nil {
			continue
		}
		op := p.op
		if fold {
			op = "ILIKE"
		}
		c.q.searched = true
		c.add(column + " " + op + " " + c.q.arg(*p.pattern))
	}
	cmp := expr
	if byteOrder {
		cmp += ` COLLATE "C"`
	}
	for _, b := range []struct {
		op    string
		bound *string
	}{{" > ", f.Gt}, {" >= ", f.Gte}, {" < ", f.Lt}, {" <= ", f.Lte}} {
		if b.bound != nil {
			c.add(cmp + b.op + c.q.arg(*b.bound))
		}
	}
}

// nonEmpty returns values without "" (which stands for NULL).
func nonEmpty(values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// times applies a store.TimeFilter to a timestamp column; on a nullable
// one, no operator matches NULL.
func (c *conds) times(col string, f store.TimeFilter, nullable bool) {
	if f.IsZero() {
		return
	}
	cc := c.t.col(col)
	if nullable {
		c.add(cc + " IS NOT NULL")
	}
	for _, b := range []struct {
		op    string
		bound time.Time
	}{{" > ", f.Gt}, {" >= ", f.Gte}, {" < ", f.Lt}, {" <= ", f.Lte}} {
		if !b.bound.IsZero() {
			c.add(cc + b.op + c.q.arg(b.bound))
		}
	}
	switch {
	case f.In == nil:
	case len(f.In) == 0:
		c.add("FALSE")
	default:
		c.add(cc + " = ANY(" + c.q.arg(f.In) + ")")
	}
	if len(f.NotIn) > 0 {
		c.add(cc + " <> ALL(" + c.q.arg(f.NotIn) + ")")
	}
}

// memberOf keeps the rows with a live membership (customer_group_customer)
// whose column self is the row's id and whose column other is one of ids:
// a nil list does not filter, an empty one matches nothing.
func (c *conds) memberOf(self, other string, ids []string) {
	switch {
	case ids == nil:
	case len(ids) == 0:
		c.add("FALSE")
	default:
		c.add("EXISTS (SELECT 1 FROM customer_group_customer AS cgc WHERE cgc." + self + " = " + c.t.col("id") +
			" AND cgc." + other + " = ANY(" + c.q.arg(ids) + ") AND cgc.deleted_at IS NULL)")
	}
}

// related keeps the rows with a live membership whose column self is the
// row's id and whose column other is the id of a row of t for which the
// conditions build makes hold; live keeps to t's live rows.
func (c *conds) related(self, other string, t *table, live bool, build func(r *conds)) {
	r := c.on(t)
	if live {
		r.add(t.col("deleted_at") + " IS NULL")
	}
	build(r)
	c.add("EXISTS (SELECT 1 FROM customer_group_customer AS cgc JOIN " + t.name + " AS " + t.alias +
		" ON " + t.col("id") + " = cgc." + other + " WHERE cgc." + self + " = " + c.t.col("id") +
		" AND cgc.deleted_at IS NULL AND " + r.all() + ")")
}

// stamps applies the filters of the created_at, updated_at and deleted_at
// columns.
func (c *conds) stamps(created, updated, deleted store.TimeFilter) {
	c.times("created_at", created, false)
	c.times("updated_at", updated, false)
	c.times("deleted_at", deleted, true)
}

// subs adds the sub-filters of a filter, each built by build: those of and
// on this level, those of or as alternatives, each on a level of its own
// (nothing when or is nil, FALSE when it is empty).
func subs[F any](c *conds, and, or []F, build func(c *conds, f F)) {
	for _, f := range and {
		build(c, f)
	}
	if or == nil {
		return
	}
	alts := make([]string, len(or))
	for i, f := range or {
		sub := c.on(c.t)
		build(sub, f)
		alts[i] = sub.all()
	}
	c.anyOf(alts)
}

// customerConds adds the conditions of f but Q (which query.search adds)
// on table customer.
func customerConds(c *conds, f customer.Filter) {
	c.in("id", f.IDs)
	c.text("id", f.ID)
	if f.Emails != nil {
		// Served by the lower(email) index. The service stores emails
		// lower-cased; Medusa's rows may not be.
		lower := make([]string, len(f.Emails))
		for i, e := range f.Emails {
			lower[i] = strings.ToLower(e)
		}
		c.inExpr("lower("+c.t.col("email")+")", lower)
	}
	c.textFold("email", f.Email)
	c.is("has_account", f.HasAccount)
	// A membership counts while its pivot row is live, whatever the
	// group's own state, as in Medusa.
	c.memberOf("customer_id", "customer_group_id", f.GroupIDs)
	if gf := f.Groups; gf != nil {
		c.related("customer_id", "customer_group_id", groupTable, gf.DeletedAt.IsZero(), func(g *conds) {
			g.text("id", gf.ID)
			g.text("name", gf.Name)
			g.stamps(gf.CreatedAt, gf.UpdatedAt, gf.DeletedAt)
		})
	}
	c.text("company_name", f.CompanyName)
	c.text("first_name", f.FirstName)
	c.text("last_name", f.LastName)
	c.text("phone", f.Phone)
	c.text("created_by", f.CreatedBy)
	c.stamps(f.CreatedAt, f.UpdatedAt, f.DeletedAt)
	subs(c, f.And, f.Or, customerConds)
}

// groupConds adds the conditions of f but Q on table customer_group.
func groupConds(c *conds, f group.Filter) {
	c.in("id", f.IDs)
	c.in("name", f.Names)
	c.text("name", f.Name)
	c.memberOf("customer_group_id", "customer_id", f.CustomerIDs)
	if cf := f.Customers; cf != nil {
		c.related("customer_group_id", "customer_id", customerTable, cf.DeletedAt.IsZero(), func(m *conds) {
			m.text("id", cf.ID)
			m.textFold("email", cf.Email)
			m.text("company_name", cf.CompanyName)
			m.text("first_name", cf.FirstName)
			m.text("last_name", cf.LastName)
			m.text("created_by", cf.CreatedBy)
			m.stamps(cf.CreatedAt, cf.UpdatedAt, cf.DeletedAt)
		})
	}
	c.text("created_by", f.CreatedBy)
	c.stamps(f.CreatedAt, f.UpdatedAt, f.DeletedAt)
	subs(c, f.And, f.Or, groupConds)
}

// addressConds adds the conditions of f but Q on table customer_address.
func addressConds(c *conds, f address.Filter) {
	c.in("id", f.IDs)
	c.in("customer_id", f.CustomerIDs)
	c.in("country_code", f.CountryCodes)
	c.is("is_default_shipping", f.IsDefaultShipping)
	c.is("is_default_billing", f.IsDefaultBilling)
	c.text("company", f.Company)
	c.text("first_name", f.FirstName)
	c.text("last_name", f.LastName)
	c.text("address_1", f.Address1)
	c.text("address_2", f.Address2)
	c.text("city", f.City)
	c.text("province", f.Province)
	c.text("postal_code", f.PostalCode)
	c.text("phone", f.Phone)
	c.times("deleted_at", f.DeletedAt, true)
	subs(c, f.And, f.Or, addressConds)
}
