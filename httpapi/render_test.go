package httpapi_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/clientele/clientele/httpapi"
)

// keysOf lists the keys of an object, sorted and comma-separated.
func keysOf(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ",")
}

// sortedKeys sorts a comma-separated key list as keysOf does.
func sortedKeys(list string) string {
	ks := strings.Split(list, ",")
	slices.Sort(ks)
	return strings.Join(ks, ",")
}

// wantNull checks that each key of m is present and null.
func wantNull(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		v, ok := m[k]
		if !ok || v != nil {
			t.Fatalf("%s: %s is %#v (present %v), want null; object %v", what, k, v, ok, m)
		}
	}
}

// wantJSON checks that v renders as the JSON want (compared as values).
func wantJSON(t *testing.T, what string, v any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v)
	wantB, _ := json.Marshal(w)
	if string(got) != string(wantB) {
		t.Fatalf("%s:\n got %s\nwant %s", what, got, wantB)
	}
}

// storeAccount registers email and opens its customer account with only
// the email, returning a customer token and the customer.
func (e *env) storeAccount(email string) (string, map[string]any) {
	e.t.Helper()
	reg := e.register("customer", email)
	r := e.do("POST", "/store/customers", `{"email":"`+email+`"}`, reg)
	r.want(e.t, 200, "", "")
	c := r.obj("customer")
	r = e.do("POST", "/auth/token/refresh", "", reg)
	r.want(e.t, 200, "", "")
	return r.str("token"), c
}

func firstAddress(t *testing.T, c map[string]any) map[string]any {
	t.Helper()
	as, _ := c["addresses"].([]any)
	if len(as) == 0 {
		t.Fatalf("no addresses: %v", c)
	}
	return as[0].(map[string]any)
}

const (
	storeCustomerKeys = "id,email,company_name,first_name,last_name,phone,metadata,has_account,deleted_at,created_at,updated_at,addresses"
	adminCustomerKeys = "id,company_name,first_name,last_name,email,phone,metadata,has_account,created_by,created_at,updated_at,deleted_at"
	allAddressKeys    = "id,address_name,is_default_shipping,is_default_billing,company,first_name,last_name,address_1,address_2,city,country_code,province,postal_code,phone,metadata,customer_id,created_at,updated_at,deleted_at"
	storeAddressKeys  = "id,address_name,company,customer_id,first_name,last_name,address_1,address_2,city,province,postal_code,country_code,phone,metadata,is_default_shipping,is_default_billing,created_at,updated_at"
	adminAddressKeys  = "id,address_name,company,customer_id,first_name,last_name,address_1,address_2,city,province,postal_code,country_code,phone,metadata,created_at,updated_at"
	groupKeys         = "id,name,metadata,created_by,created_at,updated_at,deleted_at"
)

