package postgres

import (
	"context"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// CountProviderIdentities implements auth.Store.
func (s *Store) CountProviderIdentities(ctx context.Context, f auth.ProviderIdentityFilter, opts store.ListOptions) (int, error) {
	return s.count(ctx, "count provider identities", providerIdentityQuery(f, opts.WithDeleted))
}
