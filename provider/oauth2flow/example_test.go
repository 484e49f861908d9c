package oauth2flow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"golang.org/x/oauth2"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oauth2flow"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store/memory"
)

// Acme is a host's own OAuth 2.0 provider, for an identity provider with
// a user API (here oidctest's GitHub look-alike).
type Acme struct {
	flow   oauth2flow.Flow
	oauth  oauth2.Config
	api    string
	client *http.Client
}

func (p *Acme) ID() string { return "acme" }

func (p *Acme) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	loc, err := p.flow.Begin(ctx, in, ids, p.oauth, false)
	if err != nil {
		return nil, err
	}
	return &provider.Result{Location: loc}, nil
}

func (p *Acme) ValidateCallback(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	cb, err := p.flow.Finish(ctx, in, ids)
	if err != nil {
		return nil, err
	}
	tok, err := p.flow.Exchange(ctx, cb, p.oauth, p.client)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.api+"/user", nil)
	if err != nil {
		return nil, err
	}
	tok.SetAuthHeader(req)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var u struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || resp.StatusCode != http.StatusOK || u.ID == 0 {
		return nil, provider.Fail(p.ID(), provider.ErrUnauthorized, "Could not read the Acme user")
	}
	return oauth2flow.Login(ctx, p.ID(), ids, provider.NewIdentity{
		EntityID:     strconv.FormatInt(u.ID, 10),
		UserMetadata: map[string]any{"login": u.Login},
	})
}

func Example() {
	ctx := context.Background()
	idp, err := oidctest.Start()
	if err != nil {
		panic(err)
	}
	defer idp.Close()

	acme := &Acme{
		flow: oauth2flow.Flow{ProviderID: "acme", CallbackURL: "https://shop.example/auth/customer/acme/callback"},
		oauth: oauth2.Config{
			ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(), Scopes: []string{"read:user"},
			Endpoint: oauth2.Endpoint{
				AuthURL:   idp.URL + "/login/oauth/authorize",
				TokenURL:  idp.URL + "/login/oauth/access_token",
				AuthStyle: oauth2.AuthStyleInHeader,
			},
		},
		api:    idp.URL,
		client: idp.Client(),
	}
	if err := acme.flow.Check(); err != nil {
		panic(err)
	}
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-example-secret-32b")})
	svc, err := auth.NewService(memory.New(), tokens, auth.WithProvider(acme))
	if err != nil {
		panic(err)
	}

	const browser = "cookie-value-of-this-browser"
	res, err := svc.Authenticate(ctx, "acme", provider.Input{ActorType: "customer", Binding: browser})
	if err != nil {
		panic(err)
	}
	query, err := idp.Login(ctx, res.Location) // plays the browser at the identity provider
	if err != nil {
		panic(err)
	}

	// The callback in another browser fails, and spends the state.
	_, err = svc.ValidateCallback(ctx, "acme", provider.Input{ActorType: "customer", Binding: "another browser", Query: query})
	fmt.Println(err)

	res, _ = svc.Authenticate(ctx, "acme", provider.Input{ActorType: "customer", Binding: browser})
	query, _ = idp.Login(ctx, res.Location)
	res, err = svc.ValidateCallback(ctx, "acme", provider.Input{ActorType: "customer", Binding: browser, Query: query})
	if err != nil {
		panic(err)
	}
	pi := res.AuthIdentity.Provider("acme")
	fmt.Println(pi.EntityID, pi.UserMetadata["login"])
	// Output:
	// This login was started in another browser
	// 583231 ada
}
