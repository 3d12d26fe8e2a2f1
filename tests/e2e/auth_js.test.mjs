// End-to-end tests: the official JavaScript client (@supabase/auth-js, version pinned in
// package.json) against a running gotrue server started by tests/e2e/run.sh (support.mjs lists
// what it sets). Every test uses its own random addresses.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  AuthClient,
  AuthApiError,
  isAuthApiError,
  isAuthWeakPasswordError,
  isAuthSessionMissingError,
} from '@supabase/auth-js'
import {
  GOTRUE_URL,
  SITE_URL,
  PASSWORD,
  TEST_TIMEOUT,
  UUID_RE,
  randomEmail,
  decodeJwt,
  sleep,
  api,
  assertApiError,
  waitForMails,
  waitForMail,
  mailLink,
  mailCode,
  fragmentParams,
  followLink,
  assertNoMail,
  waitOutMaxFrequency,
  serviceRoleToken,
  newClient,
} from './support.mjs'

// ---------------------------------------------------------------------------------------------
// helpers

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

// The admin API of auth-js (GoTrueAdminApi) authenticating with `token`.
function adminApi(token = serviceRoleToken()) {
  return new AuthClient({
    url: GOTRUE_URL,
    autoRefreshToken: false,
    persistSession: false,
    detectSessionInUrl: false,
    headers: { Authorization: `Bearer ${token}` },
  }).admin
}

