//! Avro interoperability with Confluent's clients through the real broker and the test Schema
//! Registry (issue 12, "Must show"):
//!
//! * records serialized by Python confluent-kafka's `AvroSerializer` are read by a Sluice
//!   FileStreamSink with `io.confluent.connect.avro.AvroConverter`, with the right values;
//! * records written by a Sluice FileStreamSource (lines hoisted into a struct by HoistField)
//!   with AvroConverter are read back by confluent-kafka's `AvroDeserializer`;
//! * an undecodable record (first byte not 0) goes to the DLQ under `errors.tolerance=all`
//!   with the usual headers;
//! * an unreachable registry fails the task (`errors.tolerance=none`) with the URL in its trace.
//!
//! Needs the broker of `scripts/services start` (or `SLUICE_BOOTSTRAP_SERVERS`) and Python 3;
//! `scripts/python-avro-deps` installs the Python packages. Fails, never skips, when a service
//! is unreachable.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use sluice_testkit::SchemaRegistryTestServer;

use common::{
    bootstrap_servers, consume, produce, unique_name, unique_topic, wait_until, worker_properties,
    Sluice, TestDir,
};

const ARRIVAL: Duration = Duration::from_secs(90);
const AVRO: &str = "io.confluent.connect.avro.AvroConverter";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Runs the Python helper (after installing its packages when missing); returns stdout.
fn python(args: &[&str]) -> String {
    let deps = Command::new(repo().join("scripts/python-avro-deps"))
        .status()
        .expect("running scripts/python-avro-deps");
    assert!(deps.success(), "scripts/python-avro-deps failed");
    let out = Command::new("python3")
        .arg(repo().join("worker/tests/avro/confluent_avro.py"))
        .args(args)
        .output()
        .expect("running python3");
    assert!(
        out.status.success(),
        "confluent_avro.py {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A multi-threaded runtime hosting the test registry for the test's duration.
fn registry() -> (tokio::runtime::Runtime, SchemaRegistryTestServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt
        .block_on(SchemaRegistryTestServer::start())
        .expect("test registry");
    (rt, server)
}

fn expected_line(i: usize) -> String {
    let speed = if i.is_multiple_of(2) {
        String::new()
    } else {
        "speed=12.5,".to_string()
    };
    let kind = if i % 2 == 1 { "MOVING" } else { "PARKED" };
    format!(
        "Struct{{id=truck-{i},lat={},lon=11.25,{speed}ts=Tue Nov 14 22:13:20 UTC 2023,kind={kind},fuel={}.25,tags={{driver=d{i}}}}}",
        java_double(48.0 + i as f64 * 0.5),
        10 + i
    )
}

fn java_double(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

#[test]
fn records_from_confluent_python_avro_serializer_reach_a_sluice_sink() {
    let (_rt, reg) = registry();
    let dir = TestDir::new();
    let topic = unique_topic("avro-py-in", 1);
    let name = unique_name("avro-sink");
    const N: usize = 6;
    let out = python(&[
        "produce",
        &bootstrap_servers(),
        reg.url(),
        &topic,
        &N.to_string(),
    ]);
    assert!(out.contains(&format!("produced {N}")), "{out}");

    let worker = worker_properties(
        &dir,
        &[
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            ("value.converter", AVRO),
            ("value.converter.schema.registry.url", reg.url()),
        ],
    );
    let output = dir.file("output.txt");
    let sink = dir.properties(
        "sink.properties",
        &[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("tasks.max", "1"),
            ("file", &output.to_string_lossy()),
            ("topics", &topic),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&sink]);
    wait_until("every Avro record in the sink file", ARRIVAL, || {
        dir.lines("output.txt").len() >= N
    });
    assert!(sluice.terminate().success(), "{}", sluice.logs());
    let expected: Vec<String> = (0..N).map(expected_line).collect();
    assert_eq!(dir.lines("output.txt"), expected);
    // One schema: the registry was asked for it once (plus the version lookup).
    let stats = reg.stats();
    assert_eq!(stats.schema_fetches, 1, "{stats:?}");
    assert_eq!(stats.lookups, 1, "{stats:?}");
}

#[test]
fn records_from_a_sluice_source_are_read_by_confluent_python_avro_deserializer() {
    let (_rt, reg) = registry();
    let dir = TestDir::new();
    let topic = unique_topic("avro-py-out", 1);
    let name = unique_name("avro-source");
    let lines = ["first line", "sécond \"quoted\" line", "third"];
    dir.write("input.txt", &(lines.join("\n") + "\n"));
    let worker = worker_properties(
        &dir,
        &[
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            ("value.converter", AVRO),
            ("value.converter.schema.registry.url", reg.url()),
        ],
    );
    let input = dir.file("input.txt");
    let source = dir.properties(
        "source.properties",
        &[
            ("name", &name),
            ("connector.class", "FileStreamSource"),
            ("tasks.max", "1"),
            ("file", &input.to_string_lossy()),
            ("topic", &topic),
            ("transforms", "hoist"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "line"),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&source]);
    let raw = consume(&topic, lines.len(), ARRIVAL);
    assert!(sluice.terminate().success(), "{}", sluice.logs());
    assert_eq!(raw.len(), lines.len());
    for r in &raw {
        let v = r.value.as_deref().expect("a value");
        assert_eq!(&v[..5], &[0, 0, 0, 0, 1], "magic byte 0 and schema id 1");
    }
    let out = python(&[
        "consume",
        &bootstrap_servers(),
        reg.url(),
        &topic,
        &lines.len().to_string(),
    ]);
    let values: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let expected: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::json!({ "line": l }))
        .collect();
    assert_eq!(values, expected);
    // The schema Sluice registered, as the registry stores it.
    let schema = reg
        .with_store(|s| s.schema(1).map(|s| s.schema.clone()))
        .unwrap();
    assert_eq!(
        schema,
        r#"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"line","type":"string"}]}"#
    );
    assert_eq!(reg.stats().registers, 1);
}

#[test]
fn undecodable_avro_goes_to_the_dlq_with_the_converter_error() {
    let (_rt, reg) = registry();
    let dir = TestDir::new();
    let topic = unique_topic("avro-dlq-in", 1);
    let dlq = unique_name("avro-dlq");
    let name = unique_name("avro-dlq-sink");
    let good = python(&["produce", &bootstrap_servers(), reg.url(), &topic, "1"]);
    assert!(good.contains("produced 1"));
    produce(
        &topic,
        &[(Some(&b"bad"[..]), Some(&b"{\"not\":\"avro\"}"[..]))],
    );
    let worker = worker_properties(
        &dir,
        &[
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            ("value.converter", AVRO),
            ("value.converter.schema.registry.url", reg.url()),
        ],
    );
    let output = dir.file("output.txt");
    let sink = dir.properties(
        "sink.properties",
        &[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("tasks.max", "1"),
            ("file", &output.to_string_lossy()),
            ("topics", &topic),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&sink]);
    let bad = consume(&dlq, 1, ARRIVAL);
    wait_until("the good record in the sink file", ARRIVAL, || {
        !dir.lines("output.txt").is_empty()
    });
    assert!(sluice.terminate().success(), "{}", sluice.logs());
    assert_eq!(dir.lines("output.txt"), vec![expected_line(0)]);
    let h = &bad[0].headers;
    let header = |k: &str| {
        h.iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.as_deref())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    assert_eq!(bad[0].value.as_deref(), Some(&b"{\"not\":\"avro\"}"[..]));
    assert_eq!(
        header("__connect.errors.stage").as_deref(),
        Some("VALUE_CONVERTER")
    );
    assert_eq!(header("__connect.errors.class.name").as_deref(), Some(AVRO));
    assert_eq!(
        header("__connect.errors.exception.class.name").as_deref(),
        Some("org.apache.kafka.connect.errors.DataException")
    );
    assert_eq!(
        header("__connect.errors.exception.message").as_deref(),
        Some(
            format!("Failed to deserialize data for topic {topic} to Avro: Unknown magic byte!")
                .as_str()
        )
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

#[test]
fn an_unreachable_registry_fails_the_task_with_the_url() {
    let dir = TestDir::new();
    let topic = unique_topic("avro-noreg", 1);
    let name = unique_name("avro-noreg-sink");
    // Framed like Confluent's serializer (schema id 1); no registry listens on `dead`.
    produce(&topic, &[(None, Some(&[0u8, 0, 0, 0, 1, 2, 0x61][..]))]);
    let dead = format!("http://127.0.0.1:{}", free_port());
    let port = free_port();
    let listeners = format!("http://127.0.0.1:{port}");
    let worker = worker_properties(
        &dir,
        &[
            ("listeners", &listeners),
            ("value.converter", AVRO),
            ("value.converter.schema.registry.url", &dead),
        ],
    );
    let output = dir.file("output.txt");
    let sink = dir.properties(
        "sink.properties",
        &[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("tasks.max", "1"),
            ("file", &output.to_string_lossy()),
            ("topics", &topic),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&sink]);
    let mut trace = String::new();
    wait_until("the task FAILED with the registry URL", ARRIVAL, || {
        let reply = reqwest::blocking::Client::new()
            .get(format!("{listeners}/connectors/{name}/status"))
            .timeout(Duration::from_secs(10))
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok());
        if let Some(task) = reply.as_ref().and_then(|s| s["tasks"].get(0)) {
            if task["state"] == "FAILED" {
                trace = task["trace"].as_str().unwrap_or_default().to_string();
                return true;
            }
        }
        false
    });
    assert!(sluice.terminate().success(), "{}", sluice.logs());
    assert!(
        trace.contains(&format!(
            "Schema Registry unreachable at {dead} after 4 attempts"
        )),
        "{trace}"
    );
    assert!(trace.contains("VALUE_CONVERTER"), "{trace}");
}
