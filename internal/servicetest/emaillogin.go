package servicetest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/account"
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/provider/magiclink"
	"github.com/clientele/clientele/store"
	"github.com/clientele/clientele/throttle"
)

// Passwordless login by email (provider/magiclink): a request stores the
// hashes of a link's secret and of codes, bound to the browser that
// asked, and mails them through auth.login_email; a completion with the
// link or the code logs in once.

// The bindings of two browsers, as httpapi hands them to the service.
const (
	adaBrowser   = "cookie\x00ada's browser binding value"
	otherBrowser = "cookie\x00another browser binding value"
)

// withMagic gives e an auth service with the magiclink provider (on e's
// clock) beside the others, with opts.
func (e *env) withMagic(opts ...magiclink.Option) {
	e.t.Helper()
	e.auth = e.newAuth(e.magicProvider(opts...))
	e.accounts = must(account.NewService(e.st, e.auth, e.customers))(e.t)
}

func (e *env) magicProvider(opts ...magiclink.Option) auth.Option {
	return auth.WithProvider(magiclink.New(append([]magiclink.Option{magiclink.WithClock(e.clock.now)}, opts...)...))
}

// mailed is what a login request answered and mailed (data is nil when
// nothing was mailed).
type mailed struct {
	start *auth.EmailLoginStart
	data  map[string]any
}

func (m mailed) token() string { return m.data["token"].(string) }
func (m mailed) code() string  { return m.data["code"].(string) }

// askMagic requests a login email for addr from adaBrowser.
func (e *env) askMagic(addr string) mailed {
	e.t.Helper()
	e.events.Reset()
	start, err := e.auth.RequestEmailLogin(e.ctx, auth.EmailLoginParams{
		ActorType: auth.ActorCustomer, Provider: magiclink.ID, Email: addr, Binding: adaBrowser,
		Metadata: map[string]any{"src": "test"},
	})
	e.must(err)
	e.must(e.auth.Flush(e.ctx))
	e.secrets.add(start.Flow, start.ConfirmationCode, adaBrowser, otherBrowser)
	if !regexp.MustCompile(`^[A-Z2-7]{26}$`).MatchString(start.Flow) || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(start.ConfirmationCode) {
		e.t.Fatalf("start %+v", start)
	}
	out := mailed{start: start}
	evs := e.events.Events()
	switch len(evs) {
	case 0:
	case 1:
		if evs[0].Name != auth.EventLoginEmail || !evs[0].Secret {
			e.t.Fatalf("event %s (secret %v)", evs[0].Name, evs[0].Secret)
		}
		out.data = evs[0].Data
		e.same(strings.ToLower(strings.TrimSpace(addr)), out.data["entity_id"])
		e.same(auth.ActorCustomer, out.data["actor_type"])
		e.same(magiclink.ID, out.data["provider"])
		e.same(map[string]any{"src": "test"}, out.data["metadata"])
		if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(out.code()) || !regexp.MustCompile(`^`+start.Flow+`\.[A-Z2-7]{26}$`).MatchString(out.token()) {
			e.t.Fatalf("mailed %v", out.data)
		}
	default:
		e.t.Fatalf("events after a login request: %v", eventNames(evs))
	}
	return out
}

// completeMagic completes a login with body from the browser of binding.
func (e *env) completeMagic(body map[string]any, binding string) (*auth.Result, error) {
	return e.auth.ValidateCallback(e.ctx, magiclink.ID, provider.Input{ActorType: auth.ActorCustomer, Body: body, Binding: binding})
}

// wantMagicRefused checks that err is a refused completion with msg.
func (e *env) wantMagicRefused(err error, msg string) {
	e.t.Helper()
	e.wantErr(err, auth.ErrUnauthorized, magiclink.ErrInvalid)
	if got, _ := store.PublicMessage(err); got != msg {
		e.t.Fatalf("message %q, want %q", got, msg)
	}
}

// magicIdentities returns the magiclink identities of addr.
func (e *env) magicIdentities(addr string) []*auth.ProviderIdentity {
	e.t.Helper()
	found, err := e.st.ListProviderIdentities(e.ctx, auth.ProviderIdentityFilter{EntityIDs: []string{addr}, Providers: []string{magiclink.ID}}, store.ListOptions{})
	e.must(err)
	return found
}

const msgMagicInvalid = "Invalid or expired login code"

