//! The config topic's state machine (Java's `KafkaConfigBackingStore.ConsumeCallback`) and
//! the snapshot it exposes (Java's `ClusterConfigState`). Pure: records in, state and
//! [`ConfigUpdate`] events out; no Kafka I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::herder::{ConnectorTaskId, RestartRequest};
use crate::storage::config_records::{
    ConfigProps, ConfigRecord, ConfigRecordError, TargetState, COMMIT_TASKS_PREFIX,
};
use crate::storage::kafka_log::LogRecord;

/// The offset of a snapshot that has read nothing (Java's `ClusterConfigState.NO_OFFSET`).
pub const NO_OFFSET: i64 = -1;

/// The inter-worker request-signing key (Java's `SessionKey`, KIP-507).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    /// The raw key bytes.
    pub key: Vec<u8>,
    /// The MAC algorithm, e.g. `HmacSHA256`.
    pub algorithm: String,
    /// When the key was made, epoch milliseconds.
    pub creation_timestamp: i64,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never logged.
        f.debug_struct("SessionKey")
            .field("key", &"[hidden]")
            .field("algorithm", &self.algorithm)
            .field("creation_timestamp", &self.creation_timestamp)
            .finish()
    }
}

/// A change read from the config topic (Java's `ConfigBackingStore.UpdateListener` calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigUpdate {
    /// `onConnectorConfigUpdate`: a `connector-<c>` record.
    ConnectorConfigUpdated(String),
    /// `onConnectorConfigRemove`: a `connector-<c>` tombstone.
    ConnectorConfigRemoved(String),
    /// `onTaskConfigUpdate`: a `commit-<c>` record applied these task configs (empty when
    /// the commit was incomplete and the connector became inconsistent).
    TaskConfigsUpdated(Vec<ConnectorTaskId>),
    /// `onConnectorTargetStateChange`: the target state of an existing connector changed.
    TargetStateChanged(String),
    /// `onSessionKeyUpdate`: a new `session-key` record.
    SessionKeyUpdated(SessionKey),
    /// `onRestartRequest`: a `restart-connector-<c>` record.
    RestartRequested {
        /// The connector.
        connector: String,
        /// What to restart.
        request: RestartRequest,
    },
    /// `onLoggingLevelUpdate`: a `logger-cluster-<ns>` record (only delivered for records
    /// read after start, as Java).
    LoggerLevelUpdated {
        /// The logger namespace.
        namespace: String,
        /// The level, e.g. `DEBUG`.
        level: String,
    },
}

/// An immutable snapshot of the config topic (Java's `ClusterConfigState`). Configs are the
/// raw stored ones (`${...}` placeholders not resolved: that is the herder's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfigState {
    offset: i64,
    session_key: Option<SessionKey>,
    task_counts: BTreeMap<String, i32>,
    connector_configs: BTreeMap<String, ConfigProps>,
    target_states: BTreeMap<String, TargetState>,
    task_configs: BTreeMap<ConnectorTaskId, ConfigProps>,
    task_count_records: BTreeMap<String, i32>,
    task_config_generations: BTreeMap<String, i32>,
    applied_connector_configs: BTreeMap<String, ConfigProps>,
    pending_fencing: BTreeSet<String>,
    inconsistent: BTreeSet<String>,
}

impl Default for ClusterConfigState {
    fn default() -> Self {
        ClusterConfigState {
            offset: NO_OFFSET,
            session_key: None,
            task_counts: BTreeMap::new(),
            connector_configs: BTreeMap::new(),
            target_states: BTreeMap::new(),
            task_configs: BTreeMap::new(),
            task_count_records: BTreeMap::new(),
            task_config_generations: BTreeMap::new(),
            applied_connector_configs: BTreeMap::new(),
            pending_fencing: BTreeSet::new(),
            inconsistent: BTreeSet::new(),
        }
    }
}

impl ClusterConfigState {
    /// The empty snapshot (offset -1).
    pub fn empty() -> Self {
        Self::default()
    }

    /// The offset after the last record read (`-1`: none): the `config_offset` a member
    /// sends in the group protocol.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The latest session key, if one was read.
    pub fn session_key(&self) -> Option<&SessionKey> {
        self.session_key.as_ref()
    }

    /// Whether the connector has a config.
    pub fn contains(&self, connector: &str) -> bool {
        self.connector_configs.contains_key(connector)
    }

    /// The connectors with a config, in name order.
    pub fn connectors(&self) -> Vec<String> {
        self.connector_configs.keys().cloned().collect()
    }

    /// The connector's raw config.
    pub fn connector_config(&self, connector: &str) -> Option<&ConfigProps> {
        self.connector_configs.get(connector)
    }

    /// The connector config the current task configs were made from (saved at each
    /// complete commit).
    pub fn applied_connector_config(&self, connector: &str) -> Option<&ConfigProps> {
        self.applied_connector_configs.get(connector)
    }

