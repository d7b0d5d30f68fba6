// AlterConfigs (key 33), versions 0-2: replaces a resource's whole set of configs.
// - TOPIC: the overrides become exactly the given set (validated all together:
//   INVALID_CONFIG naming the key and why), persisted in the catalogue and applied to
//   the partitions at once. BROKER '' or '<node id>': the dynamic log.* defaults at that
//   scope (other broker configs: INVALID_REQUEST "Cannot update these configs
//   dynamically"). BROKER_LOGGER needs IncrementalAlterConfigs (INVALID_REQUEST).
// - validate_only checks without changing anything; a null value is INVALID_REQUEST.
// - ACLs: ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or, for broker
//   resources, on the cluster (CLUSTER_AUTHORIZATION_FAILED).

import { decodeAlterConfigsRequest, type AlterConfigsRequest } from '../../protocol/messages/alter-configs-request.ts'
import { encodeAlterConfigsResponse, type AlterConfigsResponse } from '../../protocol/messages/alter-configs-response.ts'
import { defineHandler } from './api-handler.ts'
import { configResourceError, Op } from '../security/authorizer.ts'
import { alterResources } from './config-resources.ts'

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeAlterConfigsRequest,
  encode: encodeAlterConfigsResponse,
  async handle(ctx, req) {
    const responses = await alterResources(ctx.broker.configs, req.resources, (r) => r.configs.map((c) => ({ name: c.name, op: 0, value: c.value })), true, req.validateOnly, (r) => configResourceError(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName))
    return { throttleTimeMs: 0, responses }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) }
  },
})
