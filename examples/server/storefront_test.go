package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/clientele/clientele/internal/pgtest"
	"github.com/pquerna/otp/totp"
)

// TestStorefront runs every flow of the storefront in a real browser (see
// browser_test.go).
//
// The flows run twice: with the server on the in-memory store, and on a
// PostgreSQL database of its own (internal/pgtest; skipped without
// PostgreSQL, except under CI=true).
func TestStorefront(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests: not with -short")
	}
	t.Run("memory", func(t *testing.T) { storefrontFlows(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		storefrontFlows(t, map[string]string{"DATABASE_URL": pgtest.NewDatabase(t)})
	})
}

// storefrontFlows runs every flow against a server started with the
// extra environment.
func storefrontFlows(t *testing.T, extra map[string]string) {
	e := startBrowserEnv(t, extra)
	mailbox := e.tab(t, false) // a window on the mailbox page, as a person keeps one open

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

		code, _ := mailbox.as(tb.t).mail("ada.password@example.com", "Confirm your email address")
		mailbox.as(tb.t).shot("mailbox")
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

		// The account's details are saved, and kept.
		tb.fill("#details", "Phone", "+44 20 7946 0018")
		tb.fill("#details", "Last name", "King")
		tb.submit("#details")
		tb.waitFor("Your details are saved.")
		tb.open("/storefront/account")
		tb.heading("Your account")
		tb.waitIn("#who-h", "Ada King")
		if got := tb.eval(`document.querySelector("#details input[name=phone]").value`); got != "+44 20 7946 0018" {
			t.Fatalf("phone after a reload: %q", got)
		}
	})
	t.Run("VerifyByMailedLink", func(t *testing.T) { storefrontVerifyByLink(t, e, mailbox) })
	t.Run("ChangePassword", func(t *testing.T) { storefrontChangePassword(t, e, mailbox) })
	t.Run("PasswordReset", func(t *testing.T) { storefrontPasswordReset(t, e, mailbox) })
	t.Run("MagicLinkSignUpWithPasskey", func(t *testing.T) { storefrontMagicSignUpWithPasskey(t, e, mailbox) })
	t.Run("MagicLinkSignUpByLink", func(t *testing.T) { storefrontMagicSignUpByLink(t, e, mailbox) })
	t.Run("MagicLinkLogin", func(t *testing.T) { storefrontMagicLinkLogin(t, e, mailbox) })
	t.Run("SocialLogin", func(t *testing.T) { storefrontSocialLogin(t, e, mailbox) })
	t.Run("MFA", func(t *testing.T) { storefrontMFA(t, e, mailbox) })
	t.Run("PasskeyAsSecondFactor", func(t *testing.T) { storefrontPasskeySecondFactor(t, e, mailbox) })
	t.Run("WaysToLogIn", func(t *testing.T) { storefrontWaysToLogIn(t, e, mailbox) })
	t.Run("AddressBook", func(t *testing.T) { storefrontAddressBook(t, e, mailbox) })
	t.Run("LogoutEverywhere", func(t *testing.T) { storefrontLogoutEverywhere(t, e, mailbox) })
	t.Run("Errors", func(t *testing.T) { storefrontErrors(t, e, mailbox) })
	t.Run("KeyboardAndLabels", func(t *testing.T) { storefrontKeyboardAndLabels(t, e, mailbox) })
}

// The verification mail's link, opened instead of typing its code.
func storefrontVerifyByLink(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	tb.open("/storefront/register")
	tb.fill("#password-register", "First name", "Alan")
	tb.fill("#password-register", "Email", "alan@example.com")
	tb.fill("#password-register", "Password", password)
	tb.submit("#password-register")
	tb.heading("Verify your email")
	_, first := mailbox.as(t).mail("alan@example.com", "Confirm your email address")
	// Another code, asked for on the page: the newest mail's link works.
	tb.click("#resend")
	tb.waitFor("We sent a code to alan@example.com.")
	_, link := mailbox.as(t).mail("alan@example.com", "Confirm your email address")
	if link == first {
		t.Fatal("the second mail has the first link")
	}
	tb.do(chromedp.Navigate(link))
	tb.waitFor("alan@example.com is verified.")
	if got := tb.eval("location.search + location.hash"); got != "" {
		t.Fatalf("the code stays in the address bar: %q", got)
	}
	tb.shot("verified")
	// The link works once.
	again := e.tab(t, false)
	again.do(chromedp.Navigate(link))
	again.heading("Verify your email")
	again.waitFor("That code is not right, or it was used already.")
	again.shot("used")

	tb.click(`main a[href="login"]`)
	tb.heading("Log in")
	logIn(tb, "alan@example.com", password)
	tb.heading("Your account")
	tb.waitFor("Welcome, Alan!")
}