    /// The connector's target state (`STARTED` when it has a config but no target-state
    /// record).
    pub fn target_state(&self, connector: &str) -> Option<TargetState> {
        self.target_states.get(connector).copied()
    }

    /// A task's raw config (only committed configs).
    pub fn task_config(&self, task: &ConnectorTaskId) -> Option<&ConfigProps> {
        self.task_configs.get(task)
    }

    /// The task count of the last commit (0 when none).
    pub fn task_count(&self, connector: &str) -> i32 {
        self.task_counts.get(connector).copied().unwrap_or(0)
    }

    /// Whether a commit was read since the last `tasks-fencing-<c>` record (KIP-618).
    pub fn pending_fencing(&self, connector: &str) -> bool {
        self.pending_fencing.contains(connector)
    }

    /// The connector's task ids `0..task_count`; none for an inconsistent connector.
    pub fn tasks(&self, connector: &str) -> Vec<ConnectorTaskId> {
        if self.inconsistent.contains(connector) {
            return Vec::new();
        }
        let count = u32::try_from(self.task_count(connector)).unwrap_or(0);
        (0..count)
            .map(|task| ConnectorTaskId {
                connector: connector.to_string(),
                task,
            })
            .collect()
    }

    /// The last `tasks-fencing-<c>` task count.
    pub fn task_count_record(&self, connector: &str) -> Option<i32> {
        self.task_count_records.get(connector).copied()
    }

    /// The task-config generation: 0 at the first applied commit, +1 at each later one.
    pub fn task_config_generation(&self, connector: &str) -> Option<i32> {
        self.task_config_generations.get(connector).copied()
    }

    /// Connectors whose last commit named tasks whose configs were not read (partial write
    /// plus compaction): their tasks count as none until new task configs are written.
    pub fn inconsistent_connectors(&self) -> &BTreeSet<String> {
        &self.inconsistent
    }
}

/// The reader's state: the snapshot plus the task configs waiting for their commit.
#[derive(Debug, Default)]
pub(crate) struct ConfigState {
    pub(crate) snapshot: ClusterConfigState,
    /// Per connector, the task configs read since its last commit. An entry, even empty,
    /// stays from the first task record until the connector is removed: a commit bumps the
    /// task-config generation only when one exists (Java keeps the cleared map).
    deferred: HashMap<String, BTreeMap<i32, ConfigProps>>,
}

impl ConfigState {
    /// Applies one record of the topic as Java's consume callback does; gives the events
    /// for the listener.
    pub(crate) fn consume(&mut self, record: &LogRecord) -> Vec<ConfigUpdate> {
        let Some(key) = record.key.as_deref() else {
            tracing::error!(
                offset = record.offset,
                "Discarding config record without a key"
            );
            self.snapshot.offset = record.offset + 1;
            return Vec::new();
        };
        let key = String::from_utf8_lossy(key);
        match ConfigRecord::decode(&key, record.value.as_deref()) {
            Ok(decoded) => {
                self.snapshot.offset = record.offset + 1;
                decoded.map(|r| self.apply(r)).unwrap_or_default()
            }
            // The converter could not read the value: Java skips it without moving its
            // offset.
            Err(e @ ConfigRecordError::Json { .. }) => {
                tracing::error!(error = %e, "Failed to convert config data to Kafka Connect format");
                Vec::new()
            }
            Err(e) => {
                tracing::error!(error = %e, "Ignoring config record");
                self.snapshot.offset = record.offset + 1;
                // Java looks for the connector's config before it looks at a commit's value.
                if let Some(connector) = key.strip_prefix(COMMIT_TASKS_PREFIX) {
                    if !self.snapshot.connector_configs.contains_key(connector) {
                        self.remove_connector(connector);
                    }
                }
                Vec::new()
            }
        }
    }

