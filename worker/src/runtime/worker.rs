//! The [`Worker`]: runs connector instances and their tasks on tokio. The herder decides what
//! runs; the worker instantiates plugins, builds each task's pipeline and clients, runs the
//! loops and records states.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use sluice_api::{
    ConnectError, ConnectResult, ConnectorContext, PluginFactory, Props, SinkConnector, SinkTask,
    SourceConnector, SourceTask,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

use super::client_telemetry::{with_default, ClientDefault, ClientTelemetry};
use super::converters::RecordConverters;
use super::errors::log_reporter::LogReporter;
use super::errors::{ErrorHandlingConfig, Reporters, RetryWithToleranceOperator};
use super::panics::{self, Panicked};
use super::producers::ProducerPool;
use super::sink::{
    consumer_defaults, max_poll_records, run_sink_task, SinkErrorHandling, SinkTaskRun,
};
use super::source::{producer_defaults, run_source_task, SourceTaskRun, TaskTarget};
use super::status::StatusStore;
use super::transforms::Transforms;
use super::{connect_trace, TaskError};
use crate::config::connector::{ConnectorKind, TASKS_MAX, TOPICS, TOPICS_REGEX};
use crate::config::kafka_clients::{client_config, java_setting, ClientKind};
use crate::config::override_policy::ClientUse;
use crate::config::WorkerConfig;
use crate::metrics::{ClientType, ConnectorInfo, Metrics, TaskKind};
use crate::model::{ConnectorTaskId, State, TargetState};
use crate::plugins::PluginRegistry;
use crate::storage::connector_offsets::OffsetTopics;
use crate::storage::OffsetBackingStore;

/// How long a task abandoned after `task.shutdown.graceful.timeout.ms` is given to finish
/// once cancelled (a cancelled future is dropped at its next await point).
const TASK_CANCEL_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Something a connector asked of the herder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerEvent {
    /// `ConnectorContext::request_task_reconfiguration`.
    Reconfigure(String),
}

/// A task object about to run.
enum NewTask {
    Source(Box<dyn SourceTask>),
    Sink(Box<dyn SinkTask>),
}

enum Instance {
    Source(Box<dyn SourceConnector>),
    Sink(Box<dyn SinkConnector>),
}

impl Instance {
    fn connector(&mut self) -> &mut dyn sluice_api::Connector {
        match self {
            Instance::Source(c) => c.as_mut(),
            Instance::Sink(c) => c.as_mut(),
        }
    }
}

struct TaskHandle {
    control: watch::Sender<TaskTarget>,
    join: JoinHandle<()>,
}

struct ConnectorContextImpl {
    name: String,
    events: mpsc::UnboundedSender<WorkerEvent>,
    status: Arc<StatusStore>,
}

impl ConnectorContext for ConnectorContextImpl {
    fn request_task_reconfiguration(&self) {
        let _ = self
            .events
            .send(WorkerEvent::Reconfigure(self.name.clone()));
    }
    fn raise_error(&self, error: ConnectError) {
        warn!(connector = %self.name, error = %error, "Connector raised an error.");
        self.status
            .put_connector(&self.name, State::Failed, Some(connect_trace(&error)));
    }
}

/// Runs connectors and tasks.
pub struct Worker {
    config: Arc<WorkerConfig>,
    registry: Arc<PluginRegistry>,
    offsets: Arc<dyn OffsetBackingStore>,
    status: Arc<StatusStore>,
    events: mpsc::UnboundedSender<WorkerEvent>,
    connectors: Mutex<HashMap<String, Instance>>,
    tasks: tokio::sync::Mutex<BTreeMap<ConnectorTaskId, TaskHandle>>,
    metrics: Arc<Metrics>,
    producers: Arc<ProducerPool>,
    /// Connectors' own offsets topics (`offsets.storage.topic`; distributed workers only).
    offset_topics: std::sync::OnceLock<Arc<OffsetTopics>>,
    /// Whether the brokers take client metrics (the task clients' `enable.metrics.push`).
    client_telemetry: Arc<ClientTelemetry>,
}

/// Java's defaults for a sink task's dead-letter queue producer (the source producer's, with
/// client id `connector-dlq-producer-<connector>-<task>`).
pub fn dlq_producer_defaults(id: &ConnectorTaskId) -> Vec<(&'static str, String)> {
    let mut defaults = producer_defaults(id);
    for (k, v) in &mut defaults {
        if *k == "client.id" {
            *v = format!("connector-dlq-producer-{}-{}", id.connector, id.task);
        }
    }
    defaults
}

