package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/internal/text"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// identities is the provider.Identities a provider receives, scoped to
// that provider.
type identities struct {
	s        *Service
	provider provider.Provider
	// linkTo, when set, is the identity a new provider identity is attached
	// to (an explicit link by the logged-in identity).
	linkTo string
	// linked records how Create attached a new provider identity.
	linked provider.LinkKind
	// then, when set, runs in the unit of work of Create's writes, with
	// the identity written; thenRan records that it did.
	then    func(ctx context.Context, identity *AuthIdentity) error
	thenRan bool
	// thenErr is then's error, returned as it is whatever the provider
	// makes of it.
	thenErr error
	// beforeUpdate, when set, runs in the unit of work of Update's write,
	// just before it, with the provider identity about to change: its
	// error aborts the update and is kept in beforeUpdateErr, returned as
	// it is whatever the provider makes of it. beforeUpdateRan records
	// that it ran in an update that committed; it then runs no more.
	beforeUpdate    func(ctx context.Context, pi *ProviderIdentity) error
	beforeUpdateRan bool
	beforeUpdateErr error
	// updated, when set, runs in the unit of work of Update's write, with
	// the provider identity written (a password reset records its audit
	// entry there).
	updated func(ctx context.Context, pi *ProviderIdentity) error
}

func (i *identities) id() string { return i.provider.ID() }

func (i *identities) folds() bool {
	f, ok := i.provider.(provider.EntityIDFolder)
	return ok && f.FoldEntityIDs()
}

// provesEmail reports whether the provider's login proves the email
// (provider.EmailProver: magiclink).
func (i *identities) provesEmail() bool {
	p, ok := i.provider.(provider.EmailProver)
	return ok && p.ProvesEmail()
}

func (i *identities) entityNotFound(entityID string) error {
	return &provider.Error{Provider: i.id(), Kind: ErrNotFound, Message: fmt.Sprintf("AuthIdentity with entity_id %q not found", entityID)}
}

