//! Error handling of connector tasks (Java's `runtime.errors` package): `errors.tolerance`,
//! retries of retriable failures, the error log and, for sinks, the dead-letter queue and
//! the errant record reporter.
//!
//! * [`RetryWithToleranceOperator::execute`] runs one per-record operation (a converter or a
//!   transformation) with retries ([`retry`]). A failure is reported (log, dead-letter queue;
//!   the report is durable before `execute` returns) and then either skipped (`Ok(None)`,
//!   under `errors.tolerance=all`) or turned into the task's failure (`Err`, under `none`,
//!   with Java's `Tolerance exceeded in error handler` trace and the cause).
//! * Converters and transformations tolerate every error; other stages only retriable ones.
//! * Unlike Java, a retriable failure that outlives `errors.retry.timeout` counts as a failure
//!   against `errors.tolerance` (Java silently drops the record even under `none`), and a
//!   record that cannot be written to the dead-letter queue fails the task (Java logs it and
//!   commits past the record): offsets never move past a record that is in neither the sink
//!   nor the queue.
//! * [`WorkerErrantRecordReporter`] is what sink tasks get from
//!   `SinkTaskContext::errant_record_reporter`.

pub mod context;
pub mod dlq;
pub mod log_reporter;
pub mod retry;

#[cfg(test)]
mod pipeline_tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sluice_api::{ConnectError, ConnectResult, ErrantRecordReporter, SinkRecord};
use tokio::sync::watch;
use tracing::{debug, warn};

pub use crate::config::connector::{ErrorHandlingConfig, ToleranceType};

use self::context::{ConsumedRecord, OriginalRecord, ProcessingContext};
use self::dlq::DeadLetterQueueReporter;
use self::log_reporter::LogReporter;
use self::retry::RetryPolicy;
use super::converters::RecordConverters;
use super::source::TaskTarget;
use super::{Stage, TaskError};
use crate::model::ConnectorTaskId;

/// Java's `task-error-metrics` counters of one task.
#[derive(Debug, Default)]
pub struct ErrorMetrics {
    record_failures: AtomicU64,
    record_errors: AtomicU64,
    records_skipped: AtomicU64,
    retries: AtomicU64,
    errors_logged: AtomicU64,
    dlq_produce_requests: AtomicU64,
    dlq_produce_failures: AtomicU64,
    last_error_timestamp: AtomicI64,
}

/// A copy of [`ErrorMetrics`] (names as Java's metrics, `-` → `_`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorMetricsSnapshot {
    /// `total-record-failures`: failed attempts (each retry counts).
    pub record_failures: u64,
    /// `total-record-errors`: records that failed for good.
    pub record_errors: u64,
    /// `total-records-skipped`: records skipped under `errors.tolerance=all`.
    pub records_skipped: u64,
    /// `total-retries`.
    pub retries: u64,
    /// `total-errors-logged`.
    pub errors_logged: u64,
    /// `deadletterqueue-produce-requests`.
    pub dlq_produce_requests: u64,
    /// `deadletterqueue-produce-failures`.
    pub dlq_produce_failures: u64,
    /// `last-error-timestamp` (epoch ms, 0 when none).
    pub last_error_timestamp: i64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl ErrorMetrics {
    /// One failed attempt.
    pub fn record_failure(&self) {
        bump(&self.record_failures);
    }
    /// One retry.
    pub fn record_retry(&self) {
        bump(&self.retries);
    }
    fn record_error(&self) {
        bump(&self.record_errors);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self.last_error_timestamp.store(now, Ordering::Relaxed);
    }
    /// The current values.
    pub fn snapshot(&self) -> ErrorMetricsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ErrorMetricsSnapshot {
            record_failures: get(&self.record_failures),
            record_errors: get(&self.record_errors),
            records_skipped: get(&self.records_skipped),
            retries: get(&self.retries),
            errors_logged: get(&self.errors_logged),
            dlq_produce_requests: get(&self.dlq_produce_requests),
            dlq_produce_failures: get(&self.dlq_produce_failures),
            last_error_timestamp: self.last_error_timestamp.load(Ordering::Relaxed),
        }
    }
}

/// Where failures are reported.
#[derive(Default)]
pub struct Reporters {
    /// `errors.log.enable=true`.
    pub log: Option<LogReporter>,
    /// A sink's dead-letter queue.
    pub dlq: Option<DeadLetterQueueReporter>,
}

impl Reporters {
    /// True when failures go somewhere.
    pub fn is_empty(&self) -> bool {
        self.log.is_none() && self.dlq.is_none()
    }
}

