// Kafka's StandardAuthorizer rules, checked directly against the authorizer: patterns,
// hosts, principals, ALL, implied DESCRIBE / DESCRIBE_CONFIGS (ALLOW only), DENY first,
// super users, allow.everyone.if.no.acl.found and authorizeByResourceType.

import t from 'tap'
import { AclStore } from '../../src/security/acl-store.ts'
import { Authorizer, clientAddress } from '../../src/security/authorizer.ts'
import { AclOperation as Op, AclPermission, PatternType, ResourceType, filterMatches, newAclProblem, type AclBinding } from '../../src/security/acl-types.ts'

const HOST = '10.0.0.5'
function acl(over: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 'a', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permission: AclPermission.ALLOW, ...over }
}
function authorizer(acls: AclBinding[], opts: { superUsers?: string[]; allowEveryone?: boolean; enabled?: boolean } = {}): Authorizer {
  const store = new AclStore(null, null)
  store.add(acls)
  return new Authorizer(store, { enabled: opts.enabled ?? true, superUsers: new Set(opts.superUsers ?? []), allowEveryoneIfNoAclFound: opts.allowEveryone ?? false })
}
const topic = (a: Authorizer, op: number, name: string, principal = 'User:alice', host = HOST): boolean => a.authorize(principal, host, op, ResourceType.TOPIC, name)

t.test('no authorizer: everything is allowed', async (t) => {
  const a = authorizer([acl({ permission: AclPermission.DENY })], { enabled: false })
  t.ok(topic(a, Op.READ, 'a'))
  t.ok(a.authorizeByResourceType('User:bob', HOST, Op.WRITE, ResourceType.TOPIC))
})

t.test('literal, wildcard and prefixed patterns', async (t) => {
  const a = authorizer([
    acl({}),
    acl({ resourceName: 'logs-', patternType: PatternType.PREFIXED }),
    acl({ resourceName: '*', operation: Op.WRITE }),
  ])
  t.ok(topic(a, Op.READ, 'a'), 'literal name')
  t.notOk(topic(a, Op.READ, 'ab'), 'a literal is not a prefix')
  t.ok(topic(a, Op.READ, 'logs-app'), 'prefixed')
  t.notOk(topic(a, Op.READ, 'log'), 'shorter than the prefix')
  t.ok(topic(a, Op.WRITE, 'anything'), 'literal wildcard')
  t.notOk(topic(a, Op.READ, 'anything'), 'covered by the wildcard ACL, which is for WRITE: denied')
})

t.test('principal, User:* and host', async (t) => {
  const a = authorizer([acl({ host: '10.0.0.9' }), acl({ resourceName: 'open', principal: 'User:*' })])
  t.notOk(topic(a, Op.READ, 'a'), 'another host')
  t.ok(topic(a, Op.READ, 'a', 'User:alice', '10.0.0.9'), 'the ACL host')
  t.ok(topic(a, Op.READ, 'open', 'User:bob'), 'User:* matches anyone')
  t.notOk(topic(a, Op.READ, 'a', 'User:bob', '10.0.0.9'), 'another principal')
})

t.test('ALL and implied operations, for ALLOW only', async (t) => {
  const a = authorizer([
    acl({ operation: Op.ALL, resourceName: 'all' }),
    acl({ operation: Op.WRITE, resourceName: 'w' }),
    acl({ operation: Op.ALTER_CONFIGS, resourceName: 'cfg' }),
    acl({ operation: Op.ALL, resourceName: 'w', principal: 'User:bob' }),
    acl({ operation: Op.READ, resourceName: 'w', principal: 'User:bob', permission: AclPermission.DENY }),
  ])
  t.ok(topic(a, Op.DELETE, 'all'), 'ALL allows DELETE')
  t.ok(topic(a, Op.DESCRIBE, 'w'), 'WRITE implies DESCRIBE')
  t.notOk(topic(a, Op.READ, 'w'), 'WRITE does not imply READ')
  t.ok(topic(a, Op.DESCRIBE_CONFIGS, 'cfg'), 'ALTER_CONFIGS implies DESCRIBE_CONFIGS')
  t.notOk(topic(a, Op.DESCRIBE, 'cfg'), 'ALTER_CONFIGS does not imply DESCRIBE')
  t.notOk(topic(a, Op.READ, 'w', 'User:bob'), 'DENY READ beats ALLOW ALL')
  t.ok(topic(a, Op.DESCRIBE, 'w', 'User:bob'), 'a DENY READ does not deny DESCRIBE')
})

