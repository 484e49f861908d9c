package servicetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// testSecret signs the suite's tokens.
var testSecret = []byte("storetest-secret-of-at-least-32-bytes!")

// cheap is a scrypt cost for tests; the default format is tested in
// package emailpass.
var cheap = emailpass.Scrypt{LogN: 4, R: 8, P: 1}

// testClock is a settable clock; zero means the real time.
type testClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.at = t
	c.mu.Unlock()
}

// testProvider is a provider written the way a host would write one: it
// logs in whoever names an entity id, creates identities on first use, and
// keeps one-time codes in the OAuth state store (a magic link).
type testProvider struct{ panics bool }

func (p *testProvider) ID() string { return "magic" }

// Authenticate with {"email"} starts a login: the result's Location is the
// link to send; with {"code"} it finishes it.
func (p *testProvider) Authenticate(ctx context.Context, in provider.Input, ids provider.Identities) (*provider.Result, error) {
	if p.panics {
		panic("provider bug")
	}
	if entity, ok := in.Body["relabel"].(string); ok {
		// Update the user metadata, only if it still says "via": expect.
		expect, _ := in.Body["expect"].(string)
		return wrap(ids.Update(ctx, entity, provider.IdentityUpdate{
			UserMetadata: map[string]any{"via": "relabelled"},
			If:           func(cur *provider.ProviderIdentity) bool { return cur.UserMetadata["via"] == expect },
		}))
	}
	if email, ok := in.Body["email"].(string); ok {
		code := "code-for-" + email
		if err := ids.SetState(ctx, code, []byte(email), time.Minute); err != nil {
			return nil, err
		}
		return &provider.Result{Location: "https://shop.example/magic?code=" + code}, nil
	}
	code, _ := in.Body["code"].(string)
	email, err := ids.TakeState(ctx, code)
	if err != nil {
		return nil, provider.Fail(p.ID(), provider.ErrUnauthorized, "Invalid or used link")
	}
	identity, err := ids.Retrieve(ctx, string(email))
	if provider.IsNotFound(err) {
		// A code for "x@y" vouches for the email when the link said so.
		verified, _ := in.Body["verified"].(bool)
		return wrap(ids.Create(ctx, provider.NewIdentity{EntityID: string(email), UserMetadata: map[string]any{"via": "magic"},
			Email: string(email), EmailVerified: verified}))
	}
	return wrap(identity, err)
}

func wrap(a *provider.AuthIdentity, err error) (*provider.Result, error) {
	if err != nil {
		return nil, err
	}
	return &provider.Result{AuthIdentity: a}, nil
}

func (e *env) newAuth(opts ...auth.Option) *auth.Service {
	e.t.Helper()
	return e.authWith(cheap, opts...)
}

// authWith is newAuth with emailpass hashing new passwords with h.
func (e *env) authWith(h emailpass.Hasher, opts ...auth.Option) *auth.Service {
	e.t.Helper()
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testSecret, Now: e.clock.now})
	e.must(err)
	base := []auth.Option{
		auth.WithProvider(emailpass.New(emailpass.WithHasher(h))),
		auth.WithProvider(&testProvider{}),
		auth.WithEventSink(e.secrets.sink(e.sink())), auth.WithClock(e.clock.now),
	}
	if e.audit != nil {
		base = append(base, auth.WithAudit(e.audit))
	}
	svc, err := auth.NewService(e.st, tokens, append(base, opts...)...)
	e.must(err)
	return svc
}

func creds(email, password string) provider.Input {
	return emailpass.Credentials(email, password).ForActor(auth.ActorCustomer)
}

func (e *env) register(email, password string) *auth.AuthIdentity {
	e.t.Helper()
	res, err := e.auth.Register(e.ctx, emailpass.ID, creds(email, password))
	e.must(err)
	// The throttle hears of the success after the answer (auth.WithThrottle).
	e.must(e.auth.Flush(e.ctx))
	return res.AuthIdentity
}

// storedPassword reads the hash the store holds for an emailpass identity.
func (e *env) storedPassword(entityID string) string {
	e.t.Helper()
	pis, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{entityID}, Providers: []string{emailpass.ID}}, store.ListOptions{})
	e.must(err)
	if len(pis) != 1 {
		e.t.Fatalf("%d provider identities for %s", len(pis), entityID)
	}
	s, _ := pis[0].ProviderMetadata["password"].(string)
	return s
}

