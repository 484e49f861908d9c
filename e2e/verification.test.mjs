// End-to-end test of email verification through Medusa's own JS SDK
// (sdk.auth.verification.request/confirm, and sdk.auth.login seeing
// verification_required), with the server's gate set as Medusa's
// http.authVerificationsPerActor: the actor type "vcustomer" must verify
// its emailpass email; "customer" need not. Also clientele's change of
// email and claim of guest records, through the SDK's client.
import { test } from "node:test"
import assert from "node:assert/strict"
import { startServer } from "./server.mjs"

const srv = startServer({
  AUTH_VERIFICATIONS_PER_ACTOR: JSON.stringify({ vcustomer: [{ auth_provider: "emailpass", entity_type: "email" }] }),
})

// verificationCode waits for the last auth.verification_requested event of
// entity (delivered after the answer) and returns its payload.
async function verificationEvent(entity) {
  for (let i = 0; i < 100; i++) {
    const evs = srv.events().filter((e) => e.name === "auth.verification_requested" && e.data.entity_id === entity)
    if (evs.length > 0) return evs.at(-1).data
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.fail(`no auth.verification_requested event for ${entity}`)
}

function claims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString())
}

test("a gated login answers verification_required until the email is verified", async () => {
  const s = srv.sdk()
  const email = "vera@example.com"
  const creds = { email, password: "supersecret" }
  await s.auth.register("vcustomer", "emailpass", creds)

  // Before any request: verification_required, no verification, an actorless token.
  let res = await s.auth.login("vcustomer", "emailpass", creds)
  assert.equal(typeof res, "object")
  assert.equal(res.verification_required, true)
  assert.equal(res.verification, undefined)
  assert.equal(claims(res.token).actor_id, "")
  assert.equal(claims(res.token).actor_type, "vcustomer")

  // The SDK keeps that token: the request is authenticated with it.
  const requested = await s.auth.verification.request({ entity_id: email, entity_type: "email" })
  const v = requested.verification
  assert.equal(v.entity_id, email)
  assert.equal(v.entity_type, "email")
  assert.equal(v.code_provider, "token")
  assert.equal(v.verified_at, null)
  assert.ok(v.id.startsWith("authver_"))
  const ev = await verificationEvent(email)
  assert.deepEqual(Object.keys(ev).sort(), ["auth_identity_id", "code", "code_provider", "entity_id", "entity_type", "expires_at", "metadata"])
  assert.equal(ev.auth_identity_id, claims(res.token).auth_identity_id)
  assert.match(ev.code, /^[A-Za-z0-9_-]{43}$/)
  assert.ok(Math.abs(Date.parse(ev.expires_at) - Date.parse(v.requested_at) - 15 * 60 * 1000) < 1000)
  assert.deepEqual(ev.metadata, {})
  // Neither the code nor its hash comes back.
  assert.ok(!JSON.stringify(requested).includes(ev.code))
  assert.ok(!JSON.stringify(requested).includes("token_hash"))

  res = await s.auth.login("vcustomer", "emailpass", creds)
  assert.equal(res.verification_required, true)
  assert.equal(res.verification.id, v.id)
  assert.equal(res.verification.verified_at, null)

  // Confirmed by a client that is not logged in (a link opened anywhere).
  const other = srv.sdk()
  const confirmed = await other.auth.verification.confirm({ code: ev.code })
  assert.deepEqual(Object.keys(confirmed).sort(), ["code_provider", "entity_id", "entity_type", "verified_at"])
  assert.equal(confirmed.entity_id, email)
  assert.ok(Date.parse(confirmed.verified_at) > 0)
  await assert.rejects(other.auth.verification.confirm({ code: ev.code }),
    (e) => e.status === 400 && e.message === "Verification code is invalid or already used")

  // Now a login answers a token.
  const token = await s.auth.login("vcustomer", "emailpass", creds)
  assert.equal(typeof token, "string")
  assert.equal(claims(token).auth_identity_id, ev.auth_identity_id)

  // The same identity as a customer was never gated.
  assert.equal(typeof (await srv.sdk().auth.login("customer", "emailpass", creds)), "string")
})

