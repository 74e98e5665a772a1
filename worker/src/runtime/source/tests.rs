//! The source loop's final commit against librdkafka's mock cluster: a failing task commits
//! what was acknowledged before it failed, slow acknowledgements at shutdown do not cut off
//! the commit of the acknowledged records, and a task that does not use `commit_record`
//! (whose records are not kept until acknowledged) commits only acknowledged offsets too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::mocking::MockCluster;
use sluice_api::{
    schemas, ConnectError, ConnectRecord, ConnectResult, OffsetMap, Plugin, PluginFactory,
    RecordMetadata, SourceRecord, SourceTask, SourceTaskContext, Value,
};

use super::super::test_harness::{herder, props, registry, OneTask};
use crate::herder::standalone::StandaloneHerder;
use crate::herder::{ConnectorTaskId, Herder, State};
use crate::storage::{MemoryOffsetBackingStore, OffsetBackingStore};

/// What a test and its task share, per topic.
#[derive(Debug, Default, Clone)]
struct Shared {
    /// Records acknowledged by Kafka (`commit_record` with metadata).
    acked: usize,
    /// The test lets the task poll its extra records.
    release: bool,
    /// The task returned its extra records.
    extra_polled: bool,
    /// Calls of `commit_record`.
    commit_calls: usize,
    /// The metadata `commit_record` got: topic, partition, offset.
    metadata: Vec<(String, i32, i64)>,
}

fn shared() -> &'static Mutex<HashMap<String, Shared>> {
    static S: OnceLock<Mutex<HashMap<String, Shared>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashMap::new()))
}

fn with_shared<T>(topic: &str, f: impl FnOnce(&mut Shared) -> T) -> T {
    let mut all = shared().lock().unwrap_or_else(|p| p.into_inner());
    f(all.entry(topic.to_string()).or_default())
}

/// Emits `count` records (offsets {"pos": 0..count}), waits until all are acknowledged,
/// then, with `then=fail`, fails its poll; with `then=more`, emits `extra` more records once
/// the test releases it. With `commits=false` it says it does not use `commit_record`
/// ([`SourceTask::commits_records`]) and does not wait for acknowledgements.
struct AckThenTask {
    topic: String,
    count: u64,
    extra: u64,
    fail: bool,
    commits: bool,
    next: u64,
}

