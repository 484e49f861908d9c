// The harness of the end-to-end tests: it builds ./examples/server with
// the machine's Go, starts it on a free port (in-memory store, or
// PostgreSQL when DATABASE_URL is set) with the oidctest fake identity
// provider, and stops it when the test file ends. Each *.test.mjs file
// starts a server of its own.
import { before, after } from "node:test"
import assert from "node:assert/strict"
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, dirname } from "node:path"
import { fileURLToPath } from "node:url"
import net from "node:net"
import Medusa from "@medusajs/js-sdk"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
    s.on("error", reject)
  })
}

// startServer registers before and after hooks that run examples/server
// with env added to its environment; the returned object's base, eventsFile
// and sdk() are ready inside tests.
export function startServer(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "clientele-e2e-"))
  const srv = { base: "", eventsFile: join(dir, "events.jsonl"), proc: null }
  srv.sdk = () => new Medusa({ baseUrl: srv.base, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } })
  srv.events = () => {
    assert.ok(existsSync(srv.eventsFile), "no events file")
    // Whole lines only: the file starts empty, and the server may be
    // writing its last line while this reads.
    return readFileSync(srv.eventsFile, "utf8").split("\n").slice(0, -1).map((l) => JSON.parse(l))
  }
  // signUp registers email as a customer, creates its account and
  // refreshes the token; it returns the SDK (holding the customer's
  // token) and the customer.
  srv.signUp = async (email, password) => {
    const s = srv.sdk()
    await s.auth.register("customer", "emailpass", { email, password })
    const { customer } = await s.store.customer.create({ email })
    await s.auth.refresh()
    return { s, customer }
  }
  // resetToken waits for the last reset event of email, which the server
  // delivers after its answer (a slow mailer must not shape the timing).
  srv.resetToken = async (email) => {
    for (let i = 0; i < 100; i++) {
      const resets = srv.events().filter((e) => e.name === "auth.password_reset" && e.data.entity_id === email)
      if (resets.length > 0) return resets.at(-1).data.token
      await new Promise((r) => setTimeout(r, 20))
    }
    assert.fail("no auth.password_reset event")
  }
  before(async () => {
    const bin = join(dir, "server")
    execFileSync("go", ["build", "-o", bin, "./examples/server"], { cwd: root, stdio: "inherit" })
    const port = await freePort()
    srv.base = `http://127.0.0.1:${port}`
    srv.proc = spawn(bin, [], {
      env: {
        ...process.env,
        ADDR: `127.0.0.1:${port}`,
        JWT_SECRET: "e2e-secret-0123456789abcdef0123456789",
        ADMIN_EMAIL: "admin@example.com",
        ADMIN_PASSWORD: "supersecret",
        EVENTS_FILE: srv.eventsFile,
        OIDC_FAKE: "true",
        OIDC_CALLBACK_URL: `${srv.base}/auth/customer/oidc/callback`,
        LOG_LEVEL: "warn",
        // On one PostgreSQL database every file's server shares the
        // throttle counters of 127.0.0.1: only the throttle test, which
        // counts under addresses of its own, turns throttling on.
        THROTTLE: "off",
        ...env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    })
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`${srv.base}/health`)
        if (r.status === 200) return
      } catch {}
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error("server did not start")
  })
  after(async () => {
    if (srv.proc && srv.proc.exitCode === null) {
      const exited = new Promise((r) => srv.proc.once("exit", r))
      srv.proc.kill("SIGTERM")
      await exited
    }
    // The server binary and the events file go with the test file.
    rmSync(dir, { recursive: true, force: true })
  })
  return srv
}
