// Command shop is a small shop backend on net/http that embeds clientele
// as a library, with routes of its own: sign-up and login, the customer's
// profile and address book, and a page that only customers in the group
// "VIP" may open (they join with an invite code).
//
//	go run ./examples/shop
//	curl -s -XPOST localhost:8080/signup -d '{"email":"ada@example.com","password":"supersecret","first_name":"Ada"}'
//	curl -s localhost:8080/me -H "authorization: Bearer $TOKEN"
//	curl -s -XPOST localhost:8080/vip/join -H "authorization: Bearer $TOKEN" -d '{"code":"gold"}'
//	curl -s localhost:8080/vip -H "authorization: Bearer $TOKEN"
//
// Everything lives in memory; the clientele services are built in
// services.go, and this file is the shop's own code.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"

	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

func main() {
	s, err := newServices(os.Getenv("JWT_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", s.routes()))
}

// routes are the shop's own routes, gated by clientele.
func (s *services) routes() http.Handler {
	mux := http.NewServeMux()
	member := s.guard.Authenticate(auth.ActorCustomer)
	vip := s.guard.RequireGroups(group.Match{Names: []string{"VIP"}})
	mux.HandleFunc("POST /signup", s.handle(func(r *http.Request) (any, error) {
		var in struct {
			Email, Password string
			FirstName       string `json:"first_name"`
		}
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		return s.accounts.SignUp(r.Context(), emailpass.ID, emailpass.Credentials(in.Email, in.Password), customer.CreateParams{FirstName: in.FirstName})
	}))
	mux.HandleFunc("POST /login", s.handle(func(r *http.Request) (any, error) {
		var in struct{ Email, Password string }
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		return s.auth.Login(r.Context(), auth.ActorCustomer, emailpass.ID, emailpass.Credentials(in.Email, in.Password))
	}))
	mux.Handle("GET /me", member(s.handle(func(r *http.Request) (any, error) {
		return s.customers.Retrieve(r.Context(), me(r), store.FindOptions{Relations: []string{customer.RelAddresses}})
	})))
	mux.Handle("POST /me/addresses", member(s.handle(func(r *http.Request) (any, error) {
		var in address.CreateParams
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		in.CustomerID = me(r)
		return s.addresses.Create(r.Context(), in)
	})))
	mux.Handle("POST /vip/join", member(s.handle(func(r *http.Request) (any, error) {
		var in struct{ Code string }
		if err := decode(r, &in); err != nil || in.Code != s.inviteCode {
			return nil, store.Invalid("code", "is not a valid invite code")
		}
		g, _, err := s.groups.GetOrCreate(r.Context(), "VIP")
		if err != nil {
			return nil, err
		}
		_, err = s.groups.Add(r.Context(), group.Pair{CustomerID: me(r), GroupID: g.ID})
		return map[string]string{"group": g.Name}, err
	})))
	mux.Handle("GET /vip", vip(s.handle(func(r *http.Request) (any, error) {
		return map[string]string{"offer": "20% off everything, this week only"}, nil
	})))
	return mux
}

// handle turns f into a handler that answers f's value as JSON, or its
// error as clientele's routes do.
func (s *services) handle(f func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			s.guard.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
}

func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(v); err != nil {
		return store.Invalid("body", "is not valid JSON")
	}
	return nil
}

func me(r *http.Request) string { id, _ := httpapi.CustomerID(r.Context()); return id }