// A change of password: the current one is checked; other browsers are
// logged out, this one stays in; the new password logs in.
func storefrontChangePassword(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	signUp(tb, mailbox, "Frances", "frances@example.com")
	other := e.tab(t, false)
	logIn(other, "frances@example.com", password)
	other.heading("Your account")

	tb.nav("security", "Security")
	tb.fill("#change-password", "Current password", "not my password")
	tb.fill("#change-password", "New password", "an even better password")
	tb.submit("#change-password")
	tb.waitFor("Your current password is not right.")
	tb.fill("#change-password", "Current password", password)
	tb.fill("#change-password", "New password", "an even better password")
	tb.submit("#change-password")
	tb.waitFor("Your password is changed. You were logged out everywhere else.")
	tb.shot("changed")
	tb.open("/storefront/account")
	tb.heading("Your account")

	other.open("/storefront/account")
	other.heading("Log in")
	other.waitFor("Please log in to see that page.")
	logIn(other, "frances@example.com", password)
	other.waitFor("The email or password is not right.")
	logIn(other, "frances@example.com", "an even better password")
	other.heading("Your account")
}

// Forgot password: the mailed link sets a new password once; the old one
// stops working; the link cannot be used twice.
func storefrontPasswordReset(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	signUp(tb, mailbox, "Rosalind", "rosalind@example.com")
	logOut(tb)
	tb.click(`a[href="forgot"]`)
	tb.heading("Forgot your password?")
	tb.fill("#forgot", "Email", "rosalind@example.com")
	tb.submit("#forgot")
	tb.waitFor("If rosalind@example.com has an account, a reset link is on its way.")
	tb.shot("requested")
	_, link := mailbox.as(tb.t).mail("rosalind@example.com", "Reset your password")
	mailbox.as(tb.t).shot("mail")
	tb.do(chromedp.Navigate(link))
	tb.heading("Choose a new password")
	if got := tb.eval("location.search + location.hash"); got != "" {
		t.Fatalf("the reset token stays in the address bar: %q", got)
	}
	tb.shot("form")
	tb.fill("#reset", "New password", "a brand new password")
	tb.fill("#reset", "New password again", "a different one")
	tb.submit("#reset")
	tb.waitFor("The two passwords are not the same.")
	tb.fill("#reset", "New password again", "a brand new password")
	tb.submit("#reset")
	tb.heading("Log in")
	tb.waitFor("Your password is changed. Log in with the new one.")

	logIn(tb, "rosalind@example.com", password)
	tb.waitFor("The email or password is not right.")
	logIn(tb, "rosalind@example.com", "a brand new password")
	tb.heading("Your account")

	// The link worked once.
	other := e.tab(t, false)
	other.do(chromedp.Navigate(link))
	other.heading("Choose a new password")
	other.fill("#reset", "New password", "yet another password")
	other.fill("#reset", "New password again", "yet another password")
	other.submit("#reset")
	other.waitFor("This link has expired or was used already. Ask for a new one.")
	other.shot("used-link")
}

// Sign up without a password (a code from the mail proves the email), with
// a passkey made at once on this device (Chromium's virtual
// authenticator); then log out and in again with the passkey alone.
func storefrontMagicSignUpWithPasskey(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, true)
	askSignUpCode(tb, "Katherine", "Johnson", "katherine@example.com")
	tb.shot("check-email")
	code, _ := mailbox.as(tb.t).mail("katherine@example.com", "Your login link")
	tb.fill("#magic-code", "Code from the email", "000000")
	tb.submit("#magic-code")
	tb.waitFor("That code is not right, or it has expired. Check it and try again.")
	tb.shot("wrong-code")
	tb.fill("#magic-code", "Code from the email", code)
	tb.submit("#magic-code")
	tb.heading("Your account")
	tb.waitFor("Your account is ready, with a passkey on this device.")
	tb.waitIn("#account-email", "katherine@example.com")
	tb.shot("account")

	logOut(tb)
	tb.shot("login")
	passkeyLogIn(tb, "Katherine")

	// Another device has no passkey for the account.
	other := e.tab(t, true)
	other.open("/storefront/login")
	other.click("#passkey-login")
	other.waitFor("The passkey request was cancelled or timed out.")
	other.shot("no-passkey")
}

