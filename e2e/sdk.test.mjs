// End-to-end test: examples/server driven by Medusa's own JS SDK
// (@medusajs/js-sdk 2.21.2, pinned by package-lock.json).
//
//	cd e2e && npm ci && npm test
//
// The test builds ./examples/server with the machine's Go, starts it on a
// free port (in-memory store, or PostgreSQL when DATABASE_URL is set) with
// the oidctest fake identity provider, and drives it.
import { test } from "node:test"
import assert from "node:assert/strict"
import { startServer } from "./server.mjs"

const srv = startServer()

const sdk = () => srv.sdk()

test("customer: register, account, me, addresses, refresh, reset, logout", async () => {
  const s = sdk()
  const email = "ada@example.com"
  await s.auth.register("customer", "emailpass", { email, password: "supersecret" })
  const { customer } = await s.store.customer.create({ email, first_name: "Ada" })
  assert.equal(customer.email, email)
  assert.equal(customer.has_account, true)

  // The registration token has no actor: refresh gets one with the customer id.
  const { token } = await s.auth.refresh()
  assert.ok(token)
  const me = await s.store.customer.retrieve()
  assert.equal(me.customer.id, customer.id)

  const upd = await s.store.customer.update({ last_name: "Lovelace" })
  assert.equal(upd.customer.last_name, "Lovelace")
  await assert.rejects(s.store.customer.update({ email: "x@example.com" }), (e) => e.status === 400 && /Unrecognized fields: 'email'/.test(e.message))

  // Addresses, with default switching.
  let r = await s.store.customer.createAddress({ address_1: "1 Rue", city: "Paris", country_code: "fr", is_default_shipping: true })
  const first = r.customer.addresses[0].id
  r = await s.store.customer.createAddress({ address_1: "2 Rue", city: "Lyon", country_code: "fr", is_default_shipping: true })
  assert.equal(r.customer.addresses.length, 2)
  const second = r.customer.addresses.find((a) => a.id !== first).id
  assert.equal(r.customer.addresses.find((a) => a.id === first).is_default_shipping, false)
  assert.equal(r.customer.addresses.find((a) => a.id === second).is_default_shipping, true)
  const list = await s.store.customer.listAddress({ limit: 1 })
  assert.equal(list.count, 2)
  assert.equal(list.addresses.length, 1)
  const one = await s.store.customer.retrieveAddress(first)
  assert.equal(one.address.city, "Paris")
  r = await s.store.customer.updateAddress(first, { city: "Marseille" })
  assert.equal(r.customer.addresses.find((a) => a.id === first).city, "Marseille")
  const del = await s.store.customer.deleteAddress(second)
  assert.equal(del.deleted, true)
  assert.equal(del.object, "address")
  assert.equal(del.id, customer.id)
  assert.equal(del.parent.addresses.length, 1)

  // Password reset through the events file.
  await s.auth.resetPassword("customer", "emailpass", { identifier: email })
  await s.auth.resetPassword("customer", "emailpass", { identifier: "ghost@example.com" })
  const reset = await srv.resetToken(email)
  await s.auth.updateProvider("customer", "emailpass", { password: "newpassword1" }, reset)
  await assert.rejects(s.auth.updateProvider("customer", "emailpass", { password: "again12345" }, reset), (e) => e.status === 401)

  const s2 = sdk()
  await assert.rejects(s2.auth.login("customer", "emailpass", { email, password: "supersecret" }), (e) => e.status === 401)
  await s2.auth.login("customer", "emailpass", { email, password: "newpassword1" })
  assert.equal((await s2.store.customer.retrieve()).customer.id, customer.id)
  await s2.auth.logout()
  await assert.rejects(s2.store.customer.retrieve(), (e) => e.status === 401)
})