struct Shared {
    id: ConnectorTaskId,
    config: ErrorHandlingConfig,
    retry: RetryPolicy,
    total_failures: AtomicU64,
    metrics: Arc<ErrorMetrics>,
    reporters: Reporters,
    stop: Mutex<Option<watch::Receiver<TaskTarget>>>,
}

/// Java's `RetryWithToleranceOperator` for one task (cheap to clone; clones share counters and
/// reporters).
#[derive(Clone)]
pub struct RetryWithToleranceOperator {
    shared: Arc<Shared>,
}

impl RetryWithToleranceOperator {
    /// An operator for task `id`.
    pub fn new(id: ConnectorTaskId, config: ErrorHandlingConfig, reporters: Reporters) -> Self {
        let retry = RetryPolicy {
            timeout_ms: config.retry_timeout_ms,
            max_delay_ms: config.retry_delay_max_ms,
        };
        RetryWithToleranceOperator {
            shared: Arc::new(Shared {
                id,
                config,
                retry,
                total_failures: AtomicU64::new(0),
                metrics: Arc::new(ErrorMetrics::default()),
                reporters,
                stop: Mutex::new(None),
            }),
        }
    }

    /// An operator with the defaults (`none`, no retries, no reporters): every failure fails
    /// the task.
    pub fn fail_fast(id: ConnectorTaskId) -> Self {
        Self::new(id, ErrorHandlingConfig::default(), Reporters::default())
    }

    /// Lets retry backoffs end early when the task's target becomes stopping.
    pub fn set_stop_signal(&self, stop: watch::Receiver<TaskTarget>) {
        *self.shared.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(stop);
    }

    /// `errors.tolerance`.
    pub fn tolerance(&self) -> ToleranceType {
        self.shared.config.tolerance
    }

    /// The config.
    pub fn config(&self) -> &ErrorHandlingConfig {
        &self.shared.config
    }

    /// True when a failed attempt may be retried.
    pub fn may_retry(&self) -> bool {
        self.shared.retry.may_retry()
    }

    /// The error metrics.
    pub fn metrics(&self) -> ErrorMetricsSnapshot {
        self.shared.metrics.snapshot()
    }

    /// The live error counters (shared with `/metrics`).
    pub fn error_metrics(&self) -> Arc<ErrorMetrics> {
        self.shared.metrics.clone()
    }

    /// Java's `withinToleranceLimits`: under `none`, no failure at all; under `all`, always.
    pub fn within_tolerance_limits(&self) -> bool {
        match self.shared.config.tolerance {
            ToleranceType::None => self.shared.total_failures.load(Ordering::SeqCst) == 0,
            ToleranceType::All => true,
        }
    }

    fn mark_failed(&self) {
        self.shared.total_failures.fetch_add(1, Ordering::SeqCst);
        self.shared.metrics.record_error();
    }

    /// Runs `op` for the record `record()` in `stage`, retrying retriable failures.
    /// `Ok(Some(v))`: it succeeded. `Ok(None)`: it failed, the failure was reported and is
    /// tolerated (skip the record). `Err`: not tolerated; the task fails with it (the failure
    /// was reported first, as Java does). `class` names the class that ran (evaluated after a
    /// failure only).
    pub async fn execute<T>(
        &self,
        stage: Stage,
        class: impl FnOnce() -> String,
        record: impl FnOnce() -> OriginalRecord,
        op: impl FnMut() -> Result<T, ConnectError>,
    ) -> Result<Option<T>, TaskError> {
        let mut op = op;
        match op() {
            Ok(v) => Ok(Some(v)),
            Err(first) => self.execute_after(stage, class, record, first, op).await,
        }
    }

    /// [`Self::execute`] when `op`'s first attempt was already made (synchronously, by the
    /// caller, so that the common case of a first attempt that succeeds costs no future) and
    /// failed with `first`: retries, tolerance and reporting follow exactly as in `execute`.
    pub async fn execute_after<T>(
        &self,
        stage: Stage,
        class: impl FnOnce() -> String,
        record: impl FnOnce() -> OriginalRecord,
        first: ConnectError,
        op: impl FnMut() -> Result<T, ConnectError>,
    ) -> Result<Option<T>, TaskError> {
        let stop = self
            .shared
            .stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let attempted = self
            .shared
            .retry
            .run_after(first, op, stop.as_ref(), &self.shared.metrics)
            .await;
        let error = match attempted.result {
            Ok(v) => return Ok(Some(v)),
            Err(e) => e,
        };
        if !error.is_retriable() {
            self.shared.metrics.record_failure();
        }
        let tolerable = stage.tolerates_any_error() || error.is_retriable();
        let mut ctx = ProcessingContext::new(record(), stage, class(), Some(error));
        ctx.attempts = attempted.attempts;
        self.handle_failure(ctx, tolerable).await
    }