fn partition_f() -> OffsetMap {
    serde_json::from_str(r#"{"f":"acked"}"#).unwrap_or_default()
}

impl AckThenTask {
    fn records(&mut self, until: u64) -> Vec<SourceRecord> {
        let mut out = Vec::new();
        while self.next < until {
            let mut offset = OffsetMap::new();
            offset.insert("pos".into(), self.next.into());
            out.push(ConnectRecord::source(
                partition_f(),
                offset,
                self.topic.clone(),
                Some(schemas::string()),
                Value::String(format!("v{}", self.next)),
            ));
            self.next += 1;
        }
        out
    }
}

#[async_trait]
impl SourceTask for AckThenTask {
    async fn start(&mut self, context: SourceTaskContext) -> ConnectResult<()> {
        let get = |k: &str| context.config.get(k).and_then(|v| v.parse().ok());
        self.topic = context.config.get("topic").cloned().unwrap_or_default();
        self.count = get("count").unwrap_or(0);
        self.extra = get("extra").unwrap_or(0);
        self.fail = context.config.get("then").map(String::as_str) == Some("fail");
        self.commits = context.config.get("commits").map(String::as_str) != Some("false");
        Ok(())
    }

    fn commits_records(&self) -> bool {
        self.commits
    }

    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        if self.next < self.count {
            return Ok(self.records(self.count));
        }
        let state = with_shared(&self.topic, |s| s.clone());
        if self.commits && (state.acked as u64) < self.count {
            tokio::time::sleep(Duration::from_millis(10)).await;
            return Ok(Vec::new());
        }
        if self.fail {
            return Err(ConnectError::connect(
                "poll failed after the acknowledged records",
            ));
        }
        if state.release && self.next < self.count + self.extra {
            let out = self.records(self.count + self.extra);
            with_shared(&self.topic, |s| s.extra_polled = true);
            return Ok(out);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        Ok(Vec::new())
    }

    async fn commit_record(
        &mut self,
        _record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> ConnectResult<()> {
        with_shared(&self.topic, |s| {
            s.commit_calls += 1;
            s.acked += usize::from(metadata.is_some());
            if let Some(m) = metadata {
                s.metadata.push((m.topic.clone(), m.partition, m.offset));
            }
        });
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn fixture(bootstrap: &str, store: Arc<dyn OffsetBackingStore>) -> Arc<StandaloneHerder> {
    let plugins = registry(vec![Plugin {
        class: "test.AckThenSourceConnector",
        version: "test",
        factory: PluginFactory::Source(|| {
            Box::new(OneTask::<Box<dyn SourceTask>>::new(|| {
                Box::new(AckThenTask {
                    topic: String::new(),
                    count: 0,
                    extra: 0,
                    fail: false,
                    commits: true,
                    next: 0,
                })
            }))
        }),
    }]);
    let settings = [
        ("key.converter", "StringConverter"),
        ("value.converter", "StringConverter"),
        // No periodic commit: only the final commit can write offsets.
        ("offset.flush.interval.ms", "600000"),
        ("offset.flush.timeout.ms", "5000"),
        ("task.shutdown.graceful.timeout.ms", "2000"),
    ];
    herder(bootstrap, &settings, plugins, store)
}

fn committed_pos(store: &Arc<dyn OffsetBackingStore>, name: &str) -> Option<u64> {
    store
        .get(name, &partition_f())
        .and_then(|o| o.get("pos").and_then(serde_json::Value::as_u64))
}

async fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_task_commits_what_was_acknowledged_before_it_failed() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("fails", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let store: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
    let h = fixture(&mock.bootstrap_servers(), store.clone());
    let config = props(&[
        ("name", "fails"),
        ("connector.class", "test.AckThenSourceConnector"),
        ("topic", "fails"),
        ("count", "25"),
        ("then", "fail"),
    ]);
    h.put_connector_config("fails", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let task = ConnectorTaskId {
        connector: "fails".into(),
        task: 0,
    };
    wait_for("the task to fail", Duration::from_secs(15), || {
        h.worker().status().task(&task).map(|t| t.state) == Some(State::Failed)
    })
    .await;
    assert_eq!(with_shared("fails", |s| s.acked), 25);
    assert_eq!(
        committed_pos(&store, "fails"),
        Some(24),
        "the offsets of the 25 acknowledged records must be committed when the task fails"
    );
    let trace = h
        .task_status(&task)
        .await
        .ok()
        .and_then(|s| s.trace)
        .unwrap_or_default();
    assert!(
        trace.contains("poll failed after the acknowledged records"),
        "{trace}"
    );
    h.shutdown().await;
}

/// `commitRecord` gets the topic, partition and offset the record was written to: the topic
/// after transformations, not the one the task gave it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_record_gets_where_the_record_was_written() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("meta-routed", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let store: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
    let h = fixture(&mock.bootstrap_servers(), store);
    let config = props(&[
        ("name", "meta"),
        ("connector.class", "test.AckThenSourceConnector"),
        ("topic", "meta-orig"),
        ("count", "3"),
        ("transforms", "route"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", "meta-orig"),
        ("transforms.route.replacement", "meta-routed"),
    ]);
    h.put_connector_config("meta", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("3 acknowledgements", Duration::from_secs(15), || {
        with_shared("meta-orig", |s| s.acked) == 3
    })
    .await;
    let mut metadata = with_shared("meta-orig", |s| s.metadata.clone());
    metadata.sort();
    let routed = |offset| ("meta-routed".to_string(), 0, offset);
    assert_eq!(metadata, [routed(0), routed(1), routed(2)]);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_acknowledgements_do_not_cut_off_the_final_commit() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("slow", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let store: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
    let h = fixture(&mock.bootstrap_servers(), store.clone());
    let config = props(&[
        ("name", "slow"),
        ("connector.class", "test.AckThenSourceConnector"),
        ("topic", "slow"),
        ("count", "10"),
        ("extra", "5"),
    ]);
    h.put_connector_config("slow", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("10 acknowledgements", Duration::from_secs(15), || {
        with_shared("slow", |s| s.acked) == 10
    })
    .await;
    // The broker stops answering: the next records stay unacknowledged.
    mock.broker_down(1).unwrap_or_else(|e| panic!("{e}"));
    with_shared("slow", |s| s.release = true);
    wait_for("the extra records", Duration::from_secs(5), || {
        with_shared("slow", |s| s.extra_polled)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(committed_pos(&store, "slow"), None, "nothing committed yet");

    // offset.flush.timeout.ms (5 s) is longer than task.shutdown.graceful.timeout.ms (2 s):
    // the wait for the 5 unacknowledged records must leave room for the commit.
    let at = Instant::now();
    h.shutdown().await;
    let took = at.elapsed();
    assert_eq!(
        committed_pos(&store, "slow"),
        Some(9),
        "the offsets of the 10 acknowledged records must be committed at shutdown"
    );
    assert!(took < Duration::from_millis(2500), "shutdown took {took:?}");
    assert_eq!(with_shared("slow", |s| s.acked), 10);
    drop(mock);
}

/// The high watermark of partition 0 of `topic`.
fn end_offset(bootstrap: &str, topic: &str) -> Option<i64> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .ok()?;
    consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(1))
        .ok()
        .map(|(_, high)| high)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_without_commit_record_commits_only_acknowledged_offsets() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("nocommit", 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let store: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
    let h = fixture(&bootstrap, store.clone());
    let config = props(&[
        ("name", "nocommit"),
        ("connector.class", "test.AckThenSourceConnector"),
        ("topic", "nocommit"),
        ("count", "10"),
        ("extra", "5"),
        ("commits", "false"),
    ]);
    h.put_connector_config("nocommit", config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("10 records in the topic", Duration::from_secs(15), || {
        end_offset(&bootstrap, "nocommit") == Some(10)
    })
    .await;
    // The broker stops answering: the next records stay unacknowledged, and the loop keeps
    // only their offsets (no record), which must not commit.
    mock.broker_down(1).unwrap_or_else(|e| panic!("{e}"));
    with_shared("nocommit", |s| s.release = true);
    wait_for("the extra records", Duration::from_secs(5), || {
        with_shared("nocommit", |s| s.extra_polled)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.shutdown().await;
    assert_eq!(
        committed_pos(&store, "nocommit"),
        Some(9),
        "the offsets of the 10 acknowledged records, and none after them, must be committed"
    );
    assert_eq!(
        with_shared("nocommit", |s| s.commit_calls),
        0,
        "commit_record is not called for a task that does not use it"
    );
    drop(mock);
}

#[test]
fn the_final_commit_plan_always_leaves_time_to_write() {
    use super::final_commit_plan;
    let s = Duration::from_secs;
    let ms = Duration::from_millis;
    let plan = final_commit_plan(s(5), s(5));
    assert_eq!((plan.ack_wait, plan.write_by), (s(4), ms(4500)));
    let plan = final_commit_plan(s(2), s(5));
    assert_eq!((plan.ack_wait, plan.write_by), (ms(1500), ms(1750)));
    // A short flush timeout ends the wait early; the write may use the rest.
    let plan = final_commit_plan(s(30), ms(100));
    assert_eq!((plan.ack_wait, plan.write_by), (ms(100), ms(29500)));
    let plan = final_commit_plan(Duration::ZERO, s(5));
    assert_eq!(
        (plan.ack_wait, plan.write_by),
        (Duration::ZERO, Duration::ZERO)
    );
}
