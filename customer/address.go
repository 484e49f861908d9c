package customer

import (
	"context"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/internal/meta"
	"github.com/clientele/clientele/store"
)

// RelCustomer names an address's customer in store.FindOptions and
// store.ListOptions of [Service.RetrieveAddress] and
// [Service.ListAddresses], which always load it.
const RelCustomer = "customer"

// AddressWithCustomer is an address with its customer loaded: Medusa's
// CustomerAddress read with the relation "customer". Its JSON is the
// address's fields and "customer".
type AddressWithCustomer struct {
	*address.Address
	// Customer is the address's customer, nil when it is soft-deleted and
	// the read was not WithDeleted (as Medusa filters relations).
	Customer *Customer `json:"customer"`
}

// RetrieveAddress returns the address with id and its customer (Medusa's
// retrieveCustomerAddress with relations ["customer"]). The address
// service's Retrieve checks and errors apply.
func (s *Service) RetrieveAddress(ctx context.Context, id string, opts store.FindOptions) (*AddressWithCustomer, error) {
	if err := store.CheckRelations(opts.Relations, RelCustomer); err != nil {
		return nil, dom.Classify(err)
	}
	a, err := s.addr.Retrieve(ctx, id, store.FindOptions{WithDeleted: opts.WithDeleted})
	if err != nil {
		return nil, err
	}
	out, err := s.withCustomers(ctx, []*address.Address{a}, opts.WithDeleted)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ListAddresses returns the addresses matching f, each with its customer
// (Medusa's listCustomerAddresses with relations ["customer"]): the
// address service's List, plus one read of the customers.
func (s *Service) ListAddresses(ctx context.Context, f address.Filter, opts store.ListOptions) ([]*AddressWithCustomer, error) {
	if err := store.CheckRelations(opts.Relations, RelCustomer); err != nil {
		return nil, dom.Classify(err)
	}
	opts.Relations = nil
	list, err := s.addr.List(ctx, f, opts)
	if err != nil {
		return nil, err
	}
	return s.withCustomers(ctx, list, opts.WithDeleted)
}

// ListAndCountAddresses is ListAddresses with the count of every match, as
// the address service's ListAndCount.
func (s *Service) ListAndCountAddresses(ctx context.Context, f address.Filter, opts store.ListOptions) ([]*AddressWithCustomer, int, error) {
	if err := store.CheckRelations(opts.Relations, RelCustomer); err != nil {
		return nil, 0, dom.Classify(err)
	}
	opts.Relations = nil
	list, n, err := s.addr.ListAndCount(ctx, f, opts)
	if err != nil {
		return nil, 0, err
	}
	out, err := s.withCustomers(ctx, list, opts.WithDeleted)
	if err != nil {
		return nil, 0, err
	}
	return out, n, nil
}

// withCustomers pairs each address with its customer, read once per
// customer; soft-deleted customers only withDeleted.
func (s *Service) withCustomers(ctx context.Context, addrs []*address.Address, withDeleted bool) ([]*AddressWithCustomer, error) {
	out := make([]*AddressWithCustomer, len(addrs))
	if len(addrs) == 0 {
		return out, nil
	}
	seen := map[string]bool{}
	var cids []string
	for _, a := range addrs {
		if !seen[a.CustomerID] {
			seen[a.CustomerID] = true
			cids = append(cids, a.CustomerID)
		}
	}
	cs, err := s.st.ListCustomers(ctx, Filter{IDs: cids}, store.ListOptions{WithDeleted: withDeleted})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Customer, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	for i, a := range addrs {
		var c *Customer
		if found := byID[a.CustomerID]; found != nil {
			// Each address gets a copy: callers may change what they get.
			cp := *found
			cp.Metadata = meta.Clone(found.Metadata)
			if found.DeletedAt != nil {
				t := *found.DeletedAt
				cp.DeletedAt = &t
			}
			c = &cp
		}
		out[i] = &AddressWithCustomer{Address: a, Customer: c}
	}
	return out, nil
}
