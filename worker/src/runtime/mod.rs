//! The worker runtime: connectors and their tasks running on tokio.
//!
//! * [`worker::Worker`] starts and stops connector instances and tasks.
//! * [`source`] and [`sink`] hold the per-task loops.
//! * [`converters`] and [`transforms`] build the per-task record pipeline.
//! * [`submitted`] tracks which source offsets are safe to commit.
//! * [`producers`] gives source tasks their producers, shared when so configured.
//! * [`client_telemetry`] asks the broker whether it takes client metrics, which sets the
//!   task clients' default `enable.metrics.push`.
//! * [`errors`] applies `errors.*`: retries, tolerance, the error log and the dead-letter queue.
//! * [`status`] keeps connector and task states for the herder.
//! * [`partitioner`] is Java's default partitioner, used to verify librdkafka's.
//! * [`panics`] isolates panics: a panicking task or connector fails, the worker carries on.
//! * [`headers`] decodes consumed headers whose keys need not be UTF-8.

pub mod client_telemetry;
pub mod converters;
pub mod errors;
pub mod headers;
pub mod native_send;
pub mod panics;
pub mod partitioner;
pub mod polled_producer;
pub mod producers;
pub mod sink;
pub mod source;
pub mod status;
pub mod submitted;
pub mod topic_admin;
pub mod topic_creation;
pub mod transforms;
pub mod worker;

use std::fmt;

use sluice_api::ConnectError;

pub use worker::Worker;

#[cfg(test)]
mod hardening_tests;
#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
pub(crate) mod test_harness;

/// Where in the per-record pipeline an error happened (Java's `Stage`, used in error
/// reports and, later, in dead-letter-queue headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `SourceTask.poll`.
    TaskPoll,
    /// A transformation or predicate.
    Transformation,
    /// The key converter.
    KeyConverter,
    /// The value converter.
    ValueConverter,
    /// The header converter.
    HeaderConverter,
    /// Writing to Kafka.
    KafkaProduce,
    /// Reading from Kafka.
    KafkaConsume,
    /// `SinkTask.put`.
    TaskPut,
}

impl Stage {
    /// Java's enum name (`TASK_POLL`, …).
    pub fn java_name(self) -> &'static str {
        match self {
            Stage::TaskPoll => "TASK_POLL",
            Stage::Transformation => "TRANSFORMATION",
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
            Stage::KafkaConsume => "KAFKA_CONSUME",
            Stage::TaskPut => "TASK_PUT",
        }
    }

    /// Whether `errors.tolerance` applies to every error of this stage (converters and
    /// transformations), or only to retriable ones.
    pub fn tolerates_any_error(self) -> bool {
        matches!(
            self,
            Stage::Transformation
                | Stage::KeyConverter
                | Stage::ValueConverter
                | Stage::HeaderConverter
        )
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.java_name())
    }
}

const CONNECT_EXCEPTION: &str = "org.apache.kafka.connect.errors.ConnectException";

