package servicetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/address"
	"github.com/clientele/clientele/audit"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/group"
	"github.com/clientele/clientele/internal/id"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/session"
	"github.com/clientele/clientele/store"
)

// gdprCustomer builds a customer account with an address, a group, an
// emailpass identity with a verification, an enabled MFA factor, a
// session, a refresh token and a pending MFA challenge.
func (e *env) gdprCustomer(p person) gdprFixture {
	e.t.Helper()
	ss, ok := e.st.(session.Store)
	if !ok {
		e.t.Skip("the backend implements no session.Store")
	}
	if e.accounts.Sessions() == nil {
		e.withMFA(auth.MFAConfig{}, emailGate, auth.WithRefreshRotation(nil))
		e.accounts = must(account.NewService(e.st, e.auth, e.customers, account.WithEventSink(e.sink()), account.WithSessions(ss), account.WithClock(e.clock.now)))(e.t)
	}
	a := e.register(p.email, "correct horse")
	c, err := e.accounts.CreateCustomer(e.ctx, a.ID, customer.CreateParams{
		Email: p.email, FirstName: p.first, LastName: p.last, Phone: p.phone, CompanyName: "Analytical Engines",
		Metadata: map[string]any{"nickname": p.first + " " + p.last},
	})
	e.must(err)
	e.address(address.CreateParams{CustomerID: c.ID, FirstName: p.first, LastName: p.last, Address1: "12 St James's Square", City: "London", CountryCode: "gb", PostalCode: "SW1Y 4JH", Phone: p.phone, IsDefaultShipping: true})
	g, err := e.groups.Create(e.ctx, group.CreateParams{Name: "VIP " + id.New("g")})
	e.must(err)
	_, err = e.groups.Add(e.ctx, group.Pair{CustomerID: c.ID, GroupID: g.ID})
	e.must(err)
	// A social login linked to the same identity, with the provider's
	// profile and tokens.
	_, err = e.auth.CreateProviderIdentity(e.ctx, a.ID, auth.NewProviderIdentity{
		Provider: "google", EntityID: "google-sub-" + p.phone,
		UserMetadata:     map[string]any{"email": p.email, "given_name": p.first, "family_name": p.last},
		ProviderMetadata: map[string]any{"access_token": "ya29.provider-token"},
	})
	e.must(err)
	e.confirmCode(e.requestCode(a.ID, p.email))
	en, err := e.auth.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: auth.MFAMethodTOTP, Label: "phone"})
	e.must(err)
	_, err = e.auth.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, AuthIdentityID: a.ID, Code: e.code(en.Secret, 0)})
	e.must(err)
	e.advance(30 * time.Second)
	_, err = e.auth.GenerateMFARecoveryCodes(e.ctx, a.ID, 4)
	e.must(err)
	// A login now waits on an MFA challenge, which erasure removes too.
	l, err := e.auth.Login(e.ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials(p.email, "correct horse"))
	e.must(err)
	e.must(e.auth.Flush(e.ctx))
	if l.MFAChallenge == nil {
		e.t.Fatalf("login without an MFA challenge: %+v", l)
	}
	e.must(ss.PutSession(e.ctx, &session.Session{ID: "gdprsession", AuthIdentityID: a.ID, ActorType: auth.ActorCustomer, ActorID: c.ID,
		Claims: auth.Claims{AuthIdentityID: a.ID, ActorType: auth.ActorCustomer, ActorID: c.ID}, CreatedAt: e.clock.now(), ExpiresAt: e.clock.now().Add(time.Hour)}))
	tok, err := e.auth.Token(&auth.AuthIdentity{ID: a.ID, AppMetadata: map[string]any{"customer_id": c.ID}}, auth.ActorCustomer, "emailpass")
	e.must(err)
	refresh, err := e.auth.IssueRefreshToken(e.ctx, e.claims(tok))
	e.must(err)
	return gdprFixture{c, a, refresh, l.MFAChallenge.ID}
}

// gdprFixture is what gdprCustomer built.
type gdprFixture struct {
	c         *customer.Customer
	a         *auth.AuthIdentity
	refresh   string
	challenge string
}

// person is the personal data of a test customer.
type person struct{ email, first, last, phone string }

var ada = person{"ada@example.com", "Ada", "Lovelace", "+44 20 7946 0001"}

