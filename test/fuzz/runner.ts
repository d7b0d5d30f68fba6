// The protocol fuzzer: runFuzz() sends N mutated seed frames to a broker over many
// connections (bounded concurrency, a new connection whenever the broker closes one),
// while a well-behaved client produces and fetches on its own connection, then checks
// that nothing went wrong:
//   - every response the broker owed (see expectations.ts) arrived in order, decodes as
//     a client would decode it, and carries no UNKNOWN_SERVER_ERROR (-1) anywhere;
//     a frame the broker cannot parse closes its connection, and only its connection;
//   - the broker logged no 'request handler failed', no 'cannot encode response' and no
//     line at level error (50) or above; nothing threw out of the broker;
//   - the well-behaved client saw no error, and its data reads back intact;
//   - the broker still answers, and every partition of every topic reads back to its
//     end with batches a client can decode (readback.ts);
//   - the process RSS (in-process broker) stayed under a bound.
// Regression frames (test/fuzz/regressions/*.frame) are replayed first. The first
// failure stops the run (unless keepGoing) and its frame is written to
// test/fuzz/failures/<seed>-<n>.frame.

import { connect, type Socket } from 'node:net'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { WireClient } from './wire-client.ts'
import { defaultCreateTopicsRequest, defaultCreatableTopic } from '../../protocol/messages/create-topics-request.ts'
import type { CreateTopicsResponse } from '../../protocol/messages/create-topics-response.ts'
import type { ProduceResponse } from '../../protocol/messages/produce-response.ts'
import type { ProduceRequest } from '../../protocol/messages/produce-request.ts'
import { isIntactBomb } from './batch-mutator.ts'
import { defaultMetadataRequest } from '../../protocol/messages/metadata-request.ts'
import { loadRawFrames, loadSeeds } from './frame-file.ts'
import { Mutator, type FuzzFrame, type MutatorOptions } from './mutator.ts'
import { Rng, seedNumber } from './prng.ts'
import { ShadowFramer, checkResponse, expectFor, type Expectation } from './expectations.ts'
import { GoodClient, type GoodClientStats } from './good-client.ts'
import { readEverything } from './readback.ts'

const here = new URL('.', import.meta.url).pathname

export interface FuzzOptions {
  /** Fuzzed frames to send (regression frames come on top). */
  frames: number
  /** Number of the first fuzzed frame (default 0): `firstFrame: n, frames: 1` re-sends frame n of a seed. */
  firstFrame?: number
  seed: number | string
  /** Fuzz a broker already running on 127.0.0.1:port instead of starting one in-process. */
  port?: number
  /** Connections sending fuzzed frames at once. */
  concurrency?: number
  /** A response not here by then: the connection is given up (a long poll, a join that waits). */
  responseTimeoutMs?: number
  /** How long a connection may stay open after a frame the broker must refuse. */
  closeTimeoutMs?: number
  /** Bound on process RSS (in-process broker only). */
  rssLimitMb?: number
  /** Collect every distinct failure instead of stopping at the first. */
  keepGoing?: boolean
  /** Failure kinds counted but not failed on (see FailureKind). */
  tolerate?: FailureKind[]
  seedsDir?: string
  regressionsDir?: string
  /** Where failing frames are written; null: nowhere. */
  failuresDir?: string | null
  /** Progress lines (at most one per progressIntervalMs); default console.log. */
  progress?: (line: string) => void
  progressIntervalMs?: number
  /** Called with each failure as it is found. */
  onFailure?: (f: FuzzFailure) => void
  mutator?: MutatorOptions
  /** socket.request.max.bytes of the broker (passed to the in-process one). */
  maxRequestBytes?: number
  /** Shards of the in-process broker. */
  shards?: number
}

export type FailureKind =
  | 'unknown-server-error' | 'bad-response' | 'unexpected-response' | 'response-to-acks-0' | 'not-closed'
  | 'bomb-decompressed' | 'log-error' | 'uncaught' | 'fuzzer-error' | 'close-hang' | 'good-client' | 'broker-down' | 'unreadable-partition' | 'rss'

export interface FuzzFailure {
  kind: FailureKind
  message: string
  /** The fuzzed frame (its number), or null when none can be named. */
  frame: number | null
  /** Mutations of that frame. */
  what?: string[]
  /** The client whose seed it came from. */
  client?: string
  /** Frames sent before it on the same connection. */
  connectionFrames?: number[]
  /** Where its bytes were written. */
  file?: string
}

