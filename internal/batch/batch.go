// Package batch runs the bulk imports of the services: it reads a
// bulk.Source one batch at a time, validates each record, finds the
// duplicates of a batch, lets the service check the batch against the
// store and write it in one unit of work, keeps the bulk.Report, and tells
// the caller the ids of each batch once its unit has committed.
// customer.Service.Import and auth.Service.ImportPasswordIdentities are
// built on it.
package batch

import (
	"context"
	"errors"

	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/store"
)

// Spec is what an import of records T, prepared into values P, does.
type Spec[T, P any] struct {
	// Tx runs a batch's check and write as one unit of work.
	Tx store.Transactor
	// Prepare validates and normalises one record on its own, without the
	// store: a *store.ValidationError (or another error of the service's
	// kinds) refuses the record.
	Prepare func(rec T) (P, error)
	// Key returns the value that must be unique among the records of an
	// import, or "" when p has none. Of two records of a batch with one
	// key, the later one is refused with Duplicate's error.
	Key func(p P) string
	// Duplicate returns the error of a record whose key an earlier record
	// of its batch (at line first) has.
	Duplicate func(p P, first int) error
	// Check runs in the batch's unit of work, before Write, with the
	// records that passed Prepare and Key: it returns the errors of those
	// that the store refuses (a key already taken), by index into ps.
	Check func(ctx context.Context, ps []P) (map[int]error, error)
	// Write writes a batch in which every record is good, in the unit of
	// work of Check.
	Write func(ctx context.Context, ps []P) error
	// Identify returns the id a prepared record is written with and the
	// key bulk.Written reports for it (its normalised email). It is
	// called only when the import's Options.Written is set, after the
	// batch has committed.
	Identify func(p P) (id, key string)
}

// errRefused rolls back the unit of a batch with a bad record.
var errRefused = errors.New("batch refused")

// Run imports src as spec says, with opts (already checked), and returns
// the report and an error: nil when every record was written, a
// *bulk.RejectedError when some were refused and the import otherwise
// ran, and any other error when it stopped on a failure (the source, the
// store, the context).
func Run[T, P any](ctx context.Context, src bulk.Source[T], opts bulk.Options, spec Spec[T, P]) (bulk.Report, error) {
	r := runner[T, P]{spec: spec, opts: opts}
	if r.opts.BatchSize == 0 {
		r.opts.BatchSize = bulk.DefaultBatchSize
	}
	if r.opts.MaxErrors == 0 {
		r.opts.MaxErrors = bulk.DefaultMaxErrors
	}
	r.items = make([]item[P], 0, r.opts.BatchSize)
	stop := false
	var fatal error
	for rec, err := range src {
		if err != nil {
			fatal = err
			break
		}
		if err := ctx.Err(); err != nil {
			fatal = err
			break
		}
		r.rep.Read++
		r.add(rec)
		if len(r.items) == r.opts.BatchSize {
			if stop, fatal = r.flush(ctx); stop || fatal != nil {
				break
			}
		}
	}
	if fatal == nil && !stop && len(r.items) > 0 {
		_, fatal = r.flush(ctx)
	}
	if fatal != nil {
		return r.rep, fatal
	}
	if r.rep.ErrorCount > 0 {
		return r.rep, &bulk.RejectedError{Count: r.rep.ErrorCount, First: r.first}
	}
	return r.rep, nil
}

type item[P any] struct {
	line  int
	value P
	err   error
}

type runner[T, P any] struct {
	spec  Spec[T, P]
	opts  bulk.Options
	items []item[P]
	rep   bulk.Report
	first bulk.RowError
}

// add prepares rec and appends it to the batch.
func (r *runner[T, P]) add(rec bulk.Record[T]) {
	it := item[P]{line: rec.Line, err: rec.Err}
	if it.err == nil {
		it.value, it.err = r.spec.Prepare(rec.Value)
	}
	r.items = append(r.items, it)
}

// flush checks and writes the batch, and reports whether the import must
// stop (a refused batch without ContinueOnError) or failed.
func (r *runner[T, P]) flush(ctx context.Context) (stop bool, err error) {
	items := r.items
	defer func() {
		clear(r.items)
		r.items = r.items[:0]
		if r.opts.Progress != nil && err == nil {
			r.opts.Progress(r.rep)
		}
	}()
	bad := 0
	for _, it := range items {
		if it.err != nil {
			bad++
		}
	}
	// Duplicates inside the batch: the first record of a key is kept.
	if r.spec.Key != nil {
		firstOf := make(map[string]int, len(items))
		for i := range items {
			it := &items[i]
			if it.err != nil {
				continue
			}
			k := r.spec.Key(it.value)
			if k == "" {
				continue
			}
			if j, dup := firstOf[k]; dup {
				it.err = r.spec.Duplicate(it.value, items[j].line)
				bad++
				continue
			}
			firstOf[k] = i
		}
	}
	good := make([]P, 0, len(items)-bad)
	index := make([]int, 0, len(items)-bad) // index into items of each good
	for i, it := range items {
		if it.err == nil {
			good = append(good, it.value)
			index = append(index, i)
		}
	}
	err = r.spec.Tx.InTx(ctx, func(ctx context.Context) error {
		if len(good) > 0 {
			faults, err := r.spec.Check(ctx, good)
			if err != nil {
				return err
			}
			for k, ferr := range faults {
				items[index[k]].err = ferr
				bad++
			}
		}
		if bad > 0 {
			return errRefused
		}
		return r.spec.Write(ctx, good)
	})
	switch {
	case errors.Is(err, errRefused):
		r.refuse(items)
		return !r.opts.ContinueOnError, nil
	case err != nil:
		return true, err
	}
	r.rep.Imported += len(good)
	r.rep.Batches++
	if r.opts.Written != nil {
		r.written(items, good)
	}
	return false, nil
}

// written reports a batch whose unit committed to Options.Written: items
// are the batch's records, good (all of them) their prepared values.
func (r *runner[T, P]) written(items []item[P], good []P) {
	ws := make([]bulk.Written, len(good))
	for i, p := range good {
		id, key := r.spec.Identify(p)
		ws[i] = bulk.Written{Line: items[i].line, ID: id, Key: key}
	}
	r.opts.Written(ws)
}

// refuse reports a refused batch and its bad records.
func (r *runner[T, P]) refuse(items []item[P]) {
	r.rep.Rejected = append(r.rep.Rejected, bulk.Span{
		FirstLine: items[0].line, LastLine: items[len(items)-1].line, Records: len(items),
	})
	for _, it := range items {
		if it.err == nil {
			continue
		}
		field, reason := split(it.err)
		re := bulk.RowError{Line: it.line, Field: field, Reason: reason, Err: it.err}
		if r.rep.ErrorCount == 0 {
			r.first = re
		}
		r.rep.ErrorCount++
		if len(r.rep.Errors) < r.opts.MaxErrors {
			r.rep.Errors = append(r.rep.Errors, re)
		}
	}
}

// split returns the field and reason of a record's error for the report.
func split(err error) (field, reason string) {
	if ve, ok := errors.AsType[*store.ValidationError](err); ok {
		reason = ve.Reason
		if reason == "" {
			reason = ve.Message
		}
		return ve.Field, reason
	}
	if de, ok := errors.AsType[*bulk.DuplicateError](err); ok {
		return de.Field, de.Error()
	}
	if ce, ok := errors.AsType[*store.ConflictError](err); ok && len(ce.Fields) > 0 {
		return ce.Fields[0][0], ce.Error()
	}
	return "", err.Error()
}
