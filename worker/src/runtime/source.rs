//! The source task loop (Java's `WorkerSourceTask`): poll → transform → convert → produce,
//! with source offsets committed only for the acknowledged prefix of each source partition.
//!
//! Offsets are flushed to the offset store every `offset.flush.interval.ms` (first after one
//! interval); `SourceTask::commit` is called after each successful flush.
//!
//! When the task stops, and also when it fails (a poll error, a producer error, a transform
//! or converter failure under `errors.tolerance=none`), the loop makes a final commit, as
//! Java's `finalOffsetCommit`: it stops polling, waits for outstanding acknowledgements up to
//! `offset.flush.timeout.ms` but never past the part of `task.shutdown.graceful.timeout.ms`
//! not kept for the write (see [`final_commit_plan`]), then commits what was acknowledged and
//! logs, per source partition, how many records were left unacknowledged (they are produced
//! again after a restart). So slow acknowledgements cannot make the worker abandon the task
//! before its acknowledged offsets are written.
//!
//! Transformation and conversion run per record through the task's
//! [`RetryWithToleranceOperator`]: under `errors.tolerance=all` a failed record is logged (with
//! `errors.log.enable`) and dropped like a filtered one (its offset still commits, and
//! `commit_record` is called without metadata); under `none` the task fails. A record the
//! producer could not write is skipped the same way under `all`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::BaseRecord;
use sluice_api::{
    ConnectError, ConnectResult, OffsetMap, OffsetStorageReader, Props, SourceOffset, SourceRecord,
    SourceTask, SourceTaskContext,
};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use self::in_flight::InFlightTable;
use super::converters::{KafkaBytes, RecordConverters};
use super::errors::context::OriginalRecord;
use super::errors::{RetryWithToleranceOperator, ToleranceType};
use super::producers::{Ack, AckReceiver, ProducerLease, ProducerPool, SEQUENCE_MASK};
use super::status::StatusStore;
use super::submitted::{Submitted, SubmittedRecords};
use super::transforms::Transforms;
use super::{commit_ticker, report_target, Stage, TaskError};
use crate::metrics::{ClientStatsHandle, RunState, TaskMetrics};
use crate::model::ConnectorTaskId;
use crate::storage::{put_offsets, OffsetBackingStore};

/// Records in flight (produced, not yet acknowledged) before the loop stops polling: enough
/// for librdkafka to keep sending while the acknowledgements of earlier batches come back.
/// Each costs its copy in the producer's queue and a few bytes here, ~0.6 KB in all at
/// 100-byte records. File source benchmark on the mock cluster: 4,096 waited for
/// acknowledgements about one `linger.ms` in every round; 8,192 gave 0.91-1.0 M records/s
/// and a 35 MB peak RSS, 16,384 1.0-1.09 M and 40 MB, 32,768 1.06-1.10 M and 47-54 MB.
pub const MAX_IN_FLIGHT: usize = 16_384;

/// What the worker wants a task to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskTarget {
    /// Process records.
    Running,
    /// Stay alive, process nothing.
    Paused,
    /// Flush, commit and stop.
    Stopping,
}

/// Java's defaults for a source task's producer, before the worker's `producer.*` and the
/// connector's `producer.override.*` keys.
pub fn producer_defaults(id: &ConnectorTaskId) -> Vec<(&'static str, String)> {
    vec![
        ("acks", "all".to_string()),
        ("max.in.flight.requests.per.connection", "1".to_string()),
        ("enable.idempotence", "false".to_string()),
        ("delivery.timeout.ms", i32::MAX.to_string()),
        (
            "client.id",
            format!("connector-producer-{}-{}", id.connector, id.task),
        ),
    ]
}

/// Offsets committed for one connector, as the task's `OffsetStorageReader`.
pub struct StoreOffsetReader {
    connector: String,
    store: Arc<dyn OffsetBackingStore>,
}

impl StoreOffsetReader {
    /// A reader of `connector`'s offsets.
    pub fn new(connector: impl Into<String>, store: Arc<dyn OffsetBackingStore>) -> Self {
        StoreOffsetReader {
            connector: connector.into(),
            store,
        }
    }
}

#[async_trait]
impl OffsetStorageReader for StoreOffsetReader {
    async fn offset(&self, partition: &OffsetMap) -> ConnectResult<Option<OffsetMap>> {
        Ok(self.store.get(&self.connector, partition))
    }
}

