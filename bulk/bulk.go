// Package bulk holds what the bulk imports of clientele share: the records
// an import reads with the numbers of the lines they came from, the
// options that batch them, the report of what was imported and what was
// refused, and a decoder of the line-oriented format the imports accept
// (NDJSON: one JSON object per line).
//
// The imports themselves are methods of the services:
// customer.Service.Import (customers with their addresses) and
// auth.Service.ImportPasswordIdentities (emailpass identities with the
// password hashes they already have). They read their source one batch at
// a time, so an import of millions of records holds one batch in memory:
//
//	f, _ := os.Open("customers.ndjson")
//	rep, err := customers.Import(ctx, customer.DecodeNDJSON(f), customer.ImportOptions{})
//	// rep.Imported records were written; rep.Errors names the bad lines.
//
// # Batches
//
// Records are taken from the source [Options.BatchSize] at a time
// (default [DefaultBatchSize]). Each batch is checked in full before
// anything of it is written: every record on its own (the validation of
// the service's Create), then the batch against itself and against what is
// stored (unique emails). A batch with a bad record writes nothing, and
// every bad record of it is reported with its line number and reason
// ([RowError]). A batch without one is written in one unit of work (one
// transaction on PostgreSQL), all of it or nothing.
//
// By default the import stops at the first bad batch: the batches before
// it stay written, nothing after it is read. With
// [Options.ContinueOnError] it goes on with the next batch, and the report
// lists every refused batch ([Report.Rejected]), so that the lines not
// imported can be fixed and imported again.
//
// An error that is not the fault of a record (the source failing to read,
// the store failing, the context ending) stops the import at once: the
// batch in progress is not written, the batches before it are.
//
// # Ids of the records written
//
// [Options.Written] tells the host the id each record of a written batch
// was given, with its line and key (its email), once the batch has
// committed. A migration uses it to chain imports without looking records
// up: import the customers, keep email → customer id, then import the
// password identities with their CustomerID set:
//
//	ids := map[string]string{} // email → customer id
//	opts := customer.ImportOptions{Options: bulk.Options{Written: func(ws []bulk.Written) {
//		for _, w := range ws {
//			ids[w.Key] = w.ID
//		}
//	}}}
//	rep, err := customers.Import(ctx, customer.DecodeNDJSON(f), opts)
//
// A refused batch, or one whose unit of work failed, reports nothing: every
// id reported is stored.
package bulk

import (
	"errors"
	"fmt"
	"iter"
)

// Record is one record of an import source: a value and the number of the
// line (1-based) it was read from, which reports name.
type Record[T any] struct {
	// Line is the line number of the record in its source, or for a
	// source that is not line-oriented any number that identifies it.
	Line int
	// Value is the record.
	Value T
	// Err, when not nil, says why the line could not be decoded into a
	// value. The import reports the line as bad with this reason (its
	// batch is then refused), and does not stop.
	Err error
}

// Source is what an import reads: records in order, each with its line
// number. A non-nil error with a record is fatal (the reader failed): the
// import stops and returns it. A line that is only malformed is a record
// with Err set instead, so that the import reports it and goes on.
//
// An import stops iterating early when it stops (a bad batch, a failure,
// the context ending), and iterates once.
type Source[T any] = iter.Seq2[Record[T], error]

// Records returns a Source over values already in memory, numbered from 1.
func Records[T any](values []T) Source[T] {
	return func(yield func(Record[T], error) bool) {
		for i, v := range values {
			if !yield(Record[T]{Line: i + 1, Value: v}, nil) {
				return
			}
		}
	}
}

// DefaultBatchSize is the batch size of an import whose Options leave it 0.
const DefaultBatchSize = 5000

// MaxBatchSize is the largest batch an import accepts.
const MaxBatchSize = 100_000

// DefaultMaxErrors is the number of bad records a Report lists when
// Options leave MaxErrors 0.
const DefaultMaxErrors = 1000

