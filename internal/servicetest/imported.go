package servicetest

import (
	"strings"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// importedHashTests: password hashes imported from other systems (bcrypt,
// Django's pbkdf2_sha256 and argon2, argon2i) log their users in, and the
// first successful login replaces them, in the store, with a hash of the
// configured hasher; a hash over the provider's limits fails the login as
// a wrong password and stays as it was.
var importedHashTests = []test{
	{"Auth/ImportedHashUpgrade", func(e *env) {
		type imported struct{ name, hash, password string }
		hashes := []imported{
			// Published vectors (see provider/emailpass/testdata).
			{"bcrypt 2b", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", "Kk4DQuMMfZL9o"},
			{"argon2i", "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8", "password"},
			{"argon2id", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", "password"},
			{"Django argon2i", "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", "secret"},
		}
		for _, h := range []struct {
			name string
			h    emailpass.Hasher
		}{{"bcrypt", emailpass.Bcrypt{Cost: 4}}, {"Django pbkdf2_sha256", emailpass.PBKDF2SHA256{Iterations: 1000}}} {
			enc, err := h.h.Hash([]byte("imported password"))
			e.must(err)
			hashes = append(hashes, imported{h.name, enc, "imported password"})
		}
		for i, im := range hashes {
			entity := "imported" + string(rune('a'+i)) + "@example.com"
			e.must(emailpass.New().CheckImportedHash(im.hash))
			_, err := e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{
				{Provider: emailpass.ID, EntityID: entity, ProviderMetadata: map[string]any{"password": im.hash, "keep": "me"}},
			}})
			e.must(err)
			// A wrong password leaves the imported hash.
			_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds(entity, im.password+"x"))
			e.wantErr(err, auth.ErrUnauthorized)
			if e.storedPassword(entity) != im.hash {
				e.t.Fatalf("%s: a failed login changed the stored hash", im.name)
			}
			// The right one logs in and stores the configured format.
			res, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds(entity, im.password))
			e.must(err)
			stored := e.storedPassword(entity)
			if stored == im.hash || cheap.NeedsRehash(stored) {
				e.t.Fatalf("%s: not rehashed with the configured scrypt parameters", im.name)
			}
			if strings.Contains(stored, im.hash) {
				e.t.Fatalf("%s: the imported hash is still stored", im.name)
			}
			// Hashes never leave the service; the other metadata stays.
			noPassword(e, res.AuthIdentity)
			pis, err := e.auth.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{entity}}, store.ListOptions{})
			e.must(err)
			e.same(map[string]any{"keep": "me"}, pis[0].ProviderMetadata)
			// The next login verifies the new hash and writes nothing.
			_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds(entity, im.password))
			e.must(err)
			e.same(stored, e.storedPassword(entity))
			_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds(entity, im.password+"x"))
			e.wantErr(err, auth.ErrUnauthorized)
		}
	}},
	{"Auth/ImportedHashOverLimit", func(e *env) {
		svc, err := auth.NewService(e.st, e.auth.Tokens(), auth.WithClock(e.clock.now), auth.WithProvider(emailpass.New(
			emailpass.WithHasher(cheap), emailpass.WithLimits(emailpass.Limits{BcryptCost: 4}), emailpass.WithLogger(discard()))))
		e.must(err)
		costly, err := emailpass.Bcrypt{Cost: 5}.Hash([]byte("imported password"))
		e.must(err)
		_, err = svc.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{
			{Provider: emailpass.ID, EntityID: "costly@example.com", ProviderMetadata: map[string]any{"password": costly}},
		}})
		e.must(err)
		_, err = svc.Authenticate(e.ctx, emailpass.ID, creds("costly@example.com", "imported password"))
		e.wantErr(err, auth.ErrUnauthorized, emailpass.ErrHashOverLimit)
		e.wantMessage(err, "Invalid email or password")
		if strings.Contains(err.Error(), costly) {
			e.t.Fatal("the stored hash leaked into an error")
		}
		e.same(costly, e.storedPassword("costly@example.com"))
		// The default limits take it.
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("costly@example.com", "imported password"))
		e.must(err)
	}},
	{"Auth/ImportedRehashDoesNotUndoAChange", func(e *env) {
		// A login with an imported bcrypt hash verifies it, then hashes
		// the password with the configured hasher; a change of password
		// commits meanwhile: the upgrade must not put the old password
		// back (it is the conditional write of every rehash).
		old, err := emailpass.Bcrypt{Cost: 4}.Hash([]byte("old password"))
		e.must(err)
		_, err = e.auth.CreateAuthIdentity(e.ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{
			{Provider: emailpass.ID, EntityID: "ada@example.com", ProviderMetadata: map[string]any{"password": old}},
		}})
		e.must(err)
		g, done := e.gatedLogin(cheap, "ada@example.com", "old password")
		_, err = e.auth.UpdateProvider(e.ctx, emailpass.ID, map[string]any{"entity_id": "ada@example.com", "password": "new password"})
		e.must(err)
		close(g.release)
		e.must(<-done)
		if e.loginWorks("ada@example.com", "old password") || !e.loginWorks("ada@example.com", "new password") {
			e.t.Fatal("the upgrade of an imported hash undid the change made while it hashed")
		}
	}},
}