test("a new request kills the older code; bad codes get Medusa's errors", async () => {
  const s = srv.sdk()
  const email = "otto@example.com"
  const creds = { email, password: "supersecret" }
  await s.auth.register("vcustomer", "emailpass", creds)
  await s.auth.verification.request({ entity_id: email, entity_type: "email" })
  const first = (await verificationEvent(email)).code
  await s.auth.verification.request({ entity_id: email, entity_type: "email", metadata: { src: "resend" } })
  let second
  for (let i = 0; i < 100 && !second; i++) {
    const ev = await verificationEvent(email)
    if (ev.code !== first) second = ev
    else await new Promise((r) => setTimeout(r, 20))
  }
  assert.ok(second, "no second code")
  assert.deepEqual(second.metadata, { src: "resend" })
  await assert.rejects(s.auth.verification.confirm({ code: first }),
    (e) => e.status === 400 && e.message === "Verification code is invalid or already used")
  await assert.rejects(s.auth.verification.confirm({ code: "" }),
    (e) => e.status === 400 && e.message === "Verification code is required")
  await assert.rejects(s.auth.verification.confirm({ code: second.code, code_provider: "sms" }),
    (e) => e.status === 400 && /Unable to retrieve the verification provider with id: sms/.test(e.message))
  await s.auth.verification.confirm({ code: second.code })
  assert.equal(typeof (await s.auth.login("vcustomer", "emailpass", creds)), "string")
})

test("a customer changes its email once the new address proves itself, and claims its guest record", async () => {
  const s = srv.sdk()
  const email = "gus@example.com"
  await s.auth.register("customer", "emailpass", { email, password: "supersecret" })
  await s.store.customer.create({ email })
  await s.auth.refresh()

  // A guest record of the email, with an address, made by the admin.
  const admin = srv.sdk()
  await admin.auth.login("user", "emailpass", { email: "admin@example.com", password: "supersecret" })
  const { customer: guest } = await admin.admin.customer.create({ email })
  await admin.admin.customer.createAddress(guest.id, { address_1: "1 Guest St", country_code: "dk" })

  // No claim without a verified email.
  await assert.rejects(s.client.fetch("/store/customers/me/claim", { method: "POST", body: {} }),
    (e) => e.status === 400 && e.message === "The email must be verified before its guest records can be claimed")
  await s.auth.verification.request({ entity_id: email, entity_type: "email" })
  await s.auth.verification.confirm({ code: (await verificationEvent(email)).code })
  const claimed = await s.client.fetch("/store/customers/me/claim", { method: "POST", body: {} })
  assert.deepEqual(claimed.guest_ids, [guest.id])
  assert.equal(claimed.customer.addresses.length, 1)
  assert.equal(claimed.customer.addresses[0].address_1, "1 Guest St")

  // The change of email: nothing changes until the code comes back.
  const next = "gus@new.example"
  const req = await s.client.fetch("/store/customers/me/email", { method: "POST", body: { email: next } })
  assert.equal(req.verification.entity_id, next)
  const ev = await verificationEvent(next)
  assert.equal(ev.metadata.purpose, "change_email")
  assert.equal((await s.store.customer.retrieve()).customer.email, email)
  assert.equal(typeof (await srv.sdk().auth.login("customer", "emailpass", { email, password: "supersecret" })), "string")
  const done = await s.client.fetch("/store/customers/me/email/confirm", { method: "POST", body: { code: ev.code } })
  assert.equal(done.customer.email, next)
  await assert.rejects(srv.sdk().auth.login("customer", "emailpass", { email, password: "supersecret" }), (e) => e.status === 401)
  assert.equal(typeof (await srv.sdk().auth.login("customer", "emailpass", { email: next, password: "supersecret" })), "string")
})
