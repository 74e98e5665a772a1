//! Sink loop tests on librdkafka's mock cluster: failed asynchronous commits are sent again,
//! an idle task gets empty `put` calls (so background failures surface), and a long retry of
//! `put` keeps the consumer in its group, partitions a task pauses deliver nothing until it
//! resumes them, and `put` gets at most `max.poll.records` records.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use sluice_api::{
    ConnectError, ConnectResult, Plugin, PluginFactory, SinkRecord, SinkTask, SinkTaskContext,
    TopicPartition,
};

use crate::herder::{ConnectorTaskId, Herder, State};
use crate::runtime::test_harness::{herder, props, registry, OneTask};
use crate::storage::MemoryOffsetBackingStore;

/// Per-connector observations of the test task.
#[derive(Default, Clone)]
struct Seen {
    offsets: Vec<i64>,
    empty_puts: usize,
    opens: usize,
    closes: usize,
    /// The most records one `put` got.
    largest_put: usize,
}

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

fn record(connector: &str, f: impl FnOnce(&mut Seen)) {
    if let Ok(mut s) = seen().lock() {
        f(s.entry(connector.to_string()).or_default());
    }
}

/// Set by a test to make the `fail-when-idle` connector's next empty `put` fail, as a task
/// whose background writes failed does.
static FAIL_WHEN_IDLE: AtomicBool = AtomicBool::new(false);

/// When set, `put` answers with a retriable error until this instant.
fn retry_until() -> &'static Mutex<Option<Instant>> {
    static R: OnceLock<Mutex<Option<Instant>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(None))
}

/// Set by a test to make the `pauses` connector resume its partitions on its next empty `put`.
static RESUME: AtomicBool = AtomicBool::new(false);

struct ObservingTask {
    connector: String,
    context: Option<Arc<dyn SinkTaskContext>>,
}

impl ObservingTask {
    /// The `pauses` connector pauses every partition it holds after each `put` of records, and
    /// resumes them on an empty `put` once [`RESUME`] is set.
    fn pause_or_resume(&self, records: &[SinkRecord]) {
        let Some(context) = self.context.as_ref().filter(|_| self.connector == "pauses") else {
            return;
        };
        if !records.is_empty() {
            context.pause(&context.assignment());
        } else if RESUME.swap(false, Ordering::SeqCst) {
            context.resume(&context.assignment());
        }
    }
}

