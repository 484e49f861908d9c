// End-to-end test of list filters through the stock JS SDK: the SDK
// serialises its query objects with qs (email[$ilike]=…, id[$in][0]=…,
// $or[0][first_name]=…), and the server applies what Medusa 2.21's route
// schemas accept and refuses the rest with a 400, never ignoring a filter.
//
//	cd e2e && npm ci && npm test
import { test } from "node:test"
import assert from "node:assert/strict"
import { startServer } from "./server.mjs"

const srv = startServer()

// tag makes this run's records unique on a shared PostgreSQL database;
// digits only, so that no other test's search (q=vi, q=navy) finds them.
const tag = `t${Date.now()}${Math.floor(Math.random() * 1e4)}`

async function admin() {
  const a = srv.sdk()
  await a.auth.login("user", "emailpass", { email: "admin@example.com", password: "supersecret" })
  return a
}

const refused = (msg) => (e) => e.status === 400 && e.message === msg
const objectGiven = (field) => refused(`Invalid request: Expected type: 'string, array' for field '${field}', got: '[object Object]'`)
const sorted = (...ids) => ids.sort()

test("admin customer lists apply the operators Medusa's schema takes", async () => {
  const a = await admin()
  const mk = async (first, extra = {}) =>
    (await a.admin.customer.create({ email: `${first.toLowerCase()}.${tag}@example.com`, first_name: first, last_name: tag, ...extra })).customer
  const ann = await mk("Ann", { company_name: "Acme, Inc." })
  const bob = await mk("Bob", { company_name: "Acme" })
  const carl = await mk("Carl")
  // Every query keeps to this run's customers.
  const ids = async (query) => (await a.admin.customer.list({ last_name: tag, fields: "id", ...query })).customers.map((c) => c.id).sort()

  assert.deepEqual(await ids({}), sorted(ann.id, bob.id, carl.id))
  assert.deepEqual(await ids({ id: { $in: [ann.id, carl.id] } }), sorted(ann.id, carl.id))
  assert.deepEqual(await ids({ id: { $nin: [ann.id] } }), sorted(bob.id, carl.id))
  assert.deepEqual(await ids({ id: { $eq: bob.id } }), [bob.id])
  assert.deepEqual(await ids({ id: { $ne: bob.id } }), sorted(ann.id, carl.id))
  assert.deepEqual(await ids({ id: { $like: "cus%" } }), sorted(ann.id, bob.id, carl.id))
  assert.deepEqual(await ids({ id: { $ilike: carl.id.toLowerCase() } }), [carl.id])
  assert.deepEqual(await ids({ id: { $gt: ann.id } }), sorted(bob.id, carl.id))
  assert.deepEqual(await ids({ id: { $gte: bob.id, $lte: bob.id } }), [bob.id])
  assert.deepEqual(await ids({ id: { $lt: bob.id } }), [ann.id])
  assert.deepEqual(await ids({ id: [ann.id, bob.id] }), sorted(ann.id, bob.id))
  // More ids than qs's array limit (21) stay a list.
  const many = Array.from({ length: 30 }, (_, i) => `cus_none${i}`)
  assert.deepEqual(await ids({ id: { $in: [...many, carl.id] } }), [carl.id])
  assert.deepEqual(await ids({ id: [...many, ann.id] }), [ann.id])

  const hourAgo = new Date(Date.now() - 3600e3)
  assert.deepEqual(await ids({ created_at: { $gte: hourAgo } }), sorted(ann.id, bob.id, carl.id))
  assert.deepEqual(await ids({ created_at: { $lt: hourAgo } }), [])
  assert.deepEqual(await ids({ created_at: { $eq: ann.created_at } }), [ann.id])
  assert.deepEqual(await ids({ created_at: { $nin: [ann.created_at] }, updated_at: { $gt: hourAgo } }), sorted(bob.id, carl.id))

  assert.deepEqual(await ids({ $or: [{ first_name: "Ann" }, { first_name: "Carl" }] }), sorted(ann.id, carl.id))
  assert.deepEqual(await ids({ $and: [{ company_name: "Acme" }, { id: { $ne: ann.id } }] }), [bob.id])
  assert.deepEqual(await ids({ company_name: "Acme, Inc." }), [ann.id])
  // A list of one value is split at commas, as Medusa splits it.
  assert.deepEqual(await ids({ company_name: ["Acme, Inc."] }), [bob.id])

  const { customer_group: g } = await a.admin.customerGroup.create({ name: `Tier ${tag}` })
  await a.admin.customerGroup.batchCustomers(g.id, { add: [bob.id] })
  assert.deepEqual(await ids({ groups: { name: [g.name] } }), [bob.id])
  assert.deepEqual(await ids({ groups: { id: g.id, created_at: { $gte: hourAgo } } }), [bob.id])
  assert.deepEqual(await ids({ $or: [{ groups: g.id }, { first_name: "Carl" }] }), sorted(bob.id, carl.id))

  await a.admin.customer.delete(carl.id)
  assert.deepEqual(await ids({ deleted_at: { $gte: hourAgo } }), [carl.id])

  // What Medusa 2.21 refuses on this route, refused alike.
  await assert.rejects(a.admin.customer.list({ email: { $ilike: "%x%" } }), objectGiven("email"))
  await assert.rejects(a.admin.customer.list({ email: { $eq: ann.email } }), objectGiven("email"))
  await assert.rejects(a.admin.customer.list({ first_name: { $like: "A%" } }), objectGiven("first_name"))
  await assert.rejects(a.admin.customer.list({ groups: { name: { $ilike: "vip%" } } }), objectGiven("groups, name"))
  await assert.rejects(a.admin.customer.list({ groups: { nope: "x" } }), refused("Invalid request: Unrecognized fields: 'groups[nope]'"))
  await assert.rejects(a.admin.customer.list({ $or: [{ nope: "x" }] }), refused("Invalid request: Unrecognized fields: '$or[0][nope]'"))
  // What Medusa's schema lets through and then ignores or cannot run.
  await assert.rejects(a.admin.customer.list({ id: { $re: "^cus" } }), refused("Invalid request: Operator '$re' is not supported for field 'id'"))
  await assert.rejects(a.admin.customer.list({ created_at: { $like: "2020%" } }), refused("Invalid request: Operator '$like' is not supported for field 'created_at'"))
  await assert.rejects(a.admin.customer.list({ id: { $like: "cus\\" } }), refused("invalid id: pattern must not end with the escape character \\"))
})