// Options configures an import.
type Options struct {
	// BatchSize is the number of records checked and written together
	// (default DefaultBatchSize, at most MaxBatchSize). It bounds the
	// memory of the import and the size of its transactions.
	BatchSize int
	// ContinueOnError makes the import go on after a batch with a bad
	// record (nothing of which is written); by default it stops there.
	ContinueOnError bool
	// MaxErrors is the number of bad records the report lists (default
	// DefaultMaxErrors); the ones after it are only counted. A negative
	// value lists none.
	MaxErrors int
	// Progress, when set, is called after each batch, written or refused,
	// with the report so far. It runs on the importing goroutine and must
	// not keep the report's slices.
	Progress func(Report)
	// Written, when set, is called once for each batch written, after
	// the batch's unit of work has committed, with one Written per record
	// of the batch in line order: the id the record was given, so that a
	// host can map its source to what was stored without looking every
	// record up. It is never called for a refused batch, nor for one whose
	// unit failed (the commit included). It runs on the importing
	// goroutine, before Progress, and may keep the slice, which is its
	// own. It returns nothing: the batch is written by then, and the
	// import goes on (to stop it, cancel the import's context; the report
	// counts the batches written).
	//
	// When the import's context carries a unit of work of the caller's
	// (store.Transactor.InTx), the batches join that unit: Written then
	// reports what the unit holds, which stays written only if the
	// caller's unit commits.
	Written func([]Written)
}

// Written is a record of a batch that an import wrote, as
// [Options.Written] reports it.
type Written struct {
	// Line is the record's line number in its source.
	Line int
	// ID is the id the record was written with (a customer's "cus_…",
	// an auth identity's "authid_…").
	ID string
	// Key is what the import knows the record by: its email, trimmed and
	// lower-cased as it was written, or "" for a customer without one.
	// Two customers may share an email (a guest and a registered
	// customer); their lines tell them apart.
	Key string
}

// Check reports whether o is usable: a BatchSize of 0 to MaxBatchSize.
func (o Options) Check() error {
	if o.BatchSize < 0 || o.BatchSize > MaxBatchSize {
		return fmt.Errorf("bulk: batch size must be 0 (the default) to %d, got %d", MaxBatchSize, o.BatchSize)
	}
	return nil
}

// Report tells what an import did.
type Report struct {
	// Read is the number of records taken from the source.
	Read int
	// Imported is the number of records written.
	Imported int
	// Batches is the number of batches written.
	Batches int
	// Rejected lists the batches refused because of a bad record, in
	// order; none of their records was written.
	Rejected []Span
	// Errors lists the bad records, in line order within each batch, at
	// most Options.MaxErrors of them.
	Errors []RowError
	// ErrorCount is the number of bad records, listed or not.
	ErrorCount int
}

// Span is a range of records: a batch of an import.
type Span struct {
	// FirstLine and LastLine are the line numbers of the batch's first
	// and last records.
	FirstLine, LastLine int
	// Records is the number of records in the batch.
	Records int
}

// RowError is a bad record: the line it came from and why it was refused.
type RowError struct {
	// Line is the record's line number.
	Line int
	// Field names the field at fault, in the import format's names
	// ("email", "addresses[1].postal_code"), or is empty when the whole
	// line is at fault (it is not valid JSON).
	Field string
	// Reason says what is wrong, for people.
	Reason string
	// Err is the error the record was refused with; it matches the
	// service's ErrInvalid or ErrConflict with errors.Is.
	Err error
}

// Error returns "line N: field: reason".
func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// Unwrap returns Err.
func (e RowError) Unwrap() error { return e.Err }

// ErrRejected is matched (errors.Is) by the error of an import that
// refused records; the report says which.
var ErrRejected = errors.New("bulk: records rejected")

// RejectedError is the error of an import that refused records: how many,
// and the first of them. It matches ErrRejected.
type RejectedError struct {
	// Count is the number of bad records.
	Count int
	// First is the first bad record.
	First RowError
}

// Error returns e.g. "bulk: 3 records rejected; first: line 7: email: …".
func (e *RejectedError) Error() string {
	noun := "records"
	if e.Count == 1 {
		noun = "record"
	}
	return fmt.Sprintf("bulk: %d %s rejected; first: %v", e.Count, noun, e.First)
}

// Is reports whether target is ErrRejected.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// DuplicateError is the error of a record whose unique value (an email)
// an earlier record of its batch has. It matches Err, the service's
// ErrConflict.
type DuplicateError struct {
	// Field names the unique field, Value its value in the record.
	Field, Value string
	// FirstLine is the line of the earlier record, which is kept.
	FirstLine int
	// Err is the service's conflict sentinel.
	Err error
}

// Error returns e.g. `email "a@b.c" is also on line 3`.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%s %q is also on line %d", e.Field, e.Value, e.FirstLine)
}

// Unwrap returns Err.
func (e *DuplicateError) Unwrap() error { return e.Err }