/// The task class name Java would report for a connector class (`…Connector` → `…Task`).
pub fn task_class_for(connector_class: &str) -> String {
    match connector_class.strip_suffix("Connector") {
        Some(base) => format!("{base}Task"),
        None => format!("{connector_class}Task"),
    }
}

impl Worker {
    /// A worker, and the receiver of the events its connectors raise.
    pub fn new(
        config: Arc<WorkerConfig>,
        registry: Arc<PluginRegistry>,
        offsets: Arc<dyn OffsetBackingStore>,
        status: Arc<StatusStore>,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<WorkerEvent>) {
        let metrics = Self::new_metrics(&config);
        let client_telemetry = Arc::new(ClientTelemetry::new(&config.originals));
        Self::with_metrics(config, registry, offsets, status, metrics, client_telemetry)
    }

    /// The metrics registry a worker of `config` reports to (made before the worker when
    /// `GET /metrics` is served before the worker exists).
    pub fn new_metrics(config: &WorkerConfig) -> Arc<Metrics> {
        let client_id = if config.client_id.is_empty() {
            "connect-1"
        } else {
            config.client_id.as_str()
        };
        Metrics::new(config.metrics.clone(), client_id)
    }

    /// A worker reporting to `metrics` (see [`Worker::new_metrics`]), with what is known of
    /// its brokers' client telemetry (a distributed worker asks before its internal clients
    /// are made).
    pub fn with_metrics(
        config: Arc<WorkerConfig>,
        registry: Arc<PluginRegistry>,
        offsets: Arc<dyn OffsetBackingStore>,
        status: Arc<StatusStore>,
        metrics: Arc<Metrics>,
        client_telemetry: Arc<ClientTelemetry>,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<WorkerEvent>) {
        let (events, rx) = mpsc::unbounded_channel();
        metrics.set_status(status.clone());
        (
            Arc::new(Worker {
                metrics,
                producers: Arc::new(ProducerPool::new(config.source_producer_shared)),
                client_telemetry,
                config,
                registry,
                offsets,
                status,
                events,
                connectors: Mutex::new(HashMap::new()),
                tasks: tokio::sync::Mutex::new(BTreeMap::new()),
                offset_topics: std::sync::OnceLock::new(),
            }),
            rx,
        )
    }

    /// The worker config.
    pub fn config(&self) -> &Arc<WorkerConfig> {
        &self.config
    }
    /// The plugin registry.
    pub fn registry(&self) -> &Arc<PluginRegistry> {
        &self.registry
    }
    /// Lets source connectors keep their offsets in their own topics
    /// (`offsets.storage.topic`, KIP-618; a distributed worker sets it once at start, a
    /// standalone worker ignores the key, as Java's).
    pub fn set_offset_topics(&self, topics: Arc<OffsetTopics>) {
        let _ = self.offset_topics.set(topics);
    }
    /// The offset store of the source connector with `connector_props`: its own topic's,
    /// backed by the worker's, or the worker's.
    pub async fn offsets_for(
        &self,
        connector_props: &Props,
    ) -> Result<Arc<dyn OffsetBackingStore>, crate::storage::OffsetStoreError> {
        match self.offset_topics.get() {
            Some(topics) => topics.store_for(connector_props).await,
            None => Ok(self.offsets.clone()),
        }
    }
    /// The status table.
    pub fn status(&self) -> &Arc<StatusStore> {
        &self.status
    }
    /// The metrics registry (`GET /metrics`).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
    /// The source tasks' producers.
    pub fn producers(&self) -> &Arc<ProducerPool> {
        &self.producers
    }

    /// Source or sink, for a connector class or alias.
    pub fn connector_kind(&self, class: &str) -> Option<ConnectorKind> {
        match self.registry.find_connector(class).map(|p| p.factory) {
            Some(PluginFactory::Source(_)) => Some(ConnectorKind::Source),
            Some(PluginFactory::Sink(_)) => Some(ConnectorKind::Sink),
            _ => None,
        }
    }

