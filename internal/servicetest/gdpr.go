package servicetest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

// gdprCustomer builds a customer account with an address, a group, an
// emailpass identity with a verification, an enabled MFA factor, a
// session and a refresh token, and returns it with its identity, and the
// refresh token.
func (e *env) gdprCustomer() (*customer.Customer, *auth.AuthIdentity, string) {
	e.t.Helper()
	ss, ok := e.st.(session.Store)
	if !ok {
		e.t.Skip("the backend implements no session.Store")
	}
	e.withMFA(auth.MFAConfig{}, emailGate, auth.WithRefreshRotation(nil))
	e.accounts = must(account.NewService(e.st, e.auth, e.customers, account.WithEventSink(e.events), account.WithSessions(ss)))(e.t)
	a := e.register("ada@example.com", "correct horse")
	c, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{
		Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Phone: "+44 20 7946 0001", CompanyName: "Analytical Engines",
		Metadata: map[string]any{"nickname": "Countess"},
	})
	e.must(err)
	e.address(address.CreateParams{CustomerID: c.ID, FirstName: "Ada", LastName: "Lovelace", Address1: "12 St James's Square", City: "London", CountryCode: "gb", PostalCode: "SW1Y 4JH", Phone: "+44 20 7946 0001", IsDefaultShipping: true})
	g := e.group("VIP")
	_, err = e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID})
	e.must(err)
	e.confirmCode(e.requestCode(a.ID, "ada@example.com"))
	en, err := e.auth.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: auth.MFAMethodTOTP, Label: "phone"})
	e.must(err)
	_, err = e.auth.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, AuthIdentityID: a.ID, Code: e.code(en.Secret, 0)})
	e.must(err)
	e.advance(30 * time.Second)
	e.must(ss.PutSession(e.ctx, &session.Session{ID: "gdprsession", AuthIdentityID: a.ID, ActorType: auth.ActorCustomer, ActorID: c.ID,
		Claims: auth.Claims{AuthIdentityID: a.ID, ActorType: auth.ActorCustomer, ActorID: c.ID}, CreatedAt: e.clock.now(), ExpiresAt: e.clock.now().Add(time.Hour)}))
	tok, err := e.auth.Token(&auth.AuthIdentity{ID: a.ID, AppMetadata: map[string]any{"customer_id": c.ID}}, auth.ActorCustomer, "emailpass")
	e.must(err)
	refresh, err := e.auth.IssueRefreshToken(e.ctx, e.claims(tok))
	e.must(err)
	return c, a, refresh
}

var gdprTests = []test{
	{"GDPR/Export", func(e *env) {
		c, a, _ := e.gdprCustomer()
		x, err := e.accounts.Export(e.ctx, c.ID)
		e.must(err)
		e.same(c.ID, x.Customer.ID)
		e.same("Lovelace", x.Customer.LastName)
		e.same(1, len(x.Customer.Addresses))
		e.same([]string{"VIP"}, names(x.Customer.Groups))
		if len(x.Identities) != 1 || x.Identities[0].ID != a.ID {
			e.t.Fatalf("identities %+v", x.Identities)
		}
		id := x.Identities[0]
		e.same(1, len(id.ProviderIdentities))
		e.same("ada@example.com", id.ProviderIdentities[0].EntityID)
		if len(id.Verifications) != 1 || id.Verifications[0].VerifiedAt == nil {
			e.t.Fatalf("verifications %+v", id.Verifications)
		}
		if len(id.MFAFactors) != 1 || id.MFAFactors[0].Status != auth.MFAEnabled {
			e.t.Fatalf("MFA factors %+v", id.MFAFactors)
		}
		doc, err := json.Marshal(x)
		e.must(err)
		// No secret: no password hash, TOTP secret or code hash.
		for _, secret := range []string{e.storedPassword("ada@example.com"), "secret", "token_hash", "password", "provider_metadata"} {
			if secret != "" && strings.Contains(string(doc), secret) {
				e.t.Fatalf("export holds %q: %s", secret, doc)
			}
		}
		_, err = e.accounts.Export(e.ctx, "cus_nope")
		e.wantErr(err, customer.ErrNotFound)
	}},
	{"GDPR/Erase", func(e *env) {
		c, a, refresh := e.gdprCustomer()
		other := e.customer(customer.CreateParams{Email: "grace@example.com", FirstName: "Grace"})
		e.events.Reset()
		e.must(e.accounts.Erase(e.ctx, c.ID))
		e.must(e.auth.Flush(e.ctx))
		if got := eventNames(e.events.Events()); !containsName(got, account.EventErased) {
			e.t.Fatalf("events %v", got)
		}
		got, err := e.customers.Retrieve(e.ctx, c.ID, store.FindOptions{Relations: []string{"addresses", "groups"}})
		e.must(err)
		if got.Email != "" || got.FirstName != "" || got.LastName != "" || got.Phone != "" || got.CompanyName != "" || len(got.Metadata) != 0 {
			e.t.Fatalf("erased customer %+v", got)
		}
		// Ids and references stay.
		e.same(1, len(got.Addresses))
		e.same([]string{"VIP"}, names(got.Groups))
		ad := got.Addresses[0]
		if ad.FirstName != "" || ad.Address1 != "" || ad.City != "" || ad.PostalCode != "" || ad.Phone != "" || ad.CountryCode != "" {
			e.t.Fatalf("erased address %+v", ad)
		}
		_, err = e.auth.RetrieveAuthIdentity(e.ctx, a.ID, store.FindOptions{})
		e.wantErr(err, auth.ErrNotFound)
		e.same(0, len(e.verifications(auth.VerificationFilter{AuthIdentityIDs: []string{a.ID}})))
		factors, err := e.auth.ListMFA(e.ctx, auth.MFAFactorFilter{AuthIdentityIDs: []string{a.ID}})
		e.must(err)
		e.same(0, len(factors))
		codes, err := e.st.(auth.MFAStore).ListRecoveryCodes(e.ctx, a.ID)
		e.must(err)
		e.same(0, len(codes))
		_, err = e.st.(session.Store).GetSession(e.ctx, "gdprsession", e.clock.now())
		e.wantErr(err, session.ErrNotFound)
		_, err = e.auth.Rotate(e.ctx, refresh)
		if err == nil {
			e.t.Fatal("a refresh token outlived the erasure")
		}
		// The email can register again; the other customer is untouched.
		e.register("ada@example.com", "new horse")
		still, err := e.customers.Retrieve(e.ctx, other.ID, store.FindOptions{})
		e.must(err)
		e.same("Grace", still.FirstName)

		// A second erasure succeeds and changes nothing.
		x, err := e.accounts.Export(e.ctx, c.ID)
		e.must(err)
		before := e.snapshot()
		e.events.Reset()
		e.must(e.accounts.Erase(e.ctx, c.ID))
		e.unchanged(before)
		e.same(0, len(e.events.Events()))
		y, err := e.accounts.Export(e.ctx, c.ID)
		e.must(err)
		y.ExportedAt = x.ExportedAt
		e.same(x, y)

		err = e.accounts.Erase(e.ctx, "cus_nope")
		e.wantErr(err, customer.ErrNotFound)
	}},
}

func containsName(names []string, want string) bool {
	for _, n := range names {
		if n == want {
			return true
		}
	}
	return false
}
