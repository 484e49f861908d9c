package httpapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/store"
)

// TestListCursors walks GET /admin/customers with clientele's cursor
// extension forward and back, and checks that a request without it gets
// Medusa's shape only.
func TestListCursors(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	var want []string
	for i := range 5 {
		r := e.do("POST", "/admin/customers", fmt.Sprintf(`{"email":"c%d@example.com","last_name":%q}`, i, []string{"B", "A", ""}[i%3]), admin)
		r.want(t, 200, "", "")
		want = append(want, r.obj("customer")["id"].(string))
	}
	list := func(query string) resp {
		t.Helper()
		r := e.do("GET", "/admin/customers?"+query, "", admin)
		r.want(t, 200, "", "")
		return r
	}
	idsOf := func(r resp) []string {
		var out []string
		for _, c := range r.body["customers"].([]any) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		return out
	}

	// Medusa's shape, without the extension.
	r := list("limit=2&order=-last_name")
	keys := make([]string, 0, len(r.body))
	for k := range r.body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"count", "customers", "limit", "offset"}) {
		t.Fatalf("keys %v", keys)
	}
	// By last_name descending: NULL first, then B, then A; ties by id.
	all := idsOf(list("order=-last_name"))
	if want := []string{want[2], want[0], want[3], want[1], want[4]}; !slices.Equal(all, want) {
		t.Fatalf("order %v, want %v", all, want)
	}
	var got []string
	query := "limit=2&order=-last_name&after="
	for range 5 {
		r := list(query)
		got = append(got, idsOf(r)...)
		if r.body["count"] != float64(5) {
			t.Fatalf("count %v", r.body["count"])
		}
		next, ok := r.body["next_cursor"].(string)
		if !ok {
			if _, there := r.body["next_cursor"]; !there {
				t.Fatal("no next_cursor field")
			}
			break
		}
		query = "limit=2&order=-last_name&after=" + url.QueryEscape(next)
	}
	if !slices.Equal(all, got) {
		t.Fatalf("forward %v, want %v", got, all)
	}
	// Back from the last page.
	last := list("limit=2&order=-last_name&after=" + url.QueryEscape(list("limit=3&order=-last_name&after=").str("next_cursor")))
	if !slices.Equal(all[3:], idsOf(last)) || last.body["next_cursor"] != nil {
		t.Fatalf("last page %v, next %v", idsOf(last), last.body["next_cursor"])
	}
	prev := list("limit=2&order=-last_name&before=" + url.QueryEscape(last.str("prev_cursor")))
	if !slices.Equal(all[1:3], idsOf(prev)) {
		t.Fatalf("page before %v, want %v", idsOf(prev), all[1:3])
	}

	for _, tc := range []struct{ name, query, msg string }{
		{"both", "after=&before=x", "Invalid request: after and before cannot be used together"},
		{"offset", "after=&offset=2", "Invalid request: offset must be 0 with after or before"},
		{"empty before", "before=", "Invalid request: before must be a cursor"},
		{"malformed", "after=%21%21", "invalid after: not a cursor of this list"},
		{"other order", "order=email&after=" + url.QueryEscape(last.str("prev_cursor")), "invalid after: the cursor was made for another order"},
		{"count mode", "count_mode=roughly", "Invalid request: count_mode must be exact, estimated or capped, got: 'roughly'"},
		{"count cap", "count_mode=capped&count_cap=0", "Invalid request: count_cap must be a number from 1 to 1073741824, got: '0'"},
		{"count cap alone", "count_cap=5", "Invalid request: count_cap is only for count_mode=capped"},
	} {
		r := e.do("GET", "/admin/customers?"+tc.query, "", admin)
		r.want(t, 400, "invalid_data", tc.msg)
	}
}

// TestListCountModes checks count_mode over HTTP and the handler's
// default.
func TestListCountModes(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.ListCount, c.ListCountCap = store.CountCapped, 2 })
	admin := e.admin()
	for i := range 3 {
		e.do("POST", "/admin/customers", fmt.Sprintf(`{"email":"n%d@example.com"}`, i), admin).want(t, 200, "", "")
	}
	for _, tc := range []struct {
		query string
		count float64
		mode  any
	}{
		{"", 2, "capped"}, // the handler's default
		{"count_mode=capped&count_cap=3", 3, "exact"}, // not hit
		{"count_mode=estimated", 3, "exact"},          // the memory store counts
		{"count_mode=exact", 3, nil},                  // Medusa's shape
	} {
		r := e.do("GET", "/admin/customers?limit=1&"+tc.query, "", admin)
		r.want(t, 200, "", "")
		if r.body["count"] != tc.count || r.body["count_mode"] != tc.mode {
			t.Errorf("%q: count %v mode %v, want %v %v", tc.query, r.body["count"], r.body["count_mode"], tc.count, tc.mode)
		}
		if len(r.body["customers"].([]any)) != 1 {
			t.Errorf("%q: %d customers", tc.query, len(r.body["customers"].([]any)))
		}
	}
	// Groups share the parameters; their count is exact.
	e.do("POST", "/admin/customer-groups", `{"name":"g"}`, admin).want(t, 200, "", "")
	r := e.do("GET", "/admin/customer-groups?after=", "", admin)
	r.want(t, 200, "", "")
	if r.body["count_mode"] != "exact" || r.body["next_cursor"] != nil {
		t.Errorf("groups: %s", r.raw)
	}
	if _, err := httpapi.New(httpapi.Config{ListCount: 9}); err == nil || !strings.Contains(err.Error(), "ListCount") {
		t.Errorf("New with a ListCount that is no mode: %v", err)
	}
}
