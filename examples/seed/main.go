// Command seed fills a PostgreSQL database with generated customers for
// load tests and benchmarks: N customers (default 1,000,000), one in four
// registered (has_account), each with one or two addresses, imported with
// customer.Service.Import (COPY, batch by batch, no events), then a few
// customer groups and memberships (about half the customers in one group,
// one in ten in two), written with COPY, then ANALYZE. It prints the time
// of each step:
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop go run ./examples/seed -n 1000000
//
// The database is migrated first (Medusa 2.21's tables and clientele's
// additions). With -defer-indexes (the default), clientele's search
// indexes (trigram GIN indexes of customer and customer_address, which cost
// more than the rest of a load to keep up row by row) are dropped before
// the load and built again after it, also when the load fails: use it on a
// database that nothing else uses meanwhile, or turn it off. Emails are seed-<run>-<n>@example.com, so runs with
// different -run values add to one database without clashing; the
// customers carry created_by "seed:<run>". On a 2-core machine shared
// with other work, the default million customers (1,499,618 addresses)
// imported in 58.7 s with 13 MiB of heap, and the whole seeding took
// 102 s (600,000 memberships 15 s, the search indexes 24 s). Status 1 means the seeding
// failed (the batches written before stay); 2 a bad command line.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/store/postgres"
)

// config is what a seeding does.
type config struct {
	dsn       string
	customers int
	groups    int
	batch     int
	run       string
	progress  bool
	// deferIndexes drops clientele's search indexes (trigram GIN) during
	// the load and builds them again at the end.
	deferIndexes bool
	// onBatch, when set, is called after each batch (tests).
	onBatch func()
}

