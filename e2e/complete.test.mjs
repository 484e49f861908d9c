// End-to-end test of ADDRESS_REQUIRE_COMPLETE=true: examples/server driven
// by Medusa's JS SDK refuses addresses a shop cannot ship to, naming every
// missing field, and accepts complete ones (postal code only where the
// country has postal codes).
//
//	cd e2e && npm ci && npm test
import { test } from "node:test"
import assert from "node:assert/strict"
import { startServer } from "./server.mjs"

const srv = startServer({ ADDRESS_REQUIRE_COMPLETE: "true" })

test("incomplete addresses are refused, complete ones kept", async () => {
  const email = "complete@example.com"
  const { s } = await srv.signUp(email, "supersecret")

  await assert.rejects(s.store.customer.createAddress({ city: "Paris", country_code: "fr" }), (e) => {
    assert.equal(e.status, 400)
    assert.equal(e.message, "Invalid request: Field 'first_name' is required; Field 'last_name' is required; Field 'address_1' is required; Field 'postal_code' is required")
    return true
  })
  const { customer } = await s.store.customer.createAddress({
    first_name: "Ada", last_name: "Lovelace", address_1: "1 Rue de Rivoli", city: "Paris", country_code: "fr", postal_code: "75001",
  })
  assert.equal(customer.addresses.length, 1)
  const id = customer.addresses[0].id
  await assert.rejects(s.store.customer.updateAddress(id, { city: "" }), (e) => e.status === 400)
  // No postal code in a country without them.
  await s.store.customer.createAddress({ first_name: "Ada", last_name: "Lovelace", address_1: "Sheikh Zayed Rd", city: "Dubai", country_code: "ae" })
  const { addresses } = await s.store.customer.listAddress()
  assert.equal(addresses.length, 2)
})
