package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/customer"
	"github.com/clientele/clientele/store"
)

// signUpAnswer is what one client of TestSignUpCrowd was told at each
// step: the status and message of the registration and, when it got a
// token, of the customer creation.
type signUpAnswer struct {
	register, create resp
	transport        error
}

// post sends a JSON body over the network and reads the answer; it never
// stops the test (it runs outside the test's goroutine).
func post(c *http.Client, url, body, token string) (resp, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return resp{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	out := resp{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out, nil
}

// TestSignUpCrowd: 200 clients sign up with one email at once, Medusa's
// way (POST /auth/customer/emailpass/register, then POST /store/customers
// with the registration token), half with one shared password and half
// with their own. Exactly one customer account is opened, with one
// identity; every other client gets a documented refusal, never a 500 or
// a database's words.
func TestSignUpCrowd(t *testing.T) {
	const clients = 200
	eachStore(t, func(t *testing.T, st backend) {
		e := newEnvOn(t, st)
		srv := httptest.NewServer(e.h)
		defer srv.Close()
		c := srv.Client()
		c.Transport.(*http.Transport).MaxIdleConnsPerHost = clients

		answers := make([]signUpAnswer, clients)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				pw := "shared password"
				if i%2 == 1 {
					pw = fmt.Sprintf("password %d", i)
				}
				a := &answers[i]
				<-start
				a.register, a.transport = post(c, srv.URL+"/auth/customer/emailpass/register",
					`{"email":"crowd@example.com","password":"`+pw+`"}`, "")
				if a.transport != nil || a.register.status != 200 {
					return
				}
				a.create, a.transport = post(c, srv.URL+"/store/customers",
					`{"email":"crowd@example.com","first_name":"Ada"}`, a.register.str("token"))
			})
		}
		close(start)
		wg.Wait()

		created, registered := 0, 0
		var customerID string
		for i, a := range answers {
			if a.transport != nil {
				t.Fatalf("client %d: %v", i, a.transport)
			}
			noLeak(t, a.register)
			switch a.register.status {
			case 200:
				registered++
			case 401:
				// Medusa 2.21: another client's identity has the email.
				a.register.want(t, 401, "unauthorized", "Identity with email already exists")
				continue
			default:
				t.Fatalf("client %d: registration answered %d: %s", i, a.register.status, a.register.raw)
			}
			noLeak(t, a.create)
			switch a.create.status {
			case 200:
				created++
				customerID, _ = a.create.obj("customer")["id"].(string)
			case 422:
				// The identity got its account from another client.
				a.create.want(t, 422, "duplicate_error", "Customer with this email already has an account")
			default:
				t.Fatalf("client %d: customer creation answered %d: %s", i, a.create.status, a.create.raw)
			}
		}
		if created != 1 {
			t.Fatalf("%d customer accounts opened for one email by %d clients (%d registered), want 1", created, clients, registered)
		}
		t.Logf("%d of %d clients got a registration token", registered, clients)
		ctx := t.Context()
		ids, err := st.ListAuthIdentities(ctx, auth.IdentityFilter{}, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pis, err := st.ListProviderIdentities(ctx, auth.ProviderIdentityFilter{}, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := st.ListCustomers(ctx, customer.Filter{}, store.ListOptions{WithDeleted: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 || len(pis) != 1 || len(cs) != 1 {
			t.Fatalf("rows: %d auth identities, %d provider identities, %d customers; want one of each", len(ids), len(pis), len(cs))
		}
		if cs[0].ID != customerID || ids[0].ActorID(auth.ActorCustomer) != customerID || !cs[0].HasAccount {
			t.Fatalf("the identity links %q, the created customer is %q (has_account %v), want one customer", ids[0].ActorID(auth.ActorCustomer), customerID, cs[0].HasAccount)
		}
	})
}
