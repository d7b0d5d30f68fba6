// The cleaner's offset map: its MurmurHash3 x86_128 digest matches the reference
// implementation (vectors from the Python mmh3 package, `mmh3.hash_bytes(key, seed,
// x64arch=False)`), a key hashed where it lies inside a larger buffer gets the same
// digest, and keys that differ in any byte (prefix, tail, length) stay distinct.

import t from 'tap'
import { SkimpyOffsetMap, lastDigest, murmur3x86128 } from '../../storage/cleaner-offset-map.ts'

t.test('MurmurHash3 x86_128 matches the reference, also over a slice of a larger buffer', async (t) => {
  const vectors: Array<[Buffer, number, string]> = [
    [Buffer.from(''), 0, '00000000000000000000000000000000'],
    [Buffer.from('a'), 1, '049bdb49c581521cc581521cc581521c'],
    [Buffer.from('key-123'), 42, '30a4c7f5867fd23ab864df34b864df34'],
    [Buffer.from('hello world, this is 33 bytes!!!x'), 7, 'ff138ad32c7fc38bb605ad1c77703595'],
    [Buffer.from(Array.from({ length: 17 }, (_, i) => i)), 99, '3b66e2bef9ca059d8b857baaaa3ad983'],
  ]
  for (const [key, seed, hex] of vectors) {
    murmur3x86128(key, 0, key.length, seed)
    t.equal(lastDigest().toString('hex'), hex, `${JSON.stringify(key.toString('latin1'))} seed ${seed}`)
    const framed = Buffer.concat([Buffer.from('prefix'), key, Buffer.from('suffix')])
    murmur3x86128(framed, 6, 6 + key.length, seed)
    t.equal(lastDigest().toString('hex'), hex, 'the same key inside a larger buffer')
  }
})

t.test('keys differing only in their tail, their length or one middle byte stay distinct', async (t) => {
  const map = new SkimpyOffsetMap(24 * 100_000)
  const keys: Buffer[] = []
  for (let i = 0; i < 20_000; i++) keys.push(Buffer.from(`key-${i}`))
  for (let len = 0; len <= 40; len++) keys.push(Buffer.alloc(len, 0))
  for (let i = 0; i < 64; i++) {
    const k = Buffer.alloc(64, 7)
    k[i] = 8
    keys.push(k)
  }
  keys.forEach((k, i) => map.put(k, i))
  t.equal(map.size, keys.length, 'one slot per key')
  t.equal(keys.filter((k, i) => map.get(k) !== i).length, 0, 'each key finds its own offset')
  const framed = Buffer.concat([Buffer.from('xx'), keys[5]!, Buffer.from('yy')])
  t.equal(map.get(framed, 2, 2 + keys[5]!.length), 5, 'a key looked up inside a larger buffer')
  map.put(keys[5]!, 1_000_000)
  t.equal(map.get(keys[5]!), 1_000_000, 'a newer offset replaces the old one')
  t.equal(map.size, keys.length, 'without a new slot')
  map.clear()
  t.equal(map.get(keys[5]!), -1, 'cleared')
})
