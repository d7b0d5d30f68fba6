// One connection's SASL state, as Kafka's SaslServerAuthenticator: before a mechanism is
// chosen only ApiVersions and SaslHandshake may arrive; after the handshake only
// SaslAuthenticate (handshake v1+) or raw size-prefixed tokens (handshake v0, which
// kafka-python and old librdkafka use). An unknown mechanism answers
// UNSUPPORTED_SASL_MECHANISM with the enabled list, a failed exchange
// SASL_AUTHENTICATION_FAILED; both then close the connection. KIP-368: with
// connections.max.reauth.ms > 0, or an OAUTHBEARER token (whose `exp` bounds the session:
// the lifetime is the shorter of the two, as Kafka's SaslServerAuthenticator computes it),
// a successful SaslAuthenticate v1+ carries the session lifetime, the client may
// re-authenticate (same mechanism and user) on the open connection, and a request after
// expiry closes it.

import { ErrorCode } from '../../protocol/error-codes.ts'
import type { SaslHandshakeResponse } from '../../protocol/messages/sasl-handshake-response.ts'
import type { SaslAuthenticateResponse } from '../../protocol/messages/sasl-authenticate-response.ts'
import type { ScramCredentialStore } from './scram-credential-store.ts'
import { createSaslServer, SaslFailure, type SaslServer } from './sasl-servers.ts'
import type { SaslMechanism } from './sasl-mechanisms.ts'
import { OAuthBearerServer } from './oauthbearer-server.ts'
import type { OAuthBearerValidator } from './oauthbearer-token.ts'
import type { RateLimitedLog } from './rate-limited-log.ts'

export type SaslPhase = 'handshake' | 'authenticate' | 'complete' | 'failed'

export interface SaslHooks {
  /** Ends the connection once the responses queued so far have left. */
  closeAfterResponses(reason: string): void
  /** The first authentication succeeded: requests may flow. */
  authenticated(): void
}

export interface SaslSettings {
  enabled: readonly SaslMechanism[]
  store: ScramCredentialStore
  /** connections.max.reauth.ms; 0: sessions do not expire (OAUTHBEARER's still end with the token). */
  reauthMs: number
  /** The OAUTHBEARER token validator; null when OAUTHBEARER is not enabled. */
  oauth: OAuthBearerValidator | null
  now: () => number
  failures: RateLimitedLog
  listener: string
}

const EMPTY = Buffer.alloc(0)

export class SaslAuthenticator {
  phase: SaslPhase = 'handshake'
  mechanism: SaslMechanism | null = null
  /** Handshake v0: the tokens come as raw size-prefixed frames. */
  rawTokens = false
  /** The authenticated user (null until then). */
  user: string | null = null
  /** When the session ends (ms, settings.now()); Infinity without connections.max.reauth.ms or a token expiry. */
  expiresAt = Infinity
  private reauthenticating = false
  private clientSupportsReauth = false
  private server: SaslServer | null = null
  private readonly settings: SaslSettings
  private readonly hooks: SaslHooks
  private readonly remote: string

  constructor(settings: SaslSettings, hooks: SaslHooks, remote: string) {
    this.settings = settings
    this.hooks = hooks
    this.remote = remote
  }

  get expired(): boolean {
    return this.settings.now() >= this.expiresAt
  }

