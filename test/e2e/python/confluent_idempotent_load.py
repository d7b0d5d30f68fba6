"""Python confluent-kafka (librdkafka) idempotent producer under a steady load, for crash
tests: produces COUNT numbered messages ("n<i>") to partition 0 of TOPIC at a bounded rate,
keeps going while the broker is killed and restarted (librdkafka reconnects and retries),
and records the offset every successful delivery report gave.

Usage: confluent_idempotent_load.py BOOTSTRAP TOPIC COUNT [PER_TICK [SIZE]]
  PER_TICK: messages produced per 10 ms (default 50); SIZE: value bytes, "n<i>|" padded (default 0: just "n<i>")
stdin: a line "mark" notes that every delivery report from then on is "late" (the test sends
it once the restarted broker is up, when reports from before the kill have all been served).
Prints JSON lines:
  {"event": "progress", "acked": n, "produced": n}  every 250 acknowledgements
  {"event": "error", "error": "..."}                 on a delivery or client error
  {"event": "marked", "acked": n}                    when "mark" is read
  {"event": "done", "acked": n, "failed": n, "unflushed": n, "offsets": [offset of n<i>, or -1],
   "late": [[i, offset] reported after the mark]}
"""
import json
import select
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
per_tick = int(sys.argv[4]) if len(sys.argv) > 4 else 50
size = int(sys.argv[5]) if len(sys.argv) > 5 else 0

offsets = [-1] * count
acked = 0
failed = 0
produced = 0
marked = False
late = []


def emit(event):
    print(json.dumps(event), flush=True)


def on_delivery(err, msg):
    global acked, failed
    i = int(msg.value().decode().split("|")[0][1:])
    if err is not None:
        failed += 1
        emit({"event": "error", "error": f"n{i}: {err}"})
        return
    offsets[i] = msg.offset()
    acked += 1
    if marked:
        late.append([i, msg.offset()])
    if acked % 250 == 0:
        emit({"event": "progress", "acked": acked, "produced": produced})


def on_error(err):
    emit({"event": "error", "error": f"client: {err}", "fatal": err.fatal()})


producer = Producer({
    "bootstrap.servers": bootstrap,
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "message.timeout.ms": 60000,
    "request.timeout.ms": 5000,
    "retry.backoff.ms": 50,
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 500,
    "error_cb": on_error,
})
emit({"event": "started"})


def check_stdin():
    global marked
    if not marked and select.select([sys.stdin], [], [], 0)[0]:
        if sys.stdin.readline().strip() == "mark":
            marked = True
            emit({"event": "marked", "acked": acked})


def value(i):
    head = f"n{i}|"
    return (head + "x" * (size - len(head))).encode() if size > len(head) else f"n{i}".encode()


# At most 100 * PER_TICK messages a second, so the load is still running when the test kills the broker.
for i in range(count):
    while True:
        try:
            producer.produce(topic, value=value(i), partition=0, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.05)
    produced += 1
    if i % per_tick == per_tick - 1:
        producer.poll(0)
        check_stdin()
        time.sleep(0.01)
deadline = time.time() + 90
unflushed = len(producer)
while unflushed > 0 and time.time() < deadline:
    unflushed = producer.flush(0.1)
    check_stdin()
emit({"event": "done", "acked": acked, "failed": failed, "unflushed": unflushed, "offsets": offsets, "late": late})
