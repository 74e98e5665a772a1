//! End to end: the real broker, the `sluice` binary running the Elasticsearch sink, and the
//! in-process Elasticsearch test server (issue 5, "Must show").
//!
//! * the Confluent tutorial JSON POSTed to the REST API indexes every record;
//! * the `@timestamp` variant (InsertField$Value) carries the Kafka record timestamp;
//! * key.ignore=false with write.method=upsert updates documents, tombstones delete them;
//! * 429 storms and 500s are retried: nothing lost, nothing duplicated;
//! * kill -9 of the worker mid-stream, restart: every record indexed;
//! * a malformed document fails the task without any further record (issue 9, item 8);
//! * deleting a connector whose bulk requests are being retried: no request after the DELETE
//!   answered (issue 9, item 7).
//!
//! Needs the broker of `scripts/services start` (or `SLUICE_BOOTSTRAP_SERVERS`); fails, never
//! skips, when it is unreachable.

mod common;
mod rest_util;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{json, Value};
use sluice_testkit::{EsTestServer, ItemFault};

use common::{bootstrap_servers, produce, unique_name, unique_topic, TestDir};
use rest_util::{connector_state, task_states, RestWorker};

/// Bound for records to travel from the broker through the worker into the index.
const ARRIVAL: Duration = Duration::from_secs(120);

/// The test server, with the runtime that serves it (the tests themselves are blocking).
struct Es {
    server: EsTestServer,
    // Dropped after `server`: the server's task runs on it.
    _runtime: tokio::runtime::Runtime,
}

impl Es {
    fn start() -> Es {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(EsTestServer::start())
            .expect("Elasticsearch test server");
        Es {
            server,
            _runtime: runtime,
        }
    }
}

/// The JSON value of courier position `i` (what the example generator writes).
fn position(i: u64) -> Value {
    json!({
        "courier": format!("courier-{:03}", i % 50),
        "seq": i,
        "latitude": 52.52 + (i % 1000) as f64 * 1e-5,
        "longitude": 13.405 - (i % 700) as f64 * 1e-5,
    })
}

/// [`position`] as it comes out of a JSON parse of its text: serde_json (built here without
/// `float_roundtrip`, like the converters and the test server) may parse a 17-digit double to
/// its neighbour, so documents are compared with the parsed text, not the computed value.
fn parsed_position(i: u64) -> Value {
    serde_json::from_str(&position(i).to_string()).expect("position JSON")
}

/// Produces positions `range` (key: the courier id as a JSON string) with record timestamps
/// `ts_base + i`, and waits until all are acknowledged.
fn produce_positions(topic: &str, range: std::ops::Range<u64>, ts_base: i64) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("message.timeout.ms", "30000")
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for i in range {
        let value = position(i).to_string();
        let key = format!("\"courier-{:03}\"", i % 50);
        let ts = ts_base + i64::try_from(i).expect("small index");
        let mut record = BaseRecord::<str, str>::to(topic)
            .key(&key)
            .payload(&value)
            .timestamp(ts);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, back)) => {
                    // Queue full: let deliveries drain, then try again.
                    assert!(
                        matches!(
                            e,
                            rdkafka::error::KafkaError::MessageProduction(
                                rdkafka::types::RDKafkaErrorCode::QueueFull
                            )
                        ),
                        "produce to {topic}: {e}"
                    );
                    producer.poll(Duration::from_millis(50));
                    record = back;
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("flushing records to {topic}: {e}"));
}

