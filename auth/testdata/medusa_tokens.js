// Generates medusa_tokens.json: tokens signed the way Medusa signs them
// (jsonwebtoken 9, as in @medusajs/utils generateJwtToken and the
// generate-reset-password-token workflow), for the golden tests in
// ../token_test.go. Tests do not need node; run this by hand to refresh:
//
//	npm install jsonwebtoken@9 && NODE_PATH=./node_modules node medusa_tokens.js > medusa_tokens.json
//
// medusa_rs256_test_key.pem is a throwaway test key (Medusa's asymmetric
// mode: jwtSecret = PEM private key, jwtOptions.algorithm = "RS256").
const jwt = require("jsonwebtoken")
const fs = require("fs")
const crypto = require("crypto")

const iat = 1767225600 // 2026-01-01T00:00:00Z
const secret = "supersecret" // Medusa's development default http.jwtSecret
const rsaKey = fs.readFileSync(__dirname + "/medusa_rs256_test_key.pem", "utf8")

const auth221 = {
  actor_id: "cus_01JGZ8Q4T6W5B7N3XKAM2C9D0E",
  actor_type: "customer",
  auth_identity_id: "authid_01JGZ8Q4SRD1XN8V1QJ6W0K7T2",
  auth_provider: "emailpass",
  app_metadata: { customer_id: "cus_01JGZ8Q4T6W5B7N3XKAM2C9D0E", user_id: undefined, roles: ["role_1"] },
  user_metadata: {},
  mfa_enabled: false,
  mfa_challenge_completed_at: null,
  iat,
}
const auth20 = {
  actor_id: "",
  actor_type: "customer",
  auth_identity_id: "authid_01JGZ8Q4SRD1XN8V1QJ6W0K7T2",
  app_metadata: { customer_id: undefined },
  iat,
}
const reset = {
  entity_id: "jane@example.com",
  provider: "emailpass",
  actor_type: "customer",
  purpose: "reset",
  iat,
}

const out = {
  generator: "jsonwebtoken " + require("jsonwebtoken/package.json").version + ", node " + process.version,
  secret,
  iat,
  tokens: [
    { name: "auth 2.21 HS256", kind: "auth", token: jwt.sign(auth221, secret, { expiresIn: "1d" }) },
    { name: "auth 2.0 HS256 actorless", kind: "auth", token: jwt.sign(auth20, secret, { expiresIn: "1d" }) },
    { name: "reset 2.21 HS256", kind: "reset", token: jwt.sign(reset, secret, { expiresIn: "900s", jwtid: crypto.randomUUID() }) },
    { name: "auth 2.21 RS256", kind: "auth", rsa: true, token: jwt.sign(auth221, rsaKey, { algorithm: "RS256", expiresIn: "1d" }) },
  ],
}
console.log(JSON.stringify(out, null, 2))
