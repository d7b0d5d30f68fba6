# SASL/OAUTHBEARER with confluent-kafka (librdkafka) or kafka-python: produce then consume,
# or (confluent-kafka, count 0) only try to connect when a refusal is expected.
# argv: bootstrap protocol cafile|- topic count token [confluent|kafka-python]
#   token: "unsecured:<sasl.oauthbearer.config>" (librdkafka mints an unsecured JWS itself)
#          or "jwt:<compact JWS>:<exp seconds>" (handed over by oauth_cb or kafka-python's
#          token provider, as an IdP token is)
# Prints one JSON line: {"produced": n, "consumed": n, "values_ok": bool, "error": str|null, "client_errors": [str]}
import json
import sys

bootstrap, protocol, cafile, topic, count, token = sys.argv[1:7]
count = int(count)
values = ['%s-%d' % (topic, i) for i in range(count)]
out = {'produced': 0, 'consumed': 0, 'values_ok': False, 'error': None, 'client_errors': []}

client = sys.argv[7] if len(sys.argv) > 7 else 'confluent'

def kafka_python():
    # SaslHandshake v0 and the token as a raw frame: the broker's other code path.
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.oauth.abstract import AbstractTokenProvider
    jws = token.split(':', 1)[1].rpartition(':')[0]

    class Provider(AbstractTokenProvider):
        def token(self):
            return jws
    conf = {'bootstrap_servers': bootstrap, 'security_protocol': protocol, 'sasl_mechanism': 'OAUTHBEARER', 'sasl_oauth_token_provider': Provider()}
    if cafile != '-':
        conf['ssl_cafile'] = cafile
    p = KafkaProducer(**conf)
    futures = [p.send(topic, v.encode()) for v in values]
    p.flush(60)
    out['produced'] = sum(1 for f in futures if f.succeeded())
    p.close()
    c = KafkaConsumer(topic, group_id=topic + '-g', auto_offset_reset='earliest', consumer_timeout_ms=20000, **conf)
    got = []
    for m in c:
        got.append(m.value.decode())
        if len(got) >= count:
            break
    c.close()
    out['consumed'] = len(got)
    out['values_ok'] = got == values

try:
    if client == 'kafka-python':
        kafka_python()
        print(json.dumps(out))
        sys.exit(0)
    from confluent_kafka import Consumer, Producer
    conf = {'bootstrap.servers': bootstrap, 'security.protocol': protocol, 'sasl.mechanisms': 'OAUTHBEARER',
            'error_cb': lambda e: out['client_errors'].append(str(e))}
    if cafile != '-':
        conf['ssl.ca.location'] = cafile
    kind, _, rest = token.partition(':')
    if kind == 'unsecured':
        conf.update({'enable.sasl.oauthbearer.unsecure.jwt': True, 'sasl.oauthbearer.config': rest})
    else:
        jws, _, exp = rest.rpartition(':')
        conf['oauth_cb'] = lambda _config: (jws, float(exp))
    if count == 0:
        # A refusal is expected: try to produce, serving callbacks (oauth_cb, error_cb) with
        # poll() until the client reports an error, and say what it saw.
        p = Producer(conf)
        p.produce(topic, b'refused?')
        for _ in range(100):
            p.poll(0.1)
            if out['client_errors']:
                break
        print(json.dumps(out))
        sys.exit(0)
    p = Producer(conf)
    delivered = []
    for v in values:
        p.produce(topic, v.encode(), on_delivery=lambda err, msg: delivered.append(err))
    p.flush(60)
    out['produced'] = sum(1 for e in delivered if e is None)
    c = Consumer(dict(conf, **{'group.id': topic + '-g', 'auto.offset.reset': 'earliest'}))
    c.subscribe([topic])
    got = []
    for _ in range(600):
        if len(got) >= count:
            break
        m = c.poll(0.1)
        if m is None or m.error():
            continue
        got.append(m.value().decode())
    c.close()
    out['consumed'] = len(got)
    out['values_ok'] = got == values
except Exception as e:
    out['error'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