// ErasedPersonalData builds on st a registered customer with addresses, a
// group, an emailpass and a social identity, a verification, an MFA
// factor with recovery codes, a session and a refresh token, erases it
// with account.Service.Erase, and returns the personal values (email,
// names, phone) that no column of the backend may still hold. The values
// are unique to the call, so a scan of a shared database finds only
// them.
func ErasedPersonalData(t *testing.T, st Store) []string {
	t.Helper()
	e := newEnv(t, st)
	if e.audit == nil {
		t.Fatal("the store keeps no audit log: the erasure of its entries goes untested")
	}
	// Every event goes through the outbox: some are delivered (and kept
	// for the retention), the last ones wait; erasure must forget those
	// that name the customers.
	ob := e.useRecordedOutbox()
	tag := strings.ToLower(id.New(""))
	tag = tag[len(tag)-10:]
	p := person{"erase-" + tag + "@example.com", "Zenobia" + tag, "Quartermain" + tag, fmt.Sprintf("+1555%07d", rand.IntN(1e7))}
	// Every flow runs with the audit log on, from a client whose user
	// agent names the first customer: erasure must anonymise it.
	e.ctx = audit.WithClient(e.ctx, netip.MustParseAddr("203.0.113.9"), "agent of "+p.first)
	c := e.gdprCustomer(p).c
	// A second erased account customer: the erased emails must not
	// collide on the email index.
	q := person{"erase2-" + tag + "@example.com", "Yolanda" + tag, "Pemberton" + tag, fmt.Sprintf("+1666%07d", rand.IntN(1e7))}
	c2 := e.gdprCustomer(q).c
	if n := len(e.auditAll(audit.Filter{ActorIDs: []string{c.ID}})); n == 0 {
		t.Fatal("no audit entry about the customer before its erasure")
	}
	sink := &countingSink{}
	_, stop := e.dispatch(ob, sink)
	e.waitFor("the flows' events", func() bool {
		_, d := sink.snapshot()
		return len(d) > 0 && e.pendingOutbox() == 0
	})
	e.must(stop(e.ctx))
	// Waiting ones: a reset mail (sealed, keyed by the email) and a
	// customer update of each.
	for _, x := range []person{p, q} {
		e.must(e.auth.RequestPasswordReset(e.ctx, auth.ActorCustomer, emailpass.ID, x.email, nil))
	}
	_, err := e.customers.Update(e.ctx, c.ID, customer.UpdateParams{FirstName: ptr(p.first)})
	e.must(err)
	if e.pendingOutbox() == 0 {
		t.Fatal("no event waits in the outbox before the erasure")
	}
	e.must(e.accounts.Erase(e.ctx, c.ID))
	e.must(e.accounts.Erase(e.ctx, c2.ID))
	e.must(e.auth.Flush(e.ctx))
	return []string{p.email, p.first, p.last, p.phone, q.email, q.first, q.last, q.phone}
}

var gdprTests = []test{
	{"GDPR/EraseDeletedGuest", func(e *env) {
		g := e.customer(customer.CreateParams{Email: "guest@example.com", FirstName: "Gus", Phone: "+1 555 0100"})
		e.address(address.CreateParams{CustomerID: g.ID, Address1: "1 Main St", City: "Springfield"})
		e.must(e.accounts.DeleteCustomer(e.ctx, g.ID))
		e.events.Reset()
		e.must(e.accounts.Erase(e.ctx, g.ID))
		e.same([]string{account.EventErased}, eventNames(e.events.Events()))
		got, err := e.customers.Retrieve(e.ctx, g.ID, store.FindOptions{WithDeleted: true})
		e.must(err)
		if got.Email != "" || got.FirstName != "" || got.Phone != "" || got.DeletedAt == nil {
			e.t.Fatalf("erased deleted guest %+v", got)
		}
		addrs, err := e.st.ListAddresses(e.ctx, address.Filter{CustomerIDs: []string{g.ID}}, store.ListOptions{WithDeleted: true})
		e.must(err)
		if len(addrs) != 1 || addrs[0].Address1 != "" || addrs[0].City != "" {
			e.t.Fatalf("erased deleted guest's addresses %+v", addrs)
		}
	}},
	{"GDPR/Export", func(e *env) {
		fx := e.gdprCustomer(ada)
		c, a := fx.c, fx.a
		x, err := e.accounts.Export(e.ctx, c.ID)
		e.must(err)
		e.same(c.ID, x.Customer.ID)
		e.same("Lovelace", x.Customer.LastName)
		e.same(1, len(x.Customer.Addresses))
		e.same(1, len(x.Customer.Groups))
		if len(x.Identities) != 1 || x.Identities[0].ID != a.ID {
			e.t.Fatalf("identities %+v", x.Identities)
		}
		id := x.Identities[0]
		var providers []string
		for _, p := range id.ProviderIdentities {
			providers = append(providers, p.Provider+":"+p.EntityID)
		}
		sort.Strings(providers)
		e.same([]string{"emailpass:ada@example.com", "google:google-sub-" + ada.phone}, providers)
		if len(id.Verifications) != 1 || id.Verifications[0].VerifiedAt == nil {
			e.t.Fatalf("verifications %+v", id.Verifications)
		}
		if len(id.MFAFactors) != 1 || id.MFAFactors[0].Status != auth.MFAEnabled {
			e.t.Fatalf("MFA factors %+v", id.MFAFactors)
		}
		if len(id.Sessions) != 1 || id.Sessions[0].ActorType != auth.ActorCustomer || id.Sessions[0].ExpiresAt.IsZero() {
			e.t.Fatalf("sessions %+v", id.Sessions)
		}
		doc, err := json.Marshal(x)
		e.must(err)
		// No secret: no password hash, TOTP secret or code hash.
		for _, secret := range []string{e.storedPassword("ada@example.com"), "ya29", "gdprsession", "secret", "token_hash", "password", "provider_metadata", "code_hash"} {
			if secret != "" && strings.Contains(string(doc), secret) {
				e.t.Fatalf("export holds %q: %s", secret, doc)
			}
		}
		_, err = e.accounts.Export(e.ctx, "cus_nope")
		e.wantErr(err, customer.ErrNotFound)
	}},
	{"GDPR/Erase", func(e *env) {
		fx := e.gdprCustomer(ada)
		c, a, refresh := fx.c, fx.a, fx.refresh
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
		e.same(1, len(got.Groups))
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
		_, err = e.st.(auth.MFAStore).GetMFAChallenge(e.ctx, fx.challenge, false)
		e.wantErr(err, store.ErrNotFound)
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
