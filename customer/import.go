package customer

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/batch"
)

// Importer is an optional interface of a Store that writes a batch of new
// customers and their addresses faster than InsertCustomers and
// InsertAddresses can (store/postgres: COPY). [Service.Import] calls it
// inside the batch's unit of work, after checking the batch; a store
// without it gets InsertCustomers and InsertAddresses instead.
type Importer interface {
	// ImportCustomers inserts customers and addresses (of those
	// customers) whose ids, timestamps and values the service has set,
	// with the conflicts of InsertCustomers and InsertAddresses.
	ImportCustomers(ctx context.Context, cs []*Customer, addrs []*address.Address) error
}

// ImportOptions configures [Service.Import].
type ImportOptions struct {
	bulk.Options
	// NoEvents leaves out the events of the imported customers and
	// addresses (for seeding a database, or a migration whose consumers
	// must not hear of old customers as new ones).
	NoEvents bool
}

// DecodeNDJSON returns the records of an NDJSON import source: one
// customer per line, a JSON object with the fields of [CreateParams] in
// Medusa's names, its addresses in an array of objects with the fields
// of address.CreateParams. For example:
//
//	{"email": "ada@example.com", "first_name": "Ada", "has_account": true, "metadata": {"tier": "gold"}, "addresses": [{"address_1": "12 Crescent", "city": "London", "country_code": "gb", "postal_code": "NW1 4RY", "is_default_shipping": true}]}
//
// See bulk.DecodeNDJSON for the rules of the format: a line that does not
// decode is reported by the import as bad, with its line number.
func DecodeNDJSON(r io.Reader) bulk.Source[CreateParams] {
	return bulk.DecodeNDJSON[CreateParams](r)
}

// Import creates the customers of src, with their addresses, in batches
// (see package bulk): each batch is validated in full and written in one
// unit of work, or refused as a whole when one of its records is bad.
//
// A record is validated as Create validates it (fields, email syntax,
// metadata, addresses and their default flags), and its email must be
// free: not used by another record of the batch with the same
// has_account, nor by a live stored customer (case-insensitively), which
// includes the customers of the batches written before. A customer of a
// refused batch was not written, so a later record may use its email.
//
// A writer that takes an email of the batch between its check and its
// write (on PostgreSQL, another import or a Create of the same email at
// the same moment) makes the write fail with ErrConflict: the batch is not
// written and the import stops with that error, as with any failure of
// the store.
//
// The report counts what was written and lists the bad records with their
// line numbers. The error is nil when every record was written, a
// *bulk.RejectedError (matching bulk.ErrRejected) when records were
// refused, and any other error when the import stopped on a failure: the
// source, the store, or ctx. The batches written before stay written.
//
// Unless opts.NoEvents, every customer written is reported as Create
// reports it: customer.created to the service's sink and
// customer_address.created for each address to the address service's,
// in the unit of work of its batch (so an outbox sink writes them in the
// batch's transaction).
//
// When opts.Written is set, it is told, after each batch commits, the id
// of each customer of the batch with its line and email (as written:
// trimmed and lower-cased, "" for none), for instance to import the
// customers' password identities next with their CustomerID
// (auth.Service.ImportPasswordIdentities). Nothing is reported of a batch
// that was refused or failed.
//
// On PostgreSQL the rows are written with COPY (store/postgres implements
// [Importer]). An import holds one batch of records in memory, and reads
// no record of a batch before the one before it is written.
func (s *Service) Import(ctx context.Context, src bulk.Source[CreateParams], opts ImportOptions) (bulk.Report, error) {
	if err := opts.Check(); err != nil {
		return bulk.Report{}, err
	}
	if src == nil {
		return bulk.Report{}, fmt.Errorf("customer: Import needs a source")
	}
	return batch.Run(ctx, src, opts.Options, batch.Spec[CreateParams, *Customer]{
		Tx:        s.st,
		Prepare:   s.prepareImport,
		Key:       importKey,
		Duplicate: duplicateEmail,
		Check:     s.checkImport,
		Write: func(ctx context.Context, cs []*Customer) error {
			return s.writeImport(ctx, cs, !opts.NoEvents)
		},
		Identify: func(c *Customer) (string, string) { return c.ID, c.Email },
	})
}

// prepareImport validates one record: the customer as Create validates it,
// its addresses as addresses nested in a new customer.
func (s *Service) prepareImport(p CreateParams) (*Customer, error) {
	now := s.clock()
	c, err := build(p, "", now)
	if err != nil {
		return nil, err
	}
	if len(p.Addresses) > 0 {
		ps := make([]address.CreateParams, len(p.Addresses))
		for i, a := range p.Addresses {
			a.CustomerID = c.ID
			ps[i] = a
		}
		c.Addresses, err = s.addr.PrepareNew(ps, now, func(i int) string { return fmt.Sprintf("addresses[%d].", i) })
		if err != nil {
			return nil, asCustomerError(err)
		}
	}
	return c, nil
}

// importKey is the unique key of a customer: its email and has_account.
func importKey(c *Customer) string {
	if c.Email == "" {
		return ""
	}
	if c.HasAccount {
		return "t" + c.Email
	}
	return "f" + c.Email
}

// duplicateEmail is the error of a customer whose email an earlier record
// of its batch (at line first) with the same has_account has.
func duplicateEmail(c *Customer, first int) error {
	return &bulk.DuplicateError{Field: "email", Value: c.Email, FirstLine: first, Err: ErrConflict}
}

// checkImport returns the errors of the customers of cs whose email and
// has_account a live stored customer has.
func (s *Service) checkImport(ctx context.Context, cs []*Customer) (map[int]error, error) {
	at := make(map[emailKey]int, len(cs))
	emails := make([]string, 0, len(cs))
	for i, c := range cs {
		if c.Email != "" {
			k := emailKey{c.Email, c.HasAccount}
			at[k] = i
			if _, other := at[emailKey{c.Email, !c.HasAccount}]; !other {
				emails = append(emails, c.Email)
			}
		}
	}
	var faults map[int]error
	err := s.eachHolder(ctx, emails, func(held *Customer) bool {
		if i, ok := at[emailKey{strings.ToLower(held.Email), held.HasAccount}]; ok {
			if faults == nil {
				faults = map[int]error{}
			}
			if faults[i] == nil {
				faults[i] = emailTaken(held.Email, held.HasAccount)
			}
		}
		return true
	})
	return faults, err
}

// writeImport writes a checked batch and, when events, reports it.
func (s *Service) writeImport(ctx context.Context, cs []*Customer, events bool) error {
	n := 0
	for _, c := range cs {
		n += len(c.Addresses)
	}
	addrs := make([]*address.Address, 0, n)
	for _, c := range cs {
		addrs = append(addrs, c.Addresses...)
	}
	if im, ok := s.st.(Importer); ok {
		if err := im.ImportCustomers(ctx, cs, addrs); err != nil {
			return dom.Classify(err)
		}
	} else {
		if err := s.st.InsertCustomers(ctx, cs); err != nil {
			return dom.Classify(err)
		}
		if err := s.st.InsertAddresses(ctx, addrs); err != nil {
			return asCustomerError(dom.Classify(err))
		}
	}
	if !events {
		return nil
	}
	if err := s.events.Emit(ctx, event.Each(EventCreated, ids(cs)...)...); err != nil {
		return err
	}
	return s.addr.EmitCreated(ctx, addrs)
}
