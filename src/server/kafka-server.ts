// The listeners (one server socket each, see listener.ts) and the set of live
// connections across them. Graceful close stops accepting, lets every connection
// finish its in-flight requests, then ends them.

import type { Socket } from 'node:net'
import { Connection } from './connection.ts'
import { Listener } from './listener.ts'
import type { BrokerContext } from '../broker-context.ts'
import type { ListenerConfig } from '../config/listeners.ts'
import { PrincipalMapper } from '../security/principal-mapper.ts'
import { RateLimitedLog } from '../security/rate-limited-log.ts'
import { TlsCredentials } from '../security/tls-credentials.ts'
import type { SaslMechanism } from '../security/sasl-mechanisms.ts'
import type { OAuthBearerValidator } from '../security/oauthbearer-token.ts'
import { createOAuthBearerValidator } from '../security/oauthbearer-validators.ts'

export interface BoundListener {
  name: string
  securityProtocol: ListenerConfig['securityProtocol']
  host: string
  port: number
  advertisedHost: string
  advertisedPort: number
}

export class KafkaServer {
  readonly listeners: Listener[]
  private readonly connections = new Set<Connection>()
  private readonly tls: TlsCredentials | null
  private readonly oauth: OAuthBearerValidator | null
  private nextId = 1

  /** Throws TlsConfigError when a TLS listener's key or trust store is missing or unusable. */
  constructor(broker: BrokerContext, configs: readonly ListenerConfig[]) {
    const options = broker.options
    const usesTls = configs.some((c) => c.securityProtocol === 'SSL' || c.securityProtocol === 'SASL_SSL')
    this.tls = usesTls ? new TlsCredentials(options) : null
    const tls = this.tls === null
      ? null
      : { credentials: this.tls, material: this.tls.load(), clientAuth: options.sslClientAuth, mapper: new PrincipalMapper(options.sslPrincipalMappingRules) }
    const noisy = new RateLimitedLog(broker.logger)
    const onSocket = (socket: Socket, listener: Listener, principal: string): void => {
      const conn = new Connection(this.nextId++, socket, broker, listener, principal)
      this.connections.add(conn)
      socket.on('close', () => this.connections.delete(conn))
    }
    const enabled = options.saslEnabledMechanisms.split(',') as SaslMechanism[]
    const usesSasl = configs.some((c) => c.securityProtocol === 'SASL_PLAINTEXT' || c.securityProtocol === 'SASL_SSL')
    this.oauth = usesSasl && enabled.includes('OAUTHBEARER') ? createOAuthBearerValidator(options, broker.clock, broker.logger) : null
    const sasl = {
      enabled,
      store: broker.credentials,
      reauthMs: options.connectionsMaxReauthMs,
      oauth: this.oauth,
      now: () => broker.clock.now(),
      failures: noisy,
    }
    this.listeners = configs.map((c) => new Listener(c, { logger: broker.logger, tls, sasl, noisy, onSocket }))
  }

  /** Binds every listener, in order; a failure closes those already bound. */
  async listen(): Promise<BoundListener[]> {
    const out: BoundListener[] = []
    try {
      // Kafka does not start when the OAUTHBEARER validator cannot load its keys.
      await this.oauth?.init()
      for (const l of this.listeners) {
        const bound = await l.listen()
        out.push({ name: l.config.name, securityProtocol: l.config.securityProtocol, host: bound.host, port: bound.port, advertisedHost: l.endpoint.advertisedHost, advertisedPort: l.endpoint.advertisedPort })
      }
    } catch (err) {
      await Promise.all(this.listeners.map((l) => l.close()))
      throw err
    }
    return out
  }

  /** Re-reads the TLS key and trust stores now (they are also reloaded when their files change). */
  reloadTls(): void {
    if (this.tls === null) return
    const material = this.tls.load()
    for (const l of this.listeners) l.reloadTls(material)
  }

  get connectionCount(): number {
    return this.connections.size
  }

  /** Connections that stopped reading because they have the most requests outstanding a connection may have. */
  get connectionsAtRequestLimit(): number {
    let n = 0
    for (const c of this.connections) if (c.atRequestLimit) n++
    return n
  }

  async close(): Promise<void> {
    this.oauth?.close()
    const stopped = Promise.all(this.listeners.map((l) => l.close()))
    await Promise.all([...this.connections].map((c) => c.drain()))
    await stopped
  }
}
