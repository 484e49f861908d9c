package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/store"
)

func (e *env) auditStore() audit.Store {
	e.t.Helper()
	as, ok := e.st.(audit.Store)
	if !ok {
		e.t.Skip("the backend implements no audit.Store (optional)")
	}
	return as
}

// auditEntry is a valid entry for the contract tests.
func auditEntry(id string, at time.Time, action audit.Action, identity, actor string) *audit.Entry {
	return &audit.Entry{
		ID: id, CreatedAt: at, Action: action, Outcome: audit.Success, AuthIdentityID: identity,
		ActorType: "customer", ActorID: actor, Provider: "emailpass", IP: "203.0.113.0/24", UserAgent: "agent/1",
		Details: map[string]string{"method": "totp"},
	}
}

func entryIDs(es []*audit.Entry) []string {
	out := []string{}
	for _, x := range es {
		out = append(out, x.ID)
	}
	return out
}

// putAuditEntries appends a1..a4 (identity authid_a, actor cus_a), b1
// (authid_b) and c1 (actor cus_c only), a minute apart from base.
func putAuditEntries(e *env, as audit.Store, base time.Time) {
	e.t.Helper()
	es := []*audit.Entry{
		auditEntry("audit_a1", base, audit.ActionLogin, "authid_a", "cus_a"),
		auditEntry("audit_a2", base.Add(time.Minute), audit.ActionPasswordChange, "authid_a", "cus_a"),
		auditEntry("audit_a3", base.Add(2*time.Minute), audit.ActionLogin, "authid_a", ""),
		auditEntry("audit_b1", base.Add(3*time.Minute), audit.ActionLogin, "authid_b", ""),
		auditEntry("audit_c1", base.Add(4*time.Minute), audit.ActionErasure, "", "cus_c"),
		// Same time as a3: the id breaks the tie.
		auditEntry("audit_a4", base.Add(2*time.Minute), audit.ActionLogout, "authid_a", "cus_a"),
	}
	es[2].Outcome, es[2].Reason = audit.Failure, audit.ReasonInvalidCredentials
	// No details read back as nil, whether given nil or empty.
	es[4].Details, es[4].IP, es[4].UserAgent = map[string]string{}, "", ""
	e.must(as.AppendAuditEntries(e.ctx, es))
}

