// End-to-end tests: the official JavaScript client (@supabase/auth-js, version pinned in
// package.json) against a running gotrue server. Started by tests/e2e/run.sh, which sets
//   GOTRUE_URL  base URL of the server (http://127.0.0.1:PORT)
//   MAILDIR     Maildir where the test SMTP server (aiosmtpd Mailbox) stores every mail it accepts
// The mailbox is shared with other tests running at the same time, so every test uses its own
// random addresses and picks its mails by the To header.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  AuthClient,
  AuthApiError,
  isAuthApiError,
  isAuthWeakPasswordError,
  isAuthSessionMissingError,
} from '@supabase/auth-js'

const GOTRUE_URL = (process.env.GOTRUE_URL ?? '').replace(/\/+$/, '')
const MAILDIR = process.env.MAILDIR ?? ''
if (!GOTRUE_URL || !MAILDIR) {
  throw new Error('GOTRUE_URL and MAILDIR must be set (run tests/e2e/run.sh)')
}
const SITE_URL = 'http://localhost:3000' // GOTRUE_SITE_URL set by run.sh
const PASSWORD = 'correct-horse-battery-staple'
const TEST_TIMEOUT = 60_000
const MAIL_TIMEOUT = 10_000
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

// ---------------------------------------------------------------------------------------------
// helpers

function randomEmail() {
  return `e2e-${randomBytes(6).toString('hex')}@example.com`
}

function newClient() {
  return new AuthClient({
    url: GOTRUE_URL,
    autoRefreshToken: false,
    persistSession: false,
    detectSessionInUrl: false,
  })
}

function decodeJwt(jwt) {
  const parts = jwt.split('.')
  assert.equal(parts.length, 3, `not a JWT: ${jwt}`)
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Raw HTTP call the way auth-js makes it (API version header), for what the client hides.
async function api(method, path, { jwt, body } = {}) {
  const headers = { 'X-Supabase-Api-Version': '2024-01-01' }
  if (jwt) headers.Authorization = `Bearer ${jwt}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(`${GOTRUE_URL}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let json = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = null
  }
  return { status: res.status, headers: res.headers, text, json }
}

// Asserts an auth-js error: class, HTTP status and error code.
function assertApiError(error, status, code, context) {
  assert.ok(error, `${context}: expected an error, got none`)
  assert.ok(
    isAuthApiError(error),
    `${context}: expected AuthApiError, got ${error?.name}: ${error?.message}`,
  )
  assert.equal(error.status, status, `${context}: status (message: ${error.message})`)
  assert.equal(error.code, code, `${context}: code (message: ${error.message})`)
}

// --- a tiny RFC 822 / MIME reader ------------------------------------------------------------

function splitEntity(raw) {
  const match = /\r?\n\r?\n/.exec(raw)
  const head = match ? raw.slice(0, match.index) : raw
  const body = match ? raw.slice(match.index + match[0].length) : ''
  const headers = {}
  let last = null
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      headers[last] += ' ' + line.trim()
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    last = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    // keep the first occurrence (aiosmtpd adds its own X- headers; To/Subject appear once)
    if (!(last in headers)) headers[last] = value
    else last = null
  }
  return { headers, body }
}

function decodeQuotedPrintable(text) {
  const bytes = []
  const soft = text.replace(/=\r?\n/g, '')
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i]
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(c, 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

function decodeHeaderWords(value) {
  // RFC 2047 encoded words, in case a header is encoded
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset, enc, data) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  )
}

function collectParts(raw, parts) {
  const { headers, body } = splitEntity(raw)
  const type = headers['content-type'] ?? 'text/plain'
  if (/^multipart\//i.test(type)) {
    const m = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(type)
    assert.ok(m, `multipart without boundary: ${type}`)
    const delimiter = '--' + (m[1] ?? m[2])
    const chunks = body.split(delimiter)
    // chunks[0] is the preamble; the chunk starting with "--" is the epilogue
    for (const chunk of chunks.slice(1)) {
      if (chunk.startsWith('--')) break
      collectParts(chunk.replace(/^[^\n]*\n/, '').replace(/\r?\n$/, ''), parts)
    }
    return
  }
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase()
  let decoded = body
  if (encoding === 'quoted-printable') decoded = decodeQuotedPrintable(body)
  else if (encoding === 'base64') decoded = Buffer.from(body, 'base64').toString('utf8')
  parts.push({ type: type.split(';')[0].trim().toLowerCase(), body: decoded })
}

