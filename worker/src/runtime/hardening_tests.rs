//! Fault-path tests of the task runtime (issue 9) against librdkafka's mock cluster: a header
//! key that is not UTF-8, panics in a transformation and in a connector, and a task that
//! ignores its stop signal.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use sluice_api::{
    ConfigDef, ConnectRecord, ConnectResult, Connector, ConnectorContext, Plugin, PluginFactory,
    Props, SinkConnector, SinkRecord, SinkTask, SinkTaskContext, SourceRecord, SourceTask,
    SourceTaskContext, Transformation, Value,
};

use super::test_harness::{herder, props, registry, OneTask};
use crate::herder::standalone::StandaloneHerder;
use crate::herder::{ConnectorTaskId, Herder, State};
use crate::storage::MemoryOffsetBackingStore;

// ---- in-test plugins -------------------------------------------------------------------

/// What a sink saw, per connector name: `(value, [(header key, header value)])`.
type Seen = Vec<(String, Vec<(String, String)>)>;

fn seen() -> &'static Mutex<HashMap<String, Seen>> {
    static S: OnceLock<Mutex<HashMap<String, Seen>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashMap::new()))
}

fn seen_by(connector: &str) -> Seen {
    seen()
        .lock()
        .map(|s| s.get(connector).cloned().unwrap_or_default())
        .unwrap_or_default()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// Records every value with its headers under the connector's `name`.
struct RecordingSinkTask {
    name: String,
}

#[async_trait]
impl SinkTask for RecordingSinkTask {
    async fn start(&mut self, context: Arc<dyn SinkTaskContext>) -> ConnectResult<()> {
        self.name = context.config().get("name").cloned().unwrap_or_default();
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        let mut s = seen()
            .lock()
            .map_err(|e| sluice_api::ConnectError::connect(e.to_string()))?;
        for r in records {
            let headers = r
                .headers
                .iter()
                .map(|h| (h.key.clone(), text(&h.value)))
                .collect();
            s.entry(self.name.clone())
                .or_default()
                .push((text(&r.value), headers));
        }
        Ok(())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// A transformation that panics on every record.
struct PanickingTransform;

impl Transformation for PanickingTransform {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn apply(&mut self, _record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        panic!("transform exploded");
    }
}

/// A sink connector whose `start` panics.
struct PanickingConnector;

impl Connector for PanickingConnector {
    fn version(&self) -> String {
        "test".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn start(&mut self, _props: &Props, _: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        panic!("connector start exploded");
    }
    fn task_configs(&self, _max: usize) -> ConnectResult<Vec<Props>> {
        Ok(Vec::new())
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

impl SinkConnector for PanickingConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(RecordingSinkTask {
            name: String::new(),
        })
    }
}

/// Set when a [`StuckSourceTask`] is dropped (its resources released).
static STUCK_DROPPED: AtomicBool = AtomicBool::new(false);
/// Lets the blocked thread of a [`StuckSourceTask`] finish (at the end of the test).
static STUCK_RELEASE: AtomicBool = AtomicBool::new(false);
/// Set once the task's poll is blocked.
static STUCK_POLLING: AtomicBool = AtomicBool::new(false);

/// A source task whose `poll` waits for a thread blocked until the test ends, ignoring the
/// stop signal (like a read of a FIFO nobody writes to).
struct StuckSourceTask;

impl Drop for StuckSourceTask {
    fn drop(&mut self) {
        STUCK_DROPPED.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl SourceTask for StuckSourceTask {
    async fn start(&mut self, _context: SourceTaskContext) -> ConnectResult<()> {
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        STUCK_POLLING.store(true, Ordering::SeqCst);
        let _ = tokio::task::spawn_blocking(|| {
            while !STUCK_RELEASE.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
        })
        .await;
        Ok(Vec::new())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// A source task whose records have no topic (Java's null topic).
struct NullTopicSourceTask;

#[async_trait]
impl SourceTask for NullTopicSourceTask {
    async fn start(&mut self, _context: SourceTaskContext) -> ConnectResult<()> {
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut record = SourceRecord::source(
            sluice_api::OffsetMap::new(),
            sluice_api::OffsetMap::new(),
            "",
            None,
            Value::from("x"),
        );
        record.topic = None;
        Ok(vec![record])
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn test_registry() -> crate::plugins::PluginRegistry {
    registry(vec![
        Plugin {
            class: "test.NullTopicSourceConnector",
            version: "test",
            factory: PluginFactory::Source(|| {
                Box::new(OneTask::<Box<dyn SourceTask>>::new(|| {
                    Box::new(NullTopicSourceTask)
                }))
            }),
        },
        Plugin {
            class: "test.RecordingSinkConnector",
            version: "test",
            factory: PluginFactory::Sink(|| {
                Box::new(OneTask::<Box<dyn SinkTask>>::new(|| {
                    Box::new(RecordingSinkTask {
                        name: String::new(),
                    })
                }))
            }),
        },
        Plugin {
            class: "test.PanickingTransform",
            version: "test",
            factory: PluginFactory::Transformation(|| Box::new(PanickingTransform)),
        },
        Plugin {
            class: "test.PanickingConnector",
            version: "test",
            factory: PluginFactory::Sink(|| Box::new(PanickingConnector)),
        },
        Plugin {
            class: "test.StuckSourceConnector",
            version: "test",
            factory: PluginFactory::Source(|| {
                Box::new(OneTask::<Box<dyn SourceTask>>::new(|| {
                    Box::new(StuckSourceTask)
                }))
            }),
        },
    ])
}

fn fixture(bootstrap: &str, extra: &[(&str, &str)]) -> Arc<StandaloneHerder> {
    let mut settings = vec![
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        ("value.converter", "StringConverter"),
        ("header.converter", "StringConverter"),
    ];
    settings.extend_from_slice(extra);
    herder(
        bootstrap,
        &settings,
        test_registry(),
        Arc::new(MemoryOffsetBackingStore::new()),
    )
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

fn task0(connector: &str) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: connector.into(),
        task: 0,
    }
}

fn task_state(h: &StandaloneHerder, connector: &str) -> Option<State> {
    h.worker().status().task(&task0(connector)).map(|t| t.state)
}

fn sink_config(name: &str, topic: &str, extra: &[(&str, &str)]) -> Props {
    let mut p = props(&[
        ("name", name),
        ("connector.class", "test.RecordingSinkConnector"),
        ("topics", topic),
    ]);
    p.extend(props(extra));
    p
}

async fn produce(bootstrap: &str, topic: &str, value: &str, headers: Option<Vec<u8>>) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut record: FutureRecord<'_, [u8], str> = FutureRecord::to(topic).payload(value);
    if let Some(key) = headers {
        record = record.headers(super::headers::owned_with_raw_keys(&[(
            key.as_slice(),
            Some(b"hv".as_slice()),
        )]));
    }
    producer
        .send(record, Duration::from_secs(10))
        .await
        .unwrap_or_else(|(e, _)| panic!("{e}"));
}

// ---- tests -----------------------------------------------------------------------------

/// Java decodes header keys with `new String(bytes, UTF_8)`: a key that is not UTF-8 reaches
/// the task with U+FFFD in place of the bad bytes, and the task (errors.tolerance=none) keeps
/// running. rdkafka's own header accessors panic on such a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_key_that_is_not_utf8_reaches_the_sink_lossily_decoded() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("hdr", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    produce(&bootstrap, "hdr", "first", Some(b"bad\xffkey".to_vec())).await;
    produce(&bootstrap, "hdr", "second", None).await;
    let h = fixture(&bootstrap, &[]);
    h.put_connector_config("hdr-sink", sink_config("hdr-sink", "hdr", &[]), false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("both records at the sink", || {
        seen_by("hdr-sink").len() >= 2
    })
    .await;
    let got = seen_by("hdr-sink");
    assert_eq!(
        got[0],
        (
            "first".to_string(),
            vec![("bad\u{FFFD}key".to_string(), "hv".to_string())]
        )
    );
    assert_eq!(got[1], ("second".to_string(), Vec::new()));
    assert_eq!(task_state(&h, "hdr-sink"), Some(State::Running));
    h.shutdown().await;
}

/// A panic in a transformation fails that task, with the panic message in its trace; the
/// worker and another connector's task carry on, and a connector whose `start` panics is
/// FAILED with its panic as the trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_only_its_task_or_connector() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("pan", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let h = fixture(&bootstrap, &[]);
    let panicky = sink_config(
        "panicky",
        "pan",
        &[
            ("transforms", "boom"),
            ("transforms.boom.type", "test.PanickingTransform"),
        ],
    );
    h.put_connector_config("panicky", panicky, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    h.put_connector_config("calm", sink_config("calm", "pan", &[]), false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    produce(&bootstrap, "pan", "one", None).await;

    wait_for("the panicking task to be FAILED", || {
        task_state(&h, "panicky") == Some(State::Failed)
    })
    .await;
    let trace = h
        .task_status(&task0("panicky"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .trace
        .unwrap_or_default();
    assert!(
        trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Task panicked: transform exploded"
        ),
        "{trace}"
    );
    assert_eq!(
        h.connector_status("panicky")
            .await
            .map(|s| s.connector.state)
            .ok(),
        Some(State::Running)
    );
    wait_for("the other connector's record", || {
        seen_by("calm").len() == 1
    })
    .await;
    produce(&bootstrap, "pan", "two", None).await;
    wait_for("the other connector's second record", || {
        seen_by("calm").len() == 2
    })
    .await;
    assert_eq!(task_state(&h, "calm"), Some(State::Running));

    // A connector whose start panics is FAILED; the herder still answers.
    let bad = props(&[
        ("name", "bad-start"),
        ("connector.class", "test.PanickingConnector"),
        ("topics", "pan"),
    ]);
    let _ = h.put_connector_config("bad-start", bad, false, None).await;
    let status = h
        .connector_status("bad-start")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.connector.state, State::Failed);
    let trace = status.connector.trace.unwrap_or_default();
    assert!(
        trace.starts_with("org.apache.kafka.connect.errors.ConnectException: Connector start panicked: connector start exploded"),
        "{trace}"
    );
    assert_eq!(h.connectors().await.len(), 3);

    h.delete_connector("panicky")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    h.shutdown().await;
}

/// A task that ignores its stop signal is abandoned after
/// `task.shutdown.graceful.timeout.ms`: DELETE returns, the task is cancelled and its
/// resources dropped before DELETE answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_abandons_a_task_that_does_not_stop() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let h = fixture(&bootstrap, &[("task.shutdown.graceful.timeout.ms", "300")]);
    let config = props(&[
        ("name", "stuck"),
        ("connector.class", "test.StuckSourceConnector"),
        ("topic", "never"),
    ]);
    h.put_connector_config("stuck", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("the task to block in poll", || {
        STUCK_POLLING.load(Ordering::SeqCst)
    })
    .await;
    let started = Instant::now();
    h.delete_connector("stuck")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    let dropped = STUCK_DROPPED.load(Ordering::SeqCst);
    STUCK_RELEASE.store(true, Ordering::SeqCst);
    assert!(took < Duration::from_secs(3), "DELETE took {took:?}");
    assert!(
        dropped,
        "the abandoned task was dropped before DELETE returned"
    );
    assert!(h.worker().task_ids("stuck").await.is_empty());
    assert!(h.connector_status("stuck").await.is_err());
    h.shutdown().await;
}

/// A source record without a topic fails its task as Java's ProducerRecord does
/// ("Topic cannot be null."), instead of being written anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_record_without_a_topic_fails_its_task() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let h = fixture(&bootstrap, &[]);
    let config = props(&[
        ("name", "null-topic"),
        ("connector.class", "test.NullTopicSourceConnector"),
    ]);
    h.put_connector_config("null-topic", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("the task to fail", || {
        task_state(&h, "null-topic") == Some(State::Failed)
    })
    .await;
    let trace = h
        .worker()
        .status()
        .task(&task0("null-topic"))
        .and_then(|t| t.trace)
        .unwrap_or_default();
    assert!(trace.contains("Topic cannot be null."), "{trace}");
    h.shutdown().await;
}