    /// A failure that already happened (Java's `executeFailed`: errant records reported by a
    /// sink task, tolerated producer failures): it is reported; `Err` when it is not
    /// tolerated.
    pub async fn execute_failed(
        &self,
        stage: Stage,
        class: impl Into<String>,
        record: OriginalRecord,
        error: ConnectError,
    ) -> Result<(), TaskError> {
        self.shared.metrics.record_failure();
        let ctx = ProcessingContext::new(record, stage, class, Some(error));
        self.handle_failure(ctx, true).await.map(|_: Option<()>| ())
    }

    async fn handle_failure<T>(
        &self,
        ctx: ProcessingContext,
        tolerable: bool,
    ) -> Result<Option<T>, TaskError> {
        self.mark_failed();
        self.report(&ctx).await?;
        let error = ctx
            .error
            .clone()
            .unwrap_or_else(|| ConnectError::connect(format!("{} failed", ctx.stage.java_name())));
        if !tolerable || !self.within_tolerance_limits() {
            return Err(TaskError::stage(
                ctx.stage,
                format!("{}, class {}", ctx.whereabouts(), ctx.executing_class),
                error,
            ));
        }
        bump(&self.shared.metrics.records_skipped);
        debug!(stage = %ctx.stage, record = %ctx.whereabouts(), error = %error,
            "Skipping a failed record (errors.tolerance=all).");
        Ok(None)
    }

    /// Sends `ctx` to every reporter; a record that cannot be written to the dead-letter
    /// queue fails the task.
    async fn report(&self, ctx: &ProcessingContext) -> Result<(), TaskError> {
        let reporters = &self.shared.reporters;
        if let Some(log) = &reporters.log {
            log.report(ctx);
            bump(&self.shared.metrics.errors_logged);
        }
        if let Some(dlq) = &reporters.dlq {
            bump(&self.shared.metrics.dlq_produce_requests);
            match dlq.report(ctx).await {
                Ok(true) => {}
                Ok(false) => bump(&self.shared.metrics.dlq_produce_failures),
                Err(e) => {
                    bump(&self.shared.metrics.dlq_produce_failures);
                    return Err(TaskError::Kafka(e.to_string()));
                }
            }
        }
        Ok(())
    }

    /// Waits, without blocking the runtime, for what the dead letter queue producer still
    /// holds, at most `timeout`; false when records were still in flight after it.
    pub async fn flush(&self, timeout: std::time::Duration) -> bool {
        match &self.shared.reporters.dlq {
            Some(dlq) => dlq.flush(timeout).await,
            None => true,
        }
    }

    /// Flushes what the reporters still hold (task shutdown), in the background: never
    /// blocks the caller (see [`DeadLetterQueueReporter::close`]).
    pub fn close(&self) {
        if let Some(dlq) = &self.shared.reporters.dlq {
            dlq.close();
        }
    }

    /// The task id.
    pub fn id(&self) -> &ConnectorTaskId {
        &self.shared.id
    }
}

/// Key of a record handed to `SinkTask::put`: topic, partition, offset (after
/// transformation).
type PutKey = (String, i32, i64);

/// The raw consumed records behind the records handed to `put`, kept until their offsets
/// are committed so that an errant record report writes the original bytes.
#[derive(Default)]
pub struct OriginalsIndex {
    map: Mutex<HashMap<PutKey, Arc<ConsumedRecord>>>,
}

impl OriginalsIndex {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PutKey, Arc<ConsumedRecord>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers the original of `record`.
    pub fn insert(&self, record: &SinkRecord, original: Arc<ConsumedRecord>) {
        let key = (
            record.topic_name().to_string(),
            record.kafka_partition.unwrap_or(-1),
            record.kafka_offset().unwrap_or(original.offset),
        );
        self.lock().insert(key, original);
    }

    /// The original of `record`, if it was handed to `put`.
    pub fn get(&self, record: &SinkRecord) -> Option<Arc<ConsumedRecord>> {
        let key = (
            record.topic_name().to_string(),
            record.kafka_partition.unwrap_or(-1),
            record.kafka_offset()?,
        );
        self.lock().get(&key).cloned()
    }

    /// Forgets originals below the committed offsets (per original topic-partition).
    pub fn committed(&self, offsets: &HashMap<sluice_api::TopicPartition, i64>) {
        self.lock().retain(|_, o| {
            let tp = sluice_api::TopicPartition::new(o.topic.clone(), o.partition);
            offsets.get(&tp).is_none_or(|next| o.offset >= *next)
        });
    }

