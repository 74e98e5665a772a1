//! The sink task loop (Java's `WorkerSinkTask`): consume as group `connect-<connector>` →
//! convert → transform → put, and commit exactly the offsets `SinkTask::pre_commit` returns.
//!
//! * Auto-commit is off. Every `offset.flush.interval.ms`, or when the task asks through
//!   `SinkTaskContext::request_commit`, the loop calls `pre_commit` with the next offset to
//!   read of every partition put so far, and commits what it returns (asynchronously; a
//!   commit the broker refused is sent again by the next one).
//! * Rebalances follow Java's contract ([`consumer`] explains how): for revoked partitions,
//!   the last `pre_commit` and a synchronous commit, then `close`; for assigned ones `open`,
//!   before any of their records reaches `put`. Records of a partition are never put after
//!   its `close`, even when it comes back.
//! * `put` is called at least every [`IDLE_PUT_INTERVAL`], with an empty batch when nothing
//!   came, so that a task reports a failure of its background work promptly.
//! * A retriable `put` error pauses consumption and re-delivers the same batch, while the
//!   consumer keeps being served; any other error fails the task. At shutdown, `pre_commit`
//!   runs once more and its offsets are committed synchronously.
//! * Conversion and transformation run per record through the task's
//!   [`RetryWithToleranceOperator`]: a failed record is reported (log, dead-letter queue, durable
//!   before the loop goes on) and skipped under `errors.tolerance=all`; its offset advances with
//!   the batch, so commits move past it only once the good records are flushed by the task.
//!   Under `none` the task fails and nothing of the batch is committed.

mod consumer;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{BorrowedHeaders, BorrowedMessage, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::TopicPartitionList;
use sluice_api::{
    ConnectRecord, ErrantRecordReporter, Origin, Props, SinkRecord, SinkTask, SinkTaskContext,
    TimestampType, TopicPartition,
};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{debug, info, warn};

pub use self::consumer::SinkConsumerContext;
use self::consumer::{
    apply_assign, apply_revoke, offsets_to_tpl, partitions_to_tpl, tpl_partitions, ConsumerEvent,
    ContextHandles,
};
use super::converters::RecordConverters;
use super::errors::context::{ConsumedRecord, OriginalRecord};
use super::errors::dlq::DeadLetterQueueReporter;
use super::errors::log_reporter::LogReporter;
use super::errors::{
    ErrorHandlingConfig, OriginalsIndex, Reporters, RetryWithToleranceOperator,
    WorkerErrantRecordReporter,
};
use super::source::TaskTarget;
use super::status::StatusStore;
use super::transforms::Transforms;
use super::{commit_ticker, report_target, Stage, TaskError};
use crate::model::ConnectorTaskId;
use crate::unreadable::{describe, is_unreadable_batch};

/// Takes the oldest `max` of `queue` (all of it when it holds no more), leaving the rest in
/// order: a sink task's stash is put `max.poll.records` at a time.
fn take_oldest<T>(queue: &mut Vec<T>, max: usize) -> Vec<T> {
    let rest = if queue.len() > max {
        queue.split_off(max)
    } else {
        Vec::new()
    };
    std::mem::replace(queue, rest)
}

/// Java's default `max.poll.records`: the most records handed to one `put`.
pub const DEFAULT_MAX_POLL_RECORDS: usize = 500;

/// Reads the consumer's `max.poll.records` (`consumer.max.poll.records`, or the connector's
/// `consumer.override.max.poll.records`; `None`: neither is set) as Java's consumer does: an
/// INT of at least 1, with Java's message when it is not.
pub fn max_poll_records(value: Option<&str>) -> Result<usize, String> {
    let Some(raw) = value else {
        return Ok(DEFAULT_MAX_POLL_RECORDS);
    };
    let raw = raw.trim();
    let n: i32 = raw.parse().map_err(|_| {
        format!("Invalid value {raw} for configuration max.poll.records: Not a number of type INT")
    })?;
    usize::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| {
        format!("Invalid value {n} for configuration max.poll.records: Value must be at least 1")
    })
}

/// How long to back off before re-delivering a batch after a retriable `put` error.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// The longest a running task goes without a `put` call: when nothing was consumed for this
/// long, `put` gets an empty batch (Java calls `put` after every consumer poll, records or
/// not), so a failure of the task's background work surfaces within this time.
pub const IDLE_PUT_INTERVAL: Duration = Duration::from_secs(1);

/// librdkafka settings of a sink task's consumer that have no Java key (so no `consumer.*`
/// or `consumer.override.*` key reaches them).
///
/// * `queued.max.messages.kbytes`, `queued.min.messages`: librdkafka fetches ahead while
///   its consumer queue holds fewer than `queued.min.messages` records and fewer than
///   `queued.max.messages.kbytes` of them (64 MB and 100,000 by default, on top of what the
///   task buffers itself). Each queued record costs ~400 bytes of librdkafka's own besides
///   its bytes, so for small records the count is what bounds memory: 4 MB of ~70-byte
///   Elasticsearch positions are ~60,000 records and ~25 MB. 4 MB took the Elasticsearch
///   benchmark's peak RSS from 93 MB to 77 MB at the same throughput, 10,000 records (20
///   `max.poll.records`) from 75 MB to 56-57 MB on a 50-partition topic, also at the same
///   throughput (5,000 brought 48 MB but a third fewer documents/s).
/// * `fetch.queue.backoff.ms`: when that read-ahead is full, librdkafka stops fetching for
///   this long (1000 ms by default), which capped a sink at about 12,000 records/s however
///   fast its destination (the JDBC benchmark); Java's consumer has no such pause, so it is
///   100 ms here (the JDBC sink then ran at 30,700 rows/s).
pub const LIBRDKAFKA_CONSUMER_SETTINGS: &[(&str, &str)] = &[
    ("queued.max.messages.kbytes", "4096"),
    ("queued.min.messages", "10000"),
    ("fetch.queue.backoff.ms", "100"),
];

