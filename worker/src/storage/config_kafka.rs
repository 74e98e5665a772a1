//! [`KafkaConfigBackingStore`]: connector configs, task configs and target states in the
//! config topic (`config.storage.topic`, Java's `KafkaConfigBackingStore`).
//!
//! * [`KafkaConfigBackingStore::start`] creates or checks the topic (one partition,
//!   compacted), reads it to the end and follows it. Every record read, written by this
//!   worker or any other, goes through Java's reader rules ([`ClusterConfigState`]): task
//!   configs wait for their `commit-<c>` record, a commit naming tasks whose configs were not
//!   read makes the connector inconsistent, a connector without a target-state record is
//!   `STARTED`.
//! * Each change read after start is handed to the [`ConfigUpdateListener`] (Java's
//!   `UpdateListener`) on the reader thread, after the state is updated, so a listener that
//!   takes a [`KafkaConfigBackingStore::snapshot`] sees it.
//! * Writes use Java's record sets and order, and wait for the acknowledgements; most then
//!   read to the end, so the caller's next snapshot holds its own write (30 s overall, Java's
//!   `READ_WRITE_TOTAL_TIMEOUT_MS`).
//!
//! Not done here: the transactional ("fencable") leader producer Java uses when
//! `exactly.once.source.support` is `preparing` or `enabled`; writes are plain idempotent
//! sends.

mod state;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use sluice_api::Props;

use state::ConfigState;
pub use state::{ClusterConfigState, ConfigUpdate, SessionKey, NO_OFFSET};

use super::config_records::{ConfigProps, ConfigRecord, TargetState};
use super::internal_topics::{ensure_topic, InternalTopic, TopicError};
use super::kafka_log::{ConsumeCallback, KafkaBasedLog, LogClients, LogError};
use crate::herder::RestartRequest;

/// Java's `READ_WRITE_TOTAL_TIMEOUT_MS`: the budget of one write and its read-back.
pub const READ_WRITE_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Receives the changes read from the config topic (Java's
/// `ConfigBackingStore.UpdateListener`). Called on the log's reader thread, serially, in
/// topic order: it must not block (forward to a channel). Any `Fn(ConfigUpdate)` closure is
/// a listener.
pub trait ConfigUpdateListener: Send + Sync {
    /// One change, already applied to the store's state.
    fn on_update(&self, update: ConfigUpdate);
}

impl<F: Fn(ConfigUpdate) + Send + Sync> ConfigUpdateListener for F {
    fn on_update(&self, update: ConfigUpdate) {
        self(update)
    }
}

/// A failure of the config store.
#[derive(Debug, thiserror::Error)]
pub enum ConfigStoreError {
    /// The topic could not be created, or is not a valid config topic.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// The log could not be started or read.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A write failed (Java's `ConnectException` messages: "Error writing connector
    /// configuration to Kafka", ...).
    #[error("Error writing {what} to Kafka: {source}")]
    Write {
        /// What was being written.
        what: String,
        /// The failure.
        #[source]
        source: LogError,
    },
    /// A write or read-to-end did not finish in time.
    #[error("Timed out after {timeout:?} {what} (config topic '{topic}')")]
    Timeout {
        /// What was being done.
        what: String,
        /// The topic.
        topic: String,
        /// The budget.
        timeout: Duration,
    },
}

/// Connector and task configurations kept in the config topic.
pub struct KafkaConfigBackingStore {
    log: KafkaBasedLog,
    state: Arc<Mutex<ConfigState>>,
}

impl std::fmt::Debug for KafkaConfigBackingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaConfigBackingStore")
            .field("topic", &self.log.topic())
            .finish_non_exhaustive()
    }
}

fn lock(state: &Mutex<ConfigState>) -> std::sync::MutexGuard<'_, ConfigState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// The stored form of a herder's config map.
pub fn to_config_props(props: &Props) -> ConfigProps {
    props
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect()
}

