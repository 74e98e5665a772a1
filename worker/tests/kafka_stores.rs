//! The config and status stores against the real broker (tansu, `SLUICE_BOOTSTRAP_SERVERS`):
//! two store instances on the same topics behave as two workers (a write by one reaches the
//! other's listener and snapshot), a restarted store rebuilds the same state from the topic
//! alone, and topics pre-loaded with Java's exact record bytes read into the expected state.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_worker::herder::{ConnectorTaskId, RestartRequest};
use sluice_worker::storage::config_kafka::{
    ClusterConfigState, ConfigUpdate, KafkaConfigBackingStore, SessionKey,
};
use sluice_worker::storage::config_records::{ConfigProps, TargetState};
use sluice_worker::storage::internal_topics::InternalTopic;
use sluice_worker::storage::kafka_log::{ConsumeCallback, KafkaBasedLog, LogClients, LogRecord};
use sluice_worker::storage::status_kafka::KafkaStatusBackingStore;
use sluice_worker::storage::status_records::{Status, StatusState, TopicStatus};

use common::{bootstrap_servers, unique_name};

fn base() -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap_servers());
    config
}

fn clients() -> LogClients {
    LogClients::uniform(&base())
}

fn admin() -> Arc<AdminClient<DefaultClientContext>> {
    Arc::new(base().create().expect("admin client"))
}

type Events = Arc<Mutex<Vec<ConfigUpdate>>>;

async fn config_store(topic: &InternalTopic) -> (KafkaConfigBackingStore, Events) {
    let events: Events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let store = KafkaConfigBackingStore::start(
        topic,
        &clients(),
        &admin(),
        Arc::new(move |u: ConfigUpdate| sink.lock().expect("lock").push(u)),
    )
    .await
    .expect("start config store");
    (store, events)
}

fn events_now(events: &Events) -> Vec<ConfigUpdate> {
    events.lock().expect("lock").clone()
}

/// Waits (without blocking the runtime) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Produces string records as a Java worker does (Java's partitioner), blocking.
async fn produce_java(topic: &str, records: &[(&str, Option<&str>)]) {
    let topic = topic.to_string();
    let records: Vec<(String, Option<String>)> = records
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
        .collect();
    tokio::task::spawn_blocking(move || {
        let producer: BaseProducer = base()
            .set("partitioner", "murmur2_random")
            .set("message.timeout.ms", "30000")
            .create()
            .expect("producer");
        for (key, value) in &records {
            let mut record = BaseRecord::<str, str>::to(&topic).key(key.as_str());
            if let Some(v) = value {
                record = record.payload(v.as_str());
            }
            producer
                .send(record)
                .unwrap_or_else(|(e, _)| panic!("produce to {topic}: {e}"));
            producer.poll(Duration::ZERO);
        }
        producer
            .flush(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("flush {topic}: {e}"));
    })
    .await
    .expect("producer thread");
}

/// Every record of the topic now, as strings, in (partition, offset) order.
async fn raw_records(topic: &str) -> Vec<(String, Option<String>)> {
    let seen: Arc<Mutex<Vec<LogRecord>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let callback: ConsumeCallback = Box::new(move |r| sink.lock().expect("lock").push(r));
    let log = KafkaBasedLog::start(topic, &clients(), callback)
        .await
        .expect("raw reader");
    log.stop().await;
    let mut records = seen.lock().expect("lock").clone();
    records.sort_by_key(|r| (r.partition, r.offset));
    records
        .into_iter()
        .map(|r| {
            (
                String::from_utf8_lossy(&r.key.unwrap_or_default()).into_owned(),
                r.value.map(|v| String::from_utf8_lossy(&v).into_owned()),
            )
        })
        .collect()
}

