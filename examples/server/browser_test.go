package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The storefront (examples/storefront) in headless Chromium, driven through
// the DevTools protocol by chromedp: every way in and every account page,
// against examples/server as main starts it. The browser is Debian's
// chromium (or CHROMIUM_PATH); without one the test skips, except under
// CI=true, where it fails. Screenshots of every page go to
// STOREFRONT_SCREENSHOTS (default: clientele-storefront-screenshots in the
// system's temporary folder); the test logs the folder.

// browserEnv is one server and one browser for the storefront tests.
type browserEnv struct {
	origin  string // http://localhost:port: a secure context, and the passkeys' relying party
	browser context.Context
	shots   string

	mu        sync.Mutex
	seq       int      // screenshots taken
	clients   int      // windows opened
	mailsSeen []string // ids of the mails mail returned
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (install Debian's chromium or set CHROMIUM_PATH); CI runs the browser tests")
	}
	t.Skip("no Chromium found: install Debian's chromium or set CHROMIUM_PATH to run the browser tests")
	return ""
}

// startBrowserEnv starts examples/server with the storefront, its mailbox
// and every provider the storefront shows, and one headless Chromium.
func startBrowserEnv(t *testing.T, extra map[string]string) *browserEnv {
	t.Helper()
	chrome := chromiumPath(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	env := map[string]string{
		"JWT_SECRET":                   "storefront-browser-test-secret-0123456789",
		"STOREFRONT":                   "on",
		"DEV_MAILBOX":                  "on",
		"MAGIC_LINK":                   "register",
		"OIDC_FAKE":                    "true",
		"OIDC_FAKE_EMAIL":              "grace.social@example.com",
		"OIDC_CALLBACK_URL":            origin + "/storefront/callback/oidc",
		"WEBAUTHN_RP_ID":               "localhost",
		"WEBAUTHN_ORIGINS":             origin,
		"WEBAUTHN_RP_NAME":             "Clientele Shop",
		"AUTH_MFA_ENCRYPTION_KEY":      "storefront-browser-test-mfa-key",
		"AUTH_VERIFICATIONS_PER_ACTOR": `{"customer":[{"auth_provider":"emailpass","entity_type":"email"}]}`,
		"SCRYPT_LOG_N":                 "4",
		"TRUSTED_PROXIES":              "127.0.0.1,::1",
	}
	for k, v := range extra {
		env[k] = v
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	waitHealthy(t, origin)

	shots := os.Getenv("STOREFRONT_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "clientele-storefront-screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// This run's screenshots replace the last run's.
	old, _ := filepath.Glob(filepath.Join(shots, "[0-9][0-9]-"+strings.ReplaceAll(t.Name(), "/", "-")+"-*.png"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	t.Logf("screenshots of every page: %s", shots)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.WindowSize(1100, 1000),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(browser); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start Chromium (%s): %v", chrome, err)
	}
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return &browserEnv{origin: origin, browser: browser, shots: shots}
}

func waitHealthy(t *testing.T, origin string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(origin + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not answer /health: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tab is one browser window with its own cookies and storage (a browser
// context of its own) and, when withPasskeys, a virtual authenticator
// that holds resident keys and verifies its user.
type tab struct {
	t   *testing.T
	env *browserEnv
	ctx context.Context
}

func (e *browserEnv) tab(t *testing.T, withPasskeys bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	// Each window is a client of its own, at an address of its own, as
	// the server reads it behind a trusted proxy (TRUSTED_PROXIES): the
	// per-address limits count each window apart, as they count people.
	e.mu.Lock()
	e.clients++
	addr := fmt.Sprintf("198.51.100.%d", e.clients)
	e.mu.Unlock()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"X-Forwarded-For": addr}})
		return err
	}))
	if err != nil {
		t.Fatalf("client address: %v", err)
	}
	if withPasskeys {
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
				Options: &webauthn.VirtualAuthenticatorOptions{
					Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: "ctap2_1",
					Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
					HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
				},
			})
			return err
		}))
		if err != nil {
			t.Fatalf("virtual authenticator: %v", err)
		}
	}
	return &tab{t: t, env: e, ctx: ctx}
}

// do runs actions with a deadline, and fails the test with a screenshot of
// the page when one fails.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.shot("FAILED")
		tb.t.Fatalf("%v\npage: %s", err, tb.text("main"))
	}
}

