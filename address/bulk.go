package address

import (
	"context"
	"time"

	"github.com/clientele/clientele/internal/id"
)

// PrepareNew validates the addresses ps as Create validates them (fields,
// country and postal code, completeness when required, at most one new
// default of each kind per customer) and returns them as they would be
// inserted, with ids and timestamps (now) set, without reading or writing
// the store. Field names in errors are prefixed by fieldPrefix(i), where i
// indexes ps.
//
// It is for bulk paths that write new customers and their addresses
// through a store of their own (customer.Service.Import): addresses of a
// customer created in the same unit of work, who has no default address
// to replace. Write the result with [Store.InsertAddresses] and report it
// with [Service.EmitCreated].
func (s *Service) PrepareNew(ps []CreateParams, now time.Time, fieldPrefix func(i int) string) ([]*Address, error) {
	return s.prepare(ps, now, fieldPrefix)
}

// EmitCreated reports addrs, written in the unit of work of ctx by a bulk
// path, to the service's event sink as Create does (one
// customer_address.created per address).
func (s *Service) EmitCreated(ctx context.Context, addrs []*Address) error {
	if len(addrs) == 0 {
		return nil
	}
	return s.emit(ctx, EventCreated, addrs)
}

// prepare builds and checks new addresses; see PrepareNew.
func (s *Service) prepare(ps []CreateParams, now time.Time, prefix func(int) string) ([]*Address, error) {
	addrs := make([]*Address, len(ps))
	type key struct {
		customer string
		billing  bool
	}
	seen := map[key]int{}
	for i, p := range ps {
		a, err := s.build(p, prefix(i))
		if err != nil {
			return nil, err
		}
		for _, k := range []key{{a.CustomerID, false}, {a.CustomerID, true}} {
			if (k.billing && a.IsDefaultBilling) || (!k.billing && a.IsDefaultShipping) {
				if j, dup := seen[k]; dup {
					kind := "is_default_shipping"
					if k.billing {
						kind = "is_default_billing"
					}
					return nil, dom.Invalidf(prefix(i)+kind, "addresses %d and %d of customer %s are both the new default", j, i, a.CustomerID)
				}
				seen[k] = i
			}
		}
		a.ID = id.New(id.Address)
		a.CreatedAt, a.UpdatedAt = now, now
		addrs[i] = a
	}
	return addrs, nil
}
