package auth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store/memory"
)

// Enrol a TOTP factor, then log in: the login answers a challenge and an
// actorless token, which a code of the authenticator app turns into the
// full token.
func ExampleService_CompleteMFALogin() {
	ctx := context.Background()
	tokens, _ := auth.NewTokens(auth.TokenConfig{Secret: []byte("example-secret-0123456789abcdefghij")})
	svc, err := auth.NewService(memory.New(), tokens,
		auth.WithProvider(emailpass.New(emailpass.WithHasher(emailpass.Scrypt{LogN: 4, R: 8, P: 1}))),
		auth.WithMFA(auth.MFAConfig{EncryptionKey: "a long random key, kept secret"}))
	if err != nil {
		panic(err)
	}
	res, _ := svc.Register(ctx, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse"))
	ada, _ := svc.SetActor(ctx, res.AuthIdentity.ID, auth.ActorCustomer, "cus_ada")

	// What an authenticator app shows for a secret, some periods from now.
	app := func(secret string, periods int) string {
		code, _ := totp.GenerateCodeCustom(secret, time.Now().Add(time.Duration(periods)*30*time.Second),
			totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		return code
	}

	// Enrol: the secret (and its otpauth URI) go to the app; a code
	// enables the factor.
	en, _ := svc.StartMFA(ctx, auth.StartMFAParams{AuthIdentityID: ada.ID, Provider: auth.MFAMethodTOTP, Label: "Ada's phone"})
	f, err := svc.VerifyMFA(ctx, auth.VerifyMFAParams{ID: en.Factor.ID, Code: app(en.Secret, -1)})
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Status)

	l, _ := svc.Login(ctx, auth.ActorCustomer, emailpass.ID, emailpass.Credentials("ada@example.com", "correct horse"))
	pending, _ := svc.Verify(ctx, l.Token)
	fmt.Println(l.MFAChallenge.Methods, pending.ActorID == "", pending.MFAEnabled)

	done, err := svc.CompleteMFALogin(ctx, pending, l.MFAChallenge.ID, auth.MFAMethodTOTP, app(en.Secret, 0))
	if err != nil {
		panic(err)
	}
	full, _ := svc.Verify(ctx, done.Token)
	fmt.Println(full.ActorID, full.MFAChallengeCompletedAt != nil)
	// Output:
	// enabled
	// [totp] true true
	// cus_ada true
}
