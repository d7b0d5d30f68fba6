"""Python confluent-kafka (librdkafka) group member that reports what happens to it.

Usage: confluent_group_member.py BOOTSTRAP TOPIC GROUP STRATEGY [INSTANCE_ID|-] [CLIENT_ID]

Subscribes with partition.assignment.strategy=STRATEGY (and group.instance.id if given),
commits every message synchronously after processing it (enable.auto.commit=False), and
prints one JSON line per event:
  {"event": "assign"|"revoke"|"lost", "partitions": [...]}   rebalance callbacks
  {"event": "msg", "partition": p, "offset": o, "value": v}   a message processed
  {"event": "committed", "partition": p, "offset": o+1}       its commit succeeded
  {"event": "stats", "rebalance_cnt": n, ...}                 librdkafka cgrp statistics, on change
  {"event": "error", "error": "..."}
Commands on stdin: "close" (consumer.close(): LeaveGroup, exit 0), "crash" (os._exit
without closing: no LeaveGroup, heartbeats stop).
"""
import json
import os
import select
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic, group, strategy = sys.argv[1:5]
instance = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else None
client_id = sys.argv[6] if len(sys.argv) > 6 else "py-member"


def out(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


last_stats = {}


def on_stats(raw):
    global last_stats
    try:
        cgrp = json.loads(raw).get("cgrp") or {}
    except ValueError:
        return
    now = {k: cgrp.get(k) for k in ("state", "join_state", "rebalance_cnt", "assignment_size")}
    if now != last_stats:
        last_stats = now
        out("stats", **now)


def on_error(err):
    out("error", error=str(err))


conf = {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "client.id": client_id,
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "partition.assignment.strategy": strategy,
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 300,
    "statistics.interval.ms": 200,
    "stats_cb": on_stats,
    "error_cb": on_error,
}
if instance is not None:
    conf["group.instance.id"] = instance

consumer = Consumer(conf)


def parts(partitions):
    return sorted(p.partition for p in partitions)


def on_assign(c, partitions):
    out("assign", partitions=parts(partitions))


def on_revoke(c, partitions):
    out("revoke", partitions=parts(partitions))


def on_lost(c, partitions):
    out("lost", partitions=parts(partitions))


consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
out("started", instance=instance, strategy=strategy)

deadline = time.time() + 120
while time.time() < deadline:
    ready, _, _ = select.select([sys.stdin], [], [], 0)
    if ready:
        command = sys.stdin.readline().strip()
        if command == "crash":
            out("crashing")
            os._exit(0)
        if command == "close" or command == "":
            consumer.close()
            out("closed")
            sys.exit(0)
    msg = consumer.poll(0.1)
    if msg is None:
        continue
    if msg.error():
        out("error", error=str(msg.error()))
        continue
    out("msg", partition=msg.partition(), offset=msg.offset(), value=msg.value().decode())
    try:
        consumer.commit(message=msg, asynchronous=False)
        out("committed", partition=msg.partition(), offset=msg.offset() + 1)
    except Exception as e:  # noqa: BLE001 - reported, the test decides
        out("commit-error", partition=msg.partition(), offset=msg.offset() + 1, error=str(e))

out("timeout")
os._exit(3)
