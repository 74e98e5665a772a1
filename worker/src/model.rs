//! The identifiers and states shared by both herders, the task runtime and the stores
//! (Java's `ConnectorTaskId`, `AbstractStatus.State`, `TargetState`, and the status of a
//! connector or task). They live below `herder/`, `runtime/` and `storage/` so that none of
//! those imports another for them.

use serde::{Deserialize, Serialize};

/// A connector's target state, as written to the config topic and set by
/// pause/resume/stop or `initial_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    /// Running.
    Started,
    /// Paused: tasks kept, processing suspended.
    Paused,
    /// Stopped: tasks shut down, config kept.
    Stopped,
}

/// Connector or task state as reported by status endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Not yet assigned to a worker.
    Unassigned,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Failed (with a trace).
    Failed,
    /// Being restarted.
    Restarting,
    /// Stopped (connectors only).
    Stopped,
}

/// `{"connector": name, "task": n}`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct ConnectorTaskId {
    /// Connector name.
    pub connector: String,
    /// Task number.
    pub task: u32,
}

/// The connector part of a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectorState {
    /// State.
    pub state: State,
    /// Worker running it.
    pub worker_id: String,
    /// Failure trace, omitted when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// One task's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskState {
    /// Task number.
    pub id: u32,
    /// State.
    pub state: State,
    /// Worker running it.
    pub worker_id: String,
    /// Failure trace, omitted when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

impl TargetState {
    /// Java's enum name, as written to the config topic.
    pub fn name(self) -> &'static str {
        match self {
            TargetState::Started => "STARTED",
            TargetState::Paused => "PAUSED",
            TargetState::Stopped => "STOPPED",
        }
    }

    /// `TargetState.valueOf`: exact, case-sensitive names only.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "STARTED" => Some(TargetState::Started),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }
}
