"""Transactions through confluent-kafka (librdkafka).

usage: confluent_transactions.py BOOTSTRAP PREFIX N
1. commit, abort, commit in sequence on PREFIX-seq; read back read_committed and
   read_uncommitted.
2. consume-transform-produce from PREFIX-in to PREFIX-out with
   send_offsets_to_transaction, exactly once: one transaction of the loop is aborted
   (as a crashed worker's would be) and its input is processed again.
Prints one JSON line.
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

bootstrap, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
errors = []


def txn_producer(tid):
    p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': tid, 'transaction.timeout.ms': 60000})
    p.init_transactions(30)
    return p


def read_all(topic, isolation, expected, group=None):
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group or f'{topic}-{isolation}',
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'isolation.level': isolation,
    })
    c.subscribe([topic])
    out = []
    idle = 0
    while idle < 40 and len(out) < expected + 5:
        m = c.poll(0.25)
        if m is None:
            idle += 1
            if len(out) >= expected:
                idle += 4
            continue
        if m.error():
            errors.append(str(m.error()))
            continue
        idle = 0
        out.append(m.value().decode())
    c.close()
    return out


# 1. commit, abort, commit
p = txn_producer(f'{prefix}-seq-tx')
p.begin_transaction()
p.produce(f'{prefix}-seq', b'first-committed')
p.commit_transaction(30)
p.begin_transaction()
p.produce(f'{prefix}-seq', b'aborted')
p.flush(30)
p.abort_transaction(30)
p.begin_transaction()
p.produce(f'{prefix}-seq', b'second-committed')
p.commit_transaction(30)
committed = read_all(f'{prefix}-seq', 'read_committed', 2)
uncommitted = read_all(f'{prefix}-seq', 'read_uncommitted', 3)

# 2. consume-transform-produce
plain = Producer({'bootstrap.servers': bootstrap})
for i in range(n):
    plain.produce(f'{prefix}-in', f'in-{i}'.encode())
plain.flush(30)

group = f'{prefix}-ctp'
consumer = Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': False,
    'isolation.level': 'read_committed',
})
consumer.subscribe([f'{prefix}-in'])
producer = txn_producer(f'{prefix}-ctp-tx')
done = 0
aborted_once = False
rounds = 0
while done < n and rounds < 400:
    rounds += 1
    msgs = consumer.consume(num_messages=max(1, n // 4), timeout=0.5)
    msgs = [m for m in msgs if not m.error()]
    if not msgs:
        continue
    producer.begin_transaction()
    for m in msgs:
        producer.produce(f'{prefix}-out', m.value().decode().replace('in-', 'out-').encode())
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
    if not aborted_once and done > 0:
        # A failure mid-way: abort, rewind to the committed offsets, process again.
        producer.abort_transaction(30)
        aborted_once = True
        committed_offsets = consumer.committed(consumer.assignment(), 30)
        for tp in committed_offsets:
            consumer.seek(tp)
        continue
    producer.commit_transaction(30)
    done += len(msgs)

out = read_all(f'{prefix}-out', 'read_committed', n, group=f'{prefix}-verify')
final = consumer.committed([TopicPartition(f'{prefix}-in', 0)], 30)
consumer.close()
print(json.dumps({
    'errors': errors,
    'committed': committed,
    'uncommitted': uncommitted,
    'aborted_once': aborted_once,
    'processed': done,
    'out': sorted(out),
    'expected_out': sorted(f'out-{i}' for i in range(n)),
    'group_offset': final[0].offset,
}))
