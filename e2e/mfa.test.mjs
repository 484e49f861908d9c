// End-to-end test of MFA: examples/server (AUTH_MFA_ENCRYPTION_KEY set)
// driven by Medusa's JS SDK (sdk.auth.mfa.*). A customer enrols TOTP; a
// login then answers an MFA challenge, completed with a code this test
// computes (RFC 6238, as an authenticator app does), and later with a
// recovery code.
//
//	cd e2e && npm ci && npm test
import { test } from "node:test"
import assert from "node:assert/strict"
import { createHmac } from "node:crypto"
import { startServer } from "./server.mjs"

const srv = startServer({ AUTH_MFA_ENCRYPTION_KEY: "e2e MFA encryption key" })

// totp is an authenticator app: the 6-digit code of a base32 secret for
// the 30 s step of time t (ms), HMAC-SHA1 with dynamic truncation.
function totp(secret, t = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
  let bits = ""
  for (const ch of secret.replace(/=+$/, "")) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0")
  const key = Buffer.alloc(Math.floor(bits.length / 8))
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2)
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 1000 / 30)))
  const mac = createHmac("sha1", key).update(counter).digest()
  const o = mac[mac.length - 1] & 0xf
  const n = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3]
  return String(n % 1e6).padStart(6, "0")
}

// Each code is accepted once (clientele's replay guard), and a code of an
// earlier step after a later one: the test walks the window forward,
// from the previous step's code to the next step's.
function codes(secret) {
  const now = Date.now()
  return [-30_000, 0, 30_000].map((d) => totp(secret, now + d))
}

// freshStep waits, when the current 30 s step ends within 10 s, for the
// next one, so that the codes of one test stay in the server's window.
async function freshStep() {
  const left = 30_000 - (Date.now() % 30_000)
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 50))
}

const unauthorized = (e) => e.status === 401

const signUp = srv.signUp

