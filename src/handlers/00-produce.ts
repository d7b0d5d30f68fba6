// Produce (key 0). Advertised 0-11, implemented 3-11: versions 0-2 (magic 0/1 message
// sets) are listed only because librdkafka < 2.11.1 turns compression off unless the
// Produce range includes 0 (protocol-facts §8); they are answered UNSUPPORTED_VERSION.
// - Each partition's batch is validated on its shard (CRC-32C, one batch, magic 2,
//   offsets/count, no control batches, max.message.bytes, every record parsed, after
//   decompression when compressed, CreateTime timestamps within
//   message.timestamp.before/after.max.ms with per-record errors) and appended as sent:
//   compressed batches are stored compressed.
// - Every partition of one request that lives on the same shard travels in one task.
// - acks=0 gets no response, and a failure closes the connection (as in Kafka); acks
//   must be -1, 0 or 1 (else INVALID_REQUIRED_ACKS).
// - Topics are not auto-created by Produce (as in Kafka: Metadata does that).
// - Idempotent batches (producer id ≥ 0) are checked against the partition's producer
//   state on its shard: a retry already stored answers its first offsets, a sequence
//   gap OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch INVALID_PRODUCER_EPOCH.
// - Transactional batches without a transactional id fail the whole request with
//   TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka's authorisation check answers them.
// - Transactional batches are verified against the transaction coordinator (KIP-890 part
//   1): the partition must be in the producer's ongoing transaction, else
//   INVALID_TXN_STATE on v3-10 and TRANSACTION_ABORTABLE on v11, as Kafka answers; an
//   older epoch is INVALID_PRODUCER_EPOCH, an unknown producer id
//   INVALID_PRODUCER_ID_MAPPING.
// - ACLs: transactional batches need WRITE on the transactional id (else the whole
//   request TRANSACTIONAL_ID_AUTHORIZATION_FAILED), each topic WRITE (else
//   TOPIC_AUTHORIZATION_FAILED per partition, before the topic's existence is checked).
// - Quotas: once a producer_byte_rate quota exists, the request's size is recorded
//   against the client's quota (user and client id) after the append, as KafkaApis does;
//   over quota, throttle_time_ms says for how long and the connection is muted for that
//   time (acks=0 too, which gets no response to carry it).

import { decodeProduceRequest, type ProduceRequest } from '../../protocol/messages/produce-request.ts'
import { encodeProduceResponse, type ProduceResponse, type PartitionProduceResponse } from '../../protocol/messages/produce-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET, TRANSACTIONAL_FLAG_MASK, readInt64 } from '../../protocol/records/record-batch.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTransactionalId, Op, topicChecker } from '../security/authorizer.ts'
import { principalName } from '../quotas/client-quotas.ts'

function isTransactional(records: Buffer | null): boolean {
  return records !== null && records.length > ATTRIBUTES_OFFSET + 1 && (records.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG_MASK) !== 0
}

function partitionResult(index: number, errorCode: number, errorMessage: string | null = null): PartitionProduceResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage, currentLeader: { leaderId: -1, leaderEpoch: -1 } }
}

function allFailed(req: ProduceRequest, errorCode: number): ProduceResponse {
  return {
    responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionResult(p.index, errorCode)) })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  }
}

export default defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: 0,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 11,
  decode: decodeProduceRequest,
  encode: encodeProduceResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    // A request refused as a whole: acks=0 gets no answer, ever; as in Kafka (whose error
    // response is then null), the connection is closed instead.
    const refuse = (errorCode: number): ProduceResponse | null => {
      if (req.acks !== 0) return allFailed(req, errorCode)
      ctx.closeConnection(`acks=0 produce refused with error ${errorCode}`)
      return null
    }
    if (ctx.header.apiVersion < 3) return refuse(ErrorCode.UNSUPPORTED_VERSION)
    if (req.acks !== -1 && req.acks !== 0 && req.acks !== 1) return refuse(ErrorCode.INVALID_REQUIRED_ACKS)
    if (req.topicData.some((t) => t.partitionData.some((p) => isTransactional(p.records))) && (req.transactionalId === null || !authorizedTransactionalId(ctx, Op.WRITE, req.transactionalId))) {
      return refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    }
    const mayWrite = topicChecker(ctx, Op.WRITE)

    const pending: Promise<void>[] = []
    const responses = req.topicData.map((t) => {
      const topic = broker.topics.get(t.name)
      const partitionResponses = t.partitionData.map((p) => {
        const out = partitionResult(p.index, ErrorCode.NONE)
        if (!mayWrite(t.name)) {
          out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED
          return out
        }
        if (topic === undefined || p.index < 0 || p.index >= topic.partitions) {
          out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          return out
        }
        if (p.records === null || p.records.length === 0) {
          out.errorCode = ErrorCode.INVALID_RECORD
          out.errorMessage = 'Produce requests with version 3+ must have exactly one record batch per partition'
          return out
        }
        if (isTransactional(p.records)) {
          const records = p.records
          const verified = records.length < BATCH_HEADER_SIZE
            ? ErrorCode.CORRUPT_MESSAGE
            : broker.txns.verifyProduce(req.transactionalId!, readInt64(records, PRODUCER_ID_OFFSET), records.readInt16BE(PRODUCER_EPOCH_OFFSET), t.name, p.index)
          if (verified !== ErrorCode.NONE) {
            out.errorCode = verified === ErrorCode.INVALID_TXN_STATE && ctx.header.apiVersion >= 11 ? ErrorCode.TRANSACTION_ABORTABLE : verified
            if (verified === ErrorCode.INVALID_TXN_STATE) out.errorMessage = `Partition ${t.name}-${p.index} is not in an ongoing transaction of transactional id ${req.transactionalId}`
            return out
          }
        }
        const records = p.records
        // Read now: the request's buffer may be reused once this handler has returned.
        const bytes = records.length
        const count = bytes >= BATCH_HEADER_SIZE ? records.readInt32BE(RECORD_COUNT_OFFSET) : 0
        pending.push(
          broker.replicas.append(t.name, p.index, records).then((result) => {
            if (!result.ok) {
              out.errorCode = result.error
              out.errorMessage = result.message || null
              if (result.recordErrors !== undefined) out.recordErrors = result.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }))
              return
            }
            out.baseOffset = result.baseOffset
            out.logAppendTimeMs = result.logAppendTime
            out.logStartOffset = result.logStartOffset
            if (!result.duplicate) broker.metrics.produced(t.name, bytes, count)
          }),
        )
        return out
      })
      return { name: t.name, partitionResponses }
    })
    await Promise.all(pending)
    let throttleTimeMs = 0
    const quotas = broker.quotas
    if (quotas.produce.enabled) {
      throttleTimeMs = quotas.produce.recordAndGetThrottleTimeMs(principalName(ctx.security.principal), ctx.header.clientId ?? '', ctx.requestSize, quotas.clock.now())
      ctx.throttle(throttleTimeMs)
    }
    if (req.acks === 0) {
      // The client gets no response, so, as Kafka does, a failure closes the connection:
      // the client then refreshes its metadata and notices.
      for (const t of responses) {
        const failed = t.partitionResponses.find((p) => p.errorCode !== ErrorCode.NONE)
        if (failed !== undefined) {
          ctx.closeConnection(`acks=0 produce to ${t.name}-${failed.index} failed with error ${failed.errorCode}`)
          break
        }
      }
      return null
    }
    return { responses, throttleTimeMs, nodeEndpoints: [] }
  },
  errorResponse: allFailed,
  expectsNoResponse: (req) => req.acks === 0,
})
