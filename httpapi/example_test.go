package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

// exampleAuth returns an auth service and a token for customer cus_1.
func exampleAuth() (*auth.Service, string) {
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-0123456789abcdef!")})
	if err != nil {
		panic(err)
	}
	svc, err := auth.NewService(memory.New(), tokens)
	if err != nil {
		panic(err)
	}
	tok, err := tokens.Issue(auth.Claims{ActorType: "customer", ActorID: "cus_1", AuthIdentityID: "authid_1"})
	if err != nil {
		panic(err)
	}
	return svc, tok
}

// get sends GET path to h with an optional bearer token and prints the
// answer.
func get(h http.Handler, path, token string) {
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
}

// A shop's own route, for logged-in customers only, on a plain ServeMux.
func ExampleGuard_Authenticate() {
	authSvc, token := exampleAuth()
	guard, err := httpapi.NewGuard(httpapi.GuardConfig{Auth: authSvc})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /shop/orders", guard.Authenticate("customer")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := httpapi.CustomerID(r.Context())
		fmt.Fprintf(w, "orders of %s\n", id)
	})))

	get(mux, "/shop/orders", token)
	get(mux, "/shop/orders", "")
	// Output:
	// 200 orders of cus_1
	// 401 {"message":"Unauthorized"}
}

// vipList is a membership checker for the example; a host passes its
// *group.Service.
type vipList map[string][]string

func (v vipList) IsMember(_ context.Context, customerID string, m group.Match) (bool, error) {
	for _, name := range v[customerID] {
		if slices.Contains(m.Names, name) {
			return true, nil
		}
	}
	return false, nil
}

// A route for the members of the "VIP" or "Wholesale" customer groups.
func ExampleGuard_RequireGroups() {
	authSvc, token := exampleAuth()
	guard, err := httpapi.NewGuard(httpapi.GuardConfig{
		Auth:   authSvc,
		Groups: vipList{"cus_1": {"VIP"}},
	})
	if err != nil {
		panic(err)
	}
	deals := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "deals") })
	mux := http.NewServeMux()
	mux.Handle("GET /shop/deals", guard.RequireGroups(group.Match{Names: []string{"VIP", "Wholesale"}})(deals))
	mux.Handle("GET /shop/trade", guard.RequireGroups(group.Match{Names: []string{"Wholesale"}})(deals))

	get(mux, "/shop/deals", token)
	get(mux, "/shop/trade", token)
	get(mux, "/shop/deals", "")
	// Output:
	// 200 deals
	// 403 {"message":"Forbidden","type":"forbidden"}
	// 401 {"message":"Unauthorized"}
}

// ClaimsFrom gives a handler behind a gate the verified claims.
func ExampleClaimsFrom() {
	authSvc, token := exampleAuth()
	guard, err := httpapi.NewGuard(httpapi.GuardConfig{Auth: authSvc})
	if err != nil {
		panic(err)
	}
	h := guard.Authenticate("*")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := httpapi.ClaimsFrom(r.Context())
		fmt.Fprintln(w, c.ActorType, c.ActorID, c.AuthIdentityID)
	}))
	get(h, "/", token)
	// Output:
	// 200 customer cus_1 authid_1
}

// A host's handler writes clientele errors, and its own, as the built-in
// routes do: the public message, or a generic one (the detail is logged).
func ExampleWriteError() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("case") {
		case "missing":
			httpapi.WriteError(w, r, &store.NotFoundError{Entity: "Product", IDs: []string{"prod_1"}})
		case "invalid":
			httpapi.WriteError(w, r, &store.ValidationError{Field: "quantity", Reason: "negative", Message: "Quantity must be positive"})
		case "closed":
			httpapi.WriteError(w, r, store.Sentinel("This cart is already completed", store.ErrInvalid))
		}
	})
	get(h, "/?case=missing", "")
	get(h, "/?case=invalid", "")
	get(h, "/?case=closed", "")
	// Output:
	// 404 {"message":"Product with id: prod_1 was not found","type":"not_found"}
	// 400 {"message":"Quantity must be positive","type":"invalid_data"}
	// 400 {"message":"This cart is already completed","type":"invalid_data"}
}
