package httpapi_test

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/store/memory"
	"github.com/clientele/clientele/throttle"
)

// auditEnv is an env whose auth service records in an audit log that
// keeps IPv4 /24 and IPv6 /48 prefixes and 16 bytes of user agent, behind
// a trusted proxy (10.0.0.0/8), with the login throttle at 2 failures.
func auditEnv(t *testing.T) *env {
	t.Helper()
	lg, err := audit.New(memory.New(), audit.WithIPPrefix(24, 48), audit.WithUserAgentLength(16))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	lim, err := throttle.New(memory.New(), throttle.Config{Login: throttle.Rule{Limit: 2, Window: time.Hour, Backoff: time.Minute, MaxBackoff: time.Hour}, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, []auth.Option{auth.WithAudit(lg), auth.WithThrottle(lim)}, func(c *httpapi.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		c.Throttle = lim
	})
}

// entries reads the customer's audit entries over the admin route.
func (e *env) entries(admin, customerID, query string) []map[string]any {
	e.t.Helper()
	r := e.do("GET", "/admin/customers/"+customerID+"/audit"+query, "", admin)
	r.want(e.t, 200, "", "")
	var out []map[string]any
	list, _ := r.body["audit_entries"].([]any)
	for _, x := range list {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestAuditClientInfo(t *testing.T) {
	e := auditEnv(t)
	admin := e.admin()
	tok, id := e.customer("ada@example.com")
	login := `{"email":"ada@example.com","password":"wrong horse"}`
	ua := "User-Agent: TestAgent/1.0 (a long description)"
	// Through the trusted proxy: the forwarded address is the client's.
	e.doFrom("10.0.0.2:443", "POST", "/auth/customer/emailpass", login, "", "X-Forwarded-For: 203.0.113.77", ua).want(t, 401, "", "")
	e.doFrom("[2001:db8:1:2::1]:443", "POST", "/auth/customer/emailpass", login, "", ua).want(t, 401, "", "")
	// The third failure locks the account; the fourth is refused by the
	// address and account reservation, before the service sees it.
	e.doFrom("10.0.0.2:443", "POST", "/auth/customer/emailpass", login, "", "X-Forwarded-For: 203.0.113.78", ua).want(t, 401, "", "")
	r := e.doFrom("10.0.0.2:443", "POST", "/auth/customer/emailpass", login, "", "X-Forwarded-For: 198.51.100.4", ua)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("third failure answered %d: %s", r.status, r.raw)
	}
	e.do("POST", "/auth/logout-all", "", tok).want(t, 200, "", "")
	e.flush()

	got := e.entries(admin, id, "?action=auth.login&action=auth.locked")
	type row struct{ action, outcome, reason, ip, ua string }
	var rows []row
	for i := len(got) - 1; i >= 0; i-- {
		x := got[i]
		s := func(k string) string { v, _ := x[k].(string); return v }
		rows = append(rows, row{s("action"), s("outcome"), s("reason"), s("ip"), s("user_agent")})
	}
	want := []row{
		{"auth.login", "failure", "invalid_credentials", "203.0.113.0/24", "TestAgent/1.0 (a"},
		{"auth.login", "failure", "invalid_credentials", "2001:db8:1::/48", "TestAgent/1.0 (a"},
		{"auth.login", "failure", "invalid_credentials", "203.0.113.0/24", "TestAgent/1.0 (a"},
		{"auth.locked", "success", "", "203.0.113.0/24", "TestAgent/1.0 (a"},
		{"auth.login", "failure", "locked", "198.51.100.0/24", "TestAgent/1.0 (a"},
	}
	if len(rows) != len(want) {
		t.Fatalf("entries %v", rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Fatalf("entry %d: got %+v, want %+v (all: %v)", i, rows[i], want[i], rows)
		}
	}
	revoked := e.entries(admin, id, "?action=auth.revoke_all&limit=1")
	if len(revoked) != 1 || revoked[0]["ip"] != "192.0.2.0/24" {
		t.Fatalf("logout-all entry %v", revoked)
	}
	// The session route records a logout.
	tok2, id2 := e.customer("bob@example.com")
	r = e.do("POST", "/auth/session", "", tok2)
	r.want(t, 200, "", "")
	var cookie string
	for _, k := range (&http.Response{Header: r.header}).Cookies() {
		cookie = k.Name + "=" + k.Value
	}
	e.do("DELETE", "/auth/session", "", "", "Cookie: "+cookie).want(t, 200, "", "")
	if got := e.entries(admin, id2, "?action=auth.logout"); len(got) != 1 || got[0]["ip"] != "192.0.2.0/24" || got[0]["actor_id"] != id2 {
		t.Fatalf("logout entries %v", got)
	}
	if got := e.entries(admin, id, "?action=auth.logout"); len(got) != 0 {
		t.Fatalf("another customer's logout listed: %v", got)
	}
}

func TestAdminAuditRoute(t *testing.T) {
	e := auditEnv(t)
	admin := e.admin()
	tok, id := e.customer("ada@example.com")
	e.do("GET", "/admin/customers/"+id+"/audit", "", tok).want(t, 401, "", "Unauthorized")
	e.do("GET", "/admin/customers/"+id+"/audit", "", "").want(t, 401, "", "Unauthorized")
	e.do("GET", "/admin/customers/cus_none/audit", "", admin).want(t, 404, "not_found", "Customer with id: cus_none not found")
	e.do("GET", "/admin/customers/"+id+"/audit?limit=1001", "", admin).want(t, 400, "invalid_data", "Invalid request: Number must be less than or equal to 1000 for field 'limit'")
	e.do("GET", "/admin/customers/"+id+"/audit?limit=x", "", admin).want(t, 400, "invalid_data", "")
	e.do("GET", "/admin/customers/"+id+"/audit?offset=-1", "", admin).want(t, 400, "invalid_data", "")
	e.do("GET", "/admin/customers/"+id+"/audit?order=created_at", "", admin).want(t, 400, "invalid_data", "Order field created_at is not valid")
	e.do("POST", "/auth/customer/emailpass", `{"email":"ada@example.com","password":"wrong horse"}`, "").want(t, 401, "", "")
	e.do("POST", "/auth/logout-all", "", tok).want(t, 200, "", "")
	e.flush()
	all := e.entries(admin, id, "")
	if len(all) == 0 || all[0]["action"] != "auth.revoke_all" {
		t.Fatalf("entries %v", all)
	}
	if got := e.entries(admin, id, "?limit=1&offset=1"); len(got) != 1 || got[0]["id"] != all[1]["id"] {
		t.Fatalf("second page %v, all %v", got, all)
	}
	if got := e.entries(admin, id, "?limit=0"); len(got) != 0 {
		t.Fatalf("limit=0 answered %v", got)
	}
	// An identity without an audit log answers an empty list.
	plain := newEnv(t)
	_, pid := plain.customer("bob@example.com")
	if got := plain.entries(plain.admin(), pid, ""); len(got) != 0 {
		t.Fatalf("entries without an audit log: %v", got)
	}
}