/// Sets [`LIBRDKAFKA_CONSUMER_SETTINGS`] on a sink task's consumer config.
pub fn apply_librdkafka_consumer_settings(config: &mut rdkafka::ClientConfig) {
    for (key, value) in LIBRDKAFKA_CONSUMER_SETTINGS {
        config.set(*key, *value);
    }
}

/// Java's defaults for a sink task's consumer, before `consumer.*` and
/// `consumer.override.*`.
pub fn consumer_defaults(id: &ConnectorTaskId) -> Vec<(&'static str, String)> {
    vec![
        (
            "group.id",
            crate::config::connector::sink_group_id(&id.connector),
        ),
        ("enable.auto.commit", "false".to_string()),
        ("auto.offset.reset", "earliest".to_string()),
        // Java's consumer default; librdkafka's is read_committed.
        ("isolation.level", "read_uncommitted".to_string()),
        // Java's consumer default (a subscription to a missing topic lets a broker with
        // `auto.create.topics.enable` create it); librdkafka's is false.
        ("allow.auto.create.topics", "true".to_string()),
        // Java's consumer default: a batch whose CRC does not match fails the task instead of
        // being delivered (librdkafka's default is false).
        ("check.crcs", "true".to_string()),
        (
            "client.id",
            format!("connector-consumer-{}-{}", id.connector, id.task),
        ),
    ]
}

/// The worker's side of [`SinkTaskContext`].
pub struct WorkerSinkTaskContext {
    config: Props,
    assignment: Mutex<Vec<TopicPartition>>,
    requests: Mutex<Vec<(TopicPartition, bool)>>,
    commit_requested: AtomicBool,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
}

impl WorkerSinkTaskContext {
    fn new(config: Props, reporter: Option<Arc<dyn ErrantRecordReporter>>) -> Self {
        WorkerSinkTaskContext {
            config,
            assignment: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            commit_requested: AtomicBool::new(false),
            reporter,
        }
    }

    fn take_requests(&self) -> Vec<(TopicPartition, bool)> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn set_assignment(&self, partitions: Vec<TopicPartition>) {
        *self.assignment.lock().unwrap_or_else(|p| p.into_inner()) = partitions;
    }
}

impl SinkTaskContext for WorkerSinkTaskContext {
    fn config(&self) -> &Props {
        &self.config
    }
    fn assignment(&self) -> Vec<TopicPartition> {
        self.assignment
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    fn pause(&self, partitions: &[TopicPartition]) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        r.extend(partitions.iter().map(|tp| (tp.clone(), true)));
    }
    fn resume(&self, partitions: &[TopicPartition]) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        r.extend(partitions.iter().map(|tp| (tp.clone(), false)));
    }
    fn request_commit(&self) {
        self.commit_requested.store(true, Ordering::SeqCst);
    }
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.reporter.clone()
    }
}

/// Everything a sink task loop needs.
pub struct SinkTaskRun {
    /// Task id.
    pub id: ConnectorTaskId,
    /// The task instance (not started).
    pub task: Box<dyn SinkTask>,
    /// The task's config.
    pub task_config: Props,
    /// `topics` (empty when `topics.regex` is used).
    pub topics: Vec<String>,
    /// `topics.regex`.
    pub topics_regex: Option<String>,
    /// Converters.
    pub converters: RecordConverters,
    /// Transformations.
    pub transforms: Transforms,
    /// The consumer's librdkafka config.
    pub consumer_config: ClientConfig,
    /// The consumer's `max.poll.records`: the most records one `put` gets.
    pub max_poll_records: usize,
    /// Status table.
    pub status: Arc<StatusStore>,
    /// `offset.flush.interval.ms`.
    pub commit_interval: Duration,
    /// `offset.flush.timeout.ms`.
    pub commit_timeout: Duration,
    /// Error handling.
    pub errors: SinkErrorHandling,
    /// The worker's metrics registry (the task registers itself once its error handler is
    /// built).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// The `errors.*` settings of a sink task and what it needs to build its reporters.
pub struct SinkErrorHandling {
    /// The parsed `errors.*` keys.
    pub config: ErrorHandlingConfig,
    /// The dead-letter queue's admin client config (used when a DLQ topic is set).
    pub dlq_admin: ClientConfig,
    /// The dead-letter queue's producer config.
    pub dlq_producer: ClientConfig,
    /// A second set of the task's converters, for the errant record reporter to serialize
    /// records it did not see consumed (`None`: no errant record reporter).
    pub reporter_converters: Option<RecordConverters>,
    /// The task class (`task.class`), named in errant record reports.
    pub task_class: String,
}

impl SinkErrorHandling {
    /// Defaults: `errors.tolerance=none`, no reporters.
    pub fn fail_fast() -> Self {
        SinkErrorHandling {
            config: ErrorHandlingConfig::default(),
            dlq_admin: ClientConfig::new(),
            dlq_producer: ClientConfig::new(),
            reporter_converters: None,
            task_class: String::new(),
        }
    }

