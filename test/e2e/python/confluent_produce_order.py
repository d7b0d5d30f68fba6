"""Python confluent-kafka (librdkafka): produce COUNT numbered messages to partition 0 and
report the offset each delivery report gave, in send order.

Usage: confluent_produce_order.py BOOTSTRAP TOPIC COUNT SIZE CONFIG_JSON
  SIZE: every value is "m<i>|" padded with 'x' to SIZE bytes (0: just "m<i>")
  CONFIG_JSON: extra librdkafka producer settings, e.g. {"enable.idempotence": true}
Prints one JSON line:
  {"delivered": n, "unflushed": n, "errors": [...], "offsets": [offset of message i, or -1]}
"""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, count, size, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])

errors = []
offsets = [-1] * count
delivered = 0


def on_delivery(err, msg):
    global delivered
    i = int(msg.key().decode())
    if err is not None:
        errors.append(f"message {i}: {err}")
    else:
        delivered += 1
        offsets[i] = msg.offset()


def on_error(err):
    errors.append(f"client error: {err}")


config = {"bootstrap.servers": bootstrap, "error_cb": on_error}
config.update(extra)
producer = Producer(config)


def value(i):
    head = f"m{i}|"
    return (head + "x" * (size - len(head))).encode() if size > len(head) else f"m{i}".encode()


for i in range(count):
    while True:
        try:
            producer.produce(topic, key=str(i).encode(), value=value(i), partition=0, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.05)
    producer.poll(0)
remaining = producer.flush(60)

print(json.dumps({"delivered": delivered, "unflushed": remaining, "errors": errors[:10], "offsets": offsets}))
