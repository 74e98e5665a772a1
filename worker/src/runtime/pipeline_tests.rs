//! Runtime tests against librdkafka's mock cluster: a source → topic → sink round trip through
//! the standalone herder with in-test connectors, offset commits on both sides, Java's
//! partitioning of keyed records, pause/resume, stop/resume, a failing task and source tasks
//! sharing producers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use sluice_api::{
    schemas, ConnectError, ConnectRecord, ConnectResult, OffsetMap, Plugin, PluginFactory, Props,
    SinkRecord, SinkTask, SinkTaskContext, SourceRecord, SourceTask, SourceTaskContext,
    TopicPartition, Value,
};

use super::partitioner::java_partition;
use super::test_harness::{herder, props, read_topic, registry, OneTask};
use crate::herder::standalone::StandaloneHerder;
use crate::herder::{ConnectorTaskId, Herder, State, TargetState};
use crate::plugins::PluginRegistry;
use crate::storage::{MemoryOffsetBackingStore, OffsetBackingStore};

// ---- in-test plugins -------------------------------------------------------------------

/// Emits `count` records `k<i>`/`v<i>` with source partition {"f":"x"} and offset {"pos":i},
/// resuming after the committed offset.
struct CountingSourceTask {
    next: u64,
    count: u64,
    topic: String,
    fail_at: Option<u64>,
}