    /// Forgets the originals of revoked partitions.
    pub fn revoked(&self, partitions: &[sluice_api::TopicPartition]) {
        self.lock().retain(|_, o| {
            !partitions
                .iter()
                .any(|tp| tp.topic == o.topic && tp.partition == o.partition)
        });
    }

    /// How many originals are held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when none are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The errant record reporter of a sink task (Java's `WorkerErrantRecordReporter`): the
/// record goes to the log and the dead-letter queue as configured, as the original consumed
/// record when the worker handed it to `put`, else serialized with the task's converters.
/// `report` returns once the record is durable in the queue; under `errors.tolerance=none` it
/// returns the `Tolerance exceeded in error handler` error, which fails the task when `put`
/// passes it on.
pub struct WorkerErrantRecordReporter {
    operator: RetryWithToleranceOperator,
    originals: Arc<OriginalsIndex>,
    converters: Mutex<RecordConverters>,
    task_class: String,
}

impl WorkerErrantRecordReporter {
    /// A reporter for a task of class `task_class`.
    pub fn new(
        operator: RetryWithToleranceOperator,
        originals: Arc<OriginalsIndex>,
        converters: RecordConverters,
        task_class: impl Into<String>,
    ) -> Self {
        WorkerErrantRecordReporter {
            operator,
            originals,
            converters: Mutex::new(converters),
            task_class: task_class.into(),
        }
    }

    fn serialize(&self, record: &SinkRecord) -> Result<ConsumedRecord, ConnectError> {
        let mut copy = record.clone();
        let bytes = self
            .converters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .to_kafka(&mut copy)
            .map_err(|(_, e)| e)?;
        Ok(ConsumedRecord {
            topic: record.topic_name().to_string(),
            partition: record.kafka_partition.unwrap_or(-1),
            offset: record.kafka_offset().unwrap_or(-1),
            key: bytes.key,
            value: bytes.value,
            headers: bytes.headers,
            timestamp: record.timestamp,
            timestamp_type: match record.origin {
                sluice_api::Origin::Sink { timestamp_type, .. } => timestamp_type,
                sluice_api::Origin::Source { .. } => sluice_api::TimestampType::NoTimestampType,
            },
        })
    }
}

#[async_trait]
impl ErrantRecordReporter for WorkerErrantRecordReporter {
    async fn report(&self, record: &SinkRecord, error: ConnectError) -> ConnectResult<()> {
        let original = match self.originals.get(record) {
            Some(o) => o,
            None => match self.serialize(record) {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    warn!(error = %e, "Could not serialize an errant record for the error reporters.");
                    return Err(e);
                }
            },
        };
        self.operator
            .execute_failed(
                Stage::TaskPut,
                self.task_class.clone(),
                OriginalRecord::Consumed(original),
                error.clone(),
            )
            .await
            .map_err(|e| match e {
                TaskError::Stage { .. } => ConnectError::connect(format!(
                    "Tolerance exceeded in error handler: {}: {error}",
                    error.java_class()
                )),
                other => ConnectError::connect(other.to_string()),
            })
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::TimestampType;

    use super::*;

    fn id() -> ConnectorTaskId {
        ConnectorTaskId {
            connector: "c".into(),
            task: 0,
        }
    }

    fn consumed(offset: i64) -> OriginalRecord {
        OriginalRecord::Consumed(Arc::new(ConsumedRecord {
            topic: "t".into(),
            partition: 0,
            offset,
            key: None,
            value: Some(b"x".to_vec()),
            headers: Vec::new(),
            timestamp: None,
            timestamp_type: TimestampType::NoTimestampType,
        }))
    }

    fn config(tolerance: ToleranceType) -> ErrorHandlingConfig {
        ErrorHandlingConfig {
            tolerance,
            ..ErrorHandlingConfig::default()
        }
    }

    async fn fail_value_converter(
        op: &RetryWithToleranceOperator,
        offset: i64,
    ) -> Result<Option<u8>, TaskError> {
        op.execute(
            Stage::ValueConverter,
            || "org.apache.kafka.connect.json.JsonConverter".into(),
            || consumed(offset),
            || Err(ConnectError::data("bad json")),
        )
        .await
    }

