// TxnOffsetCommit (key 28), versions 0-4: offsets committed inside a transaction, kept
// pending until its COMMIT marker reaches `__consumer_offsets` (dropped on ABORT).
// - The producer must hold the transactional id (INVALID_PRODUCER_ID_MAPPING, else
//   PRODUCER_FENCED / INVALID_PRODUCER_EPOCH before v2) and the group's offsets partition
//   must be in its ongoing transaction (AddOffsetsToTxn first, else INVALID_TXN_STATE).
// - v3+ (KIP-447) carry the consumer's generation and member id, checked against the
//   group as for OffsetCommit: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION.

import { decodeTxnOffsetCommitRequest, type TxnOffsetCommitRequest } from '../../protocol/messages/txn-offset-commit-request.ts'
import { encodeTxnOffsetCommitResponse, type TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
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
  },
  errorResponse: allWith,
})
