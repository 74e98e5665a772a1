//! The records of the status topic (`status.storage.topic`), byte for byte as Java's
//! `KafkaStatusBackingStore` writes and reads them. Pure functions: no Kafka I/O.
//!
//! Values are schemaless compact JSON (Java's internal `JsonConverter`), fields in schema
//! order:
//!
//! | Key | Value |
//! |---|---|
//! | `status-connector-<c>` | `{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":7}` |
//! | `status-task-<c>-<n>` | same fields |
//! | `status-topic-<topic>:connector-<c>` | `{"topic":{"name":"<topic>","connector":"<c>","task":<n>,"discoverTimestamp":<ms>}}` |
//!
//! A `DESTROYED` status is never written as a value: it is a tombstone. A topic tombstone
//! (topic reset) removes one topic from the connector's active set.
//!
//! Java's reader rules, kept here:
//! * Keys are matched by prefix: `status-connector-`, `status-task-`, `status-topic-`; any
//!   other key gives `Ok(None)` and a warning.
//! * A connector key needs a non-empty name.
//! * A task key is split on `-` (Java's `String.split`): at least 4 segments, the last the
//!   task number, segments 2 to n-2 joined with `-` the connector (names may contain `-`).
//! * A topic key: the topic is the text between `status-topic-` and the first `:` (must be
//!   non-empty); the connector is what follows the 11 characters of `:connector-` (Java
//!   skips them without checking them) and must be non-empty.
//! * Only a missing value is a tombstone; empty bytes or `null` are an invalid value.
//!
//! Divergence: Java keeps a status whose `worker_id` (or a topic status whose `name` or
//! `connector`) is missing or null, with a null field; only a non-Java writer can produce
//! one, and it is an [`StatusRecordError::Invalid`] here.

use sluice_converters::json::parse::JsonParseError;
use sluice_converters::json::JsonNode;

use super::record_json::{
    int, int_value, kind, long_value, object, opt_string, parse_task_key, read_value, string,
    write_object,
};

/// `status-connector-`.
pub const CONNECTOR_STATUS_PREFIX: &str = "status-connector-";
/// `status-task-`.
pub const TASK_STATUS_PREFIX: &str = "status-task-";
/// `status-topic-`.
pub const TOPIC_STATUS_PREFIX: &str = "status-topic-";
/// Between the topic and the connector of a topic status key.
pub const TOPIC_STATUS_SEPARATOR: &str = ":connector-";

/// A connector or task state (Java's `AbstractStatus.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusState {
    /// `UNASSIGNED`.
    Unassigned,
    /// `RUNNING`.
    Running,
    /// `PAUSED`.
    Paused,
    /// `FAILED`.
    Failed,
    /// `DESTROYED`: written as a tombstone, never shown to users.
    Destroyed,
    /// `RESTARTING`.
    Restarting,
    /// `STOPPED` (connectors only).
    Stopped,
}

impl StatusState {
    /// Java's enum name.
    pub fn name(self) -> &'static str {
        match self {
            StatusState::Unassigned => "UNASSIGNED",
            StatusState::Running => "RUNNING",
            StatusState::Paused => "PAUSED",
            StatusState::Failed => "FAILED",
            StatusState::Destroyed => "DESTROYED",
            StatusState::Restarting => "RESTARTING",
            StatusState::Stopped => "STOPPED",
        }
    }

    /// `State.valueOf`: exact, case-sensitive names only.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "UNASSIGNED" => StatusState::Unassigned,
            "RUNNING" => StatusState::Running,
            "PAUSED" => StatusState::Paused,
            "FAILED" => StatusState::Failed,
            "DESTROYED" => StatusState::Destroyed,
            "RESTARTING" => StatusState::Restarting,
            "STOPPED" => StatusState::Stopped,
            _ => return None,
        })
    }
}

/// A connector's or task's status as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The state.
    pub state: StatusState,
    /// The failure's stack trace, if any.
    pub trace: Option<String>,
    /// The worker that wrote it (`host:port`).
    pub worker_id: String,
    /// The writer's group generation.
    pub generation: i32,
}