var auditTests = []test{
	{"Audit/AppendAndList", func(e *env) {
		as := e.auditStore()
		base := now().Add(-time.Hour)
		putAuditEntries(e, as, base)
		got, err := as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{})
		e.must(err)
		e.same([]string{"audit_c1", "audit_b1", "audit_a4", "audit_a3", "audit_a2", "audit_a1"}, entryIDs(got))
		// Every field round-trips, at microsecond precision, in UTC.
		want := auditEntry("audit_a3", base.Add(2*time.Minute), audit.ActionLogin, "authid_a", "")
		want.Outcome, want.Reason = audit.Failure, audit.ReasonInvalidCredentials
		e.same(want, got[3])
		e.same((map[string]string)(nil), got[0].Details)
	}},
	{"Audit/Filters", func(e *env) {
		as := e.auditStore()
		base := now().Add(-time.Hour)
		putAuditEntries(e, as, base)
		for _, tc := range []struct {
			name string
			f    audit.Filter
			want []string
		}{
			{"identity", audit.Filter{AuthIdentityIDs: []string{"authid_a"}}, []string{"audit_a4", "audit_a3", "audit_a2", "audit_a1"}},
			{"two identities", audit.Filter{AuthIdentityIDs: []string{"authid_a", "authid_b"}}, []string{"audit_b1", "audit_a4", "audit_a3", "audit_a2", "audit_a1"}},
			{"actor", audit.Filter{ActorIDs: []string{"cus_a"}}, []string{"audit_a4", "audit_a2", "audit_a1"}},
			{"identity or actor", audit.Filter{AuthIdentityIDs: []string{"authid_b"}, ActorIDs: []string{"cus_c"}}, []string{"audit_c1", "audit_b1"}},
			{"action", audit.Filter{Actions: []audit.Action{audit.ActionLogin}}, []string{"audit_b1", "audit_a3", "audit_a1"}},
			{"identity and action", audit.Filter{AuthIdentityIDs: []string{"authid_a"}, Actions: []audit.Action{audit.ActionLogin, audit.ActionLogout}}, []string{"audit_a4", "audit_a3", "audit_a1"}},
			{"from inclusive", audit.Filter{From: base.Add(3 * time.Minute)}, []string{"audit_c1", "audit_b1"}},
			{"until exclusive", audit.Filter{Until: base.Add(time.Minute)}, []string{"audit_a1"}},
			{"range", audit.Filter{From: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, []string{"audit_a4", "audit_a3", "audit_a2"}},
			{"unknown identity", audit.Filter{AuthIdentityIDs: []string{"authid_none"}}, []string{}},
			{"empty identity list", audit.Filter{AuthIdentityIDs: []string{}}, []string{}},
		} {
			got, err := as.ListAuditEntries(e.ctx, tc.f, audit.Page{})
			e.must(err)
			if d := entryIDs(got); fmt.Sprint(d) != fmt.Sprint(tc.want) {
				e.t.Fatalf("%s: got %v, want %v", tc.name, d, tc.want)
			}
		}
	}},
	{"Audit/Paging", func(e *env) {
		as := e.auditStore()
		putAuditEntries(e, as, now().Add(-time.Hour))
		got, err := as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{Limit: 2, Offset: 1})
		e.must(err)
		e.same([]string{"audit_b1", "audit_a4"}, entryIDs(got))
		got, err = as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{Limit: 2, Offset: 5})
		e.must(err)
		e.same([]string{"audit_a1"}, entryIDs(got))
		got, err = as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{Offset: 10})
		e.must(err)
		e.same([]string{}, entryIDs(got))
		_, err = as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{Limit: -1})
		e.wantInvalid(err, "limit")
		_, err = as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{Limit: audit.MaxLimit + 1})
		e.wantInvalid(err, "limit")
		_, err = as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{Offset: -1})
		e.wantInvalid(err, "offset")
	}},
	{"Audit/AppendRefusesBadEntries", func(e *env) {
		as := e.auditStore()
		at := now()
		for _, tc := range []struct {
			field string
			edit  func(x *audit.Entry)
		}{
			{"id", func(x *audit.Entry) { x.ID = "" }},
			{"action", func(x *audit.Entry) { x.Action = "" }},
			{"outcome", func(x *audit.Entry) { x.Outcome = "maybe" }},
			{"reason", func(x *audit.Entry) { x.Reason = "because" }},
			{"created_at", func(x *audit.Entry) { x.CreatedAt = time.Time{} }},
			{"user_agent", func(x *audit.Entry) { x.UserAgent = string(make([]byte, audit.MaxFieldLength+1)) }},
			{"actor_id", func(x *audit.Entry) { x.ActorID = "cus_\x00" }},
			{"details.k", func(x *audit.Entry) { x.Details = map[string]string{"k": "\xff"} }},
			{"details", func(x *audit.Entry) {
				x.Details = map[string]string{}
				for i := range audit.MaxDetails + 1 {
					x.Details[fmt.Sprint(i)] = "v"
				}
			}},
		} {
			x := auditEntry("audit_bad", at, audit.ActionLogin, "authid_a", "")
			tc.edit(x)
			// A bad entry fails the whole call: the good one beside it is
			// not written either.
			err := as.AppendAuditEntries(e.ctx, []*audit.Entry{auditEntry("audit_good", at, audit.ActionLogin, "authid_a", ""), x})
			e.wantInvalid(err, tc.field)
		}
		e.must(as.AppendAuditEntries(e.ctx, []*audit.Entry{auditEntry("audit_1", at, audit.ActionLogin, "authid_a", "")}))
		err := as.AppendAuditEntries(e.ctx, []*audit.Entry{auditEntry("audit_2", at, audit.ActionLogin, "authid_a", ""), auditEntry("audit_1", at, audit.ActionLogin, "authid_a", "")})
		e.wantErr(err, store.ErrConflict)
		got, err := as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{})
		e.must(err)
		e.same([]string{"audit_1"}, entryIDs(got))
	}},
	{"Audit/Purge", func(e *env) {
		as := e.auditStore()
		base := now().Add(-time.Hour)
		putAuditEntries(e, as, base)
		// In batches: the oldest first.
		n, err := as.PurgeAuditEntries(e.ctx, base.Add(3*time.Minute), 2)
		e.must(err)
		e.same(2, n)
		got, err := as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{})
		e.must(err)
		e.same([]string{"audit_c1", "audit_b1", "audit_a4", "audit_a3"}, entryIDs(got))
		n, err = as.PurgeAuditEntries(e.ctx, base.Add(3*time.Minute), 10)
		e.must(err)
		e.same(2, n)
		n, err = as.PurgeAuditEntries(e.ctx, base.Add(3*time.Minute), 10)
		e.must(err)
		e.same(0, n)
		got, err = as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{})
		e.must(err)
		e.same([]string{"audit_c1", "audit_b1"}, entryIDs(got))
		_, err = as.PurgeAuditEntries(e.ctx, base, 0)
		e.wantInvalid(err, "limit")
	}},
	{"Audit/Anonymise", func(e *env) {
		as := e.auditStore()
		putAuditEntries(e, as, now().Add(-time.Hour))
		n, err := as.AnonymiseAuditEntries(e.ctx, audit.Filter{AuthIdentityIDs: []string{"authid_a"}, ActorIDs: []string{"cus_c"}})
		e.must(err)
		e.same(4, n) // c1 has nothing to anonymise
		got, err := as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{})
		e.must(err)
		for _, x := range got {
			anonymous := x.IP == "" && x.UserAgent == ""
			if anonymous != (x.ID != "audit_b1") {
				e.t.Fatalf("entry %s: ip %q, user agent %q", x.ID, x.IP, x.UserAgent)
			}
			if x.ID == "audit_a2" {
				// Everything else is kept.
				want := auditEntry("audit_a2", x.CreatedAt, audit.ActionPasswordChange, "authid_a", "cus_a")
				want.IP, want.UserAgent = "", ""
				e.same(want, x)
			}
		}
		n, err = as.AnonymiseAuditEntries(e.ctx, audit.Filter{AuthIdentityIDs: []string{"authid_a"}})
		e.must(err)
		e.same(0, n)
	}},
	{"Audit/InUnit", func(e *env) {
		as := e.auditStore()
		at := now()
		fail := errors.New("the change failed")
		err := as.InTx(e.ctx, func(ctx context.Context) error {
			e.must(as.AppendAuditEntries(ctx, []*audit.Entry{auditEntry("audit_rolled", at, audit.ActionLogin, "authid_a", "")}))
			return fail
		})
		e.wantErr(err, fail)
		e.must(as.InTx(e.ctx, func(ctx context.Context) error {
			return as.AppendAuditEntries(ctx, []*audit.Entry{auditEntry("audit_kept", at, audit.ActionLogin, "authid_a", "")})
		}))
		got, err := as.ListAuditEntries(e.ctx, audit.Filter{}, audit.Page{})
		e.must(err)
		e.same([]string{"audit_kept"}, entryIDs(got))
	}},
}
