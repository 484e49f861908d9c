package httpapi

import (
	"slices"
	"strings"

	"github.com/clientele/clientele/customer"
)

// customerJSON answers a customer as renderCustomer renders it, written
// straight to JSON by appendJSON: no map per customer, its keys sorted
// once. customersJSON is a list of them, which sorts the keys once for
// the whole page.
type (
	customerJSON struct {
		c   *customer.Customer
		sel selection
	}
	customersJSON struct {
		list []*customer.Customer
		sel  selection
	}
)

// jsonAppender is a value that appendJSON lets write itself.
type jsonAppender interface {
	appendJSON(b []byte) ([]byte, error)
}

func (v customerJSON) appendJSON(b []byte) ([]byte, error) {
	return appendCustomer(b, v.c, customerKeys(v.sel))
}

func (v customersJSON) appendJSON(b []byte) ([]byte, error) {
	keys := customerKeys(v.sel)
	b = append(b, '[')
	for i, c := range v.list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendCustomer(b, c, keys); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// MarshalJSON makes encoding/json write a customerJSON as appendJSON does.
func (v customerJSON) MarshalJSON() ([]byte, error) { return v.appendJSON(nil) }

// MarshalJSON makes encoding/json write a customersJSON as appendJSON does.
func (v customersJSON) MarshalJSON() ([]byte, error) { return v.appendJSON(nil) }

// customerKey is one key of a rendered customer: a field, or a relation
// when rel is set.
type customerKey struct {
	name string
	rel  *relSel
}

// customerKeys returns the keys renderCustomer's map has for sel, in
// encoding/json's order: the fields customerField knows, then the
// relations customerRel knows, sorted, each name once (a relation over a
// field of the same name, the last of several relations, as the map's
// assignments leave them).
func customerKeys(sel selection) []customerKey {
	keys := make([]customerKey, 0, len(sel.keys)+len(sel.rels))
	var probe customer.Customer
	for _, k := range sel.keys {
		if _, ok := customerField(&probe, k); ok {
			keys = append(keys, customerKey{name: k})
		}
	}
	for i := range sel.rels {
		if _, ok := customerRel(&probe, sel.rels[i]); ok {
			keys = append(keys, customerKey{name: sel.rels[i].name, rel: &sel.rels[i]})
		}
	}
	slices.SortStableFunc(keys, func(a, b customerKey) int { return strings.Compare(a.name, b.name) })
	out := keys[:0]
	for i, k := range keys {
		if i+1 < len(keys) && keys[i+1].name == k.name {
			continue // the later one wins
		}
		out = append(out, k)
	}
	return out
}

// appendCustomer appends c as an object with keys.
func appendCustomer(b []byte, c *customer.Customer, keys []customerKey) ([]byte, error) {
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSONString(b, k.name); err != nil {
			return b, err
		}
		b = append(b, ':')
		var v any
		if k.rel != nil {
			v, _ = customerRel(c, *k.rel)
		} else {
			v, _ = customerField(c, k.name)
		}
		if b, err = appendJSON(b, v); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
