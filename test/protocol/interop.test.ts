// Cross-checks against two independent client codecs: responses we encode
// must parse in kafkajs (classic versions) and @platformatic/kafka (flexible
// versions), and requests they build must decode with ours.
import t from 'tap'
import { createRequire } from 'node:module'
import * as plt from '@platformatic/kafka'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { defaultApiVersionsResponse, encodeApiVersionsResponse } from '../../protocol/messages/api-versions-response.ts'
import { decodeMetadataRequest } from '../../protocol/messages/metadata-request.ts'
import {
  defaultMetadataResponse, defaultMetadataResponseBroker, defaultMetadataResponsePartition,
  defaultMetadataResponseTopic, encodeMetadataResponse,
} from '../../protocol/messages/metadata-response.ts'
import type { MetadataResponse } from '../../protocol/messages/metadata-response.ts'
import { defaultFetchResponse, defaultFetchableTopicResponse, defaultPartitionData, encodeFetchResponse } from '../../protocol/messages/fetch-response.ts'
import { defaultPartitionProduceResponse, defaultProduceResponse, encodeProduceResponse } from '../../protocol/messages/produce-response.ts'
import { defaultListOffsetsPartitionResponse, defaultListOffsetsResponse, encodeListOffsetsResponse } from '../../protocol/messages/list-offsets-response.ts'
import { defaultCreatableTopicResult, defaultCreateTopicsResponse, encodeCreateTopicsResponse } from '../../protocol/messages/create-topics-response.ts'
import { defaultDeletableTopicResult, defaultDeleteTopicsResponse, encodeDeleteTopicsResponse } from '../../protocol/messages/delete-topics-response.ts'

const require = createRequire(import.meta.url)
const kjs = (path: string): any => require(`kafkajs/src/protocol/requests/${path}`)

function body(fn: (w: Writer) => void): Buffer {
  const w = new Writer()
  fn(w)
  return w.toBuffer()
}

// platformatic exposes one module per API version, e.g. metadataV12.
function pltApi(name: string, version: number): any {
  return (plt as any)[`${name}V${version}`]
}

function pltParse(name: string, apiKey: number, version: number, buf: Buffer): any {
  const reader = plt.Reader.from(buf)
  const out = pltApi(name, version).parseResponse(1, apiKey, version, reader)
  if (reader.remaining !== 0) throw new Error(`${name} v${version}: ${reader.remaining} bytes left unparsed`)
  return out
}

const TOPIC_ID = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64url')

function metadata(): MetadataResponse {
  return {
    ...defaultMetadataResponse(),
    brokers: [{ ...defaultMetadataResponseBroker(), nodeId: 1, host: 'localhost', port: 9092, rack: null }],
    clusterId: 'samsa-cluster',
    controllerId: 1,
    topics: [{
      ...defaultMetadataResponseTopic(),
      name: 'orders',
      topicId: TOPIC_ID,
      partitions: [{ ...defaultMetadataResponsePartition(), partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1], isrNodes: [1] }],
    }],
  }
}

t.test('ApiVersions responses parse in both clients', async (t) => {
  const value = {
    ...defaultApiVersionsResponse(),
    apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
    finalizedFeaturesEpoch: 3,
  }
  for (const v of [3, 4]) {
    const out = pltParse('apiVersions', 18, v, body((w) => encodeApiVersionsResponse(w, v, value)))
    t.same(out.apiKeys.map((k: any) => [k.apiKey, k.minVersion, k.maxVersion]), [[0, 0, 11], [18, 0, 4]], `platformatic v${v}`)
  }
  for (const v of [0, 1, 2]) {
    const out = await kjs(`apiVersions/v${v}/response`).decode(body((w) => encodeApiVersionsResponse(w, v, value)))
    t.same(out.apiVersions, [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }], `kafkajs v${v}`)
  }
})

t.test('Metadata requests built by the clients decode', async (t) => {
  for (let v = 0; v <= 6; v++) {
    const req = kjs(`metadata/v${v}/request`)({ topics: ['orders', 'tópic'], allowAutoTopicCreation: false })
    const buf: Buffer = (await req.encode()).buffer
    const m = decodeMetadataRequest(new Reader(buf), v)
    t.same(m.topics!.map((x) => x.name), ['orders', 'tópic'], `kafkajs v${v}`)
    if (v >= 4) t.equal(m.allowAutoTopicCreation, false)
  }
  for (let v = 9; v <= 12; v++) {
    const buf: Buffer = pltApi('metadata', v).createRequest(['orders'], true, true).buffer
    const r = new Reader(buf)
    const m = decodeMetadataRequest(r, v)
    t.equal(r.remaining(), 0)
    t.same(m.topics!.map((x) => x.name), ['orders'], `platformatic v${v}`)
    t.equal(m.includeTopicAuthorizedOperations, true)
  }
})

