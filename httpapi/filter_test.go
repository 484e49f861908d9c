package httpapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// filterEnv is an admin and a few customers, groups and addresses to
// filter.
type filterEnv struct {
	*env
	admin            string
	ann, bob, carl   string // customer ids, in id order
	gone             string // a deleted customer
	annAt            string // ann's created_at as the API answers it
	vip, gold, other string // group ids; gold is deleted
}

func newFilterEnv(t *testing.T) *filterEnv {
	e := &filterEnv{env: newEnv(t)}
	e.admin = e.env.admin()
	mk := func(body string) (string, string) {
		r := e.do("POST", "/admin/customers", body, e.admin)
		r.want(t, 200, "", "")
		return r.obj("customer")["id"].(string), r.obj("customer")["created_at"].(string)
	}
	e.ann, e.annAt = mk(`{"email":"ann@example.com","first_name":"Ann","last_name":"Lee","company_name":"Acme, Inc."}`)
	e.bob, _ = mk(`{"email":"bob@shop.org","first_name":"Bob","last_name":"Lee","company_name":"Acme"}`)
	e.carl, _ = mk(`{"email":"carl@example.com","first_name":"Carl"}`)
	e.gone, _ = mk(`{"email":"gone@example.com","first_name":"Gone"}`)
	e.do("DELETE", "/admin/customers/"+e.gone, "", e.admin).want(t, 200, "", "")
	group := func(name string, members ...string) string {
		r := e.do("POST", "/admin/customer-groups", `{"name":"`+name+`"}`, e.admin)
		r.want(t, 200, "", "")
		id := r.obj("customer_group")["id"].(string)
		if len(members) > 0 {
			e.do("POST", "/admin/customer-groups/"+id+"/customers", `{"add":["`+strings.Join(members, `","`)+`"]}`, e.admin).want(t, 200, "", "")
		}
		return id
	}
	e.vip = group("VIP", e.ann)
	e.gold = group("Gold", e.bob)
	e.other = group("vip-2", e.bob, e.carl)
	e.do("DELETE", "/admin/customer-groups/"+e.gold, "", e.admin).want(t, 200, "", "")
	return e
}

