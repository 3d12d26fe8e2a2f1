// End-to-end: TOTP multi-factor authentication with the official client's supabase.auth.mfa API
// (@supabase/auth-js, pinned in package.json) against the server run.sh started. The test
// computes the codes itself from the enrolled secret (RFC 6238: HMAC-SHA1, 30 s, 6 digits).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import {
  PASSWORD,
  TEST_TIMEOUT,
  UUID_RE,
  randomEmail,
  decodeJwt,
  waitForMail,
  mailCode,
  assertApiError,
  newClient,
} from './support.mjs'

// RFC 4648 base32, as authenticator apps read the secret.
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = 0
  let value = 0
  const bytes = []
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(char)
    assert.ok(index >= 0, `not base32: ${text}`)
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(bytes)
}

// The 6-digit TOTP code of `secret` for the time step `step` (default: now).
function totp(secret, step = Math.floor(Date.now() / 1000 / 30)) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const binary = mac.readUInt32BE(offset) & 0x7fffffff
  return String(binary % 1_000_000).padStart(6, '0')
}

// A confirmed user signed in on its own client (aal1).
async function signedInUser() {
  const email = randomEmail()
  const client = newClient()
  const { error: signUpError } = await client.signUp({ email, password: PASSWORD })
  assert.equal(signUpError, null, `signUp: ${signUpError?.message}`)
  const { error } = await client.verifyOtp({
    email,
    token: mailCode(await waitForMail(email)),
    type: 'signup',
  })
  assert.equal(error, null, `verifyOtp: ${error?.message}`)
  const signIn = await client.signInWithPassword({ email, password: PASSWORD })
  assert.equal(signIn.error, null, `signInWithPassword: ${signIn.error?.message}`)
  return { email, client }
}

describe('auth-js mfa', { timeout: TEST_TIMEOUT }, () => {
  test('the RFC 6238 SHA1 vector checks this test\'s code generator', () => {
    // Appendix B: seed "12345678901234567890", T = 59 s gives 94287082 (8 digits); 6 digits: 287082.
    assert.equal(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString(), '12345678901234567890')
    assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1), '287082')
  })

  test('enroll, challengeAndVerify to aal2, listFactors, refresh keeps aal2, unenroll', async () => {
    const { email, client } = await signedInUser()
    const before = await client.mfa.getAuthenticatorAssuranceLevel()
    assert.equal(before.error, null)
    assert.equal(before.data.currentLevel, 'aal1')
    assert.equal(before.data.nextLevel, 'aal1')

    const enrolled = await client.mfa.enroll({ factorType: 'totp', friendlyName: 'e2e phone' })
    assert.equal(enrolled.error, null, enrolled.error?.message)
    const factorId = enrolled.data.id
    assert.match(factorId, UUID_RE)
    assert.equal(enrolled.data.type, 'totp')
    assert.equal(enrolled.data.friendly_name, 'e2e phone')
    // auth-js makes the data: URI of the SVG the server sends.
    assert.ok(enrolled.data.totp.qr_code.startsWith('data:image/svg+xml;utf-8,<svg'))
    assert.ok(
      enrolled.data.totp.uri.startsWith(`otpauth://totp/localhost:3000:${email}?`),
      enrolled.data.totp.uri,
    )
    const secret = enrolled.data.totp.secret
    assert.match(secret, /^[A-Z2-7]{32}$/)

    // An unverified factor is listed under all, not under totp.
    const pending = await client.mfa.listFactors()
    assert.equal(pending.error, null)
    assert.equal(pending.data.all.length, 1)
    assert.equal(pending.data.all[0].status, 'unverified')
    assert.equal(pending.data.totp.length, 0)

    const wrong = await client.mfa.challengeAndVerify({
      factorId,
      code: totp(secret) === '000000' ? '111111' : '000000',
    })
    assertApiError(wrong.error, 422, 'mfa_verification_failed', 'a wrong code')

    const code = totp(secret)
    const verified = await client.mfa.challengeAndVerify({ factorId, code })
    assert.equal(verified.error, null, verified.error?.message)
    assert.equal(decodeJwt(verified.data.access_token).aal, 'aal2')

    const aal = await client.mfa.getAuthenticatorAssuranceLevel()
    assert.equal(aal.error, null)
    assert.equal(aal.data.currentLevel, 'aal2')
    assert.equal(aal.data.nextLevel, 'aal2')
    assert.deepEqual(
      aal.data.currentAuthenticationMethods.map((entry) => entry.method),
      ['totp', 'password'],
    )
    assert.ok(aal.data.currentAuthenticationMethods.every((entry) => Number.isInteger(entry.timestamp)))

    const factors = await client.mfa.listFactors()
    assert.equal(factors.error, null)
    assert.deepEqual(factors.data.totp.map((factor) => factor.id), [factorId])
    assert.equal(factors.data.totp[0].status, 'verified')
    assert.equal(factors.data.totp[0].friendly_name, 'e2e phone')

    // The code just used is not accepted again, even with a new challenge.
    const replay = await client.mfa.challengeAndVerify({ factorId, code })
    assertApiError(replay.error, 422, 'mfa_verification_failed', 'a replayed code')

    const refreshed = await client.refreshSession()
    assert.equal(refreshed.error, null, refreshed.error?.message)
    assert.equal(decodeJwt(refreshed.data.session.access_token).aal, 'aal2')

    // A new password sign-in starts at aal1 and is told that aal2 is possible.
    const other = newClient()
    const signIn = await other.signInWithPassword({ email, password: PASSWORD })
    assert.equal(signIn.error, null)
    const otherAal = await other.mfa.getAuthenticatorAssuranceLevel()
    assert.equal(otherAal.data.currentLevel, 'aal1')
    assert.equal(otherAal.data.nextLevel, 'aal2')
    const refused = await other.mfa.unenroll({ factorId })
    assertApiError(refused.error, 422, 'insufficient_aal', 'unenroll from an aal1 session')

    const unenrolled = await client.mfa.unenroll({ factorId })
    assert.equal(unenrolled.error, null, unenrolled.error?.message)
    assert.equal(unenrolled.data.id, factorId)
    const none = await client.mfa.listFactors()
    assert.equal(none.data.all.length, 0)
    const downgraded = await client.refreshSession()
    assert.equal(downgraded.error, null)
    assert.equal(decodeJwt(downgraded.data.session.access_token).aal, 'aal1')
  })
})
