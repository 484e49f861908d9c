package auth_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// redirector is a redirect provider with a display name.
type redirector struct{ id string }

func (p redirector) ID() string          { return p.id }
func (p redirector) DisplayName() string { return "Sign in with " + p.id }
func (p redirector) Authenticate(context.Context, provider.Input, provider.Identities) (*provider.Result, error) {
	return &provider.Result{Location: "https://idp.example/" + p.id}, nil
}
func (p redirector) ValidateCallback(context.Context, provider.Input, provider.Identities) (*provider.Result, error) {
	return nil, provider.Fail(p.id, provider.ErrUnauthorized, "no")
}

func providersService(t *testing.T, opts ...auth.Option) *auth.Service {
	t.Helper()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("test-secret-0123456789abcdefghijkl")})
	if err != nil {
		t.Fatal(err)
	}
	base := []auth.Option{auth.WithProvider(emailpass.New()), auth.WithProvider(redirector{"okta"}), auth.WithProvider(redirector{"google"})}
	svc, err := auth.NewService(memory.New(), tokens, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestProvidersFor(t *testing.T) {
	emailpassInfo := auth.ProviderInfo{ID: "emailpass", Identifier: "emailpass", DisplayName: "Email/Password Authentication", Flow: "credentials"}
	okta := auth.ProviderInfo{ID: "okta", Identifier: "okta", DisplayName: "Sign in with okta", Flow: "redirect"}
	google := auth.ProviderInfo{ID: "google", Identifier: "google", DisplayName: "Sign in with google", Flow: "redirect"}
	all := []auth.ProviderInfo{emailpassInfo, okta, google}
	for _, tc := range []struct {
		name  string
		opts  []auth.Option
		actor string
		want  []auth.ProviderInfo
	}{
		{"no restriction", nil, "user", all},
		{"another actor type restricted", []auth.Option{auth.WithActorProviders("customer", "emailpass")}, "user", all},
		{"restricted", []auth.Option{auth.WithActorProviders("user", "okta")}, "user", []auth.ProviderInfo{okta}},
		// The order is the order of configuration, not of the entry; ids
		// of providers that are not configured are left out.
		{"order and unknown ids", []auth.Option{auth.WithActorProviders("user", "google", "saml", "emailpass")}, "user", []auth.ProviderInfo{emailpassInfo, google}},
		{"none allowed", []auth.Option{auth.WithActorProviders("user")}, "user", []auth.ProviderInfo{}},
		{"Medusa's shape", []auth.Option{auth.WithAuthMethodsPerActor(map[string][]string{"user": {"okta"}, "customer": {"emailpass", "google"}})}, "customer", []auth.ProviderInfo{emailpassInfo, google}},
		{"a later option wins", []auth.Option{auth.WithAuthMethodsPerActor(map[string][]string{"user": {"okta"}}), auth.WithActorProviders("user", "google")}, "user", []auth.ProviderInfo{google}},
		{"custom actor type", []auth.Option{auth.WithActorTypes("seller", "user"), auth.WithActorProviders("seller", "okta")}, "seller", []auth.ProviderInfo{okta}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := providersService(t, tc.opts...).ProvidersFor(tc.actor)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("providers (-want +got):\n%s", diff)
			}
		})
	}
	// Listing never changes what the service holds.
	svc := providersService(t, auth.WithActorProviders("user", "okta"))
	if _, err := svc.ProvidersFor("user"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all, svc.Providers()); diff != "" {
		t.Fatalf("Providers changed (-want +got):\n%s", diff)
	}
	// ProviderFlow answers each provider's flow as Providers lists it.
	for _, p := range all {
		if got := svc.ProviderFlow(p.ID); got != p.Flow {
			t.Errorf("ProviderFlow(%s) = %q, want %q", p.ID, got, p.Flow)
		}
	}
	if got := svc.ProviderFlow("nosuch"); got != "" {
		t.Errorf("ProviderFlow of an unknown provider = %q, want \"\"", got)
	}

	_, err := svc.ProvidersFor("robot")
	if !errors.Is(err, auth.ErrNotAllowed) || err.Error() != "Unknown actor type robot" {
		t.Fatalf("unknown actor type: %v", err)
	}
	if _, err := auth.NewService(memory.New(), svc.Tokens(), auth.WithAuthMethodsPerActor(map[string][]string{"": {"okta"}})); err == nil {
		t.Fatal("an empty actor type was accepted")
	}
}

// An actor type lists the providers it may use, as GET
// /auth/{actor_type}/providers does.
func ExampleService_ProvidersFor() {
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-0123456789abcdefghij")})
	svc, _ := auth.NewService(memory.New(), tokens,
		auth.WithProvider(emailpass.New()),
		auth.WithProvider(redirector{"okta"}),
		// Medusa's http.authMethodsPerActor: staff sign in with okta only.
		auth.WithAuthMethodsPerActor(map[string][]string{"user": {"okta"}}))
	for _, actor := range []string{"user", "customer"} {
		list, _ := svc.ProvidersFor(actor)
		fmt.Println(actor, list)
	}
	// Output:
	// user [{okta okta Sign in with okta redirect}]
	// customer [{emailpass emailpass Email/Password Authentication credentials} {okta okta Sign in with okta redirect}]
}
