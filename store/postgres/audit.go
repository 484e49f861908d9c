package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/store"
)

var _ audit.Store = (*Store)(nil)

// auditColumns are the columns scanAudit reads, in its order.
const auditColumns = "id, created_at, action, outcome, reason, auth_identity_id, actor_type, actor_id, provider, ip, user_agent, details"

// AppendAuditEntries implements audit.Store on clientele_audit, in one
// INSERT.
func (s *Store) AppendAuditEntries(ctx context.Context, entries []*audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO clientele_audit (" + auditColumns + ") VALUES ")
	args := make([]any, 0, 12*len(entries))
	for i, e := range entries {
		if err := audit.CheckEntry(e); err != nil {
			return err
		}
		details := e.Details
		if details == nil {
			details = map[string]string{}
		}
		d, err := json.Marshal(details)
		if err != nil {
			return store.Invalid("details", "not valid JSON: %v", err)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d::jsonb)",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12)
		args = append(args, e.ID, e.CreatedAt.UTC(), string(e.Action), string(e.Outcome), string(e.Reason),
			e.AuthIdentityID, e.ActorType, e.ActorID, e.Provider, e.IP, e.UserAgent, string(d))
	}
	_, err := s.sqlConn(ctx).ExecContext(ctx, b.String(), args...)
	return translate(ctx, "append audit entries", err)
}

// auditWhere returns the WHERE clause of f (" WHERE …" or "") and its
// arguments, numbered from $1.
func auditWhere(f audit.Filter) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var who []string
	if f.AuthIdentityIDs != nil {
		who = append(who, "auth_identity_id = ANY("+arg(f.AuthIdentityIDs)+")")
	}
	if f.ActorIDs != nil {
		who = append(who, "actor_id = ANY("+arg(f.ActorIDs)+")")
	}
	if len(who) > 0 {
		conds = append(conds, "("+strings.Join(who, " OR ")+")")
	}
	if len(f.Actions) > 0 {
		as := make([]string, len(f.Actions))
		for i, a := range f.Actions {
			as[i] = string(a)
		}
		conds = append(conds, "action = ANY("+arg(as)+")")
	}
	if !f.From.IsZero() {
		conds = append(conds, "created_at >= "+arg(f.From.UTC()))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "created_at < "+arg(f.Until.UTC()))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListAuditEntries implements audit.Store (served by the indexes on
// auth_identity_id, actor_id and created_at).
func (s *Store) ListAuditEntries(ctx context.Context, f audit.Filter, p audit.Page) ([]*audit.Entry, error) {
	limit, err := audit.CheckPage(p)
	if err != nil {
		return nil, err
	}
	where, args := auditWhere(f)
	q := fmt.Sprintf("SELECT %s FROM clientele_audit%s ORDER BY created_at DESC, id DESC LIMIT %d OFFSET %d",
		auditColumns, where, limit, p.Offset)
	rows, err := s.sqlConn(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(ctx, "list audit entries", err)
	}
	defer rows.Close()
	out := []*audit.Entry{}
	for rows.Next() {
		var e audit.Entry
		var action, outcome, reason string
		var details []byte
		if err := rows.Scan(&e.ID, &e.CreatedAt, &action, &outcome, &reason, &e.AuthIdentityID, &e.ActorType,
			&e.ActorID, &e.Provider, &e.IP, &e.UserAgent, &details); err != nil {
			return nil, translate(ctx, "list audit entries", err)
		}
		e.Action, e.Outcome, e.Reason, e.CreatedAt = audit.Action(action), audit.Outcome(outcome), audit.Reason(reason), e.CreatedAt.UTC()
		if err := json.Unmarshal(details, &e.Details); err != nil {
			return nil, fmt.Errorf("postgres: list audit entries: details of %s: %w", e.ID, err)
		}
		if len(e.Details) == 0 {
			e.Details = nil
		}
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, "list audit entries", err)
	}
	return out, nil
}

// PurgeAuditEntries implements audit.Store: one DELETE of at most limit
// rows, oldest first (served by the created_at index).
func (s *Store) PurgeAuditEntries(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, store.Invalid("limit", "must be positive, got %d", limit)
	}
	res, err := s.sqlConn(ctx).ExecContext(ctx, `DELETE FROM clientele_audit WHERE id IN (
		SELECT id FROM clientele_audit WHERE created_at < $1 ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		before.UTC(), limit)
	if err != nil {
		return 0, translate(ctx, "purge audit entries", err)
	}
	n, err := res.RowsAffected()
	return int(n), translate(ctx, "purge audit entries", err)
}

// AnonymiseAuditEntries implements audit.Store: the only UPDATE the
// table's trigger allows.
func (s *Store) AnonymiseAuditEntries(ctx context.Context, f audit.Filter) (int, error) {
	where, args := auditWhere(f)
	if where == "" {
		where = " WHERE TRUE"
	}
	res, err := s.sqlConn(ctx).ExecContext(ctx,
		"UPDATE clientele_audit SET ip = '', user_agent = ''"+where+" AND (ip <> '' OR user_agent <> '')", args...)
	if err != nil {
		return 0, translate(ctx, "anonymise audit entries", err)
	}
	n, err := res.RowsAffected()
	return int(n), translate(ctx, "anonymise audit entries", err)
}
