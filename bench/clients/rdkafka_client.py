"""librdkafka (Debian's python3-confluent-kafka) as a real-client load.

Usage: rdkafka_client.py produce|consume BOOTSTRAP TOPIC PARTITIONS RECORD_SIZE SECONDS|COUNT
produce: acks=1, linger.ms 5, batches up to 1 MB, round-robin over the partitions.
consume: assign() every partition from offset 0 and read COUNT messages.
Prints one JSON line: messages, bytes, seconds, cpuSeconds (of the measured window).
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

mode, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
partitions, size, limit = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])


def cpu():
    t = os.times()
    return t.user + t.system


if mode == "produce":
    delivered = [0]

    def on_delivery(err, msg):
        if err is None:
            delivered[0] += 1

    p = Producer({"bootstrap.servers": bootstrap, "acks": 1, "linger.ms": 5, "batch.size": 1000000,
                  "batch.num.messages": 100000, "queue.buffering.max.kbytes": 262144, "compression.codec": "none"})
    value = b"a" * size
    c0 = cpu()
    t0 = time.time()
    i = 0
    while time.time() - t0 < limit:
        for _ in range(1000):
            try:
                p.produce(topic, value=value, partition=i % partitions, on_delivery=on_delivery)
                i += 1
            except BufferError:
                p.poll(0.001)
        p.poll(0)
    p.flush(60)
    s = time.time() - t0
    print(json.dumps({"messages": delivered[0], "bytes": delivered[0] * size, "seconds": s, "cpuSeconds": cpu() - c0}))
else:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-unused", "enable.auto.commit": False,
                  "enable.auto.offset.store": False, "fetch.max.bytes": 52428800, "max.partition.fetch.bytes": 1048576})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got = 0
    nbytes = 0
    c0 = cpu()
    t0 = time.time()
    while got < limit and time.time() - t0 < 120:
        for m in c.consume(num_messages=10000, timeout=0.5):
            if m.error() is None:
                got += 1
                nbytes += len(m.value())
    s = time.time() - t0
    cpu_used = cpu() - c0
    c.close()
    print(json.dumps({"messages": got, "bytes": nbytes, "seconds": s, "cpuSeconds": cpu_used}))
