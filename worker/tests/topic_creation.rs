//! Topic creation by source connectors (KIP-158) against the real broker: the topic is
//! created before the first record with the partitions of its matching group.

mod common;

use std::time::Duration;

use common::kafka::partition_count;
use common::{consume_values, unique_name, wait_until, worker_properties, Sluice, TestDir};

#[test]
fn a_source_connector_creates_its_topic_with_its_group_s_settings() {
    let dir = TestDir::new();
    // Only named: nothing creates it but the connector.
    let topic = unique_name("kip158-orders");
    assert_eq!(partition_count(&topic), 0, "the topic must not exist yet");
    dir.write("in.txt", "one\ntwo\n");
    let input = dir.file("in.txt");
    let name = unique_name("creator");
    let connector = dir.properties(
        "source.properties",
        &[
            ("name", &name),
            ("connector.class", "FileStreamSource"),
            ("file", &input.to_string_lossy()),
            ("topic", &topic),
            ("topic.creation.groups", "orders"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.default.partitions", "2"),
            ("topic.creation.orders.include", "kip158-orders.*"),
            ("topic.creation.orders.partitions", "3"),
        ],
    );
    let worker = worker_properties(&dir, &[("value.converter.schemas.enable", "false")]);
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&connector]);
    wait_until(
        "the connector to create its topic",
        Duration::from_secs(60),
        || partition_count(&topic) > 0,
    );
    let mut values = consume_values(&topic, 2, Duration::from_secs(60));
    values.sort(); // spread over the partitions
    assert_eq!(values, ["\"one\"", "\"two\""]);
    assert_eq!(
        partition_count(&topic),
        3,
        "created with the orders group's partitions, not the default group's or the broker's"
    );
    assert!(sluice.terminate().success(), "{}", sluice.logs());
    assert!(sluice.logs().contains("Created topic"), "{}", sluice.logs());
}