/// Everything a source task loop needs.
pub struct SourceTaskRun {
    /// Task id.
    pub id: ConnectorTaskId,
    /// The task instance (not started).
    pub task: Box<dyn SourceTask>,
    /// The task's config.
    pub task_config: Props,
    /// Converters.
    pub converters: RecordConverters,
    /// Transformations.
    pub transforms: Transforms,
    /// The producer's librdkafka config (partitioner and defaults are added here).
    pub producer_config: ClientConfig,
    /// The task's default `client.id` (`connector-producer-<connector>-<task>`): a shared
    /// producer does not take it.
    pub producer_client_id: String,
    /// Where the producer comes from: the task's own, or one shared by tasks with the same
    /// config (`sluice.source.producer.shared`).
    pub producers: Arc<ProducerPool>,
    /// Offset store.
    pub offsets: Arc<dyn OffsetBackingStore>,
    /// Status table.
    pub status: Arc<StatusStore>,
    /// `offset.flush.interval.ms`.
    pub flush_interval: Duration,
    /// `offset.flush.timeout.ms`.
    pub flush_timeout: Duration,
    /// `task.shutdown.graceful.timeout.ms`: the budget of the final commit.
    pub shutdown_timeout: Duration,
    /// The error handler (`errors.*`).
    pub errors: RetryWithToleranceOperator,
    /// Topic creation (KIP-158), when the worker and the connector use it.
    pub topic_creation: Option<super::topic_creation::TopicCreator>,
    /// Where the producer's librdkafka statistics go (none: no client metrics).
    pub producer_stats: Option<ClientStatsHandle>,
    /// The task's metrics (none: metrics are off).
    pub metrics: Option<Arc<TaskMetrics>>,
}

/// When a final commit stops waiting for acknowledgements and by when its write must end,
/// counted from the moment the task stops polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinalCommitPlan {
    /// How long to wait for outstanding acknowledgements.
    pub ack_wait: Duration,
    /// How long until the offset write must be done.
    pub write_by: Duration,
}

/// Splits `task.shutdown.graceful.timeout.ms` (`budget`) for the final commit: a quarter of
/// it, at most 1 s, is kept back; acknowledgements are awaited for up to
/// `offset.flush.timeout.ms` (`flush_timeout`) but never into that reserve; the offset write
/// may use the first half of the reserve, the second half is left for `SourceTask.stop` and
/// the worker. With the defaults (5 s each) that is 4 s of waiting and 0.5 s for the write.
pub fn final_commit_plan(budget: Duration, flush_timeout: Duration) -> FinalCommitPlan {
    let reserve = (budget / 4).min(Duration::from_secs(1));
    let ack_wait = flush_timeout.min(budget.saturating_sub(reserve));
    let write_by = budget.saturating_sub(reserve / 2).max(ack_wait);
    FinalCommitPlan { ack_wait, write_by }
}

/// The metrics state of a task target.
pub(crate) fn run_state(target: TaskTarget) -> RunState {
    match target {
        TaskTarget::Running => RunState::Running,
        TaskTarget::Paused => RunState::Paused,
        TaskTarget::Stopping => RunState::Other,
    }
}

/// Runs the task until `control` says [`TaskTarget::Stopping`] or it fails. The final status
/// is left to the caller, except FAILED, which is written here.
pub async fn run_source_task(run: SourceTaskRun, control: watch::Receiver<TaskTarget>) {
    let id = run.id.clone();
    let status = run.status.clone();
    super::supervise_task(id, status, "Source", SourceLoop::start(run, control)).await
}

/// A record sent and not yet acknowledged.
struct InFlight {
    submitted: Submitted,
    /// The record as polled, kept for `SourceTask.commitRecord` and for reporting a failed
    /// send under `errors.tolerance=all`; otherwise only its offset is kept (in
    /// `submitted`).
    kept: Option<Box<Kept>>,
}

/// A record kept until acknowledged (see [`InFlight::kept`]).
struct Kept {
    /// The record as polled.
    record: SourceRecord,
    /// The topic it was written to (after transformations), for `commitRecord`'s metadata.
    topic: Arc<str>,
}

/// What [`SourceLoop::convert_first`] found when a stage failed at its first attempt.
struct ConvertFailure {
    /// The stage that failed.
    stage: Stage,
    /// Its error.
    error: sluice_api::ConnectError,
    /// The key's bytes, when the key stage had succeeded.
    key: Option<Option<Vec<u8>>>,
    /// The value's bytes, when the value stage had succeeded.
    value: Option<Option<Vec<u8>>>,
}