    /// The operator (creating the dead-letter queue topic when missing), the errant record
    /// reporter when one is offered, and the index of originals it reads.
    async fn build(
        self,
        id: &ConnectorTaskId,
    ) -> Result<
        (
            RetryWithToleranceOperator,
            Option<Arc<dyn ErrantRecordReporter>>,
            Option<Arc<OriginalsIndex>>,
        ),
        TaskError,
    > {
        let config = self.config;
        let mut reporters = Reporters::default();
        if config.log_enable {
            reporters.log = Some(LogReporter::new(id.clone(), config.log_include_messages));
        }
        if let Some(topic) = &config.dlq_topic {
            let dlq = DeadLetterQueueReporter::create(
                id.clone(),
                topic.clone(),
                config.dlq_replication_factor,
                config.dlq_context_headers,
                &self.dlq_admin,
                &self.dlq_producer,
            )
            .await
            .map_err(|e| TaskError::Kafka(e.to_string()))?;
            info!(topic = %topic, "Dead letter queue ready.");
            reporters.dlq = Some(dlq);
        }
        let offer_reporter = config.has_reporters();
        let operator = RetryWithToleranceOperator::new(id.clone(), config, reporters);
        match self.reporter_converters {
            Some(converters) if offer_reporter => {
                let originals = Arc::new(OriginalsIndex::default());
                let reporter: Arc<dyn ErrantRecordReporter> =
                    Arc::new(WorkerErrantRecordReporter::new(
                        operator.clone(),
                        originals.clone(),
                        converters,
                        self.task_class,
                    ));
                Ok((operator, Some(reporter), Some(originals)))
            }
            _ => Ok((operator, None, None)),
        }
    }
}

/// Runs the task until `control` says [`TaskTarget::Stopping`] or it fails; FAILED is written
/// here, other final states by the caller.
pub async fn run_sink_task(run: SinkTaskRun, control: watch::Receiver<TaskTarget>) {
    let id = run.id.clone();
    let status = run.status.clone();
    super::supervise_task(id, status, "Sink", SinkLoop::start(run, control)).await
}

struct SinkLoop {
    id: ConnectorTaskId,
    task: Box<dyn SinkTask>,
    context: Arc<WorkerSinkTaskContext>,
    converters: RecordConverters,
    transforms: Transforms,
    consumer: Arc<StreamConsumer<SinkConsumerContext>>,
    handles: ContextHandles,
    /// Partitions the task was told about (`open` called, `close` not yet), with the
    /// rebalance epoch that assigned each: only records received at or after it are put.
    opened: HashMap<TopicPartition, u64>,
    paused_by_task: HashSet<TopicPartition>,
    /// The `pause_all` that the consumer's paused partitions were last set for, while
    /// neither the partitions nor the task's pause requests have changed since (`None`:
    /// set them again). Pausing and resuming are calls into the consumer's threads, made
    /// when something changes, as Java's worker makes them, not on every batch.
    pauses_applied: Option<bool>,
    /// Next offset to read of every partition whose records were put.
    current: HashMap<TopicPartition, i64>,
    /// What the broker confirmed as committed.
    last_committed: HashMap<TopicPartition, i64>,
    /// The asynchronous commit sent and not yet answered.
    in_flight: Option<InFlightCommit>,
    /// A batch a retriable `put` error asked to deliver again, and its offsets.
    retry: Option<Vec<SinkRecord>>,
    /// Offsets of the batch waiting in `retry` (applied to `current` once it is put).
    pending_offsets: Vec<(TopicPartition, i64)>,
    /// Records received while a batch was being retried, delivered after it.
    stash: Vec<Received>,
    /// `max.poll.records`: the most records one `put` gets.
    max_poll_records: usize,
    status: Arc<StatusStore>,
    commit_interval: Duration,
    commit_timeout: Duration,
    errors: RetryWithToleranceOperator,
    /// The originals of records handed to `put`, when an errant record reporter is offered.
    originals: Option<Arc<OriginalsIndex>>,
    /// The task's metrics (none: metrics are off).
    metrics: Option<Arc<crate::metrics::TaskMetrics>>,
}

/// A run of records of one partition within a batch given to [`SinkLoop::deliver`].
struct Run {
    /// The partition.
    tp: TopicPartition,
    /// The rebalance epoch since which the task holds it (`None`: it does not).
    since: Option<u64>,
    /// Whether its topic was noted in this batch as one the connector uses (KIP-558).
    noted: bool,
    /// Its entry in the batch's next offsets, once a record of the run was kept.
    offset: Option<usize>,
}

/// An offset commit on its way: librdkafka reports no result for an asynchronous manual
/// commit, so commits are synchronous calls on a blocking thread, awaited by the loop.
struct InFlightCommit {
    started: std::time::Instant,
    offsets: HashMap<TopicPartition, i64>,
    result: tokio::task::JoinHandle<KafkaResult<()>>,
}

/// A consumed record and the rebalance epoch it was received in.
struct Received {
    epoch: u64,
    record: ConsumedRecord,
}

fn to_ts(ts: rdkafka::Timestamp) -> (Option<i64>, TimestampType) {
    match ts {
        rdkafka::Timestamp::NotAvailable => (None, TimestampType::NoTimestampType),
        rdkafka::Timestamp::CreateTime(t) => (Some(t), TimestampType::CreateTime),
        rdkafka::Timestamp::LogAppendTime(t) => (Some(t), TimestampType::LogAppendTime),
    }
}

/// One consumed message, owned.
fn consumed_from_message<M: Message<Headers = BorrowedHeaders>>(m: &M) -> ConsumedRecord {
    let headers = m.headers().map(super::headers::decode).unwrap_or_default();
    let (timestamp, timestamp_type) = to_ts(m.timestamp());
    ConsumedRecord {
        topic: m.topic().to_string(),
        partition: m.partition(),
        offset: m.offset(),
        key: m.key().map(<[u8]>::to_vec),
        value: m.payload().map(<[u8]>::to_vec),
        headers,
        timestamp,
        timestamp_type,
    }
}

/// How long the metadata requests of [`request_auto_creation`] wait for the broker, in all.
const AUTO_CREATION_BUDGET: Duration = Duration::from_secs(5);

/// Java's consumer (`allow.auto.create.topics`, true by default) lets a broker with
/// `auto.create.topics.enable` create a subscribed topic that does not exist. librdkafka sets
/// that flag only in metadata requests for topics the client holds a handle of, never for a
/// bare subscription, so one metadata request per named topic (which takes a handle) before
/// subscribing asks the broker what Java's consumer asks. The requests share
/// [`AUTO_CREATION_BUDGET`], so an unreachable broker delays the subscription by that much
/// at most; a failed request only leaves the topic to be created by someone else, as without
/// it.
async fn request_auto_creation(
    consumer: StreamConsumer<SinkConsumerContext>,
    topics: Vec<String>,
) -> Result<StreamConsumer<SinkConsumerContext>, TaskError> {
    let asked = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + AUTO_CREATION_BUDGET;
        for topic in &topics {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                tracing::debug!(topic = %topic,
                    "No time left to ask for the subscribed topic's metadata.");
                break;
            }
            if let Err(e) = consumer.fetch_metadata(Some(topic), left) {
                tracing::debug!(topic = %topic, error = %e,
                    "Metadata request for the subscribed topic failed.");
            }
        }
        consumer
    });
    asked
        .await
        .map_err(|e| TaskError::Kafka(format!("The subscribed topics' metadata request: {e}")))
}

