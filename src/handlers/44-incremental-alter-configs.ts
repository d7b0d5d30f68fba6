// IncrementalAlterConfigs (key 44), versions 0-1: SET, DELETE, APPEND and SUBTRACT (list
// configs only, else INVALID_CONFIG) on one resource's configs, validated as a whole.
// - TOPIC: overrides in the catalogue, applied to the partitions at once (retention runs
//   then, so a lowered retention.ms deletes old segments without a restart).
// - BROKER '' or '<node id>': the dynamic log.* defaults at that scope, persisted in the
//   data dir; other broker configs are static (INVALID_REQUEST).
// - BROKER_LOGGER '<node id>': the root logger's level (log4j names), SET only.
// - Duplicate keys or resources: INVALID_REQUEST. validate_only changes nothing.
// - ACLs: ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or, for broker
//   resources, on the cluster (CLUSTER_AUTHORIZATION_FAILED).

import { decodeIncrementalAlterConfigsRequest, type IncrementalAlterConfigsRequest } from '../../protocol/messages/incremental-alter-configs-request.ts'
import { encodeIncrementalAlterConfigsResponse, type IncrementalAlterConfigsResponse } from '../../protocol/messages/incremental-alter-configs-response.ts'
import { defineHandler } from './api-handler.ts'
import { configResourceError, Op } from '../security/authorizer.ts'
import { alterResources } from './config-resources.ts'

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeIncrementalAlterConfigsRequest,
  encode: encodeIncrementalAlterConfigsResponse,
  async handle(ctx, req) {
    const responses = await alterResources(ctx.broker.configs, req.resources, (r) => r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })), false, req.validateOnly, (r) => configResourceError(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName))
    return { throttleTimeMs: 0, responses }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) }
  },
})