fn props(pairs: &[(&str, &str)]) -> ConfigProps {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

fn id(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: connector.to_string(),
        task,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_config_stores_see_each_others_writes_and_a_restart_rebuilds_the_state() {
    let topic = InternalTopic::config(unique_name("stores-configs"), 1);
    let (a, a_events) = config_store(&topic).await;
    let (b, b_events) = config_store(&topic).await;
    assert_eq!(a.snapshot(), ClusterConfigState::empty());

    // The leader (a) creates a connector with an initial state and writes its tasks.
    let config = props(&[("connector.class", "FileStreamSource"), ("tasks.max", "2")]);
    a.put_connector_config("foo", &config, Some(TargetState::Paused))
        .await
        .expect("put connector config");
    // a's own write is in its snapshot on return.
    assert_eq!(a.snapshot().connector_config("foo"), Some(&config));
    assert_eq!(a.snapshot().target_state("foo"), Some(TargetState::Paused));
    a.put_task_configs(
        "foo",
        vec![props(&[("file", "a.txt")]), props(&[("file", "b.txt")])],
    )
    .await
    .expect("put task configs");
    assert_eq!(a.snapshot().tasks("foo"), [id("foo", 0), id("foo", 1)]);

    // b learns of it through its listener, in topic order.
    eventually("b to see the task configs", || {
        events_now(&b_events).contains(&ConfigUpdate::TaskConfigsUpdated(vec![
            id("foo", 0),
            id("foo", 1),
        ]))
    })
    .await;
    let seen = events_now(&b_events);
    assert_eq!(
        seen[0],
        ConfigUpdate::ConnectorConfigUpdated("foo".into()),
        "{seen:?}"
    );
    let snapshot = b.snapshot();
    assert_eq!(snapshot.target_state("foo"), Some(TargetState::Paused));
    assert_eq!(
        snapshot.task_config(&id("foo", 1)),
        Some(&props(&[("file", "b.txt")]))
    );
    assert_eq!(snapshot.task_config_generation("foo"), Some(0));

    // Java's order (target state, then config): b never saw foo's state change.
    assert!(
        !seen.contains(&ConfigUpdate::TargetStateChanged("foo".into())),
        "{seen:?}"
    );

    // Any worker may write a target state; the other hears of it.
    b.put_target_state("foo", TargetState::Started)
        .await
        .expect("put target state");
    eventually("a to see the target state change", || {
        events_now(&a_events).contains(&ConfigUpdate::TargetStateChanged("foo".into()))
    })
    .await;
    a.refresh(Duration::from_secs(30)).await.expect("refresh");
    assert_eq!(a.snapshot().target_state("foo"), Some(TargetState::Started));

    // Session key and restart request reach b's listener.
    let key = SessionKey {
        key: vec![7; 32],
        algorithm: "HmacSHA256".into(),
        creation_timestamp: 1_700_000_000_000,
    };
    a.put_session_key(&key).await.expect("put session key");
    let restart = RestartRequest {
        include_tasks: true,
        only_failed: true,
    };
    a.put_restart_request("foo", restart)
        .await
        .expect("put restart request");
    eventually("b to see the session key and the restart request", || {
        let seen = events_now(&b_events);
        seen.contains(&ConfigUpdate::SessionKeyUpdated(key.clone()))
            && seen.contains(&ConfigUpdate::RestartRequested {
                connector: "foo".into(),
                request: restart,
            })
    })
    .await;

    // A second connector, deleted again.
    a.put_connector_config("bar", &config, None)
        .await
        .expect("put bar");
    a.remove_connector_config("bar").await.expect("remove bar");
    assert!(!a.contains("bar"));
    eventually("b to see bar removed", || {
        events_now(&b_events).contains(&ConfigUpdate::ConnectorConfigRemoved("bar".into()))
    })
    .await;
    b.refresh(Duration::from_secs(30)).await.expect("refresh");
    let final_state = a.snapshot();
    assert_eq!(b.snapshot(), final_state);
    assert_eq!(final_state.session_key(), Some(&key));
    assert_eq!(final_state.connectors(), ["foo"]);
    assert_eq!(final_state.target_state("bar"), None);

    // A restarted worker rebuilds the same state from the topic alone, without events.
    a.stop().await;
    b.stop().await;
    let (c, c_events) = config_store(&topic).await;
    assert_eq!(c.snapshot(), final_state);
    assert!(events_now(&c_events).is_empty());

    // What Sluice wrote is Java's bytes.
    c.stop().await;
    let records = raw_records(&topic.name).await;
    let find = |key: &str| {
        records
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no record {key}: {records:?}"))
    };
    assert_eq!(
        find("connector-foo").as_deref(),
        Some(r#"{"properties":{"connector.class":"FileStreamSource","tasks.max":"2"}}"#)
    );
    assert_eq!(
        find("task-foo-1").as_deref(),
        Some(r#"{"properties":{"file":"b.txt"}}"#)
    );
    assert_eq!(find("commit-foo").as_deref(), Some(r#"{"tasks":2}"#));
    assert_eq!(
        find("target-state-foo").as_deref(),
        Some(r#"{"state":"STARTED","state.v2":"STARTED"}"#)
    );
    assert_eq!(
        find("restart-connector-foo").as_deref(),
        Some(r#"{"include-tasks":true,"only-failed":true}"#)
    );
    assert_eq!(find("connector-bar"), None);
    assert_eq!(find("target-state-bar"), None);
    // Task records come before their commit.
    let position = |key: &str| records.iter().position(|(k, _)| k == key);
    assert!(position("task-foo-0") < position("commit-foo"));
    assert!(position("task-foo-1") < position("commit-foo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_topic_written_by_java_reads_into_the_expected_snapshot() {
    let topic = InternalTopic::config(unique_name("stores-configs-java"), 1);
    // Create it first (compacted, one partition), then write a Java worker's records.
    config_store(&topic).await.0.stop().await;
    let java = [
        (
            "connector-foo",
            Some(
                r#"{"properties":{"connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","tasks.max":"1","file":"/tmp/in.txt","topic":"lines","name":"foo"}}"#,
            ),
        ),
        (
            "target-state-foo",
            Some(r#"{"state":"PAUSED","state.v2":"PAUSED"}"#),
        ),
        (
            "task-foo-0",
            Some(
                r#"{"properties":{"file":"/tmp/in.txt","task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","topic":"lines"}}"#,
            ),
        ),
        ("commit-foo", Some(r#"{"tasks":1}"#)),
        ("tasks-fencing-foo", Some(r#"{"task-count":1}"#)),
        (
            "connector-bar",
            Some(r#"{"properties":{"connector.class":"FileStreamSink","name":"bar"}}"#),
        ),
        (
            "target-state-bar",
            Some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#),
        ),
        ("commit-bar", Some(r#"{"tasks":0}"#)),
        ("connector-baz", Some(r#"{"properties":{"name":"baz"}}"#)),
        // baz's second task config was compacted away.
        ("task-baz-0", Some(r#"{"properties":{"n":"0"}}"#)),
        ("commit-baz", Some(r#"{"tasks":2}"#)),
        ("connector-gone", Some(r#"{"properties":{"name":"gone"}}"#)),
        ("connector-gone", None),
        ("target-state-gone", None),
        (
            "session-key",
            Some(
                r#"{"key":"c2VjcmV0LWtleS1ieXRlcw==","algorithm":"HmacSHA256","creation-timestamp":1700000000000}"#,
            ),
        ),
        (
            "restart-connector-foo",
            Some(r#"{"include-tasks":false,"only-failed":false}"#),
        ),
        (
            "logger-cluster-org.apache.kafka",
            Some(r#"{"level":"DEBUG"}"#),
        ),
    ];
    produce_java(&topic.name, &java).await;

    let (store, events) = config_store(&topic).await;
    let s = store.snapshot();
    assert_eq!(s.offset(), java.len() as i64);
    assert_eq!(s.connectors(), ["bar", "baz", "foo"]);
    assert_eq!(
        s.connector_config("foo")
            .and_then(|p| p.get("file"))
            .cloned(),
        Some(Some("/tmp/in.txt".to_string()))
    );
    assert_eq!(s.target_state("foo"), Some(TargetState::Paused));
    assert_eq!(s.target_state("bar"), Some(TargetState::Stopped));
    assert_eq!(s.target_state("baz"), Some(TargetState::Started));
    assert_eq!(s.tasks("foo"), [id("foo", 0)]);
    assert_eq!(
        s.task_config(&id("foo", 0))
            .and_then(|p| p.get("task.class"))
            .cloned(),
        Some(Some(
            "org.apache.kafka.connect.file.FileStreamSourceTask".to_string()
        ))
    );
    assert_eq!(s.task_count_record("foo"), Some(1));
    assert!(!s.pending_fencing("foo"));
    assert!(s.pending_fencing("bar"));
    assert!(s.tasks("bar").is_empty());
    assert!(s.inconsistent_connectors().contains("baz"));
    assert!(s.tasks("baz").is_empty());
    assert_eq!(s.task_count("baz"), 2);
    assert!(!s.contains("gone"));
    assert_eq!(s.target_state("gone"), None);
    assert_eq!(
        s.session_key().map(|k| k.key.clone()),
        Some(b"secret-key-bytes".to_vec())
    );
    // History is state, not events: the restart request and log level read at start are
    // not delivered.
    assert!(events_now(&events).is_empty());

    // The leader repairs baz with a complete set of task configs.
    store
        .put_task_configs("baz", vec![props(&[("n", "0")]), props(&[("n", "1")])])
        .await
        .expect("put task configs");
    let s = store.snapshot();
    assert!(s.inconsistent_connectors().is_empty());
    assert_eq!(s.tasks("baz"), [id("baz", 0), id("baz", 1)]);
    store.stop().await;
}

fn status(state: StatusState, worker: &str, generation: i32) -> Status {
    Status {
        state,
        trace: None,
        worker_id: worker.to_string(),
        generation,
    }
}

async fn status_store(topic: &InternalTopic) -> KafkaStatusBackingStore {
    KafkaStatusBackingStore::start(topic, &clients(), &admin())
        .await
        .expect("start status store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_status_stores_share_statuses_and_put_safe_respects_generations() {
    let topic = InternalTopic::status(unique_name("stores-status"), 5, 1);
    let a = status_store(&topic).await;
    let b = status_store(&topic).await;

    a.put_connector("c", status(StatusState::Running, "a:8083", 5));
    a.put_task(&id("c", 0), status(StatusState::Running, "a:8083", 5));
    a.put_task(&id("c", 1), status(StatusState::Running, "a:8083", 5));
    a.put_topic(&TopicStatus {
        topic: "orders".into(),
        connector: "c".into(),
        task: 0,
        discover_timestamp: 1_700_000_000_000,
    });
    a.flush(Duration::from_secs(30)).await.expect("flush a");
    b.read_to_end().await.expect("b reads");
    assert_eq!(
        b.get_connector("c"),
        Some(status(StatusState::Running, "a:8083", 5))
    );
    assert_eq!(b.get_all("c").len(), 2);
    assert_eq!(
        b.get_topic("c", "orders").map(|t| t.discover_timestamp),
        Some(1_700_000_000_000)
    );

    // b is a generation behind: its safe UNASSIGNED is not written.
    b.put_task_safe(&id("c", 0), status(StatusState::Unassigned, "b:8083", 4));
    b.flush(Duration::from_secs(30)).await.expect("flush b");
    // b in the current generation: FAILED is written.
    b.put_task_safe(&id("c", 1), status(StatusState::Failed, "b:8083", 5));
    b.flush(Duration::from_secs(30)).await.expect("flush b");
    a.read_to_end().await.expect("a reads");
    assert_eq!(
        a.get_task(&id("c", 0)).map(|s| (s.state, s.worker_id)),
        Some((StatusState::Running, "a:8083".to_string()))
    );
    assert_eq!(
        a.get_task(&id("c", 1)).map(|s| (s.state, s.worker_id)),
        Some((StatusState::Failed, "b:8083".to_string()))
    );

    // Deletions are tombstones: the connector's tasks go with it.
    a.delete_topic("c", "orders");
    a.delete_connector("c", "a:8083", 6);
    a.flush(Duration::from_secs(30)).await.expect("flush a");
    b.read_to_end().await.expect("b reads");
    assert_eq!(b.get_connector("c"), None);
    assert!(b.get_all("c").is_empty());
    assert!(b.get_all_topics("c").is_empty());
    a.stop().await;
    b.stop().await;

    // Java's bytes (the broker compacts while the test runs: superseded records may be gone;
    // these are the last of their keys).
    let records = raw_records(&topic.name).await;
    assert!(
        records.iter().any(|(k, v)| k == "status-task-c-0"
            && v.as_deref()
                == Some(r#"{"state":"RUNNING","trace":null,"worker_id":"a:8083","generation":5}"#)),
        "{records:?}"
    );
    assert!(
        records.iter().any(|(k, v)| k == "status-task-c-1"
            && v.as_deref()
                == Some(r#"{"state":"FAILED","trace":null,"worker_id":"b:8083","generation":5}"#)),
        "{records:?}"
    );
    assert!(records
        .iter()
        .any(|(k, v)| k == "status-connector-c" && v.is_none()));
    assert!(!records
        .iter()
        .any(|(k, v)| k == "status-task-c-0"
            && v.as_deref().is_some_and(|v| v.contains("UNASSIGNED"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_topic_written_by_java_reads_into_the_expected_statuses() {
    let topic = InternalTopic::status(unique_name("stores-status-java"), 5, 1);
    status_store(&topic).await.stop().await;
    produce_java(
        &topic.name,
        &[
            (
                "status-connector-my-src",
                Some(r#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7}"#),
            ),
            (
                "status-task-my-src-0",
                Some(r#"{"state":"FAILED","trace":"org.apache.kafka.connect.errors.ConnectException: boom\n\tat Foo.bar(Foo.java:1)\n","worker_id":"10.0.0.6:8083","generation":7}"#),
            ),
            (
                "status-task-my-src-1",
                Some(r#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7}"#),
            ),
            ("status-task-my-src-1", None),
            (
                "status-topic-lines:connector-my-src",
                Some(r#"{"topic":{"name":"lines","connector":"my-src","task":0,"discoverTimestamp":1700000000123}}"#),
            ),
            (
                "status-connector-old",
                Some(r#"{"state":"PAUSED","trace":null,"worker_id":"10.0.0.5:8083","generation":3}"#),
            ),
            ("status-connector-old", None),
            ("status-task-broken-0", Some("not json")),
        ],
    )
    .await;

    let store = status_store(&topic).await;
    assert_eq!(
        store.get_connector("my-src"),
        Some(status(StatusState::Running, "10.0.0.5:8083", 7))
    );
    let tasks = store.get_all("my-src");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let (task, failed) = &tasks[0];
    assert_eq!(task, &id("my-src", 0));
    assert_eq!(failed.state, StatusState::Failed);
    assert_eq!(failed.worker_id, "10.0.0.6:8083");
    assert!(
        failed.trace.as_deref().is_some_and(
            |t| t.starts_with("org.apache.kafka.connect.errors.ConnectException: boom\n")
        )
    );
    assert_eq!(
        store.get_all_topics("my-src"),
        [TopicStatus {
            topic: "lines".into(),
            connector: "my-src".into(),
            task: 0,
            discover_timestamp: 1_700_000_000_123,
        }]
    );
    assert_eq!(store.get_connector("old"), None);
    assert_eq!(store.get_task(&id("broken", 0)), None);
    store.stop().await;
}
