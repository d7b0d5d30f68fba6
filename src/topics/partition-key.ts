// One string per topic-partition, for Map keys across the broker. NUL cannot occur in a
// topic name (Kafka's legal characters), so the split is unambiguous.

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const sep = key.lastIndexOf('\u0000')
  return { topic: key.slice(0, sep), partition: Number(key.slice(sep + 1)) }
}