func main() {
	cfg := config{dsn: os.Getenv("DATABASE_URL")}
	flag.IntVar(&cfg.customers, "n", 1_000_000, "customers to create")
	flag.IntVar(&cfg.groups, "groups", 5, "customer groups to create (0: no groups, no memberships)")
	flag.IntVar(&cfg.batch, "batch", bulk.DefaultBatchSize, "customers per batch (one transaction each)")
	flag.StringVar(&cfg.run, "run", "1", "name of the run, in the emails and created_by")
	flag.BoolVar(&cfg.progress, "progress", true, "print the progress every 100,000 customers")
	flag.BoolVar(&cfg.deferIndexes, "defer-indexes", true, "drop the search indexes during the load and build them at the end (not on a database in use)")
	flag.Parse()
	if cfg.dsn == "" || cfg.customers < 0 || cfg.groups < 0 {
		fmt.Fprintln(os.Stderr, "seed: set DATABASE_URL; -n and -groups must not be negative")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// run seeds the database and writes the timings to out.
func run(ctx context.Context, cfg config, out io.Writer) error {
	start := time.Now()
	st, err := postgres.Open(ctx, cfg.dsn, postgres.WithStatementTimeout(0))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	addresses, err := address.NewService(st)
	if err != nil {
		return err
	}
	customers, err := customer.NewService(st, addresses)
	if err != nil {
		return err
	}

	buildAll := func() error { return nil }
	if cfg.deferIndexes {
		t := time.Now()
		idx, err := dropSearchIndexes(ctx, st.DB().DB)
		if err != nil {
			return fmt.Errorf("drop search indexes: %w", err)
		}
		fmt.Fprintf(out, "indexes    %9d search indexes dropped in %.1fs\n", len(idx), time.Since(t).Seconds())
		built := false
		defer func() {
			if built {
				return
			}
			// The load failed or was interrupted: the indexes come back.
			if err := buildIndexes(context.Background(), cfg.dsn, idx); err != nil {
				fmt.Fprintf(out, "seed: the search indexes could not be built again (%v); run:\n", err)
				for _, ix := range idx {
					fmt.Fprintf(out, "%s;\n", ix)
				}
			}
		}()
		buildAll = func() error {
			t := time.Now()
			if err := buildIndexes(ctx, cfg.dsn, idx); err != nil {
				return fmt.Errorf("build search indexes: %w", err)
			}
			built = true
			fmt.Fprintf(out, "indexes    %9d search indexes built in %.1fs\n", len(idx), time.Since(t).Seconds())
			return nil
		}
	}

	t := time.Now()
	var peak uint64
	var ms runtime.MemStats
	last := 0
	rep, err := customers.Import(ctx, generate(cfg), customer.ImportOptions{NoEvents: true, Options: bulk.Options{
		BatchSize: cfg.batch,
		Progress: func(r bulk.Report) {
			if cfg.onBatch != nil {
				cfg.onBatch()
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			if cfg.progress && r.Imported-last >= 100_000 {
				last = r.Imported
				fmt.Fprintf(out, "  %9d customers  %6.1fs\n", r.Imported, time.Since(t).Seconds())
			}
		},
	}})
	if err != nil {
		return fmt.Errorf("import: %w (%d customers written)", err, rep.Imported)
	}
	importTime := time.Since(t)
	var addrs int
	if err := st.DB().DB.QueryRowContext(ctx, "SELECT count(*) FROM customer_address a JOIN customer c ON c.id = a.customer_id WHERE c.created_by = $1",
		"seed:"+cfg.run).Scan(&addrs); err != nil {
		return err
	}
	fmt.Fprintf(out, "customers  %9d with %d addresses in %.1fs: %.0f customers/s, peak heap %.0f MiB\n",
		rep.Imported, addrs, importTime.Seconds(), float64(rep.Imported)/importTime.Seconds(), float64(peak)/(1<<20))

	if cfg.groups > 0 {
		t = time.Now()
		n, err := memberships(ctx, cfg)
		if err != nil {
			return fmt.Errorf("memberships: %w", err)
		}
		fmt.Fprintf(out, "groups     %9d with %d memberships in %.1fs\n", cfg.groups, n, time.Since(t).Seconds())
	}

	if err := buildAll(); err != nil {
		return err
	}

	t = time.Now()
	if _, err := st.DB().ExecContext(ctx, "ANALYZE customer, customer_address, customer_group, customer_group_customer"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	fmt.Fprintf(out, "analyze    in %.1fs\n", time.Since(t).Seconds())
	fmt.Fprintf(out, "total      %.1fs\n", time.Since(start).Seconds())
	return nil
}

// Generated values: a few of each, valid for the address checks.
var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie"}
	cities     = []struct{ city, country, postal string }{
		{"Paris", "fr", "75001"}, {"Lyon", "fr", "69002"}, {"Berlin", "de", "10115"}, {"Munich", "de", "80331"},
		{"London", "gb", "SW1A 1AA"}, {"Leeds", "gb", "LS1 4AP"}, {"New York", "us", "10001"}, {"Austin", "us", "73301"},
		{"Madrid", "es", "28013"}, {"Rome", "it", "00184"},
	}
)

// generate returns the customers of a seeding, made as they are read: the
// import holds one batch of them at a time.
func generate(cfg config) bulk.Source[customer.CreateParams] {
	return func(yield func(bulk.Record[customer.CreateParams], error) bool) {
		r := rand.New(rand.NewPCG(1, 2))
		createdBy := "seed:" + cfg.run
		for i := range cfg.customers {
			first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
			p := customer.CreateParams{
				FirstName: first, LastName: last, HasAccount: i%4 == 0, CreatedBy: createdBy,
				Email: fmt.Sprintf("seed-%s-%d@example.com", cfg.run, i),
			}
			if i%10 == 0 {
				p.CompanyName = last + " Ltd"
				p.Phone = fmt.Sprintf("+33 1 %08d", i)
			}
			n := 1 + r.IntN(2)
			p.Addresses = make([]address.CreateParams, n)
			for k := range p.Addresses {
				c := cities[r.IntN(len(cities))]
				p.Addresses[k] = address.CreateParams{
					FirstName: first, LastName: last, Address1: fmt.Sprintf("%d Main Street", 1+r.IntN(200)),
					City: c.city, CountryCode: c.country, PostalCode: c.postal,
					IsDefaultShipping: k == 0, IsDefaultBilling: k == n-1,
				}
			}
			if !yield(bulk.Record[customer.CreateParams]{Line: i + 1, Value: p}, nil) {
				return
			}
		}
	}
}

// memberships creates cfg.groups groups and puts the seeded customers in
// them with COPY: one customer in two in one group, one in ten in a second
// one. It returns the number of memberships.
func memberships(ctx context.Context, cfg config) (int64, error) {
	pg, err := postgres.Open(ctx, cfg.dsn, postgres.WithStatementTimeout(0))
	if err != nil {
		return 0, err
	}
	defer pg.Close()
	groups, err := group.NewService(pg)
	if err != nil {
		return 0, err
	}
	ps := make([]group.CreateParams, cfg.groups)
	for i := range ps {
		ps[i] = group.CreateParams{Name: fmt.Sprintf("seed %s group %d", cfg.run, i+1), CreatedBy: "seed:" + cfg.run}
	}
	gs, err := groups.CreateMany(ctx, ps)
	if err != nil {
		return 0, err
	}
	// One connection reads the customers' ids while another copies.
	read, err := pgx.Connect(ctx, cfg.dsn)
	if err != nil {
		return 0, err
	}
	defer read.Close(context.Background())
	write, err := pgx.Connect(ctx, cfg.dsn)
	if err != nil {
		return 0, err
	}
	defer write.Close(context.Background())
	rows, err := read.Query(ctx, "SELECT id FROM customer WHERE created_by = $1", "seed:"+cfg.run)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	src := &membershipSource{rows: rows, groups: gs, now: time.Now().UTC().Truncate(time.Microsecond), by: "seed:" + cfg.run}
	n, err := write.CopyFrom(ctx, pgx.Identifier{"customer_group_customer"},
		[]string{"id", "customer_id", "customer_group_id", "created_at", "updated_at", "created_by"}, src)
	return n, errors.Join(err, rows.Err())
}

// membershipSource makes the memberships of the customers rows reads.
type membershipSource struct {
	rows    pgx.Rows
	groups  []*group.Group
	now     time.Time
	by      string
	i       int
	pending []string // group ids still to write for the current customer
	current string
	values  []any
	err     error
}

// Next implements pgx.CopyFromSource.
func (m *membershipSource) Next() bool {
	for len(m.pending) == 0 {
		if !m.rows.Next() {
			return false
		}
		if err := m.rows.Scan(&m.current); err != nil {
			m.err = err
			return false
		}
		m.i++
		if m.i%2 == 0 {
			m.pending = append(m.pending, m.groups[m.i%len(m.groups)].ID)
		}
		if m.i%10 == 0 && len(m.groups) > 1 {
			m.pending = append(m.pending, m.groups[(m.i+1)%len(m.groups)].ID)
		}
	}
	g := m.pending[0]
	m.pending = m.pending[1:]
	m.values = append(m.values[:0], id.New(id.GroupMembership), m.current, g, m.now, m.now, m.by)
	return true
}

// Values implements pgx.CopyFromSource.
func (m *membershipSource) Values() ([]any, error) { return m.values, nil }

// Err implements pgx.CopyFromSource.
func (m *membershipSource) Err() error { return errors.Join(m.err, m.rows.Err()) }

// dropSearchIndexes drops clientele's trigram indexes of the customer and
// customer_address tables and returns their definitions. Medusa's indexes
// (unique emails, default addresses) and the lower(email) index that the
// import's email check uses stay.
func dropSearchIndexes(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT format('%I.%I', schemaname, indexname), indexdef FROM pg_indexes
		WHERE tablename IN ('customer', 'customer_address') AND indexname LIKE 'IDX_clientele_%_trgm' ORDER BY indexname`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		names = append(names, name)
		defs = append(defs, strings.Replace(def, "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(names) > 0 {
		if _, err := db.ExecContext(ctx, "DROP INDEX "+strings.Join(names, ", ")); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

// buildIndexes runs the index definitions defs, two at a time.
func buildIndexes(ctx context.Context, dsn string, defs []string) error {
	todo := make(chan string, len(defs))
	for _, d := range defs {
		todo <- d
	}
	close(todo)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(ctx, "SET maintenance_work_mem = '256MB'"); err != nil {
				errs <- err
				return
			}
			for d := range todo {
				if _, err := conn.Exec(ctx, d); err != nil {
					errs <- fmt.Errorf("%s: %w", d, err)
					return
				}
			}
			errs <- nil
		}()
	}
	return errors.Join(<-errs, <-errs)
}
