import t from 'tap'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import {
  decodeRequestHeader, decodeResponseHeader, requestHeaderVersion, responseHeaderVersion,
  writeRequestHeader, writeResponseHeader,
} from '../../protocol/wire/headers.ts'
import * as generated from '../../protocol/messages/request-header.ts'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

t.test('request header version follows each API flexible versions', async (t) => {
  t.equal(requestHeaderVersion(0, 8), 1, 'Produce v8')
  t.equal(requestHeaderVersion(0, 9), 2, 'Produce v9')
  t.equal(requestHeaderVersion(18, 2), 1, 'ApiVersions v2')
  t.equal(requestHeaderVersion(18, 3), 2, 'ApiVersions v3')
  t.equal(requestHeaderVersion(18, 99), 2, 'ApiVersions above the max still parses as flexible')
  t.equal(requestHeaderVersion(17, 1), 1, 'SaslHandshake is never flexible')
  t.equal(requestHeaderVersion(7, 0), 0, 'ControlledShutdown v0 has no client id')
  t.equal(requestHeaderVersion(999, 5), 1, 'unknown API key')
})

t.test('response header: v1 when flexible, but never for ApiVersions', async (t) => {
  t.equal(responseHeaderVersion(3, 8), 0)
  t.equal(responseHeaderVersion(3, 9), 1)
  t.equal(responseHeaderVersion(18, 3), 0)
  t.equal(responseHeaderVersion(18, 4), 0)
  t.equal(responseHeaderVersion(999, 0), 0)
  const out = (k: number, v: number) => {
    const w = new Writer()
    writeResponseHeader(w, k, v, 5)
    return w.toBuffer().toString('hex')
  }
  t.equal(out(3, 9), '0000000500')
  t.equal(out(3, 8), '00000005')
  t.equal(out(18, 3), '00000005')
  t.equal(out(0, 8), '00000005')
  t.equal(out(0, 9), '0000000500')
  const r = new Reader(hex('00000005 02 00 01 aa 03 00 ff'))
  t.same(decodeResponseHeader(r, 1, 12), { correlationId: 5 })
  t.equal(r.int8(), -1)
})

t.test('decoding request headers', async (t) => {
  let r = new Reader(hex('03e7 0005 0000000b 0001 78  cafe'))
  t.same(decodeRequestHeader(r), { apiKey: 999, apiVersion: 5, correlationId: 11, clientId: 'x', headerVersion: 1 })
  t.equal(r.uint16(), 0xcafe, 'the body starts right after an unknown API header')

  r = new Reader(hex('0001 0004 00000002 ffff'))
  t.equal(decodeRequestHeader(r).clientId, null)

  // Header v2 with two tagged fields that must be skipped.
  r = new Reader(hex('0000 0009 00000001 0002 6964  02 00 01 aa 05 00  77'))
  t.same(decodeRequestHeader(r), { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: 'id', headerVersion: 2 })
  t.equal(r.int8(), 0x77)

  r = new Reader(hex('0007 0000 00000003 00000001'))
  t.same(decodeRequestHeader(r), { apiKey: 7, apiVersion: 0, correlationId: 3, clientId: null, headerVersion: 0 })
  t.equal(r.remaining(), 4)

  t.throws(() => decodeRequestHeader(new Reader(hex('0000 00'))), { name: 'ProtocolError' })
})

t.test('hand-written header codec agrees with the generated RequestHeader', async (t) => {
  for (const [key, version] of [[0, 3], [0, 9], [18, 0], [18, 3], [3, 12]]) {
    const w = new Writer()
    writeRequestHeader(w, key!, version!, 77, 'client-1')
    const buf = w.toBuffer()
    const mine = decodeRequestHeader(new Reader(buf))
    const theirs = generated.decodeRequestHeader(new Reader(buf), mine.headerVersion)
    t.same(theirs, { requestApiKey: key, requestApiVersion: version, correlationId: 77, clientId: 'client-1' })
    const again = new Writer()
    generated.encodeRequestHeader(again, mine.headerVersion, theirs)
    t.same(again.toBuffer(), buf)
  }
})
