package postgres_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/internal/pgtest"
)

// The audit table refuses every UPDATE but the anonymisation of an
// entry's address and user agent, whatever client writes it.
func TestAuditAppendOnly(t *testing.T) {
	st := pgtest.NewStore(t)
	ctx := t.Context()
	at := time.Now().UTC().Truncate(time.Microsecond)
	e := &audit.Entry{ID: "audit_1", CreatedAt: at, Action: audit.ActionLogin, Outcome: audit.Failure,
		Reason: audit.ReasonInvalidCredentials, AuthIdentityID: "authid_1", IP: "203.0.113.7", UserAgent: "agent"}
	if err := st.AppendAuditEntries(ctx, []*audit.Entry{e}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"UPDATE clientele_audit SET outcome = 'success'",
		"UPDATE clientele_audit SET reason = ''",
		"UPDATE clientele_audit SET auth_identity_id = 'authid_2'",
		"UPDATE clientele_audit SET created_at = now()",
		"UPDATE clientele_audit SET details = '{\"x\": \"y\"}'",
		"UPDATE clientele_audit SET ip = '198.51.100.1'",
		"UPDATE clientele_audit SET ip = '', action = 'auth.logout'",
	} {
		if _, err := st.DB().DB.ExecContext(ctx, stmt); err == nil {
			t.Errorf("%s: the table accepted it", stmt)
		}
	}
	got, err := st.ListAuditEntries(ctx, audit.Filter{}, audit.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], e) {
		t.Fatalf("entry changed: %+v", got)
	}
	if _, err := st.DB().DB.ExecContext(ctx, "UPDATE clientele_audit SET ip = '', user_agent = ''"); err != nil {
		t.Fatalf("anonymising: %v", err)
	}
	if _, err := st.DB().DB.ExecContext(ctx, "DELETE FROM clientele_audit"); err != nil {
		t.Fatalf("purging: %v", err)
	}
}