// Sign up without a password through the mailed link, opened in the same
// tab (a new page): the name and the passkey choice come along.
func storefrontMagicSignUpByLink(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, true)
	askSignUpCode(tb, "Mae", "Jemison", "mae@example.com")
	_, link := mailbox.as(t).mail("mae@example.com", "Your login link")
	tb.do(chromedp.Navigate(link))
	tb.heading("Your account")
	tb.waitFor("Your account is ready, with a passkey on this device.")
	tb.waitIn("#who-h", "Mae Jemison")
	if got := tb.eval(`sessionStorage.getItem("clientele.signup") || ""`); got != "" {
		t.Fatalf("the sign-up stays in storage: %s", got)
	}
	logOut(tb)
	passkeyLogIn(tb, "Mae")
}

// Passwordless login of an existing account: the mailed link in the
// browser that asked, and on another device, where it asks for the
// confirmation code the first browser shows.
func storefrontMagicLinkLogin(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	signUp(tb, mailbox, "Dorothy", "dorothy@example.com")
	logOut(tb)

	tb.fill("#magic-request", "Email", "dorothy@example.com")
	tb.submit("#magic-request")
	tb.heading("Check your email")
	_, link := mailbox.as(tb.t).mail("dorothy@example.com", "Your login link")
	tb.do(chromedp.Navigate(link))
	tb.heading("Your account")
	tb.waitFor("Welcome, Dorothy!")
	if got := tb.eval("location.search + location.hash"); got != "" {
		t.Fatalf("the login token stays in the address bar: %q", got)
	}
	logOut(tb)

	// The link opened on a phone: it asks for the code the laptop shows.
	tb.fill("#magic-request", "Email", "dorothy@example.com")
	tb.submit("#magic-request")
	tb.heading("Check your email")
	confirmation := tb.text("#confirmation-code")
	_, link2 := mailbox.as(tb.t).mail("dorothy@example.com", "Your login link")
	if link2 == link {
		t.Fatal("the second request mailed the first link")
	}
	phone := e.tab(t, false)
	phone.do(chromedp.Navigate(link2))
	phone.heading("Confirm it is you")
	phone.shot("confirm")
	phone.fill("#magic-confirm", "Confirmation code", confirmation)
	phone.submit("#magic-confirm")
	phone.heading("Your account")
	phone.waitFor("Welcome, Dorothy!")
}

// A social login through the fake identity provider (OIDC_FAKE): the first
// one completes the account with the email the provider verified; the
// next one finds it.
func storefrontSocialLogin(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	tb.open("/storefront/login")
	tb.click("#social-oidc")
	tb.heading("Complete your account")
	if got := tb.eval(`document.querySelector("#profile input[name=email]").value`); got != "grace.social@example.com" {
		t.Fatalf("the email the provider verified: %q", got)
	}
	if got := tb.eval("location.search + location.hash"); got != "" {
		t.Fatalf("the authorization code stays in the address bar: %q", got)
	}
	tb.shot("complete")
	tb.fill("#profile", "First name", "Grace")
	tb.submit("#profile")
	tb.heading("Your account")
	tb.waitIn("#account-email", "grace.social@example.com")
	// The account page's "Verify this email" mails a link.
	tb.click("#verify-email")
	tb.waitFor("We sent a link to grace.social@example.com.")
	_, link := mailbox.as(t).mail("grace.social@example.com", "Confirm your email address")
	tb.do(chromedp.Navigate(link))
	tb.waitFor("grace.social@example.com is verified.")

	logOut(tb)
	tb.click("#social-oidc")
	tb.heading("Your account")
	tb.waitFor("Welcome, Grace!")
	// The callback page without the provider's answer (its address, as
	// history keeps it) does not run again.
	tb.open("/storefront/callback/oidc")
	tb.waitFor("This login has finished already.")

	// The provider's error, in fixed words (never the URL's own text).
	other := e.tab(t, false)
	other.open("/storefront/callback/oidc?error=access_denied&error_description=Call+0800+FRAUD&state=x")
	other.waitFor("The login was cancelled at the login provider. You can try again, or log in another way.")
	if strings.Contains(other.text("main"), "FRAUD") {
		t.Fatal("the page shows the URL's error_description")
	}
	other.open("/storefront/callback/oidc?error=server_error&state=x")
	other.waitFor("The login provider could not log you in.")
}

