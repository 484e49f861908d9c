package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// auth.Store on Medusa's auth_identity, provider_identity and
// auth_password_reset_token, and on clientele_auth_state for OAuth state.

var (
	// insertIdentitiesSQL inserts auth identities and their provider
	// identities in one statement: the provider identities' foreign key
	// sees the identities the WITH inserted.
	insertIdentitiesSQL = "WITH ai AS (" + authIdentityWriter.insert + ") " +
		providerIdentityWriter.insertSQL(len(authIdentityWriter.cols)+1)

	// replaceResetTokenSQL deletes the live tokens of the new token's
	// provider identity and inserts it. It runs after the provider
	// identity is locked, in a statement of its own, so that it sees a
	// token a concurrent request committed meanwhile.
	replaceResetTokenSQL = "WITH gone AS (DELETE FROM auth_password_reset_token WHERE provider_identity_id = ANY($" +
		strconv.Itoa(resetTokenWriter.param("provider_identity_id")) + "::text[]) AND deleted_at IS NULL) " +
		resetTokenWriter.insert

	// takeResetTokenSQL deletes a token and returns it; of concurrent takes
	// one deletes the row, the others find it gone. deleted_at IS NULL
	// matches Medusa's partial index on token_hash.
	takeResetTokenSQL = "DELETE FROM auth_password_reset_token AS " + resetTokenTable.alias + " WHERE " +
		resetTokenTable.col("token_hash") + " = $1 AND " + resetTokenTable.col("deleted_at") + " IS NULL RETURNING " + resetTokenTable.cols
)

// authIdentityQuery returns a query on auth_identity with f applied.
func authIdentityQuery(f auth.IdentityFilter, withDeleted bool) (*query, error) {
	q := newQuery(authIdentityTable)
	q.live(withDeleted)
	q.in("id", f.IDs)
	if f.EntityIDs != nil || f.Providers != nil {
		// One live provider identity must match both lists. Served by
		// Medusa's unique index on (entity_id, provider).
		conds := []string{"p.auth_identity_id = " + q.t.col("id"), "p.deleted_at IS NULL"}
		for _, c := range []string{q.match("p.entity_id", f.EntityIDs), q.match("p.provider", f.Providers)} {
			if c != "" {
				conds = append(conds, c)
			}
		}
		q.cond("EXISTS (SELECT 1 FROM provider_identity AS p WHERE " + strings.Join(conds, " AND ") + ")")
	}
	if len(f.AppMetadata) > 0 {
		b, err := json.Marshal(f.AppMetadata)
		if err != nil {
			return nil, store.Invalid("app_metadata", "app_metadata is not valid JSON: %v", err)
		}
		q.cond(q.t.col("app_metadata") + " @> " + q.arg(string(b)) + "::jsonb")
	}
	return q, nil
}

// ListAuthIdentities implements auth.Store. The identities of the page
// come with their live provider identities (all of them with
// opts.WithDeleted), in id order, read with one more query.
func (s *Store) ListAuthIdentities(ctx context.Context, f auth.IdentityFilter, opts store.ListOptions) ([]*auth.AuthIdentity, error) {
	const op = "list auth identities"
	q, err := authIdentityQuery(f, opts.WithDeleted)
	if err != nil {
		return nil, err
	}
	var rows []authIdentityRow
	if err := s.list(ctx, op, q, opts, &rows); err != nil {
		return nil, err
	}
	out := valuesOf(rows, (*authIdentityRow).authIdentity)
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, len(out))
	byID := make(map[string]*auth.AuthIdentity, len(out))
	for i, a := range out {
		ids[i] = a.ID
		byID[a.ID] = a
	}
	pis, err := s.ListProviderIdentities(ctx, auth.ProviderIdentityFilter{AuthIdentityIDs: ids}, store.ListOptions{WithDeleted: opts.WithDeleted})
	if err != nil {
		return nil, err
	}
	for _, p := range pis {
		if a := byID[p.AuthIdentityID]; a != nil {
			a.ProviderIdentities = append(a.ProviderIdentities, p)
		}
	}
	return out, nil
}

