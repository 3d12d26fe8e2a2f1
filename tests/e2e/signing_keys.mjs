// Prints a GOTRUE_JWT_KEYS value for the end-to-end server (run.sh): a fresh ES256 signing key
// made with node's crypto, and the HS256 secret of GOTRUE_JWT_SECRET as a verify-only key, the
// way a Supabase project keeps its legacy secret after moving to asymmetric keys (service-role
// and anon keys signed with the secret stay valid; new access tokens are ES256).
import { generateKeyPairSync, randomUUID } from 'node:crypto'

const secret = process.env.GOTRUE_JWT_SECRET
if (!secret) throw new Error('signing_keys.mjs: GOTRUE_JWT_SECRET is not set')

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const signing = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomUUID(),
  alg: 'ES256',
  use: 'sig',
  key_ops: ['sign', 'verify'],
}
const legacy = {
  kty: 'oct',
  k: Buffer.from(secret, 'utf8').toString('base64url'),
  kid: randomUUID(),
  alg: 'HS256',
  key_ops: ['verify'],
}
process.stdout.write(JSON.stringify([signing, legacy]))