/// Takes a source record's offset out (it goes to the submitted records once the record is
/// acknowledged).
fn take_source_offset(record: &mut SourceRecord) -> Option<SourceOffset> {
    match &mut record.origin {
        sluice_api::Origin::Source { offset, .. } => offset.take(),
        sluice_api::Origin::Sink { .. } => None,
    }
}

struct SourceLoop {
    id: ConnectorTaskId,
    task: Box<dyn SourceTask>,
    converters: RecordConverters,
    transforms: Transforms,
    producer: ProducerLease,
    acks: AckReceiver,
    /// Acknowledgements received and not yet handled, oldest first.
    ack_buf: VecDeque<Ack>,
    /// Whether the task's `commitRecord` is called ([`SourceTask::commits_records`]).
    commits_records: bool,
    /// Whether each record is kept until acknowledged (see [`InFlight::record`]).
    keep_records: bool,
    /// The topic last added to the status store (the topic of the last record sent), with
    /// the store's topic reset count then.
    added_topic: Option<(Arc<str>, u64)>,
    submitted: SubmittedRecords,
    /// By sequence number (the delivery opaque's lower half).
    in_flight: InFlightTable<InFlight>,
    next_opaque: usize,
    uncommitted: Vec<(OffsetMap, Option<OffsetMap>)>,
    offsets: Arc<dyn OffsetBackingStore>,
    status: Arc<StatusStore>,
    flush_interval: Duration,
    flush_timeout: Duration,
    shutdown_timeout: Duration,
    errors: RetryWithToleranceOperator,
    topic_creation: Option<super::topic_creation::TopicCreator>,
    metrics: Option<Arc<TaskMetrics>>,
    /// The worker's wish, also watched while waiting for producer queue space.
    control: watch::Receiver<TaskTarget>,
}

impl SourceLoop {
    async fn start(
        run: SourceTaskRun,
        control: watch::Receiver<TaskTarget>,
    ) -> Result<(), TaskError> {
        let mut producer_config = run.producer_config;
        producer_config.set("partitioner", "murmur2_random");
        let (producer, rx) = run
            .producers
            .lease(
                &producer_config,
                &run.producer_client_id,
                run.producer_stats,
                &format!("producer-{}", run.id.task),
            )
            .map_err(|e| TaskError::Kafka(format!("Failed to create producer: {e}")))?;
        let mut task = run.task;
        let context = SourceTaskContext {
            offset_reader: Arc::new(StoreOffsetReader::new(
                run.id.connector.clone(),
                run.offsets.clone(),
            )),
            config: run.task_config,
        };
        task.start(context).await.map_err(|error| TaskError::Task {
            call: "SourceTask.start",
            error,
        })?;
        let commits_records = task.commits_records();
        let keep_records = commits_records || run.errors.tolerance() == ToleranceType::All;
        let mut this = SourceLoop {
            id: run.id,
            task,
            converters: run.converters,
            transforms: run.transforms,
            producer,
            acks: rx,
            ack_buf: VecDeque::new(),
            commits_records,
            keep_records,
            added_topic: None,
            submitted: SubmittedRecords::new(),
            in_flight: InFlightTable::new(SEQUENCE_MASK),
            next_opaque: 0,
            uncommitted: Vec::new(),
            offsets: run.offsets,
            status: run.status,
            flush_interval: run.flush_interval.max(Duration::from_millis(1)),
            flush_timeout: run.flush_timeout,
            shutdown_timeout: run.shutdown_timeout,
            errors: run.errors,
            topic_creation: run.topic_creation,
            metrics: run.metrics,
            control: control.clone(),
        };
        this.errors.set_stop_signal(control.clone());
        let result = this.run(control).await;
        if let Err(e) = &result {
            info!(error = %e, "Source task failed; committing the offsets of acknowledged records first.");
        }
        let commit = this.final_commit().await;
        let stop = this.task.stop().await;
        result?;
        commit?;
        stop.map_err(|error| TaskError::Task {
            call: "SourceTask.stop",
            error,
        })
    }

