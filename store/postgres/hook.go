package postgres

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// WithQueryHook runs hook around every statement the Store sends: its
// reads and writes, which it runs below bun as SQL texts with $n
// parameters, and the BEGIN, COMMIT and ROLLBACK of its units of work
// (through bun, which runs the hooks of the *bun.DB the Store uses).
// Package otelclientele's QueryHook traces them with OpenTelemetry; any
// bun.QueryHook works (bunotel, bundebug).
//
// A hook on the *bun.DB itself (bun.DB.WithQueryHook) sees only what bun
// runs: BEGIN, COMMIT and ROLLBACK, not the Store's statements. Give the
// hook here instead, not both ways, or the transactions are seen twice.
// With a hook, [Store.DB] is a copy of the *bun.DB given to [New] that
// runs it; the caller's is left as it was. ([Migrate], which takes a
// *bun.DB, is not the Store's: its statements are not hooked.)
//
// The events of the Store's own statements carry the statement's text in
// Query and QueryTemplate, with its $n placeholders, and no QueryArgs:
// argument values (emails, password hashes, token digests) never reach a
// hook. A search inlines its patterns into the text as string constants
// (see the package documentation): every string constant of a text is
// replaced by '?' (E'?' for an escape string) in the events, so the words
// searched for do not reach a hook either. IQuery and Model are nil.
// Without a hook the Store pays nothing.
//
// The option applies to [Open] and [New]; several hooks run in the order
// given, their AfterQuery in reverse order, as bun runs them.
func WithQueryHook(hook bun.QueryHook) Option {
	return func(o *options) {
		if hook != nil {
			o.hooks = append(o.hooks, hook)
		}
	}
}

// withHooks gives s the hooks of o: the Store runs them around its own
// statements, and its *bun.DB (a copy, so the caller's is left as it
// was) runs them around what bun sends.
func (s *Store) withHooks(o *options) {
	if len(o.hooks) == 0 {
		return
	}
	s.hooks = o.hooks
	for _, h := range o.hooks {
		s.db = s.db.WithQueryHook(h)
	}
}

// hooked returns c, or c with the Store's hooks around each statement
// when it has any.
func (s *Store) hooked(c sqlConn) sqlConn {
	if len(s.hooks) == 0 {
		return c
	}
	return hookedConn{c: c, s: s}
}

// hookedConn runs a Store's hooks around the statements of c.
type hookedConn struct {
	c sqlConn
	s *Store
}

func (h hookedConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, ev := h.s.beforeQuery(ctx, query)
	res, err := h.c.ExecContext(ctx, query, args...)
	h.s.afterQuery(ctx, ev, res, err)
	return res, err
}

func (h hookedConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, ev := h.s.beforeQuery(ctx, query)
	rows, err := h.c.QueryContext(ctx, query, args...)
	h.s.afterQuery(ctx, ev, nil, err)
	return rows, err
}

func (h hookedConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, ev := h.s.beforeQuery(ctx, query)
	row := h.c.QueryRowContext(ctx, query, args...)
	h.s.afterQuery(ctx, ev, nil, row.Err())
	return row
}

// beforeQuery runs the hooks' BeforeQuery for the statement query.
func (s *Store) beforeQuery(ctx context.Context, query string) (context.Context, *bun.QueryEvent) {
	text := redactLiterals(query)
	ev := &bun.QueryEvent{DB: s.db, Query: text, QueryTemplate: text, StartTime: time.Now()}
	for _, h := range s.hooks {
		ctx = h.BeforeQuery(ctx, ev)
	}
	return ctx, ev
}

// afterQuery runs the hooks' AfterQuery, last hook first, as bun does.
func (s *Store) afterQuery(ctx context.Context, ev *bun.QueryEvent, res sql.Result, err error) {
	ev.Result, ev.Err = res, err
	for i := len(s.hooks) - 1; i >= 0; i-- {
		s.hooks[i].AfterQuery(ctx, ev)
	}
}

// redactLiterals returns query with the contents of each string constant
// ('…', or E'…' with backslash escapes) replaced by "?". An unterminated
// constant is cut at its quote. A text without a quote is returned as is.
func redactLiterals(query string) string {
	if strings.IndexByte(query, '\'') < 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query))
	for {
		i := strings.IndexByte(query, '\'')
		if i < 0 {
			b.WriteString(query)
			return b.String()
		}
		escapes := i > 0 && (query[i-1] == 'E' || query[i-1] == 'e')
		b.WriteString(query[:i+1])
		b.WriteString("?'")
		j := i + 1
		for ; j < len(query); j++ {
			c := query[j]
			if escapes && c == '\\' {
				j++
				continue
			}
			if c == '\'' {
				if j+1 < len(query) && query[j+1] == '\'' {
					j++
					continue
				}
				break
			}
		}
		if j >= len(query) {
			return b.String()
		}
		query = query[j+1:]
	}
}