test("enrol TOTP, log in with a challenge, use a recovery code", async () => {
  const email = "mfa@example.com"
  const { s, customer } = await signUp(email, "supersecret")
  const before = await s.client.getToken()

  // Enrol: a pending factor, the secret and its otpauth URI.
  await freshStep()
  const { mfa_factor, secret, otpauth_url } = await s.auth.mfa.start({ provider: "totp", label: "phone" })
  assert.equal(mfa_factor.status, "pending")
  assert.equal(mfa_factor.provider, "totp")
  assert.equal(mfa_factor.provider_metadata, undefined)
  assert.match(secret, /^[A-Z2-7]{32}$/)
  assert.equal(otpauth_url, `otpauth://totp/Medusa:phone?secret=${secret}&issuer=Medusa`)
  const [prev, now, next] = codes(secret)

  await assert.rejects(s.auth.mfa.verify(mfa_factor.id, { code: "000000" }), (e) => e.status === 400 && e.message === "Invalid TOTP code")
  const enabled = await s.auth.mfa.verify(mfa_factor.id, { code: prev })
  assert.equal(enabled.mfa_factor.status, "enabled")

  // Turning MFA on ended the tokens issued before; the answer carries a
  // new one.
  await assert.rejects(s.store.customer.retrieve(), unauthorized)
  assert.ok(enabled.token)
  assert.notEqual(enabled.token, before)
  await s.client.setToken(enabled.token)
  assert.equal((await s.store.customer.retrieve()).customer.id, customer.id)

  // A login answers a challenge and an actorless token.
  const phone = srv.sdk()
  const login = await phone.auth.login("customer", "emailpass", { email, password: "supersecret" })
  assert.equal(login.mfa_required, true)
  assert.deepEqual(login.mfa_challenge.methods, ["totp"])
  assert.equal(login.mfa_challenge.attempts, 0)
  assert.equal(login.mfa_challenge.max_attempts, 5)
  const pending = JSON.parse(Buffer.from(login.token.split(".")[1], "base64url"))
  assert.equal(pending.actor_id, "")
  assert.equal(pending.mfa_enabled, true)
  assert.equal(pending.mfa_challenge_completed_at, null)
  await assert.rejects(phone.store.customer.retrieve(), (e) => e.status === 401 && e.message === "MFA verification is required to complete this request")

  // The code used to enable the factor is refused (replay guard); a
  // wrong one counts an attempt; a fresh one completes the challenge.
  await assert.rejects(phone.auth.mfa.verifyChallenge(login.mfa_challenge.id, { method: "totp", code: prev }), (e) => e.status === 400 && e.message === "Invalid MFA challenge code")
  const full = await phone.auth.mfa.verifyChallenge(login.mfa_challenge.id, { method: "totp", code: now })
  const claims = JSON.parse(Buffer.from(full.split(".")[1], "base64url"))
  assert.equal(claims.actor_id, customer.id)
  assert.equal(claims.mfa_enabled, true)
  assert.match(claims.mfa_challenge_completed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.equal((await phone.store.customer.retrieve()).customer.id, customer.id)
  // A refresh keeps the completion.
  const { token: refreshed } = await phone.auth.refresh()
  assert.equal(JSON.parse(Buffer.from(refreshed.split(".")[1], "base64url")).mfa_challenge_completed_at, claims.mfa_challenge_completed_at)

  // Recovery codes.
  const { recovery_codes } = await phone.auth.mfa.generateRecoveryCodes({ count: 10 })
  assert.equal(recovery_codes.length, 10)
  for (const c of recovery_codes) assert.match(c, /^([0-9a-f]{4}-){7}[0-9a-f]{4}$/)

  const laptop = srv.sdk()
  const again = await laptop.auth.login("customer", "emailpass", { email, password: "supersecret" })
  assert.deepEqual(again.mfa_challenge.methods, ["totp", "recovery_code"])
  await laptop.auth.mfa.verifyChallenge(again.mfa_challenge.id, { method: "recovery_code", code: recovery_codes[0] })
  assert.equal((await laptop.store.customer.retrieve()).customer.id, customer.id)

  // A recovery code works once.
  const third = srv.sdk()
  const once = await third.auth.login("customer", "emailpass", { email, password: "supersecret" })
  await assert.rejects(third.auth.mfa.verifyChallenge(once.mfa_challenge.id, { method: "recovery_code", code: recovery_codes[0] }), (e) => e.status === 400)
  // Refreshing the pending token answers a new challenge.
  const r = await fetch(srv.base + "/auth/token/refresh", { method: "POST", headers: { authorization: `Bearer ${once.token}` } })
  const body = await r.json()
  assert.equal(r.status, 200)
  assert.equal(body.mfa_required, true)
  assert.notEqual(body.mfa_challenge.id, once.mfa_challenge.id)
  await third.auth.mfa.verifyChallenge(body.mfa_challenge.id, { method: "totp", code: next })

  // Disabling: logins are plain again.
  const { mfa_factors } = await third.auth.mfa.list()
  assert.deepEqual(mfa_factors.map((f) => [f.id, f.status]), [[mfa_factor.id, "enabled"]])
  const { mfa_factor: off } = await third.auth.mfa.disable(mfa_factor.id)
  assert.equal(off.status, "disabled")
  const plain = await srv.sdk().auth.login("customer", "emailpass", { email, password: "supersecret" })
  assert.equal(typeof plain, "string")

  const names = srv.events().map((e) => e.name).filter((n) => n.startsWith("auth.mfa"))
  assert.deepEqual(names, ["auth.mfa_enabled", "auth.mfa_recovery_codes_generated", "auth.mfa_disabled"])
  const enabledEvent = srv.events().find((e) => e.name === "auth.mfa_enabled")
  assert.deepEqual(enabledEvent.data, { auth_identity_id: claims.auth_identity_id, mfa_id: mfa_factor.id, provider: "totp" })
})

test("MFA routes need a completed challenge", async () => {
  const email = "mfa-gate@example.com"
  const { s } = await signUp(email, "supersecret")
  await freshStep()
  const { mfa_factor, secret } = await s.auth.mfa.start({ provider: "totp" })
  const { token } = await s.auth.mfa.verify(mfa_factor.id, { code: totp(secret) })
  await s.client.setToken(token)

  const other = srv.sdk()
  const login = await other.auth.login("customer", "emailpass", { email, password: "supersecret" })
  const mfaRequired = (e) => e.status === 401 && e.message === "MFA verification is required to complete this request"
  await assert.rejects(other.auth.mfa.list(), mfaRequired)
  await assert.rejects(other.auth.mfa.generateRecoveryCodes({ count: 10 }), mfaRequired)
  await assert.rejects(other.auth.mfa.start({ provider: "totp" }), mfaRequired)
  await assert.rejects(other.auth.mfa.disable(mfa_factor.id), mfaRequired)
  // The factor is untouched: MFA is still required.
  const again = await srv.sdk().auth.login("customer", "emailpass", { email, password: "supersecret" })
  assert.equal(again.mfa_required, true)
  // Another identity cannot complete this challenge, nor spoil it.
  const { s: bystander } = await signUp("mfa-bystander@example.com", "supersecret")
  await assert.rejects(bystander.auth.mfa.verifyChallenge(login.mfa_challenge.id, { method: "totp", code: totp(secret, Date.now() + 30_000) }), (e) => e.status === 404)
  await other.auth.mfa.verifyChallenge(login.mfa_challenge.id, { method: "totp", code: totp(secret, Date.now() + 30_000) })
  assert.ok((await other.store.customer.retrieve()).customer)
})
