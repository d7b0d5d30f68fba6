// Every name a partition's files and directories get in a data dir, in one place (the
// role of Kafka's LogFileUtils): `<topic>-<partition>` directories, their segment files
// (log-segment.ts adds `.log`, `.index`, `.timeindex` to the 20-digit base offset),
// producer snapshots, and the `-delete` directories a topic deletion leaves behind until
// the topic catalogue no longer lists the topic.

import { join } from 'node:path'

export const SNAPSHOT_SUFFIX = '.snapshot'
export const DELETE_DIR_SUFFIX = '-delete'
const DELETED_DIR = /^(.+)-(\d+)\.([0-9a-f]{32})-delete$/

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

export function partitionDir(dataDir: string, topic: string, partition: number): string {
  return join(dataDir, partitionDirName(topic, partition))
}

/** A topic id (base64url of 16 bytes) as Kafka writes a UUID in a directory name: 32 hex digits. */
function idHex(topicId: string): string {
  return Buffer.from(topicId, 'base64url').toString('hex').padStart(32, '0').slice(-32)
}

/** Kafka's `<topic>-<partition>.<uuid>-delete`: where a deleted partition's files go first. */
export function deletedDirName(topic: string, partition: number, topicId: string): string {
  return `${partitionDirName(topic, partition)}.${idHex(topicId)}${DELETE_DIR_SUFFIX}`
}

/** The topic, partition and topic id (base64url) a `-delete` directory belongs to, or null. */
export function parseDeletedDirName(name: string): { topic: string; partition: number; topicId: string } | null {
  const m = DELETED_DIR.exec(name)
  if (m === null) return null
  return { topic: m[1]!, partition: Number(m[2]), topicId: Buffer.from(m[3]!, 'hex').toString('base64url') }
}
