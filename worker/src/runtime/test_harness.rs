//! What the runtime's pipeline tests share: one-task connectors around an in-test task, a
//! registry with the converters plus those connectors, and a standalone herder on a mock
//! cluster.

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
