package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// auth.VerificationStore on Medusa's auth_verification. The code's hash is
// kept where Medusa keeps it, provider_metadata->>'token_hash', found
// through clientele's expression index on it (migration
// 0009_clientele_verification.sql).

var _ auth.VerificationStore = (*Store)(nil)

// verificationRow maps auth_verification.
type verificationRow struct {
	bun.BaseModel `bun:"table:auth_verification,alias:av"`

	ID               string         `bun:"id,pk,type:text"`
	AuthIdentityID   string         `bun:"auth_identity_id,notnull,type:text"`
	EntityID         string         `bun:"entity_id,notnull,type:text"`
	EntityType       string         `bun:"entity_type,notnull,type:text"`
	CodeProvider     string         `bun:"code_provider,notnull,type:text"`
	VerifiedAt       *time.Time     `bun:"verified_at,type:timestamptz"`
	RequestedAt      time.Time      `bun:"requested_at,notnull,type:timestamptz"`
	ProviderMetadata map[string]any `bun:"provider_metadata,nullzero,type:jsonb"`
	Metadata         map[string]any `bun:"metadata,nullzero,type:jsonb"`
	CreatedAt        time.Time      `bun:"created_at,notnull,type:timestamptz"`
	UpdatedAt        time.Time      `bun:"updated_at,notnull,type:timestamptz"`
	DeletedAt        *time.Time     `bun:"deleted_at,type:timestamptz"`
}

var verificationTable = newTable(verificationRow{}, noColumns{})

// verificationHash is the expression of the code's hash (the index's).
const verificationHash = "(av.provider_metadata->>'token_hash')"

func (r *verificationRow) verification() *auth.Verification {
	v := &auth.Verification{
		ID: r.ID, AuthIdentityID: r.AuthIdentityID, EntityID: r.EntityID, EntityType: r.EntityType,
		CodeProvider: r.CodeProvider, VerifiedAt: utcPtr(r.VerifiedAt), RequestedAt: utc(r.RequestedAt),
		ProviderMetadata: map[string]any{}, Metadata: r.Metadata,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), DeletedAt: utcPtr(r.DeletedAt),
	}
	for k, val := range r.ProviderMetadata {
		if k == "token_hash" {
			v.CodeHash, _ = val.(string)
			continue
		}
		v.ProviderMetadata[k] = val
	}
	return v
}

// providerMetadataJSON is v's provider_metadata column: its
// ProviderMetadata with the code's hash as "token_hash".
func providerMetadataJSON(v *auth.Verification) ([]byte, error) {
	pm := make(map[string]any, len(v.ProviderMetadata)+1)
	for k, val := range v.ProviderMetadata {
		pm[k] = val
	}
	pm["token_hash"] = v.CodeHash
	return json.Marshal(pm)
}

func nullJSON(m map[string]any) (any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// renewVerificationSQL inserts a verification or, when the identity has a
// live row for the entity (Medusa's partial unique index), gives that row
// the new code, unless it is verified and $11 is false: then it returns
// nothing and the row is read by id.
var renewVerificationSQL = `INSERT INTO auth_verification AS av
	(id, auth_identity_id, entity_id, entity_type, code_provider, verified_at, requested_at, provider_metadata, metadata, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, NULL, $6, $7::jsonb, $8::jsonb, $9, $9)
ON CONFLICT (auth_identity_id, entity_id, entity_type) WHERE deleted_at IS NULL DO UPDATE SET
	code_provider = EXCLUDED.code_provider, provider_metadata = EXCLUDED.provider_metadata,
	requested_at = EXCLUDED.requested_at, verified_at = NULL, updated_at = EXCLUDED.updated_at,
	metadata = CASE WHEN $10 THEN EXCLUDED.metadata ELSE av.metadata END
WHERE av.verified_at IS NULL OR $11
RETURNING ` + verificationTable.cols

// RenewVerification implements auth.VerificationStore with one upsert on
// Medusa's unique index (auth_identity_id, entity_id, entity_type), and a
// read of the verified row it leaves alone.
func (s *Store) RenewVerification(ctx context.Context, v *auth.Verification, replaceVerified bool) (*auth.Verification, bool, error) {
	const op = "renew verification"
	if v == nil || v.ID == "" || v.AuthIdentityID == "" || v.EntityID == "" || v.EntityType == "" {
		return nil, false, store.Invalid("verification", "a verification needs an id, an identity and an entity")
	}
	pm, err := providerMetadataJSON(v)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: %s: %w", op, err)
	}
	md, err := nullJSON(v.Metadata)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: %s: %w", op, err)
	}
	rows, err := s.sqlConn(ctx).QueryContext(ctx, renewVerificationSQL,
		v.ID, v.AuthIdentityID, v.EntityID, v.EntityType, v.CodeProvider, v.RequestedAt.UTC(),
		string(pm), md, v.UpdatedAt.UTC(), v.Metadata != nil, replaceVerified)
	if err != nil {
		return nil, false, translate(ctx, op, err)
	}
	var out []verificationRow
	if err := s.db.ScanRows(ctx, rows, &out); err != nil {
		return nil, false, translate(ctx, op, err)
	}
	if len(out) == 1 {
		return out[0].verification(), true, nil
	}
	// The live row is verified: read it.
	found, err := s.ListVerifications(ctx, auth.VerificationFilter{
		AuthIdentityIDs: []string{v.AuthIdentityID}, EntityIDs: []string{v.EntityID}, EntityTypes: []string{v.EntityType},
	})
	if err != nil {
		return nil, false, err
	}
	if len(found) == 0 {
		// Deleted between the two statements.
		return nil, false, &store.NotFoundError{Entity: "AuthVerification", Err: store.ErrNotFound}
	}
	return found[0], false, nil
}

// ListVerifications implements auth.VerificationStore.
func (s *Store) ListVerifications(ctx context.Context, f auth.VerificationFilter) ([]*auth.Verification, error) {
	q := newQuery(verificationTable)
	q.live(false)
	q.in("id", f.IDs)
	q.in("auth_identity_id", f.AuthIdentityIDs)
	q.in("entity_id", f.EntityIDs)
	q.in("entity_type", f.EntityTypes)
	q.inExpr(verificationHash, f.CodeHashes)
	var rows []verificationRow
	if err := s.list(ctx, "list verifications", q, store.ListOptions{}, &rows); err != nil {
		return nil, err
	}
	return valuesOf(rows, (*verificationRow).verification), nil
}

// MarkVerified implements auth.VerificationStore with one conditional
// UPDATE: of concurrent calls one changes the row, the others find it
// verified (PostgreSQL re-checks the condition on the row it waited for).
func (s *Store) MarkVerified(ctx context.Context, id, codeHash string, now time.Time) (bool, error) {
	res, err := s.sqlConn(ctx).ExecContext(ctx, `UPDATE auth_verification AS av SET verified_at = $3, updated_at = $3
WHERE av.id = $1 AND `+verificationHash+` = $2 AND av.verified_at IS NULL AND av.deleted_at IS NULL`,
		id, codeHash, now.UTC())
	if err != nil {
		return false, translate(ctx, "mark verification verified", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translate(ctx, "mark verification verified", err)
	}
	return n == 1, nil
}