// Unset text fields, metadata and deleted_at are null, as Medusa answers
// them; relations asked for are arrays ([] when empty), others absent.
func TestUnsetFieldsAreNull(t *testing.T) {
	eachStore(t, func(t *testing.T, st backend) {
		e := newEnvOn(t, st)
		admin := e.admin()
		tok, c := e.storeAccount("ada@example.com")
		if keysOf(c) != sortedKeys(storeCustomerKeys) {
			t.Fatalf("store customer keys %s", keysOf(c))
		}
		wantNull(t, "new customer", c, "company_name", "first_name", "last_name", "phone", "metadata", "deleted_at")
		wantJSON(t, "new customer addresses", c["addresses"], `[]`)
		me := e.do("GET", "/store/customers/me", "", tok)
		me.want(t, 200, "", "")
		wantNull(t, "me", me.obj("customer"), "company_name", "first_name", "last_name", "phone", "metadata", "deleted_at")

		r := e.do("POST", "/store/customers/me/addresses", `{"address_1":"1 Rue"}`, tok)
		r.want(t, 200, "", "")
		a := firstAddress(t, r.obj("customer"))
		if keysOf(a) != sortedKeys(allAddressKeys) {
			t.Fatalf("customer.addresses keys %s", keysOf(a))
		}
		nullAddress := []string{"address_name", "company", "first_name", "last_name", "address_2", "city", "country_code", "province", "postal_code", "phone", "metadata"}
		wantNull(t, "customer.addresses", a, append(nullAddress, "deleted_at")...)
		if a["address_1"] != "1 Rue" || a["is_default_shipping"] != false {
			t.Fatalf("address: %v", a)
		}
		aid := a["id"].(string)

		// The store's address routes answer every default field, address_name
		// included.
		r = e.do("GET", "/store/customers/me/addresses/"+aid, "", tok)
		r.want(t, 200, "", "")
		if got := keysOf(r.obj("address")); got != sortedKeys(storeAddressKeys) {
			t.Fatalf("store address keys %s", got)
		}
		wantNull(t, "store address", r.obj("address"), nullAddress...)
		r = e.do("GET", "/store/customers/me/addresses", "", tok)
		r.want(t, 200, "", "")
		if got := keysOf(r.body["addresses"].([]any)[0].(map[string]any)); got != sortedKeys(storeAddressKeys) {
			t.Fatalf("store address list keys %s", got)
		}
		id := c["id"].(string)
		r = e.do("GET", "/admin/customers/"+id+"/addresses/"+aid, "", admin)
		r.want(t, 200, "", "")
		if got := keysOf(r.obj("address")); got != sortedKeys(adminAddressKeys) {
			t.Fatalf("admin address keys %s", got)
		}
		wantNull(t, "admin address", r.obj("address"), nullAddress...)

		// A guest without an email; admin answers no relation by default.
		r = e.do("POST", "/admin/customers", `{"first_name":"Guest","phone":null}`, admin)
		r.want(t, 200, "", "")
		g := r.obj("customer")
		if keysOf(g) != sortedKeys(adminCustomerKeys) {
			t.Fatalf("admin customer keys %s", keysOf(g))
		}
		wantNull(t, "guest", g, "email", "company_name", "last_name", "phone", "metadata", "deleted_at")
		if g["created_by"] != "user_1" {
			t.Fatalf("created_by: %v", g)
		}
		r = e.do("GET", "/admin/customers/"+g["id"].(string)+"?fields=%2Baddresses.city,*groups", "", admin)
		r.want(t, 200, "", "")
		wantJSON(t, "guest relations", []any{r.obj("customer")["addresses"], r.obj("customer")["groups"]}, `[[],[]]`)
		r = e.do("GET", "/admin/customers?fields=id,*groups", "", admin)
		r.want(t, 200, "", "")
		for _, c := range r.body["customers"].([]any) {
			wantJSON(t, "list relations", c.(map[string]any)["groups"], `[]`)
		}

		r = e.do("POST", "/admin/customer-groups", `{"name":"vip"}`, admin)
		r.want(t, 200, "", "")
		grp := r.obj("customer_group")
		if keysOf(grp) != sortedKeys(groupKeys) {
			t.Fatalf("group keys %s", keysOf(grp))
		}
		wantNull(t, "group", grp, "metadata", "deleted_at")
		r = e.do("GET", "/admin/customer-groups/"+grp["id"].(string)+"?fields=*customers", "", admin)
		r.want(t, 200, "", "")
		wantJSON(t, "group customers", r.obj("customer_group")["customers"], `[]`)
	})
}

