package httpapi

import (
	"net/http"

	"github.com/clientele/clientele/store"
)

// ReadYourWrites is middleware that gives each request a read-your-writes
// marker (store.ReadYourWrites): once the request has written through a
// store that reads from a replica (store/postgres with a replica), its
// later reads go to the primary, so it never answers with data older than
// its own change. [API.Handler] installs it; a host mounts it in front of
// its own routes that use the stores. A request that already carries a
// marker keeps it. The pattern that a ServeMux behind it matched is copied
// back to the request it was given (over the pattern of an outer mux that
// sent the request here), so that the middlewares around it (tracing,
// logging) see the route, as they would without it.
func ReadYourWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := store.ReadYourWrites(r.Context())
		if ctx == r.Context() {
			next.ServeHTTP(w, r)
			return
		}
		marked := r.WithContext(ctx)
		next.ServeHTTP(w, marked)
		if marked.Pattern != "" {
			r.Pattern = marked.Pattern
		}
	})
}
