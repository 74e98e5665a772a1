//! The status cache fed with Java's record bytes, Java's putSafe and retry rules, and the
//! store's background writes through a scripted sink (no broker).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use super::cache::{EntryKey, StatusCache};
use super::{KafkaStatusBackingStore, StatusSink};
use crate::herder::ConnectorTaskId;
use crate::storage::kafka_log::{LogError, LogRecord};
use crate::storage::status_records::{Status, StatusState, TopicStatus};

fn record(key: &str, value: Option<&str>) -> LogRecord {
    LogRecord {
        key: Some(key.as_bytes().to_vec()),
        value: value.map(|v| v.as_bytes().to_vec()),
        partition: 0,
        offset: 0,
    }
}

fn status(state: StatusState, worker: &str, generation: i32) -> Status {
    Status {
        state,
        trace: None,
        worker_id: worker.to_string(),
        generation,
    }
}

fn id(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: connector.to_string(),
        task,
    }
}

#[test]
fn java_records_fill_the_cache_and_tombstones_empty_it() {
    let mut cache = StatusCache::default();
    cache.consume(&record(
        "status-connector-my-src",
        Some(r#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7}"#),
    ));
    cache.consume(&record(
        "status-task-my-src-0",
        Some(r#"{"state":"FAILED","trace":"java.lang.RuntimeException: boom","worker_id":"10.0.0.6:8083","generation":7}"#),
    ));
    cache.consume(&record(
        "status-task-my-src-1",
        Some(r#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7}"#),
    ));
    cache.consume(&record(
        "status-topic-orders:connector-my-src",
        Some(r#"{"topic":{"name":"orders","connector":"my-src","task":0,"discoverTimestamp":1700000000000}}"#),
    ));
    // Undecodable records are skipped.
    cache.consume(&record("status-task-my-src-2", Some("{oops")));
    cache.consume(&record(
        "status-task-my-src-3",
        Some(r#"{"state":"NOPE","worker_id":"w","generation":1}"#),
    ));
    cache.consume(&record("status-bogus", Some("{}")));

    assert_eq!(
        cache.connector("my-src"),
        Some(status(StatusState::Running, "10.0.0.5:8083", 7))
    );
    let failed = cache.task(&id("my-src", 0)).expect("task 0");
    assert_eq!(failed.state, StatusState::Failed);
    assert_eq!(
        failed.trace.as_deref(),
        Some("java.lang.RuntimeException: boom")
    );
    assert_eq!(
        cache
            .all_tasks("my-src")
            .iter()
            .map(|(i, _)| i.task)
            .collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(
        cache.topic("my-src", "orders"),
        Some(TopicStatus {
            topic: "orders".into(),
            connector: "my-src".into(),
            task: 0,
            discover_timestamp: 1_700_000_000_000,
        })
    );

    cache.consume(&record("status-task-my-src-1", None));
    assert_eq!(cache.task(&id("my-src", 1)), None);
    assert_eq!(cache.all_tasks("my-src").len(), 1);
    cache.consume(&record("status-topic-orders:connector-my-src", None));
    assert!(cache.all_topics("my-src").is_empty());
    // A connector tombstone drops its task statuses too.
    cache.consume(&record("status-connector-my-src", None));
    assert_eq!(cache.connector("my-src"), None);
    assert!(cache.all_tasks("my-src").is_empty());
    assert!(cache.connectors().is_empty());
}

#[test]
fn a_stale_unassigned_task_status_is_ignored() {
    let mut cache = StatusCache::default();
    let running = r#"{"state":"RUNNING","trace":null,"worker_id":"b:8083","generation":5}"#;
    cache.consume(&record("status-task-c-0", Some(running)));
    // UNASSIGNED of an older or the same generation loses against RUNNING.
    for generation in [4, 5] {
        cache.consume(&record(
            "status-task-c-0",
            Some(&format!(
                r#"{{"state":"UNASSIGNED","trace":null,"worker_id":"a:8083","generation":{generation}}}"#
            )),
        ));
        assert_eq!(
            cache.task(&id("c", 0)).map(|s| s.state),
            Some(StatusState::Running)
        );
    }
    // A newer one wins, as does any other state.
    cache.consume(&record(
        "status-task-c-0",
        Some(r#"{"state":"UNASSIGNED","trace":null,"worker_id":"a:8083","generation":6}"#),
    ));
    assert_eq!(
        cache.task(&id("c", 0)).map(|s| s.state),
        Some(StatusState::Unassigned)
    );
    // Connectors have no such rule.
    cache.consume(&record(
        "status-connector-c",
        Some(r#"{"state":"RUNNING","trace":null,"worker_id":"b:8083","generation":9}"#),
    ));
    cache.consume(&record(
        "status-connector-c",
        Some(r#"{"state":"UNASSIGNED","trace":null,"worker_id":"a:8083","generation":1}"#),
    ));
    assert_eq!(
        cache.connector("c").map(|s| s.state),
        Some(StatusState::Unassigned)
    );
}

#[test]
fn put_safe_is_refused_only_against_another_workers_newer_generation() {
    let mut cache = StatusCache::default();
    let key = || EntryKey::Connector("c".into());
    // Nothing cached: allowed.
    assert!(cache
        .admit(key(), &status(StatusState::Failed, "a", 1), true)
        .is_some());
    cache.consume(&record(
        "status-connector-c",
        Some(r#"{"state":"RUNNING","trace":null,"worker_id":"b","generation":5}"#),
    ));
    // Another worker, newer generation: refused (only when safe).
    assert!(cache
        .admit(key(), &status(StatusState::Unassigned, "a", 4), true)
        .is_none());
    assert!(cache
        .admit(key(), &status(StatusState::Unassigned, "a", 4), false)
        .is_some());
    // Same worker, or a generation at least as new: allowed.
    assert!(cache
        .admit(key(), &status(StatusState::Unassigned, "b", 1), true)
        .is_some());
    assert!(cache
        .admit(key(), &status(StatusState::Unassigned, "a", 5), true)
        .is_some());
    assert!(cache
        .admit(key(), &status(StatusState::Unassigned, "a", 6), true)
        .is_some());
}

#[test]
fn retry_rules_deleted_generation_and_sequence() {
    let mut cache = StatusCache::default();
    let task = || EntryKey::Task(id("c", 0));
    let s1 = status(StatusState::Running, "a", 3);
    let first = cache.admit(task(), &s1, false).expect("admitted");
    assert!(cache.should_retry(&first, &s1));

    // A later plain write of the same entry does not stop the retry of a plain write...
    cache.admit(task(), &s1, false).expect("admitted");
    assert!(cache.should_retry(&first, &s1));
    // ...but it does stop a safe one.
    let safe = cache.admit(task(), &s1, true).expect("admitted");
    assert!(cache.should_retry(&safe, &s1));
    cache.admit(task(), &s1, false).expect("admitted");
    assert!(!cache.should_retry(&safe, &s1));

    // Any write of another generation stops it.
    let other = EntryKey::Connector("x".into());
    cache.admit(other, &status(StatusState::Running, "a", 4), false);
    assert!(!cache.should_retry(&first, &s1));

    // A deleted entry stops it, even once re-created.
    let s4 = status(StatusState::Running, "a", 4);
    let fourth = cache.admit(task(), &s4, false).expect("admitted");
    assert!(cache.should_retry(&fourth, &s4));
    cache.consume(&record("status-task-c-0", None));
    assert!(!cache.should_retry(&fourth, &s4));
    cache.admit(task(), &s4, false).expect("admitted");
    assert!(!cache.should_retry(&fourth, &s4));
}

/// One send: key, value, whether it succeeded.
type Attempt = (String, Option<String>, bool);

/// Decides whether a send (key, value) fails, and with which error.
type Script = Box<dyn Fn(&str, Option<&str>) -> Option<RDKafkaErrorCode> + Send + Sync>;

/// A sink that fails sends its script says to fail, records every attempt, and reads the
/// successful ones back into the cache (as the log's reader would).
struct ScriptedSink {
    cache: Arc<Mutex<StatusCache>>,
    fail: Script,
    attempts: Mutex<Vec<Attempt>>,
}

#[async_trait::async_trait]
impl StatusSink for ScriptedSink {
    async fn send(&self, key: &[u8], value: Option<&[u8]>) -> Result<(), LogError> {
        let key_s = String::from_utf8_lossy(key).into_owned();
        let value_s = value.map(|v| String::from_utf8_lossy(v).into_owned());
        let failure = (self.fail)(&key_s, value_s.as_deref());
        self.attempts
            .lock()
            .unwrap()
            .push((key_s.clone(), value_s.clone(), failure.is_none()));
        if let Some(code) = failure {
            return Err(LogError::Send {
                topic: "status".into(),
                source: KafkaError::MessageProduction(code),
            });
        }
        self.cache
            .lock()
            .unwrap()
            .consume(&record(&key_s, value_s.as_deref()));
        Ok(())
    }
}

fn scripted(
    fail: impl Fn(&str, Option<&str>) -> Option<RDKafkaErrorCode> + Send + Sync + 'static,
) -> (KafkaStatusBackingStore, Arc<ScriptedSink>) {
    let cache = Arc::new(Mutex::new(StatusCache::default()));
    let sink = Arc::new(ScriptedSink {
        cache: cache.clone(),
        fail: Box::new(fail),
        attempts: Mutex::new(Vec::new()),
    });
    let store = KafkaStatusBackingStore::build(
        "status".into(),
        sink.clone(),
        cache,
        None,
        Duration::from_millis(5),
    );
    (store, sink)
}

fn attempts(sink: &ScriptedSink) -> Vec<Attempt> {
    sink.attempts.lock().unwrap().clone()
}

#[tokio::test]
async fn writes_are_javas_bytes_and_tombstones() {
    let (store, sink) = scripted(|_, _| None);
    let removed = Arc::new(Mutex::new(Vec::new()));
    {
        let removed = removed.clone();
        store.on_topic_removed(move |c, t| removed.lock().unwrap().push(format!("{c}/{t}")));
    }
    store.put_connector("c", status(StatusState::Running, "w:8083", 2));
    store.put_task(
        &id("c", 1),
        Status {
            trace: Some("boom".into()),
            ..status(StatusState::Failed, "w:8083", 2)
        },
    );
    store.put_topic(&TopicStatus {
        topic: "orders".into(),
        connector: "c".into(),
        task: 1,
        discover_timestamp: 5,
    });
    store.flush(Duration::from_secs(5)).await.expect("flush");
    store.delete_task(&id("c", 1), "w:8083", 2);
    store.delete_topic("c", "orders");
    store.flush(Duration::from_secs(5)).await.expect("flush");
    let mut sent: Vec<_> = attempts(&sink)
        .into_iter()
        .map(|(k, v, _)| (k, v))
        .collect();
    sent.sort();
    let s = |v: &str| Some(v.to_string());
    let mut expected = vec![
        (
            "status-connector-c".to_string(),
            s(r#"{"state":"RUNNING","trace":null,"worker_id":"w:8083","generation":2}"#),
        ),
        (
            "status-task-c-1".to_string(),
            s(r#"{"state":"FAILED","trace":"boom","worker_id":"w:8083","generation":2}"#),
        ),
        (
            "status-topic-orders:connector-c".to_string(),
            s(r#"{"topic":{"name":"orders","connector":"c","task":1,"discoverTimestamp":5}}"#),
        ),
        ("status-task-c-1".to_string(), None),
        ("status-topic-orders:connector-c".to_string(), None),
    ];
    expected.sort();
    assert_eq!(sent, expected);
    // Read back: the task and the topic are gone again, the connector stays.
    assert_eq!(store.get_task(&id("c", 1)), None);
    assert!(store.get_all_topics("c").is_empty());
    assert_eq!(*removed.lock().unwrap(), ["c/orders"]);
    assert_eq!(
        store.get_connector("c").map(|s| s.state),
        Some(StatusState::Running)
    );
    assert_eq!(store.connectors(), ["c"]);
}

#[tokio::test]
async fn a_retriable_failure_is_retried_and_a_fatal_one_is_not() {
    let failures = Arc::new(Mutex::new(3));
    let left = failures.clone();
    let (store, sink) = scripted(move |key, _| {
        if key == "status-connector-fatal" {
            return Some(RDKafkaErrorCode::MessageSizeTooLarge);
        }
        let mut left = left.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Some(RDKafkaErrorCode::RequestTimedOut);
        }
        None
    });
    store.put_task(&id("c", 0), status(StatusState::Running, "w", 1));
    store.put_connector("fatal", status(StatusState::Running, "w", 1));
    store.flush(Duration::from_secs(5)).await.expect("flush");
    let tries: Vec<bool> = attempts(&sink)
        .into_iter()
        .filter(|(k, _, _)| k == "status-task-c-0")
        .map(|(_, _, ok)| ok)
        .collect();
    assert_eq!(tries, [false, false, false, true]);
    assert_eq!(
        store.get_task(&id("c", 0)).map(|s| s.state),
        Some(StatusState::Running)
    );
    let fatal = attempts(&sink)
        .into_iter()
        .filter(|(k, _, _)| k == "status-connector-fatal")
        .count();
    assert_eq!(fatal, 1);
}

#[tokio::test]
async fn a_retry_stops_once_a_newer_generation_was_written() {
    // Generation 1's write keeps failing; generation 2's succeeds.
    let (store, sink) = scripted(|_, value| {
        value
            .filter(|v| v.contains(r#""generation":1"#))
            .map(|_| RDKafkaErrorCode::NotEnoughReplicas)
    });
    store.put_task(&id("c", 0), status(StatusState::Running, "w", 1));
    tokio::time::sleep(Duration::from_millis(50)).await;
    store.put_task(&id("c", 0), status(StatusState::Running, "w", 2));
    store
        .flush(Duration::from_secs(5))
        .await
        .expect("the old write stops retrying");
    let old = attempts(&sink)
        .into_iter()
        .filter(|(_, v, _)| {
            v.as_deref()
                .is_some_and(|v| v.contains(r#""generation":1"#))
        })
        .count();
    assert!(old >= 2, "retried while current: {old}");
    assert_eq!(store.get_task(&id("c", 0)).map(|s| s.generation), Some(2));
}

#[tokio::test]
async fn put_safe_skips_over_another_workers_newer_status() {
    let (store, sink) = scripted(|_, _| None);
    // Worker b runs the task in generation 5 (read from the topic).
    store.put_task(&id("c", 0), status(StatusState::Running, "b", 5));
    store.flush(Duration::from_secs(5)).await.expect("flush");
    // Worker a, still in generation 4, reports it UNASSIGNED: skipped.
    store.put_task_safe(&id("c", 0), status(StatusState::Unassigned, "a", 4));
    store.flush(Duration::from_secs(5)).await.expect("flush");
    assert_eq!(attempts(&sink).len(), 1);
    assert_eq!(
        store.get_task(&id("c", 0)).map(|s| s.worker_id),
        Some("b".to_string())
    );
    // In generation 6 it is written.
    store.put_task_safe(&id("c", 0), status(StatusState::Failed, "a", 6));
    store.flush(Duration::from_secs(5)).await.expect("flush");
    assert_eq!(attempts(&sink).len(), 2);
    assert_eq!(
        store.get_task(&id("c", 0)).map(|s| s.state),
        Some(StatusState::Failed)
    );
}

#[tokio::test]
async fn flush_times_out_while_a_write_is_still_retrying() {
    let (store, _sink) = scripted(|_, _| Some(RDKafkaErrorCode::BrokerTransportFailure));
    store.put_connector("c", status(StatusState::Running, "w", 1));
    let err = store
        .flush(Duration::from_millis(100))
        .await
        .expect_err("still retrying");
    assert!(err.to_string().contains("1 status writes"), "{err}");
}
