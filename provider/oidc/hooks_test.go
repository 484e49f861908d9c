package oidc_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/oidc"
	"github.com/clientele/clientele/provider/oidctest"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/store/memory"
)

func TestConfigHooks(t *testing.T) {
	base := oidc.Config{Issuer: "https://idp.example", ClientID: "id", ClientSecret: "secret", CallbackURL: callbackURL}
	for _, tc := range []struct {
		name string
		mod  func(*oidc.Config)
	}{
		{"state param", func(c *oidc.Config) { c.AuthParams = map[string]string{"state": "x"} }},
		{"nonce param", func(c *oidc.Config) { c.AuthParams = map[string]string{"nonce": "x"} }},
		{"redirect_uri param", func(c *oidc.Config) { c.AuthParams = map[string]string{"redirect_uri": "https://attacker.example"} }},
		{"code_challenge_method param", func(c *oidc.Config) { c.AuthParams = map[string]string{"code_challenge_method": "plain"} }},
		{"empty param", func(c *oidc.Config) { c.AuthParams = map[string]string{"": "x"} }},
		{"template without placeholder", func(c *oidc.Config) { c.IssuerTemplate = "https://idp.example/v2.0" }},
		{"template with two", func(c *oidc.Config) { c.IssuerTemplate = "https://idp.example/{tenantid}/{tenantid}" }},
		{"template not a URL", func(c *oidc.Config) { c.IssuerTemplate = "{tenantid}/v2.0" }},
	} {
		cfg := base
		tc.mod(&cfg)
		_, err := oidc.New(cfg)
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestAuthParams: further parameters reach the authorization URL, and
// the map given to New is copied.
func TestAuthParams(t *testing.T) {
	params := map[string]string{"prompt": "select_account", "domain_hint": "contoso.example"}
	e := newEnv(t, memory.New(), setup{cfg: func(c *oidc.Config) { c.AuthParams = params }})
	params["prompt"] = "changed"
	loc, err := e.start("browser", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if q := u.Query(); q.Get("prompt") != "select_account" || q.Get("domain_hint") != "contoso.example" || q.Get("nonce") == "" {
		t.Errorf("authorization URL %s", loc)
	}
}

// TestCheckIDToken: the hook sees the verified token's claims; its error
// refuses the login, which creates nothing.
func TestCheckIDToken(t *testing.T) {
	refuse := errors.New("not this one")
	var seen []oidc.IDToken
	var answer error
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		seen, answer = nil, nil
		e := newEnv(t, st, setup{cfg: func(c *oidc.Config) {
			c.CheckIDToken = func(tok oidc.IDToken) error { seen = append(seen, tok); return answer }
		}})
		u := oidctest.DefaultUser()
		u.Claims = map[string]any{"groups": []string{"staff"}, "nonce": "cannot replace the nonce"}
		e.idp.SetUser(u)

		answer = refuse
		_, err := e.callback("browser", e.authorize("browser"))
		var pe *provider.Error
		if !errors.As(err, &pe) || !errors.Is(err, auth.ErrUnauthorized) || !errors.Is(err, refuse) ||
			pe.Message != "Could not verify OpenID Connect id_token: not this one" {
			t.Fatalf("plain error: %v", err)
		}
		answer = provider.Fail(oidc.ID, store.ErrInvalid, "Ask your administrator for access")
		_, err = e.callback("browser", e.authorize("browser"))
		if !errors.As(err, &pe) || !errors.Is(err, store.ErrInvalid) || pe.Message != "Ask your administrator for access" {
			t.Fatalf("provider error: %v", err)
		}
		if n, _ := st.CountAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{}); n != 0 {
			t.Fatalf("%d identities created by refused logins", n)
		}
		answer = nil
		res, err := e.callback("browser", e.authorize("browser"))
		if err != nil || res.AuthIdentity.Provider(oidc.ID).EntityID != u.Subject {
			t.Fatalf("allowed login: %v", err)
		}
		last := seen[len(seen)-1]
		if last.Subject != u.Subject || last.Issuer != e.idp.Issuer() || !slices.Equal(last.Audience, []string{e.idp.ClientID()}) ||
			last.StringClaim("email") != u.Email || last.StringClaim("nonce") == "cannot replace the nonce" || last.StringClaim("groups") != "" {
			t.Errorf("token %+v", last)
		}
		if g, _ := last.Claims["groups"].([]any); len(g) != 1 || g[0] != "staff" {
			t.Errorf("groups claim %v", last.Claims["groups"])
		}
	})
}

// entra is a fake Microsoft Entra ID "organizations" endpoint and a
// provider configured for it, as Example_microsoftEntraID shows.
type entra struct {
	*env
}

