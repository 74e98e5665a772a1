//! The task against the in-process Elasticsearch test server.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use sluice_api::connector::sink_record;
use sluice_api::{schemas, SchemaBuilder, SinkTask, Struct, TopicPartition, Value};
use sluice_testkit::{EsTestServer, ItemFault};

use super::support::{commit_until, delivered, position, props, start};
use crate::elasticsearch::processor::INDEXING_FAILED;
use crate::elasticsearch::task::BUFFER_FULL;

fn tp(t: &str, p: i32) -> TopicPartition {
    TopicPartition::new(t, p)
}

fn tutorial(url: &str) -> sluice_api::Props {
    props(
        url,
        &[
            ("topic.index.map", "position:position_index"),
            ("type.name", "log"),
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
        ],
    )
}

fn positions(partitions: i32, per_partition: i64) -> Vec<sluice_api::SinkRecord> {
    let mut v = Vec::new();
    for o in 0..per_partition {
        for p in 0..partitions {
            v.push(position("position", p, o, i64::from(p) * 1000 + o % 7));
        }
    }
    v
}

#[tokio::test]
async fn tutorial_config_indexes_every_record_into_index_named_after_the_topic() {
    let es = EsTestServer::start().await.unwrap();
    let mut h = start(
        tutorial(es.url()),
        &[("position", 0), ("position", 1)],
        None,
    )
    .await
    .unwrap();
    let records = positions(2, 500);
    let delivered = delivered(&records);
    for chunk in records.chunks(100) {
        h.task.put(chunk).await.unwrap();
    }
    let expected: HashMap<_, _> = [(tp("position", 0), 500), (tp("position", 1), 500)].into();
    assert_eq!(
        commit_until(&mut h.task, &delivered, &expected).await,
        expected
    );
    assert_eq!(es.count("position"), 1000);
    assert!(
        !es.index_exists("position_index"),
        "topic.index.map is a legacy key, ignored"
    );
    let doc = es.get("position", "position+1+499").expect("document");
    assert_eq!(doc.source["latitude"], json!(52.0499));
    assert_eq!(doc.version, 1, "ignored keys: no external versioning");
    // ES 8: compatibility headers on every call, bulk with timeout=1m.
    let requests = es.requests();
    let bulk = requests
        .iter()
        .find(|r| r.path == "/_bulk")
        .expect("a bulk request");
    assert_eq!(bulk.query.as_deref(), Some("timeout=1m"));
    assert_eq!(
        bulk.content_type.as_deref(),
        Some("application/vnd.elasticsearch+json; compatible-with=7")
    );
    assert_eq!(
        bulk.accept.as_deref(),
        Some("application/vnd.elasticsearch+json; compatible-with=7")
    );
    h.task.stop().await.unwrap();
}

