package auth

import (
	"context"
	"time"

	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/store"
)

// AuthIdentity and ProviderIdentity are the identity records; see package
// provider.
type (
	AuthIdentity     = provider.AuthIdentity
	ProviderIdentity = provider.ProviderIdentity
	// Result is what Authenticate, Register, ValidateCallback and
	// UpdateProvider return on success.
	Result = provider.Result
)

// IdentityFilter selects auth identities. Zero fields do not filter; a nil
// slice does not filter, an empty one matches nothing.
type IdentityFilter struct {
	IDs []string
	// EntityIDs and Providers keep identities that have a provider
	// identity with one of these entity ids and providers.
	EntityIDs []string
	Providers []string
	// AppMetadata keeps identities whose app_metadata contains it, as
	// PostgreSQL's jsonb @> means: every key present with an equal scalar,
	// objects contained recursively, arrays holding every element given.
	// E.g. {"customer_id": "cus_1"}.
	AppMetadata map[string]any
}

// ProviderIdentityFilter selects provider identities.
type ProviderIdentityFilter struct {
	IDs       []string
	EntityIDs []string
	// EntityIDsFold matches entity ids case-insensitively; values must be
	// lower-case.
	EntityIDsFold   []string
	Providers       []string
	AuthIdentityIDs []string
}

// ResetToken is a stored password-reset token (table
// auth_password_reset_token): the SHA-256 of the token's jti, hex-encoded.
type ResetToken struct {
	ID                 string
	AuthIdentityID     string
	ProviderIdentityID string
	EntityID           string
	TokenHash          string
	ExpiresAt          time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Sortable declares the columns an auth identity list may be ordered by,
// and the field of AuthIdentity each one holds. Both backends sort by it.
var Sortable = store.NewColumns(
	store.Text("id", func(a *AuthIdentity) string { return a.ID }),
	store.Time("created_at", func(a *AuthIdentity) time.Time { return a.CreatedAt }),
	store.Time("updated_at", func(a *AuthIdentity) time.Time { return a.UpdatedAt }),
	store.NullTime("deleted_at", func(a *AuthIdentity) *time.Time { return a.DeletedAt }),
)

// ProviderSortable declares the columns a provider identity list may be
// ordered by, as [Sortable] does for auth identities.
var ProviderSortable = store.NewColumns(
	store.Text("id", func(p *ProviderIdentity) string { return p.ID }),
	store.Time("created_at", func(p *ProviderIdentity) time.Time { return p.CreatedAt }),
	store.Time("updated_at", func(p *ProviderIdentity) time.Time { return p.UpdatedAt }),
	store.NullTime("deleted_at", func(p *ProviderIdentity) *time.Time { return p.DeletedAt }),
)

// Store is the storage an auth Service needs; see package store for the
// rules every method follows. On PostgreSQL the tables are Medusa 2.21's
// auth_identity, provider_identity and auth_password_reset_token.
type Store interface {
	store.Transactor
	// InsertAuthIdentities inserts identities with their provider
	// identities. It fails with ErrConflict when a (entity_id, provider)
	// pair exists (Medusa's unique index, soft-deleted rows included).
	InsertAuthIdentities(ctx context.Context, ids []*AuthIdentity) error
	// ListAuthIdentities returns the identities matching f, each with its
	// live provider identities (in id order), or with all of them, the
	// soft-deleted ones too, when opts.WithDeleted.
	ListAuthIdentities(ctx context.Context, f IdentityFilter, opts store.ListOptions) ([]*AuthIdentity, error)
	CountAuthIdentities(ctx context.Context, f IdentityFilter, opts store.ListOptions) (int, error)
	// UpdateAuthIdentities writes app_metadata, updated_at and deleted_at
	// by id.
	UpdateAuthIdentities(ctx context.Context, ids []*AuthIdentity) error
	// DeleteAuthIdentities deletes identities for good, with their provider
	// identities and reset tokens.
	DeleteAuthIdentities(ctx context.Context, ids []string) error
	// InsertProviderIdentities adds provider identities to existing auth
	// identities (ErrNotFound otherwise; ErrConflict as above).
	InsertProviderIdentities(ctx context.Context, pis []*ProviderIdentity) error
	ListProviderIdentities(ctx context.Context, f ProviderIdentityFilter, opts store.ListOptions) ([]*ProviderIdentity, error)
	// CountProviderIdentities counts the provider identities matching f,
	// ignoring paging.
	CountProviderIdentities(ctx context.Context, f ProviderIdentityFilter, opts store.ListOptions) (int, error)
	// UpdateProviderIdentities writes entity_id, user_metadata,
	// provider_metadata, updated_at and deleted_at by id.
	UpdateProviderIdentities(ctx context.Context, pis []*ProviderIdentity) error
	// DeleteProviderIdentities deletes provider identities (and their reset
	// tokens) for good.
	DeleteProviderIdentities(ctx context.Context, ids []string) error
	// ReplaceResetToken deletes the other reset tokens of the token's
	// provider identity and inserts t.
	ReplaceResetToken(ctx context.Context, t *ResetToken) error
	// TakeResetToken deletes the token with tokenHash and returns it; of
	// concurrent takes of one token exactly one succeeds. A missing token
	// fails with ErrNotFound.
	TakeResetToken(ctx context.Context, tokenHash string) (*ResetToken, error)
	// PutState stores an OAuth state value under key until expiresAt.
	PutState(ctx context.Context, key string, value []byte, expiresAt time.Time) error
	// TakeState deletes the state under key and returns it when it has not
	// expired at now; of concurrent takes exactly one succeeds. Missing or
	// expired: ErrNotFound.
	TakeState(ctx context.Context, key string, now time.Time) ([]byte, error)
}
