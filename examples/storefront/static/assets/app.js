// The storefront: one page that routes by path under its base (the
// <base href> the server writes), talks to clientele's Medusa-shaped API
// on its own origin, and keeps the login in a session cookie. Tokens of
// the steps in between (a pending two-step challenge, a registration, a
// pending email verification) live in this module's memory only.

const base = new URL(document.baseURI).pathname // e.g. "/storefront/"
const ACTOR = "customer"

// ---------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || `HTTP ${status}`)
    this.status = status
    this.type = body && body.type
    this.body = body
    this.retryAfter = retryAfter ? Number(retryAfter) : 0
  }
}

let config = { publishable_key: "", mailbox: false }

async function api(method, path, body, { token, headers = {} } = {}) {
  const h = { accept: "application/json", ...headers }
  if (body !== undefined) h["content-type"] = "application/json"
  if (token) h.authorization = "Bearer " + token
  if (config.publishable_key && path.startsWith("/store")) h["x-publishable-api-key"] = config.publishable_key
  const res = await fetch(path, {
    method, headers: h, credentials: "same-origin", signal: AbortSignal.timeout(30000),
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let data = null
  if (text) {
    try { data = JSON.parse(text) } catch { data = { message: text } }
  }
  if (!res.ok) throw new ApiError(res.status, data, res.headers.get("retry-after"))
  return data
}

function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)))
  } catch {
    return {}
  }
}

// ---------------------------------------------------------------------------
// Errors a person understands

function seconds(n) {
  if (n < 90) return `${n} second${n === 1 ? "" : "s"}`
  const m = Math.ceil(n / 60)
  return `${m} minute${m === 1 ? "" : "s"}`
}

const known = [
  [/Invalid email or password/i, "The email or password is not right. Check them and try again."],
  [/Identity with email already exists/i, "An account with this email exists already. Log in, or reset your password if you forgot it."],
  [/already has an account/i, "An account with this email exists already. Log in instead."],
  [/Invalid token|token.*(expired|used)/i, "This link has expired or was used already. Ask for a new one."],
  [/email this login has proved/i, "Use the email address you just proved: the one the code or the login provider confirmed."],
  [/MFA encryption key is required/i, "Two-step verification is not available on this shop yet."],
  [/Invalid TOTP code/i, "That code is not right. Type the code the app shows now."],
  [/Invalid MFA challenge code/i, "That code is not right, or it was used already. Check it and try again."],
  [/Invalid current password/i, "Your current password is not right."],
  [/verification code.*(invalid|not found)|Invalid verification code/i, "That code is not right, or it was used already. Check the mail and try again."],
  [/expired/i, "The code or link has expired. Ask for a new one."],
  [/MFA verification is required/i, "Finish the two-step verification first."],
  [/password.*(too short|at least)/i, null],
]

function explain(err, context = "") {
  if (err instanceof TypeError) return "The shop cannot be reached. Check your connection and try again."
  if (err && err.name === "TimeoutError") return "The shop did not answer in time. Please try again."
  if (err && err.name === "NotAllowedError") return "The passkey request was cancelled or timed out. Try again when you are ready."
  if (err && err.name === "InvalidStateError") return "This device already has a passkey for this account."
  if (err && err.name === "SecurityError") return "Passkeys cannot be used on this address. Open the shop at its usual address."
  if (!(err instanceof ApiError)) return (err && err.message) || "Something went wrong. Please try again."
  if (err.status === 429) {
    return "Too many attempts. " + (err.retryAfter ? `Please wait ${seconds(err.retryAfter)} and try again.` : "Please wait a little and try again.")
  }
  if (err.status >= 500) return "Something went wrong on our side. Please try again in a moment."
  const msg = (err.message || "").replace(/^Invalid request: /, "")
  if (err.status === 401) {
    if (/Enter the confirmation code/i.test(msg)) {
      return "This link was opened on another device or browser. Type the confirmation code shown where you asked for the link."
    }
    if (/cannot also be your second factor/i.test(msg)) return msg
    if (/Log in again to change how you log in/i.test(msg)) return "For your safety, log out and in again before you change how you log in."
    const byContext = {
      login: "The email or password is not right. Check them and try again.",
      code: "That code is not right, or it has expired. Check it and try again.",
      passkey: "That passkey is not known here. Use another way to log in, then add a passkey to your account.",
      social: "The login with that provider did not complete. Please start again.",
      reset: "This link has expired or was used already. Ask for a new one.",
    }
    if (byContext[context]) return byContext[context]
  }
  for (const [re, text] of known) if (re.test(msg)) return text || msg
  if (err.status === 401) return "Your session has ended. Please log in again."
  return msg || "That did not work. Please try again."
}

// ---------------------------------------------------------------------------
// DOM helpers (text is always set as text, never parsed as HTML)

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v)
    else if (k === "text") el.textContent = v
    else el.setAttribute(k, v === true ? "" : v)
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c)
  return el
}

let fieldSeq = 0
function field(label, attrs = {}, hint) {
  const id = attrs.id || `f${++fieldSeq}`
  const hintId = hint ? id + "-hint" : undefined
  return h("div", { class: "field" },
    h("label", { for: id, text: label }),
    h("input", { type: "text", ...attrs, id, "aria-describedby": hintId }),
    hint ? h("span", { class: "hint", id: hintId, text: hint }) : null)
}

function alertBox() {
  return h("div", { class: "alert", role: "alert", "aria-live": "assertive" })
}

// announce says text through the page's live region, which stays in the
// document across pages (an alert inserted already filled may not be
// read out).
function announce(text) {
  const live = document.getElementById("announce")
  if (!live) return
  live.textContent = ""
  setTimeout(() => (live.textContent = text), 50)
}

function showError(box, err, context) {
  box.className = "alert error"
  box.textContent = typeof err === "string" ? err : explain(err, context)
  announce(box.textContent)
}

function showOK(box, text) {
  box.className = "alert ok"
  box.textContent = text
  announce(text)
}

// busy runs fn with the button disabled, so that a second click does not
// send a second request.
async function busy(button, fn) {
  if (button.disabled) return
  button.disabled = true
  try {
    await fn()
  } finally {
    button.disabled = false
  }
}