/// A topic a connector used (KIP-558).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStatus {
    /// The topic.
    pub topic: String,
    /// The connector.
    pub connector: String,
    /// The task that first used it.
    pub task: i32,
    /// When it was first used, epoch milliseconds.
    pub discover_timestamp: i64,
}

/// One record of the status topic; a `None` status is a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusRecord {
    /// `status-connector-<c>`.
    Connector {
        /// The connector name.
        connector: String,
        /// The status; `None`: removed.
        status: Option<Status>,
    },
    /// `status-task-<c>-<n>`.
    Task {
        /// The connector name.
        connector: String,
        /// The task number.
        task: i32,
        /// The status; `None`: removed.
        status: Option<Status>,
    },
    /// `status-topic-<topic>:connector-<c>`.
    Topic {
        /// The topic (from the key).
        topic: String,
        /// The connector (from the key).
        connector: String,
        /// The status; `None`: removed (topic reset).
        status: Option<TopicStatus>,
    },
}

/// A status-topic record Java's reader would discard (it logs and skips these).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatusRecordError {
    /// The key has a known prefix but cannot be parsed.
    #[error("Discarding record with invalid status key {key}")]
    InvalidKey {
        /// The record key.
        key: String,
    },
    /// The value is not JSON.
    #[error("Failed to deserialize status '{key}': {source}")]
    Json {
        /// The record key.
        key: String,
        /// The parse failure.
        #[source]
        source: JsonParseError,
    },
    /// The value has the wrong shape.
    #[error("Failed to deserialize status '{key}': {message}")]
    Invalid {
        /// The record key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl StatusRecord {
    /// The record key.
    pub fn key(&self) -> String {
        match self {
            StatusRecord::Connector { connector, .. } => {
                format!("{CONNECTOR_STATUS_PREFIX}{connector}")
            }
            StatusRecord::Task {
                connector, task, ..
            } => format!("{TASK_STATUS_PREFIX}{connector}-{task}"),
            StatusRecord::Topic {
                topic, connector, ..
            } => format!("{TOPIC_STATUS_PREFIX}{topic}{TOPIC_STATUS_SEPARATOR}{connector}"),
        }
    }

    /// The key and value bytes Java writes (`None`: a tombstone, also for `DESTROYED`).
    pub fn encode(&self) -> (String, Option<Vec<u8>>) {
        let value = match self {
            StatusRecord::Connector { status, .. } | StatusRecord::Task { status, .. } => status
                .as_ref()
                .filter(|s| s.state != StatusState::Destroyed)
                .map(|s| {
                    write_object([
                        ("state", string(s.state.name())),
                        ("trace", opt_string(s.trace.as_deref())),
                        ("worker_id", string(&s.worker_id)),
                        ("generation", int(s.generation.into())),
                    ])
                }),
            StatusRecord::Topic { status, .. } => status.as_ref().map(|s| {
                write_object([(
                    "topic",
                    object([
                        ("name", string(&s.topic)),
                        ("connector", string(&s.connector)),
                        ("task", int(s.task.into())),
                        ("discoverTimestamp", int(s.discover_timestamp)),
                    ]),
                )])
            }),
        };
        (self.key(), value)
    }

    /// Reads a record as Java's `KafkaStatusBackingStore.read` does (see the module docs).
    pub fn decode(key: &str, value: Option<&[u8]>) -> Result<Option<Self>, StatusRecordError> {
        let invalid_key = || StatusRecordError::InvalidKey {
            key: key.to_string(),
        };
        let record = if let Some(connector) = key.strip_prefix(CONNECTOR_STATUS_PREFIX) {
            if connector.is_empty() {
                return Err(invalid_key());
            }
            StatusRecord::Connector {
                connector: connector.to_string(),
                status: value.map(|v| status(key, v)).transpose()?,
            }
        } else if key.starts_with(TASK_STATUS_PREFIX) {
            let (connector, task) = parse_task_key(key, 2).ok_or_else(invalid_key)?;
            StatusRecord::Task {
                connector,
                task,
                status: value.map(|v| status(key, v)).transpose()?,
            }
        } else if let Some(rest) = key.strip_prefix(TOPIC_STATUS_PREFIX) {
            let (topic, after) = rest.split_once(':').ok_or_else(invalid_key)?;
            // Java skips the separator's length after the `:` without checking the text.
            let skip = TOPIC_STATUS_SEPARATOR.chars().count() - 1;
            let connector: String = after.chars().skip(skip).collect();
            if topic.is_empty() || after.chars().count() < skip || connector.is_empty() {
                return Err(invalid_key());
            }
            StatusRecord::Topic {
                topic: topic.to_string(),
                connector,
                status: value.map(|v| topic_status(key, v)).transpose()?,
            }
        } else {
            tracing::warn!(key, "Discarding record with invalid key");
            return Ok(None);
        };
        Ok(Some(record))
    }
}