fn partition_x() -> OffsetMap {
    serde_json::from_str(r#"{"f":"x"}"#).unwrap_or_default()
}

#[async_trait]
impl SourceTask for CountingSourceTask {
    async fn start(&mut self, context: SourceTaskContext) -> ConnectResult<()> {
        self.topic = context.config.get("topic").cloned().unwrap_or_default();
        self.count = context
            .config
            .get("count")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        self.fail_at = context.config.get("fail.at").and_then(|c| c.parse().ok());
        if let Some(off) = context.offset_reader.offset(&partition_x()).await? {
            self.next = off.get("pos").and_then(|p| p.as_u64()).unwrap_or(0) + 1;
        }
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        if self.fail_at.is_some_and(|f| self.next >= f) {
            return Err(ConnectError::connect("poll exploded"));
        }
        if self.next >= self.count {
            tokio::time::sleep(Duration::from_millis(10)).await;
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        while self.next < self.count && out.len() < 7 {
            let i = self.next;
            let mut offset = OffsetMap::new();
            offset.insert("pos".into(), i.into());
            let mut r = ConnectRecord::source(
                partition_x(),
                offset,
                self.topic.clone(),
                Some(schemas::string()),
                Value::String(format!("v{i}")),
            );
            r.key_schema = Some(schemas::string());
            r.key = Value::String(format!("k{i}"));
            out.push(r);
            self.next += 1;
        }
        Ok(out)
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// One collected sink record: topic, partition, offset, value.
type Collected = (String, i32, i64, String);

/// Collected sink values per test topic.
fn collected() -> &'static Mutex<HashMap<String, Vec<Collected>>> {
    static C: OnceLock<Mutex<HashMap<String, Vec<Collected>>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

fn collected_for(topic: &str) -> Vec<Collected> {
    collected()
        .lock()
        .map(|c| c.get(topic).cloned().unwrap_or_default())
        .unwrap_or_default()
}

static PRE_COMMITS: AtomicUsize = AtomicUsize::new(0);

struct CollectingSinkTask {
    buffered: Vec<Collected>,
}

#[async_trait]
impl SinkTask for CollectingSinkTask {
    async fn start(&mut self, _context: Arc<dyn SinkTaskContext>) -> ConnectResult<()> {
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        for r in records {
            let value = match &r.value {
                Value::String(s) => s.clone(),
                other => format!("{other:?}"),
            };
            self.buffered.push((
                r.topic_name().to_string(),
                r.kafka_partition.unwrap_or(-1),
                r.kafka_offset().unwrap_or(-1),
                value,
            ));
        }
        Ok(())
    }
    async fn pre_commit(
        &mut self,
        offsets: &HashMap<TopicPartition, i64>,
    ) -> ConnectResult<HashMap<TopicPartition, i64>> {
        PRE_COMMITS.fetch_add(1, Ordering::SeqCst);
        // "Durable" = moved to the shared collection.
        let mut c = collected()
            .lock()
            .map_err(|e| ConnectError::connect(e.to_string()))?;
        for item in self.buffered.drain(..) {
            c.entry(item.0.clone()).or_default().push(item);
        }
        Ok(offsets.clone())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn test_registry() -> PluginRegistry {
    registry(vec![
        Plugin {
            class: "test.CountingSourceConnector",
            version: "test",
            factory: PluginFactory::Source(|| {
                Box::new(OneTask::<Box<dyn SourceTask>>::new(|| {
                    Box::new(CountingSourceTask {
                        next: 0,
                        count: 0,
                        topic: String::new(),
                        fail_at: None,
                    })
                }))
            }),
        },
        Plugin {
            class: "test.CollectingSinkConnector",
            version: "test",
            factory: PluginFactory::Sink(|| {
                Box::new(OneTask::<Box<dyn SinkTask>>::new(|| {
                    Box::new(CollectingSinkTask {
                        buffered: Vec::new(),
                    })
                }))
            }),
        },
    ])
}

struct Fixture {
    herder: Arc<StandaloneHerder>,
    offsets: Arc<dyn OffsetBackingStore>,
    bootstrap: String,
}

fn fixture(bootstrap: &str, offsets: Arc<dyn OffsetBackingStore>) -> Fixture {
    fixture_with(bootstrap, offsets, &[])
}

fn fixture_with(
    bootstrap: &str,
    offsets: Arc<dyn OffsetBackingStore>,
    extra: &[(&str, &str)],
) -> Fixture {
    let mut settings = vec![
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        ("value.converter", "StringConverter"),
        ("header.converter", "StringConverter"),
    ];
    settings.extend_from_slice(extra);
    Fixture {
        herder: herder(bootstrap, &settings, test_registry(), offsets.clone()),
        offsets,
        bootstrap: bootstrap.to_string(),
    }
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..300 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn read_keys(bootstrap: &str, topic: &str, expected: usize) -> Vec<(String, i32)> {
    read_topic(bootstrap, topic, expected, |m| {
        let key = m
            .key()
            .map(|k| String::from_utf8_lossy(k).to_string())
            .unwrap_or_default();
        (key, m.partition())
    })
}

fn source_config(name: &str, topic: &str, count: u64) -> Props {
    props(&[
        ("name", name),
        ("connector.class", "test.CountingSourceConnector"),
        ("topic", topic),
        ("count", &count.to_string()),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_to_sink_round_trip_commits_offsets_and_partitions_like_java() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("rt", 4, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let f = fixture(&bootstrap, Arc::new(MemoryOffsetBackingStore::new()));

    let created = f
        .herder
        .put_connector_config("src", source_config("src", "rt", 30), false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(created.created);
    assert_eq!(created.result.tasks.len(), 1);
    let sink = props(&[
        ("name", "snk"),
        ("connector.class", "test.CollectingSinkConnector"),
        ("topics", "rt"),
    ]);
    f.herder
        .put_connector_config("snk", sink, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    wait_for("sink to collect 30 records", || {
        collected_for("rt").len() >= 30
    })
    .await;
    // Source offsets: the acked prefix reaches the last record.
    let offsets = f.offsets.clone();
    wait_for("source offset commit", || {
        offsets
            .get("src", &partition_x())
            .and_then(|o| o.get("pos").and_then(|p| p.as_u64()))
            == Some(29)
    })
    .await;
    let status = f
        .herder
        .connector_status("src")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.connector.state, State::Running);
    assert_eq!(status.tasks[0].state, State::Running);
    assert_eq!(status.tasks[0].worker_id, "test:8083");
    // `GET /connectors?expand=status` reads every status in one call: the same answers, in
    // the order asked, none for a connector that does not exist.
    let names = ["snk", "gone", "src"].map(String::from);
    let statuses = f
        .herder
        .connector_statuses(&names)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let one_by_one = f.herder.connector_status("snk").await.ok();
    assert_eq!(statuses, vec![one_by_one, None, Some(status.clone())]);
    assert_eq!(
        f.herder.active_topics("src").await.ok(),
        Some(vec!["rt".to_string()])
    );
    let task_configs = f
        .herder
        .task_configs("snk")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        task_configs[0].config["task.class"],
        "test.CollectingSinkTask"
    );
    assert_eq!(task_configs[0].config["topics"], "rt");

    // Every keyed record sits where Java's default partitioner puts it.
    let records = read_keys(&f.bootstrap, "rt", 30);
    assert_eq!(records.len(), 30);
    for (key, partition) in &records {
        assert_eq!(*partition, java_partition(key.as_bytes(), 4), "key {key}");
    }
    let mut values: Vec<String> = collected_for("rt").into_iter().map(|r| r.3).collect();
    values.sort_by_key(|v| v[1..].parse::<u32>().unwrap_or(0));
    assert_eq!(values, (0..30).map(|i| format!("v{i}")).collect::<Vec<_>>());

    // Stopping commits the sink's offsets: the group's offsets cover every record.
    f.herder
        .stop_connector("snk")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(PRE_COMMITS.load(Ordering::SeqCst) > 0);
    let sink_offsets = f
        .herder
        .connector_offsets("snk")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let total: i64 = sink_offsets
        .offsets
        .iter()
        .filter_map(|o| o.offset.as_ref()?.get("kafka_offset")?.as_i64())
        .sum();
    assert_eq!(total, 30, "{sink_offsets:?}");
    let stopped = f
        .herder
        .connector_status("snk")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stopped.connector.state, State::Stopped);
    assert!(stopped.tasks.is_empty());

    f.herder.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_producers_keep_each_tasks_records_and_offsets_apart() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    for topic in ["shared-a", "shared-b", "shared-c"] {
        mock.create_topic(topic, 2, 1)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let bootstrap = mock.bootstrap_servers();
    let store: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
    let f = fixture_with(
        &bootstrap,
        store.clone(),
        &[("sluice.source.producer.shared", "true")],
    );
    let mut overridden = source_config("c", "shared-c", 10);
    overridden.insert("producer.override.linger.ms".into(), "1".into());
    for (name, config) in [
        ("a", source_config("a", "shared-a", 30)),
        ("b", source_config("b", "shared-b", 20)),
        ("c", overridden),
    ] {
        f.herder
            .put_connector_config(name, config, false, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Every task commits its own last offset, though all three use the same source
    // partition and a and b the same producer.
    for (name, last) in [("a", 29), ("b", 19), ("c", 9)] {
        let store = store.clone();
        wait_for(&format!("{name}'s offsets"), move || {
            store
                .get(name, &partition_x())
                .and_then(|o| o.get("pos").and_then(|p| p.as_u64()))
                == Some(last)
        })
        .await;
    }
    assert_eq!(
        f.herder.worker().producers().live_producers(),
        2,
        "a and b share a producer; c's producer.override.* gives it its own"
    );
    for (topic, count) in [("shared-a", 30), ("shared-b", 20), ("shared-c", 10)] {
        let mut keys: Vec<String> = read_keys(&bootstrap, topic, count)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        keys.sort_by_key(|k| k[1..].parse::<u32>().unwrap_or(0));
        assert_eq!(
            keys,
            (0..count).map(|i| format!("k{i}")).collect::<Vec<_>>(),
            "{topic}"
        );
    }
    f.herder.shutdown().await;
    assert_eq!(f.herder.worker().producers().live_producers(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resumes_from_committed_source_offset() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("resume", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let store: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
    let f = fixture(&bootstrap, store.clone());
    f.herder
        .put_connector_config("r", source_config("r", "resume", 10), false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("10 records committed", || {
        store
            .get("r", &partition_x())
            .and_then(|o| o.get("pos").and_then(|p| p.as_u64()))
            == Some(9)
    })
    .await;
    f.herder.shutdown().await;

    // A new worker over the same store produces only the records after the offset.
    let f2 = fixture(&bootstrap, store.clone());
    f2.herder
        .put_connector_config("r", source_config("r", "resume", 15), false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("15 records committed", || {
        store
            .get("r", &partition_x())
            .and_then(|o| o.get("pos").and_then(|p| p.as_u64()))
            == Some(14)
    })
    .await;
    f2.herder.shutdown().await;
    let records = read_keys(&bootstrap, "resume", 16);
    assert_eq!(records.len(), 15, "no record written twice: {records:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_stop_and_failed_task_lifecycle() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("life", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let f = fixture(&bootstrap, Arc::new(MemoryOffsetBackingStore::new()));
    let h = &f.herder;
    h.put_connector_config(
        "p",
        source_config("p", "life", 5),
        false,
        Some(TargetState::Paused),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let task0 = ConnectorTaskId {
        connector: "p".into(),
        task: 0,
    };
    wait_for("paused task", || {
        f.herder.worker().status().task(&task0).map(|t| t.state) == Some(State::Paused)
    })
    .await;
    assert_eq!(
        h.connector_status("p")
            .await
            .map(|s| s.connector.state)
            .ok(),
        Some(State::Paused)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        f.offsets.get("p", &partition_x()).is_none(),
        "a paused task polls nothing"
    );

    h.resume_connector("p")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("offsets after resume", || {
        f.offsets.get("p", &partition_x()).is_some()
    })
    .await;

    // Offsets can only be altered when stopped, with Java's message.
    let err = h
        .reset_connector_offsets("p")
        .await
        .expect_err("running connector");
    assert!(err
        .to_string()
        .starts_with("Connectors must be in the STOPPED state"));
    h.stop_connector("p")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let msg = h
        .reset_connector_offsets("p")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The test connector keeps the default `alter_offsets` (false): Java's caveat.
    assert_eq!(
        msg.message,
        "The Connect framework-managed offsets for this connector have been reset \
         successfully. However, if this connector manages offsets externally, they will need \
         to be manually reset in the system that the connector uses."
    );
    assert!(f.offsets.get("p", &partition_x()).is_none());
    assert!(h
        .connector_info("p")
        .await
        .map(|i| i.tasks.is_empty())
        .unwrap_or(false));

    // A task whose poll fails is FAILED with a Java trace; the connector keeps RUNNING.
    let mut failing = source_config("bad", "life", 100);
    failing.insert("fail.at".into(), "0".into());
    h.put_connector_config("bad", failing, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bad0 = ConnectorTaskId {
        connector: "bad".into(),
        task: 0,
    };
    wait_for("failed task", || {
        f.herder.worker().status().task(&bad0).map(|t| t.state) == Some(State::Failed)
    })
    .await;
    let st = h.task_status(&bad0).await.unwrap_or_else(|e| panic!("{e}"));
    let trace = st.trace.unwrap_or_default();
    assert!(
        trace.starts_with("org.apache.kafka.connect.errors.ConnectException: poll exploded"),
        "{trace}"
    );
    assert_eq!(
        h.connector_status("bad")
            .await
            .map(|s| s.connector.state)
            .ok(),
        Some(State::Running)
    );
    // Restart with onlyFailed answers RESTARTING for the failed task.
    let answer = h
        .restart_connector(
            "bad",
            crate::herder::RestartRequest {
                include_tasks: true,
                only_failed: true,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("202 body"));
    assert_eq!(answer.connector.state, State::Running);
    assert_eq!(answer.tasks[0].state, State::Restarting);

    h.delete_connector("bad")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(h.connector_status("bad").await.is_err());
    f.herder.shutdown().await;
}