test("admin: list and search customers, manage groups", async () => {
  const c = sdk()
  await c.auth.register("customer", "emailpass", { email: "grace@example.com", password: "supersecret" })
  const { customer } = await c.store.customer.create({ email: "grace@example.com", company_name: "Navy" })
  await assert.rejects(c.admin.customer.list(), (e) => e.status === 401)

  const a = sdk()
  await a.auth.login("user", "emailpass", { email: "admin@example.com", password: "supersecret" })
  const found = await a.admin.customer.list({ q: "navy" })
  assert.equal(found.count, 1)
  assert.equal(found.customers[0].id, customer.id)
  const created = await a.admin.customer.create({ email: "linus@example.org", first_name: "Linus" })
  assert.equal(created.customer.has_account, false)
  const accounts = await a.admin.customer.list({ has_account: true, fields: "id,email", order: "-email" })
  assert.ok(accounts.customers.every((x) => Object.keys(x).sort().join() === "email,id"))

  const { customer_group } = await a.admin.customerGroup.create({ name: "VIP" })
  await assert.rejects(a.admin.customerGroup.create({ name: "VIP" }), (e) => e.status === 400)
  await a.admin.customerGroup.batchCustomers(customer_group.id, { add: [customer.id, created.customer.id] })
  const members = await a.admin.customer.list({ groups: customer_group.id })
  assert.equal(members.count, 2)
  const groups = await a.admin.customerGroup.list({ q: "vi" })
  assert.equal(groups.count, 1)
  const gone = await a.admin.customerGroup.delete(customer_group.id)
  assert.equal(gone.deleted, true)
  await assert.rejects(a.admin.customerGroup.retrieve(customer_group.id), (e) => e.status === 404)

  const removed = await a.admin.customer.delete(created.customer.id)
  assert.equal(removed.deleted, true)
})

test("social login through the fake identity provider", async () => {
  const s = sdk()
  // First leg with plain fetch: Node's fetch keeps no cookies, and the
  // SDK sends none in JWT mode, so the binding cookie is carried by hand.
  const first = await fetch(`${srv.base}/auth/customer/oidc`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
  assert.equal(first.status, 200)
  const { location } = await first.json()
  assert.ok(location)
  const cookie = first.headers.get("set-cookie").split(";")[0]
  assert.match(cookie, /^clientele_oauth=/)
  const approve = await fetch(location, { redirect: "manual" })
  assert.equal(approve.status, 302)
  const back = new URL(approve.headers.get("location"))
  const query = Object.fromEntries(back.searchParams)
  // Without the binding cookie the callback fails.
  await assert.rejects(s.auth.callback("customer", "oidc", query), (e) => e.status === 401)

  const again = await fetch(`${srv.base}/auth/customer/oidc`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: "{}" })
  const loc2 = (await again.json()).location
  // Every first leg sets a fresh binding; the old one is not reused.
  const cookie2 = again.headers.get("set-cookie").split(";")[0]
  assert.notEqual(cookie2, cookie)
  const approve2 = await fetch(loc2, { redirect: "manual" })
  const q2 = Object.fromEntries(new URL(approve2.headers.get("location")).searchParams)
  const { token } = await s.client.fetch("/auth/customer/oidc/callback", { method: "GET", query: q2, headers: { cookie: cookie2 } })
  assert.ok(token)
  s.client.setToken(token)
  // The registration token opens an account only for the email the
  // identity provider verified (the fake one's user is ada@example.com)...
  await assert.rejects(s.store.customer.create({ email: "jane.doe@example.com" }),
    (e) => e.status === 400 && /email this login has proved/.test(e.message))
  // ...which already has an account (the first test's).
  await assert.rejects(s.store.customer.create({ email: "Ada@Example.com" }),
    (e) => e.status === 422 && /already has an account/.test(e.message))
})

test("cookie session: created from a token, revoked on logout", async () => {
  const s = sdk()
  const email = "hedy@example.com"
  await s.auth.register("customer", "emailpass", { email, password: "supersecret" })
  await s.store.customer.create({ email })
  const { token } = await s.auth.refresh()
  const res = await fetch(`${srv.base}/auth/session`, { method: "POST", headers: { authorization: `Bearer ${token}` } })
  assert.equal(res.status, 200)
  const setCookie = res.headers.get("set-cookie")
  assert.match(setCookie, /HttpOnly/i)
  assert.match(setCookie, /SameSite=Lax/i)
  const cookie = setCookie.split(";")[0]

  const anon = sdk() // no token: only the cookie authenticates
  const me = await anon.client.fetch("/store/customers/me", { headers: { cookie } })
  assert.equal(me.customer.email, email)
  const out = await anon.client.fetch("/auth/session", { method: "DELETE", headers: { cookie } })
  assert.equal(out.success, true)
  await assert.rejects(anon.client.fetch("/store/customers/me", { headers: { cookie } }), (e) => e.status === 401)
})