impl SinkLoop {
    async fn start(
        run: SinkTaskRun,
        control: watch::Receiver<TaskTarget>,
    ) -> Result<(), TaskError> {
        let mut consumer_config = run.consumer_config;
        let auto_create = consumer_config.get("allow.auto.create.topics") == Some("true");
        let stats = run
            .metrics
            .client(crate::metrics::ClientType::Consumer, &mut consumer_config);
        let (consumer_context, handles) = SinkConsumerContext::new(stats);
        apply_librdkafka_consumer_settings(&mut consumer_config);
        let consumer: StreamConsumer<SinkConsumerContext> = consumer_config
            .create_with_context(consumer_context)
            .map_err(|e| TaskError::Kafka(format!("Failed to create consumer: {e}")))?;
        let (errors, reporter, originals) = run.errors.build(&run.id).await?;
        let metrics = run.metrics.task_started(
            &run.id,
            crate::metrics::TaskKind::Sink,
            errors.error_metrics(),
        );
        errors.set_stop_signal(control.clone());
        let context = Arc::new(WorkerSinkTaskContext::new(run.task_config, reporter));
        let mut task = run.task;
        task.start(context.clone())
            .await
            .map_err(|error| TaskError::Task {
                call: "SinkTask.start",
                error,
            })?;
        let subscription: Vec<String> = match &run.topics_regex {
            Some(regex) => vec![format!("^{}", regex.trim_start_matches('^'))],
            None => run.topics.clone(),
        };
        let consumer = if auto_create && run.topics_regex.is_none() {
            request_auto_creation(consumer, run.topics.clone()).await?
        } else {
            consumer
        };
        let refs: Vec<&str> = subscription.iter().map(String::as_str).collect();
        consumer.subscribe(&refs).map_err(|e| {
            TaskError::Kafka(format!("Failed to subscribe to {subscription:?}: {e}"))
        })?;
        let mut this = SinkLoop {
            id: run.id,
            task,
            context,
            converters: run.converters,
            transforms: run.transforms,
            consumer: Arc::new(consumer),
            handles,
            opened: HashMap::new(),
            paused_by_task: HashSet::new(),
            pauses_applied: None,
            current: HashMap::new(),
            last_committed: HashMap::new(),
            in_flight: None,
            retry: None,
            pending_offsets: Vec::new(),
            stash: Vec::new(),
            max_poll_records: run.max_poll_records.max(1),
            status: run.status,
            commit_interval: run.commit_interval.max(Duration::from_millis(1)),
            commit_timeout: run.commit_timeout,
            errors,
            originals,
            metrics,
        };
        let result = this.run(control).await;
        let closing = if result.is_ok() {
            this.close_all().await
        } else {
            Ok(())
        };
        this.release_consumer();
        let stop = this.task.stop().await;
        this.errors.close();
        result?;
        closing?;
        stop.map_err(|error| TaskError::Task {
            call: "SinkTask.stop",
            error,
        })
    }