    #[tokio::test]
    async fn tolerance_all_skips_and_counts_every_failure() {
        let op =
            RetryWithToleranceOperator::new(id(), config(ToleranceType::All), Reporters::default());
        for i in 0..3 {
            assert!(matches!(fail_value_converter(&op, i).await, Ok(None)));
        }
        let ok = op
            .execute(Stage::Transformation, String::new, || consumed(9), || Ok(7))
            .await;
        assert!(matches!(ok, Ok(Some(7))));
        let m = op.metrics();
        assert_eq!(
            (m.record_failures, m.record_errors, m.records_skipped),
            (3, 3, 3)
        );
        assert!(m.last_error_timestamp > 0);
        assert!(op.within_tolerance_limits());
    }

    #[tokio::test]
    async fn tolerance_none_fails_on_the_first_failure_with_javas_trace() {
        let op = RetryWithToleranceOperator::new(
            id(),
            config(ToleranceType::None),
            Reporters::default(),
        );
        assert!(op.within_tolerance_limits());
        let err = fail_value_converter(&op, 5)
            .await
            .err()
            .map(|e| e.trace())
            .unwrap_or_default();
        assert!(
            err.starts_with("org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n"),
            "{err}"
        );
        assert!(err.contains("VALUE_CONVERTER (topic t partition 0 offset 5, class org.apache.kafka.connect.json.JsonConverter)"), "{err}");
        assert!(
            err.ends_with("Caused by: org.apache.kafka.connect.errors.DataException: bad json"),
            "{err}"
        );
        assert!(!op.within_tolerance_limits());
        assert_eq!(op.metrics().records_skipped, 0);
    }

    #[tokio::test]
    async fn only_retriable_errors_are_tolerated_outside_converters_and_transformations() {
        let op =
            RetryWithToleranceOperator::new(id(), config(ToleranceType::All), Reporters::default());
        let fatal = op
            .execute(
                Stage::TaskPoll,
                || "T".into(),
                || consumed(1),
                || -> Result<(), _> { Err(ConnectError::connect("boom")) },
            )
            .await;
        assert!(fatal.is_err());
        let retriable = op
            .execute(
                Stage::TaskPoll,
                || "T".into(),
                || consumed(2),
                || -> Result<(), _> { Err(ConnectError::retriable("later")) },
            )
            .await;
        assert!(matches!(retriable, Ok(None)));
    }

    #[tokio::test]
    async fn execute_failed_follows_the_tolerance() {
        let all =
            RetryWithToleranceOperator::new(id(), config(ToleranceType::All), Reporters::default());
        assert!(all
            .execute_failed(Stage::TaskPut, "T", consumed(1), ConnectError::data("x"))
            .await
            .is_ok());
        let none = RetryWithToleranceOperator::fail_fast(id());
        assert!(none
            .execute_failed(Stage::TaskPut, "T", consumed(1), ConnectError::data("x"))
            .await
            .is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn retriable_converter_errors_are_retried_before_counting() {
        let op = RetryWithToleranceOperator::new(
            id(),
            ErrorHandlingConfig {
                tolerance: ToleranceType::None,
                retry_timeout_ms: 5000,
                ..ErrorHandlingConfig::default()
            },
            Reporters::default(),
        );
        let mut calls = 0;
        let out = op
            .execute(
                Stage::KeyConverter,
                String::new,
                || consumed(0),
                || {
                    calls += 1;
                    if calls < 3 {
                        Err(ConnectError::retriable("flaky"))
                    } else {
                        Ok(calls)
                    }
                },
            )
            .await;
        assert!(matches!(out, Ok(Some(3))));
        assert!(op.within_tolerance_limits());
        assert_eq!(op.metrics().retries, 2);
    }

    #[test]
    fn originals_are_found_by_put_record_and_pruned_at_commit() {
        let index = OriginalsIndex::default();
        let OriginalRecord::Consumed(raw) = consumed(4) else {
            return;
        };
        let record = SinkRecord {
            topic: Some("routed".into()),
            kafka_partition: Some(0),
            key_schema: None,
            key: sluice_api::Value::Null,
            value_schema: None,
            value: sluice_api::Value::Null,
            timestamp: None,
            headers: sluice_api::Headers::new(),
            origin: sluice_api::Origin::Sink {
                kafka_offset: 4,
                timestamp_type: TimestampType::NoTimestampType,
            },
        };
        index.insert(&record, raw.clone());
        assert_eq!(index.get(&record).map(|r| r.offset), Some(4));
        let mut committed = HashMap::new();
        committed.insert(sluice_api::TopicPartition::new("t", 0), 4);
        index.committed(&committed);
        assert_eq!(index.len(), 1, "offset 4 is not committed yet");
        committed.insert(sluice_api::TopicPartition::new("t", 0), 5);
        index.committed(&committed);
        assert!(index.is_empty());
    }
}
