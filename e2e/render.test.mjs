// End-to-end test of what the answers look like to Medusa's JS SDK: unset
// fields are null (so `customer.phone ?? "—"` works as on Medusa), null in
// an update clears a field, relation sub-fields answer only those
// sub-fields, the admin routes' 404 messages are Medusa's, and a
// publishable key sent twice is refused.
//
//	cd e2e && npm ci && npm test
import { test } from "node:test"
import assert from "node:assert/strict"
import http from "node:http"
import Medusa from "@medusajs/js-sdk"
import { startServer } from "./server.mjs"

const pk = "pk_e2e_render"
const srv = startServer({ PUBLISHABLE_KEYS: pk })

const sdk = () => new Medusa({ baseUrl: srv.base, publishableKey: pk, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })

async function admin() {
  const a = sdk()
  await a.auth.login("user", "emailpass", { email: "admin@example.com", password: "supersecret" })
  return a
}

// account opens a customer account with nothing but its email.
async function account(email) {
  const s = sdk()
  await s.auth.register("customer", "emailpass", { email, password: "supersecret" })
  const { customer } = await s.store.customer.create({ email })
  await s.auth.refresh()
  return { s, customer }
}

const notFound = (message) => (e) => e.status === 404 && e.message === message

test("unset fields are null, not empty strings", async () => {
  const { s, customer } = await account("null@example.com")
  for (const k of ["company_name", "first_name", "last_name", "phone", "metadata", "deleted_at"]) {
    assert.equal(customer[k], null, k)
  }
  assert.deepEqual(customer.addresses, [])
  assert.equal(customer.phone ?? "—", "—")

  const { customer: me } = await s.store.customer.retrieve()
  assert.equal(me.company_name, null)
  assert.equal("groups" in me, false)

  const r = await s.store.customer.createAddress({ address_1: "1 Rue" })
  const addr = r.customer.addresses[0]
  for (const k of ["address_name", "company", "first_name", "last_name", "address_2", "city", "country_code", "province", "postal_code", "phone", "metadata"]) {
    assert.equal(addr[k], null, k)
  }
  const { address } = await s.store.customer.retrieveAddress(addr.id)
  assert.equal(address.address_name, null)
  assert.ok("address_name" in address)
  assert.equal(address.address_1, "1 Rue")

  const a = await admin()
  const { customer: guest } = await a.admin.customer.create({ first_name: "Guest" })
  assert.equal(guest.email, null)
  assert.equal("addresses" in guest, false)
  const { customer: withRels } = await a.admin.customer.retrieve(guest.id, { fields: "*addresses,*groups" })
  assert.deepEqual(withRels.addresses, [])
  assert.deepEqual(withRels.groups, [])
  const { customer_group: group } = await a.admin.customerGroup.create({ name: "nulls" })
  assert.equal(group.metadata, null)
})

test("null in an update clears the field", async () => {
  const { s } = await account("clear@example.com")
  await s.store.customer.update({ phone: "+33 1", company_name: "Acme", first_name: "Ada", metadata: { a: 1 } })
  const { customer } = await s.store.customer.update({ phone: null, company_name: null, metadata: null })
  assert.equal(customer.phone, null)
  assert.equal(customer.company_name, null)
  assert.equal(customer.metadata, null)
  assert.equal(customer.first_name, "Ada")

  let r = await s.store.customer.createAddress({ address_1: "1 Rue", city: "Paris" })
  r = await s.store.customer.updateAddress(r.customer.addresses[0].id, { city: null })
  assert.equal(r.customer.addresses[0].city, null)
  assert.equal(r.customer.addresses[0].address_1, "1 Rue")

  const a = await admin()
  const { customer_group: g } = await a.admin.customerGroup.create({ name: "cleared", metadata: { tier: "gold" } })
  const { customer_group: cleared } = await a.admin.customerGroup.update(g.id, { metadata: null })
  assert.equal(cleared.metadata, null)
  await assert.rejects(a.admin.customerGroup.update(g.id, { name: null }), (e) => e.status === 400 && /Expected type: 'string' for field 'name', got: 'null'/.test(e.message))
})

test("relation sub-fields answer only those sub-fields", async () => {
  const { s, customer } = await account("sub@example.com")
  await s.store.customer.createAddress({ address_1: "1 Rue", city: "Lyon" })
  const a = await admin()
  const { customer_group: g } = await a.admin.customerGroup.create({ name: "subs" })
  await a.admin.customerGroup.batchCustomers(g.id, { add: [customer.id] })

  const { customer: mine } = await s.store.customer.retrieve({ fields: "addresses.city" })
  assert.deepEqual(mine, { id: customer.id, addresses: [{ city: "Lyon" }] })
  const { customer: noGroups } = await s.store.customer.retrieve({ fields: "+groups.name" })
  assert.equal("groups" in noGroups, false)

  const { customer: c } = await a.admin.customer.retrieve(customer.id, { fields: "groups.name" })
  assert.deepEqual(c, { id: customer.id, groups: [{ name: "subs" }] })
  const { customer_group: grp } = await a.admin.customerGroup.retrieve(g.id, { fields: "customers.email" })
  assert.deepEqual(grp, { id: g.id, customers: [{ id: customer.id, email: "sub@example.com" }] })
})

test("admin 404s carry Medusa's route messages", async () => {
  const a = await admin()
  const { customer } = await a.admin.customer.create({ email: "gone@example.com" })
  const { customer_group: g } = await a.admin.customerGroup.create({ name: "gone" })
  await a.admin.customer.delete(customer.id)
  await a.admin.customerGroup.delete(g.id)
  for (const id of ["cus_nope", customer.id]) {
    await assert.rejects(a.admin.customer.retrieve(id), notFound(`Customer with id: ${id} not found`))
    await assert.rejects(a.admin.customer.update(id, { first_name: "X" }), notFound(`Customer with id "${id}" not found`))
  }
  for (const id of ["cusgroup_nope", g.id]) {
    await assert.rejects(a.admin.customerGroup.retrieve(id), notFound(`Customer group with id: ${id} not found`))
    await assert.rejects(a.admin.customerGroup.update(id, { name: "x" }), notFound(`Customer group with id "${id}" not found`))
  }
})

test("a registration token used again after its account is a 422", async () => {
  const s = sdk()
  await s.auth.register("customer", "emailpass", { email: "twice@example.com", password: "supersecret" })
  await s.store.customer.create({ email: "twice@example.com" })
  // The SDK still holds the registration token, which names no customer.
  await assert.rejects(s.store.customer.create({ email: "twice@example.com" }), (e) => e.status === 422 && e.message === "Customer with this email already has an account")
})

// get sends a GET with the x-publishable-api-key header lines given.
function get(path, keys) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${srv.base}${path}`, { headers: { "x-publishable-api-key": keys } }, (res) => {
      let body = ""
      res.on("data", (d) => (body += d))
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(body) }))
    })
    req.on("error", reject)
    req.end()
  })
}

test("a publishable key sent twice is refused", async () => {
  const want = { type: "not_allowed", message: "A valid publishable key is required to proceed with the request" }
  for (const keys of [[pk, pk], [pk, ""], `${pk}, ${pk}`]) {
    const r = await get("/store/customers/me", keys)
    assert.equal(r.status, 400)
    assert.deepEqual(r.body, want)
  }
  assert.equal((await get("/store/customers/me", pk)).status, 401)
})
