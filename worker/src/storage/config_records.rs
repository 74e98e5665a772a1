//! The records of the config topic (`config.storage.topic`), byte for byte as Java's
//! `KafkaConfigBackingStore` writes and reads them. Pure functions: no Kafka I/O.
//!
//! Keys are plain strings; values are written by Java's internal converter, `JsonConverter`
//! with `schemas.enable=false`, so a value is the bare compact JSON object (no
//! `{"schema":…,"payload":…}` envelope), fields in schema order:
//!
//! | Key | Value |
//! |---|---|
//! | `connector-<c>` | `{"properties":{"k":"v",…}}` (values may be `null`); tombstone = deleted |
//! | `task-<c>-<n>` | `{"properties":{…}}` |
//! | `commit-<c>` | `{"tasks":N}` |
//! | `target-state-<c>` | `{"state":"STARTED"\|"PAUSED","state.v2":"STARTED"\|"PAUSED"\|"STOPPED"}`; tombstone |
//! | `session-key` | `{"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":<ms>}` |
//! | `restart-connector-<c>` | `{"include-tasks":bool,"only-failed":bool}` |
//! | `tasks-fencing-<c>` | `{"task-count":N}` |
//! | `logger-cluster-<ns>` | `{"level":"DEBUG"}` |
//!
//! Java writes tombstones only for `connector-<c>` and `target-state-<c>` (connector
//! deletion); a null value under any other key is ignored by Java's reader, and is a
//! [`ConfigRecordError::UnexpectedTombstone`] here.
//!
//! The order of the `properties` members is whatever map order the writer had (a Java
//! worker: its `HashMap`'s order). [`ConfigProps`] keeps the order read, so a decoded
//! record encodes back to the same bytes.

use base64::Engine;
use indexmap::IndexMap;
use sluice_converters::json::parse::JsonParseError;
use sluice_converters::json::JsonNode;

use super::record_json::{
    int, int_value, kind, long_value, object, opt_string, parse_task_key, read_value, string,
    write_object,
};

/// `target-state-` (checked first).
pub const TARGET_STATE_PREFIX: &str = "target-state-";
/// `connector-`.
pub const CONNECTOR_PREFIX: &str = "connector-";
/// `task-`.
pub const TASK_PREFIX: &str = "task-";
/// `commit-`.
pub const COMMIT_TASKS_PREFIX: &str = "commit-";
/// `restart-connector-`.
pub const RESTART_PREFIX: &str = "restart-connector-";
/// `tasks-fencing-`.
pub const TASK_COUNT_RECORD_PREFIX: &str = "tasks-fencing-";
/// The one session key record's key.
pub const SESSION_KEY_KEY: &str = "session-key";
/// `logger-cluster-`.
pub const LOGGER_CLUSTER_PREFIX: &str = "logger-cluster-";

/// A connector or task configuration as stored: ordered, values may be `null`.
pub type ConfigProps = IndexMap<String, Option<String>>;

pub use crate::model::TargetState;

/// One record of the config topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigRecord {
    /// `connector-<c>`: the raw connector configuration.
    ConnectorConfig {
        /// The connector name.
        connector: String,
        /// The configuration.
        props: ConfigProps,
    },
    /// `connector-<c>` tombstone: the connector was deleted.
    ConnectorConfigRemoved {
        /// The connector name.
        connector: String,
    },
    /// `task-<c>-<n>`: one task's configuration, applied at the next matching commit.
    TaskConfig {
        /// The connector name.
        connector: String,
        /// The task number.
        task: i32,
        /// The configuration.
        props: ConfigProps,
    },
    /// `commit-<c>`: applies the buffered task configs; sets the task count.
    Commit {
        /// The connector name.
        connector: String,
        /// The number of tasks (0: none).
        tasks: i32,
    },
    /// `target-state-<c>`.
    TargetState {
        /// The connector name.
        connector: String,
        /// The target state.
        state: TargetState,
    },
    /// `target-state-<c>` tombstone (connector deletion).
    TargetStateRemoved {
        /// The connector name.
        connector: String,
    },
    /// `session-key`: the inter-worker request-signing key (KIP-507).
    SessionKey {
        /// The raw key bytes (base64 in the record).
        key: Vec<u8>,
        /// The MAC algorithm, e.g. `HmacSHA256`.
        algorithm: String,
        /// When the key was made, epoch milliseconds.
        creation_timestamp: i64,
    },
    /// `restart-connector-<c>` (KIP-745).
    RestartRequest {
        /// The connector name.
        connector: String,
        /// Restart the tasks too.
        include_tasks: bool,
        /// Restart only failed instances.
        only_failed: bool,
    },
    /// `tasks-fencing-<c>`: the task count after a zombie fencing (KIP-618).
    TasksFencing {
        /// The connector name.
        connector: String,
        /// The task count.
        task_count: i32,
    },
    /// `logger-cluster-<ns>`: a cluster-wide log level (KIP-976).
    LoggerLevel {
        /// The logger namespace.
        namespace: String,
        /// The level, e.g. `DEBUG`.
        level: String,
    },
}

