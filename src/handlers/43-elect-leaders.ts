// ElectLeaders (key 43), versions 0-2, answered as Kafka 4's controller does
// (ReplicationControlManager.electLeaders) on a cluster of one broker: this node is
// every partition's only replica, its preferred replica and its leader, so no election
// is ever needed.
// - Each named partition that exists: ELECTION_NOT_NEEDED ("Leader election not needed
//   for topic partition."), for preferred (0) and unclean (1) elections alike.
// - Unknown topic: UNKNOWN_TOPIC_OR_PARTITION "No such topic as T"; unknown partition:
//   "No such partition as T-N".
// - topic_partitions null means every partition of every topic: each topic is listed with
//   no partition results, since partitions that need no election are left out.
// - An empty list is answered empty at once. An election type other than 0 or 1 fails the
//   whole request: INVALID_REQUEST "Unknown election type N" at the top (v1+) and for every
//   named partition (ElectLeadersRequest.getErrorResponse).
// - v0 has no election type (preferred) and no top-level error code.
// - ACLs: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED.

import { decodeElectLeadersRequest, type ElectLeadersRequest } from '../../protocol/messages/elect-leaders-request.ts'
import { encodeElectLeadersResponse, type ElectLeadersResponse, type ReplicaElectionResult } from '../../protocol/messages/elect-leaders-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'

const PREFERRED = 0
const UNCLEAN = 1
const NOT_NEEDED = 'Leader election not needed for topic partition.'

function failed(req: ElectLeadersRequest, errorCode: number, errorMessage: string | null): ElectLeadersResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage })),
    })),
  }
}

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  apiKey: 43,
  name: 'ElectLeaders',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeElectLeadersRequest,
  encode: encodeElectLeadersResponse,
  handle(ctx, req) {
    const topics = ctx.broker.topics
    if (!authorizedCluster(ctx, Op.ALTER)) return failed(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
    if (req.topicPartitions !== null && req.topicPartitions.length === 0) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [] }
    if (req.electionType !== PREFERRED && req.electionType !== UNCLEAN) return failed(req, ErrorCode.INVALID_REQUEST, `Unknown election type ${req.electionType}`)
    let results: ReplicaElectionResult[]
    if (req.topicPartitions === null) {
      results = [...topics.all()].map((t) => ({ topic: t.name, partitionResult: [] }))
    } else {
      results = req.topicPartitions.map((t) => {
        const info = topics.get(t.topic)
        return {
          topic: t.topic,
          partitionResult: t.partitions.map((partitionId) => {
            if (info === undefined) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${t.topic}` }
            if (partitionId < 0 || partitionId >= info.partitions) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${t.topic}-${partitionId}` }
            return { partitionId, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: NOT_NEEDED }
          }),
        }
      })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results }
  },
  errorResponse(req, errorCode) {
    return failed(req, errorCode, null)
  },
})