    /// Java's `SourceConnector.alterOffsets` on a fresh, unstarted instance of the config's
    /// `connector.class` (`Ok(false)` for a class this worker does not have).
    pub fn source_connector_alters_offsets(
        &self,
        config: &Props,
        offsets: &[(sluice_api::OffsetMap, Option<sluice_api::OffsetMap>)],
    ) -> ConnectResult<bool> {
        match self.plugin_factory(config) {
            Some(PluginFactory::Source(make)) => make().alter_offsets(config, offsets),
            _ => Ok(false),
        }
    }

    /// Java's `SinkConnector.alterOffsets`, as
    /// [`source_connector_alters_offsets`](Self::source_connector_alters_offsets).
    pub fn sink_connector_alters_offsets(
        &self,
        config: &Props,
        offsets: &[(sluice_api::TopicPartition, Option<i64>)],
    ) -> ConnectResult<bool> {
        match self.plugin_factory(config) {
            Some(PluginFactory::Sink(make)) => make().alter_offsets(config, offsets),
            _ => Ok(false),
        }
    }

    fn plugin_factory(&self, config: &Props) -> Option<PluginFactory> {
        let class = config.get(crate::config::connector::CONNECTOR_CLASS)?;
        self.registry.find_connector(class).map(|p| p.factory)
    }

    fn connectors(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instance>> {
        self.connectors.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Instantiates and starts a connector; its status becomes RUNNING or PAUSED (per
    /// `target`), or FAILED with the error.
    pub fn start_connector(
        &self,
        name: &str,
        props: &Props,
        target: TargetState,
    ) -> ConnectResult<()> {
        let _span = tracing::info_span!("connector", connector = %name).entered();
        // `${provider:path:key}` references are resolved at each start, never stored.
        let props = &match self.config.config_providers.transform(props) {
            Ok(p) => p,
            Err(e) => {
                let e = ConnectError::Config(e);
                warn!(error = %e, "Connector config references could not be resolved.");
                self.status
                    .put_connector(name, State::Failed, Some(connect_trace(&e)));
                return Err(e);
            }
        };
        let class = props.get("connector.class").cloned().unwrap_or_default();
        let made = panics::catch_unwind_sync(|| {
            match self.registry.find_connector(&class).map(|p| p.factory) {
                Some(PluginFactory::Source(make)) => Some(Instance::Source(make())),
                Some(PluginFactory::Sink(make)) => Some(Instance::Sink(make())),
                _ => None,
            }
        });
        let instance = match made {
            Ok(Some(instance)) => instance,
            Err(panic) => {
                self.metrics.worker().record_connector_startup(false);
                return Err(self.connector_panicked(name, "instantiation", panic));
            }
            Ok(None) => {
                self.metrics.worker().record_connector_startup(false);
                let e = ConnectError::connect(format!(
                    "Failed to find any class that implements Connector and which name matches {class}"
                ));
                self.status
                    .put_connector(name, State::Failed, Some(connect_trace(&e)));
                return Err(e);
            }
        };
        let mut instance = instance;
        let plugin = self.registry.find_connector(&class);
        self.metrics.connector_started(
            name,
            ConnectorInfo {
                class: plugin.map_or_else(|| class.clone(), |p| p.class.to_string()),
                kind: match instance {
                    Instance::Source(_) => "source",
                    Instance::Sink(_) => "sink",
                },
                version: plugin.map_or_else(String::new, |p| p.version.to_string()),
            },
        );
        let context = Arc::new(ConnectorContextImpl {
            name: name.to_string(),
            events: self.events.clone(),
            status: self.status.clone(),
        });
        match panics::catch_unwind_sync(|| instance.connector().start(props, context)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                warn!(error = %e, "Connector failed to start.");
                self.metrics.worker().record_connector_startup(false);
                self.status
                    .put_connector(name, State::Failed, Some(connect_trace(&e)));
                return Err(e);
            }
            Err(panic) => {
                self.metrics.worker().record_connector_startup(false);
                return Err(self.connector_panicked(name, "start", panic));
            }
        }
        self.metrics.worker().record_connector_startup(true);
        info!("Connector started.");
        self.connectors().insert(name.to_string(), instance);
        self.status.put_connector(
            name,
            if target == TargetState::Paused {
                State::Paused
            } else {
                State::Running
            },
            None,
        );
        Ok(())
    }

    /// Logs a connector's panic in `call`, marks it FAILED with the panic as its trace and
    /// gives the error to return.
    fn connector_panicked(&self, name: &str, call: &str, panic: Panicked) -> ConnectError {
        error!(connector = %name, call, panic = %panic.message, "Connector panicked; it is FAILED.");
        self.status.put_connector(
            name,
            State::Failed,
            Some(panic.trace(&format!("Connector {call}"))),
        );
        ConnectError::connect(format!(
            "Connector {name} panicked in {call}: {}",
            panic.message
        ))
    }

    /// True when the connector instance is running here.
    pub fn is_connector_running(&self, name: &str) -> bool {
        self.connectors().contains_key(name)
    }

    /// Stops and forgets a connector instance (its status is left to the caller).
    pub fn stop_connector(&self, name: &str) {
        self.metrics.connector_removed(name);
        let instance = self.connectors().remove(name);
        if let Some(mut instance) = instance {
            match panics::catch_unwind_sync(|| instance.connector().stop()) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    warn!(connector = %name, error = %e, "Connector failed to stop cleanly.")
                }
                Err(panic) => {
                    error!(connector = %name, panic = %panic.message,
                        "Connector panicked in stop.");
                }
            }
        }
    }

