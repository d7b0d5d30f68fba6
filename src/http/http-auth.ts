// Login for the HTTP admin API and console: once the broker has a SASL listener, the Kafka
// side admits only known users, so the HTTP side must not be a way around it. The same
// users log in, with HTTP Basic credentials checked the way SASL/PLAIN checks them (the
// password salted and compared with the user's stored SCRAM keys). /healthz, /readyz and
// /metrics stay open, as probes and Prometheus scrapes expect and as Kafka's JMX metrics
// are not behind SASL either.
//
// A verification costs a PBKDF2 run (thousands of HMAC rounds), and the console polls
// every few seconds, so a successful check is remembered for a short while, keyed by a
// hash of the credentials (never the password itself), and forgotten when it expires.

import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { BrokerContext } from '../broker-context.ts'
import { RateLimitedLog } from '../security/rate-limited-log.ts'

const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics'])
const REMEMBER_MS = 60_000
const MAX_REMEMBERED = 1024
const REALM = 'Basic realm="samsa", charset="UTF-8"'

/** True when some Kafka listener authenticates with SASL: then HTTP asks for the same users. */
export function httpLoginRequired(securityProtocols: readonly string[]): boolean {
  return securityProtocols.some((p) => p.startsWith('SASL_'))
}

function parseBasic(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined) return null
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (m === null) return null
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return null
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

export function registerHttpLogin(app: FastifyInstance, broker: BrokerContext, now: () => number = Date.now): void {
  const remembered = new Map<string, { user: string; until: number; credential: object | undefined }>()
  // The stored credential a login was checked against: a changed password or a deleted
  // user replaces it, which ends the remembered login at once.
  const storedCredential = (user: string): object | undefined => broker.credentials.get(user, 'SCRAM-SHA-512') ?? broker.credentials.get(user, 'SCRAM-SHA-256')
  const failures = new RateLimitedLog(broker.logger)

  const refuse = (reply: FastifyReply, message: string): FastifyReply =>
    reply.code(401).header('WWW-Authenticate', REALM).send({ error_code: 401, message })

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?', 1)[0]!
    if (OPEN_PATHS.has(path)) return
    const creds = parseBasic(req.headers.authorization)
    if (creds === null) return refuse(reply, 'Authentication required: log in with a SCRAM user of this broker (HTTP Basic).')
    const key = createHash('sha256').update(creds.user).update('\0').update(creds.password).digest('base64')
    const hit = remembered.get(key)
    if (hit !== undefined && hit.until > now() && hit.credential === storedCredential(hit.user)) {
      ;(req as FastifyRequest & { principal?: string }).principal = `User:${hit.user}`
      return
    }
    remembered.delete(key)
    if (!(await broker.credentials.verifyPassword(creds.user, Buffer.from(creds.password, 'utf8')))) {
      failures.warn({ principal: `User:${creds.user}`, remote: req.ip, listener: 'http' }, 'HTTP login failed')
      return refuse(reply, 'Authentication failed: Invalid username or password')
    }
    if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!)
    remembered.set(key, { user: creds.user, until: now() + REMEMBER_MS, credential: storedCredential(creds.user) })
    ;(req as FastifyRequest & { principal?: string }).principal = `User:${creds.user}`
  })
}
