//! What the runtime's pipeline tests share: one-task connectors around an in-test task, a
//! registry with the converters plus those connectors, a standalone herder on a mock
//! cluster, and a batch no consumer of this build can read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::BorrowedMessage;
use rdkafka::ClientConfig;

use sluice_api::{
    ConfigDef, ConnectResult, Connector, ConnectorContext, Plugin, Props, SinkConnector, SinkTask,
    SourceConnector, SourceTask,
};

use super::status::StatusStore;
use super::worker::Worker;
use crate::config::WorkerConfig;
use crate::herder::standalone::StandaloneHerder;
use crate::plugins::PluginRegistry;
use crate::storage::OffsetBackingStore;

/// Props from pairs.
pub fn props(pairs: &[(&str, &str)]) -> Props {
    sluice_api::config::props_of(pairs)
}

/// A connector with one task that gets the connector's own props.
pub struct OneTask<T> {
    props: Props,
    make_task: fn() -> T,
}

impl<T> OneTask<T> {
    /// A connector whose task is `make_task()`.
    pub fn new(make_task: fn() -> T) -> Self {
        OneTask {
            props: Props::new(),
            make_task,
        }
    }
}

impl<T: 'static> Connector for OneTask<T> {
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
    fn task_configs(&self, _max: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone()])
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

impl SinkConnector for OneTask<Box<dyn SinkTask>> {
    fn create_task(&self) -> Box<dyn SinkTask> {
        (self.make_task)()
    }
}

impl SourceConnector for OneTask<Box<dyn SourceTask>> {
    fn create_task(&self) -> Box<dyn SourceTask> {
        (self.make_task)()
    }
}

/// A sink task that takes every batch and does nothing with it.
pub struct NopSinkTask;

#[async_trait::async_trait]
impl SinkTask for NopSinkTask {
    async fn start(&mut self, _: Arc<dyn sluice_api::SinkTaskContext>) -> ConnectResult<()> {
        Ok(())
    }
    async fn put(&mut self, _: &[sluice_api::SinkRecord]) -> ConnectResult<()> {
        Ok(())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// The converters and transforms plus the test's own plugins.
pub fn registry(test_plugins: Vec<Plugin>) -> PluginRegistry {
    let mut plugins = sluice_converters::plugins();
    plugins.extend(sluice_transforms::plugins());
    plugins.extend(test_plugins);
    PluginRegistry::new(plugins)
}

/// A standalone herder on `bootstrap` with fast offset flushes and consumer sessions (a
/// restarted task's consumer rejoins quickly), plus the test's worker `settings`.
pub fn herder(
    bootstrap: &str,
    settings: &[(&str, &str)],
    registry: PluginRegistry,
    offsets: Arc<dyn OffsetBackingStore>,
) -> Arc<StandaloneHerder> {
    let mut all = props(&[
        ("bootstrap.servers", bootstrap),
        ("offset.storage.file.filename", "/unused"),
        ("offset.flush.interval.ms", "100"),
        ("consumer.session.timeout.ms", "6000"),
        ("consumer.heartbeat.interval.ms", "500"),
    ]);
    all.extend(props(settings));
    let config = WorkerConfig::parse(all).unwrap_or_else(|e| panic!("{e}"));
    let (worker, events) = Worker::new(
        Arc::new(config),
        Arc::new(registry),
        offsets,
        Arc::new(StatusStore::new("test:8083")),
    );
    StandaloneHerder::new(worker, events)
}

/// Reads `topic` from the beginning with a fresh group until `expected` records arrived (or
/// 20 s passed), mapping each with `read`.
pub fn read_topic<T>(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    mut read: impl FnMut(&BorrowedMessage<'_>) -> T,
) -> Vec<T> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("reader-{topic}"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    consumer
        .subscribe(&[topic])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while out.len() < expected && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            out.push(read(&m));
        }
    }
    out
}

/// A record batch a consumer must not deliver.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BadBatch {
    /// Attributes that name zstd, a codec this build's librdkafka cannot decompress (the
    /// records are in fact uncompressed; the CRC covers the changed attributes).
    Zstd,
    /// The first value altered after the CRC was computed, as a corrupted disk or network
    /// would (caught only by consumers that check CRCs: Java's `check.crcs`).
    Corrupted,
}

/// Appends `count` records (values `c0`, `c1`, …) to partition 0 of `topic` as one batch
/// spoiled as `kind` says, through a raw Produce request.
pub(crate) async fn produce_bad_batch(bootstrap: &str, topic: &str, count: i64, kind: BadBatch) {
    produce_raw_batch(bootstrap, topic, count, |batch| match kind {
        BadBatch::Zstd => {
            // Attributes (big-endian i16 after base offset 8, length 4, leader epoch 4,
            // magic 1, CRC 4 bytes): codec bits 4 = zstd.
            batch[22] |= 4;
            set_batch_crc(batch);
        }
        BadBatch::Corrupted => {
            let at = batch
                .windows(2)
                .position(|w| w == b"c0")
                .unwrap_or_else(|| panic!("the first value in the batch"));
            batch[at] = b'x';
        }
    })
    .await;
}

/// Recomputes a v2 record batch's CRC32C (over everything from the attributes on).
fn set_batch_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

/// Encodes `count` uncompressed records (values `c<i>`), lets `tamper` change the batch's
/// bytes, and appends it to partition 0 of `topic` with a raw Produce request.
async fn produce_raw_batch(
    bootstrap: &str,
    topic: &str,
    count: i64,
    tamper: impl FnOnce(&mut bytes::BytesMut),
) {
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse, TopicName};
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    use crate::distributed::membership::config::SecurityConfig;
    use crate::distributed::membership::connection::Connection;

    let records: Vec<Record> = (0..count)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i,
            sequence: -1,
            timestamp: 0,
            key: None,
            value: Some(Bytes::from(format!("c{i}"))),
            headers: Default::default(),
        })
        .collect();
    let mut batch = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut batch, &records, &options).unwrap_or_else(|e| panic!("{e}"));
    tamper(&mut batch);
    let security =
        SecurityConfig::from_props(&Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let addr = bootstrap.split(',').next().unwrap_or(bootstrap);
    let mut conn =
        Connection::connect(addr, "unreadable-batch", &security, Duration::from_secs(10))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let version = conn
        .preferred_version(ApiKey::Produce, 7)
        .unwrap_or_else(|e| panic!("{e}"));
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(batch.freeze()))])]);
    let response: ProduceResponse = conn
        .send(ApiKey::Produce, version, &request, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let code = response
        .responses
        .first()
        .and_then(|t| t.partition_responses.first())
        .map(|p| p.error_code);
    assert_eq!(code, Some(0), "the broker took the batch");
}