    async fn run(&mut self, mut control: watch::Receiver<TaskTarget>) -> Result<(), TaskError> {
        let mut ticker = commit_ticker(self.flush_interval);
        let mut reported: Option<TaskTarget> = None;
        loop {
            self.drain_acks().await?;
            let target = *control.borrow_and_update();
            report_target(&self.status, &self.id, target, &mut reported);
            if let Some(m) = &self.metrics {
                m.set_state(run_state(target));
            }
            match target {
                TaskTarget::Stopping => break,
                TaskTarget::Paused => {
                    tokio::select! {
                        changed = control.changed() => if changed.is_err() { break },
                        _ = ticker.tick() => self.commit_offsets().await?,
                        _ = self.acks.recv_into(&mut self.ack_buf) => self.handle_acks().await?,
                    }
                    continue;
                }
                TaskTarget::Running => {}
            }
            if self.submitted.in_flight() >= MAX_IN_FLIGHT {
                tokio::select! {
                    changed = control.changed() => if changed.is_err() { break },
                    _ = self.acks.recv_into(&mut self.ack_buf) => self.handle_acks().await?,
                }
                continue;
            }
            let polling = std::time::Instant::now();
            tokio::select! {
                changed = control.changed() => if changed.is_err() { break },
                _ = ticker.tick() => self.commit_offsets().await?,
                batch = self.task.poll() => {
                    let batch = batch.map_err(|e| TaskError::stage(Stage::TaskPoll, "SourceTask.poll", e))?;
                    if let Some(m) = &self.metrics {
                        if !batch.is_empty() {
                            m.record_poll(batch.len(), polling.elapsed());
                            m.record_batch(batch.len());
                        }
                    }
                    self.send_batch(batch).await?;
                    if let Some(m) = &self.metrics {
                        m.set_active(self.submitted.in_flight());
                    }
                }
            }
        }
        Ok(())
    }

    /// The final commit (on stop and on failure): waits for outstanding acknowledgements as
    /// [`final_commit_plan`] allows, logs what stays unacknowledged, and writes the offsets
    /// of the acknowledged records. An acknowledgement error met while waiting (a failed
    /// send under `errors.tolerance=none`) does not stop the wait for the other records; it is
    /// returned after the commit.
    async fn final_commit(&mut self) -> Result<(), TaskError> {
        let started = Instant::now();
        let plan = final_commit_plan(self.shutdown_timeout, self.flush_timeout);
        let ack_deadline = started + plan.ack_wait;
        let mut ack_error = None;
        loop {
            // Acknowledgements left by a failure come first.
            while let Some(ack) = self.ack_buf.pop_front() {
                match self.handle_ack(ack).await {
                    Ok(written) => self.record_written(u64::from(written)),
                    Err(e) => {
                        warn!(error = %e, "A record failed while waiting for acknowledgements before the final commit.");
                        ack_error.get_or_insert(e);
                    }
                }
            }
            if self.submitted.in_flight() == 0 {
                break;
            }
            let wait = self.acks.recv_into(&mut self.ack_buf);
            if tokio::time::timeout_at(ack_deadline, wait).await.is_err()
                && self.acks.try_recv_into(&mut self.ack_buf) == 0
            {
                break;
            }
        }
        self.log_unacknowledged(plan.ack_wait);
        let write_timeout = (started + plan.write_by).saturating_duration_since(Instant::now());
        let committed = self.write_offsets(write_timeout).await;
        if !self.uncommitted.is_empty() {
            warn!(
                partitions = self.uncommitted.len(),
                "The final offset commit did not complete; the records after the last committed offsets will be produced again after a restart."
            );
        }
        committed?;
        ack_error.map_or(Ok(()), Err)
    }

    /// Logs how many records are still unacknowledged, per source partition.
    fn log_unacknowledged(&self, waited: Duration) {
        let outstanding = self.submitted.in_flight();
        if outstanding == 0 {
            return;
        }
        let per_partition: Vec<String> = self
            .submitted
            .unacknowledged()
            .into_iter()
            .map(|(partition, n)| {
                let name = partition.map_or_else(
                    || "(no source partition)".to_string(),
                    |p| serde_json::Value::Object(p).to_string(),
                );
                format!("{name}: {n}")
            })
            .collect();
        warn!(
            outstanding,
            waited_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            per_partition = %per_partition.join(", "),
            "Records were not acknowledged by Kafka in time for the final offset commit; their offsets (and those after them in the same source partition) are not committed, so they will be produced again after a restart."
        );
    }

    /// Handles the acknowledgements that arrived (without waiting for more).
    async fn drain_acks(&mut self) -> Result<(), TaskError> {
        self.acks.try_recv_into(&mut self.ack_buf);
        self.handle_acks().await?;
        if let Some(m) = &self.metrics {
            m.set_active(self.submitted.in_flight());
        }
        Ok(())
    }

