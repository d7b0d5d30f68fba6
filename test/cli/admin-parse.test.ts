// The admin CLI's parsers, in process: option syntax, Kafka's config and topic-filter
// syntaxes, reset-offsets times, and the consumer protocol assignment bytes.

import t from 'tap'
import { parseAdminArgs } from '../../src/cli/admin/args.ts'
import { parseAddConfig } from '../../src/cli/admin/configs.ts'
import { UsageError } from '../../src/cli/admin/errors.ts'
import { decodeAssignment, parseDateTime, parseDuration } from '../../src/cli/admin/groups.ts'
import { parseBootstrap } from '../../src/cli/admin/kafka-connection.ts'
import { parseReplicaAssignment, parseTopicConfigs, topicFilter } from '../../src/cli/admin/topics.ts'
import { encodeAssignment } from '../helpers/groups.ts'

t.test('options: --name value, --name=value, dashes in values, repeats', async (t) => {
  const specs = { 'shift-by': { kind: 'value' as const }, config: { kind: 'value' as const, multiple: true }, execute: { kind: 'flag' as const }, state: { kind: 'optional' as const } }
  const p = parseAdminArgs(['--shift-by', '-5', '--config=a=1', '--config', 'b=2', '--execute', '--state'], specs)
  t.same(p.values.get('shift-by'), ['-5'], 'a value may start with a dash')
  t.same(p.values.get('config'), ['a=1', 'b=2'])
  t.ok(p.flags.has('execute'))
  t.same(p.values.get('state'), [''], 'an optional value left out')
  t.same(parseAdminArgs(['--state', 'Stable,Empty'], specs).values.get('state'), ['Stable,Empty'])
  t.ok(parseAdminArgs(['-h'], specs).help)
  t.throws(() => parseAdminArgs(['--shift-by', '1', '--shift-by', '2'], specs), /more than once/)
  t.throws(() => parseAdminArgs(['--shift-by'], specs), /requires a value/)
  t.throws(() => parseAdminArgs(['--execute=yes'], specs), /takes no value/)
  t.throws(() => parseAdminArgs(['--exectue'], specs), /Unknown option --exectue \(did you mean --execute\?\)/)
  t.throws(() => parseAdminArgs(['orders'], specs), UsageError)
})

t.test('bootstrap addresses', async (t) => {
  t.same(parseBootstrap('a:1, b:2'), [{ host: 'a', port: 1 }, { host: 'b', port: 2 }])
  t.same(parseBootstrap('[::1]:9092'), [{ host: '::1', port: 9092 }])
  t.throws(() => parseBootstrap('localhost'), /expected host:port/)
  t.throws(() => parseBootstrap('h:0'), /expected host:port/)
})

t.test('configs as kafka-configs.sh and kafka-topics.sh read them', async (t) => {
  t.same(parseAddConfig('retention.ms=1000, cleanup.policy=[compact,delete]'), [['retention.ms', '1000'], ['cleanup.policy', 'compact,delete']])
  t.same(parseAddConfig('k = v'), [['k', 'v']])
  t.throws(() => parseAddConfig('a=b=c'), /format "key=val"/)
  t.throws(() => parseAddConfig('bad key=1'), /Invalid character found for config key: bad key/)
  t.same(parseTopicConfigs(['retention.ms=5', 'x = y']), [['retention.ms', '5'], ['x', 'y']])
  t.throws(() => parseTopicConfigs(['novalue']), /format "key=val"/)
  t.same(parseReplicaAssignment('0:1,1:2'), [[0, 1], [1, 2]])
  t.throws(() => parseReplicaAssignment('0:0'), /duplicate entries: 0/)
  t.throws(() => parseReplicaAssignment('0:1,2'), /Partition 1 has different replication factor/)
})

t.test('--topic is a whole-name regular expression, commas for alternatives', async (t) => {
  const f = topicFilter('orders.*,audit')
  t.ok(f.test('orders'))
  t.ok(f.test('orders-eu'))
  t.ok(f.test('audit'))
  t.notOk(f.test('audit-2'), 'whole names only')
  t.notOk(topicFilter('orders').test('my-orders'))
  t.throws(() => topicFilter('('), /invalid regex/)
})

t.test('reset-offsets times', async (t) => {
  t.equal(parseDateTime('2024-03-01T10:00:00.000'), Date.UTC(2024, 2, 1, 10), 'UTC when no zone is given')
  t.equal(parseDateTime('2024-03-01T10:00:00.000+02:00'), Date.UTC(2024, 2, 1, 8))
  t.equal(parseDateTime('2024-03-01T10:00:00Z'), Date.UTC(2024, 2, 1, 10))
  t.throws(() => parseDateTime('2024-03-01'), /does not contain a 'T'/)
  t.throws(() => parseDateTime('2024-03-01Tnoon'), /Error parsing timestamp/)
  t.equal(parseDuration('PT15M'), 15 * 60_000)
  t.equal(parseDuration('P1DT2H30M5.5S'), ((24 + 2) * 60 + 30) * 60_000 + 5500)
  t.throws(() => parseDuration('15m'), /ISO-8601 duration/)
  t.throws(() => parseDuration('PT'), /ISO-8601 duration/)
})

t.test('consumer protocol assignments', async (t) => {
  t.same(decodeAssignment(encodeAssignment({ orders: [0, 2], audit: [1] })).map((tp) => `${tp.topic}-${tp.partition}`).sort(), ['audit-1', 'orders-0', 'orders-2'])
  t.same(decodeAssignment(Buffer.alloc(0)), [], 'no assignment yet')
  t.same(decodeAssignment(Buffer.from([0, 0, 0, 0, 0, 9])), [], 'malformed bytes: nothing rather than a crash')
})