// Two-step verification: enrolment with the QR code, recovery codes, a
// login completed with the app's code, another with a recovery code.
func storefrontMFA(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	signUp(tb, mailbox, "Barbara", "barbara@example.com")
	tb.nav("security", "Security")
	tb.shot("security")
	tb.click("#mfa-start")
	tb.do(chromedp.WaitVisible(chromedp.CSS("#mfa-qr")))
	tb.until(`document.querySelector("#mfa-qr").complete && document.querySelector("#mfa-qr").naturalWidth >= 200`, "the QR code")
	tb.shot("qr")
	secret := tb.text("#mfa-secret")
	tb.fill("#mfa-verify", "Code from the app", "123456")
	tb.submit("#mfa-verify")
	tb.waitFor("That code is not right. Type the code the app shows now.")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tb.fill("#mfa-verify", "Code from the app", code)
	tb.submit("#mfa-verify")
	tb.waitFor("Two-step verification is on")
	tb.shot("recovery-codes")
	recovery := strings.Fields(tb.text("#recovery-codes"))
	if len(recovery) < 2 {
		t.Fatalf("recovery codes: %q", recovery)
	}
	tb.click(`#mfa a[href="security"]`)
	tb.heading("Security")
	tb.waitFor("On, with an authenticator app.")

	logOut(tb)
	logIn(tb, "barbara@example.com", password)
	tb.heading("Two-step verification")
	tb.shot("challenge")
	// The code of the next period: the one of enrolment is spent.
	next, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tb.fill("#mfa-code", "Code from your authenticator app, or a recovery code", next)
	tb.submit("#mfa-code")
	tb.heading("Your account")
	tb.waitFor("Welcome, Barbara!")

	// New recovery codes replace the old ones.
	tb.nav("security", "Security")
	tb.click("#new-recovery-codes")
	tb.waitFor("Your old recovery codes no longer work.")
	fresh := strings.Fields(tb.text("#recovery-codes"))
	if len(fresh) != len(recovery) || fresh[0] == recovery[0] {
		t.Fatalf("new recovery codes %q after %q", fresh, recovery)
	}

	logOut(tb)
	logIn(tb, "barbara@example.com", password)
	tb.heading("Two-step verification")
	tb.fill("#mfa-code", "Code from your authenticator app, or a recovery code", recovery[0])
	tb.submit("#mfa-code")
	tb.waitFor("That code is not right")
	tb.fill("#mfa-code", "Code from your authenticator app, or a recovery code", fresh[0])
	tb.submit("#mfa-code")
	tb.heading("Your account")
}

// A passkey as the second step of a password login.
func storefrontPasskeySecondFactor(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, true)
	signUp(tb, mailbox, "Margaret", "margaret@example.com")
	tb.nav("security", "Security")
	tb.click("#mfa-passkey-on")
	tb.waitFor("Add a passkey on this device first (below), then use it as the second step.")
	tb.click("#add-passkey")
	tb.waitFor("The passkey is added.")
	tb.click("#mfa-passkey-on")
	tb.waitFor("Two-step verification is on")
	recovery := strings.Fields(tb.text("#recovery-codes"))
	if len(recovery) == 0 {
		t.Fatal("no recovery codes")
	}
	tb.click(`#mfa a[href="security"]`)
	tb.heading("Security")
	tb.waitFor("On, with a passkey.")
	tb.shot("on")

	logOut(tb)
	logIn(tb, "margaret@example.com", password)
	tb.heading("Two-step verification")
	tb.shot("challenge")
	tb.click("#mfa-use-passkey")
	tb.heading("Your account")
	tb.waitFor("Welcome, Margaret!")

	// A recovery code, when the passkey is out of reach.
	logOut(tb)
	logIn(tb, "margaret@example.com", password)
	tb.heading("Two-step verification")
	tb.fill("#mfa-code", "Recovery code", recovery[0])
	tb.submit("#mfa-code")
	tb.heading("Your account")

	// The passkey alone, with the user verified, is both steps at once.
	logOut(tb)
	passkeyLogIn(tb, "Margaret")
}