const (
	contoso  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	fabrikam = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

func newEntra(t *testing.T, st auth.Store, template string, allowed ...string) *entra {
	t.Helper()
	e := newEnv(t, st, setup{})
	idp := oidctest.NewServer(t, oidctest.WithDiscoveredIssuer("/{tenantid}/v2.0"))
	e.idp = idp
	if template == "" {
		template = idp.URL + "/{tenantid}/v2.0"
	}
	p, err := oidc.New(oidc.Config{
		Issuer: idp.URL, IssuerTemplate: template,
		ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(), CallbackURL: callbackURL,
		CheckIDToken: func(tok oidc.IDToken) error {
			if !slices.Contains(allowed, tok.StringClaim("tid")) {
				return errors.New("tenant not allowed")
			}
			return nil
		},
	}, oidc.WithHTTPClient(idp.Client()))
	if err != nil {
		t.Fatal(err)
	}
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("oidc-test-secret-of-at-least-32-bytes")})
	if e.svc, err = auth.NewService(st, tokens, auth.WithProvider(p)); err != nil {
		t.Fatal(err)
	}
	return &entra{e}
}

// entraUser is a user of tenant tid whose tokens name issuer iss ("" for
// the tenant's own).
func (e *entra) entraUser(tid, iss string, claims map[string]any) oidctest.User {
	if iss == "" {
		iss = e.idp.URL + "/" + tid + "/v2.0"
	}
	c := map[string]any{"tid": tid, "oid": "00000000-0000-0000-66f3-3332eca7ea81", "preferred_username": "megan@contoso.example"}
	for k, v := range claims {
		c[k] = v
	}
	return oidctest.User{Subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", Name: "Megan Bowen", Issuer: iss, Claims: c}
}

// TestEntraMultiTenant: with the issuer template, a token is accepted
// only when its iss is its own tenant's and its tenant is allowed.
func TestEntraMultiTenant(t *testing.T) {
	pgtest.EachAuthStore(t, func(t *testing.T, st auth.Store) {
		e := newEntra(t, st, "", contoso)
		for _, tc := range []struct {
			name string
			user oidctest.User
			msg  string // "" for a login that works
		}{
			{"another tenant's issuer", e.entraUser(contoso, e.idp.URL+"/"+fabrikam+"/v2.0", nil), "the issuer is not the token's tenant's"},
			{"the template itself", e.entraUser(contoso, e.idp.URL+"/{tenantid}/v2.0", nil), "the issuer is not the token's tenant's"},
			{"no tid", e.entraUser("", e.idp.URL+"//v2.0", map[string]any{"tid": nil}), "the issuer is not the token's tenant's"},
			{"tid not a string", e.entraUser(contoso, "", map[string]any{"tid": 42}), "the issuer is not the token's tenant's"},
			{"tid with a path", e.entraUser("x/../"+contoso, "", nil), "the issuer is not the token's tenant's"},
			{"tenant not allowed", e.entraUser(fabrikam, "", nil), "tenant not allowed"},
			{"allowed tenant", e.entraUser(contoso, "", nil), ""},
		} {
			e.idp.SetUser(tc.user)
			res, err := e.callback("browser", e.authorize("browser"))
			if tc.msg == "" {
				if err != nil || res.AuthIdentity.Provider(oidc.ID).UserMetadata["name"] != "Megan Bowen" {
					t.Errorf("%s: %v", tc.name, err)
				}
				continue
			}
			if !errors.Is(err, auth.ErrUnauthorized) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.msg)
			}
			if n, _ := st.CountAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{}); n != 0 {
				t.Fatalf("%s: %d identities", tc.name, n)
			}
		}
	})
}

// TestEntraDiscovery: a multi-tenant document and a provider configured
// otherwise do not meet: without the template the document's issuer is
// not the configured one, and a template must be the document's.
func TestEntraDiscovery(t *testing.T) {
	idp := oidctest.NewServer(t, oidctest.WithDiscoveredIssuer("/{tenantid}/v2.0"))
	for name, template := range map[string]string{
		"no template (single-tenant setup on a multi-tenant endpoint)": "",
		"another template": idp.URL + "/tenants/{tenantid}",
	} {
		p, err := oidc.New(oidc.Config{Issuer: idp.URL, IssuerTemplate: template, ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(), CallbackURL: callbackURL},
			oidc.WithHTTPClient(idp.Client()))
		if err != nil {
			t.Fatal(err)
		}
		err = p.Discover(t.Context())
		if !errors.Is(err, provider.ErrUnauthorized) || !strings.Contains(err.Error(), "Could not discover") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A template on a provider whose document names itself fails too.
	plain := oidctest.NewServer(t)
	p, _ := oidc.New(oidc.Config{Issuer: plain.URL, IssuerTemplate: plain.URL + "/{tenantid}/v2.0", ClientID: plain.ClientID(), ClientSecret: plain.ClientSecret(), CallbackURL: callbackURL},
		oidc.WithHTTPClient(plain.Client()))
	if err := p.Discover(t.Context()); err == nil {
		t.Error("a template that the document does not name was accepted")
	}
}
