package servicetest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/bulk"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

// passwordLines is an NDJSON source of password identities.
func passwordLines(lines ...string) bulk.Source[auth.PasswordIdentity] {
	return auth.DecodePasswordIdentities(strings.NewReader(strings.Join(lines, "\n")))
}

// badChecksum returns a scrypt-kdf hash of Medusa's format whose header
// checksum is wrong: no password matches it.
func badChecksum(e *env, hash string) string {
	key, err := base64.StdEncoding.DecodeString(hash)
	e.must(err)
	key[50] ^= 0xff
	return base64.StdEncoding.EncodeToString(key)
}

var identityImportTests = []test{
	{"IdentityImport/LogsInWithItsHash", func(e *env) {
		scrypt := mustHash(e, "s3cret-pass")
		argon, err := emailpass.Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}.Hash([]byte("other-pass"))
		e.must(err)
		rep, err := e.auth.ImportPasswordIdentities(e.ctx, passwordLines(
			fmt.Sprintf(`{"email": " Ada@Example.com", "password_hash": %q, "customer_id": "cus_ada", "app_metadata": {"source": "medusa"}}`, scrypt),
			fmt.Sprintf(`{"email": "bob@example.com", "password_hash": %q}`, argon),
		), auth.PasswordImportOptions{Options: bulk.Options{BatchSize: 1}})
		e.must(err)
		e.same(bulk.Report{Read: 2, Imported: 2, Batches: 2}, rep)
		e.secrets.add("s3cret-pass", "other-pass", scrypt, argon)
		e.must(e.auth.Flush(e.ctx))

		res, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds("ada@example.com", "s3cret-pass"))
		e.must(err)
		a := res.AuthIdentity
		e.same(map[string]any{"source": "medusa", "customer_id": "cus_ada"}, a.AppMetadata)
		if len(a.ProviderIdentities) != 1 || a.ProviderIdentities[0].EntityID != "ada@example.com" || !strings.HasPrefix(a.ID, "authid_") {
			e.t.Fatalf("identity %+v", a)
		}
		e.same(scrypt, e.storedPassword("ada@example.com"))
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("BOB@example.com", "other-pass"))
		e.must(err)
		_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds("bob@example.com", "s3cret-pass"))
		e.wantErr(err, auth.ErrUnauthorized)
		// Registering an imported email again is refused, as for any.
		_, err = e.auth.Register(e.ctx, emailpass.ID, creds("ada@example.com", "another-pass"))
		e.wantErr(err, store.ErrConflict)
	}},
	{"IdentityImport/UpgradedAtLogin", func(e *env) {
		// Hashes of other systems, imported as they are, log in and are
		// replaced by the configured hasher's (Medusa's scrypt) at the
		// first login; the old password then still works, a wrong one
		// does not, and a wrong password rewrites nothing.
		hashers := map[string]emailpass.Hasher{
			"bcrypt":        emailpass.Bcrypt{Cost: 4},
			"pbkdf2_sha256": emailpass.PBKDF2SHA256{Iterations: 1000},
			"argon2i":       emailpass.Argon2i{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16},
			"argon2id":      emailpass.Argon2id{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16},
		}
		var lines []string
		imported := map[string]string{}
		for _, format := range slices.Sorted(maps.Keys(hashers)) {
			h, err := hashers[format].Hash([]byte("pass-" + format))
			e.must(err)
			imported[format] = h
			e.secrets.add("pass-"+format, h)
			lines = append(lines, fmt.Sprintf(`{"email": "%s@example.com", "password_hash": %q}`, format, h))
		}
		// bcrypt's $2y$ (PHP) and Django's argon2 prefix, as published.
		const phpBcrypt = "$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq"
		const djangoArgon = "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q"
		lines = append(lines,
			fmt.Sprintf(`{"email": "php@example.com", "password_hash": %q}`, phpBcrypt),
			fmt.Sprintf(`{"email": "django@example.com", "password_hash": %q}`, djangoArgon))
		imported["php"], imported["django"] = phpBcrypt, djangoArgon
		e.secrets.add(phpBcrypt, djangoArgon, "rasmuslerdorf")
		passwords := map[string]string{"php": "rasmuslerdorf", "django": "secret"}
		for format := range hashers {
			passwords[format] = "pass-" + format
		}
		rep, err := e.auth.ImportPasswordIdentities(e.ctx, passwordLines(lines...), auth.PasswordImportOptions{})
		e.must(err)
		e.same(bulk.Report{Read: len(lines), Imported: len(lines), Batches: 1}, rep)
		e.must(e.auth.Flush(e.ctx))

		for _, name := range slices.Sorted(maps.Keys(imported)) {
			email := name + "@example.com"
			e.same(imported[name], e.storedPassword(email))
			_, err := e.auth.Authenticate(e.ctx, emailpass.ID, creds(email, "wrong password"))
			e.wantErr(err, auth.ErrUnauthorized)
			e.same(imported[name], e.storedPassword(email))
			_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds(email, passwords[name]))
			e.must(err)
			upgraded := e.storedPassword(email)
			if upgraded == imported[name] || !strings.HasPrefix(upgraded, "c2NyeXB0") {
				e.t.Fatalf("%s: after the first login the stored hash is %.12s…, want Medusa's scrypt", name, upgraded)
			}
			_, err = e.auth.Authenticate(e.ctx, emailpass.ID, creds(email, passwords[name]))
			e.must(err)
			e.same(upgraded, e.storedPassword(email))
		}
	}},
	{"IdentityImport/BadRecords", func(e *env) {
		hash := mustHash(e, "s3cret-pass")
		e.secrets.add("s3cret-pass", hash)
		e.register("taken@example.com", "s3cret-pass")
		gone := e.register("gone@example.com", "s3cret-pass")
		_, err := e.auth.SoftDeleteAuthIdentities(e.ctx, gone.ID)
		e.must(err)
		// A provider identity Medusa wrote with upper-case letters.
		legacy := &auth.AuthIdentity{ID: "authid_legacy", CreatedAt: e.clock.now(), UpdatedAt: e.clock.now()}
		legacy.ProviderIdentities = []*auth.ProviderIdentity{{ID: "legacy", EntityID: "Legacy@Example.com", Provider: emailpass.ID,
			AuthIdentityID: legacy.ID, ProviderMetadata: map[string]any{"password": hash}, CreatedAt: legacy.CreatedAt, UpdatedAt: legacy.CreatedAt}}
		e.must(e.st.InTx(e.ctx, func(ctx context.Context) error { return e.st.InsertAuthIdentities(ctx, []*auth.AuthIdentity{legacy}) }))
		before := e.snapshot()
		rec := func(email, hash string, extra ...string) string {
			return fmt.Sprintf(`{"email": %q, "password_hash": %q%s}`, email, hash, strings.Join(extra, ""))
		}
		bad := []string{
			"nope",
			badChecksum(e, hash),
			"$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
			"$2b$10$abcdefghijklmnopqrstuv",
		}
		rep, err := e.auth.ImportPasswordIdentities(e.ctx, passwordLines(
			rec("fine@example.com", hash),
			rec("not-an-email", hash),
			rec("", hash),
			rec("a@example.com", ""),
			rec("b@example.com", bad[0]),
			rec("c@example.com", bad[1]),
			rec("d@example.com", bad[2]),
			rec("e@example.com", hash, `, "customer_id": "cus_1", "app_metadata": {"customer_id": "cus_2"}`),
			rec("f@example.com", hash, `, "password": "plain"`),
			rec("FINE@example.com", hash),
			rec("Taken@example.com", hash),
			rec("gone@example.com", hash),
			rec("legacy@example.com", hash),
		), auth.PasswordImportOptions{})
		e.wantFaults(rep,
			rowFault{2, "email", auth.ErrInvalid},
			rowFault{3, "email", auth.ErrInvalid},
			rowFault{4, "password_hash", auth.ErrInvalid},
			rowFault{5, "password_hash", auth.ErrInvalid},
			rowFault{6, "password_hash", auth.ErrInvalid},
			rowFault{7, "password_hash", auth.ErrInvalid},
			rowFault{8, "customer_id", auth.ErrInvalid},
			rowFault{9, "password", store.ErrInvalid},
			rowFault{10, "email", auth.ErrConflict},
			rowFault{11, "entity_id", auth.ErrConflict},
			rowFault{12, "entity_id", auth.ErrConflict},
			rowFault{13, "entity_id", auth.ErrConflict},
		)
		e.wantRejected(err, rep)
		e.unchanged(before)
		// No report or error holds a hash.
		text := fmt.Sprint(err, rep)
		for _, re := range rep.Errors {
			text += re.Error() + re.Reason + re.Err.Error()
		}
		for _, h := range append(bad, hash) {
			if strings.Contains(text, h) {
				e.t.Fatalf("the report holds the hash %q: %s", h, text)
			}
		}
		// A format the host's own check accepts.
		rep, err = e.auth.ImportPasswordIdentities(e.ctx, bulk.Records([]auth.PasswordIdentity{{Email: "g@example.com", PasswordHash: bad[3]}}),
			auth.PasswordImportOptions{CheckHash: func(h string) error {
				if strings.HasPrefix(h, "$2b$") {
					return nil
				}
				return errors.New("unknown format")
			}})
		e.must(err)
		e.same(1, rep.Imported)
	}},
	{"IdentityImport/ProviderLimits", func(e *env) {
		// A well-formed bcrypt hash of cost 14: within the package's
		// bounds (emailpass.CheckHash), over the provider's default limit
		// (cost 13), which the import applies by default.
		over := "$2b$14$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"
		e.must(emailpass.CheckHash(over))
		before := e.snapshot()
		rep, err := e.auth.ImportPasswordIdentities(e.ctx, bulk.Records([]auth.PasswordIdentity{{Email: "slow@example.com", PasswordHash: over}}),
			auth.PasswordImportOptions{})
		e.wantFaults(rep, rowFault{1, "password_hash", auth.ErrInvalid})
		e.wantRejected(err, rep)
		e.unchanged(before)
	}},
	{"IdentityImport/RecordHidesHash", passwordRecordHidesHash},
	{"IdentityImport/DuplicatesAcrossBatches", func(e *env) {
		hash := mustHash(e, "s3cret-pass")
		e.secrets.add("s3cret-pass", hash)
		rep, err := e.auth.ImportPasswordIdentities(e.ctx, bulk.Records([]auth.PasswordIdentity{
			{Email: "a@example.com", PasswordHash: hash}, {Email: "b@example.com", PasswordHash: hash},
			{Email: "A@EXAMPLE.COM", PasswordHash: hash},
		}), auth.PasswordImportOptions{Options: bulk.Options{BatchSize: 2}})
		e.wantRejected(err, rep)
		e.wantFaults(rep, rowFault{3, "entity_id", auth.ErrConflict})
		e.same(2, rep.Imported)
		e.wantRows(2, 2, 0)
	}},
}

// passwordRecordHidesHash checks that formatting a record leaves its hash
// out.
func passwordRecordHidesHash(e *env) {
	p := auth.PasswordIdentity{Email: "a@x.com", PasswordHash: "c2NyeXB0-secret-hash"}
	for _, s := range []string{fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s", p, p, p, p)} {
		if strings.Contains(s, "secret-hash") {
			e.t.Fatalf("formatted record holds its hash: %s", s)
		}
	}
}