// form wires a <form>: on submit it disables its buttons, clears its
// alert, runs fn with the form's values and shows fn's error in the alert.
function form(attrs, alert, fn, context, ...children) {
  if (!alert.id) alert.id = `a${++fieldSeq}`
  const f = h("form", { class: "card", novalidate: true, "aria-describedby": alert.id, ...attrs }, alert, ...children)
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault()
    const buttons = f.querySelectorAll("button")
    buttons.forEach((b) => (b.disabled = true))
    alert.className = "alert"
    alert.textContent = ""
    try {
      await fn(Object.fromEntries(new FormData(f)), f)
    } catch (err) {
      showError(alert, err, context)
    } finally {
      buttons.forEach((b) => (b.disabled = false))
    }
  })
  return f
}

// page shows a page. After the first (which a screen reader reads from the
// top, the skip link first), the focus moves to the new page's heading,
// as a browser's own navigation would start there.
let firstPage = true
function page(title, ...children) {
  const main = document.getElementById("main")
  document.title = `${title} · Clientele Shop`
  main.replaceChildren(h("h1", { tabindex: "-1", text: title }), ...children)
  if (!firstPage) main.querySelector("h1").focus()
  firstPage = false
}

// ---------------------------------------------------------------------------
// State and routing

const state = {
  customer: null,
  providers: [],
  pending: null, // {kind: "mfa"|"profile"|"verify", token, ...}
  magic: null, // {flow, confirmation_code, email}
  flash: "",
}

// resetFlow forgets the steps of a login or registration under way.
function resetFlow() {
  state.pending = null
  state.magic = null
  state.afterLogin = null
}

function go(path, { replace = false } = {}) {
  const url = base + path.replace(/^\//, "")
  if (replace) history.replaceState(null, "", url)
  else history.pushState(null, "", url)
  render()
}

document.addEventListener("click", (ev) => {
  if (ev.target.closest("#skip")) {
    // The page's <base> would make "#main" another page's address.
    ev.preventDefault()
    document.getElementById("main").focus()
    return
  }
  const a = ev.target.closest("a[data-link]")
  if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return
  ev.preventDefault()
  go(a.getAttribute("href"))
})
window.addEventListener("popstate", () => render())
// A mailed link opened over the same page changes only the fragment.
window.addEventListener("hashchange", () => { if (location.hash.length > 1) render() })

function route() {
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : ""
  return path.replace(/\/+$/, "")
}

async function loadCustomer() {
  try {
    const { customer } = await api("GET", "/store/customers/me?fields=*addresses")
    state.customer = customer
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err
    state.customer = null
  }
  return state.customer
}

function link(href, text) {
  const current = route() === href
  return h("a", { href, "data-link": true, "aria-current": current ? "page" : false, text })
}

function renderNav() {
  const items = state.customer
    ? [link("account", "Account"), link("addresses", "Addresses"), link("security", "Security"),
       h("button", { class: "secondary", type: "button", id: "logout", onclick: (ev) => busy(ev.currentTarget, logout), text: "Log out" })]
    : [link("login", "Log in"), link("register", "Create account")]
  if (config.mailbox) items.push(link("mailbox", "Mailbox (development)"))
  document.getElementById("nav").replaceChildren(...items.map((i) => h("li", {}, i)))
}

const routes = {
  "": () => (state.customer ? go("account", { replace: true }) : go("login", { replace: true })),
  login: loginPage,
  register: registerPage,
  forgot: forgotPage,
  reset: resetPage,
  verify: verifyPage,
  magic: magicPage,
  account: needCustomer(accountPage),
  addresses: needCustomer(addressesPage),
  security: needCustomer(securityPage),
  mailbox: mailboxPage,
}

function needCustomer(fn) {
  return () => {
    if (!state.customer) {
      state.flash = "Please log in to see that page."
      return go("login", { replace: true })
    }
    return fn()
  }
}

function render() {
  renderNav()
  const r = route()
  if (r.startsWith("callback/")) return callbackPage(r.slice("callback/".length))
  const fn = routes[r]
  if (!fn) return page("Page not found", h("p", {}, "There is no such page. ", link("", "Go to the start")))
  return fn()
}

// ---------------------------------------------------------------------------
// Completing a login: every way in ends here

// finish takes a login's answer ({token}, or the two-step, verification or
// registration steps it needs) and carries it to a session.
async function finish(answer, { email } = {}) {
  const token = typeof answer === "string" ? answer : answer.token
  if (answer.mfa_required) {
    state.pending = { kind: "mfa", token, challenge: answer.mfa_challenge }
    return mfaChallengePage()
  }
  if (answer.verification_required) {
    state.pending = { kind: "verify", token, verification: answer.verification, email }
    return verificationRequiredPage()
  }
  const claims = claimsOf(token)
  const m = state.magic
  if (!claims.actor_id && m && m.profile) {
    // A registration through an email code: the profile came with the
    // request, and a passkey follows when asked for.
    state.magic = null
    forgetSignup(m.flow)
    const after = m.profile.passkey ? passkeyAfterRegistration : null
    return createCustomer(token, { email: m.email, first_name: m.profile.first_name, last_name: m.profile.last_name }, after)
  }
  if (!claims.actor_id) {
    const meta = claims.user_metadata || {}
    state.pending = { kind: "profile", token, email: meta.email || email || "", first_name: meta.given_name || "", last_name: meta.family_name || "" }
    return profilePage()
  }
  await api("POST", "/auth/session", undefined, { token })
  const next = state.afterLogin
  resetFlow()
  await loadCustomer()
  if (next) return next()
  state.flash = `Welcome${state.customer && state.customer.first_name ? ", " + state.customer.first_name : ""}! You are logged in.`
  // Back does not return to a spent landing page (a callback, a link).
  go("account", { replace: true })
}

async function logout() {
  try {
    await api("DELETE", "/auth/session")
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) {
      alert(explain(err))
      return
    }
  }
  state.customer = null
  resetFlow()
  state.flash = "You are logged out."
  go("login")
}

function flash() {
  const box = alertBox()
  if (state.flash) showOK(box, state.flash)
  state.flash = ""
  return box
}

// ---------------------------------------------------------------------------
// Passkeys (WebAuthn)

function passkeysSupported() {
  return !!(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON)
}

async function passkeyCreate(options) {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey)
  const cred = await navigator.credentials.create({ publicKey })
  return cred.toJSON()
}

