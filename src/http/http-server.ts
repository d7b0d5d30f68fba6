// The broker's HTTP listener, on fastify: /metrics (Prometheus text format), /healthz
// (the process is up) and /readyz (storage recovered and both coordinators loaded: the
// broker answers group and transaction requests), the JSON admin API under /v3 and the
// web console at /. Same host as the Kafka listener, so it is loopback-only unless the
// broker was told otherwise; closed with the broker.

import Fastify, { type FastifyInstance } from 'fastify'
import type { BrokerContext } from '../broker-context.ts'
import { registerAdminApi } from './api/admin-api.ts'
import { registerConsole } from './console/console-routes.ts'
import { httpLoginRequired, registerHttpLogin } from './http-auth.ts'
import { listenerConfigs } from '../config/broker-options.ts'

export interface HttpListener {
  port: number
  close(): Promise<void>
}

/** Why the broker is not ready yet, or null when it is. */
export function notReadyReason(broker: BrokerContext, storageOpen: () => boolean): string | null {
  if (!storageOpen()) return 'partitions are still being opened and recovered'
  if (broker.groups.isLoading) return 'the group coordinator is loading __consumer_offsets'
  if (broker.txns.isLoading) return 'the transaction coordinator is loading __transaction_state'
  return null
}

export async function startHttp(broker: BrokerContext, host: string, port: number, storageOpen: () => boolean): Promise<HttpListener> {
  const registry = broker.metrics.registry
  if (registry === null) throw new Error('the HTTP listener needs a broker built with its Prometheus metrics')
  const app: FastifyInstance = Fastify({ logger: false })
  // With a SASL listener the same users log in here (http-auth.ts).
  if (httpLoginRequired(listenerConfigs(broker.options).map((l) => l.securityProtocol))) registerHttpLogin(app, broker)
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const reason = notReadyReason(broker, storageOpen)
    if (reason !== null) return reply.code(503).send({ status: 'loading', reason })
    return { status: 'ready' }
  })
  app.get('/metrics', async (_req, reply) => {
    const body = await registry.metrics()
    return reply.type(registry.contentType).send(body)
  })
  // The JSON admin API under /v3 (api/admin-api.ts) and the web console at / (console/).
  registerAdminApi(app, broker)
  registerConsole(app)
  try {
    await app.listen({ host, port })
  } catch (err) {
    await app.close().catch(() => {})
    throw new Error(`cannot listen for HTTP on ${host}:${port} (http.port / --http-port): ${(err as Error).message}`)
  }
  const address = app.server.address()
  const bound = address !== null && typeof address === 'object' ? address.port : port
  return { port: bound, close: () => app.close() }
}
