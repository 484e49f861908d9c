package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// TestResetEventAfterTheAnswer checks that a reset request returns while
// the sink that receives its token is still busy (a mail server), and
// that Flush waits for the delivery.
func TestResetEventAfterTheAnswer(t *testing.T) {
	ctx := t.Context()
	release := make(chan struct{})
	delivered := make(chan event.Event, 1)
	sink := event.SinkFunc(func(_ context.Context, e event.Event) error {
		<-release
		delivered <- e
		return nil
	})
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("test-secret-0123456789abcdefghijkl")})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.NewService(memory.New(), tokens, auth.WithEventSink(sink),
		auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse")); err != nil {
		t.Fatal(err)
	}

	returned := make(chan error, 1)
	go func() {
		returned <- svc.RequestPasswordReset(ctx, auth.ActorCustomer, emailpass.ID, "ada@example.com", nil)
	}()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the reset request waited for the event sink")
	}
	// The delivery is still pending: Flush waits for it.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := svc.Flush(short); err == nil {
		t.Fatal("Flush returned while the delivery was blocked")
	}
	close(release)
	if err := svc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if e := <-delivered; e.Name != auth.EventPasswordReset || e.Data["token"] == "" {
		t.Fatalf("delivered %+v", e)
	}
}