t.test('Metadata responses parse in both clients', async (t) => {
  for (const v of [9, 10, 12]) {
    const out = pltParse('metadata', 3, v, body((w) => encodeMetadataResponse(w, v, metadata())))
    t.equal(out.clusterId, 'samsa-cluster')
    t.same(out.brokers, [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }])
    t.equal(out.topics[0].name, 'orders')
    if (v >= 10) t.equal(out.topics[0].topicId, '00112233-4455-6677-8899-aabbccddeeff')
    t.same(out.topics[0].partitions[0].replicaNodes, [1])
  }
  for (const v of [0, 1, 5, 6]) {
    const out = await kjs(`metadata/v${v}/response`).decode(body((w) => encodeMetadataResponse(w, v, metadata())))
    t.equal(out.brokers[0].host, 'localhost')
    t.equal(out.topicMetadata[0].topic, 'orders')
    t.equal(out.topicMetadata[0].partitionMetadata[0].leader, 1)
  }
})

t.test('Fetch responses (with tagged fields) parse in platformatic', async (t) => {
  for (let v = 12; v <= 17; v++) {
    const value = {
      ...defaultFetchResponse(),
      responses: [{
        ...defaultFetchableTopicResponse(),
        topic: 'orders',
        topicId: TOPIC_ID,
        partitions: [{
          ...defaultPartitionData(),
          highWatermark: 42,
          lastStableOffset: 42,
          logStartOffset: 0,
          abortedTransactions: [{ producerId: 7, firstOffset: 3 }],
          records: null,
          currentLeader: { leaderId: 1, leaderEpoch: 9 },
        }],
      }],
    }
    const out = pltParse('fetch', 1, v, body((w) => encodeFetchResponse(w, v, value)))
    const p = out.responses[0].partitions[0]
    t.equal(p.highWatermark, 42n, `v${v}`)
    t.same(p.currentLeader, { leaderId: 1, leaderEpoch: 9 })
    t.same(p.abortedTransactions, [{ producerId: 7n, firstOffset: 3n }])
  }
})

t.test('Produce responses parse in both clients', async (t) => {
  const value = {
    ...defaultProduceResponse(),
    responses: [{
      name: 'orders',
      partitionResponses: [{ ...defaultPartitionProduceResponse(), index: 2, baseOffset: 100, logAppendTimeMs: -1, logStartOffset: 0 }],
    }],
  }
  for (let v = 9; v <= 11; v++) {
    const out = pltParse('produce', 0, v, body((w) => encodeProduceResponse(w, v, value)))
    t.equal(out.responses[0].partitionResponses[0].baseOffset, 100n, `platformatic v${v}`)
  }
  for (let v = 3; v <= 7; v++) {
    const out = await kjs(`produce/v${v}/response`).decode(body((w) => encodeProduceResponse(w, v, value)))
    t.equal(out.topics[0].partitions[0].baseOffset, '100', `kafkajs v${v}`)
  }
})

t.test('admin and offset responses parse in platformatic', async (t) => {
  const lo = {
    ...defaultListOffsetsResponse(),
    topics: [{ name: 'orders', partitions: [{ ...defaultListOffsetsPartitionResponse(), partitionIndex: 0, timestamp: -1, offset: 55, leaderEpoch: 2 }] }],
  }
  for (const v of [6, 9]) {
    const out = pltParse('listOffsets', 2, v, body((w) => encodeListOffsetsResponse(w, v, lo)))
    t.equal(out.topics[0].partitions[0].offset, 55n)
  }
  const ct = {
    ...defaultCreateTopicsResponse(),
    topics: [{ ...defaultCreatableTopicResult(), name: 'orders', topicId: TOPIC_ID, numPartitions: 3, replicationFactor: 1, configs: [] }],
  }
  const ctOut = pltParse('createTopics', 19, 7, body((w) => encodeCreateTopicsResponse(w, 7, ct)))
  t.equal(ctOut.topics[0].numPartitions, 3)
  const dt = { ...defaultDeleteTopicsResponse(), responses: [{ ...defaultDeletableTopicResult(), name: 'orders', topicId: TOPIC_ID }] }
  const dtOut = pltParse('deleteTopics', 20, 6, body((w) => encodeDeleteTopicsResponse(w, 6, dt)))
  t.equal(dtOut.responses[0].name, 'orders')
})
