// AlterPartitionReassignments (key 45), version 0, answered as Kafka 4's controller does
// (ReplicationControlManager.alterPartitionReassignment) on a cluster of one broker,
// where no reassignment can ever be in progress.
// - Per partition, in request order: unknown topic UNKNOWN_TOPIC_OR_PARTITION "Unable to
//   find a topic named T."; unknown partition "Unable to find partition T:N.".
// - replicas null (cancel): NO_REASSIGNMENT_IN_PROGRESS (no message: Kafka's is the
//   error's default).
// - A target replica set is checked as a manual assignment: empty, a broker other than
//   this node ("... includes broker B, but no such broker is registered."), or this node
//   twice is INVALID_REPLICA_ASSIGNMENT. [this node] is NONE: the partition is already
//   there, nothing moves.
// - The top-level error is NONE with a null message.
// - ACLs: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED.

import { decodeAlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsRequest } from '../../protocol/messages/alter-partition-reassignments-request.ts'
import { encodeAlterPartitionReassignmentsResponse, type AlterPartitionReassignmentsResponse, type ReassignablePartitionResponse } from '../../protocol/messages/alter-partition-reassignments-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'
import { checkReplicaList } from '../topics/replica-assignment.ts'

export default defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeAlterPartitionReassignmentsRequest,
  encode: encodeAlterPartitionReassignmentsResponse,
  handle(ctx, req) {
    const broker = ctx.broker
    if (!authorizedCluster(ctx, Op.ALTER)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, responses: [] }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: req.topics.map((t) => {
        const info = broker.topics.get(t.name)
        return {
          name: t.name,
          partitions: t.partitions.map((p): ReassignablePartitionResponse => {
            const answer = (errorCode: number, errorMessage: string | null): ReassignablePartitionResponse => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage })
            if (info === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${t.name}.`)
            if (p.partitionIndex < 0 || p.partitionIndex >= info.partitions) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${t.name}:${p.partitionIndex}.`)
            if (p.replicas === null) return answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null)
            const problem = checkReplicaList(p.replicas, broker.nodeId, null)
            if (problem !== null) return answer(problem.error, problem.message)
            return answer(ErrorCode.NONE, null)
          }),
        }
      }),
    }
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })) })),
    }
  },
})
