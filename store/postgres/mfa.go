package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/uptrace/bun"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// auth.MFAStore on Medusa's auth_mfa_factor and auth_mfa_recovery_code,
// and on clientele_mfa_challenge. clientele never soft-deletes factors or
// codes (a used or replaced code is deleted, as Medusa does); rows Medusa
// soft-deleted are not read.

var _ auth.MFAStore = (*Store)(nil)

type mfaFactorRow struct {
	bun.BaseModel `bun:"table:auth_mfa_factor,alias:mf"`

	ID               string         `bun:"id,pk,type:text"`
	AuthIdentityID   string         `bun:"auth_identity_id,notnull,type:text"`
	Provider         string         `bun:"provider,notnull,type:text"`
	Status           string         `bun:"status,notnull,type:text"`
	ProviderMetadata map[string]any `bun:"provider_metadata,nullzero,type:jsonb"`
	Metadata         map[string]any `bun:"metadata,nullzero,type:jsonb"`
	CreatedAt        time.Time      `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt        time.Time      `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt        *time.Time     `bun:"deleted_at,type:timestamptz"`
}

type recoveryCodeRow struct {
	bun.BaseModel `bun:"table:auth_mfa_recovery_code,alias:mr"`

	ID             string     `bun:"id,pk,type:text"`
	AuthIdentityID string     `bun:"auth_identity_id,notnull,type:text"`
	CodeHash       string     `bun:"code_hash,notnull,type:text"`
	CreatedAt      time.Time  `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt      time.Time  `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt      *time.Time `bun:"deleted_at,type:timestamptz"`
}

var (
	mfaFactorTable    = newTable(mfaFactorRow{}, noColumns{})
	recoveryCodeTable = newTable(recoveryCodeRow{}, noColumns{})

	mfaFactorWriter    = newWriter(mfaFactorRow{})
	recoveryCodeWriter = newWriter(recoveryCodeRow{})

	// See auth.MFAStore for the columns UpdateMFAFactor writes.
	mfaFactorUpdate = mfaFactorWriter.update("status", "provider_metadata", "metadata", "updated_at")
)

func toMFAFactorRow(f *auth.MFAFactor) mfaFactorRow {
	return mfaFactorRow{
		ID: f.ID, AuthIdentityID: f.AuthIdentityID, Provider: f.Provider, Status: f.Status,
		ProviderMetadata: f.ProviderMetadata, Metadata: f.Metadata, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, DeletedAt: f.DeletedAt,
	}
}

func (r *mfaFactorRow) factor() *auth.MFAFactor {
	return &auth.MFAFactor{
		ID: r.ID, AuthIdentityID: r.AuthIdentityID, Provider: r.Provider, Status: r.Status,
		ProviderMetadata: r.ProviderMetadata, Metadata: r.Metadata,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), DeletedAt: utcPtr(r.DeletedAt),
	}
}

