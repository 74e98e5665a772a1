//! The broker under test: address, unique names, topics, produce and consume.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

/// The broker used when `SLUICE_BOOTSTRAP_SERVERS` is not set (`scripts/services start`).
pub const DEFAULT_BOOTSTRAP: &str = "127.0.0.1:9092";

/// The broker list: `SLUICE_BOOTSTRAP_SERVERS`, else `127.0.0.1:9092`. The first call checks
/// that it is reachable and fails the test otherwise.
pub fn bootstrap_servers() -> String {
    let servers = std::env::var("SLUICE_BOOTSTRAP_SERVERS")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_BOOTSTRAP.to_string());
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let checked = CHECKED.get_or_init(|| check_reachable(&servers));
    if let Err(e) = checked {
        panic!("{e}");
    }
    servers
}

fn check_reachable(servers: &str) -> Result<(), String> {
    for server in servers.split(',').map(str::trim) {
        let reachable = server
            .to_socket_addrs()
            .ok()
            .into_iter()
            .flatten()
            .any(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok());
        if reachable {
            return Ok(());
        }
    }
    Err(format!(
        "no Kafka broker reachable at {servers}: integration tests need a real broker \
         (run scripts/services start, or set SLUICE_BOOTSTRAP_SERVERS)"
    ))
}

/// A name no other test (nor another run of this one) uses: `<prefix>-<time>-<pid>-<n>`.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("{prefix}-{millis}-{}-{n}", std::process::id())
}

/// Creates a uniquely named topic with `partitions` partitions and returns its name.
pub fn unique_topic(prefix: &str, partitions: i32) -> String {
    let topic = unique_name(prefix);
    create_topic(&topic, partitions);
    topic
}

fn client_config() -> ClientConfig {
    client_config_at(&bootstrap_servers())
}

fn client_config_at(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    config
}

/// Every value of `topic` at the broker `bootstrap` (all partitions, from the beginning),
/// read until the end offsets taken at the start; values as UTF-8 strings.
pub fn read_all_values_at(bootstrap: &str, topic: &str) -> Vec<String> {
    read_all_at(bootstrap, topic)
        .into_iter()
        .map(|(_, value)| value)
        .collect()
}

/// Every key of `topic` at the broker `bootstrap`, as [`read_all_values_at`] reads values
/// (`"<null>"` for a null key).
pub fn read_all_keys_at(bootstrap: &str, topic: &str) -> Vec<String> {
    read_all_at(bootstrap, topic)
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

/// Every (key, value) of `topic`, as UTF-8 strings (`"<null>"` for null).
fn read_all_at(bootstrap: &str, topic: &str) -> Vec<(String, String)> {
    let consumer: BaseConsumer = client_config_at(bootstrap)
        .set("group.id", unique_name("sluice-it-reader"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let partitions = super::wait::wait_for(
        &format!("metadata of topic {topic}"),
        Duration::from_secs(15),
        || Some(partition_ids(&consumer, topic)).filter(|p| !p.is_empty()),
    );
    let mut assignment = TopicPartitionList::new();
    let mut open = 0;
    for p in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, *p, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("watermarks of {topic}/{p}: {e}"));
        if high > low {
            open += 1;
            assignment
                .add_partition_offset(topic, *p, Offset::Beginning)
                .expect("assignment");
        }
    }
    if open == 0 {
        return Vec::new();
    }
    consumer.assign(&assignment).expect("assign");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut out = Vec::new();
    let mut ended = 0;
    while ended < open {
        assert!(
            Instant::now() < deadline,
            "timed out reading {topic} to its end"
        );
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => ended += 1,
            Some(Err(e)) => panic!("consuming {topic}: {e}"),
            Some(Ok(m)) => {
                let text = |b: Option<&[u8]>| {
                    b.map(|v| String::from_utf8_lossy(v).into_owned())
                        .unwrap_or_else(|| "<null>".to_string())
                };
                out.push((text(m.key()), text(m.payload())));
            }
        }
    }
    out
}

