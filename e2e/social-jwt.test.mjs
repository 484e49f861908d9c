// End-to-end test: social login through the stock JS SDK in JWT mode.
//
// In JWT mode the SDK sends every request with credentials: "omit", so
// the browser binding cannot be a cookie. The storefront keeps a random
// binding in its own storage (sessionStorage in a browser), sends it in
// the body of auth.login and adds it to the query of auth.callback; the
// server ties the OAuth state to it. The helpers below are what a
// storefront does; the fake identity provider (OIDC_FAKE) approves every
// login at once.
import { test } from "node:test"
import assert from "node:assert/strict"
import { startServer } from "./server.mjs"

// Its own fake user: on one PostgreSQL database the other files' servers
// share accounts, and sdk.test.mjs signs up the default one.
const srv = startServer({ AUTH_METHODS_PER_ACTOR: JSON.stringify({ user: ["emailpass"] }), OIDC_FAKE_EMAIL: "hopper.social@example.com" })

const BINDING_KEY = "clientele.state_binding"

// A browser: its own SDK (JWT mode, token in memory) and its own
// sessionStorage.
function browser() {
  const items = new Map()
  const sessionStorage = {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  }
  return { sdk: srv.sdk(), sessionStorage }
}

// beginSocialLogin is the storefront's "Continue with …" button: a fresh
// binding for every login (256 random bits from the Web Crypto API), kept
// in sessionStorage and sent in the body of auth.login. It returns the
// authorization URL to send the browser to.
async function beginSocialLogin(b, provider) {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  const binding = Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("")
  b.sessionStorage.setItem(BINDING_KEY, binding)
  const res = await b.sdk.auth.login("customer", provider, { state_binding: binding })
  assert.equal(typeof res, "object")
  return res.location
}

// finishSocialLogin is the storefront's callback page. It passes on only
// the parameters the identity provider sends (never a binding from the
// URL, which anyone can write), adds the binding from its own storage,
// and forgets it: a binding serves one login.
async function finishSocialLogin(b, provider, callbackURL) {
  const binding = b.sessionStorage.getItem(BINDING_KEY)
  b.sessionStorage.removeItem(BINDING_KEY)
  if (!binding) throw new Error("no login under way in this browser")
  const params = new URL(callbackURL).searchParams
  const query = { state_binding: binding }
  for (const k of ["code", "state", "error", "error_description", "error_uri"]) {
    if (params.has(k)) query[k] = params.get(k)
  }
  return b.sdk.auth.callback("customer", provider, query)
}

// approve plays the identity provider's page: it approves the login and
// returns the callback URL it redirects the browser to.
async function approve(location) {
  const res = await fetch(location, { redirect: "manual" })
  assert.equal(res.status, 302)
  return res.headers.get("location")
}

const unauthorized = (message) => (e) => e.status === 401 && (message === undefined || e.message === message)

test("the providers an actor type may use", async () => {
  const { sdk } = browser()
  const customer = await sdk.auth.listProviders("customer")
  assert.deepEqual(customer.providers.map((p) => [p.id, p.flow]), [["emailpass", "credentials"], ["oidc", "redirect"]])
  // AUTH_METHODS_PER_ACTOR restricts "user" to emailpass.
  const user = await sdk.auth.listProviders("user")
  assert.deepEqual(user.providers.map((p) => p.id), ["emailpass"])
  await assert.rejects(sdk.auth.login("user", "oidc", {}), (e) => e.status === 400 && /not allowed to use the auth provider oidc/.test(e.message))
  await assert.rejects(sdk.auth.listProviders("robot"), (e) => e.status === 400 && e.message === "Unknown actor type robot")
})

