// `__consumer_offsets` as a topic: its name, the configs Kafka gives it, and the
// coordinator log over it. The broker opens the log; the group coordinator writes and
// replays through it, and the transaction coordinator addresses its partitions.

import { CoordinatorLog, type CoordinatorLogHost } from '../coordinator/coordinator-log.ts'

export const OFFSETS_TOPIC = '__consumer_offsets'
// Kafka's offsets.topic.segment.bytes default.
const OFFSETS_TOPIC_SEGMENT_BYTES = '104857600'

/**
 * Created on first use with offsets.topic.num.partitions partitions and the overrides
 * Kafka's GroupCoordinatorService.groupMetadataTopicConfigs gives it: compacted, 100 MiB
 * segments, and compression.type=producer pinned so that a broker-wide compression.type
 * never recompresses the coordinator's batches.
 */
export function openOffsetsLog(host: CoordinatorLogHost, options: { offsetsTopicNumPartitions: number }): CoordinatorLog {
  return new CoordinatorLog(host, OFFSETS_TOPIC, options.offsetsTopicNumPartitions, { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': OFFSETS_TOPIC_SEGMENT_BYTES })
}
