// One listener of `listeners`: a TCP (PLAINTEXT, SASL_PLAINTEXT) or TLS (SSL, SASL_SSL)
// server, what it advertises to the clients that come through it, and how its
// connections authenticate. Connections are made by KafkaServer's callback once a socket
// is usable (after the TLS handshake on TLS listeners).

import { createServer, type Server, type Socket } from 'node:net'
import type { SecureContextOptions, Server as TlsServer, TLSSocket } from 'node:tls'
import type { ListenerConfig } from '../config/listeners.ts'
import type { ListenerEndpoint } from '../handlers/api-handler.ts'
import type { Logger } from '../logger.ts'
import { ANONYMOUS, type ConnectionSecurity } from '../security/connection-security.ts'
import type { PrincipalMapper } from '../security/principal-mapper.ts'
import { rfc2253 } from '../security/principal-mapper.ts'
import type { RateLimitedLog } from '../security/rate-limited-log.ts'
import type { TlsCredentials } from '../security/tls-credentials.ts'
import { SaslAuthenticator, type SaslHooks, type SaslSettings } from '../security/sasl-authenticator.ts'

export interface ListenerDeps {
  logger: Logger
  /** Present when any listener uses TLS. */
  tls: { credentials: TlsCredentials; material: SecureContextOptions; clientAuth: 'none' | 'requested' | 'required'; mapper: PrincipalMapper } | null
  sasl: Omit<SaslSettings, 'listener'>
  /** Failed TLS handshakes and logins: rate-limited. */
  noisy: RateLimitedLog
  onSocket(socket: Socket, listener: Listener, principal: string): void
}

export class Listener {
  readonly config: ListenerConfig
  readonly endpoint: ListenerEndpoint
  private readonly server: Server | TlsServer
  private readonly deps: ListenerDeps
  private readonly saslSettings: SaslSettings | null
  /** Shared by every connection of a listener without per-connection identity. */
  private readonly anonymous: ConnectionSecurity
  private stopWatching: (() => void) | null = null

  constructor(config: ListenerConfig, deps: ListenerDeps) {
    this.config = config
    this.deps = deps
    this.endpoint = { name: config.name, advertisedHost: config.advertisedHost, advertisedPort: config.advertisedPort }
    const protocol = config.securityProtocol
    this.saslSettings = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL' ? { ...deps.sasl, listener: config.name } : null
    this.anonymous = Object.freeze({ listener: config.name, securityProtocol: protocol, principal: ANONYMOUS, sasl: null }) as ConnectionSecurity
    if (protocol === 'SSL' || protocol === 'SASL_SSL') {
      const tls = deps.tls!
      // Kafka applies ssl.client.auth to SSL listeners only; SASL_SSL authenticates by SASL.
      const clientAuth = protocol === 'SSL' ? tls.clientAuth : 'none'
      // node:tls only for TLS listeners: loading it cost every start ~20 ms of CPU (more with
      // NODE_EXTRA_CA_CERTS set), and most brokers listen in plaintext.
      const server = process.getBuiltinModule('node:tls').createServer({
        ...tls.material,
        requestCert: clientAuth !== 'none',
        rejectUnauthorized: clientAuth === 'required',
        handshakeTimeout: 10_000,
      })
      server.on('secureConnection', (socket: TLSSocket) => this.onSecureSocket(socket, clientAuth))
      server.on('tlsClientError', (err, socket) => {
        deps.noisy.warn({ listener: config.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, err: err.message }, 'TLS handshake failed')
      })
      this.server = server
      this.stopWatching = tls.credentials.watch(
        (material) => {
          server.setSecureContext(material)
          deps.logger.info({ listener: config.name }, 'reloaded the TLS key store and trust store; new connections use them')
        },
        (err) => deps.logger.warn({ listener: config.name, err: err.message }, 'cannot reload the TLS key store or trust store; the previous ones stay in use'),
      )
    } else {
      this.server = createServer({ noDelay: true }, (socket) => deps.onSocket(socket, this, ANONYMOUS))
    }
  }

  /** Every connection of this listener starts from this: a shared object unless it can change. */
  securityFor(socket: Socket, principal: string, hooks: () => SaslHooks): ConnectionSecurity {
    if (this.saslSettings !== null) {
      const security = { listener: this.config.name, securityProtocol: this.config.securityProtocol, principal: ANONYMOUS, sasl: null as SaslAuthenticator | null }
      security.sasl = new SaslAuthenticator(this.saslSettings, hooks(), `${socket.remoteAddress}:${socket.remotePort}`)
      return security
    }
    if (principal === ANONYMOUS) return this.anonymous
    return { listener: this.config.name, securityProtocol: this.config.securityProtocol, principal, sasl: null }
  }

  /** The current TLS material to every new connection (the watcher does this by itself on file changes). */
  reloadTls(material: SecureContextOptions): void {
    if ('setSecureContext' in this.server) this.server.setSecureContext(material)
  }

  private onSecureSocket(socket: TLSSocket, clientAuth: 'none' | 'requested' | 'required'): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`
    let principal = ANONYMOUS
    if (clientAuth !== 'none') {
      const cert = socket.getPeerX509Certificate()
      if (cert !== undefined) {
        // `requested` lets a client without a certificate in, not one whose certificate fails.
        if (!socket.authorized) {
          this.deps.noisy.warn({ listener: this.config.name, remote, err: String(socket.authorizationError) }, 'Failed authentication: client certificate not trusted')
          socket.destroy()
          return
        }
        const dn = rfc2253(cert.subject)
        const name = this.deps.tls!.mapper.map(dn)
        if (name === null) {
          this.deps.noisy.warn({ listener: this.config.name, remote, subject: dn }, 'Failed authentication: no ssl.principal.mapping.rules rule applies to the certificate subject')
          socket.destroy()
          return
        }
        principal = `User:${name}`
      }
    }
    this.deps.onSocket(socket, this, principal)
  }

  listen(): Promise<{ host: string; port: number }> {
    const server = this.server
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      server.once('error', onError)
      server.listen({ host: this.config.host, port: this.config.port, exclusive: true }, () => {
        server.off('error', onError)
        const addr = server.address()
        if (addr === null || typeof addr === 'string') return reject(new Error('server has no TCP address'))
        if (this.endpoint.advertisedPort === 0) this.endpoint.advertisedPort = addr.port
        resolve({ host: addr.address, port: addr.port })
      })
    })
  }

  close(): Promise<void> {
    this.stopWatching?.()
    this.stopWatching = null
    return new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