  handshake(requested: string, version: number): SaslHandshakeResponse {
    const mechanisms = [...this.settings.enabled]
    if (this.phase === 'complete' && this.expiresAt !== Infinity && this.clientSupportsReauth) {
      if (requested !== this.mechanism) {
        this.fail(null, `SASL mechanism '${requested}' requested by client is not supported for re-authentication of mechanism '${this.mechanism}'`)
        return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }
      }
      this.reauthenticating = true
    } else if (this.phase !== 'handshake') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
    }
    if (!(mechanisms as string[]).includes(requested)) {
      this.fail(null, `Unsupported SASL mechanism ${requested}`)
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }
    }
    this.mechanism = requested as SaslMechanism
    this.rawTokens = version === 0
    this.server = this.mechanism === 'OAUTHBEARER' ? new OAuthBearerServer(this.settings.oauth!) : createSaslServer(this.mechanism, this.settings.store)
    this.phase = 'authenticate'
    return { errorCode: ErrorCode.NONE, mechanisms }
  }

  /** SaslAuthenticate (after a v1+ handshake). The token must not be a view of a reused buffer. */
  async authenticate(token: Buffer, version: number): Promise<SaslAuthenticateResponse> {
    if (this.phase === 'complete') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', authBytes: EMPTY, sessionLifetimeMs: 0 }
    }
    if (this.phase !== 'authenticate' || this.rawTokens) {
      this.fail(null, `Unexpected SaslAuthenticate request in SASL state ${this.phase}`)
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: `Unexpected SaslAuthenticate request in SASL state ${this.phase}`, authBytes: EMPTY, sessionLifetimeMs: 0 }
    }
    if (version > 0) this.clientSupportsReauth = true
    const out = await this.evaluate(token)
    if ('failed' in out) return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: out.failed, authBytes: EMPTY, sessionLifetimeMs: 0 }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: out.challenge, sessionLifetimeMs: out.lifetimeMs }
  }

  /** A raw token after a v0 handshake: the challenge to send, or null when the connection must close. */
  async rawToken(token: Buffer): Promise<Buffer | null> {
    const out = await this.evaluate(token)
    return 'failed' in out ? null : out.challenge
  }

  private async evaluate(token: Buffer): Promise<{ challenge: Buffer; lifetimeMs: number } | { failed: string }> {
    const server = this.server!
    let challenge: Buffer
    try {
      challenge = await server.evaluate(token)
    } catch (err) {
      const message = err instanceof SaslFailure ? err.message : `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`
      if (err instanceof SaslFailure) this.fail(err.user, message, err.detail, err.logged)
      else this.fail(server.user, message)
      return { failed: message }
    }
    if (!server.complete) {
      // An OAUTHBEARER error challenge: the client may just hang up instead of acknowledging
      // it, so the refusal is logged now.
      if (server.rejected != null) this.logFailure(server.user, server.rejected)
      return { challenge, lifetimeMs: 0 }
    }
    if (this.reauthenticating && server.user !== this.user) {
      const message = `Cannot change principals during re-authentication from User:${this.user}: User:${server.user}`
      this.fail(server.user, message)
      return { failed: message }
    }
    const first = !this.reauthenticating
    this.user = server.user
    this.server = null
    this.phase = 'complete'
    this.reauthenticating = false
    const lifetime = this.sessionLifetime(server.credentialExpiresAt ?? null)
    this.expiresAt = lifetime === null ? Infinity : this.settings.now() + lifetime
    if (first) this.hooks.authenticated()
    // Only clients that speak SaslAuthenticate v1+ can be told the lifetime (KIP-368).
    return { challenge, lifetimeMs: lifetime !== null && this.clientSupportsReauth ? lifetime : 0 }
  }

  /** Kafka's calcCompletionTimesAndReturnSessionLifetimeMs: null when the session never ends. */
  private sessionLifetime(credentialExpiresAt: number | null): number | null {
    const reauth = this.settings.reauthMs
    if (credentialExpiresAt === null) return reauth > 0 ? reauth : null
    const left = credentialExpiresAt - this.settings.now()
    return Math.max(0, reauth > 0 ? Math.min(left, reauth) : left)
  }

  private fail(user: string | null, message: string, detail: string | null = null, logged = false): void {
    this.phase = 'failed'
    this.server = null
    if (!logged) this.logFailure(user, detail ?? message)
    this.hooks.closeAfterResponses(message)
  }

  private logFailure(user: string | null, why: string): void {
    this.settings.failures.warn({ principal: user === null ? null : `User:${user}`, remote: this.remote, listener: this.settings.listener, mechanism: this.mechanism }, `Failed authentication with ${this.remote} (${why})`)
  }
}