#[tokio::test]
async fn elasticsearch_7_gets_plain_json() {
    let es = EsTestServer::start_with_version("7.17.9").await.unwrap();
    let mut h = start(tutorial(es.url()), &[("position", 0)], None)
        .await
        .unwrap();
    let records = positions(1, 10);
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    assert_eq!(es.count("position"), 10);
    let bulk = es
        .requests()
        .into_iter()
        .find(|r| r.path == "/_bulk")
        .unwrap();
    assert_eq!(bulk.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn keyed_upserts_merge_and_tombstones_delete() {
    let es = EsTestServer::start().await.unwrap();
    let config = props(
        es.url(),
        &[
            ("schema.ignore", "true"),
            ("write.method", "upsert"),
            ("behavior.on.null.values", "delete"),
        ],
    );
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    let mut a = sink_record("position", 0, 0);
    a.key = Value::from("courier-1");
    a.value = Value::string_map([
        ("latitude", Value::Float64(1.0)),
        ("name", Value::from("Ann")),
    ]);
    let mut b = sink_record("position", 0, 1);
    b.key = Value::from("courier-1");
    b.value = Value::string_map([("latitude", Value::Float64(2.0))]);
    let mut c = sink_record("position", 0, 2);
    c.key = Value::from("courier-2");
    c.value = Value::string_map([("latitude", Value::Float64(3.0))]);
    let records = vec![a, b, c];
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    let doc = es.get("position", "courier-1").unwrap();
    assert_eq!(doc.source, json!({"latitude": 2.0, "name": "Ann"}));
    assert_eq!(es.count("position"), 2);

    let mut tomb = sink_record("position", 0, 3);
    tomb.key = Value::from("courier-2");
    h.task.put(&[tomb.clone()]).await.unwrap();
    h.task.flush(&delivered(&[tomb])).await.unwrap();
    assert!(es.get("position", "courier-2").is_none());
    assert_eq!(es.count("position"), 1);
    let expected: HashMap<_, _> = [(tp("position", 0), 4)].into();
    assert_eq!(
        commit_until(&mut h.task, &expected, &expected).await,
        expected
    );
}

#[tokio::test]
async fn keyed_inserts_are_versioned_by_offset_and_redelivery_is_harmless() {
    let es = EsTestServer::start().await.unwrap();
    let config = props(es.url(), &[("schema.ignore", "true")]);
    let records: Vec<_> = (0..20).map(|o| position("position", 0, o, o % 4)).collect();
    let mut h = start(config.clone(), &[("position", 0)], None)
        .await
        .unwrap();
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    assert_eq!(es.count("position"), 4);
    assert_eq!(es.get("position", "courier-3").unwrap().version, 19);
    h.task.stop().await.unwrap();

    // A restarted task gets the same records again: version conflicts, ignored.
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    assert_eq!(es.stats().version_conflicts, 20);
    let expected: HashMap<_, _> = [(tp("position", 0), 20)].into();
    assert_eq!(
        commit_until(&mut h.task, &expected, &expected).await,
        expected
    );
    assert_eq!(es.get("position", "courier-3").unwrap().version, 19);
}

fn person_schema() -> sluice_api::SchemaRef {
    SchemaBuilder::struct_()
        .field("name", schemas::string())
        .unwrap()
        .field("age", schemas::optional_int32())
        .unwrap()
        .field(
            "at",
            sluice_api::logical::timestamp().optional().build_ref(),
        )
        .unwrap()
        .build_ref()
}

#[tokio::test]
async fn schema_aware_records_create_the_mapping_first() {
    let es = EsTestServer::start().await.unwrap();
    let config = props(es.url(), &[("topics", "people"), ("key.ignore", "true")]);
    let mut h = start(config, &[("people", 0)], None).await.unwrap();
    let schema = person_schema();
    let mut st = Struct::new(schema.clone());
    st.put("name", Value::from("Ann")).unwrap();
    st.put("at", Value::Date(1_700_000_000_000)).unwrap();
    let mut r = sink_record("people", 0, 0);
    r.value_schema = Some(schema);
    r.value = Value::Struct(st);
    h.task.put(&[r.clone()]).await.unwrap();
    h.task.flush(&delivered(&[r])).await.unwrap();
    assert_eq!(
        es.mapping("people").unwrap()["properties"],
        json!({
            "name": {"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},
            "age": {"type":"integer"},
            "at": {"type":"date"},
        })
    );
    assert_eq!(
        es.get("people", "people+0+0").unwrap().source,
        json!({"name":"Ann","age":null,"at":1_700_000_000_000_i64})
    );
    let puts = es
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path == "/people/_mapping")
        .count();
    assert_eq!(puts, 1);
}

#[tokio::test]
async fn schemaless_record_without_schema_ignore_fails_on_mapping() {
    let es = EsTestServer::start().await.unwrap();
    let mut h = start(
        props(es.url(), &[("key.ignore", "true")]),
        &[("position", 0)],
        None,
    )
    .await
    .unwrap();
    let err = h
        .task
        .put(&[position("position", 0, 0, 1)])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Cannot infer mapping without schema.");
}

#[tokio::test]
async fn storms_of_429_and_500s_are_retried_with_nothing_lost_or_duplicated() {
    let es = EsTestServer::start().await.unwrap();
    es.fail_next_bulks(500, 3);
    es.storm(429, 400, 42);
    let config = props(
        es.url(),
        &[
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
            ("batch.size", "50"),
            ("max.in.flight.requests", "4"),
            ("max.retries", "30"),
        ],
    );
    let mut h = start(config, &[("position", 0), ("position", 1)], None)
        .await
        .unwrap();
    let records = positions(2, 1000);
    let delivered = delivered(&records);
    for chunk in records.chunks(250) {
        h.task.put(chunk).await.unwrap();
    }
    let expected: HashMap<_, _> = [(tp("position", 0), 1000), (tp("position", 1), 1000)].into();
    assert_eq!(
        commit_until(&mut h.task, &delivered, &expected).await,
        expected
    );
    let stats = es.stats();
    assert!(stats.bulk_requests_failed >= 3 + 5, "{stats:?}");
    assert_eq!(es.count("position"), 2000);
    // Every document written exactly once: version 1 everywhere.
    assert!(es.docs("position").iter().all(|(_, d)| d.version == 1));
    assert_eq!(
        stats.bulk_items, 2000,
        "no item sent twice after success: {stats:?}"
    );
}

#[tokio::test]
async fn exhausted_retries_fail_the_task_and_commit_nothing() {
    let es = EsTestServer::start().await.unwrap();
    es.fail_next_bulks(503, 100);
    let config = props(
        es.url(),
        &[
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
            ("max.retries", "2"),
        ],
    );
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    let records = positions(1, 5);
    h.task.put(&records.clone()).await.unwrap();
    let err = h.task.flush(&delivered(&records)).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Failed to execute bulk request due to 'status 503")
            && err.to_string().ends_with("after 3 attempt(s)"),
        "{err}"
    );
    assert_eq!(es.stats().bulk_requests, 3);
    let err = h
        .task
        .pre_commit(&delivered(&records))
        .await
        .expect_err("pre_commit reports the stored failure");
    assert!(
        err.to_string()
            .starts_with("Failed to execute bulk request"),
        "{err}"
    );
    assert!(
        h.task.put(&positions(1, 1)).await.is_err(),
        "the task stays failed"
    );
}

#[tokio::test]
async fn rejected_items_are_sent_again() {
    let es = EsTestServer::start().await.unwrap();
    es.fail_items("+0+3", ItemFault::Rejected, Some(2));
    let config = props(
        es.url(),
        &[("key.ignore", "true"), ("schema.ignore", "true")],
    );
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    let records = positions(1, 10);
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    assert_eq!(es.count("position"), 10);
}

async fn malformed_run(
    behavior: &str,
    tolerate: Option<bool>,
) -> (
    EsTestServer,
    super::support::Harness,
    Result<(), sluice_api::ConnectError>,
) {
    let es = EsTestServer::start().await.unwrap();
    es.create_index(
        "position",
        &json!({"mappings":{"properties":{"latitude":{"type":"double"}}}}),
    )
    .unwrap();
    let config = props(
        es.url(),
        &[
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
            ("behavior.on.malformed.documents", behavior),
        ],
    );
    let mut h = start(config, &[("position", 0)], tolerate).await.unwrap();
    let mut records = positions(1, 10);
    records[5].value = Value::string_map([("latitude", Value::from("north"))]);
    h.task.put(&records.clone()).await.unwrap();
    let result = h.task.flush(&delivered(&records)).await;
    (es, h, result)
}

#[tokio::test]
async fn malformed_documents_ignore_and_warn_skip_and_report_to_the_dlq() {
    for behavior in ["ignore", "warn"] {
        let (es, mut h, result) = malformed_run(behavior, Some(true)).await;
        result.unwrap();
        assert_eq!(es.count("position"), 9, "{behavior}");
        let expected: HashMap<_, _> = [(tp("position", 0), 10)].into();
        assert_eq!(
            commit_until(&mut h.task, &expected, &expected).await,
            expected
        );
        let reports = h.reports.lock().unwrap().clone();
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].0, "position-0-5");
        assert!(
            reports[0].1.starts_with(
                "Indexing failed: mapper_parsing_exception: failed to parse field [latitude]"
            ),
            "{reports:?}"
        );
    }
}