// The ways to log in on the Security page: a password, then a passkey
// added; the passkey removed logs in no more; the last way in has no
// Remove button.
func storefrontWaysToLogIn(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, true)
	signUp(tb, mailbox, "Grace", "grace@example.com")
	tb.nav("security", "Security")
	tb.waitIn("#methods", "Password for grace@example.com")
	removeButtons := func() string { return tb.eval(`String(document.querySelectorAll("#methods button").length)`) }
	if n := removeButtons(); n != "0" {
		t.Fatalf("%s Remove buttons beside the only way in", n)
	}
	tb.click("#add-passkey")
	tb.waitFor("The passkey is added.")
	tb.waitIn("#methods", "Passkey added on")
	if n := removeButtons(); n != "2" {
		t.Fatalf("%s Remove buttons for two ways in", n)
	}
	tb.shot("two")
	tb.click(`#methods li[data-provider="passkey"] button`)
	tb.waitIn("#ways", "Removed: Passkey added on")
	if n := removeButtons(); n != "0" || strings.Contains(tb.text("#methods"), "Passkey") {
		t.Fatalf("after the removal: %s Remove buttons, list %q", n, tb.text("#methods"))
	}
	tb.shot("removed")
	// The device still holds the passkey; the shop knows it no more.
	logOut(tb)
	tb.click("#passkey-login")
	tb.waitFor("That passkey is not known here.")
	logIn(tb, "grace@example.com", password)
	tb.heading("Your account")
}

