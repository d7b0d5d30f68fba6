"""kafka-python 2.0.2 group consumer with synchronous commits carrying metadata.

Its group code uses fixed old versions whatever the broker lists: FindCoordinator v0,
JoinGroup v2, SyncGroup/Heartbeat/LeaveGroup v1, OffsetCommit v2, OffsetFetch v1.

Usage: kafka_python_group.py BOOTSTRAP TOPIC GROUP COUNT METADATA
Processes exactly COUNT messages (in the order polled), committing offset+1 with METADATA
after each, then reads the committed offsets back and closes (LeaveGroup).
Prints one JSON line: {"processed": [[p, o, value], ...], "committed": {p: [offset, metadata]},
"assignment": [...], "api_version": [...]}
"""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

bootstrap, topic, group, count, metadata = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]

consumer = KafkaConsumer(
    topic,
    bootstrap_servers=bootstrap,
    group_id=group,
    client_id="kafka-python-group",
    enable_auto_commit=False,
    auto_offset_reset="earliest",
    session_timeout_ms=10000,
    heartbeat_interval_ms=300,
    max_poll_records=5,
)

processed = []
deadline = time.time() + 60
while len(processed) < count and time.time() < deadline:
    batches = consumer.poll(timeout_ms=200)
    for tp, records in sorted(batches.items()):
        for r in records:
            if len(processed) >= count:
                break
            processed.append([r.partition, r.offset, r.value.decode()])
            consumer.commit({TopicPartition(topic, r.partition): OffsetAndMetadata(r.offset + 1, metadata)})
        if len(processed) >= count:
            break

assignment = sorted(tp.partition for tp in consumer.assignment())
partitions = sorted(consumer.partitions_for_topic(topic) or [])
committed = {}
for p in partitions:
    c = consumer.committed(TopicPartition(topic, p), metadata=True)
    committed[p] = None if c is None else [c.offset, c.metadata]
api_version = consumer.config["api_version"]
consumer.close()

print(json.dumps({
    "processed": processed,
    "committed": committed,
    "assignment": assignment,
    "api_version": list(api_version) if api_version else None,
}))