var emailLoginBehaviour = []test{
	{"EmailLogin/CodeRegistersWithVerifiedEmail", func(e *env) {
		e.withMagic(magiclink.WithRegistration())
		e.clock.set(time.Now().UTC().Truncate(time.Second))
		m := e.askMagic(" Ada@Example.com ")
		e.same(true, m.data["registering"])
		e.same(e.clock.now().Add(magiclink.DefaultTTL), m.start.ExpiresAt)
		if len(e.magicIdentities("ada@example.com")) != 0 {
			e.t.Fatal("a request created an identity")
		}
		res, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.must(err)
		e.same(provider.LinkNew, res.Link)
		pis := e.magicIdentities("ada@example.com")
		if len(pis) != 1 || pis[0].AuthIdentityID != res.AuthIdentity.ID || pis[0].UserMetadata["email_verified"] != true {
			e.t.Fatalf("identities %+v", pis)
		}
		ok, err := e.auth.EmailVerified(e.ctx, res.AuthIdentity.ID, "ada@example.com")
		e.must(err)
		e.same(true, ok)
		// The answer is what other logins answer: a registration token.
		l, err := e.auth.LoginToken(e.ctx, res.AuthIdentity, auth.ActorCustomer, magiclink.ID)
		e.must(err)
		c := e.claims(l.Token)
		e.same(res.AuthIdentity.ID, c.AuthIdentityID)
		e.same(magiclink.ID, c.AuthProvider)
		e.same("", c.ActorID)
		// A second login reaches the same identity, and mails no
		// registration.
		m = e.askMagic("ada@example.com")
		e.same(false, m.data["registering"])
		again, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.must(err)
		e.same(res.AuthIdentity.ID, again.AuthIdentity.ID)
		e.same(provider.LinkKind(""), again.Link)
	}},
	{"EmailLogin/TokenInTheLinksFragment", func(e *env) {
		// WithLinkFragment: the token rides in the fragment, which no
		// browser sends to a server, and completes the login as well.
		e.withMagic(magiclink.WithRegistration(), magiclink.WithLinkFragment("https://shop.example/login?from=mail"))
		m := e.askMagic("ada@example.com")
		e.same("https://shop.example/login?from=mail#token="+m.token(), m.data["link"])
		u, err := url.Parse(m.data["link"].(string))
		e.must(err)
		e.same("", u.Query().Get("token"))
		frag, err := url.ParseQuery(u.EscapedFragment())
		e.must(err)
		res, err := e.completeMagic(map[string]any{"token": frag.Get("token")}, adaBrowser)
		e.must(err)
		e.same(res.AuthIdentity.ID, e.magicIdentities("ada@example.com")[0].AuthIdentityID)
	}},
	{"EmailLogin/LinkInTheBrowserThatAsked", func(e *env) {
		e.withMagic(magiclink.WithRegistration(), magiclink.WithLinkURL("https://shop.example/login?from=mail"))
		m := e.askMagic("ada@example.com")
		e.same("https://shop.example/login?from=mail&token="+m.token(), m.data["link"])
		res, err := e.completeMagic(map[string]any{"token": m.token()}, adaBrowser)
		e.must(err)
		e.same(res.AuthIdentity.ID, e.magicIdentities("ada@example.com")[0].AuthIdentityID)
		// The same link again, from the same browser: spent.
		_, err = e.completeMagic(map[string]any{"token": m.token()}, adaBrowser)
		e.wantMagicRefused(err, msgMagicInvalid)
		// So is the code of the login the link completed.
		_, err = e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.wantMagicRefused(err, msgMagicInvalid)
	}},
	{"EmailLogin/LinkElsewhereNeedsTheConfirmationCode", func(e *env) {
		e.withMagic(magiclink.WithRegistration())
		m := e.askMagic("ada@example.com")
		// Opened without a binding (a mail scanner's prefetch, another
		// device) or with another browser's: nothing logs in, nothing is
		// spent.
		for _, b := range []string{"", otherBrowser, otherBrowser} {
			_, err := e.completeMagic(map[string]any{"token": m.token()}, b)
			e.wantErr(err, magiclink.ErrConfirmationRequired, auth.ErrInvalid)
			if errors.Is(err, auth.ErrUnauthorized) {
				e.t.Fatalf("a confirmation request counts as a failure: %v", err)
			}
		}
		if len(e.magicIdentities("ada@example.com")) != 0 {
			e.t.Fatal("an unconfirmed link registered")
		}
		// A wrong confirmation code is a failure.
		wrong := "000000"
		if m.start.ConfirmationCode == wrong {
			wrong = "000001"
		}
		_, err := e.completeMagic(map[string]any{"token": m.token(), "confirmation_code": wrong}, otherBrowser)
		e.wantMagicRefused(err, msgMagicInvalid)
		// The mailed code is not the confirmation code.
		if m.code() != m.start.ConfirmationCode {
			_, err = e.completeMagic(map[string]any{"token": m.token(), "confirmation_code": m.code()}, otherBrowser)
			e.wantMagicRefused(err, msgMagicInvalid)
		}
		res, err := e.completeMagic(map[string]any{"token": m.token(), "confirmation_code": m.start.ConfirmationCode}, otherBrowser)
		e.must(err)
		e.same(res.AuthIdentity.ID, e.magicIdentities("ada@example.com")[0].AuthIdentityID)
	}},
	{"EmailLogin/CodeOnlyInTheBrowserThatAsked", func(e *env) {
		e.withMagic(magiclink.WithRegistration())
		m := e.askMagic("ada@example.com")
		for _, b := range []string{"", otherBrowser} {
			_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, b)
			e.wantMagicRefused(err, "This code works only in the browser that requested it")
		}
		_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.must(err)
	}},
	{"EmailLogin/UnknownEmailSameAnswerNoIdentity", func(e *env) {
		e.withMagic()
		e.register("bob@example.com", "correct horse") // an emailpass identity is not a magiclink one
		var starts []mailed
		for _, addr := range []string{"ada@example.com", "bob@example.com"} {
			m := e.askMagic(addr)
			if m.data != nil {
				e.t.Fatalf("mailed %s without registration: %v", addr, m.data)
			}
			starts = append(starts, m)
		}
		for _, m := range starts {
			_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": "123456"}, adaBrowser)
			e.wantMagicRefused(err, msgMagicInvalid)
		}
		if len(e.magicIdentities("ada@example.com")) != 0 || len(e.magicIdentities("bob@example.com")) != 0 {
			e.t.Fatal("an unknown email got an identity")
		}
		// A known one is mailed, and its answer has the same shape.
		e.withMagic(magiclink.WithRegistration())
		m := e.askMagic("carol@example.com")
		_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.must(err)
		e.withMagic()
		if m := e.askMagic("carol@example.com"); m.data == nil || m.data["registering"] != false {
			e.t.Fatalf("a known email was not mailed: %v", m.data)
		}
	}},
	{"EmailLogin/Expired", func(e *env) {
		e.clock.set(time.Now().UTC().Truncate(time.Second))
		e.withMagic(magiclink.WithRegistration(), magiclink.WithTTL(5*time.Minute))
		m := e.askMagic("ada@example.com")
		e.same(e.clock.now().Add(5*time.Minute), m.start.ExpiresAt)
		e.advance(5 * time.Minute)
		_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.wantMagicRefused(err, msgMagicInvalid)
		_, err = e.completeMagic(map[string]any{"token": m.token()}, adaBrowser)
		e.wantMagicRefused(err, msgMagicInvalid)
	}},
	{"EmailLogin/WrongCodesEndTheLogin", func(e *env) {
		e.withMagic(magiclink.WithRegistration())
		m := e.askMagic("ada@example.com")
		wrong := "000000"
		if m.code() == wrong {
			wrong = "000001"
		}
		for range magiclink.DefaultMaxAttempts {
			_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": wrong}, adaBrowser)
			e.wantMagicRefused(err, msgMagicInvalid)
		}
		_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.wantMagicRefused(err, msgMagicInvalid)
		_, err = e.completeMagic(map[string]any{"token": m.token()}, adaBrowser)
		e.wantMagicRefused(err, msgMagicInvalid)
		// Four failures leave the login alive.
		m = e.askMagic("ada@example.com")
		for range magiclink.DefaultMaxAttempts - 1 {
			_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": wrong}, adaBrowser)
			e.wantMagicRefused(err, msgMagicInvalid)
		}
		_, err = e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.must(err)
	}},
	{"EmailLogin/ForgedOrMalformed", func(e *env) {
		e.withMagic(magiclink.WithRegistration())
		m := e.askMagic("ada@example.com")
		for _, body := range []map[string]any{
			{"token": "no-dot"},
			{"token": m.start.Flow + "."},
			{"token": m.start.Flow + ".AAAAAAAAAAAAAAAAAAAAAAAAAA"},
			{"token": "AAAAAAAAAAAAAAAAAAAAAAAAAA." + m.token()[27:]},
			{"flow": "AAAAAAAAAAAAAAAAAAAAAAAAAA", "code": m.code()},
		} {
			_, err := e.completeMagic(body, adaBrowser)
			e.wantMagicRefused(err, msgMagicInvalid)
		}
		for _, body := range []map[string]any{{}, {"flow": m.start.Flow}, {"token": m.token(), "code": m.code()}} {
			_, err := e.completeMagic(body, adaBrowser)
			e.wantErr(err, auth.ErrInvalid)
		}
		// Another actor type cannot use the login.
		_, err := e.auth.ValidateCallback(e.ctx, magiclink.ID, provider.Input{ActorType: "user", Body: map[string]any{"token": m.token()}, Binding: adaBrowser})
		e.wantMagicRefused(err, msgMagicInvalid)
		// One failure was counted by it, out of five: the link still works.
		_, err = e.completeMagic(map[string]any{"token": m.token()}, adaBrowser)
		e.must(err)
		// Authenticate does not complete or start a login.
		_, err = e.auth.Authenticate(e.ctx, magiclink.ID, provider.Input{ActorType: auth.ActorCustomer, Body: map[string]any{"email": "ada@example.com"}})
		e.wantErr(err, auth.ErrInvalid)
	}},
	{"EmailLogin/BadRequests", func(e *env) {
		e.withMagic()
		for _, c := range []struct {
			p    auth.EmailLoginParams
			want error
		}{
			{auth.EmailLoginParams{ActorType: "customer", Provider: magiclink.ID, Email: "", Binding: adaBrowser}, store.ErrInvalid},
			{auth.EmailLoginParams{ActorType: "customer", Provider: magiclink.ID, Email: "not an email", Binding: adaBrowser}, store.ErrInvalid},
			{auth.EmailLoginParams{ActorType: "", Provider: magiclink.ID, Email: "ada@example.com", Binding: adaBrowser}, store.ErrInvalid},
			{auth.EmailLoginParams{ActorType: "customer", Provider: emailpass.ID, Email: "ada@example.com", Binding: adaBrowser}, auth.ErrNotSupported},
			{auth.EmailLoginParams{ActorType: "customer", Provider: "nope", Email: "ada@example.com", Binding: adaBrowser}, auth.ErrUnknownProvider},
		} {
			_, err := e.auth.RequestEmailLogin(e.ctx, c.p)
			e.wantErr(err, c.want)
		}
		if _, err := e.auth.RequestEmailLogin(e.ctx, auth.EmailLoginParams{ActorType: "customer", Provider: magiclink.ID, Email: "ada@example.com"}); err == nil {
			e.t.Fatal("a request without a binding was accepted")
		}
	}},
	{"EmailLogin/ThrottledPerEmail", func(e *env) {
		lim := e.throttled()
		e.auth = e.newAuth(auth.WithThrottle(lim), e.magicProvider(magiclink.WithRegistration()))
		for range throttle.DefaultReset.Limit {
			e.askMagic("ada@example.com")
		}
		_, err := e.auth.RequestEmailLogin(e.ctx, auth.EmailLoginParams{ActorType: "customer", Provider: magiclink.ID, Email: " ADA@example.com", Binding: adaBrowser})
		e.wantErr(err, throttle.ErrLimited)
		// Another email is not limited.
		e.askMagic("bob@example.com")
	}},
	{"EmailLogin/WrongCodesCountPerAccount", func(e *env) {
		// Wrong codes of every flow of an email count together under the
		// login rule: asking for more mails buys no more guesses.
		lim := e.throttled()
		e.auth = e.newAuth(auth.WithThrottle(lim), e.magicProvider(magiclink.WithRegistration()))
		rule := throttle.DefaultLogin
		guess := func(m mailed) error {
			_, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": wrongCode(m.code())}, adaBrowser)
			return err
		}
		flows := []mailed{e.askMagic("ada@example.com"), e.askMagic("ada@example.com")}
		// The free failures and the one after them are checked, spread
		// over the two flows (each below its own limit of five).
		for i := range rule.Limit + 1 {
			e.wantMagicRefused(guess(flows[i%2]), msgMagicInvalid)
		}
		// Then the account is locked, for a new flow too, and even the
		// right code is refused without being checked.
		third := e.askMagic("ada@example.com")
		_, err := e.completeMagic(map[string]any{"flow": third.start.Flow, "code": third.code()}, adaBrowser)
		e.wantErr(err, throttle.ErrLimited)
		_, err = e.completeMagic(map[string]any{"token": third.token()}, adaBrowser)
		e.wantErr(err, throttle.ErrLimited)
		// Another email is not.
		bob := e.askMagic("bob@example.com")
		e.wantMagicRefused(guess(bob), msgMagicInvalid)
		// Once the lock is over the refused flow logs in (it was not
		// spent), and the success clears the count.
		e.advance(rule.Backoff)
		res, err := e.completeMagic(map[string]any{"flow": third.start.Flow, "code": third.code()}, adaBrowser)
		e.must(err)
		e.same(res.AuthIdentity.ID, e.magicIdentities("ada@example.com")[0].AuthIdentityID)
		fourth := e.askMagic("ada@example.com")
		for range rule.Limit {
			e.wantMagicRefused(guess(fourth), msgMagicInvalid)
		}
	}},
	{"EmailLogin/MFAStillApplies", func(e *env) {
		e.withMFA(auth.MFAConfig{}, e.magicProvider(magiclink.WithRegistration()))
		// 10 s into a TOTP step of today: the memory store sweeps the
		// states that expired by the wall clock.
		e.clock.set(time.Now().UTC().Truncate(30 * time.Second).Add(10 * time.Second))
		m := e.askMagic("ada@example.com")
		res, err := e.completeMagic(map[string]any{"flow": m.start.Flow, "code": m.code()}, adaBrowser)
		e.must(err)
		a, err := e.auth.SetActor(e.ctx, res.AuthIdentity.ID, auth.ActorCustomer, "cus_ada")
		e.must(err)
		en, err := e.auth.StartMFA(e.ctx, auth.StartMFAParams{AuthIdentityID: a.ID, Provider: auth.MFAMethodTOTP, Label: "phone"})
		e.must(err)
		_, err = e.auth.VerifyMFA(e.ctx, auth.VerifyMFAParams{ID: en.Factor.ID, AuthIdentityID: a.ID, Code: e.code(en.Secret, 0)})
		e.must(err)
		e.advance(30 * time.Second)
		m = e.askMagic("ada@example.com")
		res, err = e.completeMagic(map[string]any{"token": m.token()}, adaBrowser)
		e.must(err)
		l, err := e.auth.LoginToken(e.ctx, res.AuthIdentity, auth.ActorCustomer, magiclink.ID)
		e.must(err)
		if l.MFAChallenge == nil || l.MFAChallenge.CompletedAt != nil {
			e.t.Fatalf("a magic login of an MFA identity: %+v", l)
		}
		c := e.claims(l.Token)
		if c.ActorID != "" || !c.MFAEnabled {
			e.t.Fatalf("claims before the challenge: %+v", c)
		}
		done, err := e.completeMFA(l, auth.MFAMethodTOTP, e.code(en.Secret, 0))
		e.must(err)
		e.same("cus_ada", e.claims(done.Token).ActorID)
	}},
}

