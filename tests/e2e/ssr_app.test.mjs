// End-to-end tests: a server-rendered app built the way Supabase's SSR guides build one, with
// @supabase/ssr's createServerClient over @supabase/supabase-js (versions pinned in package.json),
// against the gotrue server started by tests/e2e/run.sh (support.mjs lists what it sets; the
// server allows anonymous sign-ins and, unless GOTRUE_JWT_KEYS is empty, signs with an ES256 key).
//
// Every request of the app makes a new server client over the browser's cookie jar (getAll /
// setAll), so state survives between requests only in cookies, as in a real deployment. The
// server client always uses the PKCE flow: mail links come back to the app with ?code=, which the
// app's callback route exchanges for a session. supabase-js talks to <url>/auth/v1 (Supabase's
// gateway prefix), which the server serves as it is: the app is configured with the server's URL
// alone, as it would be with a Supabase project's. The app's fetch records every call.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto'
import { createRequire } from 'node:module'
import { createServerClient } from '@supabase/ssr'
import { GOTRUE_URL, SITE_URL, PASSWORD, TEST_TIMEOUT, UUID_RE } from './support.mjs'
import { randomEmail, decodeJwt, api, assertApiError, signJwt, serviceRoleToken } from './support.mjs'
import { waitForMail, mailLink, followLink } from './support.mjs'

const CALLBACK_URL = `${SITE_URL}/auth/callback` // the app's route that exchanges ?code=
const CONFIRM_URL = `${SITE_URL}/auth/confirm` // the app's token-hash route
const GATEWAY_PREFIX = '/auth/v1'
const SUBJECTS = {
  signup: 'Confirm your email address',
  recovery: 'Reset your password',
  magiclink: 'Your sign-in link',
  email_change: 'Confirm your new email address',
}

// Like a Supabase project's anon key: an HS256 JWT of the (legacy) JWT secret with role anon.
const ANON_KEY = (() => {
  const now = Math.floor(Date.now() / 1000)
  return signJwt({ iss: 'supabase-demo', role: 'anon', iat: now, exp: now + 3600 })
})()

// The asymmetric signing key run.sh configured (null when GOTRUE_JWT_KEYS is empty).
const SIGNING_KEY = (() => {
  const keys = JSON.parse(process.env.GOTRUE_JWT_KEYS || '[]')
  return keys.find((key) => key.kty !== 'oct' && key.key_ops?.includes('sign')) ?? null
})()

// run.sh's Postgres custom access-token hook adds these claims when it is on.
const HOOK_ON = process.env.GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED === 'true'
const HOOK_ROLE = 'e2e_hook_role'

// ---------------------------------------------------------------------------------------------
// the app

// supabase-js builds its realtime client eagerly, and Node 20 has no global WebSocket; this app
// uses no realtime, so it passes a transport that refuses to be used (instead of the ws package).
class NoRealtime {
  constructor() {
    throw new Error('this app uses no realtime')
  }
}

// One browser: its cookie jar, and the app's requests made with it.
class Browser {
  constructor({ cookieName } = {}) {
    this.cookies = new Map()
    this.cookieName = cookieName
  }

  // Another browser holding the same cookies (a copy of the jar, e.g. stolen ones).
  clone() {
    const copy = new Browser({ cookieName: this.cookieName })
    copy.cookies = new Map(this.cookies)
    return copy
  }

  cookieNames() {
    return [...this.cookies.keys()]
  }

  // One request of the app: a server client reading this browser's cookies; its setAll writes
  // the response's Set-Cookie headers, which the browser applies. `calls` lists the requests
  // the client made to the auth server.
  request() {
    const calls = []
    const cookies = this.cookies
    const supabase = createServerClient(GOTRUE_URL, ANON_KEY, {
      cookies: {
        getAll: () => [...cookies].map(([name, value]) => ({ name, value })),
        setAll: (toSet) => {
          for (const { name, value, options } of toSet) {
            if (value === '' || options?.maxAge === 0) cookies.delete(name)
            else cookies.set(name, value)
          }
        },
      },
      ...(this.cookieName ? { cookieOptions: { name: this.cookieName } } : {}),
      global: { fetch: recordingFetch(calls) },
      realtime: { transport: NoRealtime },
    })
    return { supabase, calls }
  }
}

