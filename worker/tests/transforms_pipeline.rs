//! End to end through the real broker: transform chains configured as in Kafka's and
//! Confluent's documentation (issue 3, "Must show").
//!
//! * a file source with `transforms=MakeMap,InsertSource` (HoistField$Value field=line,
//!   InsertField$Value static.field=data_source) writes the documented records;
//! * a sink with RegexRouter and InsertField$Value timestamp.field writes to the routed
//!   destination (an Elasticsearch index named after the routed topic).
//!
//! Needs the broker of `scripts/services start`; fails, never skips, when it is unreachable.

mod common;

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{json, Value};
use sluice_testkit::EsTestServer;

use common::{bootstrap_servers, consume, unique_name, unique_topic, Sluice, TestDir};

#[test]
fn file_source_hoists_and_inserts_the_documented_fields() {
    let dir = TestDir::new();
    let topic = unique_topic("it-smt-source", 1);
    let input = dir.write("input.txt", "first line\nsecond line\n");
    let worker = common::worker_properties(
        &dir,
        &[
            ("value.converter.schemas.enable", "false"),
            ("key.converter.schemas.enable", "false"),
        ],
    );
    let connector = dir.properties(
        "source.properties",
        &[
            ("name", &unique_name("smt-source")),
            ("connector.class", "FileStreamSource"),
            ("file", &input.to_string_lossy()),
            ("topic", &topic),
            ("transforms", "MakeMap,InsertSource"),
            (
                "transforms.MakeMap.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.MakeMap.field", "line"),
            (
                "transforms.InsertSource.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ("transforms.InsertSource.static.field", "data_source"),
            ("transforms.InsertSource.static.value", "test-file-source"),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "smt-source", &worker, &[&connector]);
    let records = consume(&topic, 2, Duration::from_secs(60));
    let values: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
        .collect();
    // Exactly what Java's JsonConverter (schemas.enable=false) writes for the documented
    // `{"line":…,"data_source":"test-file-source"}` records.
    assert_eq!(
        values,
        vec![
            r#"{"line":"first line","data_source":"test-file-source"}"#,
            r#"{"line":"second line","data_source":"test-file-source"}"#,
        ],
        "worker log:\n{}",
        sluice.logs()
    );
    assert!(sluice.terminate().success());
}

#[test]
fn sink_writes_to_the_routed_destination_with_the_record_timestamp() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let es = runtime
        .block_on(EsTestServer::start())
        .expect("Elasticsearch test server");

    let dir = TestDir::new();
    let topic = unique_topic("it-smt-sink", 1);
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("message.timeout.ms", "30000")
        .create()
        .expect("producer");
    let base_ts = 1_700_000_000_000i64;
    for i in 0..3i64 {
        let value = json!({"courier": "c-1", "seq": i}).to_string();
        producer
            .send(
                BaseRecord::<[u8], [u8]>::to(&topic)
                    .payload(value.as_bytes())
                    .timestamp(base_ts + i),
            )
            .map_err(|(e, _)| e)
            .expect("send");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");

    // A connector's `value.converter.*` keys only apply with its own `value.converter` (as in
    // Java), so plain JSON is configured on the worker.
    let worker = common::worker_properties(
        &dir,
        &[
            ("value.converter.schemas.enable", "false"),
            ("key.converter.schemas.enable", "false"),
        ],
    );
    let routed = format!("routed-{topic}");
    let connector = dir.properties(
        "sink.properties",
        &[
            ("name", &unique_name("smt-sink")),
            (
                "connector.class",
                "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
            ),
            ("topics", &topic),
            ("connection.url", es.url()),
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
            // Confluent's sink accepts topic-mutating SMTs only when flushing synchronously.
            ("flush.synchronously", "true"),
            ("transforms", "Route,Stamp"),
            (
                "transforms.Route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.Route.regex", "(it-smt-sink.*)"),
            ("transforms.Route.replacement", "routed-$1"),
            (
                "transforms.Stamp.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ("transforms.Stamp.timestamp.field", "@timestamp"),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "smt-sink", &worker, &[&connector]);
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while es.count(&routed) < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for 3 documents in index {routed}; indices {:?}; worker log:\n{}",
            es.index_names(),
            sluice.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !es.index_exists(&topic),
        "the unrouted index must not be written"
    );
    let mut docs: Vec<Value> = es
        .docs(&routed)
        .into_iter()
        .map(|(_, d)| d.source)
        .collect();
    docs.sort_by_key(|d| d["seq"].as_i64());
    for (i, doc) in docs.iter().enumerate() {
        // Schemaless InsertField inserts the timestamp as epoch milliseconds (a Long).
        assert_eq!(
            doc,
            &json!({"courier": "c-1", "seq": i, "@timestamp": base_ts + i as i64}),
            "worker log:\n{}",
            sluice.logs()
        );
    }
    assert!(sluice.terminate().success());
}