    /// Records a connector target state change (pause/resume) in its status, unless it
    /// failed.
    pub fn set_connector_state(&self, name: &str, state: State) {
        let failed = self
            .status
            .connector(name)
            .is_some_and(|s| s.state == State::Failed);
        if !failed {
            self.status.put_connector(name, state, None);
        }
    }

    /// The connector's task configs, with `task.class` and (sinks) `topics`/`topics.regex`
    /// added, checked against `tasks.max`.
    pub fn task_configs(&self, name: &str, props: &Props) -> ConnectResult<Vec<Props>> {
        let max_tasks = props
            .get(TASKS_MAX)
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let enforce = props
            .get("tasks.max.enforce")
            .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
        let class = props.get("connector.class").cloned().unwrap_or_default();
        let plugin_class = self
            .registry
            .find_connector(&class)
            .map(|p| p.class.to_string())
            .unwrap_or(class);
        let mut connectors = self.connectors();
        let Some(instance) = connectors.get_mut(name) else {
            return Err(ConnectError::connect(format!(
                "Connector {name} is not running on this worker"
            )));
        };
        let is_sink = matches!(instance, Instance::Sink(_));
        let configs =
            match panics::catch_unwind_sync(|| instance.connector().task_configs(max_tasks)) {
                Ok(configs) => configs?,
                Err(panic) => {
                    drop(connectors);
                    return Err(self.connector_panicked(name, "taskConfigs", panic));
                }
            };
        if enforce && configs.len() > max_tasks {
            return Err(ConnectError::connect(format!(
                "The connector {name} has generated {} tasks, which is greater than {max_tasks}, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with 'tasks.max.enforce' set to false; however, this option will be removed in a future release of Kafka Connect.",
                configs.len()
            )));
        }
        // No resolved secret reaches the stored task configs.
        let configs = crate::config::providers::reverse_transform(props, configs);
        Ok(configs
            .into_iter()
            .map(|mut c| {
                c.insert("task.class".to_string(), task_class_for(&plugin_class));
                if is_sink {
                    for key in [TOPICS, TOPICS_REGEX] {
                        if let Some(v) = props.get(key) {
                            c.insert(key.to_string(), v.clone());
                        }
                    }
                }
                c
            })
            .collect())
    }

    /// A source task's topic creation (KIP-158): `None` unless the worker allows it and the
    /// connector has `topic.creation.*` keys.
    fn topic_creator(
        &self,
        id: &ConnectorTaskId,
        connector_props: &Props,
        client_default: &ClientDefault,
    ) -> Result<Option<super::topic_creation::TopicCreator>, TaskError> {
        use super::topic_creation::{enabled_by_worker, parse_groups, used_by, TopicCreator};
        if !enabled_by_worker(&self.config.originals) || !used_by(connector_props) {
            return Ok(None);
        }
        let fail = |error: ConnectError| TaskError::Task {
            call: "topic creation",
            error,
        };
        let groups = parse_groups(connector_props).map_err(|e| fail(ConnectError::Config(e)))?;
        // No statistics for admin clients: rdkafka's AdminClient never serves its main queue,
        // where librdkafka delivers them (they would pile up).
        let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
            client_config(
                ClientKind::Admin,
                &self.config.originals,
                connector_props,
                &with_default(
                    vec![
                        (
                            "client.id",
                            format!("connector-adminclient-{}-{}", id.connector, id.task),
                        ),
                        (
                            crate::runtime::topic_admin::NO_AUTO_CREATE.0,
                            crate::runtime::topic_admin::NO_AUTO_CREATE.1.to_string(),
                        ),
                    ],
                    client_default,
                ),
            )
            .create()
            .map_err(|e| {
                fail(ConnectError::connect(format!(
                    "Failed to create admin client: {e}"
                )))
            })?;
        Ok(Some(TopicCreator::new(groups, admin)))
    }

