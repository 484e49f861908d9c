package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clientele/clientele/auth"
)

// TestProvidersPerActor: GET /auth/{actor_type}/providers lists the
// providers the actor type may use (Medusa's http.authMethodsPerActor),
// all of them by default.
func TestProvidersPerActor(t *testing.T) {
	_, p := fakeOIDC(t)
	emailpass := `{"id":"emailpass","identifier":"emailpass","display_name":"Email/Password Authentication","flow":"credentials"}`
	oidcInfo := `{"id":"oidc","identifier":"oidc","display_name":"OpenID Connect Authentication","flow":"redirect"}`
	for _, tc := range []struct {
		name     string
		perActor map[string][]string
		actor    string
		want     string // the providers array
	}{
		{"default: every provider", nil, "customer", "[" + emailpass + "," + oidcInfo + "]"},
		{"default for the other actor type", map[string][]string{"customer": {"oidc"}}, "user", "[" + emailpass + "," + oidcInfo + "]"},
		{"restricted", map[string][]string{"customer": {"oidc"}}, "customer", "[" + oidcInfo + "]"},
		{"restricted to one not configured", map[string][]string{"user": {"okta"}}, "user", "[]"},
		{"restricted to none", map[string][]string{"user": {}}, "user", "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, []auth.Option{auth.WithProvider(p), auth.WithAuthMethodsPerActor(tc.perActor)})
			r := e.do("GET", "/auth/"+tc.actor+"/providers", "", "")
			r.want(t, 200, "", "")
			var got, want struct{ Providers []map[string]string }
			if err := json.Unmarshal([]byte(r.raw), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(`{"providers":`+tc.want+`}`), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" || got.Providers == nil {
				t.Fatalf("providers (-want +got):\n%s\n%s", diff, r.raw)
			}
			// What the list offers is what a login accepts.
			for _, pr := range []string{"emailpass", "oidc"} {
				listed := false
				for _, g := range got.Providers {
					listed = listed || g["id"] == pr
				}
				login := e.do("POST", "/auth/"+tc.actor+"/"+pr, `{}`, "")
				if refused := login.status == 400 && login.body["type"] == "not_allowed"; refused == listed {
					t.Fatalf("%s listed %v, login answered %d %s", pr, listed, login.status, login.raw)
				}
			}
		})
	}

	e := newEnvWith(t, []auth.Option{auth.WithProvider(p)})
	e.do("GET", "/auth/robot/providers", "", "").want(t, 400, "not_allowed", "Unknown actor type robot")
	e.do("POST", "/auth/customer/providers", "", "").want(t, 401, "unauthorized", "Unable to retrieve the auth provider with id: providers")
}
