package servicetest

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// Seeded is a store filled by [Seed]: n customers, every other one
// registered, each with one or two addresses.
type Seeded struct {
	IDs []string // customer ids, in creation order
	// WithAddresses is the id of a customer that has two addresses.
	WithAddresses string
}

// SearchTerm matches the company name of 0.5% of the customers Seed
// makes (one in two hundred).
var (
	seedFirst  = []string{"Ada", "Grace", "Linus", "Barbara", "Ken", "Dennis", "Margaret", "Edsger", "Donald", "Frances"}
	seedLast   = []string{"Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Ritchie", "Hamilton", "Dijkstra", "Knuth", "Allen"}
	SearchTerm = "zebra"
)

// Seed creates n customers through the customer service in batches of 1,000.
func Seed(tb testing.TB, st Store, n int) Seeded {
	tb.Helper()
	ctx := context.Background()
	svc := newCustomers(tb, st)
	var out Seeded
	for start := 0; start < n; start += 1000 {
		var batch []customer.CreateParams
		for i := start; i < min(n, start+1000); i++ {
			company := ""
			if i%200 == 7 {
				company = "Zebra Crossing Ltd"
			}
			p := customer.CreateParams{
				FirstName: seedFirst[i%len(seedFirst)], LastName: seedLast[(i/len(seedFirst))%len(seedLast)],
				Email: fmt.Sprintf("customer%06d@example.com", i), Phone: fmt.Sprintf("+1555%07d", i),
				CompanyName: company, HasAccount: i%2 == 0, Metadata: map[string]any{"seq": i},
				Addresses: []address.CreateParams{{AddressName: "home", Address1: fmt.Sprintf("%d Main St", i), City: "Springfield", CountryCode: "us", PostalCode: "12345", IsDefaultShipping: true}},
			}
			if i%3 == 0 {
				p.Addresses = append(p.Addresses, address.CreateParams{AddressName: "work", Address1: "1 Office Rd", City: "Shelbyville", CountryCode: "us", IsDefaultBilling: true})
			}
			batch = append(batch, p)
		}
		cs, err := svc.CreateMany(ctx, batch)
		if err != nil {
			tb.Fatalf("seed: %v", err)
		}
		for _, c := range cs {
			out.IDs = append(out.IDs, c.ID)
		}
	}
	if n > 0 {
		out.WithAddresses = out.IDs[0]
	}
	return out
}

// Benchmarks runs the customer benchmarks of the performance targets on a
// store: batch create of 1,000 customers; list-and-count with a has_account
// filter (take 20) and the same with a q search, over 10,000 customers;
// retrieve by id with and without addresses. newStore must return an empty
// store.
func Benchmarks(b *testing.B, newStore func(b *testing.B) Store) {
	ctx := context.Background()
	b.Run("Create1000Customers", func(b *testing.B) {
		st := newStore(b)
		svc := newCustomers(b, st)
		batch := make([]customer.CreateParams, 1000)
		round := 0
		b.ReportAllocs()
		for b.Loop() {
			for i := range batch {
				batch[i] = customer.CreateParams{
					FirstName: "Bench", LastName: "Customer", Email: fmt.Sprintf("bench%d-%d@example.com", round, i),
					Phone: "+15550000", Metadata: map[string]any{"i": i},
				}
			}
			round++
			if _, err := svc.CreateMany(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "customers/s")
	})

	// importCustomers imports one batch of 5,000 customers (and 7,500
	// addresses) per iteration, into a table that grows: the rate of a
	// long import; with written, the import reports their ids to it.
	importCustomers := func(b *testing.B, written func([]bulk.Written)) {
		st := newStore(b)
		svc := newCustomers(b, st)
		round := 0
		var peak uint64
		var ms runtime.MemStats
		opts := customer.ImportOptions{NoEvents: true, Options: bulk.Options{Written: written, Progress: func(bulk.Report) {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}}}
		b.ReportAllocs()
		for b.Loop() {
			src := func(yield func(bulk.Record[customer.CreateParams], error) bool) {
				for i := range bulk.DefaultBatchSize {
					// Values vary as real ones do, so that the search
					// indexes of a backend see many different keys.
					k := round*bulk.DefaultBatchSize + i
					first, last := seedFirst[k%len(seedFirst)], seedLast[(k/7)%len(seedLast)]
					p := customer.CreateParams{
						FirstName: first, LastName: last, Email: fmt.Sprintf("import%d@example.com", k), HasAccount: i%4 == 0,
						Addresses: []address.CreateParams{{FirstName: first, LastName: last, Address1: fmt.Sprintf("%d Rue %d", k%200, k%89),
							City: fmt.Sprintf("City %d", k%503), CountryCode: "fr", PostalCode: fmt.Sprintf("%05d", k%99999), IsDefaultShipping: true}},
					}
					if i%2 == 0 {
						p.Addresses = append(p.Addresses, address.CreateParams{Address1: fmt.Sprintf("%d Side St", k%300), City: "Lyon", CountryCode: "fr", PostalCode: "69002"})
					}
					if !yield(bulk.Record[customer.CreateParams]{Line: i + 1, Value: p}, nil) {
						return
					}
				}
			}
			round++
			if rep, err := svc.Import(ctx, src, opts); err != nil || rep.Imported != bulk.DefaultBatchSize {
				b.Fatal(rep, err)
			}
		}
		b.ReportMetric(float64(bulk.DefaultBatchSize*b.N)/b.Elapsed().Seconds(), "customers/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
	b.Run("Import5000Customers", func(b *testing.B) { importCustomers(b, nil) })
	b.Run("Import5000CustomersWritten", func(b *testing.B) {
		// The host keeps nothing but a count: the cost measured is the
		// import's own.
		n := 0
		importCustomers(b, func(ws []bulk.Written) { n += len(ws) })
	})

	st := newStore(b)
	seeded := Seed(b, st, 10_000)
	svc := newCustomers(b, st)
	yes := true
	b.Run("ListAndCountHasAccount", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list, n, err := svc.ListAndCount(ctx, customer.Filter{HasAccount: &yes}, store.ListOptions{Take: 20})
			if err != nil || len(list) != 20 || n != 5000 {
				b.Fatalf("%d %d %v", len(list), n, err)
			}
		}
	})
	b.Run("ListAndCountSearch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list, n, err := svc.ListAndCount(ctx, customer.Filter{Q: SearchTerm}, store.ListOptions{Take: 20})
			if err != nil || len(list) != 20 || n != 50 {
				b.Fatalf("%d %d %v", len(list), n, err)
			}
		}
	})
	b.Run("RetrieveByID", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := svc.Retrieve(ctx, seeded.IDs[i%len(seeded.IDs)], store.FindOptions{}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("RetrieveByIDWithAddresses", func(b *testing.B) {
		b.ReportAllocs()
		rel := store.FindOptions{Relations: []string{customer.RelAddresses}}
		i := 0
		for b.Loop() {
			c, err := svc.Retrieve(ctx, seeded.IDs[i%len(seeded.IDs)], rel)
			if err != nil || len(c.Addresses) == 0 {
				b.Fatal(err)
			}
			i++
		}
	})
}
