// AddPartitionsToTxn (key 24), versions 0-5.
// - v0-3 (clients): the partitions join the producer's transaction, which becomes
//   Ongoing. Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION and the rest
//   OPERATION_NOT_ATTEMPTED, nothing added; a wrong producer id INVALID_PRODUCER_ID_MAPPING,
//   a stale epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), a transaction being
//   completed CONCURRENT_TRANSACTIONS.
// - v4-5 (brokers, KIP-890): several transactions per request; with verify_only each
//   partition answers NONE when it is in the transaction, else INVALID_TXN_STATE.
// - ACLs: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every
//   partition) and on each topic (TOPIC_AUTHORIZATION_FAILED, the rest
//   OPERATION_NOT_ATTEMPTED) for v0-3; v4-5 come from brokers and need CLUSTER_ACTION on
//   the cluster instead (CLUSTER_AUTHORIZATION_FAILED at the top), as in KafkaApis.

import { decodeAddPartitionsToTxnRequest, type AddPartitionsToTxnRequest, type AddPartitionsToTxnTopic } from '../../protocol/messages/add-partitions-to-txn-request.ts'
import { encodeAddPartitionsToTxnResponse, type AddPartitionsToTxnResponse, type AddPartitionsToTxnTopicResult } from '../../protocol/messages/add-partitions-to-txn-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler, type RequestContext } from './api-handler.ts'
import { authorizedCluster, authorizedTransactionalId, Op, topicChecker } from '../security/authorizer.ts'
import { fencedForVersion } from './txn-errors.ts'
import type { TxnPartition } from '../transactions/transaction-coordinator.ts'

function results(topics: AddPartitionsToTxnTopic[], errorOf: (topic: string, partition: number) => number): AddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorOf(t.name, p) })) }))
}

async function addOne(ctx: RequestContext, transactionalId: string, producerId: number, epoch: number, topics: AddPartitionsToTxnTopic[], verifyOnly: boolean): Promise<AddPartitionsToTxnTopicResult[]> {
  const version = ctx.header.apiVersion
  const unknown = (topic: string, partition: number): boolean => {
    const info = ctx.broker.topics.get(topic)
    return info === undefined || partition < 0 || partition >= info.partitions
  }
  if (version <= 3) {
    if (!authorizedTransactionalId(ctx, Op.WRITE, transactionalId)) return results(topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    const mayWrite = topicChecker(ctx, Op.WRITE)
    if (topics.some((t) => !mayWrite(t.name))) {
      return results(topics, (topic) => (mayWrite(topic) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.TOPIC_AUTHORIZATION_FAILED))
    }
  }
  const wanted: TxnPartition[] = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })))
  if (verifyOnly) {
    const errors = ctx.broker.txns.verifyPartitions(transactionalId, producerId, epoch, wanted)
    let i = 0
    return results(topics, () => errors[i++]!)
  }
  if (wanted.some((p) => unknown(p.topic, p.partition))) {
    return results(topics, (topic, partition) => (unknown(topic, partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED))
  }
  const error = fencedForVersion(await ctx.broker.txns.addPartitions(transactionalId, producerId, epoch, wanted), version, 2)
  return results(topics, () => error)
}

export default defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 5,
  decode: decodeAddPartitionsToTxnRequest,
  encode: encodeAddPartitionsToTxnResponse,
  async handle(ctx, req) {
    if (ctx.header.apiVersion <= 3) {
      const byTopic = await addOne(ctx, req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, req.v3AndBelowTopics, false)
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: byTopic }
    }
    if (!authorizedCluster(ctx, Op.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [], resultsByTopicV3AndBelow: [] }
    const resultsByTransaction = []
    for (const txn of req.transactions) {
      resultsByTransaction.push({ transactionalId: txn.transactionalId, topicResults: await addOne(ctx, txn.transactionalId, txn.producerId, txn.producerEpoch, txn.topics, txn.verifyOnly) })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] }
  },
  errorResponse(req, errorCode) {
    const all = (topics: AddPartitionsToTxnTopic[]) => results(topics, () => errorCode)
    return {
      throttleTimeMs: 0,
      errorCode,
      resultsByTransaction: req.transactions.map((t) => ({ transactionalId: t.transactionalId, topicResults: all(t.topics) })),
      resultsByTopicV3AndBelow: all(req.v3AndBelowTopics),
    }
  },
})