/// A config-topic record Java's reader would discard (it logs and skips these).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigRecordError {
    /// The value is not JSON (Java: `DataException` from the converter).
    #[error("Failed to convert config data for key '{key}' to Kafka Connect format: {source}")]
    Json {
        /// The record key.
        key: String,
        /// The parse failure.
        #[source]
        source: JsonParseError,
    },
    /// A `task-` key without a parsable connector and task number.
    #[error("Ignoring task configuration because {key} couldn't be parsed as a task config key")]
    TaskKey {
        /// The record key.
        key: String,
    },
    /// A null value under a key Java never tombstones.
    #[error("Ignoring record '{key}' because its value is unexpectedly null")]
    UnexpectedTombstone {
        /// The record key.
        key: String,
    },
    /// The value has the wrong shape.
    #[error("Ignoring record '{key}': {message}")]
    Invalid {
        /// The record key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl ConfigRecord {
    /// The record key.
    pub fn key(&self) -> String {
        match self {
            ConfigRecord::ConnectorConfig { connector, .. }
            | ConfigRecord::ConnectorConfigRemoved { connector } => {
                format!("{CONNECTOR_PREFIX}{connector}")
            }
            ConfigRecord::TaskConfig {
                connector, task, ..
            } => format!("{TASK_PREFIX}{connector}-{task}"),
            ConfigRecord::Commit { connector, .. } => format!("{COMMIT_TASKS_PREFIX}{connector}"),
            ConfigRecord::TargetState { connector, .. }
            | ConfigRecord::TargetStateRemoved { connector } => {
                format!("{TARGET_STATE_PREFIX}{connector}")
            }
            ConfigRecord::SessionKey { .. } => SESSION_KEY_KEY.to_string(),
            ConfigRecord::RestartRequest { connector, .. } => {
                format!("{RESTART_PREFIX}{connector}")
            }
            ConfigRecord::TasksFencing { connector, .. } => {
                format!("{TASK_COUNT_RECORD_PREFIX}{connector}")
            }
            ConfigRecord::LoggerLevel { namespace, .. } => {
                format!("{LOGGER_CLUSTER_PREFIX}{namespace}")
            }
        }
    }

    /// The key and value bytes Java writes for this record (`None`: a tombstone).
    pub fn encode(&self) -> (String, Option<Vec<u8>>) {
        (self.key(), self.encode_value())
    }

    fn encode_value(&self) -> Option<Vec<u8>> {
        let value = match self {
            ConfigRecord::ConnectorConfigRemoved { .. }
            | ConfigRecord::TargetStateRemoved { .. } => return None,
            ConfigRecord::ConnectorConfig { props, .. }
            | ConfigRecord::TaskConfig { props, .. } => write_object([(
                "properties",
                object(
                    props
                        .iter()
                        .map(|(k, v)| (k.as_str(), opt_string(v.as_deref()))),
                ),
            )]),
            ConfigRecord::Commit { tasks, .. } => write_object([("tasks", int((*tasks).into()))]),
            ConfigRecord::TargetState { state, .. } => {
                // Pre-3.5 readers know no STOPPED; they get PAUSED in `state`.
                let v1 = match state {
                    TargetState::Stopped => TargetState::Paused,
                    other => *other,
                };
                write_object([
                    ("state", string(v1.name())),
                    ("state.v2", string(state.name())),
                ])
            }
            ConfigRecord::SessionKey {
                key,
                algorithm,
                creation_timestamp,
            } => write_object([
                (
                    "key",
                    string(&base64::engine::general_purpose::STANDARD.encode(key)),
                ),
                ("algorithm", string(algorithm)),
                ("creation-timestamp", int(*creation_timestamp)),
            ]),
            ConfigRecord::RestartRequest {
                include_tasks,
                only_failed,
                ..
            } => write_object([
                ("include-tasks", JsonNode::Bool(*include_tasks)),
                ("only-failed", JsonNode::Bool(*only_failed)),
            ]),
            ConfigRecord::TasksFencing { task_count, .. } => {
                write_object([("task-count", int((*task_count).into()))])
            }
            ConfigRecord::LoggerLevel { level, .. } => write_object([("level", string(level))]),
        };
        Some(value)
    }

    /// Reads a record as Java's `ConsumeCallback` does.
    ///
    /// * Keys are matched by prefix in Java's order: `target-state-`, `connector-`, `task-`,
    ///   `commit-`, `restart-connector-`, `tasks-fencing-`, then exactly `session-key`, then
    ///   `logger-cluster-`. Any other key gives `Ok(None)` and a warning.
    /// * A null value is no bytes, empty or blank bytes, or the JSON `null`.
    /// * `task-<c>-<n>` is split on `-` as Java's `String.split` does: the last segment is the
    ///   task number, the segments between are the connector name (which may contain `-`).
    /// * A restart request's missing or non-boolean fields default to `false`.
    /// * A target state prefers `state.v2`, falling back on `state` when `state.v2` is missing
    ///   or not a string (a v1 record written by a pre-3.5 worker).
    /// * Integers are read as Java reads them: any integral number, narrowed to `int`.
    pub fn decode(key: &str, value: Option<&[u8]>) -> Result<Option<Self>, ConfigRecordError> {
        let node = read_value(value).map_err(|source| ConfigRecordError::Json {
            key: key.to_string(),
            source,
        })?;
        let invalid = |message: String| ConfigRecordError::Invalid {
            key: key.to_string(),
            message,
        };
        let tombstone = || ConfigRecordError::UnexpectedTombstone {
            key: key.to_string(),
        };
        let record = if let Some(connector) = key.strip_prefix(TARGET_STATE_PREFIX) {
            let connector = connector.to_string();
            match node {
                None => ConfigRecord::TargetStateRemoved { connector },
                Some(node) => ConfigRecord::TargetState {
                    connector,
                    state: target_state(&node).map_err(invalid)?,
                },
            }
        } else if let Some(connector) = key.strip_prefix(CONNECTOR_PREFIX) {
            let connector = connector.to_string();
            match node {
                None => ConfigRecord::ConnectorConfigRemoved { connector },
                Some(node) => ConfigRecord::ConnectorConfig {
                    connector,
                    props: properties(&node).map_err(invalid)?,
                },
            }
        } else if key.starts_with(TASK_PREFIX) {
            let (connector, task) =
                parse_task_key(key, 1).ok_or_else(|| ConfigRecordError::TaskKey {
                    key: key.to_string(),
                })?;
            let node = node.ok_or_else(tombstone)?;
            ConfigRecord::TaskConfig {
                connector,
                task,
                props: properties(&node).map_err(invalid)?,
            }
        } else if let Some(connector) = key.strip_prefix(COMMIT_TASKS_PREFIX) {
            let node = require_map(key, node)?;
            ConfigRecord::Commit {
                connector: connector.to_string(),
                tasks: required_int(&node, "tasks").map_err(invalid)?,
            }
        } else if let Some(connector) = key.strip_prefix(RESTART_PREFIX) {
            let node = require_map(key, node)?;
            let flag = |field: &str| match node.get(field) {
                Some(JsonNode::Bool(b)) => *b,
                other => {
                    tracing::warn!(
                        key,
                        "Invalid data for restart request '{field}' field should be a Boolean but is {}, defaulting to false",
                        kind(other)
                    );
                    false
                }
            };
            ConfigRecord::RestartRequest {
                connector: connector.to_string(),
                include_tasks: flag("include-tasks"),
                only_failed: flag("only-failed"),
            }
        } else if let Some(connector) = key.strip_prefix(TASK_COUNT_RECORD_PREFIX) {
            let node = require_map(key, node)?;
            ConfigRecord::TasksFencing {
                connector: connector.to_string(),
                task_count: required_int(&node, "task-count").map_err(invalid)?,
            }
        } else if key == SESSION_KEY_KEY {
            let node = require_map(key, node)?;
            session_key(&node).map_err(invalid)?
        } else if let Some(namespace) = key.strip_prefix(LOGGER_CLUSTER_PREFIX) {
            let node = require_map(key, node)?;
            ConfigRecord::LoggerLevel {
                namespace: namespace.to_string(),
                level: required_string(&node, "level")
                    .map_err(invalid)?
                    .to_string(),
            }
        } else {
            tracing::warn!(key, "Discarding config update record with invalid key");
            return Ok(None);
        };
        Ok(Some(record))
    }
}