// CountAuthIdentities implements auth.Store.
func (s *Store) CountAuthIdentities(ctx context.Context, f auth.IdentityFilter, opts store.ListOptions) (int, error) {
	q, err := authIdentityQuery(f, opts.WithDeleted)
	if err != nil {
		return 0, err
	}
	return s.count(ctx, "count auth identities", q)
}

// InsertAuthIdentities implements auth.Store: the identities and their
// provider identities go in with one statement. A (entity_id, provider)
// pair that exists fails with a *store.ConflictError, Medusa's "Provider
// identity with entity_id: …, provider: …, already exists.".
func (s *Store) InsertAuthIdentities(ctx context.Context, ids []*auth.AuthIdentity) error {
	const op = "insert auth identities"
	if len(ids) == 0 {
		return nil
	}
	var pis []providerIdentityRow
	for _, a := range ids {
		for _, p := range a.ProviderIdentities {
			pis = append(pis, toProviderIdentityRow(p))
		}
	}
	args, err := authIdentityWriter.arrays(reflect.ValueOf(rowsOf(ids, toAuthIdentityRow)), authIdentityWriter.cols)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	piArgs, err := providerIdentityWriter.arrays(reflect.ValueOf(pis), providerIdentityWriter.cols)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	wrote(ctx)
	_, err = s.sqlConn(ctx).ExecContext(ctx, insertIdentitiesSQL, append(args, piArgs...)...)
	return translate(ctx, op, err)
}

// UpdateAuthIdentities implements auth.Store: it writes app_metadata,
// updated_at and deleted_at.
func (s *Store) UpdateAuthIdentities(ctx context.Context, ids []*auth.AuthIdentity) error {
	return updateRows(ctx, s, "update auth identities", authIdentityWriter, authIdentityUpdate, rowsOf(ids, toAuthIdentityRow))
}

// DeleteAuthIdentities implements auth.Store. Medusa's foreign keys delete
// the identities' provider identities and reset tokens (and MFA factors,
// recovery codes and verifications) with them.
func (s *Store) DeleteAuthIdentities(ctx context.Context, ids []string) error {
	return deleteByID(ctx, s, "delete auth identities", authIdentityWriter, ids)
}

// providerIdentityQuery returns a query on provider_identity with f
// applied.
func providerIdentityQuery(f auth.ProviderIdentityFilter, withDeleted bool) *query {
	q := newQuery(providerIdentityTable)
	q.live(withDeleted)
	q.in("id", f.IDs)
	q.in("entity_id", f.EntityIDs)
	// Served by the lower(entity_id) index; the values are lower-case.
	q.inExpr("lower("+q.t.col("entity_id")+")", f.EntityIDsFold)
	q.in("provider", f.Providers)
	q.in("auth_identity_id", f.AuthIdentityIDs)
	return q
}

// InsertProviderIdentities implements auth.Store. An auth identity that
// does not exist fails with a *store.NotFoundError naming it.
func (s *Store) InsertProviderIdentities(ctx context.Context, pis []*auth.ProviderIdentity) error {
	return insertRows(ctx, s, "insert provider identities", providerIdentityWriter, rowsOf(pis, toProviderIdentityRow))
}

// ListProviderIdentities implements auth.Store.
func (s *Store) ListProviderIdentities(ctx context.Context, f auth.ProviderIdentityFilter, opts store.ListOptions) ([]*auth.ProviderIdentity, error) {
	var rows []providerIdentityRow
	if err := s.list(ctx, "list provider identities", providerIdentityQuery(f, opts.WithDeleted), opts, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*providerIdentityRow).providerIdentity), nil
}

// UpdateProviderIdentities implements auth.Store: it writes entity_id,
// user_metadata, provider_metadata, updated_at and deleted_at.
func (s *Store) UpdateProviderIdentities(ctx context.Context, pis []*auth.ProviderIdentity) error {
	return updateRows(ctx, s, "update provider identities", providerIdentityWriter, providerIdentityUpdate, rowsOf(pis, toProviderIdentityRow))
}

