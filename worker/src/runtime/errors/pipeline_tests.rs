//! Error handling through the whole sink pipeline, against librdkafka's mock cluster: bad
//! records under `errors.tolerance=all` go to a dead-letter queue with
//! their original bytes and the context headers while offsets move past them; under `none`
//! the task fails with Java's trace and nothing after the bad record is committed; and the
//! errant record reporter a sink task gets writes to the same queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::message::{Header, Headers as _, Message, OwnedHeaders};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;
use sluice_api::values::java_to_string;
use sluice_api::{
    ConnectError, ConnectResult, Plugin, PluginFactory, SinkRecord, SinkTask, SinkTaskContext,
    TopicPartition,
};

use crate::herder::standalone::StandaloneHerder;
use crate::herder::{ConnectorTaskId, Herder, State};
use crate::plugins::PluginRegistry;
use crate::runtime::test_harness::{herder, props, read_topic, registry, OneTask};
use crate::storage::MemoryOffsetBackingStore;

/// What each test sink made durable, per connector name: `java_to_string(value)`.
fn sunk() -> &'static Mutex<HashMap<String, Vec<String>>> {
    static S: OnceLock<Mutex<HashMap<String, Vec<String>>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashMap::new()))
}

fn sunk_for(name: &str) -> Vec<String> {
    sunk()
        .lock()
        .map(|s| s.get(name).cloned().unwrap_or_default())
        .unwrap_or_default()
}

/// Buffers values in `put` and makes them durable in `pre_commit`; a value `"reject"` is
/// handed to the errant record reporter instead.
struct RecordingSinkTask {
    name: String,
    buffered: Vec<String>,
    context: Option<Arc<dyn SinkTaskContext>>,
}

