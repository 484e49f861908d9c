// Generates medusa_mfa.json: TOTP codes, otpauth URIs, encrypted TOTP
// secrets and recovery-code hashes made by Medusa 2.21.2's own MFA code
// (@medusajs/auth/dist/utils/totp.js and utils/mfa.js, which call otplib
// 13 and scrypt-kdf 2), for the golden tests in ../mfa_vectors_test.go. It
// also checks, with Medusa's code, the values clientele made in
// clientele_mfa.json (written by `CLIENTELE_WRITE_MFA_VECTORS=1 go test
// ./auth -run TestWriteClienteleMFAVectors`) and records what Medusa
// answered. Tests do not need node; run this by hand to refresh:
//
//	npm install --legacy-peer-deps --ignore-scripts @medusajs/auth@2.21.2
//	NODE_PATH=./node_modules node medusa_mfa.js > medusa_mfa.json
//
// (--legacy-peer-deps skips @medusajs/framework, which the two utility
// files do not load.)
const fs = require("fs")
const totp = require("@medusajs/auth/dist/utils/totp")
const mfa = require("@medusajs/auth/dist/utils/mfa")

// version reads an installed package's version (otplib's packages do not
// export their package.json).
function version(name) {
  const dir = require.resolve(name).replace(/(node_modules\/(@[^/]+\/)?[^/]+)\/.*$/, "$1")
  return JSON.parse(fs.readFileSync(dir + "/package.json", "utf8")).version
}

async function main() {
  const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // RFC 6238's "12345678901234567890"
  const secrets = [rfcSecret, totp.generateTotpSecret(), totp.generateTotpSecret()]
  const timestamps = [59000, 1111111109000, 1234567890000, 2000000000000, 1767225615000, 1767225629999]

  const codes = []
  for (const secret of secrets) {
    for (const timestamp of timestamps) {
      for (const digits of [6, 7, 8]) {
        for (const period of [30, 60]) {
          codes.push({ secret, timestamp, digits, period, code: totp.generateTotpCode({ secret, digits, period, timestamp }) })
        }
      }
    }
  }

  // Which neighbouring steps a code is accepted from, per window.
  const verify = []
  const t0 = 1767225615000
  for (const period of [30, 60]) {
    for (const window of [0, 1, 2]) {
      for (let offset = -3; offset <= 3; offset++) {
        const code = totp.generateTotpCode({ secret: rfcSecret, period, timestamp: t0 + offset * period * 1000 })
        verify.push({
          secret: rfcSecret, timestamp: t0, digits: 6, period, window, offset, code,
          valid: totp.verifyTotpCode({ secret: rfcSecret, code, digits: 6, period, window, timestamp: t0 }),
        })
      }
    }
  }
  // Malformed codes, checked at t0 with the defaults.
  const good = totp.generateTotpCode({ secret: rfcSecret, timestamp: t0 })
  for (const code of ["", good.slice(1), good + "0", " " + good, good + "\n", good.slice(0, 3) + " " + good.slice(3),
    "abcdef", "+" + good.slice(1), "-" + good.slice(1), "１２３４５６", good.replace(/./, "٣")]) {
    verify.push({
      secret: rfcSecret, timestamp: t0, digits: 6, period: 30, window: 1, offset: 0, code,
      valid: totp.verifyTotpCode({ secret: rfcSecret, code, digits: 6, period: 30, window: 1, timestamp: t0 }),
    })
  }

  const uris = []
  for (const [issuer, accountName, digits, period] of [
    ["Medusa", "authid_01JGZ8Q4SRD1XN8V1QJ6W0K7T2", 6, 30],
    ["Acme Shop", "jane@example.com", 8, 60],
    ["A:B & C", "x:y/z?w=1#f", 7, 30],
    ["Café ✓", "Zoë (admin) it's *here*!~", 6, 45],
    ["", "no-issuer@example.com", 6, 30],
  ]) {
    uris.push({ issuer, account_name: accountName, secret: rfcSecret, digits, period,
      uri: totp.generateTotpUri({ issuer, accountName, secret: rfcSecret, digits, period }) })
  }

  const encrypted = []
  for (const key of ["a-32-byte-or-longer-encryption-key-for-tests", "short", "ünïcödé key ✓"]) {
    for (const secret of secrets) {
      encrypted.push({ key, secret, payload: mfa.encryptSecret(secret, key) })
    }
  }

  const recovery = []
  for (let i = 0; i < 2; i++) {
    const code = mfa.generateRecoveryCode()
    const hash = await mfa.hashRecoveryCode(code)
    const checks = {}
    for (const variant of [code, code.toUpperCase(), "  " + code + "\n", code.replace(/-/g, ""), code.slice(0, -1) + (code.endsWith("0") ? "1" : "0")]) {
      checks[variant] = await mfa.verifyRecoveryCodeHash(hash, variant)
    }
    recovery.push({ code, hash, checks })
  }

  const out = {
    generator: "@medusajs/auth " + require("@medusajs/auth/package.json").version +
      ", @otplib/totp " + version("@otplib/totp") +
      ", scrypt-kdf " + require("scrypt-kdf/package.json").version + ", node " + process.version,
    codes, verify, uris, encrypted, recovery,
  }

  // Values clientele made, checked with Medusa's code.
  const theirs = __dirname + "/clientele_mfa.json"
  if (fs.existsSync(theirs)) {
    const c = JSON.parse(fs.readFileSync(theirs, "utf8"))
    const checked = { encrypted: [], codes: [], recovery: [], uris: [] }
    for (const e of c.encrypted) {
      let decrypted = null
      try { decrypted = mfa.decryptSecret(e.payload, e.key) } catch (err) { decrypted = "error: " + err.message }
      checked.encrypted.push({ ...e, decrypted })
    }
    for (const k of c.codes) {
      checked.codes.push({ ...k, valid: totp.verifyTotpCode({ secret: k.secret, code: k.code, digits: k.digits, period: k.period, window: 0, timestamp: k.timestamp }) })
    }
    for (const r of c.recovery) {
      checked.recovery.push({ ...r, valid: await mfa.verifyRecoveryCodeHash(r.hash, r.code) })
    }
    for (const u of c.uris) {
      checked.uris.push({ ...u, medusa: totp.generateTotpUri({ issuer: u.issuer, accountName: u.account_name, secret: u.secret, digits: u.digits, period: u.period }) })
    }
    out.clientele_checked = checked
  }
  process.stdout.write(JSON.stringify(out, null, 1) + "\n")
}

main().catch((err) => { console.error(err); process.exit(1) })
