"""Python confluent-kafka (librdkafka) AdminClient.create_partitions against a topic that exists with 1 partition.

Usage: confluent_create_partitions.py BOOTSTRAP TOPIC
Steps: validate_only to 4 (nothing changes), grow to 4, grow to 2 (shrink), grow to 4 again (same count),
an unknown topic, then produce one message to the new partition 3 and read it back by assignment.
Prints one JSON line with each step's outcome: {"error": null | {"code": n, "name": s, "str": s}} and the partition counts seen.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": bootstrap})
out = {}


def outcome(new_total, validate_only=False, name=topic):
    fs = admin.create_partitions([NewPartitions(name, new_total)], validate_only=validate_only, request_timeout=15)
    try:
        fs[name].result(timeout=30)
        return {"error": None}
    except KafkaException as e:
        err = e.args[0]
        return {"error": {"code": err.code(), "name": err.name(), "str": err.str()}}


def partition_count():
    md = admin.list_topics(topic=topic, timeout=15)
    return len(md.topics[topic].partitions)


out["validate_only"] = outcome(4, validate_only=True)
out["after_validate_only"] = partition_count()
out["grow"] = outcome(4)
out["after_grow"] = partition_count()
out["shrink"] = outcome(2)
out["same"] = outcome(4)
out["unknown"] = outcome(3, name="no-such-topic-py")
out["after_errors"] = partition_count()

delivered = []
producer = Producer({"bootstrap.servers": bootstrap})
producer.produce(topic, value=b"to-partition-3", partition=3, on_delivery=lambda err, msg: delivered.append(None if err else [msg.partition(), msg.offset()]))
producer.flush(30)
out["delivered"] = delivered

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-by-assign", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, 3, 0)])
read = None
deadline = time.time() + 30
while read is None and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is not None and msg.error() is None:
        read = [msg.partition(), msg.offset(), msg.value().decode()]
consumer.close()
out["read"] = read
print(json.dumps(out))