#[async_trait]
impl SinkTask for RecordingSinkTask {
    async fn start(&mut self, context: Arc<dyn SinkTaskContext>) -> ConnectResult<()> {
        self.name = context.config().get("name").cloned().unwrap_or_default();
        self.context = Some(context);
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        for r in records {
            let value = java_to_string(&r.value);
            if value == "reject" {
                let reporter = self
                    .context
                    .as_ref()
                    .and_then(|c| c.errant_record_reporter())
                    .ok_or_else(|| ConnectError::connect("no errant record reporter"))?;
                reporter
                    .report(r, ConnectError::data("the sink rejected it"))
                    .await?;
                continue;
            }
            self.buffered.push(value);
        }
        Ok(())
    }
    async fn pre_commit(
        &mut self,
        offsets: &HashMap<TopicPartition, i64>,
    ) -> ConnectResult<HashMap<TopicPartition, i64>> {
        let mut s = sunk()
            .lock()
            .map_err(|e| ConnectError::connect(e.to_string()))?;
        s.entry(self.name.clone())
            .or_default()
            .append(&mut self.buffered);
        Ok(offsets.clone())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn test_registry() -> PluginRegistry {
    registry(vec![Plugin {
        class: "test.RecordingSinkConnector",
        version: "test",
        factory: PluginFactory::Sink(|| {
            Box::new(OneTask::<Box<dyn SinkTask>>::new(|| {
                Box::new(RecordingSinkTask {
                    name: String::new(),
                    buffered: Vec::new(),
                    context: None,
                })
            }))
        }),
    }])
}

fn test_herder(bootstrap: &str) -> Arc<StandaloneHerder> {
    let settings = [
        ("key.converter", "StringConverter"),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
    ];
    herder(
        bootstrap,
        &settings,
        test_registry(),
        Arc::new(MemoryOffsetBackingStore::new()),
    )
}

/// Produces `(key, value)` records with a header `origin: test` to partition 0.
fn produce(bootstrap: &str, topic: &str, records: &[(&str, &[u8])]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    for (key, value) in records {
        let headers = OwnedHeaders::new().insert(Header {
            key: "origin",
            value: Some("test"),
        });
        producer
            .send(
                BaseRecord::to(topic)
                    .key(*key)
                    .payload(*value)
                    .partition(0)
                    .timestamp(1_700_000_000_000)
                    .headers(headers),
            )
            .unwrap_or_else(|(e, _)| panic!("{e}"));
    }
    producer
        .flush(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// One record read back: key, value, headers.
type Read = (Option<Vec<u8>>, Option<Vec<u8>>, Vec<(String, String)>);

fn read_records(bootstrap: &str, topic: &str, expected: usize) -> Vec<Read> {
    read_topic(bootstrap, topic, expected, |m| {
        let headers = m
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        (
                            h.key.to_string(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        (
            m.key().map(<[u8]>::to_vec),
            m.payload().map(<[u8]>::to_vec),
            headers,
        )
    })
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..400 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn committed_total(h: &StandaloneHerder, name: &str) -> i64 {
    h.connector_offsets(name)
        .await
        .map(|o| {
            o.offsets
                .iter()
                .filter_map(|o| o.offset.as_ref()?.get("kafka_offset")?.as_i64())
                .sum()
        })
        .unwrap_or(-1)
}

/// Fails the test with the task's trace when task 0 of `name` failed.
fn assert_not_failed(h: &StandaloneHerder, name: &str) {
    let id = ConnectorTaskId {
        connector: name.into(),
        task: 0,
    };
    if let Some(t) = h.worker().status().task(&id) {
        assert!(t.state != State::Failed, "task failed: {:?}", t.trace);
    }
}

fn header<'a>(headers: &'a [(String, String)], key: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tolerance_all_writes_bad_records_to_the_dlq_and_commits_past_them() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("in-all", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    // The mock cluster does not answer CreateTopics; tests/dlq.rs has the worker create
    // the queue on a real broker.
    mock.create_topic("dlq-all", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    produce(
        &bootstrap,
        "in-all",
        &[
            ("k0", br#"{"f":"good0"}"#),
            ("k1", b"{not json"),
            ("k2", br#"{"f":"good1"}"#),
            ("k3", br#""no map""#),
            ("k4", br#"{"f":"good2"}"#),
        ],
    );
    let h = test_herder(&bootstrap);
    let config = props(&[
        ("name", "all"),
        ("connector.class", "test.RecordingSinkConnector"),
        ("topics", "in-all"),
        ("transforms", "ext"),
        (
            "transforms.ext.type",
            "org.apache.kafka.connect.transforms.ExtractField$Value",
        ),
        ("transforms.ext.field", "f"),
        ("errors.tolerance", "all"),
        ("errors.log.enable", "true"),
        ("errors.log.include.messages", "true"),
        ("errors.deadletterqueue.topic.name", "dlq-all"),
        ("errors.deadletterqueue.topic.replication.factor", "1"),
        ("errors.deadletterqueue.context.headers.enable", "true"),
    ]);
    h.put_connector_config("all", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("three good records in the sink", || {
        assert_not_failed(&h, "all");
        sunk_for("all").len() >= 3
    })
    .await;
    assert_eq!(sunk_for("all"), ["good0", "good1", "good2"]);
    let mut total = -1;
    for _ in 0..400 {
        total = committed_total(&h, "all").await;
        if total == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(total, 5, "committed offsets move past good and bad records");

    // The DLQ holds the two bad records, byte for byte.
    let dlq = read_records(&bootstrap, "dlq-all", 2);
    assert_eq!(dlq.len(), 2, "{dlq:?}");
    let (key, value, headers) = &dlq[0];
    assert_eq!(key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(value.as_deref(), Some(&b"{not json"[..]));
    assert_eq!(headers[0], ("origin".to_string(), "test".to_string()));
    assert_eq!(header(headers, "__connect.errors.topic"), Some("in-all"));
    assert_eq!(header(headers, "__connect.errors.partition"), Some("0"));
    assert_eq!(header(headers, "__connect.errors.offset"), Some("1"));
    assert_eq!(
        header(headers, "__connect.errors.connector.name"),
        Some("all")
    );
    assert_eq!(header(headers, "__connect.errors.task.id"), Some("0"));
    assert_eq!(
        header(headers, "__connect.errors.stage"),
        Some("VALUE_CONVERTER")
    );
    assert_eq!(
        header(headers, "__connect.errors.class.name"),
        Some("org.apache.kafka.connect.json.JsonConverter")
    );
    assert_eq!(
        header(headers, "__connect.errors.exception.class.name"),
        Some("org.apache.kafka.connect.errors.DataException")
    );
    assert!(header(headers, "__connect.errors.exception.message").is_some());
    assert!(header(headers, "__connect.errors.exception.stacktrace")
        .is_some_and(|t| t.starts_with("org.apache.kafka.connect.errors.DataException: ")));

    let (key, value, headers) = &dlq[1];
    assert_eq!(key.as_deref(), Some(&b"k3"[..]));
    assert_eq!(value.as_deref(), Some(&br#""no map""#[..]));
    assert_eq!(header(headers, "__connect.errors.offset"), Some("3"));
    assert_eq!(
        header(headers, "__connect.errors.stage"),
        Some("TRANSFORMATION")
    );
    assert_eq!(
        header(headers, "__connect.errors.class.name"),
        Some("org.apache.kafka.connect.transforms.ExtractField$Value")
    );

    let task = ConnectorTaskId {
        connector: "all".into(),
        task: 0,
    };
    assert_eq!(
        h.worker().status().task(&task).map(|t| t.state),
        Some(State::Running)
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tolerance_none_fails_the_task_and_commits_nothing_after_the_bad_record() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("in-none", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    produce(
        &bootstrap,
        "in-none",
        &[("k0", br#""a""#), ("k1", b"{oops"), ("k2", br#""b""#)],
    );
    let h = test_herder(&bootstrap);
    let config = props(&[
        ("name", "none"),
        ("connector.class", "test.RecordingSinkConnector"),
        ("topics", "in-none"),
    ]);
    h.put_connector_config("none", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let task = ConnectorTaskId {
        connector: "none".into(),
        task: 0,
    };
    wait_for("the task to fail", || {
        h.worker().status().task(&task).map(|t| t.state) == Some(State::Failed)
    })
    .await;
    let status = h.task_status(&task).await.unwrap_or_else(|e| panic!("{e}"));
    let trace = status.trace.unwrap_or_default();
    assert!(
        trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n"
        ),
        "{trace}"
    );
    assert!(trace.contains("VALUE_CONVERTER"), "{trace}");
    assert!(
        trace.contains("Caused by: org.apache.kafka.connect.errors.DataException: "),
        "{trace}"
    );
    // Give a wrong commit the time to happen.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(committed_total(&h, "none").await <= 1);
    assert!(!sunk_for("none").contains(&"b".to_string()));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errant_record_reporter_writes_the_original_record_to_the_dlq() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("in-errant", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    // The mock cluster does not answer CreateTopics; tests/dlq.rs has the worker create
    // the queue on a real broker.
    mock.create_topic("dlq-errant", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    produce(
        &bootstrap,
        "in-errant",
        &[
            ("k0", br#""ok""#),
            ("k1", br#"  "reject" "#),
            ("k2", br#""fine""#),
        ],
    );
    let h = test_herder(&bootstrap);
    let config = props(&[
        ("name", "errant"),
        ("connector.class", "test.RecordingSinkConnector"),
        ("topics", "in-errant"),
        ("errors.tolerance", "all"),
        ("errors.deadletterqueue.topic.name", "dlq-errant"),
        ("errors.deadletterqueue.topic.replication.factor", "1"),
        ("errors.deadletterqueue.context.headers.enable", "true"),
    ]);
    h.put_connector_config("errant", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("two records in the sink", || {
        assert_not_failed(&h, "errant");
        sunk_for("errant").len() >= 2
    })
    .await;
    assert_eq!(sunk_for("errant"), ["ok", "fine"]);
    let dlq = read_records(&bootstrap, "dlq-errant", 1);
    assert_eq!(dlq.len(), 1);
    let (key, value, headers) = &dlq[0];
    assert_eq!(key.as_deref(), Some(&b"k1"[..]));
    // The original bytes, not a re-serialization.
    assert_eq!(value.as_deref(), Some(&br#"  "reject" "#[..]));
    assert_eq!(header(headers, "__connect.errors.stage"), Some("TASK_PUT"));
    assert_eq!(
        header(headers, "__connect.errors.class.name"),
        Some("test.RecordingSinkTask")
    );
    assert_eq!(
        header(headers, "__connect.errors.exception.message"),
        Some("the sink rejected it")
    );
    h.shutdown().await;
}