#[tokio::test]
async fn malformed_documents_fail_the_task_and_block_the_offset() {
    let (es, mut h, result) = malformed_run("fail", None).await;
    assert_eq!(result.unwrap_err().to_string(), INDEXING_FAILED);
    assert_eq!(es.count("position"), 9);
    let delivered: HashMap<_, _> = [(tp("position", 0), 10)].into();
    // The failure is reported by pre_commit too (issue 9, item 8): the runtime fails the task
    // and commits nothing past the failed record (nor the acknowledged prefix before it, which
    // is written again idempotently after a restart).
    let err = h.task.pre_commit(&delivered).await.unwrap_err();
    assert_eq!(err.to_string(), INDEXING_FAILED);
}

#[tokio::test]
async fn dlq_with_tolerance_none_fails_the_task() {
    let (_es, _h, result) = malformed_run("warn", Some(false)).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "Tolerance exceeded in error handler"
    );
}

#[tokio::test]
async fn null_values_ignored_are_reported_and_invalid_records_dropped() {
    let es = EsTestServer::start().await.unwrap();
    let config = props(
        es.url(),
        &[
            ("schema.ignore", "true"),
            ("behavior.on.null.values", "ignore"),
            ("drop.invalid.message", "true"),
        ],
    );
    let mut h = start(config, &[("position", 0)], Some(true)).await.unwrap();
    let mut tomb = sink_record("position", 0, 0);
    tomb.key = Value::from("k");
    let mut no_key = position("position", 0, 1, 1);
    no_key.key = Value::Null;
    let ok = position("position", 0, 2, 2);
    let records = vec![tomb, no_key, ok];
    h.task.put(&records.clone()).await.unwrap();
    let expected: HashMap<_, _> = [(tp("position", 0), 3)].into();
    assert_eq!(
        commit_until(&mut h.task, &expected, &expected).await,
        expected
    );
    assert_eq!(es.count("position"), 1);
    let reports = h.reports.lock().unwrap().clone();
    assert_eq!(
        reports,
        vec![
            (
                "position-0-0".to_string(),
                "Cannot write null valued record.".to_string()
            ),
            (
                "position-0-1".to_string(),
                "Key is used as document id and can not be null.".to_string()
            ),
        ]
    );
    // Confluent reports the ignored null value as a ConnectException, the conversion failure
    // as a DataException.
    assert_eq!(
        h.classes.lock().unwrap().clone(),
        vec![
            "org.apache.kafka.connect.errors.ConnectException",
            "org.apache.kafka.connect.errors.DataException"
        ]
    );
}