// The app's fetch: the platform's, unchanged (the request goes to <server>/auth/v1/...), recording
// each call as { route: 'METHOD /path', query, body } with the path below /auth/v1.
function recordingFetch(calls) {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    assert.ok(url.pathname.startsWith(GATEWAY_PREFIX), `supabase-js called ${url} outside the auth API`)
    const path = url.pathname.slice(GATEWAY_PREFIX.length) || '/'
    const method = (init.method ?? 'GET').toUpperCase()
    let body = null
    if (typeof init.body === 'string') {
      try {
        body = JSON.parse(init.body)
      } catch {
        body = init.body
      }
    }
    calls.push({ route: `${method} ${path}`, query: url.searchParams, body })
    return fetch(input, init)
  }
}

const routes = (calls) => calls.map((call) => call.route)

function storageKey(browser) {
  // createServerClient's default: sb-<first label of the URL's host>-auth-token
  return browser.cookieName ?? `sb-${new URL(GOTRUE_URL).hostname.split('.')[0]}-auth-token`
}

function hasVerifierCookie(browser) {
  return browser.cookies.has(`${storageKey(browser)}-code-verifier`)
}

function hasSessionCookie(browser) {
  const key = storageKey(browser)
  return browser.cookieNames().some((name) => name === key || name.startsWith(`${key}.`))
}

// Asserts that a request sent a PKCE code challenge, as the server client always does.
function assertSentChallenge(calls, route) {
  const call = calls.find((c) => c.route === route)
  assert.ok(call, `no ${route} among ${routes(calls).join(', ')}`)
  assert.equal(call.body?.code_challenge_method, 's256', `${route} sends code_challenge_method`)
  assert.match(call.body?.code_challenge ?? '', /^[A-Za-z0-9_-]{43}$/, `${route} sends code_challenge`)
}

// The mail of `kind` to `email`, and its verification link (checked to be a PKCE link back to
// `redirectTo`).
async function pkceMail(email, kind, redirectTo) {
  const mail = await waitForMail(email, { filter: (m) => m.subject === SUBJECTS[kind] })
  const link = mailLink(mail)
  const url = new URL(link)
  assert.equal(`${url.origin}${url.pathname}`, `${GOTRUE_URL}/verify`, `${kind} link: ${link}`)
  assert.equal(url.searchParams.get('type'), kind, `${kind} link: ${link}`)
  assert.equal(url.searchParams.get('redirect_to'), redirectTo, `${kind} link: ${link}`)
  assert.match(url.searchParams.get('token') ?? '', /^pkce_/, `${kind} link carries a PKCE token: ${link}`)
  return { mail, link }
}

// The browser follows a mail link: gotrue verifies it and redirects to the app with ?code=
// (never with tokens). Returns the code.
async function codeFromLink(link, redirectTo) {
  const location = await followLink(link)
  const url = new URL(location)
  assert.equal(`${url.origin}${url.pathname}`, redirectTo, `Location ${location}`)
  assert.equal(url.searchParams.get('error'), null, `Location ${location}`)
  assert.ok(!/access_token|refresh_token/.test(location), `no tokens in the PKCE Location ${location}`)
  const code = url.searchParams.get('code')
  assert.match(code ?? '', UUID_RE, `Location ${location} has ?code=`)
  return code
}

