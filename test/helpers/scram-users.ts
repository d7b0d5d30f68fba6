// Creates SCRAM users over the wire (AlterUserScramCredentials), as `samsa users` and
// Kafka's admin client do: the salted password is computed here, never sent in clear.

import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { RawClient } from './raw-client.ts'

const MECHS = { 'SCRAM-SHA-256': { type: 1, hash: 'sha256', len: 32 }, 'SCRAM-SHA-512': { type: 2, hash: 'sha512', len: 64 } } as const

export async function addScramUser(port: number, user: string, password: string, mechanisms: Array<keyof typeof MECHS> = ['SCRAM-SHA-256', 'SCRAM-SHA-512'], iterations = 4096): Promise<void> {
  const c = await RawClient.connect(port)
  try {
    for (const name of mechanisms) {
      const m = MECHS[name]
      const salt = randomBytes(16)
      const res = await c.request(51, 0, { deletions: [], upsertions: [{ name: user, mechanism: m.type, iterations, salt, saltedPassword: pbkdf2Sync(password, salt, iterations, m.len, m.hash) }] })
      if (res.results[0].errorCode !== 0) throw new Error(`cannot add ${user}: ${res.results[0].errorMessage}`)
    }
  } finally {
    c.close()
  }
}