func toRecoveryCodeRow(c *auth.RecoveryCode) recoveryCodeRow {
	return recoveryCodeRow{ID: c.ID, AuthIdentityID: c.AuthIdentityID, CodeHash: c.CodeHash, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (r *recoveryCodeRow) code() *auth.RecoveryCode {
	return &auth.RecoveryCode{ID: r.ID, AuthIdentityID: r.AuthIdentityID, CodeHash: r.CodeHash, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// InsertMFAFactor implements auth.MFAStore. Medusa's partial unique index
// refuses a second active factor of one provider (a *store.ConflictError);
// its foreign key an unknown identity (a *store.NotFoundError).
func (s *Store) InsertMFAFactor(ctx context.Context, f *auth.MFAFactor) error {
	if f == nil || f.ID == "" {
		return store.Invalid("id", "an MFA factor needs an id")
	}
	return insertRows(ctx, s, "insert MFA factor", mfaFactorWriter, []mfaFactorRow{toMFAFactorRow(f)})
}

// ListMFAFactors implements auth.MFAStore (served by Medusa's index on
// auth_identity_id).
func (s *Store) ListMFAFactors(ctx context.Context, f auth.MFAFactorFilter, opts store.ListOptions) ([]*auth.MFAFactor, error) {
	q := newQuery(mfaFactorTable)
	q.live(opts.WithDeleted)
	q.in("id", f.IDs)
	q.in("auth_identity_id", f.AuthIdentityIDs)
	q.in("provider", f.Providers)
	q.in("status", f.Statuses)
	var rows []mfaFactorRow
	if err := s.list(ctx, "list MFA factors", q, opts, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*mfaFactorRow).factor), nil
}

// UpdateMFAFactor implements auth.MFAStore. A factor that does not exist
// is a *store.NotFoundError.
func (s *Store) UpdateMFAFactor(ctx context.Context, f *auth.MFAFactor) error {
	const op = "update MFA factor"
	args, err := mfaFactorWriter.arrays(reflect.ValueOf([]mfaFactorRow{toMFAFactorRow(f)}), mfaFactorUpdate.cols)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	res, err := s.sqlConn(ctx).ExecContext(ctx, mfaFactorUpdate.sql, args...)
	if err != nil {
		return translate(ctx, op, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return &store.NotFoundError{Entity: "AuthMfaFactor", IDs: []string{f.ID}}
	}
	return nil
}

// ReplaceRecoveryCodes implements auth.MFAStore in one statement.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, authIdentityID string, codes []*auth.RecoveryCode) error {
	const op = "replace recovery codes"
	for _, c := range codes {
		if c.AuthIdentityID != authIdentityID || c.ID == "" {
			return store.Invalid("auth_identity_id", "every recovery code needs an id and the identity %s", authIdentityID)
		}
	}
	args, err := recoveryCodeWriter.arrays(reflect.ValueOf(rowsOf(codes, toRecoveryCodeRow)), recoveryCodeWriter.cols)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	// The identity is locked first, so that concurrent replacements take
	// turns and one set of codes is left; a missing identity fails the
	// insert's foreign key.
	return s.InTx(ctx, func(ctx context.Context) error {
		conn := s.sqlConn(ctx)
		if _, err := conn.ExecContext(ctx, "SELECT 1 FROM auth_identity WHERE id = $1 FOR NO KEY UPDATE", authIdentityID); err != nil {
			return translate(ctx, op, err)
		}
		if _, err := conn.ExecContext(ctx, "DELETE FROM auth_mfa_recovery_code WHERE auth_identity_id = $1", authIdentityID); err != nil {
			return translate(ctx, op, err)
		}
		if len(codes) == 0 {
			return nil
		}
		_, err := conn.ExecContext(ctx, recoveryCodeWriter.insert, args...)
		return translate(ctx, op, err)
	})
}

// ListRecoveryCodes implements auth.MFAStore (Medusa's index on
// auth_identity_id).
func (s *Store) ListRecoveryCodes(ctx context.Context, authIdentityID string) ([]*auth.RecoveryCode, error) {
	q := newQuery(recoveryCodeTable)
	q.live(false)
	q.in("auth_identity_id", []string{authIdentityID})
	var rows []recoveryCodeRow
	if err := s.list(ctx, "list recovery codes", q, store.ListOptions{}, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*recoveryCodeRow).code), nil
}

// DeleteRecoveryCode implements auth.MFAStore: of concurrent deletes one
// removes the row.
func (s *Store) DeleteRecoveryCode(ctx context.Context, id string) (bool, error) {
	res, err := s.sqlConn(ctx).ExecContext(ctx, "DELETE FROM auth_mfa_recovery_code WHERE id = $1", id)
	if err != nil {
		return false, translate(ctx, "delete recovery code", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translate(ctx, "delete recovery code", err)
	}
	return n > 0, nil
}

// insertChallengeSQL inserts a challenge and deletes up to 100 that
// expired before $10, as putStateSQL does for OAuth state.
const insertChallengeSQL = `WITH expired AS (
	DELETE FROM clientele_mfa_challenge WHERE id IN (
		SELECT id FROM clientele_mfa_challenge WHERE expires_at < $10
		ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED))
INSERT INTO clientele_mfa_challenge (id, auth_identity_id, auth_provider, methods, expires_at, attempts, max_attempts, completed_at, metadata, created_at)
VALUES ($1, $2, NULLIF($3, ''), $4::text[], $5, $6, $7, $8, $9::jsonb, $11)`

// InsertMFAChallenge implements auth.MFAStore on clientele_mfa_challenge.
func (s *Store) InsertMFAChallenge(ctx context.Context, c *auth.MFAChallenge, now time.Time) error {
	if c == nil || c.ID == "" {
		return store.Invalid("id", "an MFA challenge needs an id")
	}
	md, err := jsonArg(c.Metadata)
	if err != nil {
		return err
	}
	_, err = s.sqlConn(ctx).ExecContext(ctx, insertChallengeSQL, c.ID, c.AuthIdentityID, c.AuthProvider, c.Methods,
		c.ExpiresAt.UTC(), c.Attempts, c.MaxAttempts, utcArg(c.CompletedAt), md, now.UTC(), c.CreatedAt.UTC())
	return translate(ctx, "insert MFA challenge", err)
}

// GetMFAChallenge implements auth.MFAStore; lock reads FOR UPDATE.
func (s *Store) GetMFAChallenge(ctx context.Context, id string, lock bool) (*auth.MFAChallenge, error) {
	q := `SELECT id, auth_identity_id, COALESCE(auth_provider, ''), to_json(methods)::text, expires_at, attempts, max_attempts, completed_at, metadata, created_at
	FROM clientele_mfa_challenge WHERE id = $1`
	if lock {
		q += " FOR UPDATE"
	}
	var c auth.MFAChallenge
	var methods string
	var completed sql.NullTime
	var md []byte
	err := s.sqlConn(ctx).QueryRowContext(ctx, q, id).Scan(&c.ID, &c.AuthIdentityID, &c.AuthProvider, &methods, &c.ExpiresAt,
		&c.Attempts, &c.MaxAttempts, &completed, &md, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &store.NotFoundError{Entity: "MFA challenge", IDs: []string{id}}
	}
	if err != nil {
		return nil, translate(ctx, "get MFA challenge", err)
	}
	if err := json.Unmarshal([]byte(methods), &c.Methods); err != nil {
		return nil, fmt.Errorf("postgres: MFA challenge %s: methods: %w", id, err)
	}
	if md != nil {
		if err := json.Unmarshal(md, &c.Metadata); err != nil {
			return nil, fmt.Errorf("postgres: MFA challenge %s: metadata: %w", id, err)
		}
	}
	c.ExpiresAt, c.CreatedAt = c.ExpiresAt.UTC(), c.CreatedAt.UTC()
	if completed.Valid {
		t := completed.Time.UTC()
		c.CompletedAt = &t
	}
	return &c, nil
}

// UpdateMFAChallenge implements auth.MFAStore.
func (s *Store) UpdateMFAChallenge(ctx context.Context, c *auth.MFAChallenge) error {
	res, err := s.sqlConn(ctx).ExecContext(ctx, "UPDATE clientele_mfa_challenge SET attempts = $2, completed_at = $3 WHERE id = $1",
		c.ID, c.Attempts, utcArg(c.CompletedAt))
	if err != nil {
		return translate(ctx, "update MFA challenge", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return &store.NotFoundError{Entity: "MFA challenge", IDs: []string{c.ID}}
	}
	return nil
}

// jsonArg encodes a metadata object for a jsonb parameter (nil: NULL).
func jsonArg(m map[string]any) (any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, store.Invalid("metadata", "metadata is not valid JSON: %v", err)
	}
	return string(b), nil
}
