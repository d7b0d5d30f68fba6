// The JSON admin API under /v3, on the broker's HTTP listener: Confluent REST Proxy v3's
// paths and payloads where v3 has them, Samsa extensions (marked in /v3/openapi.json)
// where it has not. Errors are v3's `{"error_code", "message"}`. Request bodies must be
// application/json. State-changing requests from another site are refused (403): a
// browser names the page's origin in Origin and says `Sec-Fetch-Site: cross-site` /
// `same-site` for a page elsewhere, while curl and other programs send neither. A broker
// bound to loopback also refuses requests addressed to other host names (DNS rebinding).

import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import type { BrokerContext } from '../../broker-context.ts'
import { ApiRoutes } from './api-routes.ts'
import { httpAcls } from './http-acls.ts'
import { clusterRoutes } from './cluster-routes.ts'
import { groupRoutes } from './group-routes.ts'
import { recordRoutes } from './record-routes.ts'
import { topicRoutes } from './topic-routes.ts'
import { ApiError } from './v3-common.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Why a state-changing request looks like it came from another site's page, or null. */
export function crossSiteProblem(req: FastifyRequest): string | null {
  if (SAFE_METHODS.has(req.method)) return null
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Cross-site request refused (Sec-Fetch-Site: ${String(site)}).`
  const origin = req.headers.origin
  if (origin !== undefined) {
    let host: string | null = null
    try {
      host = new URL(origin).host
    } catch {
      host = null
    }
    if (host === null || host === '' || host !== req.headers.host) return `Cross-origin request refused (Origin ${origin} is not this server).`
  }
  return null
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/**
 * A broker listening on loopback only answers requests addressed to a loopback name (or
 * its advertised host): a page elsewhere whose DNS name is rebound to 127.0.0.1 would
 * otherwise count as same-origin and reach the API through the victim's browser.
 */
export function rebindingProblem(req: FastifyRequest, broker: BrokerContext): string | null {
  if (!LOOPBACK.has(broker.options.host)) return null
  let hostname: string
  try {
    hostname = new URL(`http://${req.headers.host ?? ''}`).hostname
  } catch {
    return 'Request refused: malformed Host header.'
  }
  if (LOOPBACK.has(hostname) || hostname === broker.advertisedHost) return null
  return `Request refused: Host ${req.headers.host} is not a name of this loopback-only broker.`
}

export function registerAdminApi(app: FastifyInstance, broker: BrokerContext): void {
  app.register(async (api) => {
    // Only JSON bodies: a form post or text/plain body from elsewhere is refused (415).
    api.removeContentTypeParser('text/plain')
    api.addHook('onRequest', async (req, reply) => {
      const problem = crossSiteProblem(req) ?? rebindingProblem(req, broker)
      if (problem !== null) return reply.code(403).send({ error_code: 403, message: problem })
      const clusterId = (req.params as Record<string, string> | undefined)?.cluster_id
      if (clusterId !== undefined && clusterId !== broker.clusterId) return reply.code(404).send({ error_code: 404, message: `Cluster ${clusterId} not found.` })
    })
    api.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
      if (err instanceof ApiError) return reply.code(err.status).send({ error_code: err.errorCode, message: err.message })
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500
      if (status >= 500) {
        broker.logger.error({ method: req.method, url: req.url, err: err.message }, 'admin API request failed')
        return reply.code(status).send({ error_code: status, message: `Internal server error: ${err.message}` })
      }
      return reply.code(status).send({ error_code: status, message: err.message })
    })
    api.setNotFoundHandler((req, reply) => reply.code(404).send({ error_code: 404, message: `HTTP 404 Not Found: ${req.method} ${req.url.split('?')[0]}` }))

    const routes = new ApiRoutes(api, '/v3', httpAcls(broker))
    clusterRoutes(broker, routes)
    topicRoutes(broker, routes)
    recordRoutes(broker, routes)
    groupRoutes(broker, routes)
    let spec: Record<string, unknown> | null = null
    routes.add('GET', '/v3/openapi.json', { tag: 'Meta', extension: true, summary: 'This OpenAPI description', responses: { 200: { description: 'OpenAPI 3.0 document' } } },
      async () => (spec ??= routes.openApi({
        title: 'Samsa admin API',
        version: '3',
        description: 'Follows the paths and payloads of Confluent REST Proxy API v3 where v3 has an equivalent; operations marked x-samsa-extension: true are Samsa\'s own. ' +
          'Errors are {"error_code", "message"}: the HTTP status, or HTTP status × 100 + n as kafka-rest numbers Kafka errors. ' +
          'State-changing requests (POST, PUT, PATCH, DELETE) from a browser page of another origin are refused with 403, and a broker bound to loopback answers only requests addressed to a loopback name.',
      })))
  }, { prefix: '/v3' })
}