// list answers the ids a list route gives for query, sorted.
func (e *filterEnv) list(path, key, query string) []string {
	e.t.Helper()
	r := e.do("GET", path+"?"+query, "", e.admin)
	if r.status != 200 {
		e.t.Fatalf("%s?%s: %d %s", path, query, r.status, r.raw)
	}
	items, _ := r.body[key].([]any)
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	if r.body["count"] != float64(len(out)) {
		e.t.Fatalf("%s?%s: count %v, %d rows", path, query, r.body["count"], len(out))
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := append([]string{}, ids...)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func TestAdminCustomerOperators(t *testing.T) {
	e := newFilterEnv(t)
	in := func(ids ...string) string {
		var parts []string
		for i, id := range ids {
			parts = append(parts, fmt.Sprintf("id[$in][%d]=%s", i, id))
		}
		return strings.Join(parts, "&")
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{in(e.ann, e.carl), sorted(e.ann, e.carl)},
		{"id[$in][]=nomatch", sorted()},
		{"id[$in][]=" + e.ann + "," + e.bob, sorted()}, // only top-level lists split at commas, as in Medusa
		{"id[$nin][0]=" + e.ann, sorted(e.bob, e.carl)},
		{"id[$eq]=" + e.bob, sorted(e.bob)},
		{"id[$eq][0]=" + e.bob + "&id[$in][0]=" + e.bob + "&id[$in][1]=" + e.ann, sorted(e.bob)},
		{"id[$ne]=" + e.bob, sorted(e.ann, e.carl)},
		{"id[$ne][0]=" + e.bob + "&id[$ne][1]=" + e.ann, sorted(e.carl)},
		{"id[$like]=cus%25", sorted(e.ann, e.bob, e.carl)},
		{"id[$like]=" + e.ann, sorted(e.ann)},
		{"id[$ilike]=" + strings.ToLower(e.carl), sorted(e.carl)},
		{"id[$gt]=" + e.ann, sorted(e.bob, e.carl)},
		{"id[$gte]=" + e.bob, sorted(e.bob, e.carl)},
		{"id[$lt]=" + e.bob, sorted(e.ann)},
		{"id[$lte]=" + e.bob, sorted(e.ann, e.bob)},
		{"id[$gt]=" + e.ann + "&id[$lt]=" + e.carl, sorted(e.bob)},
		{"id=" + e.ann, sorted(e.ann)},
		{"id[]=" + e.ann + "&id[]=" + e.carl, sorted(e.ann, e.carl)},
		{"id=" + e.ann + "," + e.carl, sorted()}, // one id with a comma, as in Medusa
		{"email=ANN@example.com", sorted(e.ann)},
		{"email=", sorted()},
		{"company_name=Acme,%20Inc.", sorted(e.ann)},
		{"company_name[]=Acme,%20Inc.", sorted(e.bob)}, // split at the comma: "Acme" and " Inc."
		{"first_name[0]=Ann&first_name[1]=Carl", sorted(e.ann, e.carl)},
		{"last_name=Lee&has_account=false", sorted(e.ann, e.bob)},
		{"has_account=TRUE", sorted()},
		{"created_by=user_1", sorted(e.ann, e.bob, e.carl)},
		{"groups=" + e.vip, sorted(e.ann)},
		{"groups[]=" + e.vip + "&groups[]=" + e.other, sorted(e.ann, e.bob, e.carl)},
		{"groups[name]=VIP", sorted(e.ann)},
		{"groups.name=VIP", sorted(e.ann)},
		{"groups[name][0]=VIP&groups[name][1]=vip-2", sorted(e.ann, e.bob, e.carl)},
		{"groups[id]=" + e.other, sorted(e.bob, e.carl)},
		{"groups[name]=Gold", sorted()},
		{"groups[name]=Gold&groups[deleted_at][$gte]=2000-01-01", sorted(e.bob)},
		{"groups[created_at][$gte]=2000-01-01", sorted(e.ann, e.bob, e.carl)},
		{"groups[created_at][$lt]=2000-01-01", sorted()},
		{"created_at[$gte]=2000-01-01", sorted(e.ann, e.bob, e.carl)},
		{"created_at[$lt]=2000-01-01T00:00:00Z", sorted()},
		{"created_at[$gt]=" + url.QueryEscape(e.annAt), sorted(e.bob, e.carl)},
		{"created_at[$lte]=" + url.QueryEscape(e.annAt), sorted(e.ann)},
		{"created_at[$eq]=" + url.QueryEscape(e.annAt), sorted(e.ann)},
		{"created_at=" + url.QueryEscape(e.annAt), sorted(e.ann)},
		{"created_at[$in][0]=" + url.QueryEscape(e.annAt), sorted(e.ann)},
		{"created_at[$ne]=" + url.QueryEscape(e.annAt), sorted(e.bob, e.carl)},
		{"created_at[$nin][0]=" + url.QueryEscape(e.annAt), sorted(e.bob, e.carl)},
		{"updated_at[$gte]=2000-01-01T00:00:00", sorted(e.ann, e.bob, e.carl)},
		{"deleted_at[$gte]=2000-01-01", sorted(e.gone)},
		{"deleted_at[$lt]=2000-01-01", sorted()},
		{"$or[0][email]=ann@example.com&$or[1][first_name]=Carl", sorted(e.ann, e.carl)},
		{"%24or%5B0%5D%5Bid%5D%5B%24eq%5D=" + e.bob + "&%24or%5B1%5D%5Bgroups%5D%5Bname%5D=VIP", sorted(e.ann, e.bob)},
		{"$and[0][last_name]=Lee&$and[1][id][$ne]=" + e.ann, sorted(e.bob)},
		{"$or[0][deleted_at][$gte]=2000-01-01&$or[1][first_name]=Ann", sorted(e.ann, e.gone)},
		{"q=lee&$or[0][first_name]=Bob&$or[1][first_name]=Carl", sorted(e.bob)},
	} {
		if got := e.list("/admin/customers", "customers", tc.query); !cmp.Equal(tc.want, got) {
			t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestAdminCustomerFiltersRefused(t *testing.T) {
	e := newFilterEnv(t)
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("id[$in][%d]=x", i)
	}
	for _, tc := range []struct{ query, msg string }{
		// What the real server refused (shared/reference/medusa-2.21-http-observed.md).
		{"email[$ilike]=nomatch", "Invalid request: Expected type: 'string, array' for field 'email', got: '[object Object]'"},
		{"email[$eq]=ann@example.com", "Invalid request: Expected type: 'string, array' for field 'email', got: '[object Object]'"},
		{"first_name[$like]=A%25", "Invalid request: Expected type: 'string, array' for field 'first_name', got: '[object Object]'"},
		{"groups[name][$ilike]=v%25", "Invalid request: Expected type: 'string, array' for field 'groups, name', got: '[object Object]'"},
		{"id[$in]=nomatch", "Invalid request: Expected type: 'array' for field 'id, $in', got: 'nomatch'"},
		{"id[$nin]=x", "Invalid request: Expected type: 'array' for field 'id, $nin', got: 'x'"},
		{"id[$like][]=x&id[$like][]=y", "Invalid request: Expected type: 'string' for field 'id, $like', got: 'x,y'"},
		{"id[$gt][a]=x", "Invalid request: Expected type: 'string' for field 'id, $gt', got: '[object Object]'"},
		{"id[$eq][a]=x", "Invalid request: Expected type: 'string, array' for field 'id, $eq', got: '[object Object]'"},
		{"id[$re]=x", "Invalid request: Operator '$re' is not supported for field 'id'"},
		{"id[$contains]=x", "Invalid request: Operator '$contains' is not supported for field 'id'"},
		{"id[$foo]=x", "Invalid request: Unrecognized fields: 'id[$foo]'"},
		{"id[$like]=a%5C", `invalid id: pattern must not end with the escape character \`},
		{"id[$like]=" + strings.Repeat("a", 257), "invalid id: pattern must be at most 256 bytes long, got 257"},
		{strings.Join(many, "&"), "Invalid request: a query may hold at most 1000 values, got 1001"},
		{"id[]=" + strings.Repeat("x,", 1000), "Invalid request: a query may hold at most 1000 values, got 1001"},
		{"created_at[$like]=2020%25", "Invalid request: Operator '$like' is not supported for field 'created_at'"},
		{"created_at[$ilike]=x", "Invalid request: Operator '$ilike' is not supported for field 'created_at'"},
		{"created_at[$gt]=yesterday", "Invalid request: Expected type: 'date' for field 'created_at, $gt', got: 'yesterday'"},
		{"created_at[$in][0]=2020-01-01&created_at[$in][1]=nope", "Invalid request: Expected type: 'date' for field 'created_at, $in', got: '2020-01-01,nope'"},
		{"created_at=soon", "Invalid request: Expected type: 'date' for field 'created_at', got: 'soon'"},
		{"deleted_at[$gte]=", "Invalid request: Expected type: 'date' for field 'deleted_at, $gte', got: ''"},
		{"has_account=", "Invalid request: Expected type: 'boolean' for field 'has_account', got: ''"},
		{"has_account=yes", "Invalid request: Expected type: 'boolean' for field 'has_account', got: 'yes'"},
		{"q[]=x", "Invalid request: Expected type: 'string' for field 'q', got: 'x'"},
		{"groups[foo]=x", "Invalid request: Unrecognized fields: 'groups[foo]'"},
		{"groups[name]=x&groups[id][$in][0]=y", "Invalid request: Expected type: 'string, array' for field 'groups, id', got: '[object Object]'"},
		{"foo=1&bar[baz]=2", "Invalid request: Unrecognized fields: 'bar, foo'"},
		{"$or=x", "Invalid request: Expected type: 'array' for field '$or', got: 'x'"},
		{"$or[0]=x", "Invalid request: Expected type: 'object' for field '$or, 0', got: 'x'"},
		{"$or[0][foo]=x", "Invalid request: Unrecognized fields: '$or[0][foo]'"},
		{"$or[0][$or][0][id]=x", "Invalid request: Unrecognized fields: '$or[0][$or]'"},
		{"$and[0][limit]=1", "Invalid request: Unrecognized fields: '$and[0][limit]'"},
		{"$or[0][email][$ilike]=x", "Invalid request: Expected type: 'string, array' for field '$or, 0, email', got: '[object Object]'"},
		{"$or[0][q]=x", "invalid or[0].q: is allowed only at the top level of a filter, not in and or or"},
		{"a.b.c=1", "Invalid request: Key accessor more than 2 levels deep: a.b.c"},
		{"groups=x&groups.name=y", "Invalid request: Field 'groups' is given both as a value and with keys"},
		{"email[$ilike]=x&first_name[$like]=y&last_name[$eq]=z&company_name[$ne]=w",
			"Invalid request: Expected type: 'string, array' for field 'email', got: '[object Object]'; " +
				"Expected type: 'string, array' for field 'company_name', got: '[object Object]'; " +
				"Expected type: 'string, array' for field 'first_name', got: '[object Object]'"},
	} {
		e.do("GET", "/admin/customers?"+tc.query, "", e.admin).want(t, 400, "invalid_data", tc.msg)
	}
	// A list of more than 21 indexed values (which qs makes an object) is
	// still a list.
	var ids []string
	for i := range 25 {
		ids = append(ids, fmt.Sprintf("id[%d]=x%d", i, i))
	}
	ids = append(ids, "id[25]="+e.carl)
	if got := e.list("/admin/customers", "customers", strings.Join(ids, "&")); !cmp.Equal(sorted(e.carl), got) {
		t.Errorf("25 indexed ids: %v", got)
	}
}

func TestAdminGroupOperators(t *testing.T) {
	e := newFilterEnv(t)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"customers[email][$ilike]=%25example%25", sorted(e.vip, e.other)},
		{"customers[email][$like]=%25SHOP%25", sorted(e.other)},
		{"customers[email][$eq]=ANN@example.com", sorted(e.vip)},
		{"customers[email][$in][0]=carl@example.com", sorted(e.other)},
		{"customers[email][$nin][0]=bob@shop.org", sorted(e.vip, e.other)},
		{"customers[email][$ne]=bob@shop.org&customers[email][$ne]=carl@example.com", sorted(e.vip)},
		{"customers[email][$gt]=b&customers[email][$lt]=c", sorted(e.other)},
		{"customers[email][$gte]=carl@example.com&customers[email][$lte]=carl@example.com", sorted(e.other)},
		{"customers[email]=bob@shop.org", sorted(e.other)},
		{"customers[email]=bob@shop.org&with_deleted=true", sorted(e.gold, e.other)},
		{"customers[first_name]=Ann", sorted(e.vip)},
		{"customers[last_name][]=Lee", sorted(e.vip, e.other)},
		{"customers[company_name]=Acme", sorted(e.other)},
		{"customers[id]=" + e.carl, sorted(e.other)},
		{"customers[created_by]=user_1", sorted(e.vip, e.other)},
		{"customers[created_at][$lt]=2000-01-01", sorted()},
		{"customers[deleted_at][$gte]=2000-01-01", sorted()},
		{"customers=" + e.ann, sorted(e.vip)},
		{"name=VIP", sorted(e.vip)},
		{"name[]=VIP&name[]=vip-2", sorted(e.vip, e.other)},
		{"id=" + e.other, sorted(e.other)},
		{"q=vip", sorted(e.vip, e.other)},
		{"deleted_at[$gte]=2000-01-01", sorted(e.gold)},
		{"created_at[$gte]=2000-01-01&created_by=user_1", sorted(e.vip, e.other)},
		{"updated_at[$lt]=2000-01-01", sorted()},
		{"$or[0][name]=VIP&$or[1][customers][email][$ilike]=%25shop%25", sorted(e.vip, e.other)},
		{"$and[0][q]=", sorted(e.vip, e.other)},
	} {
		if got := e.list("/admin/customer-groups", "customer_groups", tc.query); !cmp.Equal(tc.want, got) {
			t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
	for _, tc := range []struct{ query, msg string }{
		{"name[$ilike]=v%25", "Invalid request: Expected type: 'string, array' for field 'name', got: '[object Object]'"},
		{"id[$in][0]=x", "Invalid request: Expected type: 'string, array' for field 'id', got: '[object Object]'"},
		{"customers[default_billing_address_id]=x", "Invalid request: Field 'customers, default_billing_address_id' is not supported"},
		{"customers[default_shipping_address_id]=x", "Invalid request: Field 'customers, default_shipping_address_id' is not supported"},
		{"customers[email][$re]=x", "Invalid request: Operator '$re' is not supported for field 'customers, email'"},
		{"customers[first_name][$like]=x", "Invalid request: Expected type: 'string, array' for field 'customers, first_name', got: '[object Object]'"},
		{"customers[phone]=x", "Invalid request: Unrecognized fields: 'customers[phone]'"},
		{"customers[email][$like]=x%5C", `invalid customers.email: pattern must not end with the escape character \`},
		{"groups=x", "Invalid request: Unrecognized fields: 'groups'"},
	} {
		e.do("GET", "/admin/customer-groups?"+tc.query, "", e.admin).want(t, 400, "invalid_data", tc.msg)
	}
}

func TestAddressFilters(t *testing.T) {
	e := newFilterEnv(t)
	tok, id := e.customer("ada@example.com")
	for _, body := range []string{
		`{"company":"Acme","city":"Paris","country_code":"fr","province":"IDF","postal_code":"75001","first_name":"Ada"}`,
		`{"city":"Lyon","country_code":"fr","postal_code":"69001"}`,
	} {
		e.do("POST", "/store/customers/me/addresses", body, tok).want(t, 200, "", "")
	}
	count := func(path, query, token string) float64 {
		t.Helper()
		r := e.do("GET", path+"?"+query, "", token)
		r.want(t, 200, "", "")
		return r.body["count"].(float64)
	}
	admin := "/admin/customers/" + id + "/addresses"
	for query, want := range map[string]float64{
		"city=Paris": 1, "city[]=Paris,Lyon": 2, "city=Paris,Lyon": 0, "city=": 0,
		"country_code=FR": 2, "postal_code[0]=69001": 1, "q=paris": 1,
		"company=Acme": 1, "province=IDF": 1, "province=Nowhere": 0, "with_deleted=true": 2,
	} {
		if got := count(admin, query, e.admin); got != want {
			t.Errorf("admin %s: %v, want %v", query, got, want)
		}
	}
	for query, want := range map[string]float64{"city=Lyon": 1, "country_code[]=fr": 2, "postal_code=75001": 1, "q=lyon": 1} {
		if got := count("/store/customers/me/addresses", query, tok); got != want {
			t.Errorf("store %s: %v, want %v", query, got, want)
		}
	}
	for _, tc := range []struct{ path, query, token, msg string }{
		{admin, "city[$ilike]=p%25", e.admin, "Invalid request: Expected type: 'string, array' for field 'city', got: '[object Object]'"},
		{admin, "first_name=Ada", e.admin, "Invalid request: Unrecognized fields: 'first_name'"},
		{admin, "$or[0][city]=Paris", e.admin, "Invalid request: Unrecognized fields: '$or'"},
		{"/store/customers/me/addresses", "company=Acme", tok, "Invalid request: Unrecognized fields: 'company'"},
		{"/store/customers/me/addresses", "province=IDF&address_1=x", tok, "Invalid request: Unrecognized fields: 'address_1, province'"},
		{"/store/customers/me/addresses", "with_deleted=true", tok, "Invalid request: Unrecognized fields: 'with_deleted'"},
		{"/store/customers/me/addresses", "postal_code[$eq]=1", tok, "Invalid request: Expected type: 'string, array' for field 'postal_code', got: '[object Object]'"},
	} {
		e.do("GET", tc.path+"?"+tc.query, "", tc.token).want(t, 400, "invalid_data", tc.msg)
	}
}
