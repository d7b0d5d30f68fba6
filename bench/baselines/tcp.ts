// Raw TCP baselines on loopback, fed with the same bytes the broker gets or sends:
// - sink: the produce load generator in acks=0 mode (the very same Produce frames,
//   written as fast as the socket drains) against a process that discards them;
// - source: a process that writes one Fetch response frame, built from the same batches
//   the broker would return, back to back; the client splits and decodes every frame
//   exactly as the fetch load generator does.

import { spawn } from 'node:child_process'
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:net'
import { Writer } from '../../protocol/wire/writer.ts'
import { writeResponseHeader } from '../../protocol/wire/headers.ts'
import { encodeFetchResponse, type FetchResponse } from '../../protocol/messages/fetch-response.ts'
import { FrameDecoder } from '../../src/server/frame-decoder.ts'
import { setBaseOffset } from '../../protocol/records/record-batch.ts'
import { runProduce, type ProduceLoad, type ProduceResult } from '../load/produce.ts'
import { consumeFetchResponse } from '../load/fetch.ts'
import { readFetchResponse, FETCH_VERSION } from '../lib/wire.ts'
import { cpuMeter, repoRoot } from '../lib/proc.ts'

interface Peer {
  port: number
  pid: number
  stop(): Promise<void>
}

async function startPeer(args: string[]): Promise<Peer> {
  const child = spawn(process.execPath, [join(repoRoot, 'bench/baselines/tcp-peer.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /port (\d+)/.exec(out)
      if (m !== null) resolve(Number(m[1]))
    })
    void exited.then(() => reject(new Error('tcp peer exited early')))
  })
  return {
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

export interface SinkResult extends ProduceResult {
  peerCores: number
}

/** The Produce frames of `load`, written to a discarding peer as fast as loopback takes them. */
export async function tcpSink(load: Omit<ProduceLoad, 'port' | 'acks'>): Promise<SinkResult> {
  const peer = await startPeer(['sink'])
  try {
    const cpu = cpuMeter(peer.pid)
    const r = await runProduce({ ...load, port: peer.port, acks: 0 })
    return { ...r, peerCores: cpu.stop().cores }
  } finally {
    await peer.stop()
  }
}

/** A Fetch response frame carrying `bytesPerPartition` of copies of `batch` for each partition, offsets consecutive. */
export function fetchResponseFrame(topic: string, partitions: number, batch: Buffer, bytesPerPartition: number, recordsPerBatch: number): Buffer {
  const perPartition = Math.max(1, Math.floor(bytesPerPartition / batch.length))
  const records = Buffer.allocUnsafe(perPartition * batch.length)
  for (let i = 0; i < perPartition; i++) {
    batch.copy(records, i * batch.length)
    setBaseOffset(records, i * batch.length, i * recordsPerBatch)
  }
  const res: FetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [{
      topic,
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      partitions: Array.from({ length: partitions }, (_, p) => ({
        partitionIndex: p,
        errorCode: 0,
        highWatermark: perPartition * recordsPerBatch,
        lastStableOffset: perPartition * recordsPerBatch,
        logStartOffset: 0,
        divergingEpoch: { epoch: -1, endOffset: -1 },
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
        snapshotId: { endOffset: -1, epoch: -1 },
        abortedTransactions: [],
        preferredReadReplica: -1,
        records,
      })),
    }],
    nodeEndpoints: [],
  }
  const w = Writer.frame()
  writeResponseHeader(w, 1, FETCH_VERSION, 1)
  encodeFetchResponse(w, FETCH_VERSION, res)
  return Buffer.concat(w.finish())
}

export interface SourceResult {
  durationMs: number
  wireBytes: number
  batchBytes: number
  records: number
  mbPerSec: number
  wireMbPerSec: number
  frameBytes: number
  peerCores: number
}

/** Reads `frame` streamed back to back for `durationMs`, decoding each like the fetch load generator. */
export async function tcpSource(frame: Buffer, durationMs: number): Promise<SourceResult> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-src-'))
  const file = join(dir, 'frame')
  writeFileSync(file, frame)
  const peer = await startPeer(['source', file])
  try {
    const cpu = cpuMeter(peer.pid)
    const decoder = new FrameDecoder(0x7fffffff)
    let wireBytes = 0
    let batchBytes = 0
    let records = 0
    const start = performance.now()
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: peer.port })
      s.on('error', reject)
      s.on('data', (chunk: Buffer) => {
        decoder.push(chunk, (f) => {
          wireBytes += f.length + 4
          const got = consumeFetchResponse(readFetchResponse(f), new Map(), null)
          batchBytes += got.bytes
          records += got.records
        })
        if (performance.now() - start >= durationMs) {
          s.destroy()
          resolve()
        }
      })
    })
    const ms = performance.now() - start
    return { durationMs: ms, wireBytes, batchBytes, records, mbPerSec: batchBytes / 1e6 / (ms / 1000), wireMbPerSec: wireBytes / 1e6 / (ms / 1000), frameBytes: frame.length, peerCores: cpu.stop().cores }
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
