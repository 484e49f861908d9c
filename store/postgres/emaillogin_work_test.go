package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/clientele/clientele/outbox"
	"github.com/clientele/clientele/provider/magiclink"
	"github.com/clientele/clientele/store/postgres"
)

// TestEmailLoginRequestWork checks that a login-email request sends the
// same kinds of statements to the database whether or not the email has
// an identity, with an event sink that delivers after the commit and with
// an outbox, whose event is a write inside the request's unit of work: a
// known email must not cost a round trip more.
func TestEmailLoginRequestWork(t *testing.T) {
	for _, withOutbox := range []bool{false, true} {
		name := "AfterCommit"
		if withOutbox {
			name = "Outbox"
		}
		t.Run(name, func(t *testing.T) {
			rec := &hookRecorder{}
			st := postgres.New(pgtest.NewStore(t).DB(), postgres.WithQueryHook(rec))
			var sink event.Sink = event.SinkFunc(func(context.Context, event.Event) error { return nil })
			if withOutbox {
				ob, err := outbox.New(st, outbox.WithKeys(faultKey))
				if err != nil {
					t.Fatal(err)
				}
				sink = ob
			}
			tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("email login work test secret 0123456789")})
			if err != nil {
				t.Fatal(err)
			}
			svc, err := auth.NewService(st, tokens, auth.WithProvider(magiclink.New()), auth.WithEventSink(sink))
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if _, err := svc.CreateAuthIdentity(ctx, auth.CreateIdentityParams{ProviderIdentities: []auth.NewProviderIdentity{
				{Provider: magiclink.ID, EntityID: "ada@example.com"},
			}}); err != nil {
				t.Fatal(err)
			}
			work := func(email string) []string {
				t.Helper()
				rec.reset()
				if _, err := svc.RequestEmailLogin(ctx, auth.EmailLoginParams{ActorType: auth.ActorCustomer, Provider: magiclink.ID, Email: email, Binding: "browser-binding"}); err != nil {
					t.Fatal(err)
				}
				if err := svc.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				events, _ := rec.take()
				// The shape: round trips, and which are in the unit.
				var shape []string
				for _, ev := range events {
					verb, _, _ := strings.Cut(strings.TrimSpace(ev.Query), " ")
					switch verb = strings.ToUpper(verb); verb {
					case "BEGIN", "COMMIT", "ROLLBACK":
						shape = append(shape, verb)
					default:
						shape = append(shape, "statement")
					}
				}
				return shape
			}
			known, unknown := work("ada@example.com"), work("nobody@example.com")
			if !slices.Equal(known, unknown) {
				t.Fatalf("statements of a known email %v, of an unknown one %v", known, unknown)
			}
			if !slices.Contains(known, "COMMIT") {
				t.Fatalf("statements %v: no unit of work", known)
			}
		})
	}
}
