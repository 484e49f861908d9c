package otelclientele

import (
	"net/http"
	"strings"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// NewHandler traces and measures the requests h serves with otelhttp: a
// server span per request, named after the route pattern the request
// matched ("POST /auth/{actor_type}/{provider}", never the raw path with
// its ids), with http.route set ("/auth/{actor_type}/{provider}"), and the http.server.request.duration
// histogram (and body sizes) by method, route and status. The span is the
// parent of the spans of the request's statements ([QueryHook]).
//
// The client's IP address is personal data: the span's client.address and
// network.peer.address, which otelhttp sets, are blanked (the audit log
// keeps addresses, truncated as configured). The query string is not
// recorded; url.path is, with the ids it holds.
//
// h is httpapi.API.Handler(), or a host's own mux that mounts it: the
// route is known once a net/http ServeMux has matched the request with
// the same *http.Request it was given, as httpapi's middlewares and
// ServeMux do. A request no pattern matched is named after its method.
func NewHandler(h http.Handler, opts ...Option) http.Handler {
	c := newConfig(opts)
	return otelhttp.NewHandler(routed(h), "clientele",
		otelhttp.WithTracerProvider(c.tp), otelhttp.WithMeterProvider(c.mp))
}

// routed blanks the client's address on the request's span, and sets
// http.route on it once h has served the request: the pattern a ServeMux
// matched, without its method. (otelhttp names the span after it, and
// puts it on the metrics, but not on the span.)
func routed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trace.SpanFromContext(r.Context()).SetAttributes(semconv.ClientAddress(""), semconv.NetworkPeerAddress(""))
		h.ServeHTTP(w, r)
		if r.Pattern == "" {
			return
		}
		route := r.Pattern
		if i := strings.IndexAny(route, " \t"); i >= 0 {
			route = strings.TrimLeft(route[i:], " \t")
		}
		trace.SpanFromContext(r.Context()).SetAttributes(semconv.HTTPRoute(route))
	})
}
