//! The Kafka-backed storage against the real broker (tansu, `SLUICE_BOOTSTRAP_SERVERS`):
//! `KafkaBasedLog` (read to end, follow, send), the internal topic creation and checks, and
//! `KafkaOffsetBackingStore` over topics holding Java's exact bytes.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_api::OffsetMap;
use sluice_worker::runtime::partitioner::java_partition;
use sluice_worker::storage::internal_topics::{ensure_topic, InternalTopic, TopicError};
use sluice_worker::storage::kafka_log::{ConsumeCallback, KafkaBasedLog, LogClients, LogRecord};
use sluice_worker::storage::{put_offsets, KafkaOffsetBackingStore, OffsetBackingStore};

use common::{bootstrap_servers, unique_name, unique_topic, wait_until};

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

type Seen = Arc<Mutex<Vec<LogRecord>>>;

fn collector() -> (Seen, ConsumeCallback) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, Box::new(move |r| sink.lock().expect("lock").push(r)))
}

fn seen_now(seen: &Seen) -> Vec<LogRecord> {
    seen.lock().expect("lock").clone()
}

/// Produces keyed records partitioned as Java's producer does (murmur2), as a Java worker
/// writes them; blocking.
fn produce_java(topic: &str, records: &[(&str, Option<&str>)]) {
    let producer: BaseProducer = base()
        .set("partitioner", "murmur2_random")
        .set("message.timeout.ms", "30000")
        .create()
        .expect("producer");
    for (key, value) in records {
        let mut record = BaseRecord::<str, str>::to(topic).key(*key);
        if let Some(v) = value {
            record = record.payload(*v);
        }
        producer
            .send(record)
            .unwrap_or_else(|(e, _)| panic!("produce to {topic}: {e}"));
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("flush {topic}: {e}"));
}