// BenchmarkEmailLoginRequest measures a passwordless login request
// (auth.Service.RequestEmailLogin with provider/magiclink, registration
// off) for an email that has an identity and for one that has none: the
// two must cost the same, so that timing does not tell them apart.
func BenchmarkEmailLoginRequest(b *testing.B, newStore func(b *testing.B) Store) {
	for _, known := range []bool{true, false} {
		name := "Unknown"
		if known {
			name = "Known"
		}
		b.Run(name, func(b *testing.B) {
			st := newStore(b)
			tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testSecret})
			if err != nil {
				b.Fatal(err)
			}
			svc, err := auth.NewService(st, tokens, auth.WithProvider(magiclink.New()), auth.WithEventSink(event.SinkFunc(func(context.Context, event.Event) error { return nil })))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			addr := "nobody@example.com"
			if known {
				addr = "ada@example.com"
				if _, err := svc.CreateAuthIdentity(ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{
					{Provider: magiclink.ID, EntityID: addr},
				}}); err != nil {
					b.Fatal(err)
				}
			}
			p := auth.EmailLoginParams{ActorType: auth.ActorCustomer, Provider: magiclink.ID, Email: addr, Binding: adaBrowser}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.RequestEmailLogin(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
			if err := svc.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// wrongCode returns a six-digit code other than code.
func wrongCode(code string) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%06d", (n+1)%1000000)
}
