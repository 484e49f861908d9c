package servicetest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// rowFault is what a test expects of one bad record of a report.
type rowFault struct {
	line  int
	field string
	kind  error
}

// wantFaults checks the bad records of rep: their lines, fields and kinds.
func (e *env) wantFaults(rep bulk.Report, want ...rowFault) {
	e.t.Helper()
	if len(rep.Errors) != len(want) || rep.ErrorCount != len(want) {
		e.t.Fatalf("%d bad records (%d counted), want %d: %v", len(rep.Errors), rep.ErrorCount, len(want), rep.Errors)
	}
	for i, w := range want {
		got := rep.Errors[i]
		if got.Line != w.line || got.Field != w.field || !errors.Is(got.Err, w.kind) || got.Reason == "" {
			e.t.Fatalf("bad record %d: %+v, want line %d field %q matching %v", i, got, w.line, w.field, w.kind)
		}
	}
}

// wantRejected checks that err is the error of an import that refused
// records, and that its first one is rep's.
func (e *env) wantRejected(err error, rep bulk.Report) {
	e.t.Helper()
	var re *bulk.RejectedError
	if !errors.As(err, &re) || !errors.Is(err, bulk.ErrRejected) {
		e.t.Fatalf("error %v, want a *bulk.RejectedError", err)
	}
	if re.Count != rep.ErrorCount || re.First.Line != rep.Errors[0].Line {
		e.t.Fatalf("rejected error %v does not match the report %+v", err, rep)
	}
}

// importCustomers imports ps, numbered from 1, with opts.
func (e *env) importCustomers(opts customer.ImportOptions, ps ...customer.CreateParams) (bulk.Report, error) {
	e.t.Helper()
	return e.customers.Import(e.ctx, bulk.Records(ps), opts)
}

// storedCustomers lists every customer with its addresses, by email.
func (e *env) storedCustomers() []*customer.Customer {
	e.t.Helper()
	cs, err := e.customers.List(e.ctx, customer.Filter{}, store.ListOptions{
		WithDeleted: true, Relations: []string{customer.RelAddresses},
		Order: []store.Order{store.Asc("email"), store.Asc("has_account")},
	})
	e.must(err)
	return cs
}

func emailsOf(cs []*customer.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Email
	}
	return out
}

// numbered returns n customers with emails cN@import.test, N from first.
func numbered(first, n int) []customer.CreateParams {
	ps := make([]customer.CreateParams, n)
	for i := range ps {
		ps[i] = customer.CreateParams{Email: fmt.Sprintf("c%d@import.test", first+i)}
	}
	return ps
}

// ndjson is an import source of lines.
func ndjson(lines ...string) bulk.Source[customer.CreateParams] {
	return customer.DecodeNDJSON(strings.NewReader(strings.Join(lines, "\n")))
}

