package memory

import (
	"context"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

// CountProviderIdentities implements auth.Store.
func (s *Store) CountProviderIdentities(ctx context.Context, f auth.ProviderIdentityFilter, opts store.ListOptions) (int, error) {
	return read(ctx, s, func() int {
		match := providerMatcher(f, opts)
		n := 0
		for _, p := range s.providerCandidates(f) {
			if match(p) {
				n++
			}
		}
		return n
	})
}
