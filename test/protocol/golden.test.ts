// Byte-level checks written by hand from the Kafka protocol guide, so the
// codec is held to the wire format and not only to itself.
import t from 'tap'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { decodeRequestHeader, decodeResponseHeader, writeRequestHeader, writeResponseHeader } from '../../protocol/wire/headers.ts'
import { decodeApiVersionsRequest, encodeApiVersionsRequest } from '../../protocol/messages/api-versions-request.ts'
import { decodeApiVersionsResponse, defaultApiVersionsResponse, encodeApiVersionsResponse } from '../../protocol/messages/api-versions-response.ts'
import { decodeMetadataRequest, defaultMetadataRequest, encodeMetadataRequest } from '../../protocol/messages/metadata-request.ts'
import { decodeFetchResponse, defaultFetchResponse, defaultFetchableTopicResponse, defaultPartitionData, encodeFetchResponse } from '../../protocol/messages/fetch-response.ts'
import { decodeProduceRequest, encodeProduceRequest } from '../../protocol/messages/produce-request.ts'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

function encoded(fn: (w: Writer) => void, framed = false): Buffer {
  const w = framed ? Writer.frame() : new Writer()
  fn(w)
  return w.toBuffer()
}

t.test('ApiVersions v0 request, framed with header v1', async (t) => {
  const frame = encoded((w) => {
    writeRequestHeader(w, 18, 0, 1, 'abc')
    encodeApiVersionsRequest(w, 0, { clientSoftwareName: '', clientSoftwareVersion: '' })
  }, true)
  const want = hex('0000000d 0012 0000 00000001 0003 616263')
  t.same(frame, want)
  const r = new Reader(want, 4)
  t.same(decodeRequestHeader(r), { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'abc', headerVersion: 1 })
  t.same(decodeApiVersionsRequest(r, 0), { clientSoftwareName: '', clientSoftwareVersion: '' })
  t.equal(r.remaining(), 0)
})

t.test('ApiVersions v0 response', async (t) => {
  const want = hex('00000001  0000  00000002  0000 0000 000b  0012 0000 0004')
  const frame = encoded((w) => {
    writeResponseHeader(w, 18, 0, 1)
    encodeApiVersionsResponse(w, 0, {
      ...defaultApiVersionsResponse(),
      apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 99, // not in v0: dropped
    })
  })
  t.same(frame, want)
  const r = new Reader(want)
  t.same(decodeResponseHeader(r, 18, 0), { correlationId: 1 })
  const body = decodeApiVersionsResponse(r, 0)
  t.equal(body.throttleTimeMs, 0)
  t.equal(body.apiKeys.length, 2)
})

t.test('ApiVersions v3 request: header v2 with int16 client id, compact body', async (t) => {
  const want = hex(`
    0012 0003 00000007 0001 63 00
    0b 6c696272646b61666b61  06 322e302e32  00`)
  const frame = encoded((w) => {
    writeRequestHeader(w, 18, 3, 7, 'c')
    encodeApiVersionsRequest(w, 3, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' })
  })
  t.same(frame, want)
  const r = new Reader(want)
  t.equal(decodeRequestHeader(r).headerVersion, 2)
  t.same(decodeApiVersionsRequest(r, 3), { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' })
})

t.test('ApiVersions v3 response: header v0 (no tag buffer), tagged features', async (t) => {
  const want = hex(`
    00000007
    0000
    02  0012 0000 0004 00
    00000000
    02
      00 17  02 11 6d657461646174612e76657273696f6e 0001 0014 00
      01 08  0000000000000005`)
  const value = {
    ...defaultApiVersionsResponse(),
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
    supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }],
    finalizedFeaturesEpoch: 5,
  }
  const frame = encoded((w) => {
    writeResponseHeader(w, 18, 3, 7)
    encodeApiVersionsResponse(w, 3, value)
  })
  t.same(frame.toString('hex'), want.toString('hex'))
  const r = new Reader(want, 4)
  t.same(decodeApiVersionsResponse(r, 3), value)
  t.equal(r.remaining(), 0)
  // A known tag whose declared size is smaller than its value is malformed.
  const bad = hex('0000 01 00000000 01  01 04 0000000000000005')
  t.throws(() => decodeApiVersionsResponse(new Reader(bad), 3), { name: 'ProtocolError', message: /overran/ })
})

t.test('Metadata v0/v1 requests', async (t) => {
  const topics = [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'foo' }]
  t.same(encoded((w) => encodeMetadataRequest(w, 1, { ...defaultMetadataRequest(), topics })), hex('00000001 0003 666f6f'))
  t.same(encoded((w) => encodeMetadataRequest(w, 1, { ...defaultMetadataRequest(), topics: null })), hex('ffffffff'))
  t.same(encoded((w) => encodeMetadataRequest(w, 0, defaultMetadataRequest())), hex('00000000'))
  const v0 = decodeMetadataRequest(new Reader(hex('00000001 0003 666f6f')), 0)
  t.equal(v0.allowAutoTopicCreation, true, 'absent in v0-3: the schema default (true) applies')
})

t.test('Metadata v9 request with unknown tagged fields', async (t) => {
  const frame = hex(`
    0003 0009 0000002a 0003 616263 00
    02
      04 666f6f
      01  07 02 abcd
    01 00 01
    01  05 01 ff`)
  const r = new Reader(frame)
  t.same(decodeRequestHeader(r), { apiKey: 3, apiVersion: 9, correlationId: 42, clientId: 'abc', headerVersion: 2 })
  const req = decodeMetadataRequest(r, 9)
  t.equal(r.remaining(), 0, 'unknown tags skipped by their size')
  t.same(req, {
    topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'foo' }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: true,
  })
  t.same(encoded((w) => encodeMetadataRequest(w, 9, req)), hex('02 04666f6f 00 01 00 01 00'))
})

t.test('Produce v3 request', async (t) => {
  const want = hex(`
    ffff ffff 00007530
    00000001 0003 666f6f
      00000001 00000000 00000003 616263`)
  const value = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 'foo', partitionData: [{ index: 0, records: Buffer.from('abc') }] }],
  }
  t.same(encoded((w) => encodeProduceRequest(w, 3, value)), want)
  t.same(decodeProduceRequest(new Reader(want), 3), value)
})

t.test('Fetch v12 response with a tagged current leader', async (t) => {
  const want = hex(`
    00000000 0000 00000000
    02
      04 666f6f
      02
        00000000 0000 000000000000000a 000000000000000a 0000000000000000
        00 ffffffff 04 616263
        01  01 09 00000002 00000005 00
      00
    00`)
  const value = {
    ...defaultFetchResponse(),
    responses: [{
      ...defaultFetchableTopicResponse(),
      topic: 'foo',
      partitions: [{
        ...defaultPartitionData(),
        highWatermark: 10,
        lastStableOffset: 10,
        logStartOffset: 0,
        abortedTransactions: null,
        records: Buffer.from('abc'),
        currentLeader: { leaderId: 2, leaderEpoch: 5 },
      }],
    }],
  }
  t.same(encoded((w) => encodeFetchResponse(w, 12, value)).toString('hex'), want.toString('hex'))
  const back = decodeFetchResponse(new Reader(want), 12)
  t.same(back, value)
  t.same(back.responses[0]!.partitions[0]!.divergingEpoch, { epoch: -1, endOffset: -1 }, 'untransmitted tagged struct holds defaults')
})
