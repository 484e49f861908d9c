// End-to-end test of changing a password while logged in: examples/server
// driven by Medusa's JS SDK, and plain fetch for
// POST /auth/{actor_type}/emailpass/change-password, a clientele route the
// SDK has no method for. The current password is checked; on success
// every other token and session of the identity is refused, the caller
// goes on with the token the answer carries, and only the new password
// logs in.
//
//	cd e2e && npm ci && npm test
import { test } from "node:test"
import assert from "node:assert/strict"
import { startServer } from "./server.mjs"

const srv = startServer()

const unauthorized = (e) => e.status === 401

function changePassword(auth, body, actor = "customer") {
  const headers = { "content-type": "application/json", ...auth }
  return fetch(`${srv.base}/auth/${actor}/emailpass/change-password`, { method: "POST", headers, body: JSON.stringify(body) })
}

const bearer = (token) => ({ authorization: `Bearer ${token}` })

const signUp = srv.signUp

test("a logged-in customer changes its password", async () => {
  const email = "pw-change@example.com"
  const { s: phone, customer } = await signUp(email, "supersecret")
  const laptop = srv.sdk()
  await laptop.auth.login("customer", "emailpass", { email, password: "supersecret" })
  // A cookie session opened from the laptop's token.
  const opened = await fetch(`${srv.base}/auth/session`, { method: "POST", headers: bearer(await laptop.client.getToken()) })
  assert.equal(opened.status, 200)
  const cookie = opened.headers.get("set-cookie").split(";")[0]
  const me = (headers) => fetch(`${srv.base}/store/customers/me`, { headers })
  assert.equal((await me({ cookie })).status, 200)

  // Refusals: a wrong current password, a short new one, no token.
  let r = await changePassword(bearer(await phone.client.getToken()), { current_password: "wrong-password", new_password: "a brand new password" })
  assert.equal(r.status, 400)
  assert.deepEqual(await r.json(), { type: "invalid_data", message: "Invalid current password" })
  r = await changePassword(bearer(await phone.client.getToken()), { current_password: "supersecret", new_password: "short" })
  assert.equal(r.status, 400)
  r = await changePassword({}, { current_password: "supersecret", new_password: "a brand new password" })
  assert.equal(r.status, 401)
  assert.equal((await phone.store.customer.retrieve()).customer.id, customer.id)

  // The phone changes the password and goes on with the token it gets.
  r = await changePassword(bearer(await phone.client.getToken()), { current_password: "supersecret", new_password: "a brand new password" })
  assert.equal(r.status, 200)
  const body = await r.json()
  assert.equal(body.success, true)
  assert.equal(typeof body.token, "string")
  await phone.client.setToken(body.token)
  assert.equal((await phone.store.customer.retrieve()).customer.id, customer.id)
  await phone.auth.refresh()
  assert.equal((await phone.store.customer.retrieve()).customer.id, customer.id)

  // Every other token and session of the identity is refused.
  await assert.rejects(laptop.store.customer.retrieve(), unauthorized)
  await assert.rejects(laptop.auth.refresh(), unauthorized)
  assert.equal((await me({ cookie })).status, 401)

  // Only the new password logs in.
  await assert.rejects(srv.sdk().auth.login("customer", "emailpass", { email, password: "supersecret" }), unauthorized)
  const again = srv.sdk()
  await again.auth.login("customer", "emailpass", { email, password: "a brand new password" })
  assert.equal((await again.store.customer.retrieve()).customer.email, email)

  const changed = srv.events().filter((e) => e.name === "auth.password_changed" && e.data.entity_id === email)
  assert.equal(changed.length, 1)
})

test("a session caller gets a new session", async () => {
  const email = "pw-session@example.com"
  const { s } = await signUp(email, "supersecret")
  const opened = await fetch(`${srv.base}/auth/session`, { method: "POST", headers: bearer(await s.client.getToken()) })
  const cookie = opened.headers.get("set-cookie").split(";")[0]
  const r = await changePassword({ cookie }, { current_password: "supersecret", new_password: "a brand new password" })
  assert.equal(r.status, 200)
  const next = r.headers.get("set-cookie").split(";")[0]
  assert.notEqual(next, cookie)
  assert.equal((await fetch(`${srv.base}/store/customers/me`, { headers: { cookie: next } })).status, 200)
  assert.equal((await fetch(`${srv.base}/store/customers/me`, { headers: { cookie } })).status, 401)
})

test("a token of another actor type is refused", async () => {
  // (The admin's own change is tested in Go: on PostgreSQL every test
  // file's server shares the admin identity, so none changes its password.)
  const admin = srv.sdk()
  await admin.auth.login("user", "emailpass", { email: "admin@example.com", password: "supersecret" })
  const r = await changePassword(bearer(await admin.client.getToken()), { current_password: "supersecret", new_password: "an admin password" })
  assert.equal(r.status, 401)
  await srv.sdk().auth.login("user", "emailpass", { email: "admin@example.com", password: "supersecret" })
})