t.test('DENY beats ALLOW, whatever the pattern', async (t) => {
  const a = authorizer([
    acl({ resourceName: 'shared-', patternType: PatternType.PREFIXED, principal: 'User:*' }),
    acl({ resourceName: 'shared-secret', permission: AclPermission.DENY }),
  ])
  t.ok(topic(a, Op.READ, 'shared-x'))
  t.notOk(topic(a, Op.READ, 'shared-secret'))
  t.ok(topic(a, Op.READ, 'shared-secret', 'User:bob'))
})

t.test('super users and allow.everyone.if.no.acl.found', async (t) => {
  const a = authorizer([acl({ permission: AclPermission.DENY, operation: Op.ALL })], { superUsers: ['User:admin'] })
  t.ok(topic(a, Op.READ, 'a', 'User:admin'), 'a super user passes a DENY')
  t.notOk(topic(a, Op.READ, 'nobody-covers-this'), 'no ACL: denied by default')
  const open = authorizer([acl({})], { allowEveryone: true })
  t.ok(topic(open, Op.WRITE, 'free', 'User:bob'), 'no ACL covers the topic: allowed')
  t.notOk(topic(open, Op.WRITE, 'a', 'User:bob'), 'ACLs cover the topic but none matches: denied')
})

t.test('authorizeByResourceType (IDEMPOTENT_WRITE fallback: WRITE on some topic)', async (t) => {
  t.notOk(authorizer([]).authorizeByResourceType('User:alice', HOST, Op.WRITE, ResourceType.TOPIC), 'no ACLs')
  t.ok(authorizer([acl({ operation: Op.WRITE })]).authorizeByResourceType('User:alice', HOST, Op.WRITE, ResourceType.TOPIC), 'a literal ALLOW')
  t.notOk(authorizer([acl({ operation: Op.READ })]).authorizeByResourceType('User:alice', HOST, Op.WRITE, ResourceType.TOPIC), 'READ is not WRITE')
  t.notOk(authorizer([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permission: AclPermission.DENY })]).authorizeByResourceType('User:alice', HOST, Op.WRITE, ResourceType.TOPIC), 'denied by the same literal')
  t.notOk(authorizer([acl({ operation: Op.WRITE, resourceName: 'abc' }), acl({ operation: Op.WRITE, resourceName: 'ab', patternType: PatternType.PREFIXED, permission: AclPermission.DENY })]).authorizeByResourceType('User:alice', HOST, Op.WRITE, ResourceType.TOPIC), 'denied by a prefix')
  t.ok(authorizer([acl({ operation: Op.ALL, resourceName: 'p-', patternType: PatternType.PREFIXED })]).authorizeByResourceType('User:alice', HOST, Op.WRITE, ResourceType.TOPIC), 'a prefixed ALLOW ALL')
  t.ok(authorizer([], { superUsers: ['User:alice'] }).authorizeByResourceType('User:alice', HOST, Op.WRITE, ResourceType.TOPIC), 'a super user')
})

t.test('filters: ANY, MATCH and null parts', async (t) => {
  const lit = acl({})
  const pre = acl({ resourceName: 'a-', patternType: PatternType.PREFIXED })
  const wild = acl({ resourceName: '*' })
  const f = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: AclPermission.ANY }
  t.ok([lit, pre, wild].every((a) => filterMatches(f, a)), 'the match-all filter')
  const match = { ...f, resourceName: 'a-1', patternType: PatternType.MATCH }
  t.same([lit, pre, wild].filter((a) => filterMatches(match, a)), [pre, wild], 'MATCH a-1: the prefix and the wildcard')
  t.notOk(filterMatches({ ...f, patternType: PatternType.LITERAL, resourceName: 'a-' }, pre), 'LITERAL does not match a PREFIXED ACL')
  t.notOk(filterMatches({ ...f, principal: 'User:bob' }, lit))
})

t.test('new ACLs are validated as Kafka does', async (t) => {
  t.equal(newAclProblem(acl({})), null)
  t.match(newAclProblem(acl({ patternType: PatternType.MATCH })), /Invalid patternType MATCH/)
  t.match(newAclProblem(acl({ resourceType: ResourceType.CLUSTER, resourceName: 'x' })), /only valid name for the CLUSTER resource is kafka-cluster/)
  t.match(newAclProblem(acl({ resourceName: '' })), /empty resource name/)
  t.match(newAclProblem(acl({ operation: Op.ANY })), /Invalid operation ANY/)
  t.match(newAclProblem(acl({ permission: AclPermission.ANY })), /Invalid permissionType ANY/)
  t.match(newAclProblem(acl({ principal: 'alice' })), /principalType:principalName/)
})

t.test('client addresses compare as Kafka prints them', async (t) => {
  t.equal(clientAddress('127.0.0.1:5000'), '127.0.0.1')
  t.equal(clientAddress('::ffff:10.1.2.3:5000'), '10.1.2.3')
  t.equal(clientAddress('::1:5000'), '::1')
})
