// TxnOffsetCommit (key 28), versions 0-4: offsets committed inside a transaction, kept
// pending until its COMMIT marker reaches `__consumer_offsets` (dropped on ABORT).
// - The producer must hold the transactional id (INVALID_PRODUCER_ID_MAPPING, else
//   PRODUCER_FENCED / INVALID_PRODUCER_EPOCH before v2) and the group's offsets partition
//   must be in its ongoing transaction (AddOffsetsToTxn first, else INVALID_TXN_STATE).
// - v3+ (KIP-447) carry the consumer's generation and member id, checked against the
//   group as for OffsetCommit: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION.
// - ACLs: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on
//   the group (GROUP_AUTHORIZATION_FAILED), READ on each topic (TOPIC_AUTHORIZATION_FAILED
//   for its partitions, the others committed).

import { decodeTxnOffsetCommitRequest, type TxnOffsetCommitRequest } from '../../protocol/messages/txn-offset-commit-request.ts'
import { encodeTxnOffsetCommitResponse, type TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler, type RequestContext } from './api-handler.ts'
import { authorizedGroup, authorizedTransactionalId, Op, topicChecker } from '../security/authorizer.ts'
import { fencedForVersion } from './txn-errors.ts'

function allWith(req: TxnOffsetCommitRequest, errorCode: number): TxnOffsetCommitResponse {
  return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) }
}

export default defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  apiKey: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeTxnOffsetCommitRequest,
  encode: encodeTxnOffsetCommitResponse,
  async handle(ctx, req) {
    if (!authorizedTransactionalId(ctx, Op.WRITE, req.transactionalId)) return allWith(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    if (!authorizedGroup(ctx, Op.READ, req.groupId)) return allWith(req, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    const mayRead = topicChecker(ctx, Op.READ)
    if (req.topics.every((t) => mayRead(t.name))) return commit(ctx, req)
    // KafkaApis answers the unauthorized topics and leaves them out of the commit.
    const allowed = { ...req, topics: req.topics.filter((t) => mayRead(t.name)) }
    const partial = allowed.topics.length === 0 ? allWith(allowed, ErrorCode.NONE) : await commit(ctx, allowed)
    const denied = allWith({ ...req, topics: req.topics.filter((t) => !mayRead(t.name)) }, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    return { throttleTimeMs: 0, topics: [...partial.topics, ...denied.topics] }
  },
  errorResponse: allWith,
})

async function commit(ctx: RequestContext, req: TxnOffsetCommitRequest): Promise<TxnOffsetCommitResponse> {
  const broker = ctx.broker
  const version = ctx.header.apiVersion
  if (req.groupId === '') return allWith(req, ErrorCode.INVALID_GROUP_ID)
  const checked = broker.txns.verifyTxnOffsetCommit(req.transactionalId, req.producerId, req.producerEpoch, broker.txns.offsetsPartitionOf(req.groupId, broker.groups.log))
  if (checked !== ErrorCode.NONE) return allWith(req, fencedForVersion(checked, version, 2))
  const offsets = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: version >= 2 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata })))
  const errors = await broker.groups.commitTxnOffsets({
    groupId: req.groupId,
    generationId: version >= 3 ? req.generationId : -1,
    memberId: version >= 3 ? req.memberId : '',
    groupInstanceId: version >= 3 ? req.groupInstanceId : null,
    offsets,
    producerId: req.producerId,
    producerEpoch: req.producerEpoch,
  })
  let i = 0
  return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors[i++]! })) })) }
}
