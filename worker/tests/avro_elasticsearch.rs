//! The Avro variant of `examples/positions-elasticsearch/`: the example generator
//! (`generate_positions_avro.py`, confluent-kafka's AvroSerializer) writes courier positions to
//! a `position-avro` topic, and the example connector (`connector-avro-local.json`,
//! AvroConverter) indexes them into the index named after the topic, through the real broker,
//! the test Schema Registry and the Elasticsearch test server.
//!
//! Needs the broker of `scripts/services start` and Python 3 (`scripts/python-avro-deps`
//! installs the packages). Fails, never skips, when a service is unreachable.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use sluice_testkit::{EsTestServer, SchemaRegistryTestServer};

use common::{bootstrap_servers, unique_topic, wait_until, worker_properties, Sluice, TestDir};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/positions-elasticsearch")
        .join(name)
}

#[test]
fn avro_positions_from_the_example_generator_are_indexed() {
    const N: usize = 300;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let es = rt
        .block_on(EsTestServer::start())
        .expect("Elasticsearch test server");
    let reg = rt
        .block_on(SchemaRegistryTestServer::start())
        .expect("test registry");
    let topic = unique_topic("position-avro", 1);

    let deps = Command::new(example("../../scripts/python-avro-deps"))
        .status()
        .expect("python-avro-deps");
    assert!(deps.success());
    let out = Command::new("python3")
        .arg(example("generate_positions_avro.py"))
        .args([
            "--bootstrap",
            &bootstrap_servers(),
            "--registry",
            reg.url(),
            "--topic",
            &topic,
        ])
        .args(["--count", &N.to_string()])
        .output()
        .expect("running the generator");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The example connector, pointed at this test's topic and servers.
    let mut connector: Value =
        serde_json::from_slice(&std::fs::read(example("connector-avro-local.json")).unwrap())
            .unwrap();
    let config = connector["config"].as_object_mut().unwrap();
    assert_eq!(config["topics"], "position-avro");
    config.insert("topics".into(), topic.clone().into());
    config.insert("connection.url".into(), es.url().into());
    config.insert(
        "value.converter.schema.registry.url".into(),
        reg.url().into(),
    );
    let dir = TestDir::new();
    let file = dir.write("connector.json", &connector.to_string());
    let worker = worker_properties(&dir, &[]);
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&file]);
    wait_until(
        "every Avro position indexed",
        Duration::from_secs(120),
        || es.count(&topic) >= N,
    );
    assert!(sluice.terminate().success(), "{}", sluice.logs());
    assert_eq!(es.count(&topic), N);
    let doc = es
        .get(&topic, &format!("{topic}+0+0"))
        .expect("first document");
    let source = doc.source.as_object().expect("object");
    assert_eq!(source["courier"], "courier-000");
    assert!(
        source["latitude"]
            .as_f64()
            .is_some_and(|l| (52.0..53.0).contains(&l)),
        "{source:?}"
    );
    assert!(
        source["longitude"]
            .as_f64()
            .is_some_and(|l| (13.0..14.0).contains(&l)),
        "{source:?}"
    );
    assert_eq!(source.len(), 3, "{source:?}");
    assert_eq!(reg.stats().schema_fetches, 1);
}