impl KafkaConfigBackingStore {
    /// Starts the store (Java's `start`): creates the topic if missing, else checks it
    /// (compacted, one partition), then reads it to the end and follows it. The listener
    /// gets the changes read after that first read-to-end, never the history. `clients` holds
    /// the log's client settings (`bootstrap.servers`, security, `client.id`).
    pub async fn start(
        topic: &InternalTopic,
        clients: &LogClients,
        admin: &Arc<AdminClient<DefaultClientContext>>,
        listener: Arc<dyn ConfigUpdateListener>,
    ) -> Result<Self, ConfigStoreError> {
        tracing::info!(topic = %topic.name, "Starting KafkaConfigBackingStore");
        ensure_topic(admin, topic).await?;
        let state = Arc::new(Mutex::new(ConfigState::default()));
        let started = Arc::new(AtomicBool::new(false));
        let callback: ConsumeCallback = {
            let state = state.clone();
            let started = started.clone();
            Box::new(move |record| {
                let updates = lock(&state).consume(&record);
                if started.load(Ordering::SeqCst) {
                    for update in updates {
                        listener.on_update(update);
                    }
                } else {
                    for update in updates {
                        tracing::trace!(
                            ?update,
                            "Not notifying the listener before start completed"
                        );
                    }
                }
            })
        };
        let log = KafkaBasedLog::start(topic.name.as_str(), clients, callback).await?;
        started.store(true, Ordering::SeqCst);
        tracing::info!(topic = %topic.name, "Started KafkaConfigBackingStore");
        Ok(KafkaConfigBackingStore { log, state })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        self.log.topic()
    }

    /// A copy of the current state (Java's `snapshot`).
    pub fn snapshot(&self) -> ClusterConfigState {
        lock(&self.state).snapshot.clone()
    }

    /// Whether the connector has a config now.
    pub fn contains(&self, connector: &str) -> bool {
        lock(&self.state).snapshot.contains(connector)
    }

    /// Reads the topic to its current end (Java's `refresh`).
    pub async fn refresh(&self, timeout: Duration) -> Result<(), ConfigStoreError> {
        self.within(timeout, "reading to the end of the config topic", async {
            self.log.read_to_end().await.map_err(ConfigStoreError::Log)
        })
        .await
    }

    /// Writes a connector config (Java's `putConnectorConfig`): `target-state-<c>` first when
    /// a target state is given (`initial_state`), then `connector-<c>`, in one batch; then
    /// reads to the end.
    pub async fn put_connector_config(
        &self,
        connector: &str,
        props: &ConfigProps,
        target_state: Option<TargetState>,
    ) -> Result<(), ConfigStoreError> {
        tracing::debug!(connector, "Writing connector configuration");
        let mut records = Vec::new();
        if let Some(state) = target_state {
            tracing::debug!(connector, state = state.name(), "Writing target state");
            records.push(ConfigRecord::TargetState {
                connector: connector.to_string(),
                state,
            });
        }
        records.push(ConfigRecord::ConnectorConfig {
            connector: connector.to_string(),
            props: props.clone(),
        });
        self.write(&records, "connector configuration", true).await
    }

    /// Deletes a connector (Java's `removeConnectorConfig`): tombstones for `connector-<c>`
    /// and `target-state-<c>`, in one batch; then reads to the end.
    pub async fn remove_connector_config(&self, connector: &str) -> Result<(), ConfigStoreError> {
        tracing::debug!(connector, "Removing connector configuration");
        let records = [
            ConfigRecord::ConnectorConfigRemoved {
                connector: connector.to_string(),
            },
            ConfigRecord::TargetStateRemoved {
                connector: connector.to_string(),
            },
        ];
        self.write(&records, "connector configuration removal", true)
            .await
    }

    /// Writes a connector's task configs (Java's `putTaskConfigs`): reads to the end, sends
    /// `task-<c>-0 .. task-<c>-(N-1)` and `commit-<c>` `{"tasks":N}` as one ordered batch on
    /// the single partition, then reads to the end. Readers apply the tasks only at the
    /// commit; a batch only partly written leaves the connector inconsistent for readers
    /// (Java's rule), never half-applied.
    pub async fn put_task_configs(
        &self,
        connector: &str,
        configs: Vec<ConfigProps>,
    ) -> Result<(), ConfigStoreError> {
        self.within(
            READ_WRITE_TOTAL_TIMEOUT,
            "writing task configurations",
            async {
                self.log.read_to_end().await?;
                let tasks = i32::try_from(configs.len()).unwrap_or(i32::MAX);
                let mut records: Vec<ConfigRecord> = configs
                    .into_iter()
                    .zip(0..)
                    .map(|(props, task)| ConfigRecord::TaskConfig {
                        connector: connector.to_string(),
                        task,
                        props,
                    })
                    .collect();
                tracing::debug!(
                    connector,
                    tasks,
                    "Writing task configurations and their commit"
                );
                records.push(ConfigRecord::Commit {
                    connector: connector.to_string(),
                    tasks,
                });
                self.send(&records, "task configurations").await?;
                self.log.read_to_end().await?;
                Ok(())
            },
        )
        .await
    }

