"""kafka-python 2.0.2: ApiVersions v0 + Metadata v0/v1 probe, produce, then consume by assignment.

Usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC COUNT
Prints one JSON line with what was produced and consumed.
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5)
futures = [producer.send(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=0) for i in range(count)]
producer.flush(30)
offsets = [f.get(timeout=30).offset for f in futures]
api_version = producer.config["api_version"]
producer.close()

consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=5000)
tp = TopicPartition(topic, 0)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
got = []
for msg in consumer:
    got.append((msg.offset, msg.key.decode(), msg.value.decode()))
    if len(got) >= count:
        break
consumer.close()

print(json.dumps({
    "api_version": list(api_version) if api_version else None,
    "offsets": offsets,
    "consumed": len(got),
    "values_ok": [g[2] for g in got] == [f"v{i}" for i in range(count)] and all(g[1] == f"k{g[0]}" for g in got),
}))
