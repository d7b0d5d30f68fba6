// Properties from Kafka's stock server.properties that have no meaning for a
// single-node broker. Accepting them (with a warning) lets people reuse an
// existing file instead of editing it line by line.
export const IGNORED_KAFKA_KEYS: Readonly<Record<string, string>> = {
  'process.roles': 'Samsa is a single combined node',
  'controller.quorum.voters': 'Samsa has no controller quorum',
  'controller.quorum.bootstrap.servers': 'Samsa has no controller quorum',
  'controller.listener.names': 'Samsa has no controller listener',
  'inter.broker.listener.name': 'Samsa has no other brokers to talk to',
  'zookeeper.connect': 'Samsa does not use ZooKeeper',
  'zookeeper.connection.timeout.ms': 'Samsa does not use ZooKeeper',
  'num.network.threads': 'Samsa sizes its own threads (see --shards)',
  'num.io.threads': 'Samsa sizes its own threads (see --shards)',
  'num.recovery.threads.per.data.dir': 'Samsa sizes its own threads (see --shards)',
  'socket.send.buffer.bytes': 'the OS default is used',
  'socket.receive.buffer.bytes': 'the OS default is used',
  'offsets.topic.replication.factor': 'there is one replica',
  'transaction.state.log.replication.factor': 'there is one replica',
  'transaction.state.log.min.isr': 'there is one replica',
  'share.coordinator.state.topic.replication.factor': 'there is one replica',
  'share.coordinator.state.topic.min.isr': 'there is one replica',
  'default.replication.factor': 'there is one replica',
  'min.insync.replicas': 'there is one replica',
  'log.flush.interval.messages': 'use --fsync / --fsync-interval-ms',
  'log.flush.interval.ms': 'use --fsync / --fsync-interval-ms',
}