export interface FuzzSummary {
  ok: boolean
  seed: number
  framesSent: number
  regressionFrames: number
  durationMs: number
  framesPerSecond: number
  connections: number
  /** Connections the broker closed where it had to (unparsable frame, bad size). */
  closedAsExpected: number
  /** Connections the broker closed while a response was owed (e.g. a failed acks=0 produce). */
  closedOtherwise: number
  /** Why, from the broker's 'closing connection' lines. */
  closedOtherwiseReasons: Record<string, number>
  /** Connections given up on because a response took longer than responseTimeoutMs (long polls, joins that wait), by API. */
  timedOut: Record<string, number>
  /** Connections left with an unfinished frame (a size prefix larger than the bytes sent), then closed by the fuzzer. */
  unfinished: number
  responsesChecked: number
  responsesByApi: Record<string, number>
  errorCodes: Record<string, number>
  producedBatches: number
  good: GoodClientStats | null
  readback: { topics: number; partitions: number; batches: number; records: number; bytes: number } | null
  logLines: number
  closeReasons: Record<string, number>
  /** Broker log lines and RSS are only checked with an in-process broker (no --port). */
  checked: { logs: boolean; rss: boolean }
  maxRssMb: number | null
  rssLimitMb: number
  tolerated: Record<string, number>
  failures: FuzzFailure[]
  dataDir: string | null
}

interface ConnInfo {
  frames: number[]
  current: FuzzFrame | null
}

/** A fuzzing connection: response frames in, in order. */
class FuzzConnection {
  readonly socket: Socket
  readonly localPort: number
  readonly framer: ShadowFramer
  readonly info: ConnInfo = { frames: [], current: null }
  closed = false
  /** A response framing the broker must never produce (a bad size prefix). */
  framingError: string | null = null
  /** The last acks=0 produce sent here: a response to it is a protocol error. */
  lastUnanswered: { n: number; correlationId: number; requestVersion: number } | null = null
  private buf: Buffer = Buffer.alloc(0)
  private readonly responses: Buffer[] = []
  private wake: (() => void) | null = null

  private constructor(socket: Socket, maxFrameBytes: number) {
    this.socket = socket
    this.localPort = socket.localPort!
    this.framer = new ShadowFramer(maxFrameBytes)
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0)
        if (size < 4) {
          this.framingError ??= `response frame size ${size}`
          this.buf = Buffer.alloc(0)
          break
        }
        if (this.buf.length < 4 + size) break
        this.responses.push(this.buf.subarray(4, 4 + size))
        this.buf = this.buf.subarray(4 + size)
      }
      this.poke()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      this.poke()
    })
  }

  static open(port: number, maxFrameBytes: number): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.removeListener('error', reject)
        resolve(new FuzzConnection(s, maxFrameBytes))
      })
      s.once('error', reject)
      s.setNoDelay(true)
    })
  }

  private poke(): void {
    const w = this.wake
    this.wake = null
    w?.()
  }

  private waitForChange(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null
        resolve()
      }, Math.max(0, deadline - Date.now()))
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  /** The next response frame, or 'closed' / 'timeout'. */
  async next(timeoutMs: number): Promise<Buffer | 'closed' | 'timeout'> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.responses.length > 0) return this.responses.shift()!
      if (this.closed) return 'closed'
      if (Date.now() >= deadline) return 'timeout'
      await this.waitForChange(deadline)
    }
  }

  /** Responses already here that nothing asked for. */
  takeExtra(): Buffer[] {
    return this.responses.splice(0)
  }

  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!this.closed && Date.now() < deadline) await this.waitForChange(deadline)
    return this.closed
  }

  async write(bytes: Buffer, pieces: number[]): Promise<void> {
    if (this.closed) return
    let from = 0
    for (const cut of pieces) {
      this.socket.write(bytes.subarray(from, cut))
      from = cut
      await new Promise((resolve) => setImmediate(resolve))
      if (this.closed) return
    }
    this.socket.write(bytes.subarray(from))
  }

  /** Closes from this side; nothing more is read from it. */
  destroy(): void {
    this.closed = true
    this.responses.length = 0
    this.socket.destroy()
  }
}