/// The value of a record Java never tombstones: it must be a JSON object.
fn require_map(key: &str, node: Option<JsonNode>) -> Result<JsonNode, ConfigRecordError> {
    let node = node.ok_or_else(|| ConfigRecordError::UnexpectedTombstone {
        key: key.to_string(),
    })?;
    not_a_map(&node).map_err(|message| ConfigRecordError::Invalid {
        key: key.to_string(),
        message,
    })?;
    Ok(node)
}

fn not_a_map(node: &JsonNode) -> Result<(), String> {
    match node {
        JsonNode::Object(_) => Ok(()),
        other => Err(format!(
            "the value is not a Map but is {}",
            kind(Some(other))
        )),
    }
}

fn properties(node: &JsonNode) -> Result<ConfigProps, String> {
    not_a_map(node)?;
    let Some(JsonNode::Object(members)) = node.get("properties") else {
        return Err(format!(
            "'properties' field should be a Map but is {}",
            kind(node.get("properties"))
        ));
    };
    members
        .iter()
        .map(|(k, v)| match v {
            JsonNode::Null => Ok((k.clone(), None)),
            JsonNode::String(s) => Ok((k.clone(), Some(s.clone()))),
            other => Err(format!(
                "property '{k}' should be a String but is {}",
                kind(Some(other))
            )),
        })
        .collect()
}

