// Package meta validates and merges the free-form metadata objects that
// customers, addresses and groups carry.
package meta

import (
	"encoding/json"
	"fmt"

	"github.com/clientele/clientele/store"
)

// MaxSize is the largest metadata object accepted, in bytes of JSON.
const MaxSize = 64 << 10

// Normalize checks that m is a JSON object of at most MaxSize bytes and
// returns its JSON round trip (numbers become float64, nested values become
// maps and slices), so that every backend stores and returns the same
// values. A nil map stays nil (SQL NULL).
func Normalize(field string, m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, store.Invalid(field, "not a JSON object: %v", err)
	}
	if len(b) > MaxSize {
		return nil, store.Invalid(field, "larger than %d bytes (%d)", MaxSize, len(b))
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, store.Invalid(field, "not a JSON object: %v", err)
	}
	return out, nil
}

// Merge applies Medusa's metadata update rule: each key of patch is set on a
// copy of base, except that a key whose value is the empty string is
// removed. Nested objects are replaced, not merged. An empty patch leaves
// base as it is. The result is checked with Normalize.
func Merge(field string, base, patch map[string]any) (map[string]any, error) {
	if len(patch) == 0 {
		return base, nil
	}
	out := make(map[string]any, len(base)+len(patch))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		if s, ok := v.(string); ok && s == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return Normalize(field, out)
}

// Base returns the metadata an update merges into: m, or nil when the
// update clears the metadata first.
func Base(m map[string]any, drop bool) map[string]any {
	if drop {
		return nil
	}
	return m
}

// Clone returns a deep copy of a normalised metadata object.
func Clone(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return Clone(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}

// String renders m for messages.
func String(m map[string]any) string { return fmt.Sprint(m) }