func (e *env) wantProviderError(err error, kind error, msg string) {
	e.t.Helper()
	e.wantErr(err, kind)
	e.wantMessage(err, msg)
}

func noPassword(e *env, a *auth.AuthIdentity) {
	e.t.Helper()
	for _, p := range a.ProviderIdentities {
		if _, has := p.ProviderMetadata["password"]; has {
			e.t.Fatalf("a password hash left the service: %+v", p.ProviderMetadata)
		}
	}
}

var authTests = []test{
	{"Auth/RegisterAndLogin", func(e *env) {
		a := e.register("  Ada@Example.com ", "correct horse")
		if !strings.HasPrefix(a.ID, "authid_") || len(a.ProviderIdentities) != 1 {
			e.t.Fatalf("identity %+v", a)
		}
		pi := a.ProviderIdentities[0]
		e.same("ada@example.com", pi.EntityID)
		e.same("emailpass", pi.Provider)
		if len(pi.ID) != 26 {
			e.t.Fatalf("provider identity id %q is not a bare ULID", pi.ID)
		}
		noPassword(e, a)
		if h := e.storedPassword("ada@example.com"); !strings.HasPrefix(h, "c2NyeXB0AA") {
			e.t.Fatalf("stored hash is not in Medusa's scrypt format: %.12s…", h)
		}
		for _, login := range []string{"ada@example.com", "ADA@EXAMPLE.COM", " ada@example.com"} {
			res, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds(login, "correct horse"))
			e.must(err)
			e.same(a.ID, res.AuthIdentity.ID)
			noPassword(e, res.AuthIdentity)
		}
		_, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "wrong horse"))
		e.wantProviderError(err, auth.ErrUnauthorized, "Invalid email or password")
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("nobody@example.com", "correct horse"))
		e.wantProviderError(err, auth.ErrUnauthorized, "Invalid email or password")
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", strings.Repeat("x", 2000)))
		e.wantProviderError(err, auth.ErrUnauthorized, "Invalid email or password")
	}},
	{"Auth/BadInput", func(e *env) {
		e.register("ada@example.com", "correct horse")
		before := e.snapshot()
		cases := []struct {
			body map[string]any
			kind error
			msg  string
		}{
			{map[string]any{"email": "x@example.com"}, store.ErrInvalid, "Password should be a string"},
			{map[string]any{"email": "x@example.com", "password": ""}, store.ErrInvalid, "Password should be a string"},
			{map[string]any{"email": "x@example.com", "password": 12345678}, store.ErrInvalid, "Password should be a string"},
			{map[string]any{"password": "long enough"}, store.ErrInvalid, "Email should be a string"},
			{map[string]any{"email": []any{"x"}, "password": "long enough"}, store.ErrInvalid, "Email should be a string"},
			{map[string]any{}, store.ErrInvalid, "Password should be a string"},
			{map[string]any{"email": "not-an-email", "password": "long enough"}, store.ErrInvalid, "Invalid email"},
			{map[string]any{"email": "x@example.com", "password": "short"}, store.ErrInvalid, "Password must be at least 8 characters"},
			{map[string]any{"email": "x@example.com", "password": strings.Repeat("p", 1025)}, store.ErrInvalid, "Password must be at most 1024 bytes"},
		}
		for _, tc := range cases {
			_, err := e.auth.Register(e.ctx, emailpass.ID, provider.Input{Body: tc.body})
			e.wantProviderError(err, tc.kind, tc.msg)
			if tc.msg != "Invalid email" && !strings.HasPrefix(tc.msg, "Password must") {
				_, err = e.auth.Authenticate(e.ctx, emailpass.ID, provider.Input{Body: tc.body})
				e.wantProviderError(err, tc.kind, tc.msg)
			}
		}
		_, err := e.auth.Register(e.ctx, "nope", creds("x@example.com", "long enough"))
		e.wantErr(err, auth.ErrUnknownProvider, store.ErrInvalid)
		e.wantMessage(err, "Unable to retrieve the auth provider with id: nope")
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, provider.Input{ActorType: "robot", Body: map[string]any{}})
		e.wantErr(err, auth.ErrNotAllowed)
		_, err = e.auth.Register(e.ctx, "magic", creds("x@example.com", "long enough"))
		e.wantErr(err, auth.ErrNotSupported)
		e.wantMessage(err, "Method 'register' not implemented for provider magic")
		_, err = e.auth.ValidateCallback(e.ctx, emailpass.ID, provider.Input{})
		e.wantMessage(err, "Callback authentication not implemented for provider emailpass")
		e.unchanged(before)
	}},
	{"Auth/ActorProviders", func(e *env) {
		e.register("ada@example.com", "correct horse")
		svc := e.newAuth(auth.WithActorProviders("user", "magic"))
		_, err := svc.Authenticate(e.ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse").ForActor(auth.ActorUser))
		e.wantErr(err, auth.ErrNotAllowed)
		e.wantMessage(err, "The actor type user is not allowed to use the auth provider emailpass")
		_, err = svc.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.must(err)
		if _, err := auth.NewService(e.st, e.auth.Tokens(), auth.WithProvider(emailpass.New()), auth.WithProvider(emailpass.New())); err == nil {
			e.t.Fatal("two providers with one id were accepted")
		}
	}},
	{"Auth/RegisterExisting", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		again, err := e.auth.Register(e.ctx, emailpass.ID, creds("Ada@example.com", "correct horse"))
		e.must(err)
		e.same(a.ID, again.AuthIdentity.ID)
		_, err = e.auth.Register(e.ctx, emailpass.ID, creds("ada@example.com", "another pass"))
		e.wantProviderError(err, auth.ErrConflict, "Identity with email already exists")
		_, err = e.auth.SetActor(e.ctx, a.ID, "customer", "cus_123")
		e.must(err)
		_, err = e.auth.Register(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.wantProviderError(err, store.ErrConflict, "Identity with email already exists")
		res, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.must(err)
		e.same(map[string]any{"customer_id": "cus_123"}, res.AuthIdentity.AppMetadata)
	}},
	{"Auth/LegacyMixedCaseIdentity", func(e *env) {
		// Medusa stores emails as typed; an older row may hold "Bob@Example.com".
		t := now()
		legacy := &auth.AuthIdentity{ID: "authid_legacy", CreatedAt: t, UpdatedAt: t, ProviderIdentities: []*auth.ProviderIdentity{{
			ID: "01LEGACY0000000000000000000", EntityID: "Bob@Example.com", Provider: emailpass.ID, AuthIdentityID: "authid_legacy",
			ProviderMetadata: map[string]any{"password": mustHash(e, "bobs password")}, CreatedAt: t, UpdatedAt: t,
		}}}
		e.must(e.st.InsertAuthIdentities(e.ctx, []*auth.AuthIdentity{legacy}))
		// Through the service, emailpass ids are written lower-case.
		made, err := e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{{
			Provider: emailpass.ID, EntityID: " Carol@Example.COM", ProviderMetadata: map[string]any{"password": mustHash(e, "carols password")},
		}}})
		e.must(err)
		noPassword(e, made)
		e.same("carol@example.com", made.ProviderIdentities[0].EntityID)
		linked, err := e.auth.CreateProviderIdentity(e.ctx, made.ID, auth.NewProviderIdentity{Provider: "manual", EntityID: "Case-Kept"})
		e.must(err)
		e.same("Case-Kept", linked.EntityID)
		res, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds("bob@example.com", "bobs password"))
		e.must(err)
		e.same(legacy.ID, res.AuthIdentity.ID)
		_, err = e.auth.Register(e.ctx, emailpass.ID, creds("bob@example.com", "other password"))
		e.wantErr(err, store.ErrConflict)
	}},
	{"Auth/RehashAndMalformedHash", func(e *env) {
		argon := emailpass.Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}
		h, err := argon.Hash([]byte("argon password"))
		e.must(err)
		_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{
			{Provider: emailpass.ID, EntityID: "argon@example.com", ProviderMetadata: map[string]any{"password": h, "keep": "me"}},
		}})
		e.must(err)
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("argon@example.com", "argon password"))
		e.must(err)
		stored := e.storedPassword("argon@example.com")
		if !strings.HasPrefix(stored, "c2NyeXB0AAQ") {
			t := stored
			if len(t) > 10 {
				t = t[:10]
			}
			e.t.Fatalf("not rehashed with the configured scrypt parameters: %s…", t)
		}
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("argon@example.com", "argon password"))
		e.must(err)
		pis, err := e.auth.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{"argon@example.com"}}, store.ListOptions{})
		e.must(err)
		e.same(map[string]any{"keep": "me"}, pis[0].ProviderMetadata)

		for i, garbage := range []string{"garbage", "c2NyeXB0AA==", "$argon2id$v=19$m=99999999999,t=1,p=1$AAAA$AAAA"} {
			entity := "broken" + string(rune('a'+i)) + "@example.com"
			_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{
				{Provider: emailpass.ID, EntityID: entity, ProviderMetadata: map[string]any{"password": garbage}},
			}})
			e.must(err)
			_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds(entity, "whatever pass"))
			e.wantErr(err, auth.ErrUnauthorized, emailpass.ErrMalformedHash)
			if strings.Contains(err.Error(), garbage) {
				e.t.Fatal("the stored hash leaked into an error")
			}
		}
	}},
	{"Auth/ProviderPanicIsAnError", func(e *env) {
		svc, err := auth.NewService(e.st, e.auth.Tokens(), auth.WithProvider(&testProvider{panics: true}), auth.WithLogger(discard()))
		e.must(err)
		_, err = svc.Authenticate(e.ctx, "magic", provider.Input{})
		e.wantErr(err, auth.ErrUnauthorized)
		e.same([]auth.ProviderInfo{{ID: "magic", Identifier: "magic", DisplayName: "magic", Flow: "credentials"}}, svc.Providers())
		e.same("Email/Password Authentication", e.auth.Providers()[0].DisplayName)
	}},
	{"Auth/CustomProviderWithState", func(e *env) {
		res, err := e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"email": "grace@example.com"}})
		e.must(err)
		code := strings.TrimPrefix(res.Location, "https://shop.example/magic?code=")
		res, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": code}})
		e.must(err)
		first := res.AuthIdentity
		e.same(map[string]any{"via": "magic"}, first.ProviderIdentities[0].UserMetadata)
		_, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": code}})
		e.wantProviderError(err, auth.ErrUnauthorized, "Invalid or used link")
		// A second link logs in to the same identity.
		_, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"email": "grace@example.com"}})
		e.must(err)
		res, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": code}})
		e.must(err)
		e.same(first.ID, res.AuthIdentity.ID)
		// Expired states are gone.
		_, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"email": "late@example.com"}})
		e.must(err)
		e.clock.set(time.Now().Add(2 * time.Minute))
		_, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": "code-for-late@example.com"}})
		e.wantErr(err, auth.ErrUnauthorized)
	}},
	{"Auth/LinkExplicitly", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		code := e.magicCode("ada.l@example.org")
		e.events.Reset()
		res, err := e.auth.Link(e.ctx, a.ID, "magic", provider.Input{Body: map[string]any{"code": code}})
		e.must(err)
		e.same(a.ID, res.AuthIdentity.ID)
		e.same(provider.LinkExplicit, res.Link)
		e.same(2, len(res.AuthIdentity.ProviderIdentities))
		// Its owner hears of the new way in.
		e.wantLinkedEvent(a.ID, "magic", "explicit", res.AuthIdentity)
		// From now on that magic account logs in to Ada's identity.
		res, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": e.magicCode("ada.l@example.org")}})
		e.must(err)
		e.same(a.ID, res.AuthIdentity.ID)
		e.same(provider.LinkKind(""), res.Link)
		// Linking it again is a no-op; linking it to someone else fails.
		// Neither tells anyone of a link.
		code = e.magicCode("ada.l@example.org")
		e.events.Reset()
		_, err = e.auth.Link(e.ctx, a.ID, "magic", provider.Input{Body: map[string]any{"code": code}})
		e.must(err)
		b := e.register("bob@example.com", "bobs password")
		before := e.snapshot()
		code = e.magicCode("ada.l@example.org")
		_, err = e.auth.Link(e.ctx, b.ID, "magic", provider.Input{Body: map[string]any{"code": code}})
		e.wantErr(err, auth.ErrConflict)
		e.unchanged(before)
		e.same(0, len(linkedEvents(e.events.Events())))
		_, err = e.auth.Link(e.ctx, "authid_nope", "magic", provider.Input{})
		e.wantErr(err, auth.ErrNotFound)
	}},
	{"Auth/LinkByVerifiedEmail", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		// Off by default: same email, even verified, makes a new identity.
		res, err := e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": e.magicCode("ada@example.com"), "verified": true}})
		e.must(err)
		e.same(provider.LinkNew, res.Link)
		if res.AuthIdentity.ID == a.ID {
			e.t.Fatal("linked by email without being asked to")
		}
		e.must(e.auth.DeleteAuthIdentities(e.ctx, res.AuthIdentity.ID))

		svc := e.newAuth(auth.WithVerifiedEmailLinking("magic"))
		// Ada's identity has not been marked verified: no link.
		res, err = svc.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": e.magicCodeWith(svc, "ada@example.com"), "verified": true}})
		e.must(err)
		e.same(provider.LinkNew, res.Link)
		e.must(svc.DeleteAuthIdentities(e.ctx, res.AuthIdentity.ID))
		_, err = svc.MarkEmailVerified(e.ctx, a.ID, "ADA@example.com")
		e.must(err)
		// The provider does not vouch for the email: no link.
		res, err = svc.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": e.magicCodeWith(svc, "ada@example.com")}})
		e.must(err)
		e.same(provider.LinkNew, res.Link)
		e.must(svc.DeleteAuthIdentities(e.ctx, res.AuthIdentity.ID))
		// Both sides verified: linked, and said so.
		code := e.magicCodeWith(svc, "ada@example.com")
		e.events.Reset()
		res, err = svc.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": code, "verified": true}})
		e.must(err)
		e.same(provider.LinkVerifiedEmail, res.Link)
		e.same(a.ID, res.AuthIdentity.ID)
		e.wantLinkedEvent(a.ID, "magic", "verified_email", res.AuthIdentity)
		// Registering again with the same password is still a login while no
		// actor is linked, even though the identity carries a verified email.
		again, err := svc.Register(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.must(err)
		e.same(a.ID, again.AuthIdentity.ID)
	}},
	{"Auth/ConditionalUpdate", func(e *env) {
		_, err := e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"code": e.magicCode("cond@example.com")}})
		e.must(err)
		res, err := e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"relabel": "cond@example.com", "expect": "something else"}})
		e.must(err)
		e.same("magic", res.AuthIdentity.ProviderIdentities[0].UserMetadata["via"])
		res, err = e.auth.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"relabel": "cond@example.com", "expect": "magic"}})
		e.must(err)
		e.same("relabelled", res.AuthIdentity.ProviderIdentities[0].UserMetadata["via"])
	}},
	{"Auth/IdentityCRUD", func(e *env) {
		a, err := e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{
			AppMetadata:        map[string]any{"user_id": "user-1"},
			ProviderIdentities: []auth.NewProviderIdentity{{Provider: "manual", EntityID: "provider-test-id"}},
		})
		e.must(err)
		b, err := e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{{Provider: "manual", EntityID: "provider-test-id-1"}}})
		e.must(err)
		c, err := e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{
			AppMetadata:        map[string]any{"roles": []any{"a", "b"}, "prefs": map[string]any{"x": 1, "y": 2}},
			ProviderIdentities: []auth.NewProviderIdentity{{Provider: "store", EntityID: "provider-test-id-2"}},
		})
		e.must(err)
		list, n, err := e.auth.ListAndCountAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{})
		e.must(err)
		e.same(3, n)
		e.same([]string{a.ID, b.ID, c.ID}, []string{list[0].ID, list[1].ID, list[2].ID})
		for _, tc := range []struct {
			f    auth.IdentityFilter
			want []string
		}{
			{auth.IdentityFilter{IDs: []string{b.ID}}, []string{b.ID}},
			{auth.IdentityFilter{Providers: []string{"manual"}}, []string{a.ID, b.ID}},
			{auth.IdentityFilter{EntityIDs: []string{"provider-test-id-2"}}, []string{c.ID}},
			{auth.IdentityFilter{AppMetadata: map[string]any{"user_id": "user-1"}}, []string{a.ID}},
			{auth.IdentityFilter{AppMetadata: map[string]any{"user_id": "user-2"}}, nil},
			{auth.IdentityFilter{AppMetadata: map[string]any{"roles": []any{"b"}}}, []string{c.ID}},
			{auth.IdentityFilter{AppMetadata: map[string]any{"prefs": map[string]any{"x": 1}}}, []string{c.ID}},
			{auth.IdentityFilter{AppMetadata: map[string]any{"prefs": map[string]any{"x": 2}}}, nil},
			{auth.IdentityFilter{AppMetadata: map[string]any{"roles": []any{"b", "z"}}}, nil},
		} {
			got, err := e.auth.ListAuthIdentities(e.ctx, tc.f, store.ListOptions{})
			e.must(err)
			var ids []string
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			e.same(tc.want, ids)
		}
		_, err = e.auth.RetrieveAuthIdentity(e.ctx, "does-not-exist", store.FindOptions{})
		e.wantNotFound(err, auth.ErrNotFound, "does-not-exist")
		e.wantMessage(err, "AuthIdentity with id: does-not-exist was not found")
		_, err = e.auth.RetrieveAuthIdentity(e.ctx, "", store.FindOptions{})
		e.wantErr(err, auth.ErrInvalid)
		_, err = e.auth.UpdateAuthIdentity(e.ctx, "does-not-exist", nil)
		e.wantNotFound(err, auth.ErrNotFound, "does-not-exist")
		up, err := e.auth.UpdateAuthIdentity(e.ctx, a.ID, map[string]any{"email": "test@email.com"})
		e.must(err)
		e.same(map[string]any{"email": "test@email.com"}, up.AppMetadata)

		gh, err := e.auth.CreateProviderIdentity(e.ctx, a.ID, auth.NewProviderIdentity{Provider: "github", EntityID: "christian@medusajs.com"})
		e.must(err)
		got, err := e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.must(err)
		e.same([]string{"manual", "github"}, []string{got.ProviderIdentities[0].Provider, got.ProviderIdentities[1].Provider})
		_, err = e.auth.CreateProviderIdentity(e.ctx, b.ID, auth.NewProviderIdentity{Provider: "github", EntityID: "christian@medusajs.com"})
		e.wantErr(err, auth.ErrConflict, store.ErrConflict)
		e.wantMessage(err, "Provider identity with entity_id: christian@medusajs.com, provider: github, already exists.")
		_, err = e.auth.CreateProviderIdentity(e.ctx, "authid_nope", auth.NewProviderIdentity{Provider: "github", EntityID: "x"})
		e.wantNotFound(err, auth.ErrNotFound, "authid_nope")
		pi, err := e.auth.UpdateProviderIdentity(e.ctx, gh.ID, auth.ProviderIdentityUpdate{ProviderMetadata: map[string]any{"email": "test@email.com"}})
		e.must(err)
		e.same(map[string]any{"email": "test@email.com"}, pi.ProviderMetadata)
		_, err = e.auth.UpdateProviderIdentity(e.ctx, "does-not-exist", auth.ProviderIdentityUpdate{})
		e.wantNotFound(err, auth.ErrNotFound, "does-not-exist")
		e.must(e.auth.DeleteProviderIdentities(e.ctx, gh.ID))
		e.must(e.auth.DeleteAuthIdentities(e.ctx, b.ID))
		left, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{}, store.ListOptions{WithDeleted: true})
		e.must(err)
		e.same(2, len(left))
		_, err = e.auth.ListAuthIdentities(e.ctx, auth.IdentityFilter{}, store.ListOptions{Order: []store.Order{store.Asc("app_metadata")}})
		e.wantErr(err, auth.ErrInvalid)
	}},
	{"Auth/Tokens", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		reg, err := e.auth.Token(a, "customer", emailpass.ID)
		e.must(err)
		c, err := e.auth.Verify(e.ctx, reg)
		e.must(err)
		e.same("", c.ActorID)
		e.same(a.ID, c.AuthIdentityID)
		e.same("emailpass", c.AuthProvider)
		e.same(map[string]any{}, c.AppMetadata)
		cust, err := e.accounts.CreateCustomer(e.ctx, c.AuthIdentityID, customer.CreateParams{Email: "ada@example.com", FirstName: "Ada"})
		e.must(err)
		refreshed, err := e.auth.Refresh(e.ctx, reg)
		e.must(err)
		c, err = e.auth.Verify(e.ctx, refreshed)
		e.must(err)
		e.same(cust.ID, c.ActorID)
		e.same("customer", c.ActorType)
		e.same(map[string]any{"customer_id": cust.ID}, c.AppMetadata)
		// The same identity as an admin user: actorless until linked.
		asUser, err := e.auth.Token(a, "user", emailpass.ID)
		e.must(err)
		c, err = e.auth.Verify(e.ctx, asUser)
		e.must(err)
		e.same("", c.ActorID)
		_, err = e.auth.SetActor(e.ctx, a.ID, "user", "user_01")
		e.must(err)
		asUser, err = e.auth.Refresh(e.ctx, asUser)
		e.must(err)
		c, err = e.auth.Verify(e.ctx, asUser)
		e.must(err)
		e.same("user_01", c.ActorID)
		_, err = e.auth.Token(a, "robot", emailpass.ID)
		e.wantErr(err, auth.ErrNotAllowed)
		_, err = e.auth.Verify(e.ctx, reg+"x")
		e.wantErr(err, auth.ErrInvalidToken, auth.ErrUnauthorized)
		e.clock.set(time.Now().Add(25 * time.Hour))
		_, err = e.auth.Refresh(e.ctx, refreshed)
		e.wantErr(err, auth.ErrTokenExpired)
	}},
	{"Auth/PasswordReset", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		e.events.Reset()
		e.must(e.auth.RequestPasswordReset(e.ctx, "customer", emailpass.ID, "nobody@example.com", nil))
		e.same(0, len(e.events.Events()))
		err := e.auth.RequestPasswordReset(e.ctx, "customer", emailpass.ID, "", nil)
		e.wantErr(err, auth.ErrInvalid)
		token1 := e.requestReset("ADA@example.com")
		token2 := e.requestReset("ada@example.com")
		// The newer token replaced the older one.
		_, err = e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, token1, map[string]any{"password": "new password 1"})
		e.wantProviderError(err, auth.ErrInvalidToken, "Invalid token")
		// A reset token is not an auth token, nor the reverse.
		_, err = e.auth.Verify(e.ctx, token2)
		e.wantErr(err, auth.ErrInvalidToken)
		login, err := e.auth.Token(a, "customer", emailpass.ID)
		e.must(err)
		_, err = e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, login, map[string]any{"password": "new password 1"})
		e.wantErr(err, auth.ErrInvalidToken)
		// Wrong actor type or provider.
		_, err = e.auth.ResetPassword(e.ctx, "user", emailpass.ID, token2, map[string]any{"password": "new password 1"})
		e.wantErr(err, auth.ErrInvalidToken)
		// A password the policy refuses does not spend the token.
		_, err = e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, token2, map[string]any{"password": "short"})
		e.wantErr(err, auth.ErrInvalid)
		res, err := e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, token2, map[string]any{"password": "new password 2"})
		e.must(err)
		e.same(a.ID, res.AuthIdentity.ID)
		noPassword(e, res.AuthIdentity)
		_, err = e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, token2, map[string]any{"password": "new password 3"})
		e.wantProviderError(err, auth.ErrInvalidToken, "Invalid token")
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.wantErr(err, auth.ErrUnauthorized)
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "new password 2"))
		e.must(err)
		// Expired.
		token3 := e.requestReset("ada@example.com")
		e.clock.set(time.Now().Add(16 * time.Minute))
		_, err = e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, token3, map[string]any{"password": "new password 4"})
		e.wantErr(err, auth.ErrInvalidToken)
		_, err = e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, "garbage", nil)
		e.wantErr(err, auth.ErrInvalidToken)
	}},
	{"Auth/ChangePassword", func(e *env) {
		a := e.register("ada@example.com", "correct horse")
		_, err := e.auth.ChangePassword(e.ctx, a.ID, emailpass.ID, "wrong horse", "battery staple")
		e.wantErr(err, auth.ErrUnauthorized)
		_, err = e.auth.ChangePassword(e.ctx, a.ID, emailpass.ID, "correct horse", "short")
		e.wantErr(err, auth.ErrInvalid)
		_, err = e.auth.ChangePassword(e.ctx, "authid_nope", emailpass.ID, "correct horse", "battery staple")
		e.wantErr(err, auth.ErrNotFound)
		_, err = e.auth.ChangePassword(e.ctx, a.ID, emailpass.ID, "correct horse", "battery staple")
		e.must(err)
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "correct horse"))
		e.wantErr(err, auth.ErrUnauthorized)
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "battery staple"))
		e.must(err)
	}},
	{"Concurrency/RegisterSameEmail", func(e *env) {
		var wg sync.WaitGroup
		ids := make([]string, writers)
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				res, err := e.auth.Register(e.ctx, emailpass.ID, creds("race@example.com", "same password"))
				errs[i] = err
				if err == nil {
					ids[i] = res.AuthIdentity.ID
				}
			})
		}
		wg.Wait()
		all, err := e.auth.ListAuthIdentities(e.ctx, auth.IdentityFilter{EntityIDs: []string{"race@example.com"}}, store.ListOptions{})
		e.must(err)
		if len(all) != 1 {
			e.t.Fatalf("%d identities after concurrent registrations, want 1", len(all))
		}
		for i, err := range errs {
			if err == nil {
				e.same(all[0].ID, ids[i])
			} else if !errors.Is(err, store.ErrConflict) {
				e.t.Fatalf("unexpected error: %v", err)
			}
		}
	}},
	{"Concurrency/ResetTokenOnce", func(e *env) {
		e.register("ada@example.com", "correct horse")
		token := e.requestReset("ada@example.com")
		e.same(1, e.wins(20, func(int) error {
			_, err := e.auth.ResetPassword(e.ctx, "customer", emailpass.ID, token, map[string]any{"password": "new password"})
			return err
		}, auth.ErrInvalidToken))
	}},
}

