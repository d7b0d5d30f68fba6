"""Python confluent-kafka (librdkafka): produce N messages with a codec, read them back by assignment.

Usage: confluent_roundtrip.py BOOTSTRAP TOPIC COUNT CODEC
Prints one JSON line: {"produced": n, "errors": [...], "consumed": n, "in_order": bool, "values_ok": bool}
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, count, codec = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

errors = []
delivered = 0


def on_delivery(err, msg):
    global delivered
    if err is not None:
        errors.append(str(err))
    else:
        delivered += 1


producer = Producer({
    "bootstrap.servers": bootstrap,
    "compression.codec": codec,
    "linger.ms": 5,
    "batch.num.messages": 1000,
})
for i in range(count):
    while True:
        try:
            producer.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=0, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.05)
    producer.poll(0)
remaining = producer.flush(30)

consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "unused-by-assign",
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
})
consumer.assign([TopicPartition(topic, 0, 0)])
values = []
deadline = time.time() + 60
while len(values) < count and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        errors.append(str(msg.error()))
        continue
    values.append((msg.offset(), msg.key().decode(), msg.value().decode()))
consumer.close()

print(json.dumps({
    "produced": delivered,
    "unflushed": remaining,
    "errors": errors[:5],
    "consumed": len(values),
    "in_order": [v[0] for v in values] == list(range(len(values))),
    "values_ok": all(k == f"k{o}" and v == f"v{o}" for (o, k, v) in values),
}))
