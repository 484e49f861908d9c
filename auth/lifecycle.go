package auth

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/page"
	"github.com/clientele/clientele/internal/set"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/store"
)

// Events of soft deletes and restores (Medusa's internal module events
// auth.auth_identity.deleted and the like), delivered after the change
// commits. Identity events carry {"id"}; provider identity events carry
// {"id", "auth_identity_id", "provider"}. A soft delete of an auth
// identity emits one event for it and one for each provider identity it
// took along; a restore likewise.
const (
	EventIdentityDeleted          = "auth_identity.deleted"
	EventIdentityRestored         = "auth_identity.restored"
	EventProviderIdentityDeleted  = "provider_identity.deleted"
	EventProviderIdentityRestored = "provider_identity.restored"
)

// MaxIDLength is the longest id, in bytes, that CreateAuthIdentity and
// CreateProviderIdentity accept from the caller.
const MaxIDLength = 255

// checkID refuses an id given by the caller that could not be one: blank,
// longer than MaxIDLength, with a NUL byte, invalid UTF-8, a control
// character or surrounding white space. An empty id is fine: the service
// makes one.
func checkID(field, id string) error {
	if id == "" {
		return nil
	}
	if err := text.Check(field, id); err != nil {
		return identityDom.Classify(err)
	}
	switch {
	case strings.TrimSpace(id) == "":
		return identityDom.Invalidf(field, "must not be blank")
	case len(id) > MaxIDLength:
		return identityDom.Invalidf(field, "must be at most %d bytes long", MaxIDLength)
	case strings.TrimSpace(id) != id:
		return identityDom.Invalidf(field, "must not begin or end with white space")
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return identityDom.Invalidf(field, "must not contain control characters")
	}
	return nil
}

// Deleted reports what SoftDeleteAuthIdentities or RestoreAuthIdentities
// changed: the auth identities and the provider identities that went or
// came back with them.
type Deleted struct {
	AuthIdentityIDs     []string
	ProviderIdentityIDs []string
}

// SoftDeleteAuthIdentities marks auth identities deleted, with their live
// provider identities (Medusa's softDeleteAuthIdentities, which cascades
// to them), and returns what it changed. Unknown and already deleted ids
// are ignored.
//
// A soft-deleted identity cannot log in (its provider identities are not
// found, so emailpass answers "Invalid email or password"), and, when the
// service checks revocations, every token and session issued to it before
// is refused from now on ([Service.RevokeAll]); those stay refused after a
// restore. Its provider identities keep their (entity_id, provider) pairs,
// as Medusa's unique index counts soft-deleted rows: registering the same
// email again fails until the identity is restored or deleted for good.
func (s *Service) SoftDeleteAuthIdentities(ctx context.Context, ids ...string) (Deleted, error) {
	return s.setIdentitiesDeleted(ctx, ids, true)
}

// RestoreAuthIdentities undoes SoftDeleteAuthIdentities: the identities
// and every soft-deleted provider identity of theirs come back (those
// soft-deleted on their own before too, as Medusa's cascading restore
// does), and can log in again. Unknown and live ids are ignored.
func (s *Service) RestoreAuthIdentities(ctx context.Context, ids ...string) (Deleted, error) {
	return s.setIdentitiesDeleted(ctx, ids, false)
}

func (s *Service) setIdentitiesDeleted(ctx context.Context, ids []string, del bool) (Deleted, error) {
	res := Deleted{AuthIdentityIDs: []string{}, ProviderIdentityIDs: []string{}}
	ids = set.Dedupe(ids)
	if len(ids) == 0 {
		return res, nil
	}
	if err := text.Fields("ids", ids); err != nil {
		return res, identityDom.Classify(err)
	}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		found, err := s.st.ListAuthIdentities(ctx, IdentityFilter{IDs: ids}, store.ListOptions{WithDeleted: !del, Lock: true})
		if err != nil {
			return err
		}
		now := s.clock()
		todo := flip(found, del, now, func(a *AuthIdentity) (**time.Time, *time.Time) { return &a.DeletedAt, &a.UpdatedAt })
		if len(todo) == 0 {
			return nil
		}
		aids := set.Keys(todo, authIdentityID)
		pis, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{AuthIdentityIDs: aids}, store.ListOptions{WithDeleted: !del, Lock: true})
		if err != nil {
			return err
		}
		pis = flipProviders(pis, del, now)
		if err := s.st.UpdateAuthIdentities(ctx, todo); err != nil {
			return identityDom.Classify(err)
		}
		if len(pis) > 0 {
			if err := s.st.UpdateProviderIdentities(ctx, pis); err != nil {
				return identityDom.Classify(err)
			}
		}
		if del {
			for _, id := range aids {
				if err := s.revokeAfter(ctx, id, ""); err != nil {
					return err
				}
			}
		}
		name := EventIdentityDeleted
		if !del {
			name = EventIdentityRestored
		}
		if err := s.events.Emit(ctx, event.Each(name, aids...)...); err != nil {
			return err
		}
		if err := s.emitProviders(ctx, del, pis); err != nil {
			return err
		}
		res.AuthIdentityIDs = aids
		res.ProviderIdentityIDs = set.Keys(pis, providerIdentityID)
		return nil
	})
	if err != nil {
		return Deleted{}, err
	}
	return res, nil
}

