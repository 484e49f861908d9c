// End-to-end test of bounded input, cookies and headers: what a client
// sees when it sends what no backend should receive (NUL bytes, a body
// over the limit, a huge q, a fields bomb), and the cookie and headers a
// browser gets.
//
//	cd e2e && npm ci && npm test
import { test } from "node:test"
import assert from "node:assert/strict"
import { startServer } from "./server.mjs"

const srv = startServer()

// customer registers a customer account and returns its SDK, logged in.
async function customer(email) {
  const s = srv.sdk()
  await s.auth.register("customer", "emailpass", { email, password: "supersecret" })
  await s.store.customer.create({ email, first_name: "Ada" })
  await s.auth.refresh()
  return s
}

async function bearer(email) {
  const r = await fetch(`${srv.base}/auth/customer/emailpass`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password: "supersecret" }),
  })
  assert.equal(r.status, 200)
  return (await r.json()).token
}

const invalid = (field) => (e) => e.status === 400 && new RegExp(field).test(e.message)

test("a NUL byte in a login email is a 400 invalid_data, never database text", async () => {
  await customer("nul@example.com")
  const s = srv.sdk()
  await assert.rejects(s.auth.login("customer", "emailpass", { email: "nul\u0000@example.com", password: "supersecret" }), invalid("'email' must not contain a NUL byte"))
  const r = await fetch(`${srv.base}/auth/customer/emailpass`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: "nul@example.com\u0000", password: "supersecret" }),
  })
  assert.equal(r.status, 400)
  const body = await r.json()
  assert.equal(body.type, "invalid_data")
  assert.doesNotMatch(JSON.stringify(body), /SQLSTATE|byte sequence|0x00/)
  // Registration and profile updates likewise; the account is unharmed.
  await assert.rejects(s.auth.register("customer", "emailpass", { email: "x\u0000@example.com", password: "supersecret" }), invalid("'email'"))
  const me = await customer("nul2@example.com")
  await assert.rejects(me.store.customer.update({ first_name: "A\u0000" }), invalid("'first_name' must not contain a NUL byte"))
  await assert.rejects(me.store.customer.update({ metadata: { k: "\u0000" } }), invalid("'metadata.k'"))
  assert.equal((await me.store.customer.retrieve()).customer.first_name, "Ada")
  await s.auth.login("customer", "emailpass", { email: "nul@example.com", password: "supersecret" })
})

test("a 5 MB body gets a 413 the client can read", async () => {
  const big = JSON.stringify({ email: "a".repeat(5 << 20) + "@example.com", password: "supersecret" })
  for (const path of ["/auth/customer/emailpass", "/auth/customer/emailpass/register"]) {
    const r = await fetch(`${srv.base}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: big })
    assert.equal(r.status, 413)
    const body = await r.json()
    assert.equal(body.message, "request entity too large")
  }
  // The server still answers.
  const r = await fetch(`${srv.base}/health`)
  assert.equal(r.status, 200)
})

test("a huge q is a 400 naming q", async () => {
  const s = await customer("q@example.com")
  const words = (n) => Array.from({ length: n }, () => "ab").join(" ")
  await assert.rejects(s.store.customer.listAddress({ q: words(1000) }), invalid("invalid q: must be at most 256 bytes"))
  await assert.rejects(s.store.customer.listAddress({ q: words(9) }), invalid("invalid q: must have at most 8 words"))
  const ok = await s.store.customer.listAddress({ q: words(8) })
  assert.equal(ok.count, 0)
})

test("a fields bomb is a 400", async () => {
  await customer("fields@example.com")
  const token = await bearer("fields@example.com")
  const names = Array.from({ length: 40000 }, (_, i) => `f${i}`).join(",")
  const r = await fetch(`${srv.base}/store/customers/me?fields=${names}`, { headers: { Authorization: `Bearer ${token}` } })
  assert.equal(r.status, 400)
  const body = await r.json()
  assert.equal(body.type, "invalid_data")
  assert.match(body.message, /'fields' must have at most 100 names/)
  const lim = await fetch(`${srv.base}/store/customers/me/addresses?limit=100000`, { headers: { Authorization: `Bearer ${token}` } })
  assert.equal(lim.status, 400)
})

test("cookies are Secure behind an HTTPS proxy; responses carry nosniff and no-store", async () => {
  await customer("cookie@example.com")
  const token = await bearer("cookie@example.com")
  const open = (headers) => fetch(`${srv.base}/auth/session`, { method: "POST", headers: { Authorization: `Bearer ${token}`, ...headers } })
  let r = await open({ "X-Forwarded-Proto": "https" })
  assert.equal(r.status, 200)
  assert.match(r.headers.get("set-cookie"), /connect\.sid=.*; Secure/i)
  assert.equal(r.headers.get("x-content-type-options"), "nosniff")
  assert.equal(r.headers.get("cache-control"), "no-store")
  r = await open({})
  assert.doesNotMatch(r.headers.get("set-cookie"), /Secure/i)
  r = await fetch(`${srv.base}/store/customers/me`)
  assert.equal(r.status, 401)
  assert.equal(r.headers.get("x-content-type-options"), "nosniff")
})