/// Creates a topic (replication factor 1) and waits until its metadata shows every
/// partition. An existing topic is accepted.
pub fn create_topic(topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = client_config().create().expect("admin client");
    let topic_owned = topic.to_string();
    // The admin client is async; run it on a private runtime in its own thread so this
    // works from plain and async tests alike.
    let results = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let new = NewTopic::new(&topic_owned, partitions, TopicReplication::Fixed(1));
            let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
            admin.create_topics([&new], &options).await
        })
    })
    .join()
    .expect("admin thread")
    .unwrap_or_else(|e| panic!("CreateTopics {topic} failed: {e}"));
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => panic!("could not create topic {t}: {code}"),
        }
    }
    let consumer: BaseConsumer = client_config().create().expect("consumer");
    super::wait::wait_until(
        &format!("topic {topic} to show {partitions} partitions"),
        Duration::from_secs(15),
        || partition_ids(&consumer, topic).len() == usize::try_from(partitions).unwrap_or(0),
    );
}

/// How many partitions the topic has (0 when it does not exist).
pub fn partition_count(topic: &str) -> usize {
    let consumer: BaseConsumer = client_config().create().expect("consumer");
    partition_ids(&consumer, topic).len()
}

fn partition_ids(consumer: &BaseConsumer, topic: &str) -> Vec<i32> {
    consumer
        .fetch_metadata(Some(topic), Duration::from_secs(5))
        .map(|m| {
            m.topics()
                .iter()
                .filter(|t| t.name() == topic && t.error().is_none())
                .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                .collect()
        })
        .unwrap_or_default()
}

/// A record to produce: key and value bytes, `None` for null.
pub type RawRecord<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// Produces records and waits until all are acknowledged.
pub fn produce(topic: &str, records: &[RawRecord<'_>]) {
    let producer: BaseProducer = client_config()
        .set("message.timeout.ms", "30000")
        .create()
        .expect("producer");
    for (key, value) in records {
        let mut record = BaseRecord::<[u8], [u8]>::to(topic);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(v) = value {
            record = record.payload(v);
        }
        producer
            .send(record)
            .unwrap_or_else(|(e, _)| panic!("produce to {topic}: {e}"));
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("flushing records to {topic}: {e}"));
}

/// Produces string values without keys.
pub fn produce_values(topic: &str, values: &[&str]) {
    let records: Vec<_> = values.iter().map(|v| (None, Some(v.as_bytes()))).collect();
    produce(topic, &records);
}

/// One consumed record, as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed {
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key bytes (`None`: null).
    pub key: Option<Vec<u8>>,
    /// Value bytes (`None`: null, a tombstone).
    pub value: Option<Vec<u8>>,
    /// Headers in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Reads a topic from the beginning of every partition (no consumer group is joined or
/// committed) until `count` records arrived; fails the test after `timeout`. Records are
/// returned per partition in offset order, partitions in id order.
pub fn consume(topic: &str, count: usize, timeout: Duration) -> Vec<Consumed> {
    let consumer: BaseConsumer = client_config()
        .set("group.id", unique_name("sluice-it-reader"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .expect("consumer");
    let partitions = super::wait::wait_for(
        &format!("metadata of topic {topic}"),
        Duration::from_secs(15),
        || Some(partition_ids(&consumer, topic)).filter(|p| !p.is_empty()),
    );
    let mut assignment = TopicPartitionList::new();
    for p in partitions {
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .expect("assignment");
    }
    consumer.assign(&assignment).expect("assign");
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < count {
        let remaining = deadline.saturating_duration_since(Instant::now());
        assert!(
            !remaining.is_zero(),
            "timed out after {timeout:?} reading {topic}: got {} of {count} records: {:?}",
            out.len(),
            out.iter()
                .map(|c: &Consumed| c.value.as_deref().map(String::from_utf8_lossy))
                .collect::<Vec<_>>()
        );
        match consumer.poll(remaining.min(Duration::from_millis(200))) {
            None => {}
            Some(Err(e)) => panic!("consuming {topic}: {e}"),
            Some(Ok(m)) => out.push(Consumed {
                partition: m.partition(),
                offset: m.offset(),
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers: m
                    .headers()
                    .map(|hs| {
                        hs.iter()
                            .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
        }
    }
    out.sort_by_key(|c| (c.partition, c.offset));
    out
}

/// The values of [`consume`] as UTF-8 strings (`"<null>"` for a null value).
pub fn consume_values(topic: &str, count: usize, timeout: Duration) -> Vec<String> {
    consume(topic, count, timeout)
        .into_iter()
        .map(|c| match c.value {
            Some(v) => String::from_utf8_lossy(&v).into_owned(),
            None => "<null>".to_string(),
        })
        .collect()
}