/// Why a task stopped with a failure. Its [`TaskError::trace`] is what the status shows.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A record failed in one stage of the pipeline.
    #[error("{stage} failed ({context}): {error}")]
    Stage {
        /// The stage.
        stage: Stage,
        /// The record's whereabouts (topic/partition/offset or source partition).
        context: String,
        /// The error.
        error: ConnectError,
    },
    /// A task lifecycle call (`start`, `commit`, `open`, `pre_commit`, …) failed.
    #[error("{call} failed: {error}")]
    Task {
        /// The call.
        call: &'static str,
        /// The error.
        error: ConnectError,
    },
    /// A Kafka client could not be created or failed unrecoverably.
    #[error("{0}")]
    Kafka(String),
    /// Offsets could not be committed.
    #[error("{0}")]
    Offsets(#[from] crate::storage::OffsetStoreError),
    /// The task (its code, a converter or a transformation) panicked.
    #[error("Task panicked: {0}")]
    Panic(#[from] panics::Panicked),
}

impl TaskError {
    /// A stage error.
    pub fn stage(stage: Stage, context: impl Into<String>, error: ConnectError) -> Self {
        TaskError::Stage {
            stage,
            context: context.into(),
            error,
        }
    }

    /// The Java-style trace shown in the task status: a `ConnectException` line, the stage,
    /// and the cause.
    pub fn trace(&self) -> String {
        match self {
            TaskError::Stage {
                stage,
                context,
                error,
            } => {
                let head = match stage {
                    s if s.tolerates_any_error() => "Tolerance exceeded in error handler",
                    Stage::TaskPut => "Exiting WorkerSinkTask due to unrecoverable exception.",
                    Stage::KafkaProduce => "Unrecoverable exception from producer send callback",
                    Stage::KafkaConsume => "Unrecoverable exception from consumer",
                    _ => {
                        return format!(
                            "{}: {}\n\tat {} ({context})",
                            error.java_class(),
                            error,
                            stage
                        )
                    }
                };
                format!(
                    "{CONNECT_EXCEPTION}: {head}\n\tat {stage} ({context})\nCaused by: {}: {}",
                    error.java_class(),
                    error
                )
            }
            TaskError::Task { call, error } => {
                format!("{}: {}\n\tat {call}", error.java_class(), error)
            }
            TaskError::Kafka(msg) => format!("{CONNECT_EXCEPTION}: {msg}"),
            TaskError::Offsets(e) => format!("{CONNECT_EXCEPTION}: {e}"),
            TaskError::Panic(p) => p.trace("Task"),
        }
    }
}

/// A trace for a connector-level failure.
pub fn connect_trace(error: &ConnectError) -> String {
    format!("{}: {}", error.java_class(), error)
}

/// Runs one task's loop inside its `task{connector,task}` span: logs how it ended and
/// writes FAILED with the error's trace; other final states are left to the caller. A panic
/// anywhere in the loop (the task, a converter, a transformation, the runtime) is caught and
/// fails the task like an error. `kind` ("Source" or "Sink") only names the task in the log.
pub(crate) async fn supervise_task(
    id: crate::model::ConnectorTaskId,
    status: std::sync::Arc<status::StatusStore>,
    kind: &'static str,
    task_loop: impl std::future::Future<Output = Result<(), TaskError>>,
) {
    use tracing::Instrument;
    let span = tracing::info_span!("task", connector = %id.connector, task = id.task);
    async move {
        match panics::catch_unwind(task_loop).await {
            Ok(Ok(())) => tracing::info!("{kind} task stopped."),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "{kind} task failed.");
                status.put_task(&id, crate::model::State::Failed, Some(e.trace()));
            }
            Err(panic) => {
                let e = TaskError::Panic(panic);
                tracing::error!(error = %e, "{kind} task panicked; it is FAILED.");
                status.put_task(&id, crate::model::State::Failed, Some(e.trace()));
            }
        }
    }
    .instrument(span)
    .await
}

/// The timer of a task loop's periodic offset commit: the first tick one `every` after the
/// start, missed ticks delayed rather than bunched.
pub(crate) fn commit_ticker(every: std::time::Duration) -> tokio::time::Interval {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker
}

/// Writes RUNNING or PAUSED for a task whose target changed since `reported`; `Stopping`
/// writes nothing (the final state is the caller's).
pub(crate) fn report_target(
    status: &status::StatusStore,
    id: &crate::model::ConnectorTaskId,
    target: source::TaskTarget,
    reported: &mut Option<source::TaskTarget>,
) {
    if *reported == Some(target) {
        return;
    }
    let state = match target {
        source::TaskTarget::Running => crate::model::State::Running,
        source::TaskTarget::Paused => crate::model::State::Paused,
        source::TaskTarget::Stopping => return,
    };
    status.put_task(id, state, None);
    *reported = Some(target);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_look_like_java() {
        let e = TaskError::stage(
            Stage::ValueConverter,
            "topic t partition 0 offset 3",
            ConnectError::data("bad json"),
        );
        let t = e.trace();
        assert!(t.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n"
        ));
        assert!(t.contains("VALUE_CONVERTER"));
        assert!(t.ends_with("Caused by: org.apache.kafka.connect.errors.DataException: bad json"));
        let p = TaskError::stage(Stage::TaskPoll, "x", ConnectError::connect("boom")).trace();
        assert!(p.starts_with("org.apache.kafka.connect.errors.ConnectException: boom"));
    }
}
