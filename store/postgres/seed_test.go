package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/store/postgres"
)

// rareName is the last name of one customer in rareEvery: the q-search
// term of the tests and benchmarks, matching 0.5% of the customers.
const (
	rareName  = "Quistorp"
	rareEvery = 200
)

var (
	firstNames = strings.Fields(`Anna Ben Clara David Emma Felix Greta Hugo Ida Jonas Karla Leon
		Mia Noah Olivia Paul Rosa Samuel Tara Uwe Vera William Xenia Yusuf Zoe Amelie Bruno Chiara
		Dominik Elif Finn Hanna Ivan Jana Karim Lena Malte Nora Oskar Pia Rafael Sophie Timo Ute
		Valentin Wanda Yara Zeynep Maria Lukas`)
	lastNames = strings.Fields(`Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz
		Hoffmann Koch Richter Klein Wolf Schröder Neumann Schwarz Braun Zimmermann Krüger Hartmann
		Lange Werner Krause Lehmann Köhler Maier Herrmann König Walter Mayer Huber Kaiser Fuchs
		Peters Lang Scholz Möller Weiß Jung Hahn Vogel Friedrich Keller Günther Frank Berger Winkler
		Roth Beck Lorenz Baumann Franke Albrecht Simon Ludwig Böhm Winter Kraus Martin Schumacher`)
	companies = strings.Fields(`Acme Globex Initech Umbrella Hooli Vandelay Stark Wayne Wonka
		Tyrell Cyberdyne Soylent Gringotts Monarch Aperture Oscorp`)
	cities = strings.Fields(`Berlin Hamburg München Köln Frankfurt Stuttgart Düsseldorf Leipzig
		Dortmund Essen Bremen Dresden Hannover Nürnberg Duisburg Bochum Wuppertal Bielefeld Bonn Münster`)
	streets = strings.Fields(`Hauptstraße Schulstraße Gartenweg Bahnhofstraße Dorfstraße Bergstraße
		Lindenallee Kirchweg Waldstraße Ringstraße Mühlenweg Parkstraße`)
)

// dataset describes what seed wrote.
type dataset struct {
	ids        []string // customer ids, in insertion order
	withAddrs  []string // customers with two addresses
	hasAccount int      // customers with has_account
	rare       int      // customers named rareName
}

// seed writes n customers with one or two addresses each, realistic names
// and emails, has_account for about half, and vacuums the tables.
func seed(tb testing.TB, st *postgres.Store, n int) dataset {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC().Truncate(time.Microsecond)
	var ds dataset
	const chunk = 1000
	for start := 0; start < n; start += chunk {
		var cs []*customer.Customer
		var as []*address.Address
		for i := start; i < min(start+chunk, n); i++ {
			first := firstNames[rng.IntN(len(firstNames))]
			last := lastNames[rng.IntN(len(lastNames))]
			if i%rareEvery == rareEvery/2 {
				last = rareName
				ds.rare++
			}
			c := &customer.Customer{
				ID: id.New(id.Customer), FirstName: first, LastName: last,
				Email:      fmt.Sprintf("%s.%s%d@example.%s", strings.ToLower(first), strings.ToLower(last), i, []string{"com", "org", "net"}[i%3]),
				Phone:      fmt.Sprintf("+49 30 %07d", rng.IntN(10_000_000)),
				HasAccount: rng.IntN(2) == 0,
				CreatedAt:  now.Add(time.Duration(i) * time.Microsecond),
			}
			c.UpdatedAt = c.CreatedAt
			if rng.IntN(10) < 3 {
				c.CompanyName = companies[rng.IntN(len(companies))] + " GmbH"
			}
			if i%7 == 0 {
				c.Metadata = map[string]any{"source": "import", "tier": float64(i % 3)}
			}
			if c.HasAccount {
				ds.hasAccount++
			}
			cs = append(cs, c)
			ds.ids = append(ds.ids, c.ID)
			addrs := 1 + rng.IntN(2)
			if addrs == 2 {
				ds.withAddrs = append(ds.withAddrs, c.ID)
			}
			for k := range addrs {
				as = append(as, &address.Address{
					ID: id.New(id.Address), CustomerID: c.ID, AddressName: []string{"Home", "Work"}[k],
					IsDefaultShipping: k == 0, IsDefaultBilling: k == 0,
					FirstName: first, LastName: last,
					Address1:    fmt.Sprintf("%s %d", streets[rng.IntN(len(streets))], 1+rng.IntN(150)),
					City:        cities[rng.IntN(len(cities))],
					CountryCode: "de", PostalCode: fmt.Sprintf("%05d", 10000+rng.IntN(89999)),
					Phone:     c.Phone,
					CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt,
				})
			}
		}
		if err := st.InsertCustomers(ctx, cs); err != nil {
			tb.Fatalf("seed customers: %v", err)
		}
		if err := st.InsertAddresses(ctx, as); err != nil {
			tb.Fatalf("seed addresses: %v", err)
		}
	}
	// VACUUM moves the new trigram entries from the GIN indexes' pending
	// lists into the indexes proper, as autovacuum would after a bulk load;
	// until then every search scans the pending list and PostgreSQL shuns
	// the trigram indexes.
	if _, err := st.DB().ExecContext(ctx, "VACUUM ANALYZE customer, customer_address, customer_group, customer_group_customer"); err != nil {
		tb.Fatalf("vacuum: %v", err)
	}
	return ds
}
