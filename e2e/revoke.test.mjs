// End-to-end test of token revocation: examples/server driven by Medusa's
// JS SDK. A token issued before a password reset, or before a logout
// everywhere, is refused (401) for reading the account, refreshing and
// opening a cookie session; a new login works at once.
//
//	cd e2e && npm ci && npm test
import { test } from "node:test"
import assert from "node:assert/strict"
import { startServer } from "./server.mjs"

const srv = startServer()

const unauthorized = (e) => e.status === 401

async function post(path, token, body) {
  const headers = { authorization: `Bearer ${token}` }
  if (body !== undefined) headers["content-type"] = "application/json"
  return fetch(srv.base + path, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) })
}

const signUp = srv.signUp


test("a password reset refuses the tokens issued before it", async () => {
  const email = "reset@example.com"
  const { s: old, customer } = await signUp(email, "supersecret")
  const oldToken = await old.client.getToken()
  assert.equal((await old.store.customer.retrieve()).customer.id, customer.id)

  const other = srv.sdk()
  await other.auth.resetPassword("customer", "emailpass", { identifier: email })
  await other.auth.updateProvider("customer", "emailpass", { password: "a brand new password" }, await srv.resetToken(email))

  await assert.rejects(old.store.customer.retrieve(), unauthorized)
  await assert.rejects(old.auth.refresh(), unauthorized)
  const session = await post("/auth/session", oldToken)
  assert.equal(session.status, 401)
  assert.equal(session.headers.get("set-cookie"), null)

  // A login right after the reset works.
  const fresh = srv.sdk()
  await fresh.auth.login("customer", "emailpass", { email, password: "a brand new password" })
  assert.equal((await fresh.store.customer.retrieve()).customer.id, customer.id)
  await fresh.auth.refresh()
  assert.equal((await fresh.store.customer.retrieve()).customer.id, customer.id)
  const ok = await post("/auth/session", await fresh.client.getToken())
  assert.equal(ok.status, 200)
})

test("logout everywhere refuses every token of the identity", async () => {
  const email = "everywhere@example.com"
  const { s: phone } = await signUp(email, "supersecret")
  const laptop = srv.sdk()
  await laptop.auth.login("customer", "emailpass", { email, password: "supersecret" })
  const { s: bystander } = await signUp("bystander@example.com", "supersecret")

  assert.equal((await post("/auth/logout-all", "not-a-token")).status, 401)
  const r = await post("/auth/logout-all", await laptop.client.getToken())
  assert.equal(r.status, 200)
  assert.deepEqual(await r.json(), { success: true })

  await assert.rejects(phone.store.customer.retrieve(), unauthorized)
  await assert.rejects(laptop.store.customer.retrieve(), unauthorized)
  await assert.rejects(phone.auth.refresh(), unauthorized)
  assert.ok((await bystander.store.customer.retrieve()).customer)

  const again = srv.sdk()
  await again.auth.login("customer", "emailpass", { email, password: "supersecret" })
  assert.equal((await again.store.customer.retrieve()).customer.email, email)
})

test("deleting the account refuses its tokens", async () => {
  const { s, customer } = await signUp("leaving@example.com", "supersecret")
  const admin = srv.sdk()
  await admin.auth.login("user", "emailpass", { email: "admin@example.com", password: "supersecret" })
  await admin.admin.customer.delete(customer.id)
  await assert.rejects(s.store.customer.retrieve(), unauthorized)
  await assert.rejects(s.auth.refresh(), unauthorized)
})