// magicCode starts a magic-link login and returns the code of the link.
func (e *env) magicCode(email string) string { return e.magicCodeWith(e.auth, email) }

func (e *env) magicCodeWith(svc *auth.Service, email string) string {
	e.t.Helper()
	res, err := svc.Authenticate(e.ctx, "magic", provider.Input{Body: map[string]any{"email": email}})
	e.must(err)
	return strings.TrimPrefix(res.Location, "https://shop.example/magic?code=")
}

// requestReset asks for a reset and returns the token the event carried.
func (e *env) requestReset(entityID string) string {
	e.t.Helper()
	e.events.Reset()
	e.must(e.auth.RequestPasswordReset(e.ctx, "customer", emailpass.ID, entityID, map[string]any{"src": "test"}))
	e.must(e.auth.Flush(e.ctx))
	evs := e.events.Events()
	if len(evs) != 1 || evs[0].Name != auth.EventPasswordReset {
		e.t.Fatalf("events after a reset request: %v", eventNames(evs))
	}
	d := evs[0].Data
	e.same("ada@example.com", d["entity_id"])
	e.same("customer", d["actor_type"])
	e.same(map[string]any{"src": "test"}, d["metadata"])
	return d["token"].(string)
}

func mustHash(e *env, password string) string {
	h, err := cheap.Hash([]byte(password))
	e.must(err)
	return h
}

var _ = event.Event{}

// linkedEvents returns the auth.provider_linked events of evs.
func linkedEvents(evs []event.Event) []event.Event {
	var out []event.Event
	for _, ev := range evs {
		if ev.Name == auth.EventProviderLinked {
			out = append(out, ev)
		}
	}
	return out
}

// wantLinkedEvent checks that the events since the last reset hold one
// auth.provider_linked: providerID's identity of identity, linked to
// authIdentityID by kind.
func (e *env) wantLinkedEvent(authIdentityID, providerID, kind string, identity *auth.AuthIdentity) {
	e.t.Helper()
	evs := linkedEvents(e.events.Events())
	if len(evs) != 1 || evs[0].Secret {
		e.t.Fatalf("provider_linked events %+v, want one", evs)
	}
	var piID string
	for _, pi := range identity.ProviderIdentities {
		if pi.Provider == providerID {
			piID = pi.ID
		}
	}
	e.same(map[string]any{"auth_identity_id": authIdentityID, "provider": providerID, "provider_identity_id": piID, "link": kind}, evs[0].Data)
}
