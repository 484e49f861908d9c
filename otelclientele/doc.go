// Package otelclientele instruments clientele with OpenTelemetry: traces
// of HTTP requests and of their SQL statements, and metrics of the auth
// service's logins, failures, lockouts, registrations, password resets
// and MFA challenges.
//
// It is the only package of the module that imports OpenTelemetry. The
// core packages expose dependency-free hook points that it fills, and a
// host that does not import it links no OpenTelemetry code and pays a nil
// check on the paths it would observe:
//
//   - [NewQueryHook] returns a bun.QueryHook for
//     postgres.WithQueryHook, which runs it around every statement of the
//     Store (its reads and writes below bun, and the BEGIN and COMMIT of
//     its units of work);
//   - [NewObserver] returns an auth.Observer for auth.WithObserver;
//   - [NewHandler] wraps httpapi's handler with otelhttp.
//
// Wired together:
//
//	opts := []otelclientele.Option{
//		otelclientele.WithTracerProvider(tp), otelclientele.WithMeterProvider(mp),
//	}
//	st, err := postgres.Open(ctx, dsn, postgres.WithQueryHook(otelclientele.NewQueryHook(opts...)))
//	…
//	obs, err := otelclientele.NewObserver(opts...)
//	authSvc, err := auth.NewService(st, tokens, auth.WithObserver(obs), …)
//	…
//	srv := &http.Server{Handler: otelclientele.NewHandler(api.Handler(), opts...)}
//
// Without options the global providers (otel.GetTracerProvider,
// otel.GetMeterProvider) are used, as they are when the call is made.
//
// # Spans
//
// A request's server span is named after the route pattern it matched
// ("POST /auth/{actor_type}/{provider}"), never the raw path, so span names
// stay few. Each statement is a client span below it, named after the
// statement's operation (SELECT, INSERT, UPDATE, DELETE, WITH, BEGIN,
// COMMIT, ROLLBACK), with db.system.name, db.operation.name and
// db.query.text. The text has $n placeholders where the arguments go;
// argument values are never recorded, nor are the string constants a
// search inlines (store/postgres replaces them with '?'), nor the message
// of a failed statement (its SQLSTATE is: error.type and
// db.response.status_code).
//
// Work the auth service does after its answer (the throttle's report of a
// success, the audit log's entry of a login) runs with the request's
// context, so its statements are children of the request's span that end
// after it. Statements outside any span (the outbox dispatcher's polling,
// the audit janitor) are not traced unless [WithRootQuerySpans] is given.
//
// The client's IP address is personal data: the request span's
// client.address and network.peer.address are blanked.
//
// # Metrics
//
// The auth metrics (see the Metric constants) carry the provider id, the
// outcome and, for a failure, a reason from auth.Reasons: never an
// email, a token, an IP address or anything else a client sent, which
// would leak personal data into the metrics backend and let clients
// create series at will. The login duration histogram measures the
// credential check (the password hash dominates it). HTTP metrics are
// otelhttp's: http.server.request.duration and the body sizes, by method,
// route and status.
package otelclientele
