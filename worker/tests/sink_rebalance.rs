//! Sink tasks through consumer-group rebalances on the real broker: two tasks of one
//! connector share a topic while another member of their group joins and leaves, so that
//! partitions are revoked and assigned (and assigned back) in the middle of batches.
//!
//! Java's contract, checked by the recording task on every call: `put` only gets records of
//! partitions that were `open`ed and not `close`d since, and every record of the topic is put
//! (none skipped), with the group's committed offsets reaching the end of every partition.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use sluice_api::{
    ConfigDef, ConnectError, ConnectResult, Connector, ConnectorContext, Plugin, PluginFactory,
    Props, SinkConnector, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};
use sluice_worker::config::WorkerConfig;
use sluice_worker::herder::standalone::StandaloneHerder;
use sluice_worker::herder::{Herder, State};
use sluice_worker::plugins::PluginRegistry;
use sluice_worker::runtime::status::StatusStore;
use sluice_worker::runtime::Worker;
use sluice_worker::storage::MemoryOffsetBackingStore;

/// What the recording tasks saw, per connector.
#[derive(Default)]
struct Journal {
    /// Offsets put, per partition (duplicates allowed: at-least-once).
    put: HashMap<TopicPartition, HashSet<i64>>,
    /// Contract violations, described.
    violations: Vec<String>,
    opens: usize,
    closes: usize,
}

fn journals() -> &'static Mutex<HashMap<String, Journal>> {
    static J: OnceLock<Mutex<HashMap<String, Journal>>> = OnceLock::new();
    J.get_or_init(|| Mutex::new(HashMap::new()))
}

fn with_journal<T>(connector: &str, f: impl FnOnce(&mut Journal) -> T) -> T {
    let mut all = journals().lock().unwrap_or_else(|p| p.into_inner());
    f(all.entry(connector.to_string()).or_default())
}

/// A sink task that checks the partition contract on every call, is slow now and then, and
/// asks for a batch again (a retriable error) every few puts.
struct RecordingTask {
    connector: String,
    task: String,
    open: HashSet<TopicPartition>,
    puts: usize,
}