    /// Writes a target state (Java's `putTargetState`; any worker may): waits for the
    /// acknowledgement, does not read back.
    pub async fn put_target_state(
        &self,
        connector: &str,
        state: TargetState,
    ) -> Result<(), ConfigStoreError> {
        tracing::debug!(connector, state = state.name(), "Writing target state");
        let record = ConfigRecord::TargetState {
            connector: connector.to_string(),
            state,
        };
        self.write(&[record], "target state", false).await
    }

    /// Writes a new session key (Java's `putSessionKey`); then reads to the end.
    pub async fn put_session_key(&self, key: &SessionKey) -> Result<(), ConfigStoreError> {
        tracing::debug!("Distributing new session key");
        let record = ConfigRecord::SessionKey {
            key: key.key.clone(),
            algorithm: key.algorithm.clone(),
            creation_timestamp: key.creation_timestamp,
        };
        self.write(&[record], "session key", true).await
    }

    /// Writes a restart request (Java's `putRestartRequest`); then reads to the end. Every
    /// worker's listener gets it as [`ConfigUpdate::RestartRequested`].
    pub async fn put_restart_request(
        &self,
        connector: &str,
        request: RestartRequest,
    ) -> Result<(), ConfigStoreError> {
        let record = ConfigRecord::RestartRequest {
            connector: connector.to_string(),
            include_tasks: request.include_tasks,
            only_failed: request.only_failed,
        };
        self.write(&[record], "restart request", true).await
    }

    /// Writes a task-count record after a zombie fencing (Java's `putTaskCountRecord`,
    /// KIP-618); then reads to the end.
    pub async fn put_task_count_record(
        &self,
        connector: &str,
        task_count: i32,
    ) -> Result<(), ConfigStoreError> {
        let record = ConfigRecord::TasksFencing {
            connector: connector.to_string(),
            task_count,
        };
        self.write(&[record], "task count record", true).await
    }

    /// Writes a cluster-wide log level (Java's `putLoggerLevel`; any worker may): waits for
    /// the acknowledgement, does not read back.
    pub async fn put_logger_level(
        &self,
        namespace: &str,
        level: &str,
    ) -> Result<(), ConfigStoreError> {
        let record = ConfigRecord::LoggerLevel {
            namespace: namespace.to_string(),
            level: level.to_string(),
        };
        self.write(&[record], "logger level", false).await
    }

    /// Stops following the topic.
    pub async fn stop(self) {
        tracing::info!(topic = %self.log.topic(), "Closing KafkaConfigBackingStore");
        self.log.stop().await;
    }

    /// Sends `records` as one batch and, if `read_back`, reads to the end; within
    /// [`READ_WRITE_TOTAL_TIMEOUT`].
    async fn write(
        &self,
        records: &[ConfigRecord],
        what: &str,
        read_back: bool,
    ) -> Result<(), ConfigStoreError> {
        self.within(
            READ_WRITE_TOTAL_TIMEOUT,
            &format!("writing {what}"),
            async {
                self.send(records, what).await?;
                if read_back {
                    self.log.read_to_end().await?;
                }
                Ok(())
            },
        )
        .await
    }

    /// Sends the records in order and waits for every acknowledgement.
    async fn send(&self, records: &[ConfigRecord], what: &str) -> Result<(), ConfigStoreError> {
        let encoded: Vec<(String, Option<Vec<u8>>)> =
            records.iter().map(ConfigRecord::encode).collect();
        let batch: Vec<(&[u8], Option<&[u8]>)> = encoded
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_deref()))
            .collect();
        for result in self.log.send_all(&batch).await {
            result.map_err(|source| {
                tracing::error!(error = %source, "Failed to write {what} to Kafka");
                ConfigStoreError::Write {
                    what: what.to_string(),
                    source,
                }
            })?;
        }
        Ok(())
    }

    async fn within(
        &self,
        timeout: Duration,
        what: &str,
        work: impl std::future::Future<Output = Result<(), ConfigStoreError>>,
    ) -> Result<(), ConfigStoreError> {
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| ConfigStoreError::Timeout {
                what: what.to_string(),
                topic: self.log.topic().to_string(),
                timeout,
            })?
    }
}

#[cfg(test)]
mod tests;
