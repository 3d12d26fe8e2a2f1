// Shared helpers of the end-to-end tests (auth_js.test.mjs, ssr_app.test.mjs): the server run.sh
// started, the test mailbox, raw API calls and JWTs. run.sh sets
//   GOTRUE_URL  base URL of the server (http://127.0.0.1:PORT)
//   MAILDIR     Maildir where the test SMTP server (aiosmtpd Mailbox) stores every mail it accepts
//   GOTRUE_JWT_SECRET  the server's HS256 secret, to sign service-role JWTs for the admin API
// The mailbox is shared with other tests running at the same time, so every test uses its own
// random addresses and picks its mails by the To header.
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AuthClient, isAuthApiError } from '@supabase/auth-js'

export const GOTRUE_URL = (process.env.GOTRUE_URL ?? '').replace(/\/+$/, '')
export const MAILDIR = process.env.MAILDIR ?? ''
export const JWT_SECRET = process.env.GOTRUE_JWT_SECRET ?? ''
if (!GOTRUE_URL || !MAILDIR || !JWT_SECRET) {
  throw new Error('GOTRUE_URL, MAILDIR and GOTRUE_JWT_SECRET must be set (run tests/e2e/run.sh)')
}
export const SITE_URL = 'http://localhost:3000' // GOTRUE_SITE_URL set by run.sh
export const PASSWORD = 'correct-horse-battery-staple'
export const TEST_TIMEOUT = 60_000
export const MAIL_TIMEOUT = 10_000
export const NO_MAIL_WAIT = 1_500 // how long to watch the mailbox when no mail may arrive
export const MAX_FREQUENCY = 1_000 // GOTRUE_SMTP_MAX_FREQUENCY set by run.sh
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function randomEmail() {
  return `e2e-${randomBytes(6).toString('hex')}@example.com`
}

export function decodeJwt(jwt) {
  const parts = jwt.split('.')
  assert.equal(parts.length, 3, `not a JWT: ${jwt}`)
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
}

// An auth-js client of the server that keeps its session in memory and refreshes nothing itself.
export function newClient() {
  return new AuthClient({
    url: GOTRUE_URL,
    autoRefreshToken: false,
    persistSession: false,
    detectSessionInUrl: false,
  })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Raw HTTP call the way auth-js makes it (API version header), for what the client hides.
export async function api(method, path, { jwt, body } = {}) {
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
export function assertApiError(error, status, code, context) {
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

export async function mailsTo(email) {
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
        const parsed = parseMail(raw)
        parsed.recipients = recipients(parsed.to)
        // A concurrent poll may have cached it meanwhile: keep one object per mail, so that
        // tests can tell mails apart by identity.
        mail = mailCache.get(key) ?? parsed
        mailCache.set(key, mail)
      }
      if (mail.recipients.includes(email.toLowerCase())) found.set(key, mail)
    }
  }
  return [...found.values()]
}

// Waits until at least `count` mails to `email` (optionally matching `filter`) have arrived.
export async function waitForMails(email, { count = 1, filter = () => true, timeout = MAIL_TIMEOUT } = {}) {
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

export async function waitForMail(email, options) {
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
export function mailLink(mail) {
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
export function mailCode(mail) {
  for (const body of [mail.text, mail.html ? mail.html.replace(/<[^>]*>/g, ' ') : null]) {
    if (!body) continue
    const stripped = body.replace(/https?:\/\/[^\s<>()"]+/g, ' ')
    const m = /code:?\s*(\d{6})\b/i.exec(stripped) ?? /\b(\d{6})\b/.exec(stripped)
    if (m) return m[1]
  }
  assert.fail(`no 6-digit code in mail:\n${mail.raw}`)
}

export function fragmentParams(location) {
  const hash = location.indexOf('#')
  assert.ok(hash >= 0, `no fragment in ${location}`)
  return new URLSearchParams(location.slice(hash + 1))
}

// Follows a mail link without following the redirect; returns the 303's Location.
export async function followLink(link) {
  const res = await fetch(link, { redirect: 'manual' })
  await res.arrayBuffer()
  assert.equal(res.status, 303, `GET ${link}: status`)
  const location = res.headers.get('location')
  assert.ok(location, `GET ${link}: no Location header`)
  return location
}

// Asserts that no mail (matching `filter`) reaches `email` within NO_MAIL_WAIT ms (long enough for
// a mail sent in the background to show up).
export async function assertNoMail(email, { filter = () => true, wait = NO_MAIL_WAIT } = {}) {
  await sleep(wait)
  const mails = (await mailsTo(email)).filter(filter)
  assert.equal(
    mails.length,
    0,
    `expected no mail to ${email}, got: ${mails.map((m) => JSON.stringify(m.subject)).join(', ')}`,
  )
}

// Waits until GOTRUE_SMTP_MAX_FREQUENCY has passed since `since` (ms or an RFC 3339 timestamp).
export async function waitOutMaxFrequency(since) {
  const until = new Date(since).getTime() + MAX_FREQUENCY + 100
  while (Date.now() < until) await sleep(50)
}
// --- JWTs ----------------------------------------------------------------------------------

export function signJwt(claims, secret = JWT_SECRET) {
  const encode = (part) => Buffer.from(JSON.stringify(part)).toString('base64url')
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

// A JWT like Supabase's service-role key: a role claim, no sub.
export function serviceRoleToken({ role = 'service_role', secret = JWT_SECRET } = {}) {
  const now = Math.floor(Date.now() / 1000)
  return signJwt({ iss: 'gotrue-e2e', role, iat: now, exp: now + 3600 }, secret)
}
