package servicetest

import (
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/store"
)

// clearMetadataTests: an update with ClearMetadata sets the metadata to
// null (Medusa's "metadata": null), then merges Metadata into nothing.
var clearMetadataTests = []test{
	{"ClearMetadata/Customer", func(e *env) {
		c := e.customer(customer.CreateParams{FirstName: "Ada", Metadata: map[string]any{"a": "1", "b": "2"}})
		got, err := e.customers.Update(e.ctx, c.ID, customer.UpdateParams{ClearMetadata: true})
		e.must(err)
		if got.Metadata != nil || got.FirstName != "Ada" {
			e.t.Fatalf("after clear: %+v", got)
		}
		read, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{})
		e.must(err)
		if read.Metadata != nil {
			e.t.Fatalf("stored metadata %v, want NULL", read.Metadata)
		}
		_, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{Metadata: map[string]any{"c": "3"}})
		e.must(err)
		got, err = e.customers.Update(e.ctx, c.ID, customer.UpdateParams{ClearMetadata: true, Metadata: map[string]any{"d": "4", "e": ""}})
		e.must(err)
		e.same(map[string]any{"d": "4"}, got.Metadata)
	}},
	{"ClearMetadata/Address", func(e *env) {
		c := e.customer(customer.CreateParams{})
		a := e.address(address.CreateParams{CustomerID: c.ID, City: "Paris", Metadata: map[string]any{"door": "red"}})
		got, err := e.addresses.Update(e.ctx, a.ID, address.UpdateParams{ClearMetadata: true})
		e.must(err)
		if got.Metadata != nil || got.City != "Paris" {
			e.t.Fatalf("after clear: %+v", got)
		}
		read, err := e.addresses.Retrieve(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		if read.Metadata != nil {
			e.t.Fatalf("stored metadata %v, want NULL", read.Metadata)
		}
	}},
	{"ClearMetadata/Group", func(e *env) {
		g, err := e.groups.Create(e.ctx, group.CreateParams{Name: "vip", Metadata: map[string]any{"tier": "gold"}})
		e.must(err)
		got, err := e.groups.Update(e.ctx, g.ID, group.UpdateParams{ClearMetadata: true, Metadata: map[string]any{"tier": "silver"}})
		e.must(err)
		e.same(map[string]any{"tier": "silver"}, got.Metadata)
		got, err = e.groups.Update(e.ctx, g.ID, group.UpdateParams{ClearMetadata: true})
		e.must(err)
		read, err := e.groups.Retrieve(e.ctx, g.ID, store.FindOptions{})
		e.must(err)
		if got.Metadata != nil || read.Metadata != nil || read.Name != "vip" {
			e.t.Fatalf("after clear: %+v, stored %+v", got, read)
		}
	}},
}