    /// Handles the received acknowledgements in order. On an error the ones after it stay
    /// in `ack_buf` (the final commit handles them).
    async fn handle_acks(&mut self) -> Result<(), TaskError> {
        let mut written = 0;
        let mut result = Ok(());
        while let Some(ack) = self.ack_buf.pop_front() {
            match self.handle_ack(ack).await {
                Ok(w) => written += u64::from(w),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.record_written(written);
        result
    }

    fn record_written(&self, n: u64) {
        if let (Some(m), true) = (&self.metrics, n > 0) {
            m.record_write(n);
        }
    }

    /// Handles one delivery report; `true` when the record was written. A kept record's
    /// source offset goes to `submitted` only after `SourceTask.commitRecord` saw the record
    /// (it was submitted without one, see [`SubmittedRecords::submit_deferred`]); a failing
    /// `commitRecord` fails the task before the offset counts, so the record is produced
    /// again after a restart.
    async fn handle_ack(&mut self, ack: Ack) -> Result<bool, TaskError> {
        let Some(InFlight { submitted, kept }) = self.in_flight.remove(ack.sequence) else {
            return Ok(false);
        };
        match (ack.outcome, kept) {
            (Ok(_), None) => {
                self.submitted.ack(&submitted);
                Ok(true)
            }
            (Ok((partition, offset)), Some(kept)) => {
                let Kept { mut record, topic } = *kept;
                if self.commits_records {
                    let metadata = sluice_api::RecordMetadata {
                        topic: topic.to_string(),
                        partition,
                        offset,
                    };
                    self.commit_record(&record, Some(&metadata)).await?;
                }
                let offset = take_source_offset(&mut record);
                self.submitted.ack_with_offset(&submitted, offset);
                Ok(true)
            }
            (Err(failure), kept) if self.errors.tolerance() == ToleranceType::All => {
                // Java (KIP-779): with errors.tolerance=all a failed send is reported and
                // skipped; its offset commits like a filtered record's.
                warn!(topic = %failure.topic, error = %failure.error, "Skipping a record the producer could not write (errors.tolerance=all).");
                let Some(kept) = kept else {
                    // Records are kept under errors.tolerance=all; this one was not.
                    self.submitted.ack(&submitted);
                    return Ok(false);
                };
                let mut record = kept.record;
                let class = "org.apache.kafka.clients.producer.KafkaProducer";
                self.errors
                    .execute_failed(
                        Stage::KafkaProduce,
                        class,
                        OriginalRecord::Source(Box::new(record.clone())),
                        ConnectError::connect(failure.error),
                    )
                    .await?;
                if self.commits_records {
                    self.commit_record(&record, None).await?;
                }
                let offset = take_source_offset(&mut record);
                self.submitted.ack_with_offset(&submitted, offset);
                Ok(false)
            }
            (Err(failure), _) => Err(TaskError::stage(
                Stage::KafkaProduce,
                format!("topic {}", failure.topic),
                ConnectError::connect(failure.error),
            )),
        }
    }

    /// `SourceTask.commitRecord`; its failure fails the task.
    async fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&sluice_api::RecordMetadata>,
    ) -> Result<(), TaskError> {
        self.task
            .commit_record(record, metadata)
            .await
            .map_err(|error| TaskError::Task {
                call: "SourceTask.commitRecord",
                error,
            })
    }

    /// Sends a polled batch. When the worker asks the task to stop while the producer's queue
    /// is full, the rest of the batch is dropped unsent: none of it is submitted, so no offset
    /// past it is committed and it is polled again after a restart.
    async fn send_batch(&mut self, mut batch: Vec<SourceRecord>) -> Result<(), TaskError> {
        let total = batch.len();
        // Each record is sent where it lies in the batch: the records are not moved.
        for (i, record) in batch.iter_mut().enumerate() {
            if !self.send_one(record).await? {
                debug!(
                    unsent = total - i,
                    "Stopping while the producer's queue is full; the rest of the batch is not sent."
                );
                break;
            }
        }
        Ok(())
    }

    fn stopping(&self) -> bool {
        *self.control.borrow() == TaskTarget::Stopping
    }

    fn record_context(record: &SourceRecord) -> String {
        match record.source_partition() {
            Some(p) => format!(
                "topic {}, source partition {}",
                record.topic_name(),
                serde_json::Value::Object(p.clone())
            ),
            None => format!("topic {}", record.topic_name()),
        }
    }

    /// A record that is not written (filtered, or failed under `errors.tolerance=all`): its
    /// offset still counts once the records before it are written.
    async fn drop_record(&mut self, original: &SourceRecord) -> Result<(), TaskError> {
        let id = self.submitted.submit(
            original.source_partition_shared(),
            original.source_offset().cloned(),
        );
        self.submitted.ack(&id);
        if self.commits_records {
            self.commit_record(original, None).await?;
        }
        Ok(())
    }

    /// Key, value and header conversion when every stage succeeds at its first attempt (nearly
    /// every record): no error handler, no future. Otherwise the failed stage's error and what
    /// the stages before it produced, for [`Self::convert_after`]; the record's headers are
    /// then as the stages before the failed one left them.
    fn convert_first(
        converters: &mut RecordConverters,
        record: &mut SourceRecord,
    ) -> Result<KafkaBytes, Box<ConvertFailure>> {
        // Converters may add headers.
        let mut headers = std::mem::take(&mut record.headers);
        let rec: &SourceRecord = record;
        let topic = rec.topic_name();
        let failure = |stage, error, key, value| {
            Box::new(ConvertFailure {
                stage,
                error,
                key,
                value,
            })
        };
        let key =
            match converters.key_to_kafka(topic, &mut headers, rec.key_schema.as_ref(), &rec.key) {
                Ok(key) => key,
                Err(e) => {
                    record.headers = headers;
                    return Err(failure(Stage::KeyConverter, e, None, None));
                }
            };
        let value = match converters.value_to_kafka(
            topic,
            &mut headers,
            rec.value_schema.as_ref(),
            &rec.value,
        ) {
            Ok(value) => value,
            Err(e) => {
                record.headers = headers;
                return Err(failure(Stage::ValueConverter, e, Some(key), None));
            }
        };
        let result = match converters.headers_to_kafka(topic, &headers) {
            Ok(header_bytes) => Ok(KafkaBytes {
                key,
                value,
                headers: header_bytes,
            }),
            Err(e) => Err(failure(Stage::HeaderConverter, e, Some(key), Some(value))),
        };
        record.headers = headers;
        result
    }

    /// Conversion after [`Self::convert_first`] failed: the failed stage goes on through the
    /// error handler from its failed first attempt (retries, tolerance, reporting), the later
    /// stages through the error handler as usual; `None` when a stage failed and the record is
    /// skipped.
    async fn convert_after(
        &mut self,
        record: &mut SourceRecord,
        pre: Option<&SourceRecord>,
        failure: ConvertFailure,
    ) -> Result<Option<KafkaBytes>, TaskError> {
        let converters = &mut self.converters;
        let classes = converters.classes();
        // Converters may add headers; the original is only cloned when a stage fails.
        let mut headers = std::mem::take(&mut record.headers);
        let rec: &SourceRecord = record;
        let original = || OriginalRecord::Source(Box::new(pre.unwrap_or(rec).clone()));
        let ConvertFailure {
            stage: failed,
            error,
            key: key_done,
            value: value_done,
        } = failure;
        let mut pending = Some(error);
        let errors = &self.errors;
        let key = match key_done {
            Some(key) => Some(key),
            // The key stage failed.
            None => {
                Self::convert_stage(
                    errors,
                    Stage::KeyConverter,
                    &classes.key,
                    original,
                    pending.take(),
                    || {
                        converters.key_to_kafka(
                            rec.topic_name(),
                            &mut headers,
                            rec.key_schema.as_ref(),
                            &rec.key,
                        )
                    },
                )
                .await?
            }
        };
        let value = match (key.as_ref(), value_done) {
            (None, _) => None,
            (Some(_), Some(value)) => Some(value),
            (Some(_), None) => {
                Self::convert_stage(
                    errors,
                    Stage::ValueConverter,
                    &classes.value,
                    original,
                    pending.take_if(|_| failed == Stage::ValueConverter),
                    || {
                        converters.value_to_kafka(
                            rec.topic_name(),
                            &mut headers,
                            rec.value_schema.as_ref(),
                            &rec.value,
                        )
                    },
                )
                .await?
            }
        };
        let header_bytes = match value {
            None => None,
            Some(_) => {
                Self::convert_stage(
                    errors,
                    Stage::HeaderConverter,
                    &classes.header,
                    original,
                    pending.take_if(|_| failed == Stage::HeaderConverter),
                    || converters.headers_to_kafka(rec.topic_name(), &headers),
                )
                .await?
            }
        };
        record.headers = headers;
        Ok(match (key, value, header_bytes) {
            (Some(key), Some(value), Some(headers)) => Some(KafkaBytes {
                key,
                value,
                headers,
            }),
            _ => None,
        })
    }

    /// One conversion stage after [`Self::convert_first`] failed. `failed` is this stage's
    /// error from that first attempt when this is the stage that failed; otherwise (a later
    /// stage) `convert` is tried now. A failure goes on through the error handler from that
    /// attempt (retries, tolerance, reporting); `None` when the record is skipped.
    async fn convert_stage<T>(
        errors: &RetryWithToleranceOperator,
        stage: Stage,
        class: &str,
        original: impl FnOnce() -> OriginalRecord,
        failed: Option<ConnectError>,
        mut convert: impl FnMut() -> ConnectResult<T>,
    ) -> Result<Option<T>, TaskError> {
        let first = match failed {
            Some(error) => Err(error),
            None => convert(),
        };
        match first {
            Ok(converted) => Ok(Some(converted)),
            Err(first) => {
                errors
                    .execute_after(stage, || class.to_string(), original, first, convert)
                    .await
            }
        }
    }

    /// Transforms, converts and sends one record (what is left of it afterwards is of no
    /// further use); `false` when it was not sent because the task is stopping (it is then
    /// not submitted either).
    async fn send_one(&mut self, original: &mut SourceRecord) -> Result<bool, TaskError> {
        if self.transforms.is_empty() {
            return self.send_transformed(original, None).await;
        }
        // Boxed, as the other paths most records do not take: the loop's future stays small.
        let transformed = Box::pin(self.transforms.apply_in_stage(
            &self.errors,
            original.clone(),
            || OriginalRecord::Source(Box::new(original.clone())),
        ))
        .await?;
        match transformed {
            Some(mut record) => self.send_transformed(&mut record, Some(original)).await,
            None => {
                Box::pin(self.drop_record(original)).await?;
                Ok(true)
            }
        }
    }

    /// Converts and sends `record`, what the transforms made of the polled record `pre`
    /// (`None`: `record` is the polled record itself); as [`Self::send_one`].
    async fn send_transformed(
        &mut self,
        record: &mut SourceRecord,
        pre: Option<&mut SourceRecord>,
    ) -> Result<bool, TaskError> {
        if record.topic.is_none() {
            // Java's ProducerRecord refuses a null topic and the task fails.
            return Err(TaskError::stage(
                Stage::KafkaProduce,
                "a record without a topic".to_string(),
                sluice_api::ConnectError::data("Topic cannot be null."),
            ));
        }
        let bytes = match Self::convert_first(&mut self.converters, record) {
            Ok(bytes) => bytes,
            Err(failure) => {
                match Box::pin(self.convert_after(record, pre.as_deref(), *failure)).await? {
                    Some(bytes) => bytes,
                    None => {
                        let original = pre.map_or(&*record, |p| &*p);
                        Box::pin(self.drop_record(original)).await?;
                        return Ok(true);
                    }
                }
            }
        };
        if let Some(creator) = &mut self.topic_creation {
            creator
                .ensure(record.topic_name())
                .await
                .map_err(|e| TaskError::Task {
                    call: "topic creation",
                    error: sluice_api::ConnectError::connect(e),
                })?;
        }
        let sequence = self.next_opaque;
        self.next_opaque = self.next_opaque.wrapping_add(1) & SEQUENCE_MASK;
        let opaque = self.producer.opaque(sequence);
        let mut base: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(record.topic_name(), opaque);
        if !bytes.headers.is_empty() {
            // librdkafka allocates a header list per record that has one: none without headers.
            let mut headers = OwnedHeaders::new_with_capacity(bytes.headers.len());
            for (key, value) in &bytes.headers {
                headers = headers.insert(Header {
                    key,
                    value: value.as_deref(),
                });
            }
            base = base.headers(headers);
        }
        if let Some(k) = bytes.key.as_deref() {
            base = base.key(k);
        }
        if let Some(v) = bytes.value.as_deref() {
            base = base.payload(v);
        }
        if let Some(p) = record.kafka_partition {
            base = base.partition(p);
        }
        if let Some(ts) = record.timestamp {
            base = base.timestamp(ts);
        }
        loop {
            match self.producer.send(base) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    returned,
                )) => {
                    base = returned;
                    if self.stopping() {
                        return Ok(false);
                    }
                    // Back-pressure: wait for an acknowledgement (or a moment) and retry.
                    let wait = Duration::from_millis(100);
                    let acked = self.acks.recv_into(&mut self.ack_buf);
                    if tokio::time::timeout(wait, acked).await.is_ok() {
                        Box::pin(self.handle_acks()).await?;
                    }
                }
                Err((e, _)) => {
                    return Err(TaskError::stage(
                        Stage::KafkaProduce,
                        Self::record_context(record),
                        sluice_api::ConnectError::connect(e.to_string()),
                    ))
                }
            }
        }
        self.note_topic(record.topic_name());
        let written_topic = self
            .keep_records
            .then(|| self.shared_topic(record.topic_name()));
        let original = pre.unwrap_or(record);
        let entry = if let Some(topic) = written_topic {
            // Moved, not copied: the record hands its offset to `submitted` when
            // acknowledged.
            InFlight {
                submitted: self
                    .submitted
                    .submit_deferred(original.source_partition_shared()),
                kept: Some(Box::new(Kept {
                    record: std::mem::take(original),
                    topic,
                })),
            }
        } else {
            let offset = take_source_offset(original);
            InFlight {
                submitted: self
                    .submitted
                    .submit(original.source_partition_shared(), offset),
                kept: None,
            }
        };
        self.in_flight.insert(sequence, entry);
        Ok(true)
    }

    /// Records that the connector writes to `topic` (KIP-558), once per run of records to
    /// one topic and after every topic reset.
    fn note_topic(&mut self, topic: &str) {
        let resets = self.status.topic_resets();
        let known = self
            .added_topic
            .as_ref()
            .is_some_and(|(t, r)| *r == resets && **t == *topic);
        if !known {
            self.status.add_topic(&self.id.connector, topic);
            self.added_topic = Some((Arc::from(topic), resets));
        }
    }

    /// `topic` as a shared string: the one [`Self::note_topic`] keeps when it is the same.
    fn shared_topic(&self, topic: &str) -> Arc<str> {
        match &self.added_topic {
            Some((t, _)) if **t == *topic => t.clone(),
            _ => Arc::from(topic),
        }
    }

    /// [`Self::commit_offsets_within`] `offset.flush.timeout.ms`.
    async fn commit_offsets(&mut self) -> Result<(), TaskError> {
        self.commit_offsets_within(self.flush_timeout).await
    }

    /// Writes the committable offsets to the store, waiting at most `timeout`, then calls
    /// `SourceTask.commit`. A failed write keeps the offsets for the next attempt (Java logs
    /// and retries, too).
    async fn commit_offsets_within(&mut self, timeout: Duration) -> Result<(), TaskError> {
        self.drain_acks().await?;
        self.write_offsets(timeout).await
    }

    /// Writes the offsets committable now (acknowledgements already handled), waiting at most
    /// `timeout`, then calls `SourceTask.commit`.
    async fn write_offsets(&mut self, timeout: Duration) -> Result<(), TaskError> {
        self.uncommitted.extend(
            self.submitted
                .committable()
                .into_iter()
                .map(|(p, o)| (p, Some(o))),
        );
        if self.uncommitted.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.uncommitted);
        let count = batch.len();
        let started = std::time::Instant::now();
        let write = put_offsets(
            self.offsets.clone(),
            self.id.connector.clone(),
            batch.clone(),
        );
        let written = tokio::time::timeout(timeout.max(Duration::from_millis(1)), write).await;
        if let Some(m) = &self.metrics {
            m.record_commit(matches!(written, Ok(Ok(()))), started.elapsed());
        }
        match written {
            Ok(Ok(())) => {
                debug!(partitions = count, "Committed source offsets.");
                self.task.commit().await.map_err(|error| TaskError::Task {
                    call: "SourceTask.commit",
                    error,
                })
            }
            Ok(Err(e)) => {
                warn!(error = %e, "Failed to commit source offsets; will retry.");
                self.uncommitted = batch;
                Ok(())
            }
            Err(_) => {
                warn!("Timed out committing source offsets; will retry.");
                self.uncommitted = batch;
                Ok(())
            }
        }
    }
}

mod in_flight;
#[cfg(test)]
mod tests;