async function passkeyGet(options) {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey)
  const cred = await navigator.credentials.get({ publicKey })
  return cred.toJSON()
}

async function passkeyLogin() {
  const options = await api("POST", `/auth/${ACTOR}/passkey/begin`, { ceremony: "login" })
  const assertion = await passkeyGet(options)
  return finish(await api("POST", `/auth/${ACTOR}/passkey/callback`, assertion))
}

// addPasskey makes a passkey on this device and links it to the logged-in
// customer's identity.
async function addPasskey() {
  const name = (state.customer && state.customer.email) || "customer"
  const options = await api("POST", `/auth/${ACTOR}/passkey/begin`, { ceremony: "register", name })
  const cred = await passkeyCreate(options)
  await api("POST", `/auth/${ACTOR}/passkey/link`, cred)
}

function has(providerID) {
  return state.providers.some((p) => p.id === providerID)
}

// ---------------------------------------------------------------------------
// Pages: logging in

function loginPage() {
  const children = [flash()]
  if (has("emailpass")) {
    const alert = alertBox()
    children.push(form({ id: "password-login", "aria-labelledby": "pw-h" }, alert, async (v) => {
      const res = await api("POST", `/auth/${ACTOR}/emailpass`, { email: v.email, password: v.password })
      if (res.location) throw new Error("This provider needs a redirect, which is not expected here.")
      await finish(res, { email: v.email })
    }, "login",
    h("h2", { id: "pw-h", text: "Log in with your password" }),
    field("Email", { type: "email", name: "email", autocomplete: "username", required: true }),
    field("Password", { type: "password", name: "password", autocomplete: "current-password", required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Log in" }), link("forgot", "Forgot your password?"))))
  }
  if (has("magiclink")) children.push(magicRequestForm("Log in with an email link or code", "Email me a link and code"))
  if (has("passkey")) {
    const alert = alertBox()
    const btn = h("button", { type: "submit", id: "passkey-login", text: "Log in with a passkey" })
    children.push(form({ id: "passkey-form", "aria-labelledby": "pk-h" }, alert, async () => {
      if (!passkeysSupported()) throw new Error("This browser cannot use passkeys. Use another way to log in.")
      await passkeyLogin()
    }, "passkey",
    h("h2", { id: "pk-h", text: "Log in with a passkey" }),
    h("p", { class: "muted", text: "Use the fingerprint, face or screen lock of this device, or a security key." }), btn))
  }
  children.push(...socialButtons())
  children.push(h("p", {}, "New here? ", link("register", "Create an account")))
  page("Log in", ...children)
}

function socialButtons() {
  const redirect = state.providers.filter((p) => p.flow === "redirect") // not passkeys ("ceremony") or email ("email")
  if (!redirect.length) return []
  const alert = alertBox()
  const names = { google: "Google", github: "GitHub", oidc: "your company account" }
  const buttons = redirect.map((p) => h("button", {
    type: "button", class: "secondary", id: `social-${p.id}`, text: `Continue with ${names[p.id] || p.id}`,
    onclick: async (ev) => {
      ev.target.disabled = true
      try {
        const res = await api("POST", `/auth/${ACTOR}/${p.id}`, {})
        if (!res.location) throw new Error("The login provider did not answer with its page.")
        location.assign(res.location)
      } catch (err) {
        ev.target.disabled = false
        showError(alert, err, "social")
      }
    },
  }))
  return [h("section", { class: "card", "aria-labelledby": "social-h" },
    h("h2", { id: "social-h", text: "Or continue with" }), alert, h("div", { class: "actions" }, buttons))]
}

// magicRequestForm asks for an email and starts a passwordless login (or
// registration): the mail carries a link and a code.
function magicRequestForm(title, action, { profile, onDone } = {}) {
  const alert = alertBox()
  return form({ id: "magic-request", "aria-labelledby": "magic-h" }, alert, async (v) => {
    if (!v.email) throw new Error("Enter your email address.")
    const res = await api("POST", `/auth/${ACTOR}/magiclink/request`, { email: v.email })
    resetFlow()
    state.magic = { flow: res.flow, confirmation_code: res.confirmation_code, email: v.email, profile: profile ? profile(v) : null }
    if (state.magic.profile) rememberSignup(state.magic)
    if (onDone) onDone(v)
    magicCodePage()
  }, "",
  h("h2", { id: "magic-h", text: title }),
  profile ? profileFields() : null,
  field("Email", { type: "email", name: "email", autocomplete: "email", required: true }),
  h("button", { type: "submit", text: action }))
}

function magicCodePage() {
  const m = state.magic
  const alert = alertBox()
  page("Check your email",
    h("p", {}, "If ", h("strong", { text: m.email }), " can log in here, we sent it a link and a six-digit code. Type the code below, or open the link in this browser."),
    h("p", {}, "If you open the link on another device, it will ask for this confirmation code: ",
      h("span", { class: "code-box", id: "confirmation-code", text: m.confirmation_code })),
    form({ id: "magic-code" }, alert, async (v) => {
      const res = await api("POST", `/auth/${ACTOR}/magiclink/callback`, { flow: m.flow, code: v.code.trim() })
      await finish(res, { email: m.email })
    }, "code",
    field("Code from the email", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", class: "code-input", required: true }),
    h("button", { type: "submit", text: "Continue" })),
    mailboxHint())
}

// A sign-up's profile and choices (no secret) wait in this tab's storage
// for the mailed link, which opens a new page.
const SIGNUP_KEY = "clientele.signup"

function rememberSignup(m) {
  try {
    sessionStorage.setItem(SIGNUP_KEY, JSON.stringify({ flow: m.flow, email: m.email, profile: m.profile }))
  } catch {
    // Storage refused: the code still works in this page.
  }
}

function forgetSignup(flow) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SIGNUP_KEY) || "null")
    if (!flow || (saved && saved.flow === flow)) sessionStorage.removeItem(SIGNUP_KEY)
  } catch {
    // Nothing to forget.
  }
}

// savedSignup returns the sign-up that asked for the link of token (whose
// first part is the login's flow), if this tab asked for it.
function savedSignup(token) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SIGNUP_KEY) || "null")
    if (saved && token.split(".")[0] === saved.flow) return saved
  } catch {
    // Nothing saved.
  }
  return null
}

