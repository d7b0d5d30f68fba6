// AlterClientQuotas (key 49), versions 0-1.
// - Entities of `user` and/or `client-id` (a null name is the type's default entity);
//   keys producer_byte_rate and consumer_byte_rate (whole numbers), request_percentage
//   and controller_mutation_rate (stored, not enforced); `remove` deletes a key. Each
//   entity is checked on its own, with ClientQuotaControlManager's errors and messages
//   (all INVALID_REQUEST): empty entity, unknown entity type, empty name, unknown key,
//   a value ≤ 0, a fractional byte rate, a key or an entity named twice ("Ignoring
//   duplicate entity"). `ip` entities are refused (connection rate quotas are not
//   implemented). Removing a key that is not set is a no-op.
// - `validate_only` checks and answers without changing anything.
// - Changes are written to the data dir before the answer and applied to the quota
//   managers at once; they survive a restart.
// - ACLs: ALTER_CONFIGS on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every
//   entity, as the controller answers.

import { decodeAlterClientQuotasRequest, type AlterClientQuotasRequest } from '../../protocol/messages/alter-client-quotas-request.ts'
import { encodeAlterClientQuotasResponse, type AlterClientQuotasResponse } from '../../protocol/messages/alter-client-quotas-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'
import type { QuotaEntity } from '../quotas/quota-entity.ts'

/** AlterClientQuotasRequest.entries: the entity as a map (a type named twice keeps its last name). */
function entityOf(entity: Array<{ entityType: string; entityName: string | null }>): QuotaEntity {
  return new Map(entity.map((e) => [e.entityType, e.entityName]))
}

function entityData(entity: QuotaEntity): Array<{ entityType: string; entityName: string | null }> {
  return [...entity].map(([entityType, entityName]) => ({ entityType, entityName }))
}

function allFailed(req: AlterClientQuotasRequest, errorCode: number, errorMessage: string | null = null): AlterClientQuotasResponse {
  return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode, errorMessage, entity: e.entity.map((d) => ({ entityType: d.entityType, entityName: d.entityName })) })) }
}

export default defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  apiKey: 49,
  name: 'AlterClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeAlterClientQuotasRequest,
  encode: encodeAlterClientQuotasResponse,
  handle(ctx, req) {
    if (!authorizedCluster(ctx, Op.ALTER_CONFIGS)) return allFailed(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')
    const outcomes = ctx.broker.quotas.store.alter(req.entries.map((e) => ({ entity: entityOf(e.entity), ops: e.ops })), req.validateOnly)
    if (!req.validateOnly) {
      for (const o of outcomes) if (o.errorCode === ErrorCode.NONE) ctx.broker.logger.info({ entity: Object.fromEntries(o.entity), principal: ctx.security.principal }, 'client quotas altered')
    }
    return { throttleTimeMs: 0, entries: outcomes.map((o) => ({ errorCode: o.errorCode, errorMessage: o.errorMessage, entity: entityData(o.entity) })) }
  },
  errorResponse: (req, errorCode) => allFailed(req, errorCode),
})
