// SCRAM credentials (Kafka's ScramCredential: salt, StoredKey, ServerKey, iterations) per
// user and mechanism. Owns `<data-dir>/samsa-scram-credentials.meta` (Samsa's metadata
// format: magic, version, CRC-32C, msgpackr), rewritten temp-fsync-rename before an
// AlterUserScramCredentials is answered. Neither passwords nor salted passwords are
// stored: an upsertion's salted password is turned into StoredKey/ServerKey at once, as
// Kafka's ScramControlManager does. Memory mode keeps them in memory only.

import { createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { readMetadataFile, writeMetadataFile } from '../../storage/metadata-file.ts'
import type { FileIO } from '../../storage/file-io.ts'
import { SCRAM_MECHANISMS, type ScramMechanismInfo } from './sasl-mechanisms.ts'

export const SCRAM_CREDENTIALS_FILE = 'samsa-scram-credentials.meta'
const pbkdf2Async = promisify(pbkdf2)

export interface ScramCredential {
  salt: Buffer
  storedKey: Buffer
  serverKey: Buffer
  iterations: number
}

interface StoredFile {
  users: Record<string, Record<string, ScramCredential>>
}

export function hmac(m: ScramMechanismInfo, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(m.hash, key).update(data).digest()
}

export function hash(m: ScramMechanismInfo, data: Buffer): Buffer {
  return createHash(m.hash).update(data).digest()
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC of the mechanism's hash. Runs on libuv's pool. */
export function saltedPassword(m: ScramMechanismInfo, password: Buffer | string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(password, salt, iterations, m.hashLength, m.hash)
}

export function credentialFromSaltedPassword(m: ScramMechanismInfo, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key')
  return { salt: Buffer.from(salt), storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key'), iterations }
}

export class ScramCredentialStore {
  private readonly users = new Map<string, Map<string, ScramCredential>>()
  private readonly io: FileIO | null
  private readonly file: string | null

  constructor(io: FileIO | null, dataDir: string | null) {
    this.io = io
    this.file = dataDir === null ? null : join(dataDir, SCRAM_CREDENTIALS_FILE)
  }

  load(): void {
    if (this.io === null || this.file === null) return
    const stored = readMetadataFile(this.io, this.file) as StoredFile | undefined
    if (stored === undefined) return
    for (const [user, mechs] of Object.entries(stored.users)) {
      const m = new Map<string, ScramCredential>()
      for (const [name, c] of Object.entries(mechs)) m.set(name, { salt: Buffer.from(c.salt), storedKey: Buffer.from(c.storedKey), serverKey: Buffer.from(c.serverKey), iterations: c.iterations })
      this.users.set(user, m)
    }
  }

  get(user: string, mechanism: string): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism)
  }

  has(user: string, mechanism: string): boolean {
    return this.get(user, mechanism) !== undefined
  }

  /** user → mechanism name → iterations, for DescribeUserScramCredentials. */
  describe(user: string): Array<{ mechanism: ScramMechanismInfo; iterations: number }> {
    const m = this.users.get(user)
    if (m === undefined) return []
    return SCRAM_MECHANISMS.filter((x) => m.has(x.name)).map((x) => ({ mechanism: x, iterations: m.get(x.name)!.iterations }))
  }

  userNames(): string[] {
    return [...this.users.keys()].sort()
  }

  /**
   * Applies a batch of changes and persists them before returning; if the file cannot be
   * written nothing changes in memory either, so what is served is what a restart loads.
   */
  apply(changes: Array<{ user: string; mechanism: string; credential: ScramCredential | null }>): void {
    const next = new Map([...this.users].map(([u, m]) => [u, new Map(m)]))
    for (const c of changes) {
      const m = next.get(c.user) ?? new Map<string, ScramCredential>()
      if (c.credential === null) m.delete(c.mechanism)
      else m.set(c.mechanism, c.credential)
      if (m.size === 0) next.delete(c.user)
      else next.set(c.user, m)
    }
    if (this.io !== null && this.file !== null) {
      const users: StoredFile['users'] = {}
      for (const [u, m] of next) users[u] = Object.fromEntries(m)
      writeMetadataFile(this.io, this.file, { users } satisfies StoredFile)
    }
    this.users.clear()
    for (const [u, m] of next) this.users.set(u, m)
  }

  /**
   * SASL/PLAIN check: the password is salted with the user's stored SCRAM salt and
   * iterations, and its StoredKey compared in constant time. SHA-512 is tried first,
   * then SHA-256; a user with no SCRAM credential cannot log in with PLAIN.
   */
  async verifyPassword(user: string, password: Buffer): Promise<boolean> {
    const mechs = this.users.get(user)
    if (mechs === undefined) return false
    for (const m of [...SCRAM_MECHANISMS].reverse()) {
      const c = mechs.get(m.name)
      if (c === undefined) continue
      const derived = credentialFromSaltedPassword(m, await saltedPassword(m, password, c.salt, c.iterations), c.salt, c.iterations)
      return timingSafeEqual(derived.storedKey, c.storedKey)
    }
    return false
  }
}
