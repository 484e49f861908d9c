package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

func TestReadYourWritesMiddleware(t *testing.T) {
	var seen []bool
	h := httpapi.ReadYourWrites(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before := store.Written(r.Context())
		store.MarkWritten(r.Context()) // what a store does on a write
		seen = append(seen, before, store.Written(r.Context()))
	}))
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}
	// Each request starts unwritten and remembers its own write.
	want := []bool{false, true, false, true}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("Written across two requests = %v, want %v", seen, want)
		}
	}
}

// markerSessions is a session store that records whether the contexts it
// is called with carry a read-your-writes marker.
type markerSessions struct {
	session.Store
	marked, calls atomic.Int32
}

func (m *markerSessions) GetSession(ctx context.Context, idHash string, now time.Time) (*session.Session, error) {
	m.calls.Add(1)
	store.MarkWritten(ctx)
	if store.Written(ctx) {
		m.marked.Add(1)
	}
	return m.Store.GetSession(ctx, idHash, now)
}

func TestHandlerMarksRequests(t *testing.T) {
	sessions := &markerSessions{}
	e := newEnv(t, func(c *httpapi.Config) { sessions.Store = c.Sessions; c.Sessions = sessions })
	req := httptest.NewRequest(http.MethodGet, "/store/customers/me", nil)
	req.AddCookie(&http.Cookie{Name: "connect.sid", Value: "no-such-session"})
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", rec.Code)
	}
	if sessions.calls.Load() == 0 {
		t.Fatal("the session store was not asked")
	}
	if sessions.marked.Load() != sessions.calls.Load() {
		t.Error("API.Handler ran a request without a read-your-writes marker")
	}
}

// The route a ServeMux behind the middleware matched reaches the request
// the middlewares around it hold, as it would without the middleware.
func TestReadYourWritesKeepsThePattern(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	h := httpapi.ReadYourWrites(mux)
	// An outer mux that sends every path here, as examples/server's does.
	outer := http.NewServeMux()
	outer.Handle("/", h)
	for _, ctx := range []context.Context{context.Background(), store.ReadYourWrites(context.Background())} {
		for _, via := range []http.Handler{h, outer} {
			r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/items/7", nil)
			via.ServeHTTP(httptest.NewRecorder(), r)
			if r.Pattern != "GET /items/{id}" {
				t.Errorf("Pattern after the middleware = %q, want the inner mux's", r.Pattern)
			}
		}
	}
}
