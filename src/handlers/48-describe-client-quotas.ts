// DescribeClientQuotas (key 48), versions 0-1.
// - Filter components on `user`, `client-id` and `ip`: match type 0 an exact name, 1 the
//   type's default entity (name null), 2 any name; `strict` leaves out entities with
//   types the filter does not name. Answered from the stored quotas, as a KRaft broker
//   answers from its metadata image (ClientQuotasImage.describe).
// - A bad filter answers the request with one error and null entries: an empty or
//   repeated entity type, a match string with match type 1 or 2 or none with 0, an
//   unknown match type, `ip` mixed with user or client-id are INVALID_REQUEST; an
//   unknown entity type is UNSUPPORTED_VERSION, as in Kafka.
// - ACLs: DESCRIBE_CONFIGS on the cluster, else CLUSTER_AUTHORIZATION_FAILED.

import { decodeDescribeClientQuotasRequest, type DescribeClientQuotasRequest } from '../../protocol/messages/describe-client-quotas-request.ts'
import { encodeDescribeClientQuotasResponse, type DescribeClientQuotasResponse } from '../../protocol/messages/describe-client-quotas-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'
import { parseFilter } from '../quotas/quota-entity.ts'

function failed(errorCode: number, errorMessage: string | null): DescribeClientQuotasResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, entries: null }
}

export default defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  apiKey: 48,
  name: 'DescribeClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeDescribeClientQuotasRequest,
  encode: encodeDescribeClientQuotasResponse,
  handle(ctx, req) {
    if (!authorizedCluster(ctx, Op.DESCRIBE_CONFIGS)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')
    const filter = parseFilter(req.components, req.strict)
    if ('errorCode' in filter) return failed(filter.errorCode, filter.message)
    const entries = ctx.broker.quotas.store.describe(filter).map((e) => ({
      entity: [...e.entity].map(([entityType, entityName]) => ({ entityType, entityName })),
      values: [...e.values].map(([key, value]) => ({ key, value })),
    }))
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries }
  },
  errorResponse: (_req, errorCode) => failed(errorCode, null),
})
