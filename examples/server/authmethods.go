package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/clientele/clientele/auth"
)

// authMethodsPerActor reads AUTH_METHODS_PER_ACTOR: the providers each
// actor type may use, as JSON in the shape of Medusa's
// http.authMethodsPerActor ({"user": ["emailpass"], "customer":
// ["emailpass", "oidc"]}). Actor types it leaves out (or maps to null)
// may use every provider; an empty list allows none. Unlike Medusa, which accepts any name, it refuses an actor
// type other than customer and user and a provider that is not
// configured: a misspelt name would otherwise lock an actor type out
// without a word. configured lists the provider ids.
func authMethodsPerActor(getenv func(string) string, configured []string) ([]auth.Option, error) {
	v := strings.TrimSpace(getenv("AUTH_METHODS_PER_ACTOR"))
	if v == "" {
		return nil, nil
	}
	var raw map[string]*[]string
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	if err := dec.Decode(&raw); err != nil || dec.More() || raw == nil {
		return nil, fmt.Errorf(`AUTH_METHODS_PER_ACTOR: want a JSON object of provider id lists, such as {"user":["emailpass"]}`)
	}
	perActor := map[string][]string{}
	for _, actor := range slices.Sorted(maps.Keys(raw)) {
		if actor != auth.ActorCustomer && actor != auth.ActorUser {
			return nil, fmt.Errorf("AUTH_METHODS_PER_ACTOR: unknown actor type %q (want %s or %s)", actor, auth.ActorCustomer, auth.ActorUser)
		}
		if raw[actor] == nil {
			continue // null: no restriction, as in Medusa
		}
		perActor[actor] = *raw[actor]
		for _, id := range perActor[actor] {
			if !slices.Contains(configured, id) {
				return nil, fmt.Errorf("AUTH_METHODS_PER_ACTOR: %s: provider %q is not configured (configured: %s)", actor, id, strings.Join(configured, ", "))
			}
		}
	}
	return []auth.Option{auth.WithAuthMethodsPerActor(perActor)}, nil
}
