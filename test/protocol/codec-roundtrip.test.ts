import t from 'tap'
import type { Test } from 'tap'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { ProtocolError } from '../../protocol/wire/errors.ts'
import { ValueMaker, codec, messages, project } from './schema-values.ts'
import type { Codec } from './schema-values.ts'
import { decodeMetadataRequest, encodeMetadataRequest, defaultMetadataRequest } from '../../protocol/messages/metadata-request.ts'
import { defaultProduceRequest, encodeProduceRequest } from '../../protocol/messages/produce-request.ts'
import { apiMessages } from '../../protocol/messages/index.ts'

// Encodes a random value at `version`, decodes it back and checks that every
// field of that version survived (and absent ones read back as defaults). The
// decoded value must also re-encode to the very same bytes.
function roundTrip(t: Test, c: Codec, version: number, seed: number): void {
  const value = new ValueMaker(c.msg, seed * 1000 + version).struct(c.msg.root, version)
  const w = Writer.frame()
  c.encode(w, version, value)
  const bytes = w.toBuffer()
  const r = new Reader(bytes, 4)
  const decoded = c.decode(r, version)
  const label = `${c.msg.name} v${version} seed ${seed}`
  t.equal(r.remaining(), 0, `${label}: whole frame consumed`)
  t.strictSame(decoded, project(c.msg, c.mod, c.msg.root, value, version), `${label}: fields survive`)
  const again = new Writer()
  c.encode(again, version, decoded)
  t.ok(again.toBuffer().equals(bytes.subarray(4)), `${label}: re-encodes identically`)
}

const REQUIRED: Array<[string, number, number]> = [
  ['ApiVersions', 0, 4],
  ['Metadata', 0, 12],
  ['Produce', 3, 11],
  ['Fetch', 4, 12],
  ['ListOffsets', 1, 9],
  ['CreateTopics', 2, 7],
  ['DeleteTopics', 1, 6],
]

for (const [api, lo, hi] of REQUIRED) {
  t.test(`${api} v${lo}-${hi} round trips`, async (t) => {
    for (const kind of ['Request', 'Response']) {
      const c = await codec(`${api}${kind}`)
      t.ok(c.msg.valid.lo <= lo && c.msg.valid.hi >= hi, `${api}${kind} schema covers v${lo}-${hi}`)
      for (let v = c.msg.valid.lo; v <= c.msg.valid.hi; v++) {
        for (let seed = 1; seed <= 4; seed++) roundTrip(t, c, v, seed)
      }
    }
  })
}

t.test('every generated message round trips in every version', async (t) => {
  let count = 0
  for (const msg of messages().values()) {
    const c = await codec(msg.name)
    for (let v = msg.valid.lo; v <= msg.valid.hi; v++) {
      roundTrip(t, c, v, 9)
      count++
    }
  }
  t.ok(count > 500, `${count} message versions checked`)
})

t.test('apiMessages pairs every request with its response', async (t) => {
  const keys = Object.keys(apiMessages).map(Number)
  t.ok(keys.length >= 80)
  for (const k of keys) {
    const api = apiMessages[k]!
    t.equal(api.apiKey, k)
    t.ok(api.minVersion <= api.maxVersion)
  }
  t.equal(apiMessages[0]!.name, 'Produce')
  t.equal(apiMessages[18]!.flexibleMin, 3)
  t.equal(apiMessages[17]!.name, 'SaslHandshake')
  t.equal(apiMessages[17]!.flexibleMin, Infinity, 'never-flexible APIs use Infinity')
  t.equal(apiMessages[1000], undefined)
})

t.test('null where the version does not allow it names the field', async (t) => {
  const req = defaultMetadataRequest()
  t.same(req.topics, [], 'no "null" default in the schema: an empty list, as in Kafka')
  t.throws(() => encodeMetadataRequest(new Writer(), 0, { ...req, topics: null }), {
    name: 'ProtocolError',
    message: /MetadataRequest\.topics cannot be null in version 0/,
  })
  // Nullable from v1: null means "all topics".
  const w = new Writer()
  encodeMetadataRequest(w, 1, { ...req, topics: null })
  t.equal(w.toBuffer().toString('hex'), 'ffffffff')
  // Topic names become nullable only in v10.
  const topics = [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: null }]
  t.throws(() => encodeMetadataRequest(new Writer(), 9, { ...req, topics }), {
    message: /MetadataRequestTopic\.name cannot be null in version 9/,
  })
  const w10 = new Writer()
  encodeMetadataRequest(w10, 10, { ...req, topics })
  t.same(decodeMetadataRequest(new Reader(w10.toBuffer()), 10).topics, topics)
  t.throws(() => encodeProduceRequest(new Writer(), 3, { ...defaultProduceRequest(), topicData: null as never }), TypeError)
})

t.test('versions outside the schema range are rejected', async (t) => {
  t.throws(() => decodeMetadataRequest(new Reader(Buffer.alloc(64)), 13), ProtocolError)
  t.throws(() => encodeMetadataRequest(new Writer(), -1, defaultMetadataRequest()), ProtocolError)
})