// DeleteProviderIdentities implements auth.Store; their reset tokens go
// with them (ON DELETE CASCADE).
func (s *Store) DeleteProviderIdentities(ctx context.Context, ids []string) error {
	return deleteByID(ctx, s, "delete provider identities", providerIdentityWriter, ids)
}

// ReplaceResetToken implements auth.Store. In one unit of work it locks
// the token's provider identity, so that concurrent requests for one
// identity take turns and leave one token, then deletes the identity's
// live tokens and inserts t. A provider identity that does not exist fails
// with a *store.NotFoundError.
func (s *Store) ReplaceResetToken(ctx context.Context, t *auth.ResetToken) error {
	const op = "replace reset token"
	args, err := resetTokenWriter.arrays(reflect.ValueOf([]resetTokenRow{toResetTokenRow(t)}), resetTokenWriter.cols)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		conn := s.sqlConn(ctx)
		var id string
		err := conn.QueryRowContext(ctx, "SELECT id FROM provider_identity WHERE id = $1 FOR NO KEY UPDATE", t.ProviderIdentityID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return &store.NotFoundError{Entity: "ProviderIdentity", IDs: []string{t.ProviderIdentityID}}
		}
		if err != nil {
			return translate(ctx, op, err)
		}
		_, err = conn.ExecContext(ctx, replaceResetTokenSQL, args...)
		return translate(ctx, op, err)
	})
}

// TakeResetToken implements auth.Store with one DELETE … RETURNING: of
// concurrent takes of a token exactly one gets it.
func (s *Store) TakeResetToken(ctx context.Context, tokenHash string) (*auth.ResetToken, error) {
	const op = "take reset token"
	rows, err := s.sqlConn(ctx).QueryContext(ctx, takeResetTokenSQL, tokenHash)
	if err != nil {
		return nil, translate(ctx, op, err)
	}
	var out []resetTokenRow
	if err := s.db.ScanRows(ctx, rows, &out); err != nil {
		return nil, translate(ctx, op, err)
	}
	if len(out) == 0 {
		return nil, &store.NotFoundError{Entity: "PasswordResetToken"}
	}
	return out[0].resetToken(), nil
}

// statePurge is how many expired states a PutState deletes at most.
const statePurge = 100

// putStateSQL upserts a state and deletes up to statePurge expired ones
// (through the expires_at index). SKIP LOCKED leaves the rows another
// PutState is deleting to it, so concurrent calls never wait on each other
// there.
var putStateSQL = `WITH expired AS (
	DELETE FROM clientele_auth_state WHERE key IN (
		SELECT key FROM clientele_auth_state WHERE expires_at < now() AND key <> $1
		ORDER BY expires_at LIMIT ` + strconv.Itoa(statePurge) + ` FOR UPDATE SKIP LOCKED))
INSERT INTO clientele_auth_state (key, value, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, created_at = now()`

// PutState implements auth.Store on clientele_auth_state. Each call also
// deletes some expired states.
func (s *Store) PutState(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	if value == nil {
		value = []byte{} // the column is NOT NULL
	}
	_, err := s.sqlConn(ctx).ExecContext(ctx, putStateSQL, key, value, expiresAt)
	return translate(ctx, "put state", err)
}

// TakeState implements auth.Store: the state is deleted whether or not it
// has expired; of concurrent takes exactly one finds it.
func (s *Store) TakeState(ctx context.Context, key string, now time.Time) ([]byte, error) {
	var value []byte
	var expiresAt time.Time
	err := s.sqlConn(ctx).QueryRowContext(ctx,
		"DELETE FROM clientele_auth_state WHERE key = $1 RETURNING value, expires_at", key).Scan(&value, &expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &store.NotFoundError{Entity: "State"}
	}
	if err != nil {
		return nil, translate(ctx, "take state", err)
	}
	if !now.Before(expiresAt) {
		return nil, &store.NotFoundError{Entity: "State"}
	}
	return value, nil
}