test("social login in JWT mode: binding in the storefront's storage", async () => {
  const b = browser()
  const location = await beginSocialLogin(b, "oidc")
  const callbackURL = await approve(location)
  const token = await finishSocialLogin(b, "oidc", callbackURL)
  assert.equal(typeof token, "string")
  assert.equal(b.sessionStorage.getItem(BINDING_KEY), null)

  // The SDK keeps the registration token: the customer account, only for
  // the email the identity provider verified, then a token with the actor.
  await assert.rejects(b.sdk.store.customer.create({ email: "jane.doe@example.com" }),
    (e) => e.status === 400 && /email this login has proved/.test(e.message))
  const { customer } = await b.sdk.store.customer.create({ email: "hopper.social@example.com", first_name: "Grace" })
  await b.sdk.auth.refresh()
  assert.equal((await b.sdk.store.customer.retrieve()).customer.id, customer.id)

  // The callback cannot be replayed, even with its binding.
  const query = Object.fromEntries(new URL(callbackURL).searchParams)
  await assert.rejects(browser().sdk.auth.callback("customer", "oidc", query), unauthorized())

  // The next login of the same customer finds the account.
  const again = browser()
  await finishSocialLogin(again, "oidc", await approve(await beginSocialLogin(again, "oidc")))
  await again.sdk.auth.refresh()
  assert.equal((await again.sdk.store.customer.retrieve()).customer.id, customer.id)
})

test("a callback without its login's binding fails", async () => {
  const b = browser()
  let callbackURL = await approve(await beginSocialLogin(b, "oidc"))
  const query = Object.fromEntries(new URL(callbackURL).searchParams)
  // No binding at all: refused, and the state is spent.
  await assert.rejects(b.sdk.auth.callback("customer", "oidc", query),
    unauthorized("A login must be bound to the browser that starts it: the browser binding is missing"))
  await assert.rejects(finishSocialLogin(b, "oidc", callbackURL), unauthorized("No state provided, or session expired"))

  // Another binding, such as that of another login of the same browser.
  const first = await approve(await beginSocialLogin(b, "oidc"))
  const stale = b.sessionStorage.getItem(BINDING_KEY)
  callbackURL = await approve(await beginSocialLogin(b, "oidc"))
  await assert.rejects(b.sdk.auth.callback("customer", "oidc", { ...Object.fromEntries(new URL(first).searchParams), state_binding: b.sessionStorage.getItem(BINDING_KEY) }),
    unauthorized("This login was started in another browser"))
  await assert.rejects(b.sdk.auth.callback("customer", "oidc", { ...Object.fromEntries(new URL(callbackURL).searchParams), state_binding: stale }),
    unauthorized("This login was started in another browser"))
  await assert.rejects(b.sdk.store.customer.retrieve(), (e) => e.status === 401)

  // A malformed binding never starts a login.
  await assert.rejects(b.sdk.auth.login("customer", "oidc", { state_binding: "1234" }),
    (e) => e.status === 400 && /state_binding/.test(e.message))
})

test("login CSRF: the attacker's callback link does not log the victim in", async () => {
  // The attacker starts a login and has the identity provider approve it
  // (with the attacker's own account), but does not finish it: the
  // callback link goes to the victim, with the attacker's binding written
  // into it for good measure.
  const attacker = browser()
  const link = new URL(await approve(await beginSocialLogin(attacker, "oidc")))
  link.searchParams.set("state_binding", attacker.sessionStorage.getItem(BINDING_KEY))

  // A victim with no login under way: the storefront has no binding and
  // sends nothing.
  const idle = browser()
  await assert.rejects(finishSocialLogin(idle, "oidc", link.href), /no login under way/)
  // A victim in the middle of a login of their own: the storefront sends
  // the victim's binding, which is not the attacker's.
  const victim = browser()
  await beginSocialLogin(victim, "oidc")
  await assert.rejects(finishSocialLogin(victim, "oidc", link.href), unauthorized("This login was started in another browser"))
  await assert.rejects(victim.sdk.store.customer.retrieve(), (e) => e.status === 401)
  assert.ok(!(await victim.sdk.client.getToken()), "the victim holds a token")
})