test("admin group lists filter by their customers with operators", async () => {
  const a = await admin()
  const dora = (await a.admin.customer.create({ email: `dora.${tag}@Shop.example`, first_name: "Dora" })).customer
  const gtag = `${tag}g` // no group of the other tests has it
  const { customer_group: g } = await a.admin.customerGroup.create({ name: `Shop ${gtag}` })
  const { customer_group: empty } = await a.admin.customerGroup.create({ name: `Empty ${gtag}` })
  await a.admin.customerGroup.batchCustomers(g.id, { add: [dora.id] })
  const ids = async (query) => (await a.admin.customerGroup.list({ q: gtag, ...query })).customer_groups.map((x) => x.id).sort()

  assert.deepEqual(await ids({}), sorted(g.id, empty.id))
  assert.deepEqual(await ids({ customers: { email: { $ilike: `%${tag}@SHOP%` } } }), [g.id])
  assert.deepEqual(await ids({ customers: { email: { $like: `%${tag}@shop%` } } }), [g.id]) // emails compare case-insensitively
  assert.deepEqual(await ids({ customers: { email: dora.email.toUpperCase() } }), [g.id])
  assert.deepEqual(await ids({ customers: { email: { $nin: [dora.email] } } }), [])
  assert.deepEqual(await ids({ customers: { first_name: "Dora", created_at: { $lt: new Date(0) } } }), [])
  assert.deepEqual(await ids({ customers: dora.id }), [g.id])
  assert.deepEqual(await ids({ $or: [{ name: empty.name }, { customers: { id: dora.id } }] }), sorted(g.id, empty.id))

  await a.admin.customerGroup.delete(empty.id)
  assert.deepEqual(await ids({ deleted_at: { $gte: new Date(0) } }), [empty.id])

  await assert.rejects(a.admin.customerGroup.list({ name: { $ilike: "shop%" } }), objectGiven("name"))
  await assert.rejects(a.admin.customerGroup.list({ customers: { default_billing_address_id: "x" } }),
    refused("Invalid request: Field 'customers, default_billing_address_id' is not supported"))
})

test("store address lists take Medusa's store filters only", async () => {
  const s = srv.sdk()
  const email = `addr.${tag}@example.com`
  await s.auth.register("customer", "emailpass", { email, password: "supersecret" })
  await s.store.customer.create({ email })
  await s.auth.refresh()
  await s.store.customer.createAddress({ city: "Paris", country_code: "fr", postal_code: "75001", company: "Acme" })
  await s.store.customer.createAddress({ city: "Lyon", country_code: "fr", postal_code: "69001" })
  const count = async (query) => (await s.store.customer.listAddress(query)).count
  assert.equal(await count({ city: "Paris" }), 1)
  assert.equal(await count({ city: ["Paris", "Lyon"] }), 2)
  assert.equal(await count({ postal_code: ["69001"], country_code: "FR" }), 1)
  assert.equal(await count({ q: "lyon" }), 1)
  await assert.rejects(s.store.customer.listAddress({ city: { $ilike: "p%" } }), objectGiven("city"))
  await assert.rejects(s.store.customer.listAddress({ company: "Acme" }), refused("Invalid request: Unrecognized fields: 'company'"))
})
