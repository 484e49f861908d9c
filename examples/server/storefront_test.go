package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// TestStorefront runs every flow of the storefront in a real browser (see
// browser_test.go).
func TestStorefront(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests: not with -short")
	}
	e := startBrowserEnv(t, nil)
	const password = "correct horse battery"

	// Register with a password; the server wants the email verified
	// (AUTH_VERIFICATIONS_PER_ACTOR), so the code comes from the mailbox;
	// then log out and in again.
	t.Run("PasswordSignUpVerifyLogin", func(t *testing.T) {
		tb := e.tab(t, false)
		tb.open("/storefront/register")
		tb.heading("Create an account")
		tb.shot("register")
		tb.fill("#password-register", "First name", "Ada")
		tb.fill("#password-register", "Last name", "Lovelace")
		tb.fill("#password-register", "Email", "ada.password@example.com")
		tb.fill("#password-register", "Password", password)
		tb.submit("#password-register")
		tb.heading("Verify your email")
		tb.waitFor("We sent a code to ada.password@example.com.")
		tb.shot("verify-required")

		// The mail, read in another window of the same browser session.
		mailbox := e.tab(t, false)
		code, _ := mailbox.mail("ada.password@example.com", "Confirm your email address")
		mailbox.shot("mailbox")
		if code == "" {
			t.Fatal("the verification mail has no code")
		}
		tb.fill("#verify-code", "Code from the email", code)
		tb.submit("#verify-code")
		tb.heading("Your account")
		tb.waitFor("Welcome, Ada!")
		tb.waitIn("#account-email", "ada.password@example.com")
		tb.shot("account")

		tb.click("#logout")
		tb.heading("Log in")
		tb.waitFor("You are logged out.")
		tb.open("/storefront/account")
		tb.heading("Log in")
		tb.waitFor("Please log in to see that page.")
		tb.fill("#password-login", "Email", "ada.password@example.com")
		tb.fill("#password-login", "Password", password)
		tb.submit("#password-login")
		tb.heading("Your account")
		tb.waitFor("Welcome, Ada!")
	})

	_ = chromedp.Void{}
	_ = strings.Contains
	_ = time.Now
	_ = totp.GenerateCode
}
