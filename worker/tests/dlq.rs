//! Error tolerance and the dead-letter queue end to end (issue 3, "Must show"): the `sluice`
//! binary runs a FileStreamSink over the real broker, fed malformed JSON.
//!
//! * `errors.tolerance=all` with a DLQ: the bad records land in the DLQ topic (created by the
//!   worker) with their original key/value bytes and headers plus the `__connect.errors.*`
//!   headers, the good ones reach the sink file, and the group's committed offset moves past
//!   both.
//! * `errors.tolerance=none`: the task goes FAILED (seen through `GET
//!   /connectors/<c>/status`) with the cause in its trace, and no offset at or after the bad
//!   record is committed.
//!
//! Needs the broker of `scripts/services start` (or `SLUICE_BOOTSTRAP_SERVERS`); fails, never
//! skips, when it is unreachable.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

use common::wait::wait_for;
use common::{
    bootstrap_servers, consume, unique_name, unique_topic, wait_until, worker_properties, Sluice,
    TestDir,
};

/// Bound for records to travel through the worker and the broker.
const ARRIVAL: Duration = Duration::from_secs(60);

/// The records fed to the sink: key, value bytes; the header `origin: it` on each.
const RECORDS: [(&str, &[u8]); 5] = [
    ("k0", br#""good-0""#),
    ("k1", b"{bad json"),
    ("k2", br#""good-2""#),
    ("k3", b"not json either"),
    ("k4", br#""good-4""#),
];

fn produce_with_headers(topic: &str, records: &[(&str, &[u8])]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("message.timeout.ms", "30000")
        .create()
        .expect("producer");
    for (key, value) in records {
        let headers = OwnedHeaders::new().insert(Header {
            key: "origin",
            value: Some("it"),
        });
        producer
            .send(
                BaseRecord::to(topic)
                    .key(*key)
                    .payload(*value)
                    .partition(0)
                    .headers(headers),
            )
            .unwrap_or_else(|(e, _)| panic!("produce to {topic}: {e}"));
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("flushing records to {topic}: {e}"));
}

/// The committed offset of `group` on partition 0 of `topic` (`None`: nothing committed).
fn committed(group: &str, topic: &str) -> Option<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let offsets = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .ok()?;
    match offsets.find_partition(topic, 0)?.offset() {
        Offset::Offset(o) => Some(o),
        _ => None,
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `GET /connectors/<name>/status`, parsed (`None` until the worker answers 200).
fn status(port: u16, name: &str) -> Option<Value> {
    let reply = reqwest::blocking::Client::new()
        .get(format!("http://127.0.0.1:{port}/connectors/{name}/status"))
        .timeout(Duration::from_secs(10))
        .send()
        .ok()?;
    if !reply.status().is_success() {
        return None;
    }
    reply.json().ok()
}

/// Starts a worker (REST on a free port) with a FileStreamSink `name` reading `topic` into
/// `output.txt` with the given `errors.*` keys.
fn start_sink(dir: &TestDir, name: &str, topic: &str, errors: &[(&str, &str)]) -> (Sluice, u16) {
    let port = free_port();
    let listeners = format!("http://127.0.0.1:{port}");
    let worker = worker_properties(
        dir,
        &[
            ("listeners", &listeners),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ],
    );
    let output = dir.file("output.txt");
    let output = output.to_string_lossy();
    let mut pairs = vec![
        ("name", name),
        ("connector.class", "FileStreamSink"),
        ("tasks.max", "1"),
        ("file", &output),
        ("topics", topic),
    ];
    pairs.extend_from_slice(errors);
    let connector = dir.properties("sink.properties", &pairs);
    (
        Sluice::standalone(dir, "worker", &worker, &[&connector]),
        port,
    )
}

fn header<'a>(headers: &'a [(String, Option<Vec<u8>>)], key: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_deref())
        .and_then(|v| std::str::from_utf8(v).ok())
}

#[test]
fn tolerance_all_routes_malformed_json_to_the_dlq_and_commits_past_it() {
    let dir = TestDir::new();
    let topic = unique_topic("dlq-in", 1);
    let dlq = unique_name("dlq-out");
    let name = unique_name("dlq-sink");
    produce_with_headers(&topic, &RECORDS);
    let (mut sluice, _) = start_sink(
        &dir,
        &name,
        &topic,
        &[
            ("errors.tolerance", "all"),
            ("errors.log.enable", "true"),
            ("errors.log.include.messages", "true"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ],
    );

    wait_until("three good lines in the sink file", ARRIVAL, || {
        dir.lines("output.txt").len() >= 3
    });
    let group = format!("connect-{name}");
    wait_until(
        "the group's committed offset to move past every record",
        ARRIVAL,
        || committed(&group, &topic) == Some(5),
    );
    // The bad records, in the DLQ topic the worker created, as consumed.
    let bad = consume(&dlq, 2, ARRIVAL);
    let logs = sluice.logs();
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
    assert_eq!(dir.lines("output.txt"), ["good-0", "good-2", "good-4"]);

    assert_eq!(bad.len(), 2, "{bad:?}");
    for (record, (offset, (key, value))) in bad.iter().zip([(1, RECORDS[1]), (3, RECORDS[3])]) {
        assert_eq!(record.key.as_deref(), Some(key.as_bytes()));
        assert_eq!(record.value.as_deref(), Some(value));
        let h = &record.headers;
        assert_eq!(h[0], ("origin".to_string(), Some(b"it".to_vec())), "{h:?}");
        let expect = [
            ("__connect.errors.topic", topic.as_str()),
            ("__connect.errors.partition", "0"),
            ("__connect.errors.offset", &offset.to_string()),
            ("__connect.errors.connector.name", name.as_str()),
            ("__connect.errors.task.id", "0"),
            ("__connect.errors.stage", "VALUE_CONVERTER"),
            (
                "__connect.errors.class.name",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "__connect.errors.exception.class.name",
                "org.apache.kafka.connect.errors.DataException",
            ),
        ];
        for (k, v) in expect {
            assert_eq!(header(h, k), Some(v), "header {k} in {h:?}");
        }
        assert!(header(h, "__connect.errors.exception.message").is_some_and(|m| !m.is_empty()));
        assert!(
            header(h, "__connect.errors.exception.stacktrace")
                .is_some_and(|t| t.starts_with("org.apache.kafka.connect.errors.DataException: ")),
            "{h:?}"
        );
    }
    // errors.log.enable: Java's LogReporter line, with the consumed record's whereabouts.
    assert!(
        logs.contains(&format!(
            "Error encountered in task {name}-0 while performing VALUE_CONVERTER operation with class 'class org.apache.kafka.connect.json.JsonConverter', msg.topic='{topic}', msg.partition=0, msg.offset=1"
        )),
        "{logs}"
    );
}

#[test]
fn tolerance_none_fails_the_task_with_the_cause_and_commits_nothing_after_the_bad_record() {
    let dir = TestDir::new();
    let topic = unique_topic("dlq-none", 1);
    let name = unique_name("none-sink");
    produce_with_headers(
        &topic,
        &[
            ("k0", br#""a""#),
            ("k1", br#""b""#),
            ("k2", b"{broken"),
            ("k3", br#""c""#),
            ("k4", br#""d""#),
        ],
    );
    let (mut sluice, port) = start_sink(&dir, &name, &topic, &[]);
    let task = wait_for("the task to be FAILED in GET status", ARRIVAL, || {
        let s = status(port, &name)?;
        let task = s["tasks"].get(0)?.clone();
        (task["state"] == "FAILED").then_some(task)
    });
    let trace = task["trace"].as_str().unwrap_or_default().to_string();
    assert!(
        trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n"
        ),
        "{trace}"
    );
    assert!(trace.contains("VALUE_CONVERTER"), "{trace}");
    assert!(
        trace.contains(&format!("topic {topic} partition 0 offset 2")),
        "{trace}"
    );
    assert!(
        trace.contains("Caused by: org.apache.kafka.connect.errors.DataException: "),
        "{trace}"
    );
    // Longer than offset.flush.interval.ms: a wrong commit would have happened by now.
    std::thread::sleep(Duration::from_secs(2));
    let group = format!("connect-{name}");
    let committed = committed(&group, &topic);
    assert!(
        committed.is_none_or(|o| o <= 2),
        "committed {committed:?}: nothing at or after the bad record (offset 2) may be"
    );
    let lines = dir.lines("output.txt");
    assert!(
        !lines.iter().any(|l| l == "c" || l == "d"),
        "records after the bad one reached the sink: {lines:?}"
    );
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
}
