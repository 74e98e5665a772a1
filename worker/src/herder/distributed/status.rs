//! Statuses in distributed mode: this worker's changes go to the status topic (Java's
//! `KafkaStatusBackingStore.putSafe` with the group generation), and status answers come
//! from the topic's view of the whole cluster, each entry with the worker that wrote it.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use crate::model::{ConnectorState, ConnectorTaskId, State, TaskState};
use crate::runtime::status::StatusListener;
use crate::storage::status_kafka::KafkaStatusBackingStore;
use crate::storage::status_records::{Status, StatusState, TopicStatus};

/// The status-topic state of a runtime state.
pub fn to_record_state(state: State) -> StatusState {
    match state {
        State::Unassigned => StatusState::Unassigned,
        State::Running => StatusState::Running,
        State::Paused => StatusState::Paused,
        State::Failed => StatusState::Failed,
        State::Restarting => StatusState::Restarting,
        State::Stopped => StatusState::Stopped,
    }
}

/// The REST state of a status-topic state (`DESTROYED` is shown as `UNASSIGNED`: Java
/// writes it only as the last status of a deleted connector).
pub fn from_record_state(state: StatusState) -> State {
    match state {
        StatusState::Unassigned | StatusState::Destroyed => State::Unassigned,
        StatusState::Running => State::Running,
        StatusState::Paused => State::Paused,
        StatusState::Failed => State::Failed,
        StatusState::Restarting => State::Restarting,
        StatusState::Stopped => State::Stopped,
    }
}

/// Writes this worker's status changes to the status topic.
pub struct TopicStatusWriter {
    store: Arc<KafkaStatusBackingStore>,
    worker_id: String,
    generation: Arc<AtomicI32>,
}

impl TopicStatusWriter {
    /// A writer for `worker_id`, stamping each status with the current `generation`.
    pub fn new(
        store: Arc<KafkaStatusBackingStore>,
        worker_id: String,
        generation: Arc<AtomicI32>,
    ) -> Self {
        TopicStatusWriter {
            store,
            worker_id,
            generation,
        }
    }

    fn status(&self, state: State, trace: Option<&str>) -> Status {
        Status {
            state: to_record_state(state),
            trace: trace.map(str::to_string),
            worker_id: self.worker_id.clone(),
            generation: self.generation.load(Ordering::SeqCst),
        }
    }
}

impl StatusListener for TopicStatusWriter {
    fn connector(&self, name: &str, state: State, trace: Option<&str>) {
        self.store
            .put_connector_safe(name, self.status(state, trace));
    }

    fn task(&self, id: &ConnectorTaskId, state: State, trace: Option<&str>) {
        self.store.put_task_safe(id, self.status(state, trace));
    }

    fn topic(&self, connector: &str, topic: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        self.store.put_topic(&TopicStatus {
            topic: topic.to_string(),
            connector: connector.to_string(),
            task: 0,
            discover_timestamp: now,
        });
    }
}

/// The cluster's view of a connector's status.
pub fn connector_state(store: &KafkaStatusBackingStore, name: &str) -> Option<ConnectorState> {
    store.get_connector(name).map(|s| ConnectorState {
        state: from_record_state(s.state),
        worker_id: s.worker_id,
        trace: s.trace,
    })
}

/// The cluster's view of a task's status.
pub fn task_state(store: &KafkaStatusBackingStore, id: &ConnectorTaskId) -> Option<TaskState> {
    store.get_task(id).map(|s| TaskState {
        id: id.task,
        state: from_record_state(s.state),
        worker_id: s.worker_id,
        trace: s.trace,
    })
}

/// The cluster's view of the statuses of `tasks`, in task order; tasks without a status
/// are left out, as Java does.
pub fn task_states(store: &KafkaStatusBackingStore, tasks: &[ConnectorTaskId]) -> Vec<TaskState> {
    tasks
        .iter()
        .filter_map(|id| task_state(store, id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_both_ways() {
        for state in [
            State::Unassigned,
            State::Running,
            State::Paused,
            State::Failed,
            State::Restarting,
            State::Stopped,
        ] {
            assert_eq!(from_record_state(to_record_state(state)), state);
        }
        assert_eq!(from_record_state(StatusState::Destroyed), State::Unassigned);
    }
}