#[async_trait]
impl SinkTask for RecordingTask {
    async fn start(&mut self, context: Arc<dyn SinkTaskContext>) -> ConnectResult<()> {
        let config = context.config();
        self.connector = config.get("name").cloned().unwrap_or_default();
        self.task = config.get("task.index").cloned().unwrap_or_default();
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        with_journal(&self.connector, |j| {
            j.opens += 1;
            for tp in partitions {
                if !self.open.insert(tp.clone()) {
                    j.violations
                        .push(format!("task {}: open of {tp:?}, already open", self.task));
                }
            }
        });
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        self.puts += 1;
        if !records.is_empty() && self.puts.is_multiple_of(5) {
            return Err(ConnectError::retriable("try this batch again"));
        }
        if !records.is_empty() && self.puts.is_multiple_of(3) {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        with_journal(&self.connector, |j| {
            for r in records {
                let tp = TopicPartition::new(r.topic_name(), r.kafka_partition.unwrap_or(-1));
                let offset = r.kafka_offset().unwrap_or(-1);
                if !self.open.contains(&tp) {
                    j.violations.push(format!(
                        "task {}: put of {tp:?} offset {offset}, not open (open: {:?})",
                        self.task, self.open
                    ));
                }
                j.put.entry(tp).or_default().insert(offset);
            }
        });
        Ok(())
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        with_journal(&self.connector, |j| {
            j.closes += 1;
            for tp in partitions {
                if !self.open.remove(tp) {
                    j.violations
                        .push(format!("task {}: close of {tp:?}, not open", self.task));
                }
            }
        });
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// A sink connector with `tasks.max` recording tasks.
#[derive(Default)]
struct RecordingConnector {
    props: Props,
}

impl Connector for RecordingConnector {
    fn version(&self) -> String {
        "test".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn start(&mut self, props: &Props, _: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        self.props = props.clone();
        Ok(())
    }
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok((0..max_tasks)
            .map(|i| {
                let mut p = self.props.clone();
                p.insert("task.index".into(), i.to_string());
                p
            })
            .collect())
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

impl SinkConnector for RecordingConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(RecordingTask {
            connector: String::new(),
            task: String::new(),
            open: HashSet::new(),
            puts: 0,
        })
    }
}

fn herder(bootstrap: &str) -> Arc<StandaloneHerder> {
    let mut plugins = sluice_converters::plugins();
    plugins.push(Plugin {
        class: "test.RecordingSinkConnector",
        version: "test",
        factory: PluginFactory::Sink(|| Box::<RecordingConnector>::default()),
    });
    let settings: Props = [
        ("bootstrap.servers", bootstrap),
        ("offset.storage.file.filename", "/unused"),
        ("offset.flush.interval.ms", "300"),
        ("key.converter", "StringConverter"),
        ("value.converter", "StringConverter"),
        ("consumer.session.timeout.ms", "6000"),
        ("consumer.heartbeat.interval.ms", "500"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = WorkerConfig::parse(settings).unwrap_or_else(|e| panic!("{e}"));
    let (worker, events) = Worker::new(
        Arc::new(config),
        Arc::new(PluginRegistry::new(plugins)),
        Arc::new(MemoryOffsetBackingStore::new()),
        Arc::new(StatusStore::new("test:8083")),
    );
    StandaloneHerder::new(worker, events)
}

/// Writes `per_partition` records to each partition, a few at a time.
fn produce_slowly(bootstrap: &str, topic: &str, partitions: i32, per_partition: usize) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    for i in 0..per_partition {
        for p in 0..partitions {
            let value = format!("p{p}-{i}");
            let mut record = BaseRecord::<(), String>::to(topic)
                .partition(p)
                .payload(&value);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, r)) => {
                        record = r;
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
        producer.poll(Duration::ZERO);
        if i % 20 == 19 {
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    producer
        .flush(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("flush: {e}"));
}

/// Joins the connector's consumer group for a while without committing, forcing two
/// rebalances on its tasks (join and leave).
fn intrude(bootstrap: &str, group: &str, topic: &str, stay: Duration) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    consumer
        .subscribe(&[topic])
        .unwrap_or_else(|e| panic!("{e}"));
    let until = Instant::now() + stay;
    while Instant::now() < until {
        let _ = consumer.poll(Duration::from_millis(100));
    }
    drop(consumer);
}

fn committed(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    consumer
        .committed_offsets(tpl, Duration::from_secs(5))
        .map(|c| {
            c.elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(o) => Some((e.partition(), o)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_and_assign_mid_batch_skip_nothing_and_put_nothing_after_close() {
    const PARTITIONS: i32 = 4;
    const PER_PARTITION: usize = 300;
    let bootstrap = common::bootstrap_servers();
    let topic = common::unique_topic("rebalance", PARTITIONS);
    let name = common::unique_name("rebalance-sink");
    let herder = herder(&bootstrap);
    let config: Props = [
        ("name", name.as_str()),
        ("connector.class", "test.RecordingSinkConnector"),
        ("tasks.max", "2"),
        ("topics", topic.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    herder
        .put_connector_config(&name, config, false, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let producing = {
        let (bootstrap, topic) = (bootstrap.clone(), topic.clone());
        tokio::task::spawn_blocking(move || {
            produce_slowly(&bootstrap, &topic, PARTITIONS, PER_PARTITION)
        })
    };
    let intruding = {
        let (bootstrap, topic, group) =
            (bootstrap.clone(), topic.clone(), format!("connect-{name}"));
        tokio::task::spawn_blocking(move || {
            for _ in 0..2 {
                std::thread::sleep(Duration::from_secs(2));
                intrude(&bootstrap, &group, &topic, Duration::from_secs(5));
            }
        })
    };
    producing.await.unwrap_or_else(|e| panic!("{e}"));
    intruding.await.unwrap_or_else(|e| panic!("{e}"));

    let expected: BTreeMap<i32, i64> = (0..PARTITIONS).map(|p| (p, PER_PARTITION as i64)).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    let group = format!("connect-{name}");
    loop {
        let done = committed(&bootstrap, &group, &topic, PARTITIONS);
        if done == expected {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "committed offsets {done:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let status = herder
        .connector_status(&name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for task in &status.tasks {
        assert_eq!(task.state, State::Running, "{task:?}");
    }
    herder
        .delete_connector(&name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    with_journal(&name, |j| {
        assert!(j.violations.is_empty(), "violations: {:#?}", j.violations);
        assert!(
            j.closes >= 2 && j.opens >= 4,
            "expected rebalances, saw {} opens and {} closes",
            j.opens,
            j.closes
        );
        for p in 0..PARTITIONS {
            let put = j
                .put
                .get(&TopicPartition::new(topic.clone(), p))
                .cloned()
                .unwrap_or_default();
            let missing: Vec<i64> = (0..PER_PARTITION as i64)
                .filter(|o| !put.contains(o))
                .collect();
            assert!(missing.is_empty(), "partition {p}: never put {missing:?}");
        }
    });
}