#[tokio::test]
async fn in_flight_requests_are_bounded_and_back_pressure_waits() {
    let es = EsTestServer::start().await.unwrap();
    es.set_delay(Duration::from_millis(100));
    let config = props(
        es.url(),
        &[
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
            ("batch.size", "10"),
            ("max.in.flight.requests", "3"),
            ("max.buffered.records", "30"),
            ("read.timeout.ms", "10000"),
        ],
    );
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    let records = positions(1, 120);
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    assert_eq!(es.count("position"), 120);
    let max = es.stats().max_concurrent_bulks;
    assert!((2..=3).contains(&max), "max concurrent bulks {max}");
}

#[tokio::test]
async fn a_full_buffer_fails_put_after_flush_timeout() {
    let es = EsTestServer::start().await.unwrap();
    es.set_delay(Duration::from_secs(3));
    let config = props(
        es.url(),
        &[
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
            ("batch.size", "5"),
            ("max.in.flight.requests", "1"),
            ("max.buffered.records", "5"),
            ("flush.timeout.ms", "1000"),
            ("read.timeout.ms", "10000"),
        ],
    );
    // The delay applies to index creation too: create it first.
    es.create_index("position", &json!({})).unwrap();
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    let err = h.task.put(&positions(1, 20)).await.unwrap_err();
    assert_eq!(err.to_string(), BUFFER_FULL);
}

#[tokio::test]
async fn topic_mutating_transforms_are_refused_unless_flushing_synchronously() {
    let es = EsTestServer::start().await.unwrap();
    let base = [("key.ignore", "true"), ("schema.ignore", "true")];
    let mut h = start(props(es.url(), &base), &[("position", 0)], None)
        .await
        .unwrap();
    let err = h
        .task
        .put(&[position("renamed", 0, 0, 1)])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Found a topic name 'renamed' that doesn't match assigned partitions. Connector doesn't support topic mutating SMTs"
    );
    // Also after records of an assigned partition in the same `put` (the assignment is looked
    // up once per run of records of one partition).
    let mut h = start(props(es.url(), &base), &[("position", 0)], None)
        .await
        .unwrap();
    let err = h
        .task
        .put(&[
            position("position", 0, 0, 1),
            position("position", 0, 1, 1),
            position("renamed", 0, 2, 1),
        ])
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("Found a topic name 'renamed'"),
        "{err}"
    );
    let mut sync = base.to_vec();
    sync.push(("flush.synchronously", "true"));
    let mut h = start(props(es.url(), &sync), &[("position", 0)], None)
        .await
        .unwrap();
    let r = position("renamed", 0, 0, 1);
    h.task.put(&[r]).await.unwrap();
    let delivered: HashMap<_, _> = [(tp("position", 0), 1)].into();
    assert_eq!(h.task.pre_commit(&delivered).await.unwrap(), delivered);
    assert_eq!(es.count("renamed"), 1);
}

#[tokio::test]
async fn data_streams_are_created_and_get_timestamps() {
    let es = EsTestServer::start().await.unwrap();
    let config = props(
        es.url(),
        &[
            ("schema.ignore", "true"),
            ("data.stream.type", "logs"),
            ("data.stream.dataset", "fleet"),
        ],
    );
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    let records = positions(1, 3);
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    assert!(es.is_data_stream("logs-fleet-position"));
    let doc = es.get("logs-fleet-position", "courier-2").unwrap();
    assert_eq!(doc.source["@timestamp"], json!(1_700_000_000_002_i64));
}

#[tokio::test]
#[ignore = "needs a real Elasticsearch: SLUICE_TEST_ES_URL=http://host:9200 cargo test -p sluice-connectors -- --ignored against_real_elasticsearch"]
async fn against_real_elasticsearch_when_configured() {
    let url = std::env::var("SLUICE_TEST_ES_URL")
        .expect("SLUICE_TEST_ES_URL names the Elasticsearch to run against");
    let topic = format!("sluice-it-{}", std::process::id());
    let mut config = tutorial(&url);
    config.insert("topics".into(), topic.clone());
    let mut h = start(config, &[(&topic, 0)], None).await.unwrap();
    let records: Vec<_> = (0..100).map(|o| position(&topic, 0, o, o % 5)).collect();
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    let expected: HashMap<_, _> = [(tp(&topic, 0), 100)].into();
    assert_eq!(
        commit_until(&mut h.task, &expected, &expected).await,
        expected
    );
    h.task.stop().await.unwrap();
}