// open loads path of the storefront and waits for its heading.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.env.origin+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// fill types into the field labelled label (through its <label>, as a
// person finds it), in the form sel.
func (tb *tab) fill(sel, label, value string) {
	tb.t.Helper()
	find := fmt.Sprintf(`(() => {
		const l = [...document.querySelectorAll(%q + " label")].find((l) => l.textContent.trim() === %q)
		return l ? l.htmlFor : ""
	})()`, sel, label)
	tb.until(find+` !== ""`, fmt.Sprintf("a field labelled %q in %s", label, sel))
	id := tb.eval(find)
	tb.eval(fmt.Sprintf(`(document.getElementById(%q).value = "", "")`, id))
	tb.do(chromedp.SendKeys(chromedp.CSS("#"+id), value))
}

// submit presses Enter in the form's last text field: the keyboard, not a
// click.
func (tb *tab) submit(sel string) {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.CSS(sel+" input:not([type=checkbox]):last-of-type"), kb.Enter))
}

func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// eval evaluates a JavaScript expression whose value is a string.
func (tb *tab) eval(expr string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

func (tb *tab) text(sel string) string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel)))
	return s
}

// waitFor waits until the page's main shows text (case-sensitive).
func (tb *tab) waitFor(text string) {
	tb.t.Helper()
	tb.waitIn("main", text)
}

func (tb *tab) waitIn(sel, text string) {
	tb.t.Helper()
	tb.until(fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText.includes(%q)`, sel, text),
		fmt.Sprintf("%q in %s", text, sel))
}

// until evaluates the JavaScript condition cond every 50 ms until it is
// true, through page loads (a navigation that interrupts one evaluation
// is retried), for 20 seconds at most.
func (tb *tab) until(cond, what string) {
	tb.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	tb.shot("FAILED")
	tb.t.Fatalf("waiting for %s (last error: %v)\npage: %s", what, last, tb.text("main"))
}

// nav follows the main menu's link to href and waits for its page.
func (tb *tab) nav(href, title string) {
	tb.t.Helper()
	tb.click(`nav a[href="` + href + `"]`)
	tb.heading(title)
}

// heading waits for the page whose h1 is title.
func (tb *tab) heading(title string) {
	tb.t.Helper()
	tb.waitIn("main h1", title)
}

// shot saves a screenshot of the whole page (PNG) as NN-Test-name.png.
func (tb *tab) shot(name string) {
	e := tb.env
	e.mu.Lock()
	e.seq++
	n := e.seq
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := fmt.Sprintf("%02d-%s-%s.png", n, strings.ReplaceAll(tb.t.Name(), "/", "-"), name)
	if err := os.WriteFile(filepath.Join(e.shots, file), png, 0o644); err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
	}
}

// as returns the tab for the test t: its failures fail t.
func (tb *tab) as(t *testing.T) *tab {
	c := *tb
	c.t = t
	return &c
}

// mail opens the mailbox page and waits for the newest mail to to with the
// subject that no earlier call returned (the mails of an action arrive
// after its answer); it returns its code and link.
func (tb *tab) mail(to, subject string) (code, link string) {
	tb.t.Helper()
	tb.open("/storefront/mailbox")
	e := tb.env
	e.mu.Lock()
	seen, _ := json.Marshal(append([]string{}, e.mailsSeen...))
	e.mu.Unlock()
	find := fmt.Sprintf(`(() => {
		const seen = %s
		document.querySelector("#refresh-mail").click()
		const m = [...document.querySelectorAll("[data-mail]")].find((li) => !seen.includes(li.dataset.mail) &&
			li.querySelector("h2").textContent === %q && li.innerText.includes("To " + %q))
		if (!m) return ""
		const code = m.querySelector("[data-code]"), link = m.querySelector("[data-mail-link]")
		return JSON.stringify({id: m.dataset.mail, code: code ? code.textContent : "", link: link ? link.href : ""})
	})()`, seen, subject, to)
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Poll[string](find, chromedp.WithPollingInterval(200*time.Millisecond)))
	if err != nil {
		tb.shot("FAILED")
		tb.t.Fatalf("no new mail %q to %s: %v\nmailbox: %s", subject, to, err, tb.text("main"))
	}
	var m struct{ ID, Code, Link string }
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		tb.t.Fatal(err)
	}
	e.mu.Lock()
	e.mailsSeen = append(e.mailsSeen, m.ID)
	e.mu.Unlock()
	return m.Code, m.Link
}