#[async_trait]
impl SinkTask for ObservingTask {
    async fn start(&mut self, context: Arc<dyn SinkTaskContext>) -> ConnectResult<()> {
        self.connector = context.config().get("name").cloned().unwrap_or_default();
        self.context = Some(context);
        Ok(())
    }
    async fn open(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        record(&self.connector, |s| s.opens += 1);
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        self.pause_or_resume(records);
        if records.is_empty() {
            record(&self.connector, |s| s.empty_puts += 1);
            if self.connector == "fail-when-idle" && FAIL_WHEN_IDLE.load(Ordering::SeqCst) {
                return Err(ConnectError::connect(
                    "bulk request failed in the background",
                ));
            }
            return Ok(());
        }
        if self.connector == "long-retry" {
            let until = *retry_until().lock().unwrap_or_else(|p| p.into_inner());
            if until.is_some_and(|u| Instant::now() < u) {
                return Err(ConnectError::retriable("destination busy"));
            }
        }
        record(&self.connector, |s| {
            s.largest_put = s.largest_put.max(records.len());
            s.offsets
                .extend(records.iter().filter_map(|r| r.kafka_offset()))
        });
        Ok(())
    }
    async fn close(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        record(&self.connector, |s| s.closes += 1);
        Ok(())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn test_registry() -> crate::plugins::PluginRegistry {
    registry(vec![Plugin {
        class: "test.ObservingSinkConnector",
        version: "test",
        factory: PluginFactory::Sink(|| {
            Box::new(OneTask::<Box<dyn SinkTask>>::new(|| {
                Box::new(ObservingTask {
                    connector: String::new(),
                    context: None,
                })
            }))
        }),
    }])
}

fn produce(bootstrap: &str, topic: &str, count: usize) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    for i in 0..count {
        let value = format!("v{i}");
        producer
            .send(
                BaseRecord::<(), String>::to(topic)
                    .partition(0)
                    .payload(&value),
            )
            .unwrap_or_else(|(e, _)| panic!("{e}"));
    }
    producer
        .flush(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
}

fn committed(bootstrap: &str, group: &str, topic: &str) -> Option<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .ok()?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let c = consumer
        .committed_offsets(tpl, Duration::from_secs(5))
        .ok()?;
    match c.elements().first()?.offset() {
        Offset::Offset(o) => Some(o),
        _ => None,
    }
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start_sink(
    herder: &Arc<crate::herder::standalone::StandaloneHerder>,
    name: &str,
    topic: &str,
) {
    start_sink_with(herder, name, topic, &[]).await;
}

/// Starts the observing sink `name` on `topic` with `extra` connector settings.
async fn start_sink_with(
    herder: &Arc<crate::herder::standalone::StandaloneHerder>,
    name: &str,
    topic: &str,
    extra: &[(&str, &str)],
) {
    let mut config = props(&[
        ("name", name),
        ("connector.class", "test.ObservingSinkConnector"),
        ("topics", topic),
    ]);
    config.extend(props(extra));
    herder
        .put_connector_config(name, config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A fresh mock cluster with a one-partition `topic`, its bootstrap servers, and a worker on it
/// with `settings` (no connector yet).
fn worker_on_mock(
    topic: &str,
    settings: &[(&str, &str)],
) -> (
    MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    String,
    Arc<crate::herder::standalone::StandaloneHerder>,
) {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic(topic, 1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let herder = herder(
        &bootstrap,
        settings,
        test_registry(),
        Arc::new(MemoryOffsetBackingStore::new()),
    );
    (mock, bootstrap, herder)
}

/// Waits until task 0 of `connector` is FAILED with a trace that contains `trace`; panics if
/// it is not within `within`.
async fn expect_failed(
    herder: &crate::herder::standalone::StandaloneHerder,
    connector: &str,
    within: Duration,
    trace: &str,
) {
    let id = ConnectorTaskId {
        connector: connector.into(),
        task: 0,
    };
    let deadline = Instant::now() + within;
    loop {
        match herder.task_status(&id).await {
            Ok(status) if status.state == State::Failed => {
                assert!(
                    status.trace.as_deref().is_some_and(|t| t.contains(trace)),
                    "{status:?}"
                );
                return;
            }
            Ok(status) if Instant::now() > deadline => panic!("not FAILED: {status:?}"),
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits until `connector`'s task opened its partition.
async fn wait_for_open(connector: &str) {
    wait_for(
        "the partition to be opened",
        Duration::from_secs(10),
        || seen_by(connector).opens >= 1,
    )
    .await;
}

const CONVERTERS: [(&str, &str); 2] = [
    ("key.converter", "StringConverter"),
    ("value.converter", "StringConverter"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_asynchronous_commit_is_sent_again() {
    let (mock, bootstrap, herder) = worker_on_mock("ac", &CONVERTERS);
    produce(&bootstrap, "ac", 10);
    // The first commits are refused with an error librdkafka does not retry by itself.
    mock.request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE; 3],
    );
    start_sink(&herder, "async-commit", "ac").await;
    wait_for("10 records put", Duration::from_secs(15), || {
        seen_by("async-commit").offsets.len() >= 10
    })
    .await;
    // No new record arrives: only a commit sent again after the refusals reaches 10.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let done = {
            let b = bootstrap.clone();
            tokio::task::spawn_blocking(move || committed(&b, "connect-async-commit", "ac"))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        };
        if done == Some(10) {
            break;
        }
        assert!(Instant::now() < deadline, "committed offset {done:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    herder.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_task_gets_empty_puts_and_fails_when_its_background_work_failed() {
    let (_mock, _, herder) = worker_on_mock("idle", &CONVERTERS);
    start_sink(&herder, "fail-when-idle", "idle").await;
    wait_for("an empty put", Duration::from_secs(10), || {
        seen_by("fail-when-idle").empty_puts >= 1
    })
    .await;
    FAIL_WHEN_IDLE.store(true, Ordering::SeqCst);
    expect_failed(
        &herder,
        "fail-when-idle",
        Duration::from_secs(5),
        "bulk request failed in the background",
    )
    .await;
    herder.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_retry_of_put_keeps_the_consumer_in_its_group() {
    // librdkafka makes a member that is not polled for max.poll.interval.ms leave its group.
    let settings = [
        CONVERTERS[0],
        CONVERTERS[1],
        ("consumer.max.poll.interval.ms", "6000"),
    ];
    let (_mock, bootstrap, herder) = worker_on_mock("lr", &settings);
    start_sink(&herder, "long-retry", "lr").await;
    wait_for_open("long-retry").await;
    *retry_until().lock().unwrap_or_else(|p| p.into_inner()) =
        Some(Instant::now() + Duration::from_secs(9));
    produce(&bootstrap, "lr", 5);
    wait_for(
        "the retried batch to be put",
        Duration::from_secs(20),
        || seen_by("long-retry").offsets.len() >= 5,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = seen_by("long-retry");
    assert_eq!(s.offsets, vec![0, 1, 2, 3, 4]);
    assert_eq!(
        (s.opens, s.closes),
        (1, 0),
        "the task lost its partition while retrying"
    );
    herder.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_the_task_paused_deliver_nothing_until_it_resumes_them() {
    let (_mock, bootstrap, herder) = worker_on_mock("pr", &CONVERTERS);
    start_sink(&herder, "pauses", "pr").await;
    wait_for_open("pauses").await;
    produce(&bootstrap, "pr", 3);
    wait_for("3 records put", Duration::from_secs(10), || {
        seen_by("pauses").offsets.len() >= 3
    })
    .await;
    // The task paused its partition after that put: these records wait in the topic while the
    // loop goes round (empty puts).
    produce(&bootstrap, "pr", 4);
    let empty = seen_by("pauses").empty_puts;
    wait_for("two more empty puts", Duration::from_secs(10), || {
        seen_by("pauses").empty_puts >= empty + 2
    })
    .await;
    assert_eq!(
        seen_by("pauses").offsets,
        vec![0, 1, 2],
        "a paused partition delivered"
    );
    RESUME.store(true, Ordering::SeqCst);
    wait_for(
        "the 4 records after resuming",
        Duration::from_secs(10),
        || seen_by("pauses").offsets.len() >= 7,
    )
    .await;
    assert_eq!(seen_by("pauses").offsets, (0..7).collect::<Vec<i64>>());
    herder.shutdown().await;
}

/// What a consumer's statistics say it fetched so far (`rx_msgs`).
struct FetchedCount(Arc<std::sync::atomic::AtomicI64>);

impl rdkafka::ClientContext for FetchedCount {
    fn stats(&self, statistics: rdkafka::statistics::Statistics) {
        self.0.store(statistics.rxmsgs, Ordering::SeqCst);
    }
}

impl rdkafka::consumer::ConsumerContext for FetchedCount {}

/// A sink consumer's read-ahead stops at about `queued.min.messages` records, not at
/// librdkafka's 64 MB / 100,000 or the 4 MB of small records (~60,000 here) that cost ~25 MB of
/// librdkafka's own memory for Elasticsearch positions.
#[test]
fn a_sink_consumer_reads_ahead_a_bounded_number_of_records() {
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
    mock.create_topic("ahead", 2, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = mock.bootstrap_servers();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    let value = [b'x'; 50];
    for i in 0..80_000 {
        let record = || {
            BaseRecord::<(), [u8]>::to("ahead")
                .partition(i % 2)
                .payload(&value[..])
        };
        while let Err((e, _)) = producer.send(record()) {
            assert!(
                matches!(
                    e,
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull
                    )
                ),
                "{e}"
            );
            producer.poll(Duration::from_millis(10));
        }
    }
    producer
        .flush(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));

    let fetched = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "ahead")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        // Small fetches, so that one fetch's overshoot past the limit stays small.
        .set("max.partition.fetch.bytes", "65536")
        .set("statistics.interval.ms", "100");
    super::apply_librdkafka_consumer_settings(&mut config);
    let consumer: BaseConsumer<FetchedCount> = config
        .create_with_context(FetchedCount(fetched.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut assignment = TopicPartitionList::new();
    for p in 0..2 {
        assignment
            .add_partition_offset("ahead", p, Offset::Beginning)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    consumer
        .assign(&assignment)
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let first = loop {
        assert!(Instant::now() < deadline, "no record consumed within 10 s");
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            break m;
        }
    };
    first.unwrap_or_else(|e| panic!("{e}"));
    // Polls that take one record each (20 in all) serve the statistics while librdkafka
    // fills its queue up to its limit and then waits.
    let settled = Instant::now() + Duration::from_secs(2);
    while Instant::now() < settled {
        drop(consumer.poll(Duration::ZERO));
        std::thread::sleep(Duration::from_millis(100));
        if fetched.load(Ordering::SeqCst) >= 80_000 {
            break;
        }
    }
    let n = fetched.load(Ordering::SeqCst);
    assert!(n >= 10_000, "the consumer read ahead only {n} records");
    assert!(
        n < 30_000,
        "the consumer read ahead {n} of 80,000 records: queued.min.messages is not applied"
    );
}

#[test]
fn a_stash_is_put_max_poll_records_at_a_time_oldest_first() {
    use crate::runtime::sink::take_oldest;
    let mut stash: Vec<i32> = (0..12).collect();
    assert_eq!(take_oldest(&mut stash, 5), vec![0, 1, 2, 3, 4]);
    assert_eq!(take_oldest(&mut stash, 5), vec![5, 6, 7, 8, 9]);
    assert_eq!(take_oldest(&mut stash, 5), vec![10, 11]);
    assert!(stash.is_empty());
}

#[test]
fn max_poll_records_is_an_int_of_at_least_one_as_in_java() {
    use crate::runtime::sink::{max_poll_records, DEFAULT_MAX_POLL_RECORDS};
    assert_eq!(max_poll_records(None), Ok(DEFAULT_MAX_POLL_RECORDS));
    assert_eq!(max_poll_records(Some(" 2000 ")), Ok(2000));
    assert_eq!(
        max_poll_records(Some("lots")),
        Err(
            "Invalid value lots for configuration max.poll.records: Not a number of type INT"
                .into()
        )
    );
    assert_eq!(
        max_poll_records(Some("3000000000")),
        Err(
            "Invalid value 3000000000 for configuration max.poll.records: Not a number of type INT"
                .into()
        )
    );
    assert_eq!(
        max_poll_records(Some("0")),
        Err("Invalid value 0 for configuration max.poll.records: Value must be at least 1".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn puts_get_at_most_max_poll_records_and_a_connector_override_wins() {
    let mut settings = CONVERTERS.to_vec();
    settings.push(("consumer.max.poll.records", "7"));
    let (_mock, bootstrap, herder) = worker_on_mock("mpr", &settings);
    produce(&bootstrap, "mpr", 100);
    start_sink(&herder, "polls-of-7", "mpr").await;
    for (name, max) in [("polls-of-3", "3"), ("polls-of-0", "0")] {
        let extra = [("consumer.override.max.poll.records", max)];
        start_sink_with(&herder, name, "mpr", &extra).await;
    }
    wait_for("every record put", Duration::from_secs(20), || {
        seen_by("polls-of-7").offsets.len() >= 100 && seen_by("polls-of-3").offsets.len() >= 100
    })
    .await;
    for (name, max) in [("polls-of-7", 7), ("polls-of-3", 3)] {
        let seen = seen_by(name);
        assert_eq!(seen.offsets, (0..100).collect::<Vec<i64>>(), "{name}");
        assert!(
            (2..=max).contains(&seen.largest_put),
            "{name}: the largest put had {} records",
            seen.largest_put
        );
    }
    // An invalid value fails the task, as Java's consumer refuses to be created with it.
    expect_failed(
        &herder,
        "polls-of-0",
        Duration::from_secs(10),
        "Invalid value 0 for configuration max.poll.records: Value must be at least 1",
    )
    .await;
    herder.shutdown().await;
}

/// librdkafka reports a batch it cannot read and fetches it again for ever: the task would
/// stay RUNNING without progress. It fails instead, as Java's task does when its consumer
/// throws, after putting the records before the batch. A batch whose CRC does not match
/// (Java's `CorruptRecordException`) fails the task the same way: sink consumers check CRCs
/// as Java's do, where librdkafka's default would deliver the altered records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_the_consumer_cannot_read_fails_the_task_after_the_records_before_it() {
    use crate::runtime::test_harness::{produce_bad_batch, BadBatch};
    for (kind, topic) in [
        (BadBatch::Zstd, "unreadable"),
        (BadBatch::Corrupted, "corrupted"),
    ] {
        let (_mock, bootstrap, herder) = worker_on_mock(topic, &CONVERTERS);
        produce(&bootstrap, topic, 5);
        produce_bad_batch(&bootstrap, topic, 3, kind).await;
        produce(&bootstrap, topic, 5);
        start_sink(&herder, topic, topic).await;
        expect_failed(
            &herder,
            topic,
            Duration::from_secs(15),
            "could not read a batch of records",
        )
        .await;
        // The records before the batch were put; none after it, and no offset past it
        // committed.
        assert_eq!(
            seen_by(topic).offsets,
            (0..5).collect::<Vec<i64>>(),
            "{kind:?}"
        );
        let committed = committed(&bootstrap, &format!("connect-{topic}"), topic);
        assert!(
            committed.is_none_or(|o| o <= 5),
            "{kind:?}: committed {committed:?}"
        );
        herder.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_offset_reset_none_without_a_committed_offset_fails_the_task() {
    let (_mock, bootstrap, herder) = worker_on_mock("aor", &CONVERTERS);
    produce(&bootstrap, "aor", 3);
    let none = [("consumer.override.auto.offset.reset", "none")];
    start_sink_with(&herder, "no-reset", "aor", &none).await;
    expect_failed(
        &herder,
        "no-reset",
        Duration::from_secs(20),
        "Undefined offset with no reset policy",
    )
    .await;
    assert!(seen_by("no-reset").offsets.is_empty());
    // Java's `earliest` (the worker's default) reads from the start.
    let earliest = [("consumer.override.auto.offset.reset", "earliest")];
    start_sink_with(&herder, "from-start", "aor", &earliest).await;
    wait_for("3 records put", Duration::from_secs(15), || {
        seen_by("from-start").offsets.len() >= 3
    })
    .await;
    // Tasks stop (and commit) before the mock cluster goes away.
    herder.shutdown().await;
}

/// A sink task's consumer gets Java's consumer defaults where librdkafka's differ:
/// `isolation.level=read_uncommitted` (librdkafka: read_committed; neither the mock cluster
/// nor tansu isolates transactions, so the config is what is checked),
/// `allow.auto.create.topics=true` and `check.crcs=true` (librdkafka: false; both are also
/// tested end to end in this module); the worker's `consumer.` and the connector's
/// `consumer.override.` settings still win.
#[test]
fn sink_consumers_take_javas_defaults_unless_configured() {
    use crate::config::kafka_clients::{client_config, ClientKind};
    let id = ConnectorTaskId {
        connector: "s".into(),
        task: 0,
    };
    let setting = |key: &str, worker: &[(&str, &str)], connector: &[(&str, &str)]| {
        client_config(
            ClientKind::Consumer,
            &props(worker),
            &props(connector),
            &crate::runtime::sink::consumer_defaults(&id),
        )
        .get(key)
        .map(str::to_string)
    };
    for (key, java, other) in [
        ("isolation.level", "read_uncommitted", "read_committed"),
        ("allow.auto.create.topics", "true", "false"),
        ("check.crcs", "true", "false"),
    ] {
        assert_eq!(setting(key, &[], &[]).as_deref(), Some(java), "{key}");
        let worker_key = format!("consumer.{key}");
        assert_eq!(
            setting(key, &[(&worker_key, other)], &[]).as_deref(),
            Some(other),
            "{key}"
        );
        let override_key = format!("consumer.override.{key}");
        assert_eq!(
            setting(key, &[], &[(&override_key, other)]).as_deref(),
            Some(other),
            "{key}"
        );
    }
}

/// Java's consumer asks the broker to create a subscribed topic that does not exist
/// (`allow.auto.create.topics`, true in Java, false in librdkafka); the mock cluster, like a
/// broker with `auto.create.topics.enable`, then creates it and the task gets its partition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_on_a_missing_topic_lets_the_broker_create_it() {
    let (_mock, bootstrap, herder) = worker_on_mock("other", &CONVERTERS);
    let topics = || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap_or_else(|e| panic!("{e}"));
        consumer
            .fetch_metadata(None, Duration::from_secs(5))
            .map(|m| m.topics().iter().map(|t| t.name().to_string()).collect())
            .unwrap_or_else(|_| Vec::<String>::new())
    };
    assert!(!topics().contains(&"created-by-sink".to_string()));
    start_sink(&herder, "auto-create", "created-by-sink").await;
    wait_for_open("auto-create").await;
    assert!(topics().contains(&"created-by-sink".to_string()));
    produce(&bootstrap, "created-by-sink", 3);
    wait_for("3 records put", Duration::from_secs(15), || {
        seen_by("auto-create").offsets.len() >= 3
    })
    .await;
    herder.shutdown().await;
}