// A confirmed user made through admin.createUser (no mail).
async function adminCreateUser(admin, attributes = {}) {
  const email = attributes.email ?? randomEmail()
  const { data, error } = await admin.createUser({
    email,
    password: PASSWORD,
    email_confirm: true,
    ...attributes,
  })
  assert.equal(error, null, `admin.createUser(${email}): ${error?.message}`)
  assert.ok(data.user?.id, 'admin.createUser returned no user')
  return data.user
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
    if (process.env.GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED === 'true') {
      // run.sh's access-token hook shaped the token /verify issued.
      assert.equal(decodeJwt(data.session.access_token).user_role, 'e2e_hook_role')
      assert.equal(decodeJwt(data.session.access_token).hook_auth_method, 'otp')
    }

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

  test('resetPasswordForEmail: recovery link, new password', { timeout: TEST_TIMEOUT }, async () => {
    const { email, user } = await confirmedUser()
    const reset = await newClient().resetPasswordForEmail(email)
    assert.equal(reset.error, null, `resetPasswordForEmail: ${reset.error?.message}`)

    const mail = await waitForMail(email, { filter: (m) => m.subject === 'Reset your password' })
    assert.match(mailCode(mail), /^\d{6}$/)
    const link = mailLink(mail)
    const linkUrl = new URL(link)
    assert.equal(`${linkUrl.origin}${linkUrl.pathname}`, `${GOTRUE_URL}/verify`)
    assert.equal(linkUrl.searchParams.get('type'), 'recovery')
    assert.equal(linkUrl.searchParams.get('redirect_to'), SITE_URL)

    const location = await followLink(link)
    assert.ok(location.startsWith(SITE_URL), `Location ${location} goes to the site URL`)
    const params = fragmentParams(location)
    assert.equal(params.get('type'), 'recovery', location)
    assert.ok(params.get('access_token'), `access_token in ${location}`)
    assert.ok(params.get('refresh_token'), `refresh_token in ${location}`)
    assert.equal(decodeJwt(params.get('access_token')).sub, user.id)

    // The recovery session sets the new password.
    const recovered = newClient()
    const set = await recovered.setSession({
      access_token: params.get('access_token'),
      refresh_token: params.get('refresh_token'),
    })
    assert.equal(set.error, null, `setSession: ${set.error?.message}`)
    const newPassword = 'recovered-long-passphrase'
    const updated = await recovered.updateUser({ password: newPassword })
    assert.equal(updated.error, null, `updateUser password: ${updated.error?.message}`)
    assert.equal(updated.data.user.id, user.id)

    const fresh = await newClient().signInWithPassword({ email, password: newPassword })
    assert.equal(fresh.error, null, `sign-in with the new password: ${fresh.error?.message}`)
    assert.equal(fresh.data.user.id, user.id)
    const old = await newClient().signInWithPassword({ email, password: PASSWORD })
    assertApiError(old.error, 400, 'invalid_credentials', 'sign-in with the old password')
  })

  test('resetPasswordForEmail for an unknown address', { timeout: TEST_TIMEOUT }, async () => {
    const email = randomEmail()
    const { data, error } = await newClient().resetPasswordForEmail(email)
    assert.equal(error, null, `resetPasswordForEmail(unknown): ${error?.message}`)
    assert.deepEqual(data, {})
    await assertNoMail(email)
  })

  test('resend signup confirmation', { timeout: TEST_TIMEOUT }, async () => {
    const email = randomEmail()
    const client = newClient()
    const { user, mail: first } = await signUpAndGetMail(client, email)
    await waitOutMaxFrequency(user.confirmation_sent_at)

    const { data, error } = await client.resend({ type: 'signup', email })
    assert.equal(error, null, `resend: ${error?.message}`)
    assert.deepEqual(data, { user: null, session: null })
    const mails = await waitForMails(email, { count: 2 })
    assert.equal(mails.length, 2, 'exactly two confirmation mails')
    const second = mails.find((m) => m !== first)
    assert.equal(second.subject, 'Confirm your email address')
    assert.equal(new URL(mailLink(second)).searchParams.get('type'), 'signup')

    // The re-sent code confirms the address.
    const verified = await newClient().verifyOtp({ email, token: mailCode(second), type: 'signup' })
    assert.equal(verified.error, null, `verifyOtp with the re-sent code: ${verified.error?.message}`)
    assert.equal(verified.data.user.id, user.id)
    assert.ok(verified.data.user.email_confirmed_at)
  })

  test('signInWithOtp for a confirmed user', { timeout: TEST_TIMEOUT }, async () => {
    const { email, user } = await confirmedUser()
    const isSignInLink = (m) => m.subject === 'Your sign-in link'
    const client = newClient()

    const { data, error } = await client.signInWithOtp({ email })
    assert.equal(error, null, `signInWithOtp: ${error?.message}`)
    assert.deepEqual(data, { user: null, session: null })
    const sentAt = Date.now()
    const mail = await waitForMail(email, { filter: isSignInLink })
    const linkUrl = new URL(mailLink(mail))
    assert.equal(`${linkUrl.origin}${linkUrl.pathname}`, `${GOTRUE_URL}/verify`)
    assert.equal(linkUrl.searchParams.get('type'), 'magiclink')

    const verified = await client.verifyOtp({ email, token: mailCode(mail), type: 'email' })
    assert.equal(verified.error, null, `verifyOtp type email: ${verified.error?.message}`)
    assert.equal(verified.data.user.id, user.id)
    assert.ok(verified.data.session?.access_token, 'verifyOtp returns a session')
    assert.equal(decodeJwt(verified.data.session.access_token).sub, user.id)

    // A second sign-in code verifies with type 'magiclink' too.
    await waitOutMaxFrequency(sentAt)
    const again = await newClient().signInWithOtp({ email })
    assert.equal(again.error, null, `second signInWithOtp: ${again.error?.message}`)
    const mails = await waitForMails(email, { filter: isSignInLink, count: 2 })
    const secondMail = mails.find((m) => m !== mail)
    const byMagiclink = await newClient().verifyOtp({
      email,
      token: mailCode(secondMail),
      type: 'magiclink',
    })
    assert.equal(byMagiclink.error, null, `verifyOtp type magiclink: ${byMagiclink.error?.message}`)
    assert.equal(byMagiclink.data.user.id, user.id)
    assert.ok(byMagiclink.data.session?.access_token)
  })

  test('signInWithOtp for unknown addresses', { timeout: TEST_TIMEOUT }, async () => {
    // shouldCreateUser: false refuses (this is the one endpoint that reveals unknown users).
    const unknown = randomEmail()
    const refused = await newClient().signInWithOtp({
      email: unknown,
      options: { shouldCreateUser: false },
    })
    assertApiError(refused.error, 422, 'otp_disabled', 'signInWithOtp without creating the user')

    // By default the user is created and gets a confirmation mail.
    const email = randomEmail()
    const client = newClient()
    const { error } = await client.signInWithOtp({ email, options: { data: { name: 'Otto' } } })
    assert.equal(error, null, `signInWithOtp(new address): ${error?.message}`)
    const mail = await waitForMail(email)
    assert.equal(mail.subject, 'Confirm your email address')
    assert.equal(new URL(mailLink(mail)).searchParams.get('type'), 'signup')
    const verified = await client.verifyOtp({ email, token: mailCode(mail), type: 'email' })
    assert.equal(verified.error, null, `verifyOtp: ${verified.error?.message}`)
    assert.equal(verified.data.user.email, email)
    assert.ok(verified.data.user.email_confirmed_at, 'email confirmed')
    assert.equal(verified.data.user.user_metadata.name, 'Otto')
    assert.ok(verified.data.session?.access_token)

    await assertNoMail(unknown)
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

  describe('admin API with a service-role JWT', { concurrency: true }, () => {
    test('createUser, getUserById, updateUserById with a ban, deleteUser', { timeout: TEST_TIMEOUT }, async () => {
      const admin = adminApi()
      const email = randomEmail()
      const user = await adminCreateUser(admin, {
        email,
        user_metadata: { name: 'Grace' },
        app_metadata: { plan: 'gold' },
      })
      assert.match(user.id, UUID_RE)
      assert.equal(user.email, email)
      assert.equal(user.aud, 'authenticated')
      assert.equal(user.role, 'authenticated')
      assert.ok(user.email_confirmed_at, 'email_confirm: true confirms the address')
      assert.equal(user.user_metadata.name, 'Grace')
      assert.equal(user.app_metadata.provider, 'email')
      assert.deepEqual(user.app_metadata.providers, ['email'])
      assert.equal(user.app_metadata.plan, 'gold')
      assert.equal(user.identities.length, 1)
      assert.equal(user.identities[0].provider, 'email')

      const duplicate = await admin.createUser({ email, password: PASSWORD })
      assertApiError(duplicate.error, 422, 'email_exists', 'admin.createUser with a taken email')

      const signIn = await newClient().signInWithPassword({ email, password: PASSWORD })
      assert.equal(signIn.error, null, `sign-in as the created user: ${signIn.error?.message}`)
      assert.equal(signIn.data.user.id, user.id)

      const got = await admin.getUserById(user.id)
      assert.equal(got.error, null, `admin.getUserById: ${got.error?.message}`)
      assert.equal(got.data.user.id, user.id)
      assert.equal(got.data.user.email, email)
      assert.equal(got.data.user.user_metadata.name, 'Grace')
      assert.ok(got.data.user.last_sign_in_at, 'last_sign_in_at after the sign-in')

      // metadata is merged; ban_duration bans
      const banned = await admin.updateUserById(user.id, {
        user_metadata: { team: 'blue' },
        ban_duration: '1h',
      })
      assert.equal(banned.error, null, `admin.updateUserById: ${banned.error?.message}`)
      assert.equal(banned.data.user.user_metadata.team, 'blue')
      assert.equal(banned.data.user.user_metadata.name, 'Grace', 'user_metadata is merged')
      const bannedUntil = Date.parse(banned.data.user.banned_until)
      assert.ok(
        Math.abs(bannedUntil - (Date.now() + 3600_000)) < 300_000,
        `banned_until ${banned.data.user.banned_until} is about an hour from now`,
      )
      const refused = await newClient().signInWithPassword({ email, password: PASSWORD })
      assertApiError(refused.error, 400, 'user_banned', 'sign-in while banned')

      const unbanned = await admin.updateUserById(user.id, { ban_duration: 'none' })
      assert.equal(unbanned.error, null, `unban: ${unbanned.error?.message}`)
      assert.equal(unbanned.data.user.banned_until, undefined)
      const again = await newClient().signInWithPassword({ email, password: PASSWORD })
      assert.equal(again.error, null, `sign-in after the ban is lifted: ${again.error?.message}`)

      const deleted = await admin.deleteUser(user.id)
      assert.equal(deleted.error, null, `admin.deleteUser: ${deleted.error?.message}`)
      const gone = await admin.getUserById(user.id)
      assertApiError(gone.error, 404, 'user_not_found', 'admin.getUserById after deleteUser')
      assert.equal(gone.data.user, null)
      const noLogin = await newClient().signInWithPassword({ email, password: PASSWORD })
      assertApiError(noLogin.error, 400, 'invalid_credentials', 'sign-in after deleteUser')
      const stale = await api('GET', '/user', { jwt: again.data.session.access_token })
      assert.equal(stale.status, 403, `GET /user with a deleted user's token: ${stale.text}`)
    })

    test('listUsers pagination', { timeout: TEST_TIMEOUT }, async () => {
      const admin = adminApi()
      const tag = randomBytes(6).toString('hex')
      const mine = []
      for (let i = 0; i < 3; i++) {
        mine.push(await adminCreateUser(admin, { email: `e2e-list-${tag}-${i}@example.com` }))
      }

      const { data, error } = await admin.listUsers({ page: 1, perPage: 2 })
      assert.equal(error, null, `admin.listUsers: ${error?.message}`)
      assert.equal(data.aud, 'authenticated')
      assert.equal(data.users.length, 2)
      for (const user of data.users) assert.match(user.id, UUID_RE)
      assert.equal(typeof data.total, 'number')
      assert.ok(data.total >= 3, `total ${data.total} counts at least the three new users`)
      assert.equal(data.nextPage, 2)
      // auth-js reads only the first digit of a page number in the Link header.
      const lastPage = Math.ceil(data.total / 2)
      assert.equal(data.lastPage, Number(String(lastPage)[0]), `lastPage for total ${data.total}`)

      // The headers auth-js derives this from, checked in full.
      const raw = await api('GET', '/admin/users?page=1&per_page=2', { jwt: serviceRoleToken() })
      assert.equal(raw.status, 200, raw.text)
      const total = Number(raw.headers.get('x-total-count'))
      assert.ok(total >= 3, `X-Total-Count ${total}`)
      const links = Object.fromEntries(
        raw.headers
          .get('link')
          .split(',')
          .map((part) => {
            const m = /^\s*<([^>]*)>;\s*rel="(\w+)"\s*$/.exec(part)
            assert.ok(m, `Link part ${JSON.stringify(part)}`)
            return [m[2], new URL(m[1], GOTRUE_URL)]
          }),
      )
      assert.equal(links.next.pathname, '/admin/users')
      assert.equal(links.next.searchParams.get('page'), '2')
      assert.equal(links.next.searchParams.get('per_page'), '2')
      assert.equal(links.last.searchParams.get('page'), String(Math.ceil(total / 2)))
      assert.equal(links.last.searchParams.get('per_page'), '2')

      // The last page has no next link; past it the list is empty.
      const last = await admin.listUsers({ page: Math.ceil(total / 2) + 10, perPage: 2 })
      assert.equal(last.error, null, `admin.listUsers past the end: ${last.error?.message}`)
      assert.deepEqual(last.data.users, [])
      assert.equal(last.data.nextPage, null)

      // filter (not exposed by auth-js): substring of the email
      const filtered = await api('GET', `/admin/users?filter=${tag}`, { jwt: serviceRoleToken() })
      assert.equal(filtered.status, 200, filtered.text)
      assert.deepEqual(
        filtered.json.users.map((u) => u.id).sort(),
        mine.map((u) => u.id).sort(),
      )
      assert.equal(filtered.headers.get('x-total-count'), '3')
    })

    test('inviteUserByEmail: invite link signs in', { timeout: TEST_TIMEOUT }, async () => {
      const admin = adminApi()
      const email = randomEmail()
      const { data, error } = await admin.inviteUserByEmail(email, { data: { name: 'Ivy' } })
      assert.equal(error, null, `admin.inviteUserByEmail: ${error?.message}`)
      const user = data.user
      assert.match(user.id, UUID_RE)
      assert.equal(user.email, email)
      assert.ok(user.invited_at, 'invited_at set')
      assert.equal(user.email_confirmed_at, undefined)
      assert.equal(user.user_metadata.name, 'Ivy')

      const mail = await waitForMail(email)
      assert.equal(mail.subject, "You've been invited")
      const link = mailLink(mail)
      const linkUrl = new URL(link)
      assert.equal(`${linkUrl.origin}${linkUrl.pathname}`, `${GOTRUE_URL}/verify`)
      assert.equal(linkUrl.searchParams.get('type'), 'invite')

      const params = fragmentParams(await followLink(link))
      assert.equal(params.get('type'), 'invite')
      assert.ok(params.get('access_token') && params.get('refresh_token'), 'session in the fragment')
      assert.equal(decodeJwt(params.get('access_token')).sub, user.id)
      const invited = newClient()
      const set = await invited.setSession({
        access_token: params.get('access_token'),
        refresh_token: params.get('refresh_token'),
      })
      assert.equal(set.error, null, `setSession: ${set.error?.message}`)
      const got = await invited.getUser()
      assert.equal(got.error, null, `getUser: ${got.error?.message}`)
      assert.equal(got.data.user.id, user.id)
      assert.ok(got.data.user.email_confirmed_at, 'accepting the invite confirms the address')

      // Inviting a confirmed user again is refused.
      const twice = await admin.inviteUserByEmail(email)
      assertApiError(twice.error, 422, 'email_exists', 'inviting a confirmed user')
    })

    test('generateLink magiclink: the link signs in, no mail is sent', { timeout: TEST_TIMEOUT }, async () => {
      const admin = adminApi()
      const user = await adminCreateUser(admin)
      const email = user.email
      const { data, error } = await admin.generateLink({ type: 'magiclink', email })
      assert.equal(error, null, `admin.generateLink: ${error?.message}`)
      assert.equal(data.user.id, user.id)
      assert.equal(data.user.email, email)
      const props = data.properties
      assert.equal(props.verification_type, 'magiclink')
      assert.match(props.email_otp, /^\d{6}$/)
      assert.ok(props.hashed_token, 'hashed_token')
      assert.equal(props.redirect_to, SITE_URL)
      const linkUrl = new URL(props.action_link)
      assert.equal(`${linkUrl.origin}${linkUrl.pathname}`, `${GOTRUE_URL}/verify`)
      assert.equal(linkUrl.searchParams.get('type'), 'magiclink')
      assert.equal(linkUrl.searchParams.get('token'), props.hashed_token)

      const location = await followLink(props.action_link)
      const params = fragmentParams(location)
      assert.equal(params.get('type'), 'magiclink', location)
      assert.ok(params.get('access_token'), `access_token in ${location}`)
      assert.equal(decodeJwt(params.get('access_token')).sub, user.id)
      const got = await newClient().getUser(params.get('access_token'))
      assert.equal(got.error, null, `getUser with the link's session: ${got.error?.message}`)
      assert.equal(got.data.user.id, user.id)

      // neither createUser nor generateLink mails the user
      await assertNoMail(email)
    })

    test('a user token or a wrongly signed token is not admin', { timeout: TEST_TIMEOUT }, async () => {
      const { session } = await confirmedUser()
      const asUser = await adminApi(session.access_token).listUsers()
      assertApiError(asUser.error, 403, 'not_admin', 'admin.listUsers with a user access token')
      assert.deepEqual(asUser.data.users, [])

      const forged = await adminApi(serviceRoleToken({ secret: 'not-the-secret' })).listUsers()
      assertApiError(forged.error, 403, 'bad_jwt', 'admin.listUsers with a wrongly signed token')

      const created = await adminApi(session.access_token).createUser({ email: randomEmail() })
      assertApiError(created.error, 403, 'not_admin', 'admin.createUser with a user access token')

      // supabase_admin is an admin role by default too
      const supabaseAdmin = adminApi(serviceRoleToken({ role: 'supabase_admin' }))
      const asSupabaseAdmin = await supabaseAdmin.listUsers({ page: 1, perPage: 1 })
      assert.equal(asSupabaseAdmin.error, null, `supabase_admin: ${asSupabaseAdmin.error?.message}`)
      assert.equal(asSupabaseAdmin.data.users.length, 1)
    })
  })
})