function parseMail(raw) {
  const { headers } = splitEntity(raw)
  const parts = []
  collectParts(raw, parts)
  return {
    headers,
    to: decodeHeaderWords(headers.to ?? ''),
    subject: decodeHeaderWords(headers.subject ?? ''),
    html: parts.find((p) => p.type === 'text/html')?.body ?? null,
    text: parts.find((p) => p.type === 'text/plain')?.body ?? null,
    raw,
  }
}

function recipients(toHeader) {
  return (toHeader.match(/[^\s<>,;"']+@[^\s<>,;"']+/g) ?? []).map((a) => a.toLowerCase())
}

// Parsed mails by Maildir base name (the part before ':'; unique, kept when a reader moves a mail
// from new/ to cur/), so polling a busy shared mailbox parses every file once.
const mailCache = new Map()

async function mailsTo(email) {
  const found = new Map()
  for (const sub of ['new', 'cur']) {
    let names = []
    try {
      names = await readdir(join(MAILDIR, sub))
    } catch {
      continue // the Maildir is created on the first delivery
    }
    for (const name of names) {
      if (name.startsWith('.')) continue
      const key = name.split(':')[0]
      let mail = mailCache.get(key)
      if (!mail) {
        let raw
        try {
          raw = await readFile(join(MAILDIR, sub, name), 'utf8')
        } catch {
          continue // moved away meanwhile
        }
        mail = parseMail(raw)
        mail.recipients = recipients(mail.to)
        mailCache.set(key, mail)
      }
      if (mail.recipients.includes(email.toLowerCase())) found.set(key, mail)
    }
  }
  return [...found.values()]
}

// Waits until at least `count` mails to `email` (optionally matching `filter`) have arrived.
async function waitForMails(email, { count = 1, filter = () => true, timeout = MAIL_TIMEOUT } = {}) {
  const deadline = Date.now() + timeout
  for (;;) {
    const mails = (await mailsTo(email)).filter(filter)
    if (mails.length >= count) return mails
    if (Date.now() > deadline) {
      assert.fail(`expected ${count} mail(s) to ${email} within ${timeout} ms, got ${mails.length}`)
    }
    await sleep(100)
  }
}

async function waitForMail(email, options) {
  const mails = await waitForMails(email, options)
  assert.equal(mails.length, 1, `expected exactly one matching mail to ${email}`)
  return mails[0]
}

function decodeHtmlEntities(text) {
  return text
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

// The verification link of a mail: the first href of the HTML part, else the first URL in the text.
function mailLink(mail) {
  if (mail.html) {
    const m = /href\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(mail.html)
    if (m) return decodeHtmlEntities(m[1] ?? m[2])
  }
  if (mail.text) {
    const m = /https?:\/\/[^\s<>()"]+/.exec(mail.text)
    if (m) return m[0]
  }
  assert.fail(`no link in mail:\n${mail.raw}`)
}

// The OTP digits of a mail.
function mailCode(mail) {
  for (const body of [mail.text, mail.html ? mail.html.replace(/<[^>]*>/g, ' ') : null]) {
    if (!body) continue
    const stripped = body.replace(/https?:\/\/[^\s<>()"]+/g, ' ')
    const m = /code:?\s*(\d{6})\b/i.exec(stripped) ?? /\b(\d{6})\b/.exec(stripped)
    if (m) return m[1]
  }
  assert.fail(`no 6-digit code in mail:\n${mail.raw}`)
}

function fragmentParams(location) {
  const hash = location.indexOf('#')
  assert.ok(hash >= 0, `no fragment in ${location}`)
  return new URLSearchParams(location.slice(hash + 1))
}

// Follows a mail link without following the redirect; returns the 303's Location.
async function followLink(link) {
  const res = await fetch(link, { redirect: 'manual' })
  await res.arrayBuffer()
  assert.equal(res.status, 303, `GET ${link}: status`)
  const location = res.headers.get('location')
  assert.ok(location, `GET ${link}: no Location header`)
  return location
}

async function signUpAndGetMail(client, email, data = { name: 'Ada' }) {
  const { data: result, error } = await client.signUp({
    email,
    password: PASSWORD,
    options: { data },
  })
  assert.equal(error, null, `signUp(${email}): ${error?.message}`)
  assert.ok(result.user, 'signUp returned no user')
  const mail = await waitForMail(email)
  return { user: result.user, mail }
}

// A confirmed user (confirmed through the mail's code) signed in on its own client.
async function confirmedUser() {
  const email = randomEmail()
  const client = newClient()
  const { user, mail } = await signUpAndGetMail(client, email)
  const { error } = await client.verifyOtp({ email, token: mailCode(mail), type: 'signup' })
  assert.equal(error, null, `verifyOtp: ${error?.message}`)
  const signIn = await client.signInWithPassword({ email, password: PASSWORD })
  assert.equal(signIn.error, null, `signInWithPassword: ${signIn.error?.message}`)
  return { email, client, user, session: signIn.data.session }
}

// ---------------------------------------------------------------------------------------------
// tests

describe('@supabase/auth-js against gotrue', { concurrency: true }, () => {
  test('health and settings', { timeout: TEST_TIMEOUT }, async () => {
    const health = await api('GET', '/health')
    assert.equal(health.status, 200)
    assert.equal(health.json.name, 'GoTrue')
    const settings = await api('GET', '/settings')
    assert.equal(settings.status, 200)
    assert.equal(settings.json.external.email, true)
    assert.equal(settings.json.mailer_autoconfirm, false)
    assert.equal(settings.json.disable_signup, false)
  })

  test('signUp, confirmation link, password sign-in', { timeout: TEST_TIMEOUT }, async () => {
    const email = randomEmail()
    const client = newClient()

    const { data, error } = await client.signUp({
      email,
      password: PASSWORD,
      options: { data: { name: 'Ada' } },
    })
    assert.equal(error, null, `signUp: ${error?.message}`)
    assert.equal(data.session, null, 'no session while autoconfirm is off')
    const user = data.user
    assert.match(user.id, UUID_RE)
    assert.equal(user.email, email)
    assert.equal(user.aud, 'authenticated')
    assert.equal(user.role, 'authenticated')
    assert.equal(user.user_metadata.name, 'Ada')
    assert.equal(user.user_metadata.email_verified, false)
    assert.equal(user.email_confirmed_at, undefined)
    assert.ok(user.confirmation_sent_at, 'confirmation_sent_at set')
    assert.equal(user.identities.length, 1)
    assert.equal(user.identities[0].provider, 'email')
    assert.deepEqual(user.app_metadata, { provider: 'email', providers: ['email'] })

    // Before confirmation: right password → email_not_confirmed.
    const early = await client.signInWithPassword({ email, password: PASSWORD })
    assertApiError(early.error, 400, 'email_not_confirmed', 'signInWithPassword before confirming')
    assert.equal(early.data.session, null)

    const mail = await waitForMail(email)
    assert.equal(mail.subject, 'Confirm your email address')
    const link = mailLink(mail)
    const linkUrl = new URL(link)
    assert.equal(`${linkUrl.origin}${linkUrl.pathname}`, `${GOTRUE_URL}/verify`)
    assert.equal(linkUrl.searchParams.get('type'), 'signup')
    assert.equal(linkUrl.searchParams.get('redirect_to'), SITE_URL)
    assert.ok(linkUrl.searchParams.get('token'), 'link has a token')

    const location = await followLink(link)
    assert.ok(location.startsWith(`${SITE_URL}`), `Location ${location} goes to the site URL`)
    const params = fragmentParams(location)
    assert.equal(params.get('type'), 'signup')
    assert.equal(params.get('token_type'), 'bearer')
    assert.ok(params.get('refresh_token'), 'refresh_token in fragment')
    assert.ok(Number(params.get('expires_in')) > 0, 'expires_in in fragment')
    assert.ok(Number(params.get('expires_at')) > Date.now() / 1000, 'expires_at in fragment')
    const claims = decodeJwt(params.get('access_token'))
    assert.equal(claims.sub, user.id)
    assert.equal(claims.email, email)
    assert.equal(claims.aud, 'authenticated')
    assert.equal(claims.role, 'authenticated')
    assert.match(claims.session_id, UUID_RE)

    // The session from the link works in auth-js.
    const linked = newClient()
    const set = await linked.setSession({
      access_token: params.get('access_token'),
      refresh_token: params.get('refresh_token'),
    })
    assert.equal(set.error, null, `setSession: ${set.error?.message}`)
    const got = await linked.getUser()
    assert.equal(got.error, null, `getUser: ${got.error?.message}`)
    assert.equal(got.data.user.id, user.id)
    assert.ok(got.data.user.email_confirmed_at, 'email confirmed')
    assert.equal(got.data.user.user_metadata.email_verified, true)

    // The link is single-use.
    const again = fragmentParams(await followLink(link))
    assert.equal(again.get('error'), 'access_denied')
    assert.equal(again.get('error_code'), 'otp_expired')

    // After confirmation: password sign-in gives a session.
    const signIn = await client.signInWithPassword({ email, password: PASSWORD })
    assert.equal(signIn.error, null, `signInWithPassword: ${signIn.error?.message}`)
    const session = signIn.data.session
    assert.ok(session.access_token && session.refresh_token)
    assert.equal(session.token_type, 'bearer')
    assert.equal(session.user.id, user.id)
    assert.ok(session.user.last_sign_in_at, 'last_sign_in_at set')
    assert.equal(decodeJwt(session.access_token).amr[0].method, 'password')
  })

  test('verifyOtp with the code from the confirmation mail', { timeout: TEST_TIMEOUT }, async () => {
    const email = randomEmail()
    const client = newClient()
    const { user, mail } = await signUpAndGetMail(client, email)
    const code = mailCode(mail)
    assert.match(code, /^\d{6}$/)

    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0')
    const bad = await client.verifyOtp({ email, token: wrong, type: 'signup' })
    assertApiError(bad.error, 403, 'otp_expired', 'verifyOtp with a wrong code')

    const { data, error } = await client.verifyOtp({ email, token: code, type: 'signup' })
    assert.equal(error, null, `verifyOtp: ${error?.message}`)
    assert.ok(data.session?.access_token, 'verifyOtp returns a session')
    assert.equal(data.user.id, user.id)
    assert.ok(data.user.email_confirmed_at, 'email confirmed')
    assert.equal(decodeJwt(data.session.access_token).sub, user.id)

    // The client keeps the session: getUser without arguments uses it.
    const got = await client.getUser()
    assert.equal(got.error, null, `getUser: ${got.error?.message}`)
    assert.equal(got.data.user.id, user.id)

    // A code is single-use.
    const reuse = await newClient().verifyOtp({ email, token: code, type: 'signup' })
    assertApiError(reuse.error, 403, 'otp_expired', 'verifyOtp with a used code')
  })

  test('verifyOtp type email and token_hash', { timeout: TEST_TIMEOUT }, async () => {
    // type 'email' accepts the signup code
    const email = randomEmail()
    const { user, mail } = await signUpAndGetMail(newClient(), email)
    const byCode = await newClient().verifyOtp({ email, token: mailCode(mail), type: 'email' })
    assert.equal(byCode.error, null, `verifyOtp type email: ${byCode.error?.message}`)
    assert.equal(byCode.data.user.id, user.id)
    assert.ok(byCode.data.session?.access_token)

    // token_hash = the link's token
    const email2 = randomEmail()
    const second = await signUpAndGetMail(newClient(), email2)
    const tokenHash = new URL(mailLink(second.mail)).searchParams.get('token')
    const byHash = await newClient().verifyOtp({ token_hash: tokenHash, type: 'signup' })
    assert.equal(byHash.error, null, `verifyOtp token_hash: ${byHash.error?.message}`)
    assert.equal(byHash.data.user.id, second.user.id)
    assert.ok(byHash.data.user.email_confirmed_at)
  })

  test('getUser, updateUser, refreshSession and refresh token reuse', { timeout: TEST_TIMEOUT }, async () => {
    const { email, client, user, session: first } = await confirmedUser()

    const got = await client.getUser()
    assert.equal(got.error, null, `getUser: ${got.error?.message}`)
    assert.equal(got.data.user.id, user.id)
    assert.equal(got.data.user.email, email)

    const byJwt = await newClient().getUser(first.access_token)
    assert.equal(byJwt.error, null, `getUser(jwt): ${byJwt.error?.message}`)
    assert.equal(byJwt.data.user.id, user.id)

    const updated = await client.updateUser({ data: { plan: 'pro' } })
    assert.equal(updated.error, null, `updateUser: ${updated.error?.message}`)
    assert.equal(updated.data.user.user_metadata.plan, 'pro')
    assert.equal(updated.data.user.user_metadata.name, 'Ada', 'metadata is merged')
    const after = await client.getUser()
    assert.equal(after.data.user.user_metadata.plan, 'pro')

    // Make sure the refreshed access token gets a later iat than the first one.
    const firstClaims = decodeJwt(first.access_token)
    while (Date.now() / 1000 < firstClaims.iat + 1.05) await sleep(50)

    const r1 = await client.refreshSession()
    assert.equal(r1.error, null, `refreshSession: ${r1.error?.message}`)
    const second = r1.data.session
    assert.notEqual(second.access_token, first.access_token)
    assert.notEqual(second.refresh_token, first.refresh_token)
    const secondClaims = decodeJwt(second.access_token)
    assert.equal(secondClaims.sub, user.id)
    assert.equal(secondClaims.session_id, firstClaims.session_id, 'same session')
    assert.equal(secondClaims.user_metadata.plan, 'pro')

    const r2 = await client.refreshSession()
    assert.equal(r2.error, null, `second refreshSession: ${r2.error?.message}`)
    const third = r2.data.session
    assert.notEqual(third.refresh_token, second.refresh_token)

    // The parent of the active token may be replayed: the active token comes back.
    const lost = await api('POST', '/token?grant_type=refresh_token', {
      body: { refresh_token: second.refresh_token },
    })
    assert.equal(lost.status, 200, `replaying the parent of the active token: ${lost.text}`)
    assert.equal(lost.json.refresh_token, third.refresh_token)

    // An older token is reuse: refused, and the whole session's tokens are revoked.
    const replay = await newClient().refreshSession({ refresh_token: first.refresh_token })
    assertApiError(replay.error, 400, 'refresh_token_already_used', 'replaying the first refresh token')
    assert.equal(replay.data.session, null)
    const raw = await api('POST', '/token?grant_type=refresh_token', {
      body: { refresh_token: first.refresh_token },
    })
    assert.equal(raw.status, 400)
    assert.equal(raw.json?.code, 'refresh_token_already_used', raw.text)
    assert.equal(raw.headers.get('x-sb-error-code'), 'refresh_token_already_used')
    assert.equal(raw.headers.get('x-supabase-api-version'), '2024-01-01')

    const revoked = await newClient().refreshSession({ refresh_token: third.refresh_token })
    assertApiError(revoked.error, 400, 'refresh_token_already_used', 'refreshing after reuse detection')

    // The access token stays valid until its session is ended.
    const stillThere = await newClient().getUser(third.access_token)
    assert.equal(stillThere.error, null, `getUser after reuse detection: ${stillThere.error?.message}`)
  })

  test('signOut local and global', { timeout: TEST_TIMEOUT }, async () => {
    const { email, client: clientA, session: a } = await confirmedUser()
    const clientB = newClient()
    const signInB = await clientB.signInWithPassword({ email, password: PASSWORD })
    assert.equal(signInB.error, null, `second signInWithPassword: ${signInB.error?.message}`)
    const b = signInB.data.session
    assert.notEqual(decodeJwt(a.access_token).session_id, decodeJwt(b.access_token).session_id)

    // local: only session A ends
    const outA = await clientA.signOut({ scope: 'local' })
    assert.equal(outA.error, null, `signOut local: ${outA.error?.message}`)
    assert.equal((await clientA.getSession()).data.session, null, 'client forgot the session')
    const rawA = await api('GET', '/user', { jwt: a.access_token })
    assert.equal(rawA.status, 403, `GET /user with a signed-out session: ${rawA.text}`)
    assert.equal(rawA.json?.code, 'session_not_found')
    const goneA = await newClient().getUser(a.access_token)
    assert.ok(isAuthSessionMissingError(goneA.error), `getUser: ${goneA.error?.name}`)
    const refreshA = await newClient().refreshSession({ refresh_token: a.refresh_token })
    assertApiError(refreshA.error, 400, 'refresh_token_not_found', 'refresh after signOut')

    const stillB = await newClient().getUser(b.access_token)
    assert.equal(stillB.error, null, `session B survives a local signOut: ${stillB.error?.message}`)

    // global (the default): every session of the user ends
    const third = newClient()
    const signInC = await third.signInWithPassword({ email, password: PASSWORD })
    assert.equal(signInC.error, null)
    const outB = await clientB.signOut()
    assert.equal(outB.error, null, `signOut: ${outB.error?.message}`)
    for (const token of [b.access_token, signInC.data.session.access_token]) {
      const res = await api('GET', '/user', { jwt: token })
      assert.equal(res.status, 403, `GET /user after global signOut: ${res.text}`)
      assert.equal(res.json?.code, 'session_not_found')
    }
  })

  test('signOut with the raw API reports 204', { timeout: TEST_TIMEOUT }, async () => {
    // auth-js ignores 401/403/404 from /logout, so check the server's answer directly.
    const { session } = await confirmedUser()
    const res = await api('POST', '/logout?scope=global', { jwt: session.access_token })
    assert.equal(res.status, 204, res.text)
    assert.equal(res.text, '')
    const again = await api('POST', '/logout?scope=global', { jwt: session.access_token })
    assert.equal(again.status, 403, again.text)
    assert.equal(again.json?.code, 'session_not_found')
  })

  test('updateUser password', { timeout: TEST_TIMEOUT }, async () => {
    const { email, client } = await confirmedUser()
    const newPassword = 'another-long-passphrase'
    const { data, error } = await client.updateUser({ password: newPassword })
    assert.equal(error, null, `updateUser password: ${error?.message}`)
    assert.equal(data.user.email, email)

    const same = await client.updateUser({ password: newPassword })
    assertApiError(same.error, 422, 'same_password', 'updateUser with the same password')

    const weak = await client.updateUser({ password: 'abc' })
    assert.ok(isAuthWeakPasswordError(weak.error), `weak password: ${weak.error?.name}`)
    assert.deepEqual(weak.error.reasons, ['length'])

    const old = await newClient().signInWithPassword({ email, password: PASSWORD })
    assertApiError(old.error, 400, 'invalid_credentials', 'sign-in with the old password')
    const fresh = await newClient().signInWithPassword({ email, password: newPassword })
    assert.equal(fresh.error, null, `sign-in with the new password: ${fresh.error?.message}`)
  })

  test('updateUser email: secure change with two links', { timeout: TEST_TIMEOUT }, async () => {
    const { email, client, user } = await confirmedUser()
    const newEmail = randomEmail()
    const { data, error } = await client.updateUser({ email: newEmail })
    assert.equal(error, null, `updateUser email: ${error?.message}`)
    assert.equal(data.user.email, email, 'email unchanged until confirmed')
    assert.equal(data.user.new_email, newEmail)
    assert.ok(data.user.email_change_sent_at)

    const toNew = await waitForMail(newEmail)
    const toOld = await waitForMail(email, { filter: (m) => m.subject !== 'Confirm your email address' })
    for (const mail of [toNew, toOld]) {
      assert.equal(mail.subject, 'Confirm your new email address')
      assert.equal(new URL(mailLink(mail)).searchParams.get('type'), 'email_change')
    }

    const firstLocation = await followLink(mailLink(toOld))
    const message = fragmentParams(firstLocation)
    assert.ok(message.get('message'), `first link gives a message: ${firstLocation}`)
    assert.equal(message.get('access_token'), null)

    const secondLocation = await followLink(mailLink(toNew))
    const params = fragmentParams(secondLocation)
    assert.equal(params.get('type'), 'email_change', secondLocation)
    assert.ok(params.get('access_token'))
    const claims = decodeJwt(params.get('access_token'))
    assert.equal(claims.sub, user.id)
    assert.equal(claims.email, newEmail)

    const got = await newClient().getUser(params.get('access_token'))
    assert.equal(got.error, null)
    assert.equal(got.data.user.email, newEmail)
    assert.equal(got.data.user.new_email, undefined)

    const signIn = await newClient().signInWithPassword({ email: newEmail, password: PASSWORD })
    assert.equal(signIn.error, null, `sign-in with the new email: ${signIn.error?.message}`)
    const oldSignIn = await newClient().signInWithPassword({ email, password: PASSWORD })
    assertApiError(oldSignIn.error, 400, 'invalid_credentials', 'sign-in with the old email')
  })

  test('reauthenticate sends a code', { timeout: TEST_TIMEOUT }, async () => {
    const { email, client } = await confirmedUser()
    const { error } = await client.reauthenticate()
    assert.equal(error, null, `reauthenticate: ${error?.message}`)
    const mail = await waitForMail(email, { filter: (m) => /verification code/i.test(m.subject) })
    const code = mailCode(mail)
    assert.equal(mail.subject, `${code} is your verification code`)
    const { data, error: updateError } = await client.updateUser({
      password: 'reauthenticated-passphrase',
      nonce: code,
    })
    assert.equal(updateError, null, `updateUser with nonce: ${updateError?.message}`)
    assert.equal(data.user.email, email)
  })

  test('signUp with a weak password', { timeout: TEST_TIMEOUT }, async () => {
    const { data, error } = await newClient().signUp({ email: randomEmail(), password: 'abc' })
    assert.ok(isAuthWeakPasswordError(error), `expected AuthWeakPasswordError, got ${error?.name}: ${error?.message}`)
    assert.equal(error.code, 'weak_password')
    assert.equal(error.status, 422)
    assert.deepEqual(error.reasons, ['length'])
    assert.match(error.message, /at least \d+ characters/)
    assert.equal(data.user, null)
  })

  test('signUp again with a confirmed email returns a fake user', { timeout: TEST_TIMEOUT }, async () => {
    const { email, user } = await confirmedUser()
    const { data, error } = await newClient().signUp({
      email,
      password: 'some-other-password',
      options: { data: { name: 'Mallory' } },
    })
    assert.equal(error, null, `repeated signUp: ${error?.message}`)
    assert.equal(data.session, null)
    assert.match(data.user.id, UUID_RE)
    assert.notEqual(data.user.id, user.id, 'a fabricated id')
    assert.equal(data.user.email, email)
    assert.deepEqual(data.user.identities, [])
    assert.equal(data.user.email_confirmed_at, undefined)
    assert.equal(data.user.user_metadata.name, 'Mallory')
    // the real user is untouched
    const signIn = await newClient().signInWithPassword({ email, password: PASSWORD })
    assert.equal(signIn.error, null, `the real password still works: ${signIn.error?.message}`)
    assert.equal(signIn.data.user.id, user.id)
    assert.equal(signIn.data.user.user_metadata.name, 'Ada')
  })

  test('signInWithPassword with wrong credentials', { timeout: TEST_TIMEOUT }, async () => {
    const { email } = await confirmedUser()
    const wrong = await newClient().signInWithPassword({ email, password: 'not-the-password' })
    assertApiError(wrong.error, 400, 'invalid_credentials', 'wrong password')
    assert.equal(wrong.data.session, null)
    const unknown = await newClient().signInWithPassword({ email: randomEmail(), password: PASSWORD })
    assertApiError(unknown.error, 400, 'invalid_credentials', 'unknown email')
    assert.equal(unknown.error.message, wrong.error.message, 'same message for both')
  })

  test('errors carry the 2024-01-01 format', { timeout: TEST_TIMEOUT }, async () => {
    const res = await api('POST', '/token?grant_type=password', {
      body: { email: randomEmail(), password: PASSWORD },
    })
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('x-supabase-api-version'), '2024-01-01')
    assert.deepEqual(Object.keys(res.json).sort(), ['code', 'message'])
    assert.equal(res.json.code, 'invalid_credentials')
    assert.equal(res.json.message, 'Invalid login credentials')
    const noAuth = await newClient().getUser('not-a-jwt')
    assert.ok(noAuth.error instanceof AuthApiError, `getUser(bad jwt): ${noAuth.error?.name}`)
    assert.equal(noAuth.error.status, 403)
    assert.equal(noAuth.error.code, 'bad_jwt')
  })
})
