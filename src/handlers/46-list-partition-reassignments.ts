// ListPartitionReassignments (key 46), version 0, answered as Kafka 4's controller does
// (ReplicationControlManager.listPartitionReassignments) on a cluster of one broker: no
// reassignment is ever in progress, and Kafka lists only partitions with one, so the
// answer is NONE with an empty topic list whether every topic (null) or some partitions
// were asked for; unknown topics and partitions are left out, as in Kafka.
// - ACLs: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED.

import { decodeListPartitionReassignmentsRequest, type ListPartitionReassignmentsRequest } from '../../protocol/messages/list-partition-reassignments-request.ts'
import { encodeListPartitionReassignmentsResponse, type ListPartitionReassignmentsResponse } from '../../protocol/messages/list-partition-reassignments-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: 46,
  name: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeListPartitionReassignmentsRequest,
  encode: encodeListPartitionReassignmentsResponse,
  handle(ctx) {
    if (!authorizedCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, topics: [] }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] }
  },
})