// null in an update body clears the field (text and metadata), as in
// Medusa; "" is stored as NULL too. A group's name cannot be null.
func TestNullClears(t *testing.T) {
	eachStore(t, func(t *testing.T, st backend) {
		e := newEnvOn(t, st)
		admin := e.admin()
		tok, c := e.storeAccount("ada@example.com")
		id := c["id"].(string)
		r := e.do("POST", "/store/customers/me", `{"first_name":"Ada","last_name":"Lovelace","phone":"+44 1","company_name":"Analytical","metadata":{"a":1}}`, tok)
		r.want(t, 200, "", "")
		r = e.do("POST", "/store/customers/me", `{"phone":null,"company_name":null,"metadata":null,"last_name":""}`, tok)
		r.want(t, 200, "", "")
		wantNull(t, "cleared me", r.obj("customer"), "phone", "company_name", "metadata", "last_name")
		if r.obj("customer")["first_name"] != "Ada" {
			t.Fatalf("first_name changed: %s", r.raw)
		}
		r = e.do("GET", "/store/customers/me", "", tok)
		wantNull(t, "me after clear", r.obj("customer"), "phone", "company_name", "metadata", "last_name")
		// An empty metadata object changes nothing.
		e.do("POST", "/store/customers/me", `{"metadata":{"b":2}}`, tok).want(t, 200, "", "")
		r = e.do("POST", "/store/customers/me", `{"metadata":{}}`, tok)
		wantJSON(t, "metadata {}", r.obj("customer")["metadata"], `{"b":2}`)

		r = e.do("POST", "/store/customers/me/addresses", `{"address_1":"1 Rue","city":"Paris","country_code":"fr","postal_code":"75001","metadata":{"door":"red"}}`, tok)
		r.want(t, 200, "", "")
		aid := firstAddress(t, r.obj("customer"))["id"].(string)
		r = e.do("POST", "/store/customers/me/addresses/"+aid, `{"address_1":null,"city":null,"metadata":null}`, tok)
		r.want(t, 200, "", "")
		a := firstAddress(t, r.obj("customer"))
		wantNull(t, "cleared address", a, "address_1", "city", "metadata")
		if a["country_code"] != "fr" {
			t.Fatalf("country_code changed: %v", a)
		}
		r = e.do("POST", "/admin/customers/"+id+"/addresses/"+aid, `{"country_code":null,"postal_code":null}`, admin)
		r.want(t, 200, "", "")
		r = e.do("GET", "/store/customers/me/addresses/"+aid, "", tok)
		wantNull(t, "admin-cleared address", r.obj("address"), "country_code", "postal_code")
		e.do("POST", "/store/customers/me/addresses/"+aid, `{"is_default_shipping":null}`, tok).want(t, 400, "invalid_data",
			"Invalid request: Expected type: 'boolean' for field 'is_default_shipping', got: 'null'")

		r = e.do("POST", "/admin/customers", `{"email":"guest@example.com","last_name":"Guest"}`, admin)
		r.want(t, 200, "", "")
		gid := r.obj("customer")["id"].(string)
		r = e.do("POST", "/admin/customers/"+gid, `{"email":null,"last_name":null}`, admin)
		r.want(t, 200, "", "")
		wantNull(t, "admin cleared", r.obj("customer"), "email", "last_name")

		r = e.do("POST", "/admin/customer-groups", `{"name":"vip","metadata":{"tier":"gold"}}`, admin)
		r.want(t, 200, "", "")
		grp := r.obj("customer_group")["id"].(string)
		e.do("POST", "/admin/customer-groups/"+grp, `{"name":null}`, admin).want(t, 400, "invalid_data", "Invalid request: Expected type: 'string' for field 'name', got: 'null'")
		e.do("POST", "/admin/customer-groups", `{"name":null}`, admin).want(t, 400, "invalid_data", "Invalid request: Expected type: 'string' for field 'name', got: 'null'")
		r = e.do("POST", "/admin/customer-groups/"+grp, `{"metadata":null}`, admin)
		r.want(t, 200, "", "")
		wantNull(t, "group", r.obj("customer_group"), "metadata")
		if r.obj("customer_group")["name"] != "vip" {
			t.Fatalf("group name: %s", r.raw)
		}
	})
}