// linkParams returns the parameters of the mailed link that opened the
// page path: from its fragment, where the mailbox puts them (a browser
// never sends it to a server), else from its query (a host may mail
// those). Both then leave the address bar.
function linkParams(path) {
  const params = new URLSearchParams(location.hash.length > 1 ? location.hash.slice(1) : location.search)
  history.replaceState(null, "", base + path)
  return params
}

// magicPage is where the mailed link lands: in the browser that asked it
// logs in; elsewhere it asks for the confirmation code shown there.
async function magicPage() {
  const token = linkParams("magic").get("token")
  if (!token) return page("Login link", h("p", { text: "This link is incomplete. Ask for a new one." }))
  const alert = alertBox()
  page("Logging you in…", alert)
  resetFlow()
  const signup = savedSignup(token)
  if (signup) state.magic = signup
  try {
    return await finish(await api("POST", `/auth/${ACTOR}/magiclink/callback`, { token }))
  } catch (err) {
    if (!(err instanceof ApiError) || !/confirmation code/i.test(err.message)) {
      showError(alert, err, "code")
      return
    }
  }
  const a2 = alertBox()
  page("Confirm it is you",
    h("p", { text: "This link was opened in another browser or device than the one that asked for it. Type the confirmation code shown there." }),
    form({ id: "magic-confirm" }, a2, async (v) => {
      await finish(await api("POST", `/auth/${ACTOR}/magiclink/callback`, { token, confirmation_code: v.confirmation_code.trim() }))
    }, "code",
    field("Confirmation code", { name: "confirmation_code", autocomplete: "off", class: "code-input", required: true }),
    h("button", { type: "submit", text: "Log in" })))
}

function mailboxHint() {
  return config.mailbox ? h("p", { class: "muted" }, "This is a development server: its mails are in the ", link("mailbox", "mailbox"), ".") : null
}

// mfaChallengePage asks for the second step of a login.
function mfaChallengePage() {
  const { token, challenge } = state.pending
  const methods = challenge.methods || []
  const alert = alertBox()
  const verify = async (method, code) => {
    const res = await api("POST", `/auth/mfa/challenges/${encodeURIComponent(challenge.id)}/verify`, { method, code }, { token })
    await finish(res)
  }
  const children = [
    h("p", { text: "Your account has two-step verification on." }),
  ]
  const totp = methods.includes("totp")
  if (methods.includes("passkey")) {
    const a2 = alertBox()
    children.push(form({ id: "mfa-passkey" }, a2, async () => {
      const options = await api("POST", `/auth/mfa/challenges/${encodeURIComponent(challenge.id)}/passkey`, undefined, { token })
      const assertion = await passkeyGet(options)
      await verify("passkey", JSON.stringify(assertion))
    }, "passkey",
    h("p", { text: "Confirm with the passkey on this device." }),
    h("button", { type: "submit", id: "mfa-use-passkey", text: "Use my passkey" })))
  }
  if (totp || methods.includes("recovery_code")) {
    children.push(form({ id: "mfa-code" }, alert, async (v) => {
      const code = v.code.replace(/\s+/g, "")
      await verify(totp && (/^\d{6,8}$/.test(code) || !methods.includes("recovery_code")) ? "totp" : "recovery_code", code)
    }, "code",
    totp
      ? field("Code from your authenticator app, or a recovery code", { name: "code", autocomplete: "one-time-code", class: "code-input", required: true },
        "Six digits from the app; a recovery code if you lost the device.")
      : field("Recovery code", { name: "code", autocomplete: "one-time-code", class: "code-input", required: true },
        "If you cannot use your passkey: one of the recovery codes you saved."),
    h("button", { type: "submit", text: "Verify" })))
  }
  page("Two-step verification", ...children)
}