/// The JSON object of a present value (for the status topic, empty bytes and `null` are
/// not tombstones but invalid values, as in Java).
fn value_object(key: &str, value: &[u8]) -> Result<JsonNode, StatusRecordError> {
    let node = read_value(Some(value)).map_err(|source| StatusRecordError::Json {
        key: key.to_string(),
        source,
    })?;
    match node {
        Some(node @ JsonNode::Object(_)) => Ok(node),
        other => Err(StatusRecordError::Invalid {
            key: key.to_string(),
            message: format!("invalid status type {}", kind(other.as_ref())),
        }),
    }
}

fn status(key: &str, value: &[u8]) -> Result<Status, StatusRecordError> {
    let node = value_object(key, value)?;
    let invalid = |message: String| StatusRecordError::Invalid {
        key: key.to_string(),
        message,
    };
    let state_name = field_str(&node, "state").map_err(invalid)?;
    let state = StatusState::from_name(state_name)
        .ok_or_else(|| invalid(format!("unknown state {state_name}")))?;
    let trace = match node.get("trace") {
        None | Some(JsonNode::Null) => None,
        Some(JsonNode::String(s)) => Some(s.clone()),
        other => {
            return Err(invalid(format!(
                "'trace' should be a String but is {}",
                kind(other)
            )))
        }
    };
    Ok(Status {
        state,
        trace,
        worker_id: field_str(&node, "worker_id").map_err(invalid)?.to_string(),
        generation: field_int(&node, "generation").map_err(invalid)?,
    })
}

fn topic_status(key: &str, value: &[u8]) -> Result<TopicStatus, StatusRecordError> {
    let node = value_object(key, value)?;
    let invalid = |message: String| StatusRecordError::Invalid {
        key: key.to_string(),
        message,
    };
    let inner = match node.get("topic") {
        Some(inner @ JsonNode::Object(_)) => inner,
        other => {
            return Err(invalid(format!(
                "invalid topic status value {} for field topic",
                kind(other)
            )))
        }
    };
    Ok(TopicStatus {
        topic: field_str(inner, "name").map_err(invalid)?.to_string(),
        connector: field_str(inner, "connector").map_err(invalid)?.to_string(),
        task: field_int(inner, "task").map_err(invalid)?,
        discover_timestamp: long_value(inner.get("discoverTimestamp")).ok_or_else(|| {
            invalid(format!(
                "'discoverTimestamp' should be a Long but is {}",
                kind(inner.get("discoverTimestamp"))
            ))
        })?,
    })
}

fn field_str<'a>(node: &'a JsonNode, field: &str) -> Result<&'a str, String> {
    node.get(field).and_then(JsonNode::as_str).ok_or_else(|| {
        format!(
            "'{field}' should be a String but is {}",
            kind(node.get(field))
        )
    })
}

fn field_int(node: &JsonNode, field: &str) -> Result<i32, String> {
    int_value(node.get(field)).ok_or_else(|| {
        format!(
            "'{field}' should be a Long but is {}",
            kind(node.get(field))
        )
    })
}

#[cfg(test)]
#[path = "status_records_tests.rs"]
mod tests;