    /// Starts one task. A failure to build it (converters, transformations, clients) is
    /// recorded as FAILED and returned.
    pub async fn start_task(
        &self,
        id: &ConnectorTaskId,
        connector_props: &Props,
        task_props: &Props,
        target: TargetState,
    ) -> Result<(), TaskError> {
        // Building the task runs plugin code (converters, transformations, `create_task`).
        let result = panics::catch_unwind(self.spawn_task(id, connector_props, task_props, target))
            .await
            .unwrap_or_else(|panic| Err(TaskError::Panic(panic)));
        self.metrics.worker().record_task_startup(result.is_ok());
        if let Err(e) = &result {
            warn!(connector = %id.connector, task = id.task, error = %e, "Task failed to start.");
            self.status.put_task(id, State::Failed, Some(e.trace()));
        }
        result
    }

    async fn spawn_task(
        &self,
        id: &ConnectorTaskId,
        connector_props: &Props,
        task_props: &Props,
        target: TargetState,
    ) -> Result<(), TaskError> {
        let build = |call: &'static str| move |error| TaskError::Task { call, error };
        // `${provider:path:key}` references are resolved at each start, never stored.
        let resolve = |props: &Props| {
            self.config
                .config_providers
                .transform(props)
                .map_err(|e| TaskError::Task {
                    call: "config provider resolution",
                    error: ConnectError::Config(e),
                })
        };
        let connector_props = &resolve(connector_props)?;
        let task_props = &resolve(task_props)?;
        let converters = RecordConverters::build(&self.registry, &self.config, connector_props)
            .map_err(build("converter configuration"))?;
        let transforms = Transforms::build(&self.registry, connector_props)
            .map_err(build("transformation configuration"))?;
        let error_config = |kind| {
            ErrorHandlingConfig::parse(kind, connector_props).map_err(|e| TaskError::Task {
                call: "error handling configuration",
                error: ConnectError::Config(e.errors.into_iter().next().unwrap_or_else(|| {
                    sluice_api::ConfigError::key("errors.tolerance", "Invalid configuration")
                })),
            })
        };
        let initial = match target {
            TargetState::Paused => TaskTarget::Paused,
            _ => TaskTarget::Running,
        };
        let task = self.create_task(id, connector_props)?;
        let client_default = self.client_telemetry.client_default().await;
        let kind = match &task {
            NewTask::Source(_) => ConnectorKind::Source,
            NewTask::Sink(_) => ConnectorKind::Sink,
        };
        // A connector stored before the worker's override policy was tightened.
        self.config
            .client_override_policy
            .check_task(ClientUse::task(kind, connector_props), connector_props)
            .map_err(|message| TaskError::Task {
                call: "client configuration",
                error: ConnectError::connect(message),
            })?;
        let mut sink_errors = if kind == ConnectorKind::Sink {
            let config = error_config(ConnectorKind::Sink)?;
            let reporter_converters = if config.has_reporters() {
                Some(
                    RecordConverters::build(&self.registry, &self.config, connector_props)
                        .map_err(build("converter configuration"))?,
                )
            } else {
                None
            };
            Some(SinkErrorHandling {
                config,
                dlq_admin: client_config(
                    ClientKind::Admin,
                    &self.config.originals,
                    connector_props,
                    &with_default(
                        vec![
                            ("client.id", "connector-dlq-adminclient-".to_string()),
                            (
                                crate::runtime::topic_admin::NO_AUTO_CREATE.0,
                                crate::runtime::topic_admin::NO_AUTO_CREATE.1.to_string(),
                            ),
                        ],
                        &client_default,
                    ),
                ),
                dlq_producer: client_config(
                    ClientKind::Producer,
                    &self.config.originals,
                    connector_props,
                    &with_default(dlq_producer_defaults(id), &client_default),
                ),
                reporter_converters,
                task_class: task_props.get("task.class").cloned().unwrap_or_default(),
            })
        } else {
            None
        };
        let (control, rx) = watch::channel(initial);
        let join = {
            match task {
                NewTask::Source(task) => {
                    let config = error_config(ConnectorKind::Source)?;
                    let mut reporters = Reporters::default();
                    if config.log_enable {
                        reporters.log =
                            Some(LogReporter::new(id.clone(), config.log_include_messages));
                    }
                    let topic_creation =
                        self.topic_creator(id, connector_props, &client_default)?;
                    let errors = RetryWithToleranceOperator::new(id.clone(), config, reporters);
                    let metrics =
                        self.metrics
                            .task_started(id, TaskKind::Source, errors.error_metrics());
                    let defaults = with_default(producer_defaults(id), &client_default);
                    let producer_client_id = defaults
                        .iter()
                        .find(|(k, _)| *k == "client.id")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    let mut producer_config = client_config(
                        ClientKind::Producer,
                        &self.config.originals,
                        connector_props,
                        &defaults,
                    );
                    let producer_stats = self
                        .metrics
                        .client(ClientType::Producer, &mut producer_config);
                    let run = SourceTaskRun {
                        id: id.clone(),
                        task,
                        task_config: task_props.clone(),
                        converters,
                        transforms,
                        producer_config,
                        producer_client_id,
                        producers: self.producers.clone(),
                        producer_stats,
                        offsets: self.offsets_for(connector_props).await?,
                        status: self.status.clone(),
                        flush_interval: self.config.offset_flush_interval,
                        flush_timeout: self.config.offset_flush_timeout,
                        shutdown_timeout: self.config.task_shutdown_timeout,
                        errors,
                        topic_creation,
                        metrics,
                    };
                    tokio::spawn(run_source_task(run, rx))
                }
                NewTask::Sink(task) => {
                    let errors = sink_errors.take().ok_or_else(|| TaskError::Task {
                        call: "error handling configuration",
                        error: ConnectError::connect("sink error handling already built"),
                    })?;
                    let topics = sluice_api::config::parse_list(
                        connector_props
                            .get(TOPICS)
                            .map(String::as_str)
                            .unwrap_or(""),
                    );
                    let regex = connector_props
                        .get(TOPICS_REGEX)
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty());
                    let max_poll_records = max_poll_records(java_setting(
                        ClientKind::Consumer,
                        &self.config.originals,
                        connector_props,
                        "max.poll.records",
                    ))
                    .map_err(TaskError::Kafka)?;
                    let run = SinkTaskRun {
                        id: id.clone(),
                        task,
                        task_config: task_props.clone(),
                        topics,
                        topics_regex: regex,
                        converters,
                        transforms,
                        consumer_config: client_config(
                            ClientKind::Consumer,
                            &self.config.originals,
                            connector_props,
                            &with_default(consumer_defaults(id), &client_default),
                        ),
                        max_poll_records,
                        status: self.status.clone(),
                        commit_interval: self.config.offset_flush_interval,
                        commit_timeout: self.config.offset_flush_timeout,
                        errors,
                        metrics: self.metrics.clone(),
                    };
                    tokio::spawn(run_sink_task(run, rx))
                }
            }
        };
        self.tasks
            .lock()
            .await
            .insert(id.clone(), TaskHandle { control, join });
        Ok(())
    }

    /// What the worker knows of its brokers' client-telemetry support.
    pub fn client_telemetry(&self) -> &ClientTelemetry {
        &self.client_telemetry
    }

    /// A new task object: from the connector instance when it runs on this worker, else from
    /// a fresh, unstarted instance of its class (in distributed mode a task often runs on
    /// another worker than its connector, as Java instantiates `task.class` on its own).
    fn create_task(
        &self,
        id: &ConnectorTaskId,
        connector_props: &Props,
    ) -> Result<NewTask, TaskError> {
        let local = {
            let connectors = self.connectors();
            match connectors.get(&id.connector) {
                Some(Instance::Source(c)) => Some(NewTask::Source(c.create_task())),
                Some(Instance::Sink(c)) => Some(NewTask::Sink(c.create_task())),
                None => None,
            }
        };
        if let Some(task) = local {
            return Ok(task);
        }
        let class = connector_props
            .get("connector.class")
            .cloned()
            .unwrap_or_default();
        match self.registry.find_connector(&class).map(|p| p.factory) {
            Some(PluginFactory::Source(make)) => Ok(NewTask::Source(make().create_task())),
            Some(PluginFactory::Sink(make)) => Ok(NewTask::Sink(make().create_task())),
            _ => Err(TaskError::Task {
                call: "create task",
                error: ConnectError::connect(format!(
                    "Failed to find any class that implements Connector and which name matches {class}"
                )),
            }),
        }
    }

    /// Pauses or resumes a running task.
    pub async fn set_task_target(&self, id: &ConnectorTaskId, target: TargetState) {
        if let Some(handle) = self.tasks.lock().await.get(id) {
            let t = match target {
                TargetState::Paused => TaskTarget::Paused,
                TargetState::Started => TaskTarget::Running,
                TargetState::Stopped => TaskTarget::Stopping,
            };
            let _ = handle.control.send(t);
        }
    }

    /// The ids of the connector's tasks running here.
    pub async fn task_ids(&self, connector: &str) -> Vec<ConnectorTaskId> {
        self.tasks
            .lock()
            .await
            .keys()
            .filter(|id| id.connector == connector)
            .cloned()
            .collect()
    }

    /// Stops tasks: each flushes and commits; waits `task.shutdown.graceful.timeout.ms` in
    /// total, then abandons the rest (Java's "Graceful stop of task … failed."): each is
    /// cancelled (its future dropped at its next await, which releases its clients) and
    /// awaited a little longer; a task stuck in blocking code cannot be cancelled and is left
    /// behind, logged, without holding up the caller. Stopped tasks become UNASSIGNED unless
    /// they failed.
    pub async fn stop_tasks(&self, ids: &[ConnectorTaskId]) {
        let handles: Vec<(ConnectorTaskId, TaskHandle)> = {
            let mut tasks = self.tasks.lock().await;
            ids.iter()
                .filter_map(|id| tasks.remove(id).map(|h| (id.clone(), h)))
                .collect()
        };
        for (_, h) in &handles {
            let _ = h.control.send(TaskTarget::Stopping);
        }
        let timeout = self.config.task_shutdown_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut abandoned = Vec::new();
        for (id, mut h) in handles {
            if tokio::time::timeout_at(deadline, &mut h.join)
                .await
                .is_err()
            {
                // Java's message; the reason and the bound go in fields.
                error!(connector = %id.connector, task = id.task,
                    timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    reason = "not stopped within task.shutdown.graceful.timeout.ms; cancelling it",
                    "Graceful stop of task {}-{} failed.", id.connector, id.task);
                h.join.abort();
                abandoned.push((id.clone(), h.join));
            } else {
                debug!(connector = %id.connector, task = id.task,
                    "Graceful stop of task {}-{} succeeded.", id.connector, id.task);
            }
            self.status.put_task_unless_failed(&id, State::Unassigned);
            self.metrics.task_removed(&id);
        }
        let cancel_deadline = tokio::time::Instant::now() + TASK_CANCEL_WAIT;
        for (id, join) in abandoned {
            match tokio::time::timeout_at(cancel_deadline, join).await {
                Ok(_) => {
                    info!(connector = %id.connector, task = id.task, "Cancelled task {}-{}; its resources are released.", id.connector, id.task)
                }
                Err(_) => error!(connector = %id.connector, task = id.task,
                    "Task {}-{} did not stop when cancelled: it is stuck in blocking code. Its thread is abandoned; it no longer counts as running and will not keep the worker from exiting.", id.connector, id.task),
            }
        }
    }

    /// Stops every task and connector (worker shutdown).
    pub async fn stop_all(&self) {
        let ids: Vec<ConnectorTaskId> = self.tasks.lock().await.keys().cloned().collect();
        self.stop_tasks(&ids).await;
        let names: Vec<String> = self.connectors().keys().cloned().collect();
        for name in names {
            self.stop_connector(&name);
            self.status.put_connector(&name, State::Unassigned, None);
        }
    }
}
