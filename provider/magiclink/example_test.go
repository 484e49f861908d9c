package magiclink_test

import (
	"context"
	"fmt"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/provider"
	"github.com/clientele/clientele/provider/magiclink"
	"github.com/clientele/clientele/store/memory"
)

// A login by a mailed code: the host's mailer receives auth.login_email,
// and the browser that asked sends the code back.
func Example() {
	ctx := context.Background()
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-0123456789abcdef!")})
	mails := &event.Recorder{}
	svc, err := auth.NewService(memory.New(), tokens,
		auth.WithProvider(magiclink.New(magiclink.WithRegistration())), auth.WithEventSink(mails))
	if err != nil {
		panic(err)
	}
	browser := "a secret the browser keeps (httpapi: the binding cookie)"
	start, err := svc.RequestEmailLogin(ctx, auth.EmailLoginParams{
		ActorType: auth.ActorCustomer, Provider: magiclink.ID, Email: "ada@example.com", Binding: browser,
	})
	if err != nil {
		panic(err)
	}
	_ = svc.Flush(ctx) // the event is delivered after the answer
	mail := mails.Events()[0]
	fmt.Println(mail.Name, mail.Data["entity_id"], mail.Data["registering"])

	res, err := svc.ValidateCallback(ctx, magiclink.ID, provider.Input{
		ActorType: auth.ActorCustomer, Binding: browser,
		Body: map[string]any{"flow": start.Flow, "code": mail.Data["code"]},
	})
	if err != nil {
		panic(err)
	}
	verified, _ := svc.EmailVerified(ctx, res.AuthIdentity.ID, "ada@example.com")
	fmt.Println("registered, email verified:", verified)
	// Output:
	// auth.login_email ada@example.com true
	// registered, email verified: true
}
