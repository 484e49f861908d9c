package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/clientele/clientele/customer"
)

// fuzzFields is a body schema with a field of every kind.
var fuzzFields = []field{
	{name: "email", kind: kString, email: true},
	{name: "password", kind: kString, required: true},
	{name: "first_name", kind: kString},
	{name: "company_name", kind: kString, notNull: true},
	{name: "has_account", kind: kBool},
	{name: "metadata", kind: kRecord},
	{name: "tags", kind: kStrings},
	{name: "extra", kind: kAny},
}

// fuzzDecode runs the strict decoder on data as a JSON request body.
func fuzzDecode(data []byte) (body, error) {
	a := &API{maxBody: 1 << 16}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(data)))
	r.Header.Set("Content-Type", "application/json")
	return a.decode(httptest.NewRecorder(), r, fuzzFields...)
}

// checkFuzzError requires a client error with a public message.
func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status < 400 || ae.Status > 499 || ae.Message == "" {
		t.Fatalf("error %#v is not a client error with a message", err)
	}
}

// FuzzDecodeBody fuzzes the strict JSON body decoder. Properties: it is
// deterministic; a failure is a 4xx with a message; an accepted body holds
// only known fields, every required one, each of its kind; and it
// re-encodes to JSON that decodes to a body encoding the same way.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"password":"pw","email":"a@b.co","first_name":null,"metadata":{"n":1e2,"big":12345678901234567890,"f":1.5,"l":[1,{"x":null}]},"tags":["a","b"],"has_account":true,"extra":[1,"x"]}`,
		`{"password":"pw","company_name":null}`,
		`{"password":1}`,
		`{"email":"nope"}`,
		`{"password":"pw","tags":["a",1],"zzz":1,"aaa":2}`,
		`{"password":"pw"} {}`,
		`{"password":"pw","metadata":{"a\u0000":1}}`,
		`[1]`,
		`null`,
		"",
		"\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := fuzzDecode(data)
		b2, err2 := fuzzDecode(data)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || !reflect.DeepEqual(b, b2) {
			t.Fatalf("decode is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		for k, v := range b {
			i := slices.IndexFunc(fuzzFields, func(f field) bool { return f.name == k })
			if i < 0 {
				t.Fatalf("unknown field %q accepted", k)
			}
			ok := true
			switch f := fuzzFields[i]; f.kind {
			case kString:
				_, isStr := v.(string)
				ok = isStr || (v == nil && !f.required && !f.notNull)
			case kBool:
				_, ok = v.(bool)
			case kRecord:
				_, isMap := v.(map[string]any)
				ok = isMap || v == nil
			case kStrings:
				_, ok = v.([]string)
			}
			if !ok {
				t.Fatalf("field %q holds %T", k, v)
			}
		}
		if !b.has("password") {
			t.Fatal("a body without its required field was accepted")
		}
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("an accepted body does not re-encode: %v", err)
		}
		b3, err := fuzzDecode(enc)
		if err != nil {
			t.Fatalf("the re-encoded body %s is refused: %v", enc, err)
		}
		if enc3, _ := json.Marshal(b3); string(enc3) != string(enc) {
			t.Fatalf("body re-encodes as %s, then as %s", enc, enc3)
		}
	})
}

// FuzzQuery fuzzes the query of a list route: filters and operators
// (readFilter, both list schemas), paging (offset, limit, order) and the
// fields parameter. Properties: each parser is deterministic; a failure
// is a 4xx with a message; accepted paging has non-negative offset and
// limit and only sortable order fields; a fields parameter that
// checkInput lets through selects at most MaxFields names beyond the
// defaults and id, with no name twice, and only relations the route has.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"",
		"q=x&id[$in][0]=a&id[$in][1]=b&email[]=a@b.co,c@d.co&offset=10&limit=20&order=-email,created_at",
		"$or[0][email]=a&$or[1][first_name][$ilike]=%25x%25&groups[id][]=g1",
		"created_at[$gte]=2024-01-01T00:00:00Z&created_at[$lt]=2025-01-01&deleted_at[$eq]=null",
		"has_account=true&with_deleted=false&fields=+email,-first_name,*groups,groups.name",
		"fields=id,email,addresses.*,groups.customers.id,-addresses&order=nope",
		"id[$nin]=a&id[$ne]=b&email[$like]=x&a[b][c][d][e][f][g]=1",
		"limit=-1&offset=x",
		"fields=" + strings.Repeat("a,", MaxFields+1),
		"name[$eq]=vip&customers[id][$in]=c1",
	} {
		f.Add(s)
	}
	sameErr := func(a, b error) bool { return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error()) }
	f.Fuzz(func(t *testing.T, raw string) {
		cf, err := readFilter(raw, customerFilterSchema, pagingParams...)
		cf2, err2 := readFilter(raw, customerFilterSchema, pagingParams...)
		if !sameErr(err, err2) || !reflect.DeepEqual(cf, cf2) {
			t.Fatalf("customer filter is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			checkFuzzError(t, err)
		}
		gf, err := readFilter(raw, groupFilterSchema, pagingParams...)
		gf2, err2 := readFilter(raw, groupFilterSchema, pagingParams...)
		if !sameErr(err, err2) || !reflect.DeepEqual(gf, gf2) {
			t.Fatalf("group filter is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			checkFuzzError(t, err)
		}

		u := &url.URL{Path: "/admin/customers", RawQuery: raw}
		p, err := newQuery(u).paging(customer.Sortable)
		p2, err2 := newQuery(u).paging(customer.Sortable)
		if !sameErr(err, err2) || !reflect.DeepEqual(p, p2) {
			t.Fatalf("paging is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			checkFuzzError(t, err)
		} else {
			if p.offset < 0 || p.limit < 0 {
				t.Fatalf("paging offset %d limit %d", p.offset, p.limit)
			}
			for _, o := range p.order {
				if !customer.Sortable.Has(o.Field) {
					t.Fatalf("order field %q is not sortable", o.Field)
				}
			}
		}

		a := &API{maxBody: 1 << 20, maxLimit: 1000}
		if err := a.checkInput(&http.Request{URL: u}); err != nil {
			checkFuzzError(t, err)
			return
		}
		sel := parseFields(p.fields, adminCustomerFields, nil, customerRelations)
		if !reflect.DeepEqual(sel, parseFields(p.fields, adminCustomerFields, nil, customerRelations)) {
			t.Fatal("parseFields is not deterministic")
		}
		if len(sel.keys) == 0 || !slices.Contains(sel.keys, "id") {
			t.Fatalf("selection %v lacks id", sel.keys)
		}
		if len(sel.keys) > len(adminCustomerFields)+MaxFields+1 {
			t.Fatalf("%d names selected from at most %d", len(sel.keys), MaxFields)
		}
		if hasDup(sel.keys) {
			t.Fatalf("selection %v names a key twice", sel.keys)
		}
		var rels []string
		for _, r := range sel.rels {
			if !slices.Contains(customerRelations, r.name) {
				t.Fatalf("relation %q is not the route's", r.name)
			}
			if len(r.keys) > MaxFields || hasDup(r.keys) || (r.all && len(r.keys) > 0) {
				t.Fatalf("relation %q keys %v", r.name, r.keys)
			}
			rels = append(rels, r.name)
		}
		if hasDup(rels) {
			t.Fatalf("relations %v named twice", rels)
		}
	})
}

func hasDup(s []string) bool {
	c := slices.Clone(s)
	slices.Sort(c)
	return len(slices.Compact(c)) != len(s)
}