// find returns this provider's identity for entityID: the exact match, or
// for case-insensitive providers the oldest case variant.
func (i *identities) find(ctx context.Context, entityID string) (*ProviderIdentity, error) {
	if entityID == "" {
		return nil, i.entityNotFound(entityID)
	}
	if err := text.Check("entity_id", entityID); err != nil {
		// Nothing is stored under such an id, and a backend would refuse
		// to look it up: a bad request, whatever the provider.
		return nil, provider.Fail(i.id(), store.ErrInvalid, err.Error())
	}
	st := i.s.st
	found, err := st.ListProviderIdentities(ctx, ProviderIdentityFilter{EntityIDs: []string{entityID}, Providers: []string{i.id()}}, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 && i.folds() {
		found, err = st.ListProviderIdentities(ctx, ProviderIdentityFilter{EntityIDsFold: []string{lowerTrim(entityID)}, Providers: []string{i.id()}},
			store.ListOptions{Order: []store.Order{store.Asc("created_at")}, Take: 1})
		if err != nil {
			return nil, err
		}
	}
	if len(found) == 0 {
		return nil, i.entityNotFound(entityID)
	}
	return found[0], nil
}

func (i *identities) load(ctx context.Context, authIdentityID, entityID string) (*AuthIdentity, error) {
	list, err := i.s.st.ListAuthIdentities(ctx, IdentityFilter{IDs: []string{authIdentityID}}, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, i.entityNotFound(entityID)
	}
	return list[0], nil
}

// Retrieve implements provider.Identities.
func (i *identities) Retrieve(ctx context.Context, entityID string) (*AuthIdentity, error) {
	pi, err := i.find(ctx, entityID)
	if err != nil {
		return nil, err
	}
	return i.load(ctx, pi.AuthIdentityID, entityID)
}

// Exists implements provider.IdentityChecker: one lookup, case-insensitive
// for a provider that folds its entity ids (any case variant counts).
func (i *identities) Exists(ctx context.Context, entityID string) (bool, error) {
	if entityID == "" {
		return false, nil
	}
	if err := text.Check("entity_id", entityID); err != nil {
		return false, provider.Fail(i.id(), store.ErrInvalid, err.Error())
	}
	f := ProviderIdentityFilter{EntityIDs: []string{entityID}, Providers: []string{i.id()}}
	if i.folds() {
		f = ProviderIdentityFilter{EntityIDsFold: []string{lowerTrim(entityID)}, Providers: []string{i.id()}}
	}
	found, err := i.s.st.ListProviderIdentities(ctx, f, store.ListOptions{Take: 1})
	if err != nil {
		return false, err
	}
	return len(found) > 0, nil
}

// RetrieveByEmail implements provider.EmailFinder: the identity of the
// emailpass login email, without password hashes.
func (i *identities) RetrieveByEmail(ctx context.Context, email string) (*AuthIdentity, error) {
	p, ok := i.s.providers[emailpass.ID]
	if !ok {
		return nil, i.entityNotFound(email)
	}
	a, err := (&identities{s: i.s, provider: p}).Retrieve(ctx, lowerTrim(email))
	if err != nil {
		return nil, err
	}
	return sanitize(a), nil
}

// Create implements provider.Identities. The new provider identity goes
// to the identity of an explicit link, or, when linking by verified email
// is on for this provider, to the one identity the host marked as owning
// that verified email; otherwise to a new auth identity.
func (i *identities) Create(ctx context.Context, in provider.NewIdentity) (*AuthIdentity, error) {
	if i.then == nil {
		return i.create(ctx, in)
	}
	var out *AuthIdentity
	err := i.s.st.InTx(ctx, func(ctx context.Context) error {
		a, err := i.create(ctx, in)
		if err != nil {
			return err
		}
		if err := i.then(ctx, sanitize(a)); err != nil {
			i.thenErr = err
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	i.thenRan = true
	return out, nil
}

func (i *identities) create(ctx context.Context, in provider.NewIdentity) (*AuthIdentity, error) {
	now := i.s.clock()
	email := lowerTrim(in.Email)
	trusted := in.EmailVerified && email != "" && i.s.linksByEmail[i.id()]
	target := i.linkTo
	kind := provider.LinkExplicit
	if target == "" && trusted {
		owners, err := i.s.st.ListAuthIdentities(ctx, IdentityFilter{AppMetadata: map[string]any{VerifiedEmailKey: email}}, store.ListOptions{Take: 2})
		if err != nil {
			return nil, err
		}
		if len(owners) == 1 {
			target, kind = owners[0].ID, provider.LinkVerifiedEmail
		}
	}
	if target != "" {
		pi, err := i.s.buildProviderIdentity("", NewProviderIdentity{
			Provider: i.id(), EntityID: in.EntityID, UserMetadata: in.UserMetadata, ProviderMetadata: in.ProviderMetadata,
		}, target, now)
		if err != nil {
			return nil, err
		}
		// The insert, its audit entry and the read back are one unit of
		// work: a failure of the read never leaves a link made behind an
		// error.
		var out *AuthIdentity
		err = i.s.st.InTx(ctx, func(ctx context.Context) error {
			if err := i.s.st.InsertProviderIdentities(ctx, []*ProviderIdentity{pi}); err != nil {
				return identityDom.Classify(err)
			}
			if err := i.s.record(ctx, linkEntry(audit.ActionProviderLink, pi, string(kind))); err != nil {
				return err
			}
			// A new way into an existing account: the host tells its
			// owner, who can undo a link they did not make.
			if err := i.s.events.Emit(ctx, event.Event{Name: EventProviderLinked, Data: map[string]any{
				"auth_identity_id": target, "provider": pi.Provider, "provider_identity_id": pi.ID, "link": string(kind),
			}}); err != nil {
				return err
			}
			out, err = i.load(ctx, target, in.EntityID)
			return err
		})
		if err != nil {
			return nil, err
		}
		i.linked = kind
		return out, nil
	}
	a := &AuthIdentity{ID: newAuthIdentityID(), CreatedAt: now, UpdatedAt: now}
	if trusted || (in.EmailVerified && email != "" && i.provesEmail()) {
		a.AppMetadata = map[string]any{VerifiedEmailKey: email}
	}
	pi, err := i.s.buildProviderIdentity("", NewProviderIdentity{
		Provider: i.id(), EntityID: in.EntityID, UserMetadata: in.UserMetadata, ProviderMetadata: in.ProviderMetadata,
	}, a.ID, now)
	if err != nil {
		return nil, err
	}
	a.ProviderIdentities = []*ProviderIdentity{pi}
	if err := i.s.st.InsertAuthIdentities(ctx, []*AuthIdentity{a}); err != nil {
		return nil, identityDom.Classify(err)
	}
	i.linked = provider.LinkNew
	return a, nil
}

// Update implements provider.Identities.
func (i *identities) Update(ctx context.Context, entityID string, up provider.IdentityUpdate) (*AuthIdentity, error) {
	if err := checkMetadata(up.UserMetadata, up.ProviderMetadata); err != nil {
		return nil, err
	}
	um, err := meta.Normalize("user_metadata", up.UserMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	pm, err := meta.Normalize("provider_metadata", up.ProviderMetadata)
	if err != nil {
		return nil, identityDom.Classify(err)
	}
	var out *AuthIdentity
	hooked := false
	err = i.s.st.InTx(ctx, func(ctx context.Context) error {
		hooked = false
		found, err := i.find(ctx, entityID)
		if err != nil {
			return err
		}
		// Read it again under a lock: the update is a read-modify-write.
		locked, err := i.s.st.ListProviderIdentities(ctx, ProviderIdentityFilter{IDs: []string{found.ID}}, store.ListOptions{Lock: true})
		if err != nil {
			return err
		}
		if len(locked) == 0 {
			return i.entityNotFound(entityID)
		}
		pi := locked[0]
		if up.If != nil && !up.If(pi) {
			out, err = i.load(ctx, pi.AuthIdentityID, entityID)
			return err
		}
		if up.UserMetadata != nil {
			pi.UserMetadata = um
		}
		if up.ProviderMetadata != nil {
			pi.ProviderMetadata = pm
		}
		if i.beforeUpdate != nil && !i.beforeUpdateRan {
			if err := i.beforeUpdate(ctx, pi); err != nil {
				i.beforeUpdateErr = err
				return err
			}
			hooked = true
		}
		pi.UpdatedAt = i.s.clock()
		if err := i.s.st.UpdateProviderIdentities(ctx, []*ProviderIdentity{pi}); err != nil {
			return err
		}
		if i.updated != nil {
			if err := i.updated(ctx, pi); err != nil {
				return err
			}
		}
		out, err = i.load(ctx, pi.AuthIdentityID, entityID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if hooked {
		i.beforeUpdateRan = true
	}
	return out, nil
}

// stateKey namespaces a state key by provider and hashes it: the store
// never holds a usable state value's key.
func (i *identities) stateKey(key string) string {
	sum := sha256.Sum256([]byte(i.id() + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// SetState implements provider.Identities.
func (i *identities) SetState(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if key == "" || ttl <= 0 {
		return identityDom.Invalidf("state", "a key and a positive ttl are required")
	}
	return i.s.st.PutState(ctx, i.stateKey(key), value, i.s.clock().Add(ttl))
}

// LimitLogin implements provider.LoginLimiter with the service's Limiter
// (WithThrottle): the Login rule, keyed by the provider and identifier.
func (i *identities) LimitLogin(ctx context.Context, identifier string) (provider.LoginAttempt, error) {
	att, err := i.s.throttle.Login(ctx, i.id(), identifier)
	if err != nil {
		return nil, err
	}
	return att, nil // a nil *throttle.Attempt reports nothing
}

// TakeState implements provider.Identities.
func (i *identities) TakeState(ctx context.Context, key string) ([]byte, error) {
	if key == "" {
		return nil, &store.NotFoundError{Entity: "State", Err: ErrNotFound}
	}
	v, err := i.s.st.TakeState(ctx, i.stateKey(key), i.s.clock())
	if err != nil && errors.Is(err, store.ErrNotFound) {
		return nil, &provider.Error{Provider: i.id(), Kind: ErrNotFound, Message: "No state provided, or session expired"}
	}
	return v, err
}