    /// Applies one decoded record; gives the events for the listener.
    pub(crate) fn apply(&mut self, record: ConfigRecord) -> Vec<ConfigUpdate> {
        let s = &mut self.snapshot;
        match record {
            ConfigRecord::TargetState { connector, state } => {
                tracing::debug!(connector, state = state.name(), "Setting target state");
                let previous = s.target_states.insert(connector.clone(), state);
                if previous != Some(state) && s.connector_configs.contains_key(&connector) {
                    return vec![ConfigUpdate::TargetStateChanged(connector)];
                }
            }
            ConfigRecord::TargetStateRemoved { connector } => {
                tracing::debug!(connector, "Removed target state due to null value in topic");
                s.target_states.remove(&connector);
                if s.connector_configs.contains_key(&connector) {
                    s.target_states.insert(connector, TargetState::Started);
                }
            }
            ConfigRecord::ConnectorConfig { connector, props } => {
                tracing::debug!(connector, "Updating configuration for connector");
                s.connector_configs.insert(connector.clone(), props);
                s.target_states
                    .entry(connector.clone())
                    .or_insert(TargetState::Started);
                return vec![ConfigUpdate::ConnectorConfigUpdated(connector)];
            }
            ConfigRecord::ConnectorConfigRemoved { connector } => {
                self.remove_connector(&connector);
                tracing::info!(connector, "Successfully processed removal of connector");
                return vec![ConfigUpdate::ConnectorConfigRemoved(connector)];
            }
            ConfigRecord::TaskConfig {
                connector,
                task,
                props,
            } => {
                if task < 0 {
                    // Java's key parsing cannot produce one; ConnectorTaskId has no room for it.
                    tracing::error!(
                        connector,
                        task,
                        "Ignoring task configuration with a negative task number"
                    );
                    return Vec::new();
                }
                tracing::debug!(
                    connector,
                    task,
                    "Storing new task config; it takes effect at the next commit"
                );
                self.deferred
                    .entry(connector)
                    .or_default()
                    .insert(task, props);
            }
            ConfigRecord::Commit { connector, tasks } => return self.commit(connector, tasks),
            ConfigRecord::RestartRequest {
                connector,
                include_tasks,
                only_failed,
            } => {
                return vec![ConfigUpdate::RestartRequested {
                    connector,
                    request: RestartRequest {
                        include_tasks,
                        only_failed,
                    },
                }]
            }
            ConfigRecord::TasksFencing {
                connector,
                task_count,
            } => {
                tracing::debug!(connector, task_count, "Setting task count record");
                s.task_count_records.insert(connector.clone(), task_count);
                s.pending_fencing.remove(&connector);
            }
            ConfigRecord::SessionKey {
                key,
                algorithm,
                creation_timestamp,
            } => {
                let key = SessionKey {
                    key,
                    algorithm,
                    creation_timestamp,
                };
                s.session_key = Some(key.clone());
                return vec![ConfigUpdate::SessionKeyUpdated(key)];
            }
            ConfigRecord::LoggerLevel { namespace, level } => {
                return vec![ConfigUpdate::LoggerLevelUpdated { namespace, level }]
            }
        }
        Vec::new()
    }

    /// `commit-<c>` with `tasks`: applies the deferred task configs when they cover
    /// `0..tasks`, else marks the connector inconsistent.
    fn commit(&mut self, connector: String, tasks: i32) -> Vec<ConfigUpdate> {
        let Some(config) = self.snapshot.connector_configs.get(&connector).cloned() else {
            self.remove_connector(&connector);
            tracing::debug!(
                connector,
                "Ignoring task configs for a connector that was deleted (compaction removed its \
                 configuration from the config topic)"
            );
            return Vec::new();
        };
        let s = &mut self.snapshot;
        let deferred = self.deferred.get_mut(&connector);
        let complete = {
            let ids = deferred.as_ref().map(|d| d.len()).unwrap_or(0);
            usize::try_from(tasks).map_or(true, |n| {
                ids >= n
                    && (0..tasks).all(|i| deferred.as_ref().is_some_and(|d| d.contains_key(&i)))
            })
        };
        let mut updated = Vec::new();
        if !complete {
            tracing::debug!(
                connector,
                tasks,
                "Incomplete set of task configs (probably compaction); not applying them"
            );
            s.inconsistent.insert(connector.clone());
        } else {
            if let Some(deferred) = deferred.as_ref() {
                for (task, props) in deferred.iter() {
                    let Ok(task) = u32::try_from(*task) else {
                        continue;
                    };
                    let id = ConnectorTaskId {
                        connector: connector.clone(),
                        task,
                    };
                    s.task_configs.insert(id.clone(), props.clone());
                    updated.push(id);
                }
                let generation = s
                    .task_config_generations
                    .get(&connector)
                    .map_or(0, |g| g + 1);
                s.task_config_generations
                    .insert(connector.clone(), generation);
            }
            s.inconsistent.remove(&connector);
            s.applied_connector_configs
                .insert(connector.clone(), config);
        }
        if let Some(deferred) = deferred {
            deferred.clear();
        }
        s.task_counts.insert(connector.clone(), tasks);
        s.pending_fencing.insert(connector);
        vec![ConfigUpdate::TaskConfigsUpdated(updated)]
    }

    /// Java's `processConnectorRemoval`: the target state, task-count record, generation,
    /// pending-fencing and inconsistent marks stay.
    fn remove_connector(&mut self, connector: &str) {
        let s = &mut self.snapshot;
        s.connector_configs.remove(connector);
        s.task_counts.remove(connector);
        s.task_configs.retain(|id, _| id.connector != connector);
        self.deferred.remove(connector);
        s.applied_connector_configs.remove(connector);
    }
}