// The app's callback route: exchanges the code with the verifier from the browser's cookies.
async function exchange(browser, code) {
  const callback = browser.request()
  const { data, error } = await callback.supabase.auth.exchangeCodeForSession(code)
  assert.equal(error, null, `exchangeCodeForSession: ${error?.message} (${error?.code})`)
  assert.deepEqual(routes(callback.calls), ['POST /token'])
  assert.equal(callback.calls[0].query.get('grant_type'), 'pkce')
  assert.ok(data.session?.access_token, 'exchangeCodeForSession returns a session')
  assert.ok(!hasVerifierCookie(browser), 'the code verifier cookie is cleared')
  assert.ok(hasSessionCookie(browser), 'the session is kept in cookies')
  return data
}

// A page of the app: the user of the browser's session, checked with the server.
async function currentUser(browser) {
  const page = browser.request()
  const { data, error } = await page.supabase.auth.getUser()
  assert.equal(error, null, `getUser: ${error?.message}`)
  assert.deepEqual(routes(page.calls), ['GET /user'])
  return data.user
}

// The sign-up form's server action: signUp with a link back to `redirectTo`.
async function signUp(browser, email, { redirectTo = CALLBACK_URL, data } = {}) {
  const action = browser.request()
  const result = await action.supabase.auth.signUp({
    email,
    password: PASSWORD,
    options: { emailRedirectTo: redirectTo, data },
  })
  assert.equal(result.error, null, `signUp(${email}): ${result.error?.message}`)
  return { ...result.data, calls: action.calls }
}

// A new user confirmed through the PKCE signup link, signed in on its browser.
async function confirmedUser() {
  const email = randomEmail()
  const browser = new Browser()
  const { user } = await signUp(browser, email)
  const { link } = await pkceMail(email, 'signup', CALLBACK_URL)
  await exchange(browser, await codeFromLink(link, CALLBACK_URL))
  return { email, browser, userId: user.id }
}

// ---------------------------------------------------------------------------------------------
// tests

