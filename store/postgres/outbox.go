package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/store"
)

// outbox.Store on clientele_outbox (migration 0011_clientele_outbox.sql).
// Every method is one statement, so that a failure of any leaves the rows
// as they were.

var _ outbox.Store = (*Store)(nil)

const outboxCols = `o.id, o.seq, o.name, o.entity_key, o.data, o.sealed, o.key_id, o.created_at, o.available_at,
	o.attempts, o.last_error, o.claimed_by, o.claimed_until, o.delivered_at`

func scanRecords(rows *sql.Rows) ([]*outbox.Record, error) {
	defer rows.Close()
	var out []*outbox.Record
	for rows.Next() {
		var (
			r                         outbox.Record
			keyID, lastErr, claimedBy sql.NullString
			claimedUntil, deliveredAt sql.NullTime
		)
		if err := rows.Scan(&r.ID, &r.Seq, &r.Name, &r.EntityKey, &r.Data, &r.Sealed, &keyID, &r.CreatedAt, &r.AvailableAt,
			&r.Attempts, &lastErr, &claimedBy, &claimedUntil, &deliveredAt); err != nil {
			return nil, err
		}
		r.KeyID, r.LastError, r.ClaimedBy = keyID.String, lastErr.String, claimedBy.String
		r.CreatedAt, r.AvailableAt = r.CreatedAt.UTC(), r.AvailableAt.UTC()
		if claimedUntil.Valid {
			r.ClaimedUntil = utcPtr(&claimedUntil.Time)
		}
		if deliveredAt.Valid {
			r.DeliveredAt = utcPtr(&deliveredAt.Time)
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// OutboxAppend implements outbox.Store with one INSERT in the caller's
// transaction.
func (s *Store) OutboxAppend(ctx context.Context, recs []*outbox.Record) error {
	const op = "append to outbox"
	if len(recs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO clientele_outbox AS o (id, name, entity_key, data, sealed, key_id, created_at, available_at) VALUES `)
	args := make([]any, 0, 8*len(recs))
	for i, r := range recs {
		if err := outbox.CheckRecord(r); err != nil {
			return err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		b.WriteString("(")
		for j := 1; j <= 8; j++ {
			if j > 1 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(n+j))
			if j == 4 {
				b.WriteString("::jsonb")
			}
		}
		b.WriteString(")")
		var data any
		if r.Data != nil {
			data = string(r.Data)
		}
		args = append(args, r.ID, r.Name, r.EntityKey, data, r.Sealed, nullText(r.KeyID), r.CreatedAt.UTC(), r.AvailableAt.UTC())
	}
	b.WriteString(" RETURNING o.id, o.seq")
	rows, err := s.sqlConn(ctx).QueryContext(ctx, b.String(), args...)
	if err != nil {
		return translate(ctx, op, err)
	}
	defer rows.Close()
	seqs := make(map[string]int64, len(recs))
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return translate(ctx, op, err)
		}
		seqs[id] = seq
	}
	if err := rows.Err(); err != nil {
		return translate(ctx, op, err)
	}
	for _, r := range recs {
		r.Seq = seqs[r.ID]
	}
	return nil
}

// claimOutboxSQL leases the heads of the entities' queues: undelivered,
// available, unleased rows with no undelivered row of their entity before
// them. SKIP LOCKED lets concurrent claimers pass each other's rows; the
// outer UPDATE re-checks the lease on the row it locked.
const claimOutboxSQL = `WITH c AS (
	SELECT o.id FROM clientele_outbox o
	WHERE o.delivered_at IS NULL AND o.available_at <= $2
		AND (o.claimed_until IS NULL OR o.claimed_until <= $2)
		AND NOT EXISTS (SELECT 1 FROM clientele_outbox p
			WHERE p.entity_key = o.entity_key AND p.seq < o.seq AND p.delivered_at IS NULL)
	ORDER BY o.seq
	LIMIT $4
	FOR UPDATE SKIP LOCKED
)
UPDATE clientele_outbox o SET claimed_by = $1, claimed_until = $3
FROM c WHERE o.id = c.id
RETURNING ` + outboxCols

// OutboxClaim implements outbox.Store with one statement.
func (s *Store) OutboxClaim(ctx context.Context, claimer string, now time.Time, lease time.Duration, limit int) ([]*outbox.Record, error) {
	const op = "claim outbox rows"
	if claimer == "" || lease <= 0 || limit < 1 {
		return nil, store.Invalid("outbox", "a claim needs a claimer, a positive lease and a positive limit")
	}
	rows, err := s.sqlConn(ctx).QueryContext(ctx, claimOutboxSQL, claimer, now.UTC(), now.Add(lease).UTC(), limit)
	if err != nil {
		return nil, translate(ctx, op, err)
	}
	out, err := scanRecords(rows)
	if err != nil {
		return nil, translate(ctx, op, err)
	}
	// RETURNING follows no order.
	slices.SortFunc(out, func(a, b *outbox.Record) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (s *Store) outboxExec(ctx context.Context, op, query string, args ...any) (int, error) {
	res, err := s.sqlConn(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return 0, translate(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(ctx, op, err)
	}
	return int(n), nil
}

// OutboxDone implements outbox.Store.
func (s *Store) OutboxDone(ctx context.Context, id string, now time.Time) error {
	_, err := s.outboxExec(ctx, "mark outbox row delivered", `UPDATE clientele_outbox
SET delivered_at = $2, sealed = NULL, claimed_by = NULL, claimed_until = NULL
WHERE id = $1 AND delivered_at IS NULL`, id, now.UTC())
	return err
}

// OutboxRetry implements outbox.Store.
func (s *Store) OutboxRetry(ctx context.Context, id, claimer string, at time.Time, lastError string) error {
	_, err := s.outboxExec(ctx, "record failed outbox delivery", `UPDATE clientele_outbox
SET attempts = attempts + 1, last_error = $3, available_at = $4, claimed_by = NULL, claimed_until = NULL
WHERE id = $1 AND claimed_by = $2 AND delivered_at IS NULL`, id, claimer, nullText(lastError), at.UTC())
	return err
}

// OutboxRelease implements outbox.Store.
func (s *Store) OutboxRelease(ctx context.Context, claimer string) (int, error) {
	return s.outboxExec(ctx, "release outbox leases", `UPDATE clientele_outbox
SET claimed_by = NULL, claimed_until = NULL
WHERE claimed_by = $1 AND delivered_at IS NULL`, claimer)
}

// OutboxPurge implements outbox.Store.
func (s *Store) OutboxPurge(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, store.Invalid("outbox", "a purge needs a positive limit")
	}
	// SKIP LOCKED: the dispatchers of several instances purge at once
	// without waiting on each other's rows.
	return s.outboxExec(ctx, "purge outbox", `DELETE FROM clientele_outbox WHERE id IN (
	SELECT id FROM clientele_outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1
	ORDER BY delivered_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, before.UTC(), limit)
}

// OutboxForget implements outbox.Store, in one statement (a scan of the
// table: erasures are rare, and delivered rows are purged).
func (s *Store) OutboxForget(ctx context.Context, values, ids []string) (int, error) {
	vs := outbox.ForgetValues(values)
	if len(vs) == 0 && len(ids) == 0 {
		return 0, nil
	}
	return s.outboxExec(ctx, "forget outbox rows", `DELETE FROM clientele_outbox
WHERE lower(entity_key) = ANY($1::text[])
	OR lower(substr(entity_key, strpos(entity_key, ':') + 1)) = ANY($1::text[])
	OR lower(data->>'entity_id') = ANY($1::text[])
	OR lower(data->>'email') = ANY($1::text[])
	OR lower(data->>'previous_email') = ANY($1::text[])
	OR (sealed IS NOT NULL AND entity_key = ANY($2::text[]))`, vs, ids)
}

// OutboxGet implements outbox.Store.
func (s *Store) OutboxGet(ctx context.Context, id string) (*outbox.Record, error) {
	rows, err := s.sqlConn(ctx).QueryContext(ctx, `SELECT `+outboxCols+` FROM clientele_outbox o WHERE o.id = $1`, id)
	if err != nil {
		return nil, translate(ctx, "get outbox row", err)
	}
	out, err := scanRecords(rows)
	if err != nil {
		return nil, translate(ctx, "get outbox row", err)
	}
	if len(out) == 0 {
		return nil, &store.NotFoundError{Entity: "Outbox", IDs: []string{id}}
	}
	return out[0], nil
}
