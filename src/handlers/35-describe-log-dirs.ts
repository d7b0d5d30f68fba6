// DescribeLogDirs (key 35), versions 0-4.
// - One log dir: the data dir's absolute path. Memory storage answers MEMORY_LOG_DIR
//   ("/memory", the root the shards give memory partitions) with total_bytes and
//   usable_bytes −1.
// - Per partition (as Kafka's ReplicaManager.describeLogDirs): partition_size = the bytes
//   of all its segments, offset_lag = max(high watermark − log end, 0) = 0 on a single
//   node, is_future_key false (no AlterReplicaLogDirs). Internal topics are listed too.
// - topics null = every partition; otherwise only the named partitions that exist
//   (unknown ones are left out, not errors); topics left with no partition are omitted.
// - v3+ top-level error_code 0 (no ACLs, so never CLUSTER_AUTHORIZATION_FAILED).
// - v4+ total_bytes / usable_bytes: statfs of the data dir (blocks × block size, and the
//   blocks available to an unprivileged user, like Java's getTotalSpace/getUsableSpace).
//   A data dir that cannot be stat'ed answers KAFKA_STORAGE_ERROR for the dir, as Kafka.
// Kafka 4.0 no longer accepts v0 (KIP-896); it is answered here because the schema
// defines it.
// - ACLs: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED (top level, v3+
//   field; older versions just get no log dirs).

import { statfs } from 'node:fs/promises'
import { decodeDescribeLogDirsRequest, type DescribeLogDirsRequest } from '../../protocol/messages/describe-log-dirs-request.ts'
import { encodeDescribeLogDirsResponse, type DescribeLogDirsResponse, type DescribeLogDirsResult, type DescribeLogDirsTopic } from '../../protocol/messages/describe-log-dirs-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'

/** The log dir reported under memory storage. */
export const MEMORY_LOG_DIR = '/memory'

function wantedSet(req: DescribeLogDirsRequest): Map<string, Set<number>> | null {
  if (req.topics === null) return null
  const wanted = new Map<string, Set<number>>()
  for (const t of req.topics) {
    let set = wanted.get(t.topic)
    if (set === undefined) wanted.set(t.topic, (set = new Set()))
    for (const p of t.partitions) set.add(p)
  }
  return wanted
}

export default defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  apiKey: 35,
  name: 'DescribeLogDirs',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeDescribeLogDirsRequest,
  encode: encodeDescribeLogDirsResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    if (!authorizedCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] }
    const dataDir = broker.logs.dataDir
    const logDir = dataDir ?? MEMORY_LOG_DIR
    const result: DescribeLogDirsResult = { errorCode: ErrorCode.NONE, logDir, topics: [], totalBytes: -1, usableBytes: -1 }
    if (dataDir !== null) {
      try {
        const s = await statfs(dataDir)
        result.totalBytes = s.blocks * s.bsize
        result.usableBytes = s.bavail * s.bsize
      } catch {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ ...result, errorCode: ErrorCode.KAFKA_STORAGE_ERROR }] }
      }
    }
    const wanted = wantedSet(req)
    const byTopic = new Map<string, DescribeLogDirsTopic>()
    for (const log of await broker.replicas.logSizes()) {
      if (broker.topics.get(log.topic) === undefined) continue
      if (wanted !== null && wanted.get(log.topic)?.has(log.partition) !== true) continue
      let topic = byTopic.get(log.topic)
      if (topic === undefined) byTopic.set(log.topic, (topic = { name: log.topic, partitions: [] }))
      topic.partitions.push({ partitionIndex: log.partition, partitionSize: log.size, offsetLag: Math.max(log.highWatermark - log.logEndOffset, 0), isFutureKey: false })
    }
    result.topics = [...byTopic.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const t of result.topics) t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex)
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [result] }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] }
  },
})