    async fn run(&mut self, mut control: watch::Receiver<TaskTarget>) -> Result<(), TaskError> {
        let mut ticker = commit_ticker(self.commit_interval);
        let mut reported: Option<TaskTarget> = None;
        let mut idle_put = Instant::now() + IDLE_PUT_INTERVAL;
        loop {
            self.handle_events().await?;
            let target = *control.borrow_and_update();
            if target == TaskTarget::Stopping {
                break;
            }
            report_target(&self.status, &self.id, target, &mut reported);
            if let Some(m) = &self.metrics {
                m.set_state(super::source::run_state(target));
            }
            let running = target == TaskTarget::Running;
            self.apply_pauses(!running || self.retry.is_some());
            if self.context.commit_requested.swap(false, Ordering::SeqCst) {
                self.commit(CommitMode::Async).await?;
            }
            if running {
                if let Some(batch) = self.retry.take() {
                    self.put(batch).await?;
                    if self.retry.is_some() {
                        // Back off while serving the consumer (its partitions are paused):
                        // rebalances are handled and max.poll.interval.ms never expires,
                        // however long the task keeps asking for the batch again.
                        self.poll_paused(RETRY_BACKOFF).await?;
                    }
                    continue;
                }
                if !self.stash.is_empty() {
                    let stash = take_oldest(&mut self.stash, self.max_poll_records);
                    self.deliver(stash).await?;
                    idle_put = Instant::now() + IDLE_PUT_INTERVAL;
                    continue;
                }
            }
            let consumer = self.consumer.clone();
            tokio::select! {
                changed = control.changed() => if changed.is_err() { break },
                _ = ticker.tick() => self.commit(CommitMode::Async).await?,
                _ = tokio::time::sleep_until(idle_put), if running => {
                    // As Java, which calls put on every poll: a task learns that nothing
                    // came, and reports failures of its background work.
                    self.deliver(Vec::new()).await?;
                    idle_put = Instant::now() + IDLE_PUT_INTERVAL;
                }
                msg = consumer.recv() => {
                    let mut batch: Vec<Received> = self.received(msg)?.into_iter().collect();
                    // Drain what is already fetched without waiting; a rebalance event ends
                    // the batch (the loop applies it before anything is put).
                    let mut failed = None;
                    while !batch.is_empty() && batch.len() < self.max_poll_records {
                        match now_or_never(consumer.recv()) {
                            Some(msg) => match self.received(msg) {
                                Ok(record) => batch.extend(record),
                                // The records before it are put first, as Java's consumer
                                // returns them before it throws.
                                Err(e) => {
                                    failed = Some(e);
                                    break;
                                }
                            },
                            None => break,
                        }
                    }
                    if running {
                        self.deliver(batch).await?;
                        idle_put = Instant::now() + IDLE_PUT_INTERVAL;
                    } else {
                        self.stash.extend(batch);
                    }
                    if let Some(e) = failed {
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }

    /// One consumer poll result, owned and tagged with the current rebalance epoch. Errors
    /// librdkafka recovers from (a broker going away, a topic not there yet) are logged; a
    /// fatal one fails the task.
    fn received(
        &self,
        msg: KafkaResult<BorrowedMessage<'_>>,
    ) -> Result<Option<Received>, TaskError> {
        match msg {
            Ok(m) => Ok(Some(Received {
                epoch: self.handles.epoch.load(Ordering::SeqCst),
                record: consumed_from_message(&m),
            })),
            Err(e @ KafkaError::MessageConsumptionFatal(_)) => Err(TaskError::stage(
                Stage::KafkaConsume,
                "consumer poll",
                sluice_api::ConnectError::connect(e.to_string()),
            )),
            // `auto.offset.reset=none` and a partition without a committed offset: Java's
            // consumer throws `NoOffsetForPartitionException` and the task fails.
            Err(KafkaError::MessageConsumption(RDKafkaErrorCode::AutoOffsetReset)) => {
                Err(TaskError::stage(
                    Stage::KafkaConsume,
                    "consumer poll",
                    sluice_api::ConnectError::connect(
                        "Undefined offset with no reset policy for a partition of the task \
                         (auto.offset.reset=none and no committed offset)",
                    ),
                ))
            }
            Err(KafkaError::MessageConsumption(code)) if is_unreadable_batch(code) => {
                Err(TaskError::stage(
                    Stage::KafkaConsume,
                    "consumer poll",
                    sluice_api::ConnectError::connect(format!(
                        "{}; the task stops here, as Java's consumer does",
                        describe(code)
                    )),
                ))
            }
            Err(e) => {
                warn!(error = %e, "Consumer error; the consumer keeps trying.");
                Ok(None)
            }
        }
    }

    /// Serves the consumer for `wait` without delivering: rebalance and commit events queue
    /// up for the loop, and records (fetched before a pause took effect) are kept for later.
    async fn poll_paused(&mut self, wait: Duration) -> Result<(), TaskError> {
        let consumer = self.consumer.clone();
        let deadline = Instant::now() + wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return Ok(()),
                msg = consumer.recv() => {
                    if let Some(r) = self.received(msg)? {
                        self.stash.push(r);
                    }
                }
            }
        }
    }

    /// Applies what the consumer reported, in order.
    async fn handle_events(&mut self) -> Result<(), TaskError> {
        while let Ok(event) = self.handles.events.try_recv() {
            match event {
                ConsumerEvent::Assigned { partitions, epoch } => {
                    self.on_assigned(&partitions, epoch).await?
                }
                ConsumerEvent::Revoked { partitions } => {
                    self.on_revoked(&partitions, false).await?
                }
                ConsumerEvent::Failed { error } => {
                    warn!(error = %error, "Consumer rebalance failed; giving up every partition.");
                    let all = partitions_to_tpl(self.opened.keys());
                    self.on_revoked(&all, true).await?
                }
            }
        }
        self.update_gauges();
        Ok(())
    }

    /// Takes the partitions over, then `open`s them: `open` runs before any of their records
    /// reaches `put`, and only records received from now on are put.
    async fn on_assigned(
        &mut self,
        partitions: &TopicPartitionList,
        epoch: u64,
    ) -> Result<(), TaskError> {
        apply_assign(&*self.consumer, partitions)
            .map_err(|e| TaskError::Kafka(format!("Failed to assign partitions: {e}")))?;
        let parts = tpl_partitions(partitions);
        debug!(partitions = ?parts, "Partitions assigned.");
        for tp in &parts {
            self.opened.insert(tp.clone(), epoch);
        }
        self.pauses_applied = None;
        self.context
            .set_assignment(self.opened.keys().cloned().collect());
        self.task
            .open(&parts)
            .await
            .map_err(|error| TaskError::Task {
                call: "SinkTask.open",
                error,
            })
    }

    /// Java's order for partitions that go: the last flush and commit of what was put, then
    /// `close`; then the consumer gives them up. Records of these partitions that were
    /// consumed but not put are dropped: the next owner reads them from the committed offset.
    async fn on_revoked(
        &mut self,
        partitions: &TopicPartitionList,
        unassign_all: bool,
    ) -> Result<(), TaskError> {
        let revoked: Vec<TopicPartition> = tpl_partitions(partitions)
            .into_iter()
            .filter(|tp| self.opened.contains_key(tp))
            .collect();
        debug!(partitions = ?revoked, "Partitions revoked.");
        if !revoked.is_empty() {
            self.drop_retried(&revoked);
            self.commit(CommitMode::Sync).await?;
            self.task
                .close(&revoked)
                .await
                .map_err(|error| TaskError::Task {
                    call: "SinkTask.close",
                    error,
                })?;
            for tp in &revoked {
                self.opened.remove(tp);
                self.current.remove(tp);
                self.last_committed.remove(tp);
                self.paused_by_task.remove(tp);
            }
            self.pauses_applied = None;
            if let Some(originals) = &self.originals {
                originals.revoked(&revoked);
            }
            self.context
                .set_assignment(self.opened.keys().cloned().collect());
        }
        let result = if unassign_all {
            self.consumer.unassign()
        } else {
            apply_revoke(&*self.consumer, partitions)
        };
        result.map_err(|e| TaskError::Kafka(format!("Failed to revoke partitions: {e}")))
    }

    /// Removes records of revoked partitions from a batch waiting to be put again, with their
    /// offsets; a batch left empty is done, and the offsets it still carries (records dropped
    /// by a transformation or skipped) apply.
    fn drop_retried(&mut self, revoked: &[TopicPartition]) {
        let Some(batch) = self.retry.as_mut() else {
            return;
        };
        batch.retain(|r| {
            !revoked.contains(&TopicPartition::new(
                r.topic_name().to_string(),
                r.kafka_partition.unwrap_or(-1),
            ))
        });
        self.pending_offsets.retain(|(tp, _)| !revoked.contains(tp));
        if batch.is_empty() {
            self.retry = None;
            for (tp, next) in std::mem::take(&mut self.pending_offsets) {
                self.current.insert(tp, next);
            }
        }
    }

    /// Offsets the broker confirmed.
    fn confirmed(&mut self, offsets: HashMap<TopicPartition, i64>) {
        debug!(partitions = offsets.len(), "Committed sink offsets.");
        if let Some(originals) = &self.originals {
            originals.committed(&offsets);
        }
        self.last_committed.extend(
            offsets
                .into_iter()
                .filter(|(tp, _)| self.opened.contains_key(tp)),
        );
        self.update_gauges();
    }

    /// Pauses everything while the task is paused (or a batch is being retried), otherwise
    /// exactly the partitions the task paused.
    fn apply_pauses(&mut self, pause_all: bool) {
        for (tp, pause) in self.context.take_requests() {
            self.pauses_applied = None;
            if pause {
                self.paused_by_task.insert(tp);
            } else {
                self.paused_by_task.remove(&tp);
            }
        }
        if self.opened.is_empty() || self.pauses_applied == Some(pause_all) {
            return;
        }
        let mut applied = true;
        let (paused, running): (Vec<&TopicPartition>, Vec<&TopicPartition>) = self
            .opened
            .keys()
            .partition(|tp| pause_all || self.paused_by_task.contains(*tp));
        if !paused.is_empty() {
            if let Err(e) = self.consumer.pause(&partitions_to_tpl(paused)) {
                debug!(error = %e, "Could not pause partitions.");
                applied = false;
            }
        }
        if !running.is_empty() {
            if let Err(e) = self.consumer.resume(&partitions_to_tpl(running)) {
                debug!(error = %e, "Could not resume partitions.");
                applied = false;
            }
        }
        self.pauses_applied = applied.then_some(pause_all);
    }

    /// Converts, transforms and puts a batch. Rebalances reported while it was consumed are
    /// applied first, and only records of partitions the task holds, received since it got
    /// them, are put.
    async fn deliver(&mut self, batch: Vec<Received>) -> Result<(), TaskError> {
        self.handle_events().await?;
        if let Some(m) = &self.metrics {
            if !batch.is_empty() {
                m.record_read(batch.len());
            }
        }
        let mut records = Vec::with_capacity(batch.len());
        let originals = self.originals.clone();
        // The next offset of each run of records of one partition (a batch is mostly long runs):
        // the partition is named, looked up and its topic noted once per run, not per record.
        let mut offsets: Vec<(TopicPartition, i64)> = Vec::new();
        let mut run: Option<Run> = None;
        for Received { epoch, record: m } in batch {
            let same = run
                .as_ref()
                .is_some_and(|r| r.tp.partition == m.partition && r.tp.topic == m.topic);
            if !same {
                let tp = TopicPartition::new(m.topic.clone(), m.partition);
                let since = self.opened.get(&tp).copied();
                let noted = run
                    .as_ref()
                    .is_some_and(|last| last.noted && last.tp.topic == m.topic);
                run = Some(Run {
                    tp,
                    since,
                    noted,
                    offset: None,
                });
            }
            let Some(run) = &mut run else {
                continue;
            };
            if run.since.is_none_or(|since| epoch < since) {
                debug!(topic = %m.topic, partition = m.partition, offset = m.offset,
                    "Dropping a record of a partition this task no longer holds.");
                continue;
            }
            if !run.noted {
                self.status.add_topic(&self.id.connector, &m.topic);
                run.noted = true;
            }
            match run.offset {
                Some(i) => offsets[i].1 = m.offset + 1,
                None => {
                    run.offset = Some(offsets.len());
                    offsets.push((run.tp.clone(), m.offset + 1));
                }
            }
            match &originals {
                // The errant record reporter reads the original of a record `put` reports.
                Some(originals) => {
                    let m = Arc::new(m);
                    if self
                        .convert_and_transform(&m, Some(&m), &mut records)
                        .await?
                    {
                        if let Some(record) = records.last() {
                            originals.insert(record, m);
                        }
                    }
                }
                None => {
                    self.convert_and_transform(&m, None, &mut records).await?;
                }
            }
        }
        self.put(records).await?;
        if self.retry.is_none() {
            for (tp, next) in offsets {
                self.current.insert(tp, next);
            }
        } else {
            // The offsets advance when the retried batch is finally put.
            self.pending_offsets = offsets;
        }
        self.update_gauges();
        Ok(())
    }

    /// `partition-count` and `sink-record-active-count` (records read past the committed
    /// offsets) for the metrics.
    fn update_gauges(&self) {
        if let Some(m) = &self.metrics {
            m.set_partitions(self.opened.len());
            let active: i64 = self
                .current
                .iter()
                .filter_map(|(tp, next)| self.last_committed.get(tp).map(|c| (next - c).max(0)))
                .sum();
            m.set_active(usize::try_from(active).unwrap_or(0));
        }
    }

    /// Headers, key and value conversion, then the transformations, each stage through the
    /// error handler; the record is appended to `out`. `Ok(false)`: the record was dropped by
    /// a transformation or failed and was skipped under `errors.tolerance=all`. `shared` is
    /// `m` when it is shared already; otherwise a failure that reports the original record
    /// copies it (records that convert need no reference count).
    async fn convert_and_transform(
        &mut self,
        m: &ConsumedRecord,
        shared: Option<&Arc<ConsumedRecord>>,
        out: &mut Vec<SinkRecord>,
    ) -> Result<bool, TaskError> {
        let original =
            || OriginalRecord::Consumed(shared.map_or_else(|| Arc::new(m.clone()), Arc::clone));
        let converters = &mut self.converters;
        let classes = converters.classes();
        let Some(headers) = self
            .errors
            .execute(
                Stage::HeaderConverter,
                || classes.header.clone(),
                original,
                || converters.headers_from_kafka(&m.topic, &m.headers),
            )
            .await?
        else {
            return Ok(false);
        };
        let Some(key) = self
            .errors
            .execute(
                Stage::KeyConverter,
                || classes.key.clone(),
                original,
                || converters.key_from_kafka(&m.topic, &headers, m.key.as_deref()),
            )
            .await?
        else {
            return Ok(false);
        };
        let Some(value) = self
            .errors
            .execute(
                Stage::ValueConverter,
                || classes.value.clone(),
                original,
                || converters.value_from_kafka(&m.topic, &headers, m.value.as_deref()),
            )
            .await?
        else {
            return Ok(false);
        };
        let record = ConnectRecord {
            topic: Some(m.topic.clone()),
            kafka_partition: Some(m.partition),
            key_schema: key.schema,
            key: key.value,
            value_schema: value.schema,
            value: value.value,
            timestamp: m.timestamp,
            headers,
            origin: Origin::Sink {
                kafka_offset: m.offset,
                timestamp_type: m.timestamp_type,
            },
        };
        if self.transforms.is_empty() {
            out.push(record);
            return Ok(true);
        }
        match self
            .transforms
            .apply_in_stage(&self.errors, record, original)
            .await?
        {
            Some(record) => {
                out.push(record);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// `put`, also with an empty batch. A retriable error keeps the batch for another try.
    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<(), TaskError> {
        let count = records.len();
        let started = std::time::Instant::now();
        match self.task.put(&records).await {
            Ok(()) => {
                if let Some(m) = &self.metrics {
                    m.record_put(count, started.elapsed());
                    if count > 0 {
                        m.record_batch(count);
                    }
                }
                if !self.pending_offsets.is_empty() {
                    for (tp, next) in std::mem::take(&mut self.pending_offsets) {
                        self.current.insert(tp, next);
                    }
                }
                Ok(())
            }
            Err(e) if e.is_retriable() => {
                warn!(error = %e, "Retriable error from SinkTask.put; the batch will be delivered again.");
                self.retry = Some(records);
                Ok(())
            }
            Err(e) => Err(TaskError::stage(
                Stage::TaskPut,
                format!("{} records", records.len()),
                e,
            )),
        }
    }

    /// `pre_commit`, then commits exactly what it returned for partitions the task holds.
    /// An asynchronous commit runs while the loop goes on (one at a time: offsets that move
    /// in the meantime go with the next one); offsets the broker refused are sent again by
    /// the next commit. A synchronous commit (revocation, shutdown) first waits for the one
    /// in flight; both together get `offset.flush.timeout.ms`.
    async fn commit(&mut self, mode: CommitMode) -> Result<(), TaskError> {
        self.take_commit_result();
        let sync = matches!(mode, CommitMode::Sync);
        if !sync && self.in_flight.is_some() {
            // The commit in flight still runs: this one is skipped (Java's commit skip).
            if let Some(m) = &self.metrics {
                m.record_commit_skip();
            }
            return Ok(());
        }
        if self.current.is_empty() {
            return Ok(());
        }
        let safe = self
            .task
            .pre_commit(&self.current)
            .await
            .map_err(|error| TaskError::Task {
                call: "SinkTask.preCommit",
                error,
            })?;
        let deadline = Instant::now() + self.commit_timeout.max(Duration::from_millis(1));
        if let Some(previous) = self.in_flight.take() {
            self.await_commit(previous, deadline).await;
        }
        let to_commit: HashMap<TopicPartition, i64> = safe
            .into_iter()
            .filter(|(tp, off)| {
                self.opened.contains_key(tp) && self.last_committed.get(tp) != Some(off)
            })
            .collect();
        if to_commit.is_empty() {
            return Ok(());
        }
        debug!(offsets = ?to_commit, sync, "Committing sink offsets.");
        let consumer = self.consumer.clone();
        let tpl = offsets_to_tpl(&to_commit);
        let commit = InFlightCommit {
            started: std::time::Instant::now(),
            offsets: to_commit,
            result: tokio::task::spawn_blocking(move || consumer.commit(&tpl, CommitMode::Sync)),
        };
        if sync {
            self.await_commit(commit, deadline).await;
        } else {
            self.in_flight = Some(commit);
        }
        Ok(())
    }

    /// Records the result of the commit in flight, when it has one.
    fn take_commit_result(&mut self) {
        if !self
            .in_flight
            .as_ref()
            .is_some_and(|c| c.result.is_finished())
        {
            return;
        }
        if let Some(commit) = self.in_flight.take() {
            if let Some(result) = now_or_never(commit.result) {
                self.commit_done(commit.offsets, commit.started, result);
            }
        }
    }

    /// Waits for a commit until `deadline`.
    async fn await_commit(&mut self, commit: InFlightCommit, deadline: Instant) {
        match tokio::time::timeout_at(deadline, commit.result).await {
            Ok(result) => self.commit_done(commit.offsets, commit.started, result),
            Err(_) => {
                if let Some(m) = &self.metrics {
                    m.record_commit(false, commit.started.elapsed());
                }
                warn!(
                partitions = commit.offsets.len(),
                timeout_ms = self.commit_timeout.as_millis() as u64,
                "Timed out committing sink offsets (offset.flush.timeout.ms); they are sent again by the next commit."
            )
            }
        }
    }

    fn commit_done(
        &mut self,
        offsets: HashMap<TopicPartition, i64>,
        started: std::time::Instant,
        result: Result<KafkaResult<()>, tokio::task::JoinError>,
    ) {
        if let Some(m) = &self.metrics {
            let ok = matches!(result, Ok(Ok(())));
            m.record_commit(ok, started.elapsed());
            if ok {
                m.record_commit_completion();
            }
        }
        match result {
            Ok(Ok(())) => self.confirmed(offsets),
            Ok(Err(e)) => warn!(error = %e, partitions = offsets.len(),
                "Failed to commit sink offsets; the next commit sends them again."),
            Err(e) => warn!(error = %e, "Offset commit was interrupted."),
        }
    }

    /// Final commit and `close` of every partition the task holds.
    async fn close_all(&mut self) -> Result<(), TaskError> {
        self.handle_events().await?;
        self.commit(CommitMode::Sync).await?;
        let parts: Vec<TopicPartition> = self.opened.drain().map(|(tp, _)| tp).collect();
        if !parts.is_empty() {
            self.task
                .close(&parts)
                .await
                .map_err(|error| TaskError::Task {
                    call: "SinkTask.close",
                    error,
                })?;
        }
        Ok(())
    }

    /// From here on rebalances are applied by the consumer's callback at once (the consumer
    /// is about to close), and a revocation still waiting for the loop is applied.
    fn release_consumer(&mut self) {
        self.handles.deferred.store(false, Ordering::SeqCst);
        if let Err(e) = self.consumer.unassign() {
            debug!(error = %e, "Could not unassign the consumer before closing it.");
        }
    }
}

impl Drop for SinkLoop {
    /// However the loop ends (even aborted), rebalances of the closing consumer are applied
    /// by its callback: the consumer (dropped after this) must not wait for the loop.
    fn drop(&mut self) {
        self.handles.deferred.store(false, Ordering::SeqCst);
    }
}

/// Polls a future once: its output when ready at once, `None` otherwise.
fn now_or_never<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => Some(out),
        std::task::Poll::Pending => None,
    }
}
