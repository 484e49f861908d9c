package auth

import (
	"maps"
	"slices"
)

// WithAuthMethodsPerActor restricts the providers of several actor types
// at once, in the shape of Medusa's http.authMethodsPerActor (actor type
// to provider ids, e.g. {"user": ["emailpass"], "customer": ["emailpass",
// "google"]}): the same as [WithActorProviders] for each entry. Actor
// types without an entry may use every provider; an entry with no
// provider allows none.
func WithAuthMethodsPerActor(perActor map[string][]string) Option {
	return func(c *config) {
		for _, actorType := range slices.Sorted(maps.Keys(perActor)) {
			WithActorProviders(actorType, perActor[actorType]...)(c)
		}
	}
}

// ProvidersFor lists the providers actorType may use (Medusa's GET
// /auth/{actor_type}/providers), in the order they were added: every
// configured provider, unless [WithActorProviders] (or
// [WithAuthMethodsPerActor]) restricts the actor type, in which case only
// the configured providers its entry names. An unknown actor type (see
// [WithActorTypes]) fails with ErrNotAllowed, as its logins do.
func (s *Service) ProvidersFor(actorType string) ([]ProviderInfo, error) {
	if err := s.checkActor(actorType, ""); err != nil {
		return nil, err
	}
	all := s.Providers()
	allowed, restricted := s.actors[actorType]
	if !restricted || actorType == "" {
		return all, nil
	}
	return slices.DeleteFunc(all, func(p ProviderInfo) bool { return !slices.Contains(allowed, p.ID) }), nil
}
