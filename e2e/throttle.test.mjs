// End-to-end test of throttling: examples/server (throttling on by
// default) driven by Medusa's JS SDK, as an attacker would.
//
//	cd e2e && npm ci && npm test
//
// The server trusts 127.0.0.1 as a proxy, so requests that name a client
// in X-Forwarded-For are counted for that client: the test's counters are
// its own, even when every test file shares one PostgreSQL database.
import { test } from "node:test"
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import Medusa from "@medusajs/js-sdk"
import { startServer } from "./server.mjs"

const srv = startServer({ THROTTLE: "on", TRUSTED_PROXIES: "127.0.0.1" })
const run = randomBytes(4).toString("hex")
const limited = "Too many attempts. Try again later."

// A client address of this run (TEST-NET and benchmarking ranges).
const client = (n) => `198.18.${parseInt(run.slice(0, 2), 16)}.${n}`

// An SDK whose requests come from client n (through the trusted proxy).
const sdkAs = (n) =>
  new Medusa({ baseUrl: srv.base, auth: { type: "jwt", jwtTokenStorageMethod: "memory" }, globalHeaders: { "x-forwarded-for": client(n) } })

const rejects429 = (p) =>
  assert.rejects(p, (e) => {
    assert.equal(e.status, 429)
    assert.equal(e.message, limited)
    return true
  })

test("brute force: 429 after a few wrong passwords, then the right one is refused too", async () => {
  const email = `victim-${run}@example.com`
  await sdkAs(6).auth.register("customer", "emailpass", { email, password: "supersecret" })
  for (const who of [email, `nobody-${run}@example.com`]) {
    const answers = []
    for (let i = 0; i < 8; i++) {
      try {
        await srv.sdk().auth.login("customer", "emailpass", { email: who, password: `guess-${i}-password` })
        answers.push(200)
      } catch (e) {
        answers.push(e.status)
      }
    }
    // Five free failures, a sixth that locks; after that, refusals.
    assert.deepEqual(answers.slice(0, 6), [401, 401, 401, 401, 401, 401], `${who}: ${answers}`)
    assert.ok(answers.slice(6).includes(429), `${who}: ${answers}`)
    // Known or not, the right password (or any) gets the same 429, with
    // Retry-After. (Checked at once: the first lock lasts a second.)
    await rejects429(srv.sdk().auth.login("customer", "emailpass", { email: who, password: "supersecret" }))
    const r = await fetch(`${srv.base}/auth/customer/emailpass`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: ` ${who.toUpperCase()} `, password: "supersecret" }),
    })
    assert.equal(r.status, 429)
    assert.match(r.headers.get("retry-after"), /^[1-9][0-9]*$/)
    assert.deepEqual(await r.json(), { type: "not_allowed", message: limited })
  }
})

test("reset flood: one inbox gets at most 5 mails an hour, and every answer is 201", async () => {
  const email = `inbox-${run}@example.com`
  await sdkAs(4).auth.register("customer", "emailpass", { email, password: "supersecret" })
  for (let i = 0; i < 8; i++) {
    await sdkAs(5).auth.resetPassword("customer", "emailpass", { identifier: email })
    await sdkAs(5).auth.resetPassword("customer", "emailpass", { identifier: `ghost-${run}@example.com` })
  }
  // A flood from one client: 20 an hour, then 429.
  for (let i = 0; i < 4; i++) {
    await sdkAs(5).auth.resetPassword("customer", "emailpass", { identifier: `more-${i}-${run}@example.com` })
  }
  await rejects429(sdkAs(5).auth.resetPassword("customer", "emailpass", { identifier: `more-${run}@example.com` }))
  // Reset events are written after the answer: wait for the fifth, then
  // give a sixth the time to show up.
  const sent = () => srv.events().filter((e) => e.name === "auth.password_reset" && e.data.entity_id === email)
  for (let i = 0; i < 250 && sent().length < 5; i++) await new Promise((r) => setTimeout(r, 20))
  await new Promise((r) => setTimeout(r, 200))
  assert.equal(sent().length, 5)
})

async function registerAs(xff, email) {
  return fetch(`${srv.base}/auth/customer/emailpass/register`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": xff },
    body: JSON.stringify({ email, password: "supersecret" }),
  })
}

test("registrations per client: 10 an hour, and a forged X-Forwarded-For entry does not help", async () => {
  const me = client(1)
  for (let i = 0; i < 10; i++) {
    // The client prepends a different address each time; the proxy's
    // entry (the rightmost) is what counts.
    const r = await registerAs(`10.${i}.0.1, ${me}`, `reg-${run}-${i}@example.com`)
    assert.equal(r.status, 200, `registration ${i}`)
  }
  const r = await registerAs(`10.99.0.1, ${me}`, `reg-${run}-late@example.com`)
  assert.equal(r.status, 429)
  const wait = Number(r.headers.get("retry-after"))
  assert.ok(wait > 3500 && wait <= 3600, `Retry-After ${wait}`)
  assert.deepEqual(await r.json(), { type: "not_allowed", message: limited })
  // Another client behind the same proxy is not limited.
  assert.equal((await registerAs(client(2), `reg-${run}-other@example.com`)).status, 200)
})

test("refreshes per client: 60 a minute", async () => {
  const s = sdkAs(7)
  await s.auth.register("customer", "emailpass", { email: `refresh-${run}@example.com`, password: "supersecret" })
  const { token } = await s.auth.refresh()
  const refresh = () =>
    fetch(`${srv.base}/auth/token/refresh`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "x-forwarded-for": client(3) },
    })
  for (let i = 0; i < 60; i++) {
    assert.equal((await refresh()).status, 200, `refresh ${i}`)
  }
  const r = await refresh()
  assert.equal(r.status, 429)
  assert.match(r.headers.get("retry-after"), /^[1-9][0-9]?$/)
})
