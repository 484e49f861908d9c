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
// marker keeps it.
func ReadYourWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(store.ReadYourWrites(r.Context())))
	})
}