var importTests = []test{
	{"Import/Customers", func(e *env) {
		rep, err := e.customers.Import(e.ctx, ndjson(
			`{"email": " Ada@Example.com ", "first_name": "Ada", "last_name": "Lovelace", "has_account": true, "metadata": {"tier": "gold"}, "created_by": "import",`+
				` "addresses": [{"address_1": "12 Crescent", "city": "London", "country_code": "GB", "postal_code": "NW1 4RY", "is_default_shipping": true},`+
				` {"address_name": "work", "country_code": "fr", "postal_code": "75001", "is_default_billing": true}]}`,
			``,
			`{"email": "ada@example.com", "company_name": "Guest Ltd", "phone": "+44 20 0000"}`,
			`{}`,
		), customer.ImportOptions{Options: bulk.Options{BatchSize: 2}})
		e.must(err)
		e.same(bulk.Report{Read: 3, Imported: 3, Batches: 2}, rep)
		cs := e.storedCustomers()
		// Empty emails (NULL) sort last.
		e.same([]string{"ada@example.com", "ada@example.com", ""}, emailsOf(cs))
		guest, ada := cs[0], cs[1]
		if guest.HasAccount || !ada.HasAccount || !strings.HasPrefix(ada.ID, "cus_") {
			e.t.Fatalf("customers %+v %+v", guest, ada)
		}
		e.same([]string{"Ada", "Lovelace", "import", "Guest Ltd", "+44 20 0000"},
			[]string{ada.FirstName, ada.LastName, ada.CreatedBy, guest.CompanyName, guest.Phone})
		e.same(map[string]any{"tier": "gold"}, ada.Metadata)
		if len(ada.Addresses) != 2 || len(guest.Addresses) != 0 {
			e.t.Fatalf("addresses: %d and %d", len(ada.Addresses), len(guest.Addresses))
		}
		byCountry := map[string]*address.Address{}
		for _, a := range ada.Addresses {
			byCountry[a.CountryCode] = a
			if !strings.HasPrefix(a.ID, "cuaddr_") || a.CustomerID != ada.ID || !a.CreatedAt.Equal(ada.CreatedAt) {
				e.t.Fatalf("address %+v of %s", a, ada.ID)
			}
		}
		gb, fr := byCountry["gb"], byCountry["fr"]
		if gb == nil || fr == nil || !gb.IsDefaultShipping || gb.IsDefaultBilling || !fr.IsDefaultBilling || fr.AddressName != "work" {
			e.t.Fatalf("addresses %+v %+v", gb, fr)
		}
		// Each customer and address is reported as Create reports it.
		created, addrs := 0, 0
		for _, ev := range e.events.Events() {
			switch ev.Name {
			case customer.EventCreated:
				created++
			case address.EventCreated:
				addrs++
			}
		}
		if created != 3 || addrs != 2 {
			e.t.Fatalf("events %v", eventNames(e.events.Events()))
		}
	}},
	{"Import/NoEvents", func(e *env) {
		_, err := e.importCustomers(customer.ImportOptions{NoEvents: true},
			customer.CreateParams{Email: "a@x.com", Addresses: []address.CreateParams{{City: "Paris"}}})
		e.must(err)
		if evs := e.events.Events(); len(evs) != 0 {
			e.t.Fatalf("events %v", eventNames(evs))
		}
		e.same(1, len(e.storedCustomers()))
	}},
	{"Import/BadRecords", func(e *env) {
		existing := e.customer(customer.CreateParams{Email: "taken@x.com"})
		before := e.snapshot()
		long := strings.Repeat("x", 70<<10)
		rep, err := e.customers.Import(e.ctx, ndjson(
			`{"email": "fine@x.com"}`,
			`{"email": "not-an-email"}`,
			`{"email": "b@x.com", "addresses": [{"country_code": "zz"}]}`,
			`{"email": "c@x.com", "addresses": [{"country_code": "us", "postal_code": "ABCDE"}]}`,
			`{"email": "d@x.com", "addresses": [{"is_default_shipping": true}, {"is_default_shipping": true}]}`,
			`{"email": "e@x.com", "first_name": "nul\u0000"}`,
			`{"email": "f@x.com", "metadata": {"big": "`+long+`"}}`,
			`{"email": "g@x.com",`,
			`{"email": "h@x.com", "nickname": "h"}`,
			`{"email": 7}`,
			`["not", "an", "object"]`,
			`{"email": "TAKEN@x.com"}`,
			`{"email": "Fine@X.com"}`,
			`{"email": "fine@x.com", "has_account": true}`,
		), customer.ImportOptions{})
		e.wantFaults(rep,
			rowFault{2, "email", customer.ErrInvalid},
			rowFault{3, "addresses[0].country_code", customer.ErrInvalid},
			rowFault{4, "addresses[0].postal_code", customer.ErrInvalid},
			rowFault{5, "addresses[1].is_default_shipping", customer.ErrInvalid},
			rowFault{6, "first_name", customer.ErrInvalid},
			rowFault{7, "metadata", customer.ErrInvalid},
			rowFault{8, "", store.ErrInvalid},
			rowFault{9, "nickname", store.ErrInvalid},
			rowFault{10, "email", store.ErrInvalid},
			rowFault{11, "", store.ErrInvalid},
			rowFault{12, "email", customer.ErrConflict},
			rowFault{13, "email", customer.ErrConflict},
		)
		e.wantRejected(err, rep)
		e.same([]bulk.Span{{FirstLine: 1, LastLine: 14, Records: 14}}, rep.Rejected)
		e.same(0, rep.Imported)
		if de, ok := errors.AsType[*bulk.DuplicateError](rep.Errors[11].Err); !ok || de.FirstLine != 1 {
			e.t.Fatalf("line 13: %v, want a duplicate of line 1", rep.Errors[11].Err)
		}
		if ce, ok := errors.AsType[*store.ConflictError](rep.Errors[10].Err); !ok || ce.Fields[0][1] != existing.Email {
			e.t.Fatalf("line 12: %v, want a conflict with %s", rep.Errors[10].Err, existing.Email)
		}
		// Nothing of the batch is written: not even its good records.
		e.unchanged(before)
	}},
	{"Import/DuplicatesAcrossBatches", func(e *env) {
		// Batches of 2: {1, 2} is written; {3, 4} has line 3 taken by
		// line 1, now stored, and is refused; {5} is written, and may use
		// the email of line 4, which was not.
		rep, err := e.importCustomers(customer.ImportOptions{Options: bulk.Options{BatchSize: 2, ContinueOnError: true}},
			customer.CreateParams{Email: "one@x.com"},
			customer.CreateParams{Email: "two@x.com"},
			customer.CreateParams{Email: " ONE@x.com"},
			customer.CreateParams{Email: "four@x.com"},
			customer.CreateParams{Email: "four@x.com"},
		)
		e.wantRejected(err, rep)
		e.wantFaults(rep, rowFault{3, "email", customer.ErrConflict})
		e.same([]bulk.Span{{FirstLine: 3, LastLine: 4, Records: 2}}, rep.Rejected)
		e.same(5, rep.Read)
		e.same(3, rep.Imported)
		e.same(2, rep.Batches)
		e.same([]string{"four@x.com", "one@x.com", "two@x.com"}, emailsOf(e.storedCustomers()))
	}},
	{"Import/LegacyCaseVariant", func(e *env) {
		// A row Medusa wrote with upper-case letters still holds its email.
		legacy := &customer.Customer{ID: "cus_legacy", Email: "Legacy@X.com", CreatedAt: e.clock.now(), UpdatedAt: e.clock.now()}
		e.must(e.st.InTx(e.ctx, func(ctx context.Context) error { return e.st.InsertCustomers(ctx, []*customer.Customer{legacy}) }))
		// A soft-deleted customer does not.
		gone := e.customer(customer.CreateParams{Email: "gone@x.com"})
		_, err := e.customers.SoftDelete(e.ctx, gone.ID)
		e.must(err)
		rep, err := e.importCustomers(customer.ImportOptions{Options: bulk.Options{ContinueOnError: true}},
			customer.CreateParams{Email: "legacy@x.com"},
			customer.CreateParams{Email: "legacy@x.com", HasAccount: true},
			customer.CreateParams{Email: "gone@x.com"},
		)
		e.wantFaults(rep, rowFault{1, "email", customer.ErrConflict})
		e.wantRejected(err, rep)
		rep, err = e.importCustomers(customer.ImportOptions{},
			customer.CreateParams{Email: "legacy@x.com", HasAccount: true},
			customer.CreateParams{Email: "gone@x.com"},
		)
		e.must(err)
		e.same(2, rep.Imported)
	}},
	{"Import/StopsAtFirstBadBatch", func(e *env) {
		ps := numbered(1, 6)
		ps[3].Email = "bad"
		read := 0
		src := func(yield func(bulk.Record[customer.CreateParams], error) bool) {
			for i, p := range ps {
				read++
				if !yield(bulk.Record[customer.CreateParams]{Line: i + 1, Value: p}, nil) {
					return
				}
			}
		}
		rep, err := e.customers.Import(e.ctx, src, customer.ImportOptions{Options: bulk.Options{BatchSize: 2}})
		e.wantRejected(err, rep)
		e.wantFaults(rep, rowFault{4, "email", customer.ErrInvalid})
		// The third batch is never read.
		e.same(4, read)
		rep.Errors = nil
		e.same(bulk.Report{Read: 4, Imported: 2, Batches: 1, Rejected: []bulk.Span{{FirstLine: 3, LastLine: 4, Records: 2}}, ErrorCount: 1}, rep)
		e.same([]string{"c1@import.test", "c2@import.test"}, emailsOf(e.storedCustomers()))
	}},
	{"Import/ReadsOneBatchAtATime", func(e *env) {
		// When the source hands out record k, exactly the batches before
		// k's are stored: nothing is read ahead, and each batch is written
		// before the next one is read.
		const size = 3
		ps := numbered(1, 10)
		var progress []int
		src := func(yield func(bulk.Record[customer.CreateParams], error) bool) {
			for i, p := range ps {
				n, err := e.st.CountCustomers(e.ctx, customer.Filter{}, store.ListOptions{})
				e.must(err)
				if want := i / size * size; n != want {
					e.t.Fatalf("record %d read with %d customers stored, want %d", i+1, n, want)
				}
				if !yield(bulk.Record[customer.CreateParams]{Line: i + 1, Value: p}, nil) {
					return
				}
			}
		}
		rep, err := e.customers.Import(e.ctx, src, customer.ImportOptions{Options: bulk.Options{
			BatchSize: size, Progress: func(r bulk.Report) { progress = append(progress, r.Imported) },
		}})
		e.must(err)
		e.same(10, rep.Imported)
		e.same(4, rep.Batches)
		e.same([]int{3, 6, 9, 10}, progress)
	}},
	{"Import/Cancelled", func(e *env) {
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		ps := numbered(1, 7)
		src := func(yield func(bulk.Record[customer.CreateParams], error) bool) {
			for i, p := range ps {
				if i == 4 { // the middle of the second batch
					cancel()
				}
				if !yield(bulk.Record[customer.CreateParams]{Line: i + 1, Value: p}, nil) {
					return
				}
			}
		}
		rep, err := e.customers.Import(ctx, src, customer.ImportOptions{Options: bulk.Options{BatchSize: 3}})
		if !errors.Is(err, context.Canceled) {
			e.t.Fatalf("error %v, want context.Canceled", err)
		}
		e.same(3, rep.Imported)
		e.same([]string{"c1@import.test", "c2@import.test", "c3@import.test"}, emailsOf(e.storedCustomers()))
	}},
	{"Import/SourceFails", func(e *env) {
		boom := errors.New("disk gone")
		src := func(yield func(bulk.Record[customer.CreateParams], error) bool) {
			for i, p := range numbered(1, 3) {
				if !yield(bulk.Record[customer.CreateParams]{Line: i + 1, Value: p}, nil) {
					return
				}
			}
			yield(bulk.Record[customer.CreateParams]{Line: 4}, boom)
		}
		rep, err := e.customers.Import(e.ctx, src, customer.ImportOptions{Options: bulk.Options{BatchSize: 2}})
		if !errors.Is(err, boom) {
			e.t.Fatalf("error %v, want the source's", err)
		}
		// The batch in progress (line 3) is not written.
		e.same(2, rep.Imported)
		e.same(2, len(e.storedCustomers()))
	}},
	{"Import/MaxErrors", func(e *env) {
		ps := make([]customer.CreateParams, 5)
		for i := range ps {
			ps[i].Email = "bad"
		}
		rep, err := e.importCustomers(customer.ImportOptions{Options: bulk.Options{MaxErrors: 2}}, ps...)
		e.wantRejected(err, rep)
		e.same(5, rep.ErrorCount)
		e.same([]int{1, 2}, []int{rep.Errors[0].Line, rep.Errors[1].Line})
		e.same(2, len(rep.Errors))
	}},
	{"Import/BadOptions", func(e *env) {
		before := e.snapshot()
		for _, size := range []int{-1, bulk.MaxBatchSize + 1} {
			if _, err := e.importCustomers(customer.ImportOptions{Options: bulk.Options{BatchSize: size}}, numbered(1, 1)...); err == nil {
				e.t.Fatalf("batch size %d accepted", size)
			}
		}
		if _, err := e.customers.Import(e.ctx, nil, customer.ImportOptions{}); err == nil {
			e.t.Fatal("a nil source accepted")
		}
		e.unchanged(before)
	}},
	{"Import/Outbox", func(e *env) {
		// With a transactional sink, a batch's events are written in its
		// unit of work: a refused batch leaves none.
		e.useOutbox()
		_, err := e.importCustomers(customer.ImportOptions{Options: bulk.Options{BatchSize: 1, ContinueOnError: true}},
			customer.CreateParams{Email: "a@x.com"}, customer.CreateParams{Email: "bad"})
		e.wantErr(err, bulk.ErrRejected)
		e.same(1, e.pendingOutbox())
	}},
}
