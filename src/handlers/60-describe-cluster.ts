// DescribeCluster (key 60), versions 0-1.
// - This broker is the only broker, with the host and port Metadata advertises (rack
//   null), and the controller id is its node id (a KRaft broker reports a live broker as
//   the controller). cluster_id is the data dir's.
// - cluster_authorized_operations: −2147483648 unless asked for; when asked, every
//   operation Kafka supports on a cluster (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
//   DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE), which is what Kafka answers
//   with no authorizer (AuthHelper.authorizedOperations); with one, those its ACLs allow.
// - v1 endpoint_type: 1 (brokers) is answered; 2 (controllers) sent to a broker listener
//   gets MISMATCHED_ENDPOINT_TYPE and any other value UNSUPPORTED_ENDPOINT_TYPE, with
//   an empty broker list and controller id −1 (AuthHelper.computeDescribeClusterResponse;
//   v0 would get INVALID_REQUEST, but v0 cannot name an endpoint type).
// Not here: v2 (include_fenced_brokers, is_fenced) is outside the schema this broker is
// generated from (0-1).

import { decodeDescribeClusterRequest, type DescribeClusterRequest } from '../../protocol/messages/describe-cluster-request.ts'
import { encodeDescribeClusterResponse, type DescribeClusterResponse } from '../../protocol/messages/describe-cluster-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedOperations, ResourceType } from '../security/authorizer.ts'
import { CLUSTER_NAME } from '../security/acl-types.ts'

const NO_OPS = -2147483648
// CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE (AclOperation codes)
const CLUSTER_OPS = [5, 7, 8, 9, 10, 11, 12]
export const ALL_CLUSTER_OPS = CLUSTER_OPS.reduce((m, op) => m | (1 << op), 0)

const BROKERS = 1
const CONTROLLERS = 2

function failed(errorCode: number, errorMessage: string | null): DescribeClusterResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, endpointType: BROKERS, clusterId: '', controllerId: -1, brokers: [], clusterAuthorizedOperations: NO_OPS }
}

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeDescribeClusterRequest,
  encode: encodeDescribeClusterResponse,
  handle(ctx, req) {
    const broker = ctx.broker
    const v0 = ctx.header.apiVersion === 0
    if (req.endpointType !== BROKERS && req.endpointType !== CONTROLLERS) {
      return failed(v0 ? ErrorCode.INVALID_REQUEST : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, `Unsupported endpoint type ${req.endpointType}`)
    }
    if (req.endpointType === CONTROLLERS) {
      return failed(v0 ? ErrorCode.INVALID_REQUEST : ErrorCode.MISMATCHED_ENDPOINT_TYPE, 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER')
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKERS,
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      brokers: [{ brokerId: broker.nodeId, host: ctx.listener.advertisedHost, port: ctx.listener.advertisedPort, rack: null }],
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_NAME, CLUSTER_OPS) : NO_OPS,
    }
  },
  errorResponse(_req, errorCode) {
    return failed(errorCode, null)
  },
})