// The admin routes word their 404s as Medusa's routes do, before and after
// a delete; the module messages stay elsewhere.
func TestRouteNotFoundMessages(t *testing.T) {
	eachStore(t, func(t *testing.T, st backend) {
		e := newEnvOn(t, st)
		admin := e.admin()
		r := e.do("POST", "/admin/customers", `{"email":"gone@example.com"}`, admin)
		r.want(t, 200, "", "")
		cid := r.obj("customer")["id"].(string)
		r = e.do("POST", "/admin/customer-groups", `{"name":"gone"}`, admin)
		r.want(t, 200, "", "")
		gid := r.obj("customer_group")["id"].(string)
		e.do("DELETE", "/admin/customers/"+cid, "", admin).want(t, 200, "", "")
		e.do("DELETE", "/admin/customer-groups/"+gid, "", admin).want(t, 200, "", "")
		for _, id := range []string{"cus_nope", cid} {
			e.do("GET", "/admin/customers/"+id, "", admin).want(t, 404, "not_found", "Customer with id: "+id+" not found")
			e.do("GET", "/admin/customers/"+id+"?fields=*groups", "", admin).want(t, 404, "not_found", "Customer with id: "+id+" not found")
			e.do("POST", "/admin/customers/"+id, `{"first_name":"X"}`, admin).want(t, 404, "not_found", `Customer with id "`+id+`" not found`)
			// The body is checked first, as Medusa's middleware does.
			e.do("POST", "/admin/customers/"+id, `{"first_name":5}`, admin).want(t, 400, "invalid_data", "")
			e.do("POST", "/admin/customers/"+id+"/addresses", `{}`, admin).want(t, 404, "not_found", "Customer with id: "+id+" was not found")
		}
		for _, id := range []string{"cusgroup_nope", gid} {
			e.do("GET", "/admin/customer-groups/"+id, "", admin).want(t, 404, "not_found", "Customer group with id: "+id+" not found")
			e.do("POST", "/admin/customer-groups/"+id, `{"name":"x"}`, admin).want(t, 404, "not_found", `Customer group with id "`+id+`" not found`)
		}
	})
}

