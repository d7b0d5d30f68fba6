// DescribeConfigs (key 32), versions 0-4.
// - TOPIC: every topic config of Kafka 4.x with its effective value and source (topic
//   override, dynamic broker default, static broker default, Kafka's default), synonyms
//   (v1+, when asked), type and documentation (v3+, when asked).
// - BROKER '<node id>': the log.* defaults (dynamic ones writable) and the broker's other
//   options (read-only); BROKER '': the cluster-wide dynamic configs only, as Kafka.
// - BROKER_LOGGER '<node id>': the root logger's level.
// - configuration_keys null = all; unknown topics UNKNOWN_TOPIC_OR_PARTITION; another
//   broker id INVALID_REQUEST.
// - ACLs: DESCRIBE_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or, for broker
//   resources, on the cluster (CLUSTER_AUTHORIZATION_FAILED).

import { decodeDescribeConfigsRequest, type DescribeConfigsRequest } from '../../protocol/messages/describe-configs-request.ts'
import { encodeDescribeConfigsResponse, type DescribeConfigsResponse } from '../../protocol/messages/describe-configs-response.ts'
import { defineHandler } from './api-handler.ts'
import { configResourceError, Op } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeDescribeConfigsRequest,
  encode: encodeDescribeConfigsResponse,
  handle(ctx, req) {
    const version = ctx.header.apiVersion
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r) => {
        const denied = configResourceError(ctx, Op.DESCRIBE_CONFIGS, r.resourceType, r.resourceName)
        if (denied !== ErrorCode.NONE) return { errorCode: denied, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }
        const d = ctx.broker.configs.describe(r.resourceType, r.resourceName, r.configurationKeys, version >= 1 && req.includeSynonyms, version >= 3 && req.includeDocumentation)
        return { errorCode: d.errorCode, errorMessage: d.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName, configs: d.configs }
      }),
    }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) }
  },
})
