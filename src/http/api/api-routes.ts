// One table of the admin API's operations: each is registered with fastify and described
// in the OpenAPI document from the same entry, so /v3/openapi.json lists exactly what is
// served. An operation is either Confluent REST Proxy v3's (same path, method and
// payload) or a Samsa extension, marked `x-samsa-extension: true` in the document.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NOT_AUTHORIZED, type HttpAcls } from './http-acls.ts'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
export type Schema = Record<string, unknown>

export interface OperationDoc {
  summary: string
  description?: string
  tag: string
  /** A Samsa extension (Confluent's v3 has no equivalent). */
  extension?: boolean
  query?: Array<{ name: string; description: string; schema: Schema }>
  body?: Schema
  /** Status → description and (JSON) schema; error statuses get the error schema. */
  responses: Record<string, { description: string; schema?: Schema }>
}

export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>

interface Operation {
  method: Method
  path: string
  doc: OperationDoc
}

export const ERROR_SCHEMA: Schema = {
  type: 'object',
  required: ['error_code', 'message'],
  properties: {
    error_code: { type: 'integer', description: 'HTTP status, or HTTP status × 100 + n as kafka-rest numbers Kafka errors (40002 bad request, 40402 partition not found, 40403 unknown topic or partition, 50002 Kafka error, 50003 retriable Kafka error).' },
    message: { type: 'string' },
  },
}

export class ApiRoutes {
  private readonly app: FastifyInstance
  /** Where the fastify instance is mounted (its prefix), e.g. /v3. */
  private readonly prefix: string
  private readonly operations: Operation[] = []
  private readonly acls: HttpAcls | null

  constructor(app: FastifyInstance, prefix: string, acls: HttpAcls | null = null) {
    this.app = app
    this.prefix = prefix
    this.acls = acls
  }

  /** `path` is the full OpenAPI path, e.g. /v3/clusters/{cluster_id}/topics/{topic_name}/configs:alter. */
  add(method: Method, path: string, doc: OperationDoc, handler: Handler): void {
    if (!path.startsWith(this.prefix)) throw new Error(`${path} is not under ${this.prefix}`)
    this.operations.push({ method, path, doc })
    // fastify: a literal ':' is written '::', a parameter ':name'.
    const url = path.slice(this.prefix.length).replaceAll(':', '::').replace(/\{(\w+)\}/g, ':$1')
    this.app.route({
      method,
      url: url === '' ? '/' : url,
      handler: async (req, reply) => {
        const refusal = this.acls?.refusal(method, path, req) ?? null
        if (refusal !== null) return reply.code(403).send({ error_code: NOT_AUTHORIZED, message: refusal })
        const answer = await handler(req, reply)
        const out = this.acls === null ? answer : this.acls.filter(method, path, req, answer)
        if (reply.sent) return reply
        if (out === undefined) return reply.code(reply.statusCode === 200 ? 204 : reply.statusCode).send()
        return out
      },
    })
  }

  openApi(info: { title: string; version: string; description: string }): Schema {
    const paths: Record<string, Record<string, unknown>> = {}
    const tags = new Set<string>()
    for (const op of this.operations) {
      tags.add(op.doc.tag)
      const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }))
      const queryParams = (op.doc.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: q.schema }))
      const responses: Record<string, unknown> = {}
      for (const [status, r] of Object.entries(op.doc.responses)) {
        const schema = r.schema ?? (Number(status) >= 400 ? ERROR_SCHEMA : undefined)
        responses[status] = schema === undefined ? { description: r.description } : { description: r.description, content: { 'application/json': { schema } } }
      }
      if (responses.default === undefined) responses.default = { description: 'Error', content: { 'application/json': { schema: ERROR_SCHEMA } } }
      const operation: Record<string, unknown> = {
        operationId: `${op.method.toLowerCase()}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
        summary: op.doc.summary,
        tags: [op.doc.tag],
        'x-samsa-extension': op.doc.extension === true,
        parameters: [...pathParams, ...queryParams],
        responses,
      }
      if (op.doc.description !== undefined) operation.description = op.doc.description
      if (op.doc.body !== undefined) operation.requestBody = { required: true, content: { 'application/json': { schema: op.doc.body } } }
      paths[op.path] ??= {}
      paths[op.path]![op.method.toLowerCase()] = operation
    }
    return {
      openapi: '3.0.3',
      info,
      tags: [...tags].map((name) => ({ name })),
      paths,
      components: { schemas: { Error: ERROR_SCHEMA } },
    }
  }
}