/// Waits (bounded by [`ARRIVAL`]) until `done` holds; on timeout fails with what the index,
/// the server and the worker say.
fn wait_indexed(es: &Es, worker: &RestWorker, index: &str, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + ARRIVAL;
    while !done() {
        if Instant::now() >= deadline {
            let status = worker
                .try_call("GET", "/connectors?expand=status", None)
                .map(|r| r.json);
            panic!(
                "timed out after {ARRIVAL:?} waiting for {what}: index {index} has {} documents; \
                 server stats {:?}; connector status {status:?}; the worker printed:\n{}",
                es.server.count(index),
                es.server.stats(),
                tail(&worker.sluice.logs(), 60),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The ids the sink gives records when keys are ignored: `topic+partition+offset`.
fn offset_ids(topic: &str, n: u64) -> BTreeSet<String> {
    (0..n).map(|o| format!("{topic}+0+{o}")).collect()
}

fn ids(es: &Es, index: &str) -> BTreeSet<String> {
    es.server
        .docs(index)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// POSTs a connector and asserts the 201 answer.
fn post_connector(worker: &RestWorker, body: &Value) {
    let r = worker.call("POST", "/connectors", Some(&body.to_string()));
    assert_eq!(
        r.status,
        201,
        "POST /connectors answered {}: {}\nthe worker printed:\n{}",
        r.status,
        r.json,
        tail(&worker.sluice.logs(), 40)
    );
    assert_eq!(r.json["name"], body["name"]);
    assert_eq!(r.json["type"], "sink");
}

/// The connector and its task are RUNNING (checked at the end: no failure went unnoticed).
fn assert_running(worker: &RestWorker, name: &str) {
    let s = worker
        .call("GET", &format!("/connectors/{name}/status"), None)
        .json;
    assert_eq!(connector_state(&s), "RUNNING", "{s}");
    assert_eq!(task_states(&s), ["RUNNING"], "{s}");
}

/// The Confluent quick start's connector config with the test's topic, connector name and
/// server URL in place of `position`, `elasticsearch-sink` and `http://elasticsearch:9200`.
fn tutorial_config(name: &str, topic: &str, url: &str) -> Value {
    json!({
      "name": name,
      "config": {
        "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        "tasks.max": "1", "topics": topic, "topic.index.map": format!("{topic}:{topic}_index"),
        "connection.url": url, "type.name": "log",
        "key.ignore": "true", "schema.ignore": "true",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"
      }
    })
}

/// (a) The tutorial JSON POSTed to a running worker: 201, and every record of the topic is
/// indexed in the index named after the topic (current connectors ignore topic.index.map),
/// with the record's value as the document.
#[test]
fn tutorial_json_indexes_every_position() {
    const N: u64 = 2_000;
    let es = Es::start();
    let topic = unique_topic("position", 1);
    produce_positions(&topic, 0..N / 2, 1_700_000_000_000);

    let dir = TestDir::new();
    let worker = RestWorker::start(&dir, "worker", &[], &[]);
    let name = unique_name("elasticsearch-sink");
    post_connector(&worker, &tutorial_config(&name, &topic, es.server.url()));

    // Records produced while the connector runs are indexed too.
    produce_positions(&topic, N / 2..N, 1_700_000_000_000);
    wait_indexed(&es, &worker, &topic, "every position indexed", || {
        es.server.count(&topic) >= usize::try_from(N).unwrap()
    });

    assert_eq!(es.server.count(&topic), usize::try_from(N).unwrap());
    assert_eq!(ids(&es, &topic), offset_ids(&topic, N));
    assert!(
        !es.server.index_exists(&format!("{topic}_index")),
        "topic.index.map is a legacy key current connectors ignore: {:?}",
        es.server.index_names()
    );
    for o in [0, N / 2, N - 1] {
        let doc = es
            .server
            .get(&topic, &format!("{topic}+0+{o}"))
            .expect("document");
        assert_eq!(doc.source, parsed_position(o));
    }
    assert_running(&worker, &name);
}

/// (b) The `@timestamp` variant: InsertField$Value timestamp.field=@timestamp puts the Kafka
/// record timestamp (epoch milliseconds) into every document.
#[test]
fn timestamp_variant_carries_the_record_timestamp() {
    const N: u64 = 500;
    const TS_BASE: i64 = 1_714_000_000_000;
    let es = Es::start();
    let topic = unique_topic("position-ts", 1);
    produce_positions(&topic, 0..N, TS_BASE);

    let dir = TestDir::new();
    let worker = RestWorker::start(&dir, "worker", &[], &[]);
    let name = unique_name("elasticsearch-sink-timestamp");
    let mut body = tutorial_config(&name, &topic, es.server.url());
    let config = body["config"].as_object_mut().expect("config");
    config.remove("topic.index.map");
    config.remove("type.name");
    config.insert("transforms".into(), json!("addTimestamp"));
    config.insert(
        "transforms.addTimestamp.type".into(),
        json!("org.apache.kafka.connect.transforms.InsertField$Value"),
    );
    config.insert(
        "transforms.addTimestamp.timestamp.field".into(),
        json!("@timestamp"),
    );
    post_connector(&worker, &body);

    wait_indexed(&es, &worker, &topic, "every position indexed", || {
        es.server.count(&topic) >= usize::try_from(N).unwrap()
    });
    let docs = es.server.docs(&topic);
    assert_eq!(docs.len(), usize::try_from(N).unwrap());
    for (id, doc) in docs {
        let offset: i64 = id.rsplit('+').next().unwrap().parse().expect("offset id");
        let mut expected = parsed_position(u64::try_from(offset).unwrap());
        expected["@timestamp"] = json!(TS_BASE + offset);
        assert_eq!(doc.source, expected, "document {id}");
    }
    assert_running(&worker, &name);
}

/// (c) key.ignore=false, write.method=upsert: the key is the document id, later records for a
/// key update (merge into) its document, and tombstones delete it with
/// behavior.on.null.values=delete.
#[test]
fn keyed_upserts_update_and_tombstones_delete() {
    let es = Es::start();
    let topic = unique_topic("position-upsert", 1);
    let keys: Vec<String> = (0..5).map(|k| format!("courier-{k}")).collect();
    let json_key = |k: &str| format!("\"{k}\"");

    // Three rounds of updates per key; only the first carries `first_seen`.
    let mut records: Vec<(String, Option<String>)> = Vec::new();
    for round in 0..3u64 {
        for (k, key) in keys.iter().enumerate() {
            let mut value = json!({"courier": key, "round": round, "latitude": 52.0 + k as f64});
            if round == 0 {
                value["first_seen"] = json!(true);
            }
            records.push((json_key(key), Some(value.to_string())));
        }
    }
    // Tombstones for the first two couriers.
    for key in &keys[..2] {
        records.push((json_key(key), None));
    }
    let raw: Vec<_> = records
        .iter()
        .map(|(k, v)| (Some(k.as_bytes()), v.as_deref().map(str::as_bytes)))
        .collect();
    produce(&topic, &raw);

    let dir = TestDir::new();
    let worker = RestWorker::start(&dir, "worker", &[], &[]);
    let name = unique_name("elasticsearch-upsert");
    let mut body = tutorial_config(&name, &topic, es.server.url());
    let config = body["config"].as_object_mut().expect("config");
    config.remove("topic.index.map");
    config.remove("type.name");
    config.insert("key.ignore".into(), json!("false"));
    config.insert("write.method".into(), json!("upsert"));
    config.insert("behavior.on.null.values".into(), json!("delete"));
    post_connector(&worker, &body);

    // Done when the surviving keys carry their last round and the deleted keys are gone.
    wait_indexed(&es, &worker, &topic, "upserts and deletes applied", || {
        keys[2..].iter().all(|k| {
            es.server
                .get(&topic, k)
                .is_some_and(|d| d.source["round"] == 2)
        }) && keys[..2].iter().all(|k| es.server.get(&topic, k).is_none())
            && es.server.stats().bulk_items >= u64::try_from(records.len()).unwrap()
    });

    let docs: BTreeMap<String, Value> = es
        .server
        .docs(&topic)
        .into_iter()
        .map(|(id, d)| (id, d.source))
        .collect();
    assert_eq!(
        docs.keys().cloned().collect::<Vec<_>>(),
        keys[2..].to_vec(),
        "{docs:?}"
    );
    for (k, key) in keys.iter().enumerate().skip(2) {
        assert_eq!(
            docs[key],
            json!({"courier": key, "round": 2, "latitude": 52.0 + k as f64, "first_seen": true}),
            "an upsert merges into the document written by the earlier records"
        );
        let doc = es.server.get(&topic, key).expect("document");
        assert_eq!(doc.version, 3, "one write per record for {key}");
    }
    assert_running(&worker, &name);
}

/// (d) Whole-request 500s, then a 429 storm for the rest of the run: every record indexed,
/// exactly once (each document written once: internal version 1).
#[test]
fn storms_of_429_and_500s_lose_and_duplicate_nothing() {
    const N: u64 = 3_000;
    let es = Es::start();
    es.server.fail_next_bulks(500, 4);
    es.server.storm(429, 400, 42);
    let topic = unique_topic("position-storm", 1);
    produce_positions(&topic, 0..N, 1_700_000_000_000);

    let dir = TestDir::new();
    let worker = RestWorker::start(&dir, "worker", &[], &[]);
    let name = unique_name("elasticsearch-storm");
    let mut body = tutorial_config(&name, &topic, es.server.url());
    let config = body["config"].as_object_mut().expect("config");
    config.remove("topic.index.map");
    config.remove("type.name");
    // Small batches for many bulk requests; enough retries that a 40 % storm never exhausts
    // them (0.4^31), short backoff to keep the test quick.
    config.insert("batch.size".into(), json!("100"));
    config.insert("max.retries".into(), json!("30"));
    config.insert("retry.backoff.ms".into(), json!("10"));
    post_connector(&worker, &body);

    wait_indexed(&es, &worker, &topic, "every position indexed", || {
        es.server.count(&topic) >= usize::try_from(N).unwrap()
    });
    let stats = es.server.stats();
    assert!(
        stats.bulk_requests_failed >= 5,
        "the faults were injected: {stats:?}"
    );
    let docs = es.server.docs(&topic);
    assert_eq!(docs.len(), usize::try_from(N).unwrap());
    assert_eq!(ids(&es, &topic), offset_ids(&topic, N));
    let rewritten: Vec<_> = docs
        .iter()
        .filter(|(_, d)| d.version != 1)
        .map(|(id, d)| (id.clone(), d.version))
        .collect();
    assert!(
        rewritten.is_empty(),
        "documents written more than once: {rewritten:?}"
    );
    assert_eq!(
        stats.bulk_items, N,
        "every record sent in exactly one executed bulk item: {stats:?}"
    );
    assert_running(&worker, &name);
}

/// (e) SIGKILL of the worker while records stream in, restart with the same config: every
/// record ends up indexed (ids topic+partition+offset make re-delivery idempotent).
#[test]
fn kill_9_mid_stream_then_restart_indexes_everything() {
    const N: u64 = 20_000;
    let es = Es::start();
    // Slow responses so that the kill lands with bulks in flight.
    es.server.set_delay(Duration::from_millis(20));
    let topic = unique_topic("position-kill", 1);
    let name = unique_name("elasticsearch-kill");
    let dir = TestDir::new();
    let connector: PathBuf = dir.properties(
        "connector.properties",
        &[
            ("name", &name),
            (
                "connector.class",
                "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
            ),
            ("tasks.max", "1"),
            ("topics", &topic),
            ("connection.url", es.server.url()),
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
            ("batch.size", "200"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("key.converter.schemas.enable", "false"),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ],
    );

    // The killed member stays in the consumer group until its session times out: keep that
    // short (as the worker's own pipeline tests do) so the restarted worker gets the partition
    // well within the bound.
    let consumer_keys = [
        ("consumer.session.timeout.ms", "6000"),
        ("consumer.heartbeat.interval.ms", "500"),
    ];
    produce_positions(&topic, 0..N / 4, 1_700_000_000_000);
    let mut first = RestWorker::start(&dir, "first", &consumer_keys, &[&connector]);
    let producer_topic = topic.clone();
    let producer = std::thread::spawn(move || {
        produce_positions(&producer_topic, N / 4..N, 1_700_000_000_000);
    });
    wait_indexed(&es, &first, &topic, "a first part indexed", || {
        es.server.count(&topic) >= usize::try_from(N / 8).unwrap()
    });
    first.sluice.kill();
    let at_kill = es.server.count(&topic);
    assert!(
        at_kill < usize::try_from(N).unwrap(),
        "the kill must land mid-stream (all {at_kill} already indexed); raise N"
    );
    producer.join().expect("producer thread");

    es.server.set_delay(Duration::ZERO);
    let second = RestWorker::start(&dir, "second", &consumer_keys, &[&connector]);
    wait_indexed(&es, &second, &topic, "every position indexed", || {
        es.server.count(&topic) >= usize::try_from(N).unwrap()
    });
    assert_eq!(es.server.count(&topic), usize::try_from(N).unwrap());
    assert_eq!(ids(&es, &topic), offset_ids(&topic, N));
    for (id, doc) in es.server.docs(&topic) {
        let offset: u64 = id.rsplit('+').next().unwrap().parse().expect("offset id");
        assert_eq!(doc.source, parsed_position(offset), "document {id}");
    }
    assert_running(&second, &name);
}

/// Issue 9, item 8: a bulk item failing under `behavior.on.malformed.documents=fail` after the
/// last record was put fails the task (at the next commit at the latest, through `pre_commit`)
/// with the error as its trace; the task does not stay RUNNING waiting for records.
#[test]
fn a_malformed_document_fails_the_task_without_further_records() {
    let es = Es::start();
    let topic = unique_topic("position-malformed", 1);
    es.server
        .fail_items(&format!("{topic}+0+5"), ItemFault::MapperParsing, None);
    produce_positions(&topic, 0..10, 1_700_000_000_000);
    let dir = TestDir::new();
    let worker = RestWorker::start(&dir, "worker", &[("offset.flush.interval.ms", "1000")], &[]);
    let name = unique_name("elasticsearch-malformed");
    let mut body = tutorial_config(&name, &topic, es.server.url());
    body["config"]["behavior.on.malformed.documents"] = json!("fail");
    post_connector(&worker, &body);
    let status = worker.wait_status(&name, "the task FAILED", |s| task_states(s) == ["FAILED"]);
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("Indexing record failed. Please check DLQ topic for errors."),
        "{status}"
    );
}

/// Issue 9, item 7: once `DELETE /connectors/{name}` answered, none of the connector's bulk
/// requests (here retried without end against a failing server) reaches Elasticsearch.
#[test]
fn deleting_a_connector_stops_its_bulk_requests() {
    let es = Es::start();
    es.server.fail_next_bulks(500, u64::MAX);
    let topic = unique_topic("position-delete", 1);
    produce_positions(&topic, 0..5, 1_700_000_000_000);
    let dir = TestDir::new();
    let worker = RestWorker::start(&dir, "worker", &[], &[]);
    let name = unique_name("elasticsearch-delete");
    let mut body = tutorial_config(&name, &topic, es.server.url());
    let config = body["config"].as_object_mut().expect("config");
    config.insert("max.retries".into(), json!("1000000"));
    config.insert("retry.backoff.ms".into(), json!("0"));
    config.insert("flush.timeout.ms".into(), json!("1000"));
    post_connector(&worker, &body);
    es.server.set_delay(Duration::from_millis(20));
    wait_indexed(&es, &worker, &topic, "bulk requests being retried", || {
        es.server.stats().bulk_requests >= 5
    });
    let r = worker.call("DELETE", &format!("/connectors/{name}"), None);
    assert_eq!(r.status, 204, "{}", r.json);
    let at_delete = es.server.stats().bulk_requests;
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        es.server.stats().bulk_requests,
        at_delete,
        "bulk requests after DELETE answered; the worker printed:\n{}",
        tail(&worker.sluice.logs(), 40)
    );
    assert_eq!(es.server.count(&topic), 0);
}
