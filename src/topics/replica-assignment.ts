// Manual replica assignments on a one-broker cluster, checked as Kafka's controller does
// (ReplicationControlManager.validateManualPartitionAssignment, createTopic,
// createPartitions), with its error codes and messages. The only registered broker is
// this node, so the only valid replica list is [nodeId]; every partition has one replica.

import { ErrorCode } from '../../protocol/error-codes.ts'

export interface AssignmentError {
  error: number
  message: string
}

/**
 * One partition's replica list: not empty, only registered brokers (this node), none
 * twice, and as many replicas as the other partitions (`replicationFactor`, when known).
 * Kafka sorts the ids first, so the lowest offending id is the one named.
 */
export function checkReplicaList(brokerIds: readonly number[], nodeId: number, replicationFactor: number | null): AssignmentError | null {
  if (brokerIds.length === 0) return { error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes an empty replica list.' }
  const sorted = [...brokerIds].sort((a, b) => a - b)
  let prev: number | null = null
  for (const id of sorted) {
    if (id !== nodeId) return { error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The manual partition assignment includes broker ${id}, but no such broker is registered.` }
    if (id === prev) return { error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The manual partition assignment includes the broker ${prev} more than once.` }
    prev = id
  }
  if (replicationFactor !== null && sorted.length !== replicationFactor) {
    return {
      error: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      message: `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    }
  }
  return null
}

export interface TopicShapeRequest {
  numPartitions: number
  replicationFactor: number
  assignments: ReadonlyArray<{ partitionIndex: number; brokerIds: number[] }>
}

/**
 * CreateTopics: the partition count and replication factor a topic asks for, from either
 * a manual assignment (then both must be -1) or the two numbers (-1: the broker
 * defaults). The partition cap and replication factors above 1 are left to
 * BrokerContext.checkNewTopic.
 */
export function topicShape(t: TopicShapeRequest, nodeId: number, defaultPartitions: number, defaultReplicationFactor = 1): AssignmentError | { partitions: number; replicationFactor: number } {
  if (t.assignments.length > 0) {
    if (t.replicationFactor !== -1) return { error: ErrorCode.INVALID_REQUEST, message: 'A manual partition assignment was specified, but replication factor was not set to -1.' }
    if (t.numPartitions !== -1) return { error: ErrorCode.INVALID_REQUEST, message: 'A manual partition assignment was specified, but numPartitions was not set to -1.' }
    const seen = new Set<number>()
    let replicationFactor: number | null = null
    for (const a of t.assignments) {
      if (seen.has(a.partitionIndex)) return { error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `Found multiple manual partition assignments for partition ${a.partitionIndex}` }
      const problem = checkReplicaList(a.brokerIds, nodeId, replicationFactor)
      if (problem !== null) return problem
      replicationFactor = a.brokerIds.length
      seen.add(a.partitionIndex)
    }
    for (let i = 0; i < seen.size; i++) {
      if (!seen.has(i)) return { error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'partitions should be a consecutive 0-based integer sequence' }
    }
    return { partitions: seen.size, replicationFactor: replicationFactor! }
  }
  if (t.replicationFactor < -1 || t.replicationFactor === 0) return { error: ErrorCode.INVALID_REPLICATION_FACTOR, message: 'Replication factor must be larger than 0, or -1 to use the default value.' }
  if (t.numPartitions < -1 || t.numPartitions === 0) return { error: ErrorCode.INVALID_PARTITIONS, message: 'Number of partitions was set to an invalid non-positive value.' }
  return {
    partitions: t.numPartitions === -1 ? defaultPartitions : t.numPartitions,
    replicationFactor: t.replicationFactor === -1 ? defaultReplicationFactor : t.replicationFactor,
  }
}