// The address book: add two addresses, move the default shipping address,
// delete one.
func storefrontAddressBook(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	signUp(tb, mailbox, "Mary", "mary@example.com")
	tb.nav("addresses", "Your addresses")
	tb.waitFor("No addresses yet.")
	add := func(street, city, postal, country string, defaults bool) {
		tb.fill("#address-new", "First name", "Mary")
		tb.fill("#address-new", "Last name", "Jackson")
		tb.fill("#address-new", "Street and number", street)
		tb.fill("#address-new", "Postal code", postal)
		tb.fill("#address-new", "City", city)
		tb.do(chromedp.SetValue(chromedp.CSS("#new-country"), country))
		if defaults {
			tb.click("#new-ship")
			tb.click("#new-bill")
		}
		tb.click(`#address-new button[type=submit]`)
		tb.waitFor("The address book is saved.")
		tb.waitFor(street)
	}
	add("12 Hampton Road", "Hampton", "23669", "us", true)
	add("4 Langley Way", "Newport News", "23606", "us", false)
	tb.shot("two-addresses")
	defaultOf := func(kind string) string {
		return tb.eval(`[...document.querySelectorAll("[data-address]")].filter((li) => li.innerText.includes(` + "`" + `${"` + kind + `"}` + "`" + `))
			.map((li) => li.querySelector("address").innerText.split("\n")[1]).join(" | ")`)
	}
	if got := defaultOf("Default shipping"); got != "12 Hampton Road" {
		t.Fatalf("default shipping: %q", got)
	}
	tb.click(`button[aria-label="Make 4 Langley Way, Newport News the default shipping address"]`)
	tb.waitFor("The address book is saved.")
	tb.do(chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Make 12 Hampton Road, Hampton the default shipping address"]`)))
	if got := defaultOf("Default shipping"); got != "4 Langley Way" {
		t.Fatalf("default shipping after the switch: %q", got)
	}
	if got := defaultOf("Default billing"); got != "12 Hampton Road" {
		t.Fatalf("default billing after the shipping switch: %q", got)
	}
	tb.shot("default-moved")
	tb.eval(`(window.confirm = () => true, "")`)
	tb.click(`button[aria-label="Delete 12 Hampton Road, Hampton"]`)
	tb.waitFor("The address is deleted.")
	tb.do(chromedp.WaitNotPresent(chromedp.CSS(`button[aria-label="Delete 12 Hampton Road, Hampton"]`)))
	if n := tb.eval(`String(document.querySelectorAll("[data-address]").length)`); n != "1" {
		t.Fatalf("%s addresses after the deletion", n)
	}
	if got := defaultOf("Default shipping"); got != "4 Langley Way" {
		t.Fatalf("default shipping after the deletion: %q", got)
	}
}

// Log out everywhere ends the session of another browser too.
func storefrontLogoutEverywhere(t *testing.T, e *browserEnv, mailbox *tab) {
	laptop := e.tab(t, false)
	signUp(laptop, mailbox, "Hedy", "hedy@example.com")
	phone := e.tab(t, false)
	logIn(phone, "hedy@example.com", password)
	phone.heading("Your account")

	laptop.nav("security", "Security")
	laptop.click("#logout-all")
	laptop.heading("Log in")
	laptop.waitFor("You are logged out on every device.")
	laptop.shot("logged-out")
	phone.open("/storefront/account")
	phone.heading("Log in")
	phone.waitFor("Please log in to see that page.")
}

// Errors a person understands.
func storefrontErrors(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	signUp(tb, mailbox, "Ida", "ida@example.com")
	logOut(tb)

	tb.open("/storefront/register")
	tb.fill("#password-register", "Email", "ida@example.com")
	tb.fill("#password-register", "Password", "short")
	tb.submit("#password-register")
	tb.waitFor("Choose a password of at least 8 characters.")
	tb.fill("#password-register", "Password", password)
	tb.submit("#password-register")
	tb.waitFor("An account with this email exists already. Log in, or reset your password if you forgot it.")
	tb.shot("exists")

	// Wrong passwords: five are told so; then the account is locked for
	// a while, and the page says how long. The register above counted
	// one failure, so the fifth wrong password locks for a second, and
	// each further failure doubles the lock: on a loaded machine the next
	// page may come after a lock has lapsed (and count a failure), so a
	// few tries are allowed to meet one (the fourth meets one of 8 s).
	for range 5 {
		logIn(tb, "ida@example.com", "not the password")
		tb.waitFor("The email or password is not right.")
	}
	const locked, wrong = "Too many attempts. Please wait", "The email or password is not right."
	for try := 1; ; try++ {
		logIn(tb, "ida@example.com", "not the password")
		tb.until(fmt.Sprintf(`document.querySelector("main").innerText.includes(%q) || document.querySelector("main").innerText.includes(%q)`, locked, wrong), "an answer to the login")
		if strings.Contains(tb.text("main"), locked) {
			break
		}
		if try == 4 {
			t.Fatalf("no lock after %d more wrong passwords: %s", try, tb.text("main"))
		}
		t.Logf("try %d: the lock had lapsed when the login came", try)
	}
	// Screen readers hear it: the page's live region says it too.
	tb.waitIn("#announce", "Too many attempts. Please wait")
	tb.shot("throttled")

	tb.open("/storefront/nowhere")
	tb.heading("Page not found")
}

// Every field has a label and every button a name, on every page; a
// customer logs in with the keyboard alone.
func storefrontKeyboardAndLabels(t *testing.T, e *browserEnv, mailbox *tab) {
	tb := e.tab(t, false)
	const unlabelled = `[...document.querySelectorAll("main input, main select, main button")].filter((el) =>
		el.tagName === "BUTTON" ? !(el.getAttribute("aria-label") || el.textContent.trim()) : el.labels.length === 0)
		.map((el) => el.outerHTML).join("\n")`
	for _, p := range []string{"login", "register", "forgot", "mailbox"} {
		tb.open("/storefront/" + p)
		if bad := tb.eval(unlabelled); bad != "" {
			t.Errorf("/storefront/%s: without a label or name:\n%s", p, bad)
		}
	}
	signUp(tb, mailbox, "Annie", "annie@example.com")
	for _, p := range []string{"account", "addresses", "security"} {
		tb.open("/storefront/" + p)
		tb.do(chromedp.WaitVisible(chromedp.CSS("main form, main section")))
		if bad := tb.eval(unlabelled); bad != "" {
			t.Errorf("/storefront/%s: without a label or name:\n%s", p, bad)
		}
	}
	logOut(tb)

	// The skip link is the first stop, and takes the focus to the page's
	// content without leaving the page.
	tb.open("/storefront/login")
	tb.do(chromedp.KeyEvent(kb.Tab))
	if got := tb.eval(`document.activeElement.id`); got != "skip" {
		t.Fatalf("the first Tab stop is %q, want the skip link", got)
	}
	tb.do(chromedp.KeyEvent(kb.Enter))
	tb.until(`document.activeElement.id === "main"`, "the focus on the content")
	if got := tb.eval(`location.pathname + location.hash`); got != "/storefront/login" {
		t.Fatalf("the skip link went to %s", got)
	}

	// Tab from the top of the page to the email field, type, Tab to the
	// password, type, Enter.
	tb.open("/storefront/login")
	focused := func() string {
		return tb.eval(`document.activeElement ? document.activeElement.name || document.activeElement.id : ""`)
	}
	for i := 0; focused() != "email"; i++ {
		if i == 15 {
			t.Fatal("Tab never reached the email field")
		}
		tb.do(chromedp.KeyEvent(kb.Tab))
	}
	tb.do(chromedp.KeyEvent("annie@example.com"), chromedp.KeyEvent(kb.Tab))
	if f := focused(); f != "password" {
		t.Fatalf("Tab from the email field went to %q", f)
	}
	tb.do(chromedp.KeyEvent(password), chromedp.KeyEvent(kb.Enter))
	tb.heading("Your account")
	tb.shot("keyboard-login")
}

const password = "correct horse battery"

// signUp registers a customer with a password through the storefront,
// with the email verification the server asks for, and leaves tb on the
// account page.
func signUp(tb *tab, mailbox *tab, first, email string) {
	tb.t.Helper()
	tb.open("/storefront/register")
	tb.fill("#password-register", "First name", first)
	tb.fill("#password-register", "Email", email)
	tb.fill("#password-register", "Password", password)
	tb.submit("#password-register")
	tb.heading("Verify your email")
	code, _ := mailbox.as(tb.t).mail(email, "Confirm your email address")
	tb.fill("#verify-code", "Code from the email", code)
	tb.submit("#verify-code")
	tb.heading("Your account")
}

// askSignUpCode fills the register page's passwordless form (a passkey
// made afterwards is ticked by default where passkeys work) and waits for
// the page that asks for the mailed code.
func askSignUpCode(tb *tab, first, last, email string) {
	tb.t.Helper()
	tb.open("/storefront/register")
	tb.fill("#magic-request", "First name", first)
	tb.fill("#magic-request", "Last name", last)
	tb.fill("#magic-request", "Email", email)
	tb.submit("#magic-request")
	tb.heading("Check your email")
}

// logIn logs in with email and password from the login page.
func logIn(tb *tab, email, pw string) {
	tb.t.Helper()
	tb.open("/storefront/login")
	tb.fill("#password-login", "Email", email)
	tb.fill("#password-login", "Password", pw)
	tb.submit("#password-login")
}

// passkeyLogIn logs in with the tab's passkey and waits for the account
// page's welcome of first.
func passkeyLogIn(tb *tab, first string) {
	tb.t.Helper()
	tb.click("#passkey-login")
	tb.heading("Your account")
	tb.waitFor("Welcome, " + first + "!")
}

func logOut(tb *tab) {
	tb.t.Helper()
	tb.click("#logout")
	tb.heading("Log in")
	tb.waitFor("You are logged out.")
}

// TestStorefrontMinimal: a server with passwords alone. The storefront
// shows what the server offers and nothing else, and says in words what
// it lacks.
func TestStorefrontMinimal(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests: not with -short")
	}
	e := startBrowserEnv(t, map[string]string{
		"MAGIC_LINK": "off", "OIDC_FAKE": "false", "WEBAUTHN_RP_ID": "", "WEBAUTHN_ORIGINS": "",
		"AUTH_MFA_ENCRYPTION_KEY": "", "AUTH_VERIFICATIONS_PER_ACTOR": "", "DEV_MAILBOX": "off",
	})
	tb := e.tab(t, true)
	present := func(sel string) bool { return tb.eval(`String(!!document.querySelector(`+"`"+sel+"`"+`))`) == "true" }
	for _, p := range []string{"login", "register"} {
		tb.open("/storefront/" + p)
		for _, sel := range []string{"#magic-request", "#passkey-form", "[id^=social-]", `nav a[href="mailbox"]`} {
			if present(sel) {
				t.Errorf("/storefront/%s shows %s, which the server does not offer", p, sel)
			}
		}
	}
	tb.open("/storefront/register")
	tb.fill("#password-register", "First name", "Joan")
	tb.fill("#password-register", "Email", "joan@example.com")
	tb.fill("#password-register", "Password", password)
	tb.submit("#password-register")
	tb.heading("Your account")
	tb.waitFor("Welcome, Joan!")
	tb.nav("security", "Security")
	tb.do(chromedp.WaitVisible(chromedp.CSS("#mfa-start")))
	if present("#add-passkey") || present("#mfa-passkey-on") {
		t.Error("the security page offers passkeys, which the server does not have")
	}
	tb.click("#mfa-start")
	tb.waitFor("Two-step verification is not available on this shop yet.")
	tb.shot("no-mfa")
	tb.open("/storefront/mailbox")
	tb.heading("Mailbox")
	tb.waitFor("This server has no development mailbox.")
}
