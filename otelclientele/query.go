package otelclientele

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// QueryHook is a bun.QueryHook that traces each statement as a client
// span, a child of the span in the statement's context (the HTTP
// request's, under [NewHandler]). Give it to store/postgres with
// postgres.WithQueryHook, which runs it around every statement of the
// Store, below bun or through it.
//
// A span is named after the statement's operation (SELECT, INSERT, WITH,
// BEGIN, COMMIT, …) and carries db.system.name ("postgresql"),
// db.operation.name and db.query.text: the statement's text with its $n
// placeholders, never its argument values (emails, password hashes and
// token digests are arguments). The text of a statement that bun built
// (bun.QueryEvent.IQuery set), whose values bun writes into the text, is
// left out. A failed statement sets the span's status to Error with
// error.type and db.response.status_code set to its SQLSTATE (or
// error.type "_OTHER"), without the error's message, which may quote a
// value; sql.ErrNoRows is not a failure.
type QueryHook struct {
	tracer trace.Tracer
	roots  bool
}

var _ bun.QueryHook = (*QueryHook)(nil)

// NewQueryHook returns a QueryHook that traces with the tracer provider
// of opts (WithTracerProvider; default the global one). It traces the
// statements whose context carries a span, and, with
// [WithRootQuerySpans], the others too.
func NewQueryHook(opts ...Option) *QueryHook {
	c := newConfig(opts)
	return &QueryHook{tracer: c.tp.Tracer(ScopeName), roots: c.roots}
}

// spanKey stashes a statement's span in its bun.QueryEvent.
type spanKey struct{}

// BeforeQuery starts the statement's span. The span is kept in the event,
// not in the returned context: a transaction's BEGIN would otherwise
// become the parent of the statements that follow it.
func (h *QueryHook) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	if !h.roots && !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	op := ev.Operation()
	attrs := make([]attribute.KeyValue, 0, 3)
	attrs = append(attrs, semconv.DBSystemNamePostgreSQL, semconv.DBOperationName(op))
	if ev.IQuery == nil && ev.QueryTemplate != "" {
		attrs = append(attrs, semconv.DBQueryText(ev.QueryTemplate))
	}
	_, span := h.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if ev.Stash == nil {
		ev.Stash = make(map[any]any, 1)
	}
	ev.Stash[spanKey{}] = span
	return ctx
}

// AfterQuery ends the statement's span.
func (h *QueryHook) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	span, ok := ev.Stash[spanKey{}].(trace.Span)
	if !ok {
		return
	}
	if err := ev.Err; err != nil && !errors.Is(err, sql.ErrNoRows) {
		kind := semconv.ErrorTypeOther
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code != "" {
			kind = semconv.ErrorTypeKey.String(pgErr.Code)
			span.SetAttributes(semconv.DBResponseStatusCode(pgErr.Code))
		}
		span.SetAttributes(kind)
		span.SetStatus(codes.Error, "")
	}
	span.End()
}