function normalizeReason(reason: string): string {
  return reason.replace(/-?\d+/g, 'N').replace(/\s+/g, ' ').slice(0, 90)
}

/** A `remote` of "127.0.0.1:54321" in a log line: the port, the fuzzer's local port. */
function remotePort(line: Record<string, unknown>): number | null {
  const m = typeof line.remote === 'string' ? /:(\d+)$/.exec(line.remote) : null
  return m ? Number(m[1]) : null
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const seed = seedNumber(options.seed)
  const concurrency = options.concurrency ?? 16
  const responseTimeoutMs = options.responseTimeoutMs ?? 2000
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000
  const rssLimitMb = options.rssLimitMb ?? 600
  const maxRequestBytes = options.maxRequestBytes ?? 104857600
  const progress = options.progress ?? ((line: string) => console.log(line))
  const progressIntervalMs = Math.max(1000, options.progressIntervalMs ?? 1000)
  const failuresDir = options.failuresDir === undefined ? join(here, 'failures') : options.failuresDir
  const tolerate = new Set(options.tolerate ?? [])
  const started = Date.now()

  const seeds = loadSeeds(options.seedsDir ?? join(here, 'seeds'))
  const mutator = new Mutator(seeds, seed, { maxRequestBytes, ...options.mutator })
  const regressions = loadRawFrames(options.regressionsDir ?? join(here, 'regressions'))

  const summary: FuzzSummary = {
    ok: false, seed, framesSent: 0, regressionFrames: 0, durationMs: 0, framesPerSecond: 0, connections: 0,
    closedAsExpected: 0, closedOtherwise: 0, closedOtherwiseReasons: {}, timedOut: {}, unfinished: 0, responsesChecked: 0, responsesByApi: {}, errorCodes: {},
    producedBatches: 0, good: null, readback: null, logLines: 0, closeReasons: {}, checked: { logs: options.port === undefined, rss: options.port === undefined }, maxRssMb: null, rssLimitMb,
    tolerated: {}, failures: [], dataDir: null,
  }
  let stop = false
  const seenFailures = new Set<string>()
  // Frames are not kept: frame n is a pure function of (seed, n), so it is rebuilt when a
  // failure needs it. Regression frames (negative numbers) are kept here.
  const regressionFrames = new Map<number, FuzzFrame>()
  const frameOf = (n: number): FuzzFrame | undefined => (n < 0 ? regressionFrames.get(n) : mutator.frame(n))

  const writeFrame = (name: string, bytes: Buffer): string | undefined => {
    if (failuresDir === null) return undefined
    mkdirSync(failuresDir, { recursive: true })
    const file = join(failuresDir, name)
    writeFileSync(file, bytes)
    return file
  }

  const fail = (f: FuzzFailure, frame?: FuzzFrame, info?: ConnInfo): void => {
    if (tolerate.has(f.kind)) {
      summary.tolerated[f.kind] = (summary.tolerated[f.kind] ?? 0) + 1
      return
    }
    const key = `${f.kind}:${normalizeReason(f.message)}`
    if (seenFailures.has(key) || summary.failures.length >= 50) return
    seenFailures.add(key)
    if (frame !== undefined) {
      f.frame = frame.n
      f.what = frame.what
      f.client = frame.client
      if (frame.n >= 0) f.file = writeFrame(`${seed}-${frame.n}.frame`, frame.bytes)
    }
    if (info !== undefined) f.connectionFrames = info.frames.filter((n) => n !== f.frame).slice(-20)
    summary.failures.push(f)
    options.onFailure?.(f)
    if (options.keepGoing !== true) stop = true
  }

  // Log lines, read as they are written; fuzzing connections are found by their port.
  const conns = new Map<number, ConnInfo>()
  const closeReasonByPort = new Map<number, string>()
  const rememberConn = (port: number, info: ConnInfo): void => {
    conns.delete(port)
    conns.set(port, info)
    if (conns.size > 4096) conns.delete(conns.keys().next().value!)
  }
  const onLogLine = (s: string): void => {
    summary.logLines++
    let line: Record<string, unknown>
    try {
      line = JSON.parse(s) as Record<string, unknown>
    } catch {
      return fail({ kind: 'log-error', message: `unparsable log line: ${s.slice(0, 300)}`, frame: null })
    }
    const msg = String(line.msg ?? '')
    if (msg === 'closing connection' && typeof line.reason === 'string') {
      const r = normalizeReason(line.reason)
      summary.closeReasons[r] = (summary.closeReasons[r] ?? 0) + 1
      const port = remotePort(line)
      if (port !== null) closeReasonByPort.set(port, r)
      if (closeReasonByPort.size > 4096) closeReasonByPort.delete(closeReasonByPort.keys().next().value!)
    }
    const bad = msg === 'request handler failed' || msg === 'cannot encode response' || (typeof line.level === 'number' && line.level >= 50)
    if (!bad) return
    const port = remotePort(line)
    const info = port === null ? undefined : conns.get(port)
    const frame = info?.current ?? (info !== undefined && info.frames.length > 0 ? frameOf(info.frames[info.frames.length - 1]!) : undefined)
    fail({ kind: 'log-error', message: `broker logged at level ${line.level}: ${s.trim().slice(0, 1500)}`, frame: null }, frame ?? undefined, info)
  }

  const onUncaught = (err: unknown): void => {
    fail({ kind: 'uncaught', message: `uncaught in the broker process: ${(err as Error)?.stack ?? String(err)}`, frame: null })
  }
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)

  let broker: RunningBroker | null = null
  let dataDir: string | null = null
  let port = options.port ?? 0
  let rssTimer: NodeJS.Timeout | null = null
  let progressTimer: NodeJS.Timeout | null = null
  let good: GoodClient | null = null
  const inFlight = new Set<FuzzFrame>()

  try {
    if (options.port === undefined) {
      dataDir = mkdtempSync(join(tmpdir(), 'samsa-fuzz-'))
      summary.dataDir = dataDir
      const logger = pino({ level: 'info' }, { write: onLogLine })
      broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: options.shards ?? 2, maxRequestBytes }, { logger })
      port = broker.port
      summary.maxRssMb = 0
      let rssFailed = false
      const sampleRss = (): void => {
        let mb: number
        try {
          mb = Math.round(process.memoryUsage.rss() / (1 << 20))
        } catch {
          return // EMFILE and the like: reading /proc needs a file descriptor
        }
        if (mb > summary.maxRssMb!) summary.maxRssMb = mb
        if (mb > rssLimitMb && !rssFailed) {
          rssFailed = true
          // The largest frame in flight is the likeliest culprit: that one is written.
          const frames = [...inFlight].sort((a, b) => b.bytes.length - a.bytes.length)
          fail({ kind: 'rss', message: `process RSS ${mb} MB above the ${rssLimitMb} MB bound; frames in flight, largest first: ${frames.map((f) => `${f.n} (${f.bytes.length} bytes: ${f.what.join('; ')})`).join(', ')}`, frame: null }, frames[0])
        }
      }
      rssTimer = setInterval(sampleRss, 50)
      rssTimer.unref()
    }

    // The topics the Produce seeds write to, so mutated produces reach real partitions.
    const admin = await WireClient.connect(port)
    try {
      const req = defaultCreateTopicsRequest()
      req.topics = [...mutator.seedTopics()].map(([name, partitions]) => ({ ...defaultCreatableTopic(), name, numPartitions: partitions, replicationFactor: 1 }))
      req.timeoutMs = 30_000
      const res = await admin.request<CreateTopicsResponse>(19, 7, req)
      for (const t of res.topics) if (t.errorCode !== 0 && t.errorCode !== 36) throw new Error(`cannot create seed topic ${t.name}: error ${t.errorCode}`)
    } finally {
      admin.close()
    }

    good = new GoodClient(port, `fuzz-good-${seed}-${Date.now().toString(36)}`)
    await good.start()

    let lastProgress = 0
    const report = (final = false): void => {
      const now = Date.now()
      if (!final && now - lastProgress < progressIntervalMs) return
      lastProgress = now
      const secs = Math.max(0.001, (now - started) / 1000)
      const g = good?.stats
      progress(
        `fuzz seed ${seed}: ${summary.framesSent}/${options.frames} frames (${Math.round(summary.framesSent / secs)}/s), ` +
          `closed by broker ${summary.closedAsExpected} expected + ${summary.closedOtherwise} other, ` +
          `timed out ${Object.values(summary.timedOut).reduce((a, b) => a + b, 0)}, unfinished ${summary.unfinished}, ` +
          `responses ${summary.responsesChecked}, stored ${summary.producedBatches}, ` +
          `good client ${g?.batches ?? 0} batches ${g?.errors ?? 0} errors, ` +
          `rss ${summary.maxRssMb ?? '-'}/${rssLimitMb} MB, failures ${summary.failures.length}`,
      )
    }
    progressTimer = setInterval(() => report(), progressIntervalMs)
    progressTimer.unref()

    const producedAt = new Map<string, number>()

    /** A response to the last acks=0 produce on `conn`: reported (true), else false. */
    const answeredAcks0 = (conn: FuzzConnection, response: Buffer): boolean => {
      const u = conn.lastUnanswered
      if (u === null || response.length < 4 || response.readInt32BE(0) !== u.correlationId) return false
      fail({ kind: 'response-to-acks-0', message: `a Produce v${u.requestVersion} request with acks=0 (correlation id ${u.correlationId}) was answered; Kafka sends no response to acks=0, so the client pairs that answer with its next request`, frame: null }, frameOf(u.n), conn.info)
      return true
    }

    /** Sends one fuzzed frame's bytes on `conn` and checks what comes back. */
    const exchange = async (conn: FuzzConnection, frame: FuzzFrame, pieces: number[]): Promise<void> => {
      conn.info.current = frame
      conn.info.frames.push(frame.n)
      inFlight.add(frame)
      try {
        const frames = conn.framer.push(frame.bytes)
        const expectations: Expectation[] = []
        for (const f of frames) {
          const e = expectFor(f)
          expectations.push(e)
          if (e.kind === 'close') break
        }
        const mustClose = expectations.some((e) => e.kind === 'close') || conn.framer.dead !== null
        await conn.write(frame.bytes, pieces)
        for (const e of expectations) {
          if (e.kind === 'none') {
            conn.lastUnanswered = { n: frame.n, correlationId: e.correlationId, requestVersion: e.requestVersion }
            continue
          }
          if (e.kind === 'close') break
          const got = await conn.next(responseTimeoutMs)
          if (got === 'closed') {
            summary.closedOtherwise++
            // The log line may trail the close by a turn or two.
            await new Promise((resolve) => setTimeout(resolve, 5))
            const why = closeReasonByPort.get(conn.localPort) ?? '(no log line)'
            summary.closedOtherwiseReasons[why] = (summary.closedOtherwiseReasons[why] ?? 0) + 1
            return
          }
          if (got === 'timeout') {
            summary.timedOut[e.apiName] = (summary.timedOut[e.apiName] ?? 0) + 1
            conn.destroy()
            return
          }
          if (answeredAcks0(conn, got) && e.correlationId !== conn.lastUnanswered!.correlationId) {
            conn.destroy()
            return
          }
          let checked
          try {
            checked = checkResponse(got, e)
          } catch (err) {
            fail({ kind: 'bad-response', message: (err as Error).message, frame: null }, frame, conn.info)
            conn.destroy()
            return
          }
          conn.lastUnanswered = null
          summary.responsesChecked++
          summary.responsesByApi[e.apiName] = (summary.responsesByApi[e.apiName] ?? 0) + 1
          for (const code of checked.errorCodes) summary.errorCodes[code] = (summary.errorCodes[code] ?? 0) + 1
          if (checked.errorCodes.includes(-1)) {
            fail({ kind: 'unknown-server-error', message: `${e.apiName} v${e.requestVersion} answered UNKNOWN_SERVER_ERROR (-1): ${JSON.stringify(checked.body, (_k, v) => (Buffer.isBuffer(v) || (v && v.type === 'Buffer') ? `<${(v as Buffer).length} bytes>` : typeof v === 'bigint' ? String(v) : v)).slice(0, 1500)}`, frame: null }, frame, conn.info)
          }
          if (e.apiKey === 0) {
            // Decompression bombs (batch-mutator.ts) that pass every check made before
            // decompressing must be refused by the 128 MiB limit: CORRUPT_MESSAGE. An
            // INVALID_RECORD means the records were parsed, so it decompressed past it.
            for (const t of (e.request as ProduceRequest).topicData) {
              for (const pd of t.partitionData) {
                if (!isIntactBomb(pd.records)) continue
                const p = (checked.body as ProduceResponse).responses.find((r) => r.name === t.name)?.partitionResponses.find((x) => x.index === pd.index)
                if (p !== undefined && (p.errorCode === 0 || p.errorCode === 87)) {
                  fail({ kind: 'bomb-decompressed', message: `${t.name}-${pd.index}: a batch of codec ${pd.records!.readInt16BE(21) & 7} that decompresses to more than 128 MiB was answered ${p.errorCode} (${p.errorMessage ?? 'no message in this version'}): its records were parsed, so the broker decompressed it past its 128 MiB limit instead of refusing it with CORRUPT_MESSAGE (2)`, frame: null }, frame, conn.info)
                }
              }
            }
            for (const t of (checked.body as ProduceResponse).responses) {
              for (const p of t.partitionResponses) {
                if (p.errorCode === 0 && Number(p.baseOffset) >= 0) {
                  summary.producedBatches++
                  producedAt.set(`${t.name}/${p.index}/${p.baseOffset}`, frame.n)
                }
              }
            }
          }
        }
        if (conn.framingError !== null) {
          fail({ kind: 'bad-response', message: conn.framingError, frame: null }, frame, conn.info)
          conn.destroy()
          return
        }
        if (mustClose) {
          const why = conn.framer.dead ?? (expectations[expectations.length - 1] as { why: string }).why
          if (await conn.waitClosed(closeTimeoutMs)) {
            summary.closedAsExpected++
            const extra = conn.takeExtra()
            if (extra.length > 0 && !answeredAcks0(conn, extra[0]!)) fail({ kind: 'unexpected-response', message: `${extra.length} response(s) after a frame the broker had to refuse (${why})`, frame: null }, frame, conn.info)
          } else {
            fail({ kind: 'not-closed', message: `the connection stayed open ${closeTimeoutMs} ms after a frame the broker cannot accept (${why})`, frame: null }, frame, conn.info)
            conn.destroy()
          }
          return
        }
        if (conn.framer.partialBytes > 0) {
          // The broker waits for the rest of a frame that will not come: start afresh.
          summary.unfinished++
          conn.destroy()
          return
        }
        const extra = conn.takeExtra()
        if (extra.length > 0) {
          if (!answeredAcks0(conn, extra[0]!)) {
            const id = extra[0]!.length >= 4 ? extra[0]!.readInt32BE(0) : null
            fail({ kind: 'unexpected-response', message: `${extra.length} response(s) nobody asked for (first correlation id ${id})`, frame: null }, frame, conn.info)
          }
          conn.destroy()
        }
      } finally {
        inFlight.delete(frame)
        conn.info.current = null
      }
    }

    const openConn = async (): Promise<FuzzConnection> => {
      const conn = await FuzzConnection.open(port, maxRequestBytes)
      summary.connections++
      rememberConn(conn.localPort, conn.info)
      return conn
    }

    // Regression frames first, each on a fresh connection.
    for (let i = 0; i < regressions.length && !stop; i++) {
      const r = regressions[i]!
      const conn = await openConn()
      const frame: FuzzFrame = { n: -1 - i, bytes: r.bytes, seedIndex: -1, client: 'regression', what: [`regression ${r.name}`] }
      regressionFrames.set(frame.n, frame)
      await exchange(conn, frame, [])
      // A response owed to nobody (an answered acks=0 produce) shows up a little later.
      if (!conn.closed) {
        await new Promise((resolve) => setTimeout(resolve, 300))
        const extra = conn.takeExtra()
        if (extra.length > 0 && !answeredAcks0(conn, extra[0]!)) fail({ kind: 'unexpected-response', message: `${extra.length} response(s) nobody asked for`, frame: null }, frame, conn.info)
      }
      conn.destroy()
      summary.regressionFrames++
    }

    const firstFrame = options.firstFrame ?? 0
    const endFrame = firstFrame + options.frames
    let nextFrame = firstFrame
    let connectErrors = 0
    const worker = async (): Promise<void> => {
      let conn: FuzzConnection | null = null
      try {
        while (!stop && nextFrame < endFrame) {
          if (conn === null || conn.closed) {
            try {
              conn = await openConn()
            } catch (err) {
              connectErrors++
              if (connectErrors > 100) throw new Error(`cannot connect to the broker (${connectErrors} times): ${(err as Error).message}`)
              await new Promise((resolve) => setTimeout(resolve, 50))
              continue
            }
            if (stop || nextFrame >= endFrame) break
          }
          const n = nextFrame++
          const frame = mutator.frame(n)
          // A tenth of the frames arrive in pieces: the broker's frame assembly path.
          const wire = new Rng(seed ^ 0x5bd1e995, n)
          const pieces: number[] = []
          if (wire.chance(0.1) && frame.bytes.length > 2) {
            for (let k = wire.range(1, 3); k > 0; k--) pieces.push(wire.range(1, frame.bytes.length - 1))
            pieces.sort((a, b) => a - b)
          }
          summary.framesSent++
          await exchange(conn, frame, pieces)
          if (conn.closed) conn = null
          report()
        }
      } catch (err) {
        fail({ kind: 'fuzzer-error', message: `a fuzzing connection failed: ${(err as Error).stack ?? String(err)}`, frame: null })
        stop = true
      } finally {
        conn?.destroy()
      }
    }
    await Promise.all(Array.from({ length: concurrency }, () => worker()))

    // Afterwards: the well-behaved client, the broker, every partition.
    const goodStats = await good.stop()
    summary.good = goodStats
    if (goodStats.errors > 0) fail({ kind: 'good-client', message: `the well-behaved client saw ${goodStats.errors} error(s), first: ${goodStats.firstError}`, frame: null })
    const lost = await good.verify()
    if (lost !== null) fail({ kind: 'good-client', message: `the well-behaved client's data does not read back: ${lost}`, frame: null })

    try {
      const c = await WireClient.connect(port)
      try {
        await c.request(18, 3, { clientSoftwareName: 'samsa-fuzz', clientSoftwareVersion: '1' })
        await c.request(3, 12, { ...defaultMetadataRequest(), topics: null })
      } finally {
        c.close()
      }
    } catch (err) {
      fail({ kind: 'broker-down', message: `the broker no longer answers: ${(err as Error).message}`, frame: null })
    }

    if (summary.failures.every((f) => f.kind !== 'broker-down')) {
      const rb = await readEverything(port)
      summary.readback = { topics: rb.topics, partitions: rb.partitions, batches: rb.batches, records: rb.records, bytes: rb.bytes }
      for (const p of rb.problems) {
        const n = producedAt.get(`${p.topic}/${p.partition}/${p.offset}`)
        const frame = n === undefined ? undefined : frameOf(n)
        let file: string | undefined
        if (frame === undefined && p.bytes.length > 0) file = writeFrame(`${seed}-stored-${p.topic.replace(/[^\w.-]/g, '_').slice(0, 60)}-${p.partition}-${p.offset}.batch`, p.bytes)
        fail({ kind: 'unreadable-partition', message: `${p.topic}-${p.partition} at offset ${p.offset}: ${p.reason}${n !== undefined && frame === undefined ? ` (stored by frame ${n})` : ''}`, frame: n ?? null, file }, frame)
      }
    }
    report(true)
  } finally {
    if (rssTimer !== null) clearInterval(rssTimer)
    if (progressTimer !== null) clearInterval(progressTimer)
    if (broker !== null) {
      // A close that never finishes is a failure of its own, not a hung run.
      let timer: NodeJS.Timeout | undefined
      const closed = await Promise.race([
        broker.close().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 30_000))),
      ])
      clearTimeout(timer)
      if (!closed) fail({ kind: 'close-hang', message: 'broker.close() did not finish within 30 s', frame: null })
    }
    process.removeListener('uncaughtException', onUncaught)
    process.removeListener('unhandledRejection', onUncaught)
    summary.durationMs = Date.now() - started
    summary.framesPerSecond = Math.round(summary.framesSent / Math.max(0.001, summary.durationMs / 1000))
    summary.ok = summary.failures.length === 0
    // The 25 most frequent reasons are plenty to see what the frames exercised.
    summary.closeReasons = Object.fromEntries(Object.entries(summary.closeReasons).sort((a, b) => b[1] - a[1]).slice(0, 25))
    if (dataDir !== null && summary.ok) {
      rmSync(dataDir, { recursive: true, force: true })
      summary.dataDir = null
    }
  }
  return summary
}
