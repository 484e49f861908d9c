package main

import (
	"crypto/rand"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/httpapi"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// services are the clientele services of the shop, on one store.
type services struct {
	auth       *auth.Service
	accounts   *account.Service
	customers  *customer.Service
	addresses  *address.Service
	groups     *group.Service
	guard      *httpapi.Guard
	inviteCode string
}

// newServices builds the services on the in-memory store (postgres.Open
// gives a store that fits the same calls). An empty secret gets a random
// one: tokens then die with the process.
func newServices(secret string, opts ...emailpass.Option) (*services, error) {
	if secret == "" {
		secret = rand.Text()
	}
	st := memory.New()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(secret)})
	if err != nil {
		return nil, err
	}
	s := &services{inviteCode: "gold"}
	if s.auth, err = auth.NewService(st, tokens, auth.WithProvider(emailpass.New(opts...))); err != nil {
		return nil, err
	}
	if s.addresses, err = address.NewService(st); err != nil {
		return nil, err
	}
	if s.customers, err = customer.NewService(st, s.addresses); err != nil {
		return nil, err
	}
	if s.groups, err = group.NewService(st); err != nil {
		return nil, err
	}
	if s.accounts, err = account.NewService(st, s.auth, s.customers, account.WithSessions(st)); err != nil {
		return nil, err
	}
	s.guard, err = httpapi.NewGuard(httpapi.GuardConfig{Auth: s.auth, Sessions: st, Groups: s.groups})
	return s, err
}