// verificationRequiredPage: the login waits for the email to be verified.
function verificationRequiredPage() {
  const { token, verification } = state.pending
  const email = (verification && verification.entity_id) || state.pending.email || ""
  const alert = alertBox()
  const sent = alertBox()
  const send = async () => {
    await api("POST", "/auth/verification/request", { entity_id: email, entity_type: "email" }, { token })
    showOK(sent, `We sent a code to ${email}.`)
  }
  page("Verify your email",
    h("p", {}, "Before you can log in, confirm that ", h("strong", { text: email }), " is yours."),
    sent,
    form({ id: "verify-code" }, alert, async (v) => {
      await api("POST", "/auth/verification/confirm", { code: v.code.trim() }, { token })
      // The verification is done: the same login now completes.
      await finish(await api("POST", "/auth/token/refresh", undefined, { token }), { email })
    }, "code",
    field("Code from the email", { name: "code", autocomplete: "one-time-code", class: "code-input", required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Verify" }),
      h("button", { type: "button", class: "secondary", id: "resend", text: "Send the code", onclick: (ev) => busy(ev.currentTarget, () => send().catch((e) => showError(sent, e))) }))),
    mailboxHint())
  if (!verification) send().catch((e) => showError(sent, e))
  else showOK(sent, `A code was sent to ${email} already. Use it, or ask for a new one.`)
}

// profilePage completes a registration: the identity exists (a password,
// an email code, a social login) and the customer account is made for it.
function profilePage() {
  const p = state.pending
  const alert = alertBox()
  page("Complete your account",
    h("p", { text: "One more step: tell us your name." }),
    form({ id: "profile" }, alert, async (v) => {
      await createCustomer(p.token, { email: v.email, first_name: v.first_name, last_name: v.last_name })
    }, "",
    field("Email", { type: "email", name: "email", value: p.email, autocomplete: "email", required: true, readonly: p.email ? true : false },
      p.email ? "The email your login proved." : undefined),
    h("div", { class: "grid" },
      field("First name", { name: "first_name", value: p.first_name || "", autocomplete: "given-name" }),
      field("Last name", { name: "last_name", value: p.last_name || "", autocomplete: "family-name" })),
    h("button", { type: "submit", text: "Create my account" })))
}

// createCustomer makes the customer of a registration token and logs in
// (Medusa's three steps: register, create the customer, refresh); then,
// once logged in, runs after when given.
async function createCustomer(token, profile, after) {
  await api("POST", "/store/customers", profile, { token })
  const refreshed = await api("POST", "/auth/token/refresh", undefined, { token })
  state.afterLogin = after || null
  await finish(refreshed, { email: profile.email })
}

// ---------------------------------------------------------------------------
// Pages: registering

function profileFields() {
  return h("div", { class: "grid" },
    field("First name", { name: "first_name", autocomplete: "given-name" }),
    field("Last name", { name: "last_name", autocomplete: "family-name" }))
}

function registerPage() {
  const children = [flash()]
  if (has("emailpass")) {
    const alert = alertBox()
    children.push(form({ id: "password-register", "aria-labelledby": "reg-h" }, alert, async (v) => {
      if (!v.email) throw new Error("Enter your email address.")
      if ((v.password || "").length < 8) throw new Error("Choose a password of at least 8 characters.")
      const res = await api("POST", `/auth/${ACTOR}/emailpass/register`, { email: v.email, password: v.password })
      await createCustomer(res.token, { email: v.email, first_name: v.first_name, last_name: v.last_name })
    }, "",
    h("h2", { id: "reg-h", text: "With a password" }),
    profileFields(),
    field("Email", { type: "email", name: "email", autocomplete: "email", required: true }),
    field("Password", { type: "password", name: "password", autocomplete: "new-password", required: true, minlength: "8" }, "At least 8 characters."),
    h("button", { type: "submit", text: "Create account" })))
  }
  if (has("magiclink")) {
    const f = magicRequestForm("Without a password", "Email me a code", {
      profile: (v) => ({ first_name: v.first_name, last_name: v.last_name, passkey: v.passkey === "on" }),
    })
    if (has("passkey") && passkeysSupported()) {
      f.querySelector("button").before(h("div", { class: "check" },
        h("input", { type: "checkbox", id: "with-passkey", name: "passkey", checked: true }),
        h("label", { for: "with-passkey", text: "Then create a passkey on this device, to log in without email next time" })))
    }
    children.push(f)
  }
  children.push(...socialButtons())
  children.push(h("p", {}, "Have an account? ", link("login", "Log in")))
  page("Create an account", ...children)
}

async function passkeyAfterRegistration() {
  const alert = alertBox()
  page("Create a passkey", alert,
    h("p", { text: "Your account is ready. Now create a passkey on this device: next time you log in with it, without a password or an email." }))
  try {
    await addPasskey()
    state.flash = "Your account is ready, with a passkey on this device."
    go("account")
  } catch (err) {
    showError(alert, err, "passkey")
    document.getElementById("main").append(h("p", {}, "You can add a passkey later on the ", link("security", "Security page"), "."))
  }
}

// ---------------------------------------------------------------------------
// Pages: password reset and email verification

function forgotPage() {
  const alert = alertBox()
  page("Forgot your password?",
    h("p", { text: "Enter your account's email. If it has a password here, we mail it a link to choose a new one." }),
    form({ id: "forgot" }, alert, async (v, f) => {
      if (!v.email) throw new Error("Enter your email address.")
      await api("POST", `/auth/${ACTOR}/emailpass/reset-password`, { identifier: v.email })
      const done = h("div", { class: "alert ok", role: "status", tabindex: "-1", text: `If ${v.email} has an account, a reset link is on its way. It works once, for a short time.` })
      f.replaceWith(done)
      done.focus() // the form that had the focus is gone
      announce(done.textContent)
    }, "",
    field("Email", { type: "email", name: "email", autocomplete: "email", required: true }),
    h("button", { type: "submit", text: "Send me a reset link" })),
    mailboxHint())
}

function resetPage() {
  const q = linkParams("reset")
  const token = q.get("token")
  const email = q.get("email") || ""
  if (!token) return page("Choose a new password", h("p", {}, "This link is incomplete. ", link("forgot", "Ask for a new one"), "."))
  const alert = alertBox()
  page("Choose a new password",
    form({ id: "reset" }, alert, async (v) => {
      if ((v.password || "").length < 8) throw new Error("Choose a password of at least 8 characters.")
      if (v.password !== v.confirm) throw new Error("The two passwords are not the same.")
      await api("POST", `/auth/${ACTOR}/emailpass/update`, { email, password: v.password }, { token })
      state.flash = "Your password is changed. Log in with the new one."
      go("login")
    }, "reset",
    field("New password", { type: "password", name: "password", autocomplete: "new-password", required: true, minlength: "8" }, "At least 8 characters."),
    field("New password again", { type: "password", name: "confirm", autocomplete: "new-password", required: true }),
    h("button", { type: "submit", text: "Change password" })))
}

// verifyPage is where the verification mail's link lands.
async function verifyPage() {
  const code = linkParams("verify").get("code")
  const alert = alertBox()
  page("Verify your email", alert)
  if (!code) return showError(alert, "This link is incomplete. Ask for a new code.")
  try {
    const v = await api("POST", "/auth/verification/confirm", { code })
    showOK(alert, `${v.entity_id} is verified.`)
    document.getElementById("main").append(h("p", {}, state.customer ? link("account", "Back to your account") : link("login", "Log in")))
  } catch (err) {
    showError(alert, err, "code")
  }
}

// ---------------------------------------------------------------------------
// Social login callback

async function callbackPage(providerID) {
  const params = new URLSearchParams(location.search)
  history.replaceState(null, "", base + "callback/" + providerID) // the code leaves the address bar
  resetFlow()
  if (![...params.keys()].length) {
    return page("Login", h("p", {}, "This login has finished already. ", link(state.customer ? "account" : "login", state.customer ? "Go to your account" : "Log in")))
  }
  const alert = alertBox()
  page("Logging you in…", alert)
  // Only what the identity provider sends; the binding is this browser's
  // cookie, which the server set when the login began.
  const q = new URLSearchParams()
  for (const k of ["code", "state", "error", "error_description", "error_uri"]) if (params.has(k)) q.set(k, params.get(k))
  try {
    if (params.has("error")) {
      throw new Error(params.get("error") === "access_denied"
        ? "The login was cancelled at the login provider. You can try again, or log in another way."
        : "The login provider could not log you in. Please try again, or log in another way.")
    }
    const res = await api("GET", `/auth/${ACTOR}/${encodeURIComponent(providerID)}/callback?${q}`)
    await finish(res)
  } catch (err) {
    showError(alert, err, "social")
    document.getElementById("main").append(h("p", {}, link("login", "Back to the login page")))
  }
}

// ---------------------------------------------------------------------------
// Account pages

function accountPage() {
  const c = state.customer
  const alert = alertBox()
  const verifyBox = alertBox()
  page("Your account", flash(),
    h("section", { class: "card", "aria-labelledby": "who-h" },
      h("h2", { id: "who-h", text: [c.first_name, c.last_name].filter(Boolean).join(" ") || "Your details" }),
      h("p", {}, "Email: ", h("strong", { id: "account-email", text: c.email || "" })),
      verifyBox,
      h("button", { type: "button", class: "secondary", id: "verify-email", text: "Verify this email", onclick: (ev) => busy(ev.currentTarget, () => requestOwnVerification(verifyBox)) })),
    form({ id: "details", "aria-labelledby": "details-h" }, alert, async (v) => {
      const { customer } = await api("POST", "/store/customers/me?fields=*addresses", { first_name: v.first_name, last_name: v.last_name, phone: v.phone || null })
      state.customer = customer
      showOK(alert, "Your details are saved.")
    }, "",
    h("h2", { id: "details-h", text: "Your details" }),
    h("div", { class: "grid" },
      field("First name", { name: "first_name", value: c.first_name || "", autocomplete: "given-name" }),
      field("Last name", { name: "last_name", value: c.last_name || "", autocomplete: "family-name" })),
    field("Phone", { type: "tel", name: "phone", value: c.phone || "", autocomplete: "tel" }),
    h("button", { type: "submit", text: "Save" })))
}

async function requestOwnVerification(box) {
  try {
    await api("POST", "/auth/verification/request", { entity_id: state.customer.email, entity_type: "email" })
    showOK(box, `We sent a link to ${state.customer.email}. Open it to confirm the address.`)
  } catch (err) {
    showError(box, err)
  }
}

const countries = [["", "Choose…"], ["us", "United States"], ["gb", "United Kingdom"], ["de", "Germany"], ["fr", "France"], ["dk", "Denmark"], ["nl", "Netherlands"]]

function addressForm(alert, onSave, a = {}, idPrefix = "new") {
  const sel = h("select", { id: `${idPrefix}-country`, name: "country_code", required: true },
    countries.map(([v, t]) => h("option", { value: v, selected: (a.country_code || "") === v, text: t })))
  return form({ id: `address-${idPrefix}`, "aria-labelledby": `${idPrefix}-h` }, alert, async (v) => {
    if (!v.address_1 || !v.city || !v.country_code) throw new Error("Fill in the street, the city and the country.")
    await onSave({
      first_name: v.first_name, last_name: v.last_name, address_1: v.address_1, address_2: v.address_2 || null,
      city: v.city, postal_code: v.postal_code, country_code: v.country_code, phone: v.phone || null,
      is_default_shipping: v.is_default_shipping === "on", is_default_billing: v.is_default_billing === "on",
    })
  }, "",
  h("h2", { id: `${idPrefix}-h`, text: a.id ? "Edit address" : "Add an address" }),
  h("div", { class: "grid" },
    field("First name", { name: "first_name", value: a.first_name || "", autocomplete: "given-name" }),
    field("Last name", { name: "last_name", value: a.last_name || "", autocomplete: "family-name" })),
  field("Street and number", { name: "address_1", value: a.address_1 || "", autocomplete: "address-line1", required: true }),
  field("Apartment, floor (optional)", { name: "address_2", value: a.address_2 || "", autocomplete: "address-line2" }),
  h("div", { class: "grid" },
    field("Postal code", { name: "postal_code", value: a.postal_code || "", autocomplete: "postal-code" }),
    field("City", { name: "city", value: a.city || "", autocomplete: "address-level2", required: true })),
  h("div", { class: "field" }, h("label", { for: `${idPrefix}-country`, text: "Country" }), sel),
  field("Phone (optional)", { type: "tel", name: "phone", value: a.phone || "", autocomplete: "tel" }),
  h("div", { class: "check" }, h("input", { type: "checkbox", id: `${idPrefix}-ship`, name: "is_default_shipping", checked: !!a.is_default_shipping }),
    h("label", { for: `${idPrefix}-ship`, text: "Default shipping address" })),
  h("div", { class: "check" }, h("input", { type: "checkbox", id: `${idPrefix}-bill`, name: "is_default_billing", checked: !!a.is_default_billing }),
    h("label", { for: `${idPrefix}-bill`, text: "Default billing address" })),
  h("button", { type: "submit", text: a.id ? "Save address" : "Add address" }))
}

function addressesPage() {
  const c = state.customer
  const alert = alertBox()
  const listAlert = alertBox()
  const addresses = [...(c.addresses || [])].sort((x, y) => (x.created_at < y.created_at ? -1 : 1))
  const save = (path) => async (body) => {
    const { customer } = await api("POST", path + "?fields=*addresses", body)
    state.customer = customer
    state.flash = "The address book is saved."
    addressesPage()
  }
  const setDefault = (a, kind) => async () => {
    try {
      await save(`/store/customers/me/addresses/${encodeURIComponent(a.id)}`)({ [kind]: true })
    } catch (err) {
      showError(listAlert, err)
    }
  }
  const remove = (a) => async () => {
    if (!confirm(`Delete the address ${a.address_1}, ${a.city}?`)) return
    try {
      await api("DELETE", `/store/customers/me/addresses/${encodeURIComponent(a.id)}`)
      await loadCustomer()
      state.flash = "The address is deleted."
      addressesPage()
    } catch (err) {
      showError(listAlert, err)
    }
  }
  const label = (a) => `${a.address_1}, ${a.city}`
  page("Your addresses", flash(),
    h("section", { class: "card", "aria-labelledby": "book-h" },
      h("h2", { id: "book-h", text: "Address book" }), listAlert,
      addresses.length === 0 ? h("p", { class: "muted", text: "No addresses yet." }) :
        h("ul", { class: "addresses" }, addresses.map((a) => h("li", { "data-address": a.id },
          h("address", {},
            h("strong", { text: [a.first_name, a.last_name].filter(Boolean).join(" ") }),
            a.is_default_shipping ? h("span", { class: "badge", text: "Default shipping" }) : null,
            a.is_default_billing ? h("span", { class: "badge", text: "Default billing" }) : null,
            h("br"), a.address_1, a.address_2 ? [h("br"), a.address_2] : null, h("br"),
            [a.postal_code, a.city].filter(Boolean).join(" "), h("br"), (a.country_code || "").toUpperCase()),
          h("div", { class: "actions" },
            a.is_default_shipping ? null : h("button", { type: "button", class: "secondary", "aria-label": `Make ${label(a)} the default shipping address`, text: "Make default shipping", onclick: (ev) => busy(ev.currentTarget, setDefault(a, "is_default_shipping")) }),
            a.is_default_billing ? null : h("button", { type: "button", class: "secondary", "aria-label": `Make ${label(a)} the default billing address`, text: "Make default billing", onclick: (ev) => busy(ev.currentTarget, setDefault(a, "is_default_billing")) }),
            h("button", { type: "button", class: "danger", "aria-label": `Delete ${label(a)}`, text: "Delete", onclick: (ev) => busy(ev.currentTarget, remove(a)) })))))),
    addressForm(alert, save("/store/customers/me/addresses")))
}

async function securityPage() {
  const mainAlert = flash()
  page("Security", mainAlert, h("p", { id: "security-loading", text: "Loading…" }))
  let factors = []
  try {
    factors = (await api("GET", "/auth/mfa/factors")).mfa_factors || []
  } catch (err) {
    showError(mainAlert, err)
  }
  const enabled = factors.filter((f) => f.status === "enabled")
  const main = document.getElementById("main")
  main.querySelector("#security-loading").remove()

  // Two-step verification
  const mfaAlert = alertBox()
  const mfa = h("section", { class: "card", id: "mfa", "aria-labelledby": "mfa-h" }, h("h2", { id: "mfa-h", text: "Two-step verification" }), mfaAlert)
  if (enabled.length) {
    mfa.append(h("p", {}, "On, with ", enabled.map((f) => (f.provider === "totp" ? "an authenticator app" : f.provider === "passkey" ? "a passkey" : f.provider)).join(" and "), "."),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", id: "new-recovery-codes", text: "New recovery codes", onclick: (ev) => busy(ev.currentTarget, () => recoveryCodes(mfa, mfaAlert)) })))
  } else {
    mfa.append(h("p", { text: "Add a second step to your login: a code from an authenticator app on your phone, or a passkey you added." }),
      h("div", { class: "actions" },
        h("button", { type: "button", id: "mfa-start", text: "Set up an authenticator app", onclick: (ev) => busy(ev.currentTarget, () => startTOTP(mfa, mfaAlert)) }),
        has("passkey") ? h("button", { type: "button", class: "secondary", id: "mfa-passkey-on", text: "Use my passkey as the second step", onclick: (ev) => busy(ev.currentTarget, () => passkeyFactor(mfa, mfaAlert)) }) : null))
  }

  // Ways to log in
  const methods = waysToLogIn()
  await methods.refresh()

  // Passkeys
  const pkAlert = alertBox()
  const pk = has("passkey") ? h("section", { class: "card", "aria-labelledby": "pk-h" }, h("h2", { id: "pk-h", text: "Passkeys" }), pkAlert,
    h("p", { text: "A passkey logs you in with this device's screen lock: nothing to type, nothing to phish." }),
    h("button", { type: "button", id: "add-passkey", text: "Add a passkey on this device", onclick: async (ev) => {
      ev.target.disabled = true
      try {
        if (!passkeysSupported()) throw new Error("This browser cannot use passkeys.")
        await addPasskey()
        showOK(pkAlert, "The passkey is added. Next time, choose “Log in with a passkey”.")
        await methods.refresh()
      } catch (err) {
        showError(pkAlert, err, "passkey")
      } finally {
        ev.target.disabled = false
      }
    } })) : null

  // Password
  const pwAlert = alertBox()
  const pw = has("emailpass") ? form({ id: "change-password", "aria-labelledby": "pw-h" }, pwAlert, async (v, f) => {
    if ((v.new_password || "").length < 8) throw new Error("Choose a new password of at least 8 characters.")
    await api("POST", `/auth/${ACTOR}/emailpass/change-password`, { current_password: v.current_password, new_password: v.new_password })
    f.reset()
    showOK(pwAlert, "Your password is changed. You were logged out everywhere else.")
  }, "",
  h("h2", { id: "pw-h", text: "Change your password" }),
  field("Current password", { type: "password", name: "current_password", autocomplete: "current-password", required: true }),
  field("New password", { type: "password", name: "new_password", autocomplete: "new-password", required: true, minlength: "8" }, "At least 8 characters."),
  h("button", { type: "submit", text: "Change password" })) : null

  // Sessions
  const outAlert = alertBox()
  const out = h("section", { class: "card", "aria-labelledby": "out-h" }, h("h2", { id: "out-h", text: "Log out everywhere" }), outAlert,
    h("p", { text: "Ends every login of your account, on every device and browser, this one included." }),
    h("button", { type: "button", class: "danger", id: "logout-all", text: "Log out everywhere", onclick: async (ev) => {
      ev.target.disabled = true
      try {
        await api("POST", "/auth/logout-all")
        state.customer = null
        state.flash = "You are logged out on every device."
        go("login")
      } catch (err) {
        ev.target.disabled = false
        showError(outAlert, err)
      }
    } }))
  main.append(mfa, methods.section, pk || "", pw || "", out)
}

// waysToLogIn is the Security page's list of the ways into the account
// (GET /auth/identity), each but the last with a button that removes it:
// a passkey or a social login added from someone else's hands can be
// taken away. refresh loads the list again.
function waysToLogIn() {
  const alert = alertBox()
  const list = h("ul", { class: "methods", id: "methods" })
  const section = h("section", { class: "card", id: "ways", "aria-labelledby": "ways-h" },
    h("h2", { id: "ways-h", text: "Ways to log in" }), alert,
    h("p", { text: "Remove any you do not recognise. The last one stays." }), list)
  const names = { google: "Google", github: "GitHub", oidc: "Your company account" }
  const describe = (pi) => {
    const added = new Date(pi.created_at).toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" })
    switch (pi.provider) {
      case "emailpass": return `Password for ${pi.entity_id}`
      case "passkey": return `Passkey added on ${added}`
      case "magiclink": return `Email link or code to ${pi.entity_id}`
    }
    return `${names[pi.provider] || pi.provider} account, linked on ${added}`
  }
  const show = (identity) => {
    const pis = [...identity.provider_identities].sort((x, y) => (x.created_at < y.created_at ? -1 : 1))
    list.replaceChildren(...pis.map((pi) => {
      const label = describe(pi)
      return h("li", { "data-provider": pi.provider },
        h("span", { text: label }),
        pis.length > 1 ? h("button", { type: "button", class: "secondary", "aria-label": `Remove: ${label}`, text: "Remove", onclick: (ev) => busy(ev.currentTarget, async () => {
          try {
            const res = await api("DELETE", `/auth/identity/provider-identities/${encodeURIComponent(pi.id)}`)
            show(res.auth_identity)
            showOK(alert, `Removed: ${label}.`)
          } catch (err) {
            showError(alert, err)
          }
        }) }) : null)
    }))
  }
  return {
    section,
    refresh: async () => {
      try {
        show((await api("GET", "/auth/identity")).auth_identity)
      } catch (err) {
        showError(alert, err)
      }
    },
  }
}

async function startTOTP(section, alert) {
  try {
    const res = await api("POST", "/auth/mfa/factors", { provider: "totp", label: state.customer.email || undefined, issuer: "Clientele Shop" })
    const qr = await fetch("qr", { method: "POST", body: res.otpauth_url, credentials: "same-origin" })
    if (!qr.ok) throw new Error("The QR code could not be drawn; type the key below into the app instead.")
    const img = h("img", { class: "qr", id: "mfa-qr", alt: "QR code to scan with your authenticator app", src: URL.createObjectURL(await qr.blob()) })
    const a2 = alertBox()
    section.replaceChildren(h("h2", { id: "mfa-h", text: "Set up an authenticator app" }),
      h("ol", {},
        h("li", { text: "Open your authenticator app (Google Authenticator, 1Password, Authy…) and scan this code." }),
        h("li", {}, "Or type this key: ", h("span", { class: "secret", id: "mfa-secret", text: res.secret })),
        h("li", { text: "Type the six-digit code the app shows." })),
      img,
      form({ id: "mfa-verify" }, a2, async (v) => {
        await api("POST", `/auth/mfa/factors/${encodeURIComponent(res.mfa_factor.id)}/verify`, { code: v.code.replace(/\s+/g, "") })
        await recoveryCodes(section, a2, true)
      }, "code",
      field("Code from the app", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", class: "code-input", required: true }),
      h("button", { type: "submit", text: "Turn on two-step verification" })))
    section.querySelector("input").focus()
  } catch (err) {
    showError(alert, err)
  }
}

// passkeyFactor turns on the customer's passkeys as the second step.
async function passkeyFactor(section, alert) {
  try {
    await api("POST", "/auth/mfa/factors", { provider: "passkey" })
    await recoveryCodes(section, alert, true)
  } catch (err) {
    if (err instanceof ApiError && /has no passkey/i.test(err.message)) {
      showError(alert, "Add a passkey on this device first (below), then use it as the second step.")
      return
    }
    showError(alert, err)
  }
}

async function recoveryCodes(section, alert, justEnabled) {
  try {
    const { recovery_codes: codes } = await api("POST", "/auth/mfa/recovery-codes", {})
    section.replaceChildren(h("h2", { id: "mfa-h", text: justEnabled ? "Two-step verification is on" : "New recovery codes" }),
      h("div", { class: "alert ok", role: "status", text: justEnabled ? "From now on, your logins ask for a second step." : "Your old recovery codes no longer work." }),
      h("p", { text: "Keep these recovery codes somewhere safe. Each logs you in once if you lose your phone." }),
      h("ul", { class: "codes", id: "recovery-codes" }, codes.map((c) => h("li", { text: c }))),
      h("a", { href: "security", "data-link": true, class: "button", text: "I have saved them" }))
    // The button that had the focus is gone: the section's heading takes it.
    const heading = section.querySelector("h2")
    heading.setAttribute("tabindex", "-1")
    heading.focus()
    announce(heading.textContent)
  } catch (err) {
    showError(alert, err)
  }
}

// ---------------------------------------------------------------------------
// The development mailbox

async function mailboxPage() {
  const alert = alertBox()
  const list = h("ul", { class: "mails", id: "mails" })
  const load = async () => {
    try {
      const { mails } = await (async () => {
        const res = await fetch("mailbox/messages", { credentials: "same-origin", cache: "no-store" })
        if (!res.ok) throw new Error(res.status === 404 ? "This server has no development mailbox." : "The mailbox could not be read.")
        return res.json()
      })()
      list.replaceChildren(...(mails.length ? mails.map((m) => h("li", { "data-mail": m.id },
        h("article", {},
          h("h2", { text: m.subject }),
          h("p", { class: "muted", text: `To ${m.to} · ${new Date(m.sent_at).toLocaleString()}` }),
          h("p", { text: m.text }),
          m.code ? h("p", {}, "Code: ", h("span", { class: "code-box", "data-code": true, text: m.code })) : null,
          m.link ? h("p", {}, h("a", { href: m.link, class: "button", "data-mail-link": true, text: m.event === "auth.password_reset" ? "Choose a new password" : m.event === "auth.verification_requested" ? "Confirm my email" : "Log in" })) : null)))
        : [h("li", { class: "muted", text: "No mails yet." })]))
    } catch (err) {
      showError(alert, err)
    }
  }
  page("Mailbox",
    h("p", { class: "muted", text: "A development server keeps the mails it would send here, instead of sending them. Never use it where real people have accounts." }),
    alert,
    h("button", { type: "button", class: "secondary", id: "refresh-mail", text: "Refresh", onclick: (ev) => busy(ev.currentTarget, load) }),
    list)
  await load()
}

// ---------------------------------------------------------------------------
// Start

async function start() {
  try {
    config = await (await fetch("config.json", { credentials: "same-origin", signal: AbortSignal.timeout(30000) })).json()
    const [{ providers }] = await Promise.all([api("GET", `/auth/${ACTOR}/providers`), loadCustomer()])
    state.providers = providers || []
  } catch (err) {
    document.getElementById("main").replaceChildren(h("h1", { text: "The shop is not available" }), h("p", { class: "alert error", role: "alert", text: explain(err) }))
    return
  }
  render()
}

start()
