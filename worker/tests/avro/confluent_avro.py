#!/usr/bin/env python3
"""Confluent's Python Avro serializer and deserializer, for the Avro interoperability tests.

  confluent_avro.py produce BOOTSTRAP REGISTRY TOPIC COUNT
      Writes COUNT position records with confluent-kafka's AvroSerializer (schema below,
      registered under TOPIC-value) and prints "produced COUNT".
  confluent_avro.py consume BOOTSTRAP REGISTRY TOPIC COUNT
      Reads COUNT records from the start of TOPIC with AvroDeserializer and prints each value
      as one JSON line (bytes as latin-1 text, decimals as strings).
"""

import decimal
import json
import sys
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

POSITION_SCHEMA = json.dumps({
    "type": "record",
    "name": "Position",
    "namespace": "fleet",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "lat", "type": "double"},
        {"name": "lon", "type": "double"},
        {"name": "speed", "type": ["null", "float"], "default": None},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["PARKED", "MOVING"]}},
        {"name": "fuel", "type": {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}},
        {"name": "tags", "type": {"type": "map", "values": "string"}},
    ],
})


def position(i):
    return {
        "id": f"truck-{i}",
        "lat": 48.0 + i * 0.5,
        "lon": 11.25,
        "speed": None if i % 2 == 0 else 12.5,
        "ts": 1700000000000 + i,
        "kind": "MOVING" if i % 2 else "PARKED",
        "fuel": decimal.Decimal(f"{10 + i}.25"),
        "tags": {"driver": f"d{i}"},
    }


def produce(bootstrap, registry, topic, count):
    client = SchemaRegistryClient({"url": registry})
    serializer = AvroSerializer(client, POSITION_SCHEMA)
    producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 30000})
    ctx = SerializationContext(topic, MessageField.VALUE)
    for i in range(count):
        producer.produce(topic, key=f"k{i}".encode(), value=serializer(position(i), ctx))
        producer.poll(0)
    left = producer.flush(30)
    if left:
        sys.exit(f"{left} records not delivered")
    print(f"produced {count}")


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("latin-1")
    if isinstance(value, decimal.Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def consume(bootstrap, registry, topic, count):
    client = SchemaRegistryClient({"url": registry})
    deserializer = AvroDeserializer(client)
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"avro-interop-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    ctx = SerializationContext(topic, MessageField.VALUE)
    seen = 0
    idle = 0
    while seen < count and idle < 120:
        msg = consumer.poll(1.0)
        if msg is None:
            idle += 1
            continue
        if msg.error():
            idle += 1
            continue
        print(json.dumps(plain(deserializer(msg.value(), ctx))), flush=True)
        seen += 1
    consumer.close()
    if seen < count:
        sys.exit(f"consumed {seen} of {count} records")


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] not in ("produce", "consume"):
        sys.exit(__doc__)
    mode, bootstrap, registry, topic, count = sys.argv[1:]
    (produce if mode == "produce" else consume)(bootstrap, registry, topic, int(count))