describe('@supabase/ssr server client against gotrue', { concurrency: true }, () => {
  test('signUp, confirmation link, exchangeCodeForSession, getUser', { timeout: TEST_TIMEOUT }, async () => {
    const email = randomEmail()
    const browser = new Browser()

    const data = await signUp(browser, email, { data: { name: 'Ada' } })
    assert.equal(data.session, null, 'no session before confirmation')
    assert.match(data.user.id, UUID_RE)
    assert.equal(data.user.email, email)
    assertSentChallenge(data.calls, 'POST /signup')
    assert.equal(data.calls[0].query.get('redirect_to'), CALLBACK_URL)
    assert.ok(hasVerifierCookie(browser), 'the code verifier is kept in a cookie')
    assert.ok(!hasSessionCookie(browser), 'no session cookie yet')

    const { link } = await pkceMail(email, 'signup', CALLBACK_URL)
    const code = await codeFromLink(link, CALLBACK_URL)
    const stolen = browser.clone() // the cookies as they were before the exchange

    // Someone else who got hold of the code, with a verifier of their own: refused.
    const other = new Browser()
    const otherOtp = await other.request().supabase.auth.signInWithOtp({
      email: randomEmail(),
      options: { emailRedirectTo: CALLBACK_URL },
    })
    assert.equal(otherOtp.error, null, `signInWithOtp: ${otherOtp.error?.message}`)
    assert.ok(hasVerifierCookie(other), 'the other browser has its own verifier')
    const wrongVerifier = await other.request().supabase.auth.exchangeCodeForSession(code)
    assertApiError(wrongVerifier.error, 400, 'bad_code_verifier', 'exchange with another verifier')

    // The callback route.
    const exchanged = await exchange(browser, code)
    assert.equal(exchanged.user.id, data.user.id)
    assert.ok(exchanged.user.email_confirmed_at, 'email confirmed')
    const claims = decodeJwt(exchanged.session.access_token)
    assert.equal(claims.sub, data.user.id)
    assert.equal(claims.email, email)
    assert.equal(claims.role, 'authenticated')
    assert.equal(claims.is_anonymous, false)
    assert.equal(claims.amr?.[0]?.method, 'email/signup')
    if (HOOK_ON) {
      // The PKCE exchange's token went through the hook too.
      assert.equal(claims.user_role, HOOK_ROLE)
      assert.equal(claims.hook_auth_method, 'email/signup')
    }

    // The next page reads the user from the session cookies.
    const user = await currentUser(browser)
    assert.equal(user.id, data.user.id)
    assert.equal(user.email, email)
    assert.equal(user.user_metadata.name, 'Ada')
    assert.ok(user.email_confirmed_at, 'email confirmed')

    // The code is single-use, even with the right verifier.
    const replay = await stolen.request().supabase.auth.exchangeCodeForSession(code)
    assertApiError(replay.error, 404, 'flow_state_not_found', 'replaying the exchanged code')

    // The link is single-use too: the second visit is sent back with an error.
    const again = new URL(await followLink(link))
    assert.equal(again.searchParams.get('code'), null, `second visit: ${again}`)
    assert.equal(again.searchParams.get('error_code'), 'otp_expired', `second visit: ${again}`)

    // Password sign-in and sign-out through the same cookies.
    const signIn = await new Browser().request().supabase.auth.signInWithPassword({ email, password: PASSWORD })
    assert.equal(signIn.error, null, `signInWithPassword: ${signIn.error?.message}`)
    const signOut = await browser.request().supabase.auth.signOut()
    assert.equal(signOut.error, null, `signOut: ${signOut.error?.message}`)
    assert.ok(!hasSessionCookie(browser), 'signOut clears the session cookies')
    const refreshed = await api('POST', '/token?grant_type=refresh_token', {
      body: { refresh_token: exchanged.session.refresh_token },
    })
    assert.equal(refreshed.status, 400, `the signed-out session's refresh token: ${refreshed.text}`)
  })

  test('resetPasswordForEmail, recovery link, exchange, updateUser password', { timeout: TEST_TIMEOUT }, async () => {
    const { email, userId } = await confirmedUser()
    const browser = new Browser() // the user forgot the password, maybe on another device

    const action = browser.request()
    const reset = await action.supabase.auth.resetPasswordForEmail(email, { redirectTo: CALLBACK_URL })
    assert.equal(reset.error, null, `resetPasswordForEmail: ${reset.error?.message}`)
    assertSentChallenge(action.calls, 'POST /recover')
    assert.ok(hasVerifierCookie(browser), 'the code verifier is kept in a cookie')

    const { link } = await pkceMail(email, 'recovery', CALLBACK_URL)
    const exchanged = await exchange(browser, await codeFromLink(link, CALLBACK_URL))
    assert.equal(exchanged.user.id, userId)
    assert.equal(exchanged.redirectType, 'recovery', 'the verifier cookie marks a recovery')
    assert.equal(decodeJwt(exchanged.session.access_token).amr?.[0]?.method, 'recovery')

    // The reset-password page sets the new password with the recovery session.
    const newPassword = 'recovered-long-passphrase'
    const page = browser.request()
    const updated = await page.supabase.auth.updateUser({ password: newPassword })
    assert.equal(updated.error, null, `updateUser password: ${updated.error?.message}`)
    assert.equal(updated.data.user.id, userId)
    assert.deepEqual(routes(page.calls), ['PUT /user'])

    const fresh = await new Browser().request().supabase.auth.signInWithPassword({ email, password: newPassword })
    assert.equal(fresh.error, null, `sign-in with the new password: ${fresh.error?.message}`)
    assert.equal(fresh.data.user.id, userId)
    const old = await new Browser().request().supabase.auth.signInWithPassword({ email, password: PASSWORD })
    assertApiError(old.error, 400, 'invalid_credentials', 'sign-in with the old password')
  })

  test('signInWithOtp magic link, exchange, getUser', { timeout: TEST_TIMEOUT }, async () => {
    const { email, userId } = await confirmedUser()
    const browser = new Browser()

    const action = browser.request()
    const { data, error } = await action.supabase.auth.signInWithOtp({
      email,
      options: { emailRedirectTo: CALLBACK_URL, shouldCreateUser: false },
    })
    assert.equal(error, null, `signInWithOtp: ${error?.message}`)
    assert.deepEqual(data, { user: null, session: null })
    assertSentChallenge(action.calls, 'POST /otp')

    const { link } = await pkceMail(email, 'magiclink', CALLBACK_URL)
    const exchanged = await exchange(browser, await codeFromLink(link, CALLBACK_URL))
    assert.equal(exchanged.user.id, userId)
    assert.equal(decodeJwt(exchanged.session.access_token).amr?.[0]?.method, 'magiclink')
    assert.equal((await currentUser(browser)).id, userId)

    // A magic link for a new address signs the new user up (a confirmation mail, same flow).
    const newEmail = randomEmail()
    const newcomer = new Browser()
    const otp = await newcomer.request().supabase.auth.signInWithOtp({
      email: newEmail,
      options: { emailRedirectTo: CALLBACK_URL },
    })
    assert.equal(otp.error, null, `signInWithOtp(new address): ${otp.error?.message}`)
    const signup = await pkceMail(newEmail, 'signup', CALLBACK_URL)
    const created = await exchange(newcomer, await codeFromLink(signup.link, CALLBACK_URL))
    assert.equal(created.user.email, newEmail)
    assert.ok(created.user.email_confirmed_at, 'email confirmed')
  })

  test('token-hash confirm route: verifyOtp with the mail token hash', { timeout: TEST_TIMEOUT }, async () => {
    // Supabase's SSR guides link mails to the app (/auth/confirm?token_hash={{ .TokenHash }}&type=
    // email) and verify there; the built-in link's token parameter is that token hash.
    const tokenHashOf = (link) => new URL(link).searchParams.get('token')

    const email = randomEmail()
    const { user: signedUp } = await signUp(new Browser(), email, { redirectTo: CONFIRM_URL })
    const { link } = await pkceMail(email, 'signup', CONFIRM_URL)

    // The confirm route runs in whatever browser opens the mail: no verifier is needed.
    const browser = new Browser()
    const confirm = browser.request()
    const { data, error } = await confirm.supabase.auth.verifyOtp({
      token_hash: tokenHashOf(link),
      type: 'email',
    })
    assert.equal(error, null, `verifyOtp token_hash: ${error?.message} (${error?.code})`)
    assert.deepEqual(routes(confirm.calls), ['POST /verify'])
    assert.equal(data.user.id, signedUp.id)
    assert.ok(data.user.email_confirmed_at, 'email confirmed')
    assert.ok(data.session?.access_token, 'verifyOtp returns a session')
    assert.equal(decodeJwt(data.session.access_token).amr?.[0]?.method, 'otp')
    assert.ok(hasSessionCookie(browser), 'the session is kept in cookies')
    assert.equal((await currentUser(browser)).id, signedUp.id)

    const again = await new Browser().request().supabase.auth.verifyOtp({
      token_hash: tokenHashOf(link),
      type: 'email',
    })
    assertApiError(again.error, 403, 'otp_expired', 'verifyOtp with a used token hash')

    // The magic link of a confirmed user, the same way.
    const otp = await new Browser().request().supabase.auth.signInWithOtp({
      email,
      options: { emailRedirectTo: CONFIRM_URL },
    })
    assert.equal(otp.error, null, `signInWithOtp: ${otp.error?.message}`)
    const magic = await pkceMail(email, 'magiclink', CONFIRM_URL)
    const other = new Browser()
    const signedIn = await other.request().supabase.auth.verifyOtp({
      token_hash: tokenHashOf(magic.link),
      type: 'email',
    })
    assert.equal(signedIn.error, null, `verifyOtp magic link token_hash: ${signedIn.error?.message}`)
    assert.equal(signedIn.data.user.id, signedUp.id)
    assert.equal((await currentUser(other)).id, signedUp.id)
  })

  test('signInAnonymously, updateUser email, confirmation link: a permanent user', { timeout: TEST_TIMEOUT }, async () => {
    const browser = new Browser()
    const start = browser.request()
    const { data, error } = await start.supabase.auth.signInAnonymously({ options: { data: { cart: 3 } } })
    assert.equal(error, null, `signInAnonymously: ${error?.message} (${error?.code})`)
    assert.deepEqual(routes(start.calls), ['POST /signup'])
    const anonId = data.user.id
    assert.match(anonId, UUID_RE)
    assert.equal(data.user.is_anonymous, true)
    assert.equal(data.user.email ?? '', '')
    assert.equal(data.user.user_metadata.cart, 3)
    assert.ok(hasSessionCookie(browser), 'the anonymous session is kept in cookies')
    const anonClaims = decodeJwt(data.session.access_token)
    assert.equal(anonClaims.sub, anonId)
    assert.equal(anonClaims.is_anonymous, true)
    assert.equal(anonClaims.role, 'authenticated')
    assert.equal(anonClaims.amr?.[0]?.method, 'anonymous')
    assert.equal((await currentUser(browser)).is_anonymous, true)

    // A password alone cannot make it permanent.
    const passwordOnly = await browser.request().supabase.auth.updateUser({ password: 'anonymous-long-passphrase' })
    assertApiError(passwordOnly.error, 422, 'validation_failed', 'updateUser password of an anonymous user')

    // Adding an email sends a confirmation link to it; until then the user stays anonymous.
    const email = randomEmail()
    const action = browser.request()
    const added = await action.supabase.auth.updateUser({ email }, { emailRedirectTo: CONFIRM_URL })
    assert.equal(added.error, null, `updateUser email: ${added.error?.message} (${added.error?.code})`)
    assert.equal(added.data.user.id, anonId)
    assert.equal(added.data.user.new_email, email)
    assert.equal(added.data.user.is_anonymous, true)
    assertSentChallenge(action.calls, 'PUT /user')

    // auth-js 2.109 drops the code verifier when it saves the updated session, so the app confirms
    // the change on its token-hash route, as the SSR guides' "change email" template does
    // (/auth/confirm?token_hash={{ .TokenHash }}&type=email_change).
    const { link } = await pkceMail(email, 'email_change', CONFIRM_URL)
    const confirm = browser.request()
    const confirmed = await confirm.supabase.auth.verifyOtp({
      token_hash: new URL(link).searchParams.get('token'),
      type: 'email_change',
    })
    assert.equal(confirmed.error, null, `verifyOtp email_change: ${confirmed.error?.message} (${confirmed.error?.code})`)
    assert.deepEqual(routes(confirm.calls), ['POST /verify'])
    assert.equal(confirmed.data.user.id, anonId, 'the same user')
    assert.equal(confirmed.data.user.email, email)
    assert.equal(confirmed.data.user.is_anonymous, false)
    const claims = decodeJwt(confirmed.data.session.access_token)
    assert.equal(claims.sub, anonId)
    assert.equal(claims.is_anonymous, false)
    assert.equal(claims.email, email)

    // Now a password can be set, and the user signs in with it like any other.
    const withPassword = await browser.request().supabase.auth.updateUser({ password: PASSWORD })
    assert.equal(withPassword.error, null, `updateUser password: ${withPassword.error?.message}`)
    const user = await currentUser(browser)
    assert.equal(user.id, anonId)
    assert.equal(user.is_anonymous, false)
    assert.equal(user.email, email)
    assert.equal(user.user_metadata.cart, 3, 'metadata kept')
    assert.ok(user.identities.some((identity) => identity.provider === 'email'), 'an email identity')
    const signIn = await new Browser().request().supabase.auth.signInWithPassword({ email, password: PASSWORD })
    assert.equal(signIn.error, null, `signInWithPassword: ${signIn.error?.message}`)
    assert.equal(signIn.data.user.id, anonId)
  })

  test('the custom access-token hook adds its claim: getClaims() and a refreshed token', {
    timeout: TEST_TIMEOUT, skip: HOOK_ON ? false : 'the hook is off',
  }, async () => {
    const { email, userId } = await confirmedUser()
    const browser = new Browser({ cookieName: `sb-hook-${randomBytes(4).toString('hex')}-auth-token` })
    const signIn = await browser.request().supabase.auth.signInWithPassword({ email, password: PASSWORD })
    assert.equal(signIn.error, null, `signInWithPassword: ${signIn.error?.message}`)
    const { data, error } = await browser.request().supabase.auth.getClaims()
    assert.equal(error, null, `getClaims: ${error?.message}`)
    assert.equal(data.claims.sub, userId)
    assert.equal(data.claims.user_role, HOOK_ROLE)
    assert.equal(data.claims.hook_auth_method, 'password')
    // The claims GoTrue puts in every token are still there.
    assert.equal(data.claims.role, 'authenticated')
    assert.equal(data.claims.aal, 'aal1')

    const refreshed = await browser.request().supabase.auth.refreshSession()
    assert.equal(refreshed.error, null, `refreshSession: ${refreshed.error?.message}`)
    const claims = decodeJwt(refreshed.data.session.access_token)
    assert.equal(claims.user_role, HOOK_ROLE)
    assert.equal(claims.hook_auth_method, 'token_refresh')
  })

  describe('with signing keys', { concurrency: true, skip: SIGNING_KEY ? false : 'GOTRUE_JWT_KEYS is empty' }, () => {
    test('JWKS publishes the public signing key only', { timeout: TEST_TIMEOUT }, async () => {
      const res = await api('GET', '/.well-known/jwks.json')
      assert.equal(res.status, 200, res.text)
      assert.match(res.headers.get('content-type') ?? '', /application\/json/)
      const keys = res.json?.keys
      assert.ok(Array.isArray(keys), `keys: ${res.text}`)
      assert.ok(!keys.some((key) => key.kty === 'oct' || 'k' in key), `no symmetric key: ${res.text}`)
      assert.ok(!keys.some((key) => 'd' in key || 'p' in key), `no private key material: ${res.text}`)
      const published = keys.find((key) => key.kid === SIGNING_KEY.kid)
      assert.ok(published, `the signing key ${SIGNING_KEY.kid} is published: ${res.text}`)
      assert.equal(published.kty, 'EC')
      assert.equal(published.crv, SIGNING_KEY.crv)
      assert.equal(published.x, SIGNING_KEY.x)
      assert.equal(published.y, SIGNING_KEY.y)
      assert.equal(published.alg, 'ES256')
      assert.equal(published.use, 'sig')
      assert.deepEqual(published.key_ops, ['verify'])
    })

    test('getClaims verifies locally with the JWKS, without calling /user', { timeout: TEST_TIMEOUT }, async () => {
      const { email, userId } = await confirmedUser()
      // Own cookie name: supabase-js caches JWKS per storage key, and this test wants the fetch.
      const browser = new Browser({ cookieName: `sb-claims-${randomBytes(4).toString('hex')}-auth-token` })
      const signIn = await browser.request().supabase.auth.signInWithPassword({ email, password: PASSWORD })
      assert.equal(signIn.error, null, `signInWithPassword: ${signIn.error?.message}`)
      const accessToken = signIn.data.session.access_token

      // The token is an ES256 JWT of the configured key, in the JOSE signature format.
      const [rawHeader, rawPayload, rawSignature] = accessToken.split('.')
      const header = JSON.parse(Buffer.from(rawHeader, 'base64url').toString('utf8'))
      assert.deepEqual({ alg: header.alg, kid: header.kid }, { alg: 'ES256', kid: SIGNING_KEY.kid })
      const publicKey = createPublicKey({ key: { ...SIGNING_KEY, d: undefined }, format: 'jwk' })
      const signed = Buffer.from(`${rawHeader}.${rawPayload}`)
      const signature = Buffer.from(rawSignature, 'base64url')
      assert.equal(signature.length, 64, 'ES256 signature is r||s (RFC 7518 3.4), not DER')
      assert.ok(verifySignature('sha256', signed, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature))

      const page = browser.request()
      const { data, error } = await page.supabase.auth.getClaims()
      assert.equal(error, null, `getClaims: ${error?.message}`)
      assert.deepEqual(routes(page.calls), ['GET /.well-known/jwks.json'], 'one JWKS fetch, no /user')
      assert.equal(data.header.kid, SIGNING_KEY.kid)
      assert.equal(data.claims.sub, userId)
      assert.equal(data.claims.email, email)
      assert.equal(data.claims.role, 'authenticated')
      assert.equal(data.claims.aud, 'authenticated')
      assert.equal(data.claims.is_anonymous, false)
      assert.match(data.claims.session_id, UUID_RE)

      // The next request uses the cached JWKS: no call at all.
      const next = browser.request()
      const again = await next.supabase.auth.getClaims()
      assert.equal(again.error, null, `second getClaims: ${again.error?.message}`)
      assert.deepEqual(routes(next.calls), [])

      // A token whose claims were changed fails locally.
      const forgedPayload = Buffer.from(
        JSON.stringify({ ...decodeJwt(accessToken), role: 'service_role' }),
      ).toString('base64url')
      const forged = `${rawHeader}.${forgedPayload}.${rawSignature}`
      const check = browser.request()
      const bad = await check.supabase.auth.getClaims(forged)
      assert.ok(bad.error, 'a forged token is refused')
      assert.equal(bad.error.name, 'AuthInvalidJwtError', `${bad.error.name}: ${bad.error.message}`)
      assert.deepEqual(routes(check.calls), [])
      // ...and on the server.
      const forgedUser = await api('GET', '/user', { jwt: forged })
      assert.equal(forgedUser.status, 403, `GET /user with a forged token: ${forgedUser.text}`)
    })

    test('getClaims of an anonymous session; the legacy secret still verifies', { timeout: TEST_TIMEOUT }, async () => {
      const browser = new Browser({ cookieName: `sb-anon-${randomBytes(4).toString('hex')}-auth-token` })
      const anon = await browser.request().supabase.auth.signInAnonymously()
      assert.equal(anon.error, null, `signInAnonymously: ${anon.error?.message}`)
      const page = browser.request()
      const { data, error } = await page.supabase.auth.getClaims()
      assert.equal(error, null, `getClaims: ${error?.message}`)
      assert.ok(!routes(page.calls).includes('GET /user'), `no /user call: ${routes(page.calls)}`)
      assert.equal(data.claims.sub, anon.data.user.id)
      assert.equal(data.claims.is_anonymous, true)

      // Service-role tokens signed with the old HS256 secret (kept as a verify-only key) work.
      const admin = await api('GET', `/admin/users/${anon.data.user.id}`, { jwt: serviceRoleToken() })
      assert.equal(admin.status, 200, `admin API with an HS256 service-role token: ${admin.text}`)
      assert.equal(admin.json.is_anonymous, true)
    })
  })
})

// The app tests and auth_js.test.mjs exercise the same @supabase/auth-js: supabase-js pins its
// auth-js exactly, so package.json must pin @supabase/auth-js to that version too.
test('supabase-js uses the pinned @supabase/auth-js', () => {
  const require = createRequire(import.meta.url)
  const pinned = require('./package.json').dependencies
  const supabaseJs = require('@supabase/supabase-js/package.json')
  assert.equal(supabaseJs.version, pinned['@supabase/supabase-js'])
  assert.equal(supabaseJs.dependencies['@supabase/auth-js'], pinned['@supabase/auth-js'])
  const fromSupabaseJs = createRequire(require.resolve('@supabase/supabase-js'))
  assert.equal(
    fromSupabaseJs.resolve('@supabase/auth-js/package.json'),
    require.resolve('@supabase/auth-js/package.json'),
    'one @supabase/auth-js installed',
  )
})
