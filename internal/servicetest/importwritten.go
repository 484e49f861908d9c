package servicetest

import (
	"context"
	"fmt"
	"slices"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// lineKey is what a test expects of a bulk.Written: its line and key (the
// id is looked up in the store instead).
type lineKey struct {
	Line int
	Key  string
}

// linesAndKeys returns the lines and keys of the batches Written was
// called with.
func linesAndKeys(calls [][]bulk.Written) [][]lineKey {
	out := make([][]lineKey, len(calls))
	for i, ws := range calls {
		out[i] = make([]lineKey, len(ws))
		for j, w := range ws {
			out[i][j] = lineKey{w.Line, w.Key}
		}
	}
	return out
}

// wantWrittenCustomers checks that every id of calls is a stored customer
// with the email reported, and that the customers stored are exactly those.
func (e *env) wantWrittenCustomers(calls [][]bulk.Written) {
	e.t.Helper()
	var ids []string
	for _, ws := range calls {
		for _, w := range ws {
			c, err := e.customers.Retrieve(e.ctx, w.ID, store.FindOptions{})
			if err != nil {
				e.t.Fatalf("line %d: id %s: %v", w.Line, w.ID, err)
			}
			if c.Email != w.Key {
				e.t.Fatalf("line %d: id %s is the customer of %q, reported with %q", w.Line, w.ID, c.Email, w.Key)
			}
			ids = append(ids, w.ID)
		}
	}
	slices.Sort(ids)
	stored := customerIDs(e.storedCustomers())
	slices.Sort(stored)
	e.same(stored, ids)
}

// wantWrittenIdentities checks that every id of calls is the stored auth
// identity of the emailpass identity of its key, and that n are stored.
func (e *env) wantWrittenIdentities(calls [][]bulk.Written, n int) {
	e.t.Helper()
	seen := map[string]bool{}
	for _, ws := range calls {
		for _, w := range ws {
			pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{w.Key}, Providers: []string{emailpass.ID}}, store.ListOptions{})
			e.must(err)
			if len(pis) != 1 || pis[0].AuthIdentityID != w.ID {
				e.t.Fatalf("line %d: %s reported as %s, stored as %v", w.Line, w.Key, w.ID, pis)
			}
			seen[w.ID] = true
		}
	}
	e.same(n, len(seen))
	e.wantRows(n, n, 0)
}