fn map(json: &str) -> OffsetMap {
    serde_json::from_str(json).expect("json object")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_reads_prewritten_records_with_tombstones_from_every_partition() {
    let topic = unique_topic("klog-prewritten", 3);
    let mut records: Vec<(String, Option<String>)> = (0..12)
        .map(|i| (format!("key-{i}"), Some(format!("value-{i}"))))
        .collect();
    records.push(("key-3".into(), None));
    records.push(("key-7".into(), None));
    let borrowed: Vec<(&str, Option<&str>)> = records
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_deref()))
        .collect();
    produce_java(&topic, &borrowed);

    let (seen, callback) = collector();
    let log = KafkaBasedLog::start(topic.as_str(), &clients(), callback)
        .await
        .expect("start");
    // Everything up to the end offsets at start was handed over before start returned.
    let got = seen_now(&seen);
    assert_eq!(got.len(), 14, "{got:?}");
    let partitions: std::collections::BTreeSet<i32> = got.iter().map(|r| r.partition).collect();
    assert!(
        partitions.len() > 1,
        "records from several partitions: {partitions:?}"
    );
    for r in &got {
        let key = r.key.as_deref().expect("key");
        assert_eq!(r.partition, java_partition(key, 3));
    }
    let tombstones: Vec<_> = got.iter().filter(|r| r.value.is_none()).collect();
    assert_eq!(tombstones.len(), 2);
    // Per partition, offsets come in order.
    for p in partitions {
        let offsets: Vec<i64> = got
            .iter()
            .filter(|r| r.partition == p)
            .map(|r| r.offset)
            .collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
    }
    log.read_to_end().await.expect("read to end");
    assert_eq!(seen_now(&seen).len(), 14);
    log.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_records_written_after_start() {
    let topic = unique_topic("klog-follow", 2);
    let (seen, callback) = collector();
    let log = KafkaBasedLog::start(topic.as_str(), &clients(), callback)
        .await
        .expect("start on an empty topic");
    assert!(seen_now(&seen).is_empty());

    let t = topic.clone();
    tokio::task::spawn_blocking(move || produce_java(&t, &[("a", Some("1")), ("b", Some("2"))]))
        .await
        .expect("produce");
    // Followed in the background, without asking.
    let s = seen.clone();
    tokio::task::spawn_blocking(move || {
        wait_until(
            "the log to follow 2 new records",
            Duration::from_secs(20),
            || seen_now(&s).len() == 2,
        )
    })
    .await
    .expect("wait");

    // read_to_end after a write by someone else sees it.
    let t = topic.clone();
    tokio::task::spawn_blocking(move || produce_java(&t, &[("c", None)]))
        .await
        .expect("produce");
    log.read_to_end().await.expect("read to end");
    let got = seen_now(&seen);
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].key.as_deref(), Some(b"c".as_slice()));
    assert_eq!(got[2].value, None);
    log.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_then_read_back_here_and_in_a_new_log() {
    let topic = unique_topic("klog-send", 3);
    let (seen, callback) = collector();
    let log = KafkaBasedLog::start(topic.as_str(), &clients(), callback)
        .await
        .expect("start");
    let (p, _) = log
        .send(b"connector-a", Some(b"{\"x\":1}"))
        .await
        .expect("send");
    assert_eq!(p, java_partition(b"connector-a", 3));
    log.send(b"connector-b", Some(b"{}")).await.expect("send");
    log.send(b"connector-a", None)
        .await
        .expect("send tombstone");
    log.read_to_end().await.expect("read to end");
    let got = seen_now(&seen);
    assert_eq!(got.len(), 3, "{got:?}");
    log.stop().await;

    let (seen2, callback2) = collector();
    let log2 = KafkaBasedLog::start(topic.as_str(), &clients(), callback2)
        .await
        .expect("restart");
    let mut again = seen_now(&seen2);
    let mut first = got;
    again.sort_by_key(|r| (r.partition, r.offset));
    first.sort_by_key(|r| (r.partition, r.offset));
    assert_eq!(again, first);
    log2.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_on_a_missing_topic_names_it() {
    let topic = unique_name("klog-missing");
    let (_, callback) = collector();
    let err = KafkaBasedLog::start(topic.as_str(), &clients(), callback)
        .await
        .expect_err("the topic does not exist");
    assert!(err.to_string().contains(&topic), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_store_reads_java_bytes_and_survives_a_restart() {
    let admin = admin();
    let topic = unique_name("klog-offsets");
    let created = ensure_topic(&admin, &InternalTopic::offsets(topic.as_str(), 5, 1))
        .await
        .expect("create offsets topic");
    assert!(created);
    // A Java worker's offsets topic, byte for byte: JsonConverter (schemas.enable=false)
    // keys and values, a later offset for the same partition, and a reset (tombstone).
    let t = topic.clone();
    tokio::task::spawn_blocking(move || {
        produce_java(
            &t,
            &[
                (
                    r#"["file-src",{"filename":"/tmp/in.txt"}]"#,
                    Some(r#"{"position":10}"#),
                ),
                (
                    r#"["jdbc-src",{"protocol":"1","table":"orders"}]"#,
                    Some(r#"{"incrementing":7}"#),
                ),
                (
                    r#"["file-src",{"filename":"/tmp/in.txt"}]"#,
                    Some(r#"{"position":42}"#),
                ),
                (
                    r#"["file-src",{"filename":"/tmp/gone.txt"}]"#,
                    Some(r#"{"position":3}"#),
                ),
                (r#"["file-src",{"filename":"/tmp/gone.txt"}]"#, None),
                (r#"not-a-key"#, Some(r#"{"position":1}"#)),
            ],
        )
    })
    .await
    .expect("produce fixture");

    let store = KafkaOffsetBackingStore::start(&topic, &clients())
        .await
        .expect("start");
    assert_eq!(
        store.get("file-src", &map(r#"{"filename":"/tmp/in.txt"}"#)),
        Some(map(r#"{"position":42}"#))
    );
    // Partition map key order does not matter for lookups.
    assert_eq!(
        store.get("jdbc-src", &map(r#"{"table":"orders","protocol":"1"}"#)),
        Some(map(r#"{"incrementing":7}"#))
    );
    assert_eq!(
        store.get("file-src", &map(r#"{"filename":"/tmp/gone.txt"}"#)),
        None
    );
    assert_eq!(store.connector_offsets("file-src").len(), 1);

    // Writes: an update, a new partition, and a reset, through the blocking trait.
    let store: Arc<dyn OffsetBackingStore> = Arc::new(store);
    put_offsets(
        store.clone(),
        "file-src".into(),
        vec![
            (
                map(r#"{"filename":"/tmp/in.txt"}"#),
                Some(map(r#"{"position":99}"#)),
            ),
            (
                map(r#"{"filename":"/tmp/new.txt"}"#),
                Some(map(r#"{"position":1}"#)),
            ),
        ],
    )
    .await
    .expect("put");
    put_offsets(
        store.clone(),
        "jdbc-src".into(),
        vec![(map(r#"{"protocol":"1","table":"orders"}"#), None)],
    )
    .await
    .expect("reset");
    assert_eq!(
        store.get("file-src", &map(r#"{"filename":"/tmp/in.txt"}"#)),
        Some(map(r#"{"position":99}"#))
    );
    assert!(store.connector_offsets("jdbc-src").is_empty());
    drop(store);

    // A new instance (a restarted worker) sees the same state from the topic alone.
    let restarted = KafkaOffsetBackingStore::start(&topic, &clients())
        .await
        .expect("restart");
    assert_eq!(
        restarted.get("file-src", &map(r#"{"filename":"/tmp/in.txt"}"#)),
        Some(map(r#"{"position":99}"#))
    );
    assert_eq!(
        restarted.get("file-src", &map(r#"{"filename":"/tmp/new.txt"}"#)),
        Some(map(r#"{"position":1}"#))
    );
    assert!(restarted.connector_offsets("jdbc-src").is_empty());
    restarted.stop().await;

    // The bytes Sluice wrote are Java's: compact JSON keys on Java's partition. (The topic is
    // compacted and the broker compacts while the test runs: older records may be gone.)
    let (seen, callback) = collector();
    let raw = KafkaBasedLog::start(topic.as_str(), &clients(), callback)
        .await
        .expect("raw reader");
    raw.stop().await;
    let records = seen_now(&seen);
    let new_key = br#"["file-src",{"filename":"/tmp/new.txt"}]"#.to_vec();
    let written = records
        .iter()
        .find(|r| r.key.as_deref() == Some(new_key.as_slice()))
        .expect("the new partition's record");
    assert_eq!(
        written.value.as_deref(),
        Some(br#"{"position":1}"#.as_slice())
    );
    assert_eq!(written.partition, java_partition(&new_key, 5));
    let reset_key = br#"["jdbc-src",{"protocol":"1","table":"orders"}]"#.to_vec();
    assert!(records
        .iter()
        .any(|r| r.key.as_deref() == Some(reset_key.as_slice()) && r.value.is_none()));
}

async fn cleanup_policy(admin: &AdminClient<DefaultClientContext>, topic: &str) -> Option<String> {
    let results = admin
        .describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new())
        .await
        .expect("describe configs");
    results
        .into_iter()
        .find_map(|r| r.ok())
        .and_then(|c| c.get("cleanup.policy").and_then(|e| e.value.clone()))
}

async fn partitions(admin: &Arc<AdminClient<DefaultClientContext>>, topic: &str) -> usize {
    let admin = admin.clone();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        admin
            .inner()
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .expect("metadata")
            .topics()
            .iter()
            .filter(|t| t.name() == topic)
            .map(|t| t.partitions().len())
            .sum()
    })
    .await
    .expect("metadata thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_internal_topics_are_created_compacted_and_existing_ones_accepted() {
    let admin = admin();
    let topics = [
        InternalTopic::config(unique_name("klog-configs"), 1),
        InternalTopic::offsets(unique_name("klog-offsets"), 4, 1),
        InternalTopic::status(unique_name("klog-status"), 3, 1),
    ];
    for (topic, expected) in topics.iter().zip([1, 4, 3]) {
        assert!(ensure_topic(&admin, topic).await.expect("create"));
        assert_eq!(
            cleanup_policy(&admin, &topic.name).await.as_deref(),
            Some("compact")
        );
        assert_eq!(partitions(&admin, &topic.name).await, expected);
        // A second worker finds it and accepts it.
        assert!(!ensure_topic(&admin, topic).await.expect("check existing"));
    }
    // -1: the broker's default partitions and replication factor, as Java.
    let defaults = InternalTopic::status(unique_name("klog-status-defaults"), -1, -1);
    assert!(ensure_topic(&admin, &defaults)
        .await
        .expect("create with broker defaults"));
    assert!(partitions(&admin, &defaults.name).await >= 1);
    assert_eq!(
        cleanup_policy(&admin, &defaults.name).await.as_deref(),
        Some("compact")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_topic_with_two_partitions_is_refused() {
    let admin = admin();
    let name = unique_name("klog-configs-2p");
    // Compacted but with two partitions.
    ensure_topic(&admin, &InternalTopic::offsets(name.as_str(), 2, 1))
        .await
        .expect("create");
    let err = ensure_topic(&admin, &InternalTopic::config(name.as_str(), 1))
        .await
        .expect_err("two partitions");
    assert!(
        matches!(err, TopicError::NotSinglePartition { partitions: 2, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "Topic '{name}' supplied via the 'config.storage.topic' property is required to have a \
             single partition in order to guarantee consistency of connector configurations, but \
             found 2 partitions."
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_topic_with_cleanup_policy_delete_is_refused() {
    let admin = admin();
    let name = unique_name("klog-status-delete");
    let new = NewTopic::new(&name, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "delete");
    let results = admin
        .create_topics(
            [&new],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .expect("create topic");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let err = ensure_topic(&admin, &InternalTopic::status(name.as_str(), 1, 1))
        .await
        .expect_err("not compacted");
    assert_eq!(
        err.to_string(),
        format!(
            "Topic '{name}' supplied via the 'status.storage.topic' property is required to have \
             'cleanup.policy=compact' to guarantee consistency and durability of connector and \
             task statuses, but found the topic currently has 'cleanup.policy=delete'. Continuing \
             would likely result in eventually losing connector and task statuses and problems \
             restarting this Connect cluster in the future. Change the 'status.storage.topic' \
             property in the Connect worker configurations to use a topic with \
             'cleanup.policy=compact'."
        )
    );
}

/// Compaction runs on the broker while workers read: a compacted partition whose last
/// records were superseded must still be read to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_to_end_after_compaction_with_a_trailing_tombstone() {
    let admin = admin();
    let topic = unique_name("klog-compacted");
    ensure_topic(&admin, &InternalTopic::status(topic.as_str(), 1, 1))
        .await
        .expect("create");
    let t = topic.clone();
    tokio::task::spawn_blocking(move || {
        produce_java(
            &t,
            &[
                ("a", Some("1")),
                ("b", Some("1")),
                ("a", Some("2")),
                ("b", None),
            ],
        )
    })
    .await
    .expect("produce");
    // The broker compacts every few seconds (tansu: maintenance_interval).
    tokio::time::sleep(Duration::from_secs(12)).await;
    let (seen, callback) = collector();
    let log = tokio::time::timeout(
        Duration::from_secs(40),
        KafkaBasedLog::start(topic.as_str(), &clients(), callback),
    )
    .await
    .expect("start returns after compaction")
    .expect("start");
    let got = seen_now(&seen);
    let last_a = got
        .iter()
        .rev()
        .find(|r| r.key.as_deref() == Some(b"a".as_slice()))
        .expect("key a");
    assert_eq!(last_a.value.as_deref(), Some(b"2".as_slice()));
    log.stop().await;
}

/// Two workers' stores on one offsets topic: a write by one is seen by the other after
/// `read_to_end`, and a partition first written by Java (fields not in sorted order) is
/// updated under Java's exact key bytes, so compaction replaces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_share_the_topic_and_keep_javas_key_bytes() {
    let admin = admin();
    let topic = unique_name("klog-offsets-shared");
    ensure_topic(&admin, &InternalTopic::offsets(topic.as_str(), 3, 1))
        .await
        .expect("create");
    let java_key = r#"["jdbc",{"table":"orders","protocol":"1"}]"#;
    let t = topic.clone();
    tokio::task::spawn_blocking(move || produce_java(&t, &[(java_key, Some(r#"{"ts":1}"#))]))
        .await
        .expect("produce");
    let a = KafkaOffsetBackingStore::start(&topic, &clients())
        .await
        .expect("store a");
    let b = KafkaOffsetBackingStore::start(&topic, &clients())
        .await
        .expect("store b");
    let partition = map(r#"{"protocol":"1","table":"orders"}"#);
    a.set("jdbc", vec![(partition.clone(), Some(map(r#"{"ts":2}"#)))])
        .await
        .expect("write through a");
    b.read_to_end().await.expect("b reads to end");
    assert_eq!(b.get("jdbc", &partition), Some(map(r#"{"ts":2}"#)));
    a.stop().await;
    b.stop().await;

    let (seen, callback) = collector();
    let raw = KafkaBasedLog::start(topic.as_str(), &clients(), callback)
        .await
        .expect("raw reader");
    raw.stop().await;
    let keys: Vec<Vec<u8>> = seen_now(&seen).into_iter().filter_map(|r| r.key).collect();
    assert!(!keys.is_empty());
    assert!(
        keys.iter().all(|k| k.as_slice() == java_key.as_bytes()),
        "{:?}",
        keys.iter()
            .map(|k| String::from_utf8_lossy(k))
            .collect::<Vec<_>>()
    );
}