// SoftDeleteProviderIdentities marks provider identities deleted and
// returns the ids it changed (Medusa's softDeleteProviderIdentities):
// their auth identity can no longer log in with them, and keeps its other
// ways in. Tokens already issued stay valid; call [Service.RevokeAll] to
// end them too. Unknown and already deleted ids are ignored.
func (s *Service) SoftDeleteProviderIdentities(ctx context.Context, ids ...string) ([]string, error) {
	return s.setProvidersDeleted(ctx, ids, true)
}

// RestoreProviderIdentities undoes SoftDeleteProviderIdentities and
// returns the ids it changed. A provider identity whose auth identity is
// soft-deleted is not restored on its own: the call fails with
// ErrNotFound naming that auth identity, and restores nothing (restore
// the auth identity instead, which brings its provider identities back).
// Unknown and live ids are ignored.
func (s *Service) RestoreProviderIdentities(ctx context.Context, ids ...string) ([]string, error) {
	return s.setProvidersDeleted(ctx, ids, false)
}

func (s *Service) setProvidersDeleted(ctx context.Context, ids []string, del bool) ([]string, error) {
	ids = set.Dedupe(ids)
	if len(ids) == 0 {
		return []string{}, nil
	}
	if err := text.Fields("ids", ids); err != nil {
		return nil, identityDom.Classify(err)
	}
	changed := []string{}
	err := s.st.InTx(ctx, func(ctx context.Context) error {
		if !del {
			// Lock the auth identities first, as SoftDeleteAuthIdentities
			// does, so that one cannot be soft-deleted meanwhile.
			pis, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{IDs: ids}, store.ListOptions{WithDeleted: true})
			if err != nil {
				return err
			}
			owners := set.Keys(pis, func(p *ProviderIdentity) string { return p.AuthIdentityID })
			if len(owners) > 0 {
				live, err := s.st.ListAuthIdentities(ctx, IdentityFilter{IDs: owners}, store.ListOptions{Lock: true})
				if err != nil {
					return err
				}
				if missing := set.Missing(owners, set.Keys(live, authIdentityID)); len(missing) > 0 {
					return identityDom.Missing(missing...)
				}
			}
		}
		pis, err := s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{IDs: ids}, store.ListOptions{WithDeleted: !del, Lock: true})
		if err != nil {
			return err
		}
		pis = flipProviders(pis, del, s.clock())
		if len(pis) == 0 {
			return nil
		}
		if err := s.st.UpdateProviderIdentities(ctx, pis); err != nil {
			return identityDom.Classify(err)
		}
		for _, pi := range pis {
			action, kind := audit.ActionProviderUnlink, "soft_delete"
			if !del {
				action, kind = audit.ActionProviderLink, "restored"
			}
			if err := s.record(ctx, linkEntry(action, pi, kind)); err != nil {
				return err
			}
		}
		if err := s.emitProviders(ctx, del, pis); err != nil {
			return err
		}
		changed = set.Keys(pis, providerIdentityID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// flipProviders marks the live provider identities of pis deleted (del)
// at now, or the deleted ones live, and returns those it changed.
func flipProviders(pis []*ProviderIdentity, del bool, now time.Time) []*ProviderIdentity {
	return flip(pis, del, now, func(p *ProviderIdentity) (**time.Time, *time.Time) { return &p.DeletedAt, &p.UpdatedAt })
}

// flip marks the live rows deleted at now (del), or the deleted ones live,
// stamping their updated_at, and returns those it changed. times gives a
// row's deleted_at and updated_at.
func flip[T any](rows []*T, del bool, now time.Time, times func(*T) (deleted **time.Time, updated *time.Time)) []*T {
	var out []*T
	for _, r := range rows {
		deleted, updated := times(r)
		if (*deleted == nil) != del {
			continue
		}
		*deleted, *updated = nil, now
		if del {
			t := now
			*deleted = &t
		}
		out = append(out, r)
	}
	return out
}

func (s *Service) emitProviders(ctx context.Context, del bool, pis []*ProviderIdentity) error {
	name := EventProviderIdentityDeleted
	if !del {
		name = EventProviderIdentityRestored
	}
	events := make([]event.Event, len(pis))
	for i, p := range pis {
		events[i] = event.Event{Name: name, Data: map[string]any{"id": p.ID, "auth_identity_id": p.AuthIdentityID, "provider": p.Provider}}
	}
	return s.events.Emit(ctx, events...)
}

// ListAndCountProviderIdentities returns a page of the provider identities
// matching f and how many match in all (Medusa's
// listAndCountProviderIdentities). Password hashes are stripped.
func (s *Service) ListAndCountProviderIdentities(ctx context.Context, f ProviderIdentityFilter, opts store.ListOptions) ([]*ProviderIdentity, int, error) {
	list, err := s.ListProviderIdentities(ctx, f, opts)
	if err != nil {
		return nil, 0, err
	}
	n, err := page.Total(len(list), opts, func() (int, error) { return s.st.CountProviderIdentities(ctx, f, opts) })
	if err != nil {
		return nil, 0, err
	}
	return list, n, nil
}

func authIdentityID(a *AuthIdentity) string         { return a.ID }
func providerIdentityID(p *ProviderIdentity) string { return p.ID }
