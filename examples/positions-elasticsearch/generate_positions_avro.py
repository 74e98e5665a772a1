#!/usr/bin/env python3
"""Courier position generator, Avro variant, for the positions-elasticsearch example.

Produces records into the topic `position-avro` (by default) with confluent-kafka's
AvroSerializer: the key is the courier id (plain string), the value an Avro record
`courier.Position {courier: string, latitude: double, longitude: double}` whose schema is
registered in the Schema Registry under `position-avro-value`, framed as Confluent's
serializers frame it (magic byte 0, schema id, Avro binary). Couriers random-walk around a city
centre, as in generate_positions.py.

    scripts/python-avro-deps      # confluent-kafka[avro]: fastavro, requests, ...
    python3 generate_positions_avro.py --bootstrap 127.0.0.1:9092 \
        --registry http://127.0.0.1:8081 --count 10000
"""
import argparse
import json
import random
import sys
import time

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

POSITION_SCHEMA = json.dumps({
    "type": "record",
    "name": "Position",
    "namespace": "courier",
    "fields": [
        {"name": "courier", "type": "string"},
        {"name": "latitude", "type": "double"},
        {"name": "longitude", "type": "double"},
    ],
})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    p.add_argument("--registry", default="http://127.0.0.1:8081", help="Schema Registry URL")
    p.add_argument("--topic", default="position-avro")
    p.add_argument("--couriers", type=int, default=50, help="number of couriers")
    p.add_argument("--count", type=int, default=10000, help="records to produce; 0 = forever")
    p.add_argument("--rate", type=float, default=0, help="records per second; 0 = as fast as possible")
    p.add_argument("--lat", type=float, default=52.5200, help="centre latitude (Berlin)")
    p.add_argument("--lon", type=float, default=13.4050, help="centre longitude")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()

    rng = random.Random(args.seed)
    positions = {
        f"courier-{i:03d}": [args.lat + rng.uniform(-0.05, 0.05), args.lon + rng.uniform(-0.08, 0.08)]
        for i in range(args.couriers)
    }
    ids = list(positions)
    serializer = AvroSerializer(SchemaRegistryClient({"url": args.registry}), POSITION_SCHEMA)
    ctx = SerializationContext(args.topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5, "enable.idempotence": True})
    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(err)

    sent = 0
    started = time.monotonic()
    try:
        while args.count == 0 or sent < args.count:
            courier = ids[sent % len(ids)]
            pos = positions[courier]
            pos[0] += rng.uniform(-0.0005, 0.0005)
            pos[1] += rng.uniform(-0.0008, 0.0008)
            value = {"courier": courier, "latitude": round(pos[0], 6), "longitude": round(pos[1], 6)}
            payload = serializer(value, ctx)
            while True:
                try:
                    producer.produce(args.topic, key=courier, value=payload, on_delivery=delivered)
                    break
                except BufferError:
                    producer.poll(0.1)
            producer.poll(0)
            sent += 1
            if args.rate > 0:
                ahead = sent / args.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    except KeyboardInterrupt:
        pass
    producer.flush(30)
    if failures:
        print(f"{len(failures)} records failed, first: {failures[0]}", file=sys.stderr)
        return 1
    print(f"produced {sent} Avro position records to {args.topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
