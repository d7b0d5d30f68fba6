// CreatePartitions: growing a topic, checked as Kafka's controller does
// (ReplicationControlManager.createPartitions) and then done so that the new partitions
// are either fully there or not there at all:
// 1. the new partitions are opened on their shards (directories created, disk errors
//    surface now) while nothing outside can see them: every handler checks a partition
//    against the catalogue's count, which has not moved yet;
// 2. the count moves and the catalogue is rewritten (temp, fsync, rename); only then is
//    the growth acknowledged, and from then on Metadata, Produce and Fetch serve them.
// A crash between 1 and 2 leaves empty directories nobody uses; the next growth of the
// topic reopens them. Growths run one at a time per broker, so two requests racing on
// one topic are judged against each other's result, as Kafka's controller queue does.

import { ErrorCode } from '../../protocol/error-codes.ts'
import { MAX_PARTITIONS_PER_TOPIC, type BrokerContext, type TopicOutcome } from '../broker-context.ts'
import type { TopicInfo } from './topic-registry.ts'
import { checkReplicaList } from './replica-assignment.ts'

export interface GrowRequest {
  name: string
  count: number
  /** One replica list per new partition, or null for the broker to place them. */
  assignments: ReadonlyArray<{ brokerIds: number[] }> | null
}

/** Checks a growth without changing anything (CreatePartitions validate_only uses it alone). */
export function checkGrowth(broker: BrokerContext, req: GrowRequest): TopicOutcome {
  const topic = broker.topics.get(req.name)
  // Kafka's UnknownTopicOrPartitionException carries no message.
  if (topic === undefined) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: null }
  const current = topic.partitions
  if (req.count === current) return { error: ErrorCode.INVALID_PARTITIONS, message: `Topic already has ${current} partition(s).` }
  if (req.count < current) return { error: ErrorCode.INVALID_PARTITIONS, message: `The topic ${req.name} currently has ${current} partition(s); ${req.count} would not be an increase.` }
  if (req.count > MAX_PARTITIONS_PER_TOPIC) return { error: ErrorCode.INVALID_PARTITIONS, message: `Number of partitions must not exceed ${MAX_PARTITIONS_PER_TOPIC}.` }
  const additional = req.count - current
  if (req.assignments !== null) {
    if (req.assignments.length !== additional) {
      return { error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `Attempted to add ${additional} additional partition(s), but only ${req.assignments.length} assignment(s) were specified.` }
    }
    // Every existing partition has one replica, so every new one must too.
    for (const a of req.assignments) {
      const problem = checkReplicaList(a.brokerIds, broker.nodeId, 1)
      if (problem !== null) return problem
    }
  }
  return { error: ErrorCode.NONE, message: null, topic }
}

const queues = new WeakMap<BrokerContext, Promise<unknown>>()

/** Runs `fn` after every growth already queued on this broker. */
function serialized<T>(broker: BrokerContext, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(broker) ?? Promise.resolve()
  const next = previous.then(fn, fn)
  queues.set(broker, next.catch(() => {}))
  return next
}

/** Checks and, unless `validateOnly`, performs one topic's growth. */
export function growTopic(broker: BrokerContext, req: GrowRequest, validateOnly: boolean): Promise<TopicOutcome> {
  return serialized(broker, async () => {
    const check = checkGrowth(broker, req)
    if (check.error !== ErrorCode.NONE || validateOnly) return check
    return addPartitions(broker, check.topic!, req.count)
  })
}

async function addPartitions(broker: BrokerContext, topic: TopicInfo, count: number): Promise<TopicOutcome> {
  const from = topic.partitions
  try {
    const opens = []
    for (let p = from; p < count; p++) {
      opens.push(
        broker.replicas.open(topic, p, { clean: true, recoveryPoint: 0 }).then((result) => {
          if (!result.ok) throw new Error(`Cannot open partition ${topic.name}-${p}: ${result.message || result.error}`)
        }),
      )
    }
    await Promise.all(opens)
  } catch (err) {
    const why = (err as Error).message
    broker.logger.error({ topic: topic.name, from, to: count, err: why }, 'cannot open the new partitions of a topic: the topic keeps its partition count')
    return { error: ErrorCode.KAFKA_STORAGE_ERROR, message: `Cannot add partitions to topic '${topic.name}': ${why}` }
  }
  // Deleted (or deleted and recreated) while the partitions opened.
  if (broker.topics.get(topic.name) !== topic) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: null }
  topic.partitions = count
  try {
    broker.topics.persist()
  } catch (err) {
    topic.partitions = from
    const why = (err as Error).message
    broker.logger.error({ topic: topic.name, from, to: count, err: why }, 'cannot add partitions: the catalogue could not be written')
    return { error: ErrorCode.KAFKA_STORAGE_ERROR, message: `Cannot add partitions to topic '${topic.name}': ${why}` }
  }
  broker.logger.info({ topic: topic.name, from, to: count }, 'added partitions')
  return { error: ErrorCode.NONE, message: null, topic }
}