// A registration token issued before its identity got a customer is still
// actorless: opening a second account with it is Medusa's 422.
func TestRegistrationTokenAfterItsAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, st backend) {
		e := newEnvOn(t, st)
		reg := e.register("customer", "ada@example.com")
		e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, reg).want(t, 200, "", "")
		for _, body := range []string{`{"email":"ada@example.com"}`, `{"email":"ADA@example.com","first_name":"Again"}`} {
			r := e.do("POST", "/store/customers", body, reg)
			r.want(t, 422, "duplicate_error", "Customer with this email already has an account")
			if r.body["code"] != "invalid_request_error" {
				t.Fatalf("422 without code: %s", r.raw)
			}
		}
		admin := e.admin()
		r := e.do("GET", "/admin/customers?email=ada@example.com", "", admin)
		if r.body["count"] != float64(1) {
			t.Fatalf("a second customer was created: %s", r.raw)
		}
		// A token that names its customer is still the route's 400.
		login := e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"supersecret"}`, "")
		login.want(t, 200, "", "")
		e.do("POST", "/store/customers", `{"email":"ada@example.com"}`, login.str("token")).want(t, 400, "invalid_data", "Request already authenticated as a customer.")
	})
}

func TestPublishableKeySentTwice(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.PublishableKeys = []string{"pk_test", "pk_other"} })
	const invalid = "A valid publishable key is required to proceed with the request"
	for _, hdr := range [][]string{
		{"x-publishable-api-key: pk_test", "x-publishable-api-key: pk_test"},
		{"x-publishable-api-key: pk_test", "x-publishable-api-key: pk_other"},
		{"x-publishable-api-key: pk_test", "x-publishable-api-key: "},
		{"x-publishable-api-key: pk_test, pk_test"},
	} {
		r := e.do("GET", "/store/customers/me", "", "", hdr...)
		r.want(t, 400, "not_allowed", invalid)
		if len(r.body) != 2 {
			t.Fatalf("%v: body %s", hdr, r.raw)
		}
	}
	e.do("GET", "/store/customers/me", "", "", "x-publishable-api-key: ").want(t, 400, "not_allowed",
		"Publishable API key required in the request header: x-publishable-api-key. You can manage your keys in settings in the dashboard.")
	e.do("GET", "/store/customers/me", "", "", "x-publishable-api-key: pk_other").want(t, 401, "", "Unauthorized")
}

// fieldsCase is a request with a fields parameter and the exact answer
// expected under key (ids and times replaced by the test).
type fieldsCase struct {
	method, path, body string
	token              string
	fields             string
	key                string
	want               string
}

// Relation sub-fields answer only those sub-fields, on every route that
// allows the relation; what a route does not allow answers nothing.
func TestRelationSubFields(t *testing.T) {
	eachStore(t, func(t *testing.T, st backend) {
		e := newEnvOn(t, st)
		admin := e.admin()
		tok, c := e.storeAccount("ada@example.com")
		id := c["id"].(string)
		r := e.do("POST", "/store/customers/me/addresses", `{"address_name":"Home","address_1":"1 Rue","city":"Paris"}`, tok)
		r.want(t, 200, "", "")
		aid := firstAddress(t, r.obj("customer"))["id"].(string)
		r = e.do("POST", "/admin/customer-groups", `{"name":"vip"}`, admin)
		r.want(t, 200, "", "")
		gid := r.obj("customer_group")["id"].(string)
		e.do("POST", "/admin/customer-groups/"+gid+"/customers", `{"add":["`+id+`"]}`, admin).want(t, 200, "", "")
		r = e.do("POST", "/admin/customer-groups", `{"name":"empty"}`, admin)
		r.want(t, 200, "", "")
		empty := r.obj("customer_group")["id"].(string)
		r = e.do("POST", "/admin/customers", `{"email":"guest@example.com"}`, admin)
		r.want(t, 200, "", "")
		guest := r.obj("customer")["id"].(string)

		idOnly := `{"id":"` + id + `"}`
		cases := []fieldsCase{
			// store
			{"GET", "/store/customers/me", "", tok, "addresses.city", "customer", `{"id":"` + id + `","addresses":[{"city":"Paris"}]}`},
			{"GET", "/store/customers/me", "", tok, "email,addresses.city,addresses.address_name", "customer", `{"id":"` + id + `","email":"ada@example.com","addresses":[{"city":"Paris","address_name":"Home"}]}`},
			{"POST", "/store/customers/me", `{"first_name":"Ada"}`, tok, "first_name,addresses.id", "customer", `{"id":"` + id + `","first_name":"Ada","addresses":[{"id":"` + aid + `"}]}`},
			{"POST", "/store/customers/me/addresses/" + aid, `{"city":"Lyon"}`, tok, "addresses.city", "customer", `{"id":"` + id + `","addresses":[{"city":"Lyon"}]}`},
			{"GET", "/store/customers/me", "", tok, "groups.name", "customer", idOnly},
			{"GET", "/store/customers/me", "", tok, "id,*groups,groups.*,groups.id", "customer", idOnly},
			{"GET", "/store/customers/me", "", tok, "addresses", "customer", idOnly},
			// admin customers
			{"GET", "/admin/customers/" + id, "", admin, "groups.name", "customer", `{"id":"` + id + `","groups":[{"name":"vip"}]}`},
			{"GET", "/admin/customers/" + id, "", admin, "groups.id,addresses.city", "customer", `{"id":"` + id + `","groups":[{"id":"` + gid + `"}],"addresses":[{"city":"Lyon"}]}`},
			{"GET", "/admin/customers/" + guest, "", admin, "groups.name,addresses.city", "customer", `{"id":"` + guest + `","groups":[],"addresses":[]}`},
			{"GET", "/admin/customers/" + id, "", admin, "groups", "customer", idOnly},
			{"GET", "/admin/customers/" + id, "", admin, "groups.customers.email", "customer", idOnly},
			{"POST", "/admin/customers/" + id, `{"last_name":"L"}`, admin, "last_name,groups.name", "customer", `{"id":"` + id + `","last_name":"L","groups":[{"name":"vip"}]}`},
			{"POST", "/admin/customers/" + id + "/customer-groups", `{"add":["` + empty + `"]}`, admin, "groups.name", "customer", `{"id":"` + id + `","groups":[{"name":"vip"},{"name":"empty"}]}`},
			{"POST", "/admin/customers/" + id + "/customer-groups", `{"remove":["` + empty + `"]}`, admin, "groups.name", "customer", `{"id":"` + id + `","groups":[{"name":"vip"}]}`},
			// groups
			{"GET", "/admin/customer-groups/" + gid, "", admin, "customers.email", "customer_group", `{"id":"` + gid + `","customers":[{"id":"` + id + `","email":"ada@example.com"}]}`},
			{"GET", "/admin/customer-groups/" + empty, "", admin, "customers.email", "customer_group", `{"id":"` + empty + `","customers":[]}`},
			{"POST", "/admin/customer-groups/" + gid, `{"name":"vip"}`, admin, "name,customers.id", "customer_group", `{"id":"` + gid + `","name":"vip","customers":[{"id":"` + id + `"}]}`},
			{"POST", "/admin/customer-groups/" + empty + "/customers", `{"add":["` + guest + `"]}`, admin, "customers.email", "customer_group", `{"id":"` + empty + `","customers":[{"id":"` + guest + `","email":"guest@example.com"}]}`},
			{"GET", "/admin/customer-groups/" + gid, "", admin, "customers", "customer_group", `{"id":"` + gid + `"}`},
		}
		for _, tc := range cases {
			r := e.do(tc.method, tc.path+"?fields="+url.QueryEscape(tc.fields), tc.body, tc.token)
			r.want(t, 200, "", "")
			wantJSON(t, tc.method+" "+tc.path+"?fields="+tc.fields, r.obj(tc.key), tc.want)
		}

		// + names keep the defaults; a whole relation wins over its sub-fields.
		r = e.do("GET", "/admin/customers/"+id+"?fields=%2Baddresses.city,%2Bgroups.name", "", admin)
		got := r.obj("customer")
		if keysOf(got) != sortedKeys(adminCustomerKeys+",addresses,groups") {
			t.Fatalf("+sub-fields keys %s", keysOf(got))
		}
		wantJSON(t, "+sub-fields", []any{got["addresses"], got["groups"]}, `[[{"city":"Lyon"}],[{"name":"vip"}]]`)
		r = e.do("GET", "/admin/customers/"+id+"?fields=*groups,groups.name,-groups.name", "", admin)
		if g := r.obj("customer")["groups"].([]any)[0].(map[string]any); keysOf(g) != sortedKeys(groupKeys) {
			t.Fatalf("*groups with groups.name: %s", r.raw)
		}
		r = e.do("GET", "/store/customers/me?fields=%2Baddresses.city", "", tok)
		if a := firstAddress(t, r.obj("customer")); keysOf(a) != sortedKeys(allAddressKeys) {
			t.Fatalf("store default *addresses with +addresses.city: %s", r.raw)
		}

		// Lists.
		r = e.do("GET", "/admin/customers?fields=groups.name&order=created_at", "", admin)
		r.want(t, 200, "", "")
		wantJSON(t, "admin list", r.body["customers"], `[{"id":"`+id+`","groups":[{"name":"vip"}]},{"id":"`+guest+`","groups":[{"name":"empty"}]}]`)
		r = e.do("GET", "/admin/customer-groups?fields=customers.email&order=created_at", "", admin)
		r.want(t, 200, "", "")
		wantJSON(t, "group list", r.body["customer_groups"], `[{"id":"`+gid+`","customers":[{"id":"`+id+`","email":"ada@example.com"}]},{"id":"`+empty+`","customers":[{"id":"`+guest+`","email":"guest@example.com"}]}]`)
	})
}