fn target_state(node: &JsonNode) -> Result<TargetState, String> {
    not_a_map(node)?;
    let name = match node.get("state.v2") {
        Some(JsonNode::String(s)) => s.as_str(),
        v2 => {
            if !matches!(v2, None | Some(JsonNode::Null)) {
                tracing::warn!(
                    "Invalid data for target state: 'state.v2' field should be a String but is {}; using 'state'",
                    kind(v2)
                );
            }
            required_string(node, "state")?
        }
    };
    TargetState::from_name(name).ok_or_else(|| format!("invalid target state {name}"))
}

fn session_key(node: &JsonNode) -> Result<ConfigRecord, String> {
    let encoded = required_string(node, "key")?;
    // Java's basic decoder: the standard alphabet, padding optional.
    let key = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
    .decode(encoded)
    .map_err(|e| format!("'key' field is not base64: {e}"))?;
    let algorithm = required_string(node, "algorithm")?.to_string();
    let creation_timestamp = long_value(node.get("creation-timestamp")).ok_or_else(|| {
        format!(
            "'creation-timestamp' field should be a long but it is {}",
            kind(node.get("creation-timestamp"))
        )
    })?;
    Ok(ConfigRecord::SessionKey {
        key,
        algorithm,
        creation_timestamp,
    })
}

fn required_string<'a>(node: &'a JsonNode, field: &str) -> Result<&'a str, String> {
    node.get(field).and_then(JsonNode::as_str).ok_or_else(|| {
        format!(
            "'{field}' field should be a String but is {}",
            kind(node.get(field))
        )
    })
}

fn required_int(node: &JsonNode, field: &str) -> Result<i32, String> {
    int_value(node.get(field)).ok_or_else(|| {
        format!(
            "'{field}' field should be an Integer or Long but is {}",
            kind(node.get(field))
        )
    })
}

#[cfg(test)]
#[path = "config_records_tests.rs"]
mod tests;