var importWrittenTests = []test{
	{"Import/Written", func(e *env) {
		// Batches of 2: {1, 2} written; {4, 5} refused (line 4); {6, 7}
		// written; {8, 9} refused (line 8 is the guest of line 1, now
		// stored); {10} written. Line 3 is blank.
		var calls [][]bulk.Written
		var order []string
		rep, err := e.customers.Import(e.ctx, ndjson(
			`{"email": " A@X.com"}`,
			`{"email": "b@x.com", "has_account": true}`,
			``,
			`{"email": "bad"}`,
			`{"email": "c@x.com"}`,
			`{"email": "d@x.com"}`,
			`{"first_name": "No Email"}`,
			`{"email": "a@x.com"}`,
			`{"email": "e@x.com"}`,
			`{"email": "F@x.com", "has_account": true}`,
		), customer.ImportOptions{Options: bulk.Options{
			BatchSize: 2, ContinueOnError: true, MaxErrors: 1,
			Written: func(ws []bulk.Written) {
				calls = append(calls, ws)
				order = append(order, fmt.Sprintf("written %d", len(ws)))
			},
			Progress: func(r bulk.Report) { order = append(order, fmt.Sprintf("progress %d", r.Imported)) },
		}})
		e.wantRejected(err, rep)
		e.same(2, rep.ErrorCount)
		e.same(1, len(rep.Errors))
		e.same([]bulk.Span{{FirstLine: 4, LastLine: 5, Records: 2}, {FirstLine: 8, LastLine: 9, Records: 2}}, rep.Rejected)
		e.same(5, rep.Imported)
		// Once per batch written, in line order, before its Progress.
		e.same([]string{"written 2", "progress 2", "progress 2", "written 2", "progress 4", "progress 4", "written 1", "progress 5"}, order)
		e.same([][]lineKey{
			{{1, "a@x.com"}, {2, "b@x.com"}},
			{{6, "d@x.com"}, {7, ""}},
			{{10, "f@x.com"}},
		}, linesAndKeys(calls))
		e.wantWrittenCustomers(calls)
	}},
	{"Import/WrittenStopsWithTheImport", func(e *env) {
		// Without ContinueOnError the import stops at the refused batch:
		// only the batch before it is reported.
		ps := numbered(1, 6)
		ps[2].Email = "bad"
		var calls [][]bulk.Written
		rep, err := e.importCustomers(customer.ImportOptions{Options: bulk.Options{
			BatchSize: 2, Written: func(ws []bulk.Written) { calls = append(calls, ws) },
		}}, ps...)
		e.wantRejected(err, rep)
		e.same([][]lineKey{{{1, "c1@import.test"}, {2, "c2@import.test"}}}, linesAndKeys(calls))
		e.wantWrittenCustomers(calls)
		// One batch of a whole import: one call, every record.
		rep, err = e.importCustomers(customer.ImportOptions{Options: bulk.Options{
			Written: func(ws []bulk.Written) { calls = append(calls, ws) },
		}}, numbered(10, 3)...)
		e.must(err)
		e.same(3, rep.Imported)
		e.same([]lineKey{{1, "c10@import.test"}, {2, "c11@import.test"}, {3, "c12@import.test"}}, linesAndKeys(calls)[1])
		e.wantWrittenCustomers(calls)
	}},
	{"Import/WrittenCancels", func(e *env) {
		// A host that cancels the import from Written stops it after the
		// batch reported, which stays written.
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		var calls [][]bulk.Written
		rep, err := e.customers.Import(ctx, bulk.Records(numbered(1, 6)), customer.ImportOptions{Options: bulk.Options{
			BatchSize: 2, Written: func(ws []bulk.Written) { calls = append(calls, ws); cancel() },
		}})
		e.wantErr(err, context.Canceled)
		e.same(2, rep.Imported)
		e.same(1, rep.Batches)
		e.same([][]lineKey{{{1, "c1@import.test"}, {2, "c2@import.test"}}}, linesAndKeys(calls))
		e.wantWrittenCustomers(calls)
	}},
	{"Import/WrittenNotAfterFailedUnit", func(e *env) {
		f, fs := e.faulty()
		// The unit of the second batch fails after its write, as a failed
		// commit does: only the first batch is reported.
		var calls [][]bulk.Written
		written := func(ws []bulk.Written) {
			calls = append(calls, ws)
			fs.failOn("Commit")
		}
		rep, err := f.importCustomers(customer.ImportOptions{Options: bulk.Options{BatchSize: 2, Written: written}}, numbered(1, 5)...)
		f.wantErr(err, errBoom)
		e.same(2, rep.Imported)
		e.same(1, rep.Batches)
		e.same([][]lineKey{{{1, "c1@import.test"}, {2, "c2@import.test"}}}, linesAndKeys(calls))
		e.wantWrittenCustomers(calls)
		// A write that fails reports nothing either.
		fs.failOn("InsertCustomers")
		before := e.snapshot()
		calls = nil
		rep, err = f.importCustomers(customer.ImportOptions{Options: bulk.Options{Written: written}}, numbered(10, 2)...)
		f.wantErr(err, errBoom)
		e.same(0, rep.Imported)
		e.same(0, len(calls))
		e.unchanged(before)
	}},
	{"IdentityImport/Written", func(e *env) {
		hash := mustHash(e, "s3cret-pass")
		e.secrets.add("s3cret-pass", hash)
		var calls [][]bulk.Written
		rep, err := e.auth.ImportPasswordIdentities(e.ctx, bulk.Records([]auth.PasswordIdentity{
			{Email: " Ada@Example.com", PasswordHash: hash, CustomerID: "cus_ada"},
			{Email: "bob@example.com", PasswordHash: hash},
			{Email: "nope", PasswordHash: hash},
			{Email: "carl@example.com", PasswordHash: hash},
			{Email: "DORA@example.com", PasswordHash: hash},
		}), auth.PasswordImportOptions{Options: bulk.Options{
			BatchSize: 2, ContinueOnError: true,
			Written: func(ws []bulk.Written) { calls = append(calls, ws) },
		}})
		e.wantRejected(err, rep)
		e.wantFaults(rep, rowFault{3, "email", auth.ErrInvalid})
		e.same([][]lineKey{
			{{1, "ada@example.com"}, {2, "bob@example.com"}},
			{{5, "dora@example.com"}},
		}, linesAndKeys(calls))
		e.wantWrittenIdentities(calls, 3)
	}},
	{"IdentityImport/WrittenNotAfterFailedUnit", func(e *env) {
		hash := mustHash(e, "s3cret-pass")
		e.secrets.add("s3cret-pass", hash)
		f, fs := e.faulty()
		var calls [][]bulk.Written
		rep, err := f.auth.ImportPasswordIdentities(f.ctx, bulk.Records([]auth.PasswordIdentity{
			{Email: "a@example.com", PasswordHash: hash}, {Email: "b@example.com", PasswordHash: hash},
			{Email: "c@example.com", PasswordHash: hash},
		}), auth.PasswordImportOptions{Options: bulk.Options{
			BatchSize: 2, Written: func(ws []bulk.Written) {
				calls = append(calls, ws)
				fs.failOn("Commit")
			},
		}})
		f.wantErr(err, errBoom)
		e.same(2, rep.Imported)
		e.same([][]lineKey{{{1, "a@example.com"}, {2, "b@example.com"}}}, linesAndKeys(calls))
		e.wantWrittenIdentities(calls, 2)
	}},
}
