# Produce then consume over SSL / SASL_SSL with confluent-kafka or kafka-python.
# argv: client bootstrap protocol mechanism|- user|- password|- cafile certfile|- keyfile|- topic count
# Prints one JSON line: {"produced": n, "consumed": n, "values_ok": bool, "error": str|null}
import json
import sys

client, bootstrap, protocol, mechanism, user, password, cafile, certfile, keyfile, topic, count = sys.argv[1:12]
count = int(count)
opt = lambda v: None if v == '-' else v
values = ['%s-%d' % (topic, i) for i in range(count)]
out = {'produced': 0, 'consumed': 0, 'values_ok': False, 'error': None}

try:
    if client == 'confluent':
        from confluent_kafka import Consumer, Producer
        conf = {'bootstrap.servers': bootstrap, 'security.protocol': protocol, 'ssl.ca.location': cafile}
        if opt(mechanism):
            conf.update({'sasl.mechanism': mechanism, 'sasl.username': user, 'sasl.password': password})
        if opt(certfile):
            conf.update({'ssl.certificate.location': certfile, 'ssl.key.location': keyfile})
        errors = []
        p = Producer(dict(conf, **{'error_cb': lambda e: errors.append(str(e))}))
        delivered = []
        for v in values:
            p.produce(topic, v.encode(), on_delivery=lambda err, msg: delivered.append(err))
        p.flush(60)
        if errors and not delivered:
            raise Exception(errors[0])
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
    else:
        from kafka import KafkaConsumer, KafkaProducer
        conf = {'bootstrap_servers': bootstrap, 'security_protocol': protocol, 'ssl_cafile': cafile}
        if opt(mechanism):
            conf.update({'sasl_mechanism': mechanism, 'sasl_plain_username': user, 'sasl_plain_password': password})
        if opt(certfile):
            conf.update({'ssl_certfile': certfile, 'ssl_keyfile': keyfile})
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
except Exception as e:
    out['error'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
